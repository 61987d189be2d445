import {
  DEVICE_STATUS_SCOPES,
  retrieveConnectedNetworkType,
  retrieveLegacyConnectivityStatus,
  retrieveLegacyRoamingStatus,
  retrieveReachabilityStatus,
  retrieveRoamingStatus,
} from '../apis/device-status.js'
import type {
  ConnectedNetworkTypeStatus,
  Device,
  LegacyConnectivityStatus,
  LegacyRoamingStatus,
  ReachabilityStatus,
  RoamingStatus,
} from '../apis/types.js'
import type { Session } from '../auth/session.js'
import type { ClientCredentials } from '../client-credentials.js'
import type { CallOptions } from '../options.js'
import { phoneNumberAmong, sessionFor, type Authorization } from './authorize.js'

function deviceOf(phoneNumber: string | undefined): Device | undefined {
  return phoneNumber === undefined ? undefined : { phoneNumber }
}

/**
 * Device Status for one subscriber (backend or frontend flow) or, two-legged, one device:
 * roaming, reachability, connected network type, and the legacy v0 roaming and connectivity calls.
 * The token is obtained on the first call (or {@link DeviceStatus.authorize}), cached, and renewed
 * before it expires.
 *
 * @example Backend flow (CIBA)
 * ```ts
 * const credentials = new ClientCredentials({ clientId: 'my-app-id', clientSecret: 'my-app-secret' })
 * const ds = new DeviceStatus(credentials, { phoneNumber: '+34600000002' })
 * const { roaming, countryNames } = await ds.getRoamingStatus()
 * ```
 * @example Frontend flow (callback)
 * ```ts
 * const ds = new DeviceStatus(credentials, { authCode: code, redirectUri, codeVerifier })
 * if (await ds.isRoaming()) { … }
 * ```
 */
export class DeviceStatus {
  /** The authorized session; pass `{ session }` to share it with another service object. */
  readonly session: Session

  /**
   * @param credentials - the app
   * @param authorization - `{ phoneNumber, purpose? }` (CIBA), `{ authCode, redirectUri?, codeVerifier? }`,
   *   `{ device }` (two-legged), `{ session }`; or, as in the vendor samples, the code as a string
   * @param phoneNumber - vendor positional form `new DeviceStatus(credentials, undefined, phoneNumber)` (CIBA)
   */
  constructor(
    credentials: ClientCredentials,
    authorization?: Authorization | string,
    phoneNumber?: string,
  ) {
    this.session = sessionFor(credentials, authorization, phoneNumber, DEVICE_STATUS_SCOPES)
  }

  /**
   * Runs the authorization now (CIBA, code exchange or client credentials) instead of on the
   * first call.
   *
   * @param call - signal, timeout, correlator
   */
  async authorize(call?: CallOptions): Promise<void> {
    await this.session.accessToken(call)
  }

  /**
   * Roaming status (device-roaming-status v1).
   *
   * @param call - signal, timeout, correlator
   * @returns `{ roaming, countryCode, countryNames, lastStatusTime, correlator }`
   * @throws {@link ApiError} e.g. `SERVICE_NOT_APPLICABLE`, `IDENTIFIER_NOT_FOUND`
   */
  getRoamingStatus(call?: CallOptions): Promise<RoamingStatus> {
    return retrieveRoamingStatus(this.session, undefined, call)
  }

  /**
   * Whether the device is roaming (device-roaming-status v1).
   *
   * @param call - signal, timeout, correlator
   * @returns true when roaming
   */
  async isRoaming(call?: CallOptions): Promise<boolean> {
    return (await this.getRoamingStatus(call)).roaming
  }

  /**
   * Reachability status (device-reachability-status v1).
   *
   * @param call - signal, timeout, correlator
   * @returns `{ reachable, connectivity, lastStatusTime, correlator }`
   */
  getReachabilityStatus(call?: CallOptions): Promise<ReachabilityStatus> {
    return retrieveReachabilityStatus(this.session, undefined, call)
  }

  /**
   * Whether the device is reachable for data or SMS (device-reachability-status v1).
   *
   * @param call - signal, timeout, correlator
   * @returns true when reachable
   */
  async isReachable(call?: CallOptions): Promise<boolean> {
    return (await this.getReachabilityStatus(call)).reachable
  }

  /**
   * Network type the device is connected to (connected-network-type v0.2).
   *
   * @param call - signal, timeout, correlator
   * @returns `{ connectedNetworkType, lastStatusTime, correlator }`
   */
  getConnectedNetworkType(call?: CallOptions): Promise<ConnectedNetworkTypeStatus> {
    return retrieveConnectedNetworkType(this.session, undefined, call)
  }

  /**
   * Legacy roaming status (device-status v0 `POST /roaming`).
   *
   * @param call - signal, timeout, correlator
   * @returns `{ roaming, countryCode, countryNames, correlator }`
   */
  getLegacyRoamingStatus(call?: CallOptions): Promise<LegacyRoamingStatus> {
    return retrieveLegacyRoamingStatus(this.session, undefined, call)
  }

  /**
   * Legacy connectivity status (device-status v0 `POST /connectivity`).
   *
   * @param call - signal, timeout, correlator
   * @returns `{ connectivityStatus, correlator }`
   */
  getLegacyConnectivityStatus(call?: CallOptions): Promise<LegacyConnectivityStatus> {
    return retrieveLegacyConnectivityStatus(this.session, undefined, call)
  }

  /**
   * The vendor samples' `roaming(…)`: legacy device-status v0 roaming, as a boolean. Takes the
   * samples' positional forms, `roaming()`, `roaming(phoneNumber)` and
   * `roaming(externalId, msisdn, ipv4Addr, ipv6Addr, uePort)`; a phone number among them must be
   * the session's subscriber (three-legged) or names the device (two-legged).
   *
   * @param identifiers - the samples' positional identifiers
   * @returns true when roaming
   */
  async roaming(...identifiers: unknown[]): Promise<boolean> {
    const device = deviceOf(phoneNumberAmong(identifiers))
    return (await retrieveLegacyRoamingStatus(this.session, device)).roaming
  }

  /**
   * The vendor SDK's `connectivity(…)`: legacy device-status v0 connectivity status.
   *
   * @param identifiers - the samples' positional identifiers (see {@link DeviceStatus.roaming})
   * @returns `CONNECTED_DATA`, `CONNECTED_SMS` or `NOT_CONNECTED`
   */
  async connectivity(
    ...identifiers: unknown[]
  ): Promise<LegacyConnectivityStatus['connectivityStatus']> {
    const device = deviceOf(phoneNumberAmong(identifiers))
    return (await retrieveLegacyConnectivityStatus(this.session, device)).connectivityStatus
  }
}
