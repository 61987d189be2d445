/** The NEF adapter's configuration, read by `loadConfig` (config.ts) from the `NEF_*` variables. */

/** The identifier kinds a NEF's Monitoring Event API takes (TS 29.122 `MonitoringEventSubscription`). */
export const NEF_IDENTIFIER_KINDS = ['msisdn', 'externalId', 'ipv4Addr', 'ipv6Addr'] as const
export type NefIdentifierKind = (typeof NEF_IDENTIFIER_KINDS)[number]

/** How the gateway authenticates to the NEF. */
export type NefCredentials =
  | { kind: 'none' }
  | { kind: 'static'; token: string }
  | { kind: 'client-credentials'; tokenUrl: string; clientId: string; clientSecret: string }

/** The NEF the gateway reads the network from (`NETWORK=nef`). */
export interface NefConfig {
  /** The NEF's apiRoot: the adapter calls `{baseUrl}/3gpp-monitoring-event/v1/{scsAsId}/subscriptions`. */
  readonly baseUrl: string
  readonly scsAsId: string
  readonly credentials: NefCredentials
  /**
   * Where the NEF sends notifications, without the token: `{callbackUrl}/{token}`. `undefined`:
   * the gateway's issuer + `/nef/v1/notifications` (the issuer follows the real port).
   */
  readonly callbackUrl: string | undefined
  readonly timeoutMs: number
  readonly identifiers: readonly NefIdentifierKind[]
  /** How often each NEF subscription's `self` is read back (a NEF that lost it is re-created). */
  readonly checkIntervalMs: number
}
