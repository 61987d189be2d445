import {
  EVENT_APIS,
  eventType,
  subscriptionsPath,
  type SubscriptionApiName,
  type SimSwapSubscriptionsEventType,
  type SubscriptionStatus,
} from '@device-status/contract'
import type { Session } from '../auth/session.js'
import { DeviceStatusError } from '../errors.js'
import type { CallOptions } from '../options.js'
import { dateOf, deviceBody, requestApi } from './call.js'
import type { Device } from './types.js'

export type { SubscriptionApiName } from '@device-status/contract'

// The per-API event types, as the contract spells them out from the spec files.
export type {
  ConnectedNetworkTypeSubscriptionsEventType as ConnectedNetworkTypeEventType,
  DeviceReachabilityStatusSubscriptionsEventType as ReachabilityEventType,
  DeviceRoamingStatusSubscriptionsEventType as RoamingEventType,
  SimSwapSubscriptionsEventType as SimSwapEventType,
} from '@device-status/contract'

/**
 * The scopes a subscription call needs (CAMARA ESG §4.1): the per-type create scope
 * `<api>:org.camaraproject.<api>.v0.<type>:create` when creating, and `<api>:read` and
 * `<api>:delete`, so one token serves the subscription's whole life.
 *
 * @param api - the subscription API
 * @param type - the event type being subscribed to, when creating
 * @returns the API scopes
 */
export function subscriptionScopes(api: SubscriptionApiName, type?: string): string[] {
  return [
    ...(type === undefined ? [] : [`${api}:${eventType(api, type)}:create`]),
    `${api}:read`,
    `${api}:delete`,
  ]
}

/**
 * The bearer token the gateway sends with each notification (CAMARA `sinkCredential` of type
 * `ACCESSTOKEN`, `accessTokenType: bearer`). Check it with `parseNotification(…, { expectedToken })`.
 */
export interface SinkCredential {
  /** The token; sent back as `Authorization: Bearer <accessToken>`. */
  accessToken: string
  /** When the token expires; the gateway ends the subscription (`ACCESS_TOKEN_EXPIRED`) before. */
  accessTokenExpiresUtc: Date | string
}

/** What to subscribe to, and where the notifications go. */
export interface SubscriptionOptions<TType extends string> {
  /** The event type, short name (`'roaming-on'`): sent as `org.camaraproject.<api>.v0.<type>`. */
  type: TType
  /** HTTPS URL the CloudEvents are POSTed to (the sandbox also takes `http://127.0.0.1:<port>`). */
  sink: string | URL
  /** A bearer token for the sink to check; strongly recommended. */
  sinkCredential?: SinkCredential
  /** When the subscription ends (`config.subscriptionExpireTime`). */
  expiresAt?: Date | string
  /** Events after which it ends (`config.subscriptionMaxEvents`). */
  maxEvents?: number
  /** Send an event at once when the device is already in the subscribed state (`config.initialEvent`). */
  initialEvent?: boolean
}

/** Subscription options of an API with a single event type: `type` may be left out. */
export type SingleTypeSubscriptionOptions<TType extends string> = Omit<
  SubscriptionOptions<TType>,
  'type'
> & {
  /** The event type; the API's only one when left out. */
  type?: TType
}

/** SIM swap subscriptions (0.3) have no initial event. */
export type SimSwapSubscriptionOptions = Omit<
  SingleTypeSubscriptionOptions<SimSwapSubscriptionsEventType>,
  'initialEvent'
>

export type { SubscriptionStatus } from '@device-status/contract'

/** A subscription as the gateway shows it (never its sink credential). */
export interface Subscription<TType extends string = string> {
  /** The subscription id; notifications carry it as `subscriptionId`. */
  id: string
  /** The subscription API. */
  api: SubscriptionApiName
  /** Subscribed event types, short names (`'roaming-on'`). */
  types: TType[]
  /** Where the notifications go. */
  sink: string
  /** When it started. */
  startsAt: Date
  /** When it ends, when it has an expiry time. */
  expiresAt?: Date
  /** `ACTIVE` while notifications are sent. */
  status: SubscriptionStatus
  /** The device, for a two-legged subscription (three-legged ones name none). */
  device?: Device
  /** The line, for a two-legged SIM swap subscription. */
  phoneNumber?: string
  /** `config.subscriptionMaxEvents`, when set. */
  maxEvents?: number
  /** `config.initialEvent`, when set. */
  initialEvent?: boolean
  /** The `x-correlator` of the call that returned it. */
  correlator: string
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v)

function isoOf(value: Date | string, name: string): string {
  const date = value instanceof Date ? value : new Date(value)
  if (Number.isNaN(date.getTime()))
    throw new DeviceStatusError('INVALID_USAGE', `${name} is not a valid date`)
  return date.toISOString()
}

function subscriptionOf<TType extends string>(
  api: SubscriptionApiName,
  body: unknown,
  correlator: string,
): Subscription<TType> {
  const record = isRecord(body) ? body : {}
  const config = isRecord(record['config']) ? record['config'] : {}
  const detail = isRecord(config['subscriptionDetail']) ? config['subscriptionDetail'] : {}
  const prefix = EVENT_APIS[api].prefix
  const types = Array.isArray(record['types']) ? record['types'] : []
  return {
    id: String(record['id']),
    api,
    types: types
      .filter((t): t is string => typeof t === 'string')
      .map((t) => (t.startsWith(prefix) ? t.slice(prefix.length) : t) as TType),
    sink: String(record['sink']),
    startsAt: dateOf(record['startsAt']),
    ...(typeof record['expiresAt'] === 'string' ? { expiresAt: dateOf(record['expiresAt']) } : {}),
    status: record['status'] as SubscriptionStatus,
    ...(isRecord(detail['device']) ? { device: detail['device'] } : {}),
    ...(typeof detail['phoneNumber'] === 'string' ? { phoneNumber: detail['phoneNumber'] } : {}),
    ...(typeof config['subscriptionMaxEvents'] === 'number'
      ? { maxEvents: config['subscriptionMaxEvents'] }
      : {}),
    ...(typeof config['initialEvent'] === 'boolean'
      ? { initialEvent: config['initialEvent'] }
      : {}),
    correlator,
  }
}

/**
 * `POST /<api>/<version>/subscriptions`: one event type, the device as the session names it
 * (two-legged: `subscriptionDetail.device`, or `phoneNumber` for SIM swap; three-legged: none).
 * Not resent after a network failure or a timeout: the gateway may have created it.
 *
 * @param session - the authorized session (a token with the type's create scope is obtained)
 * @param api - the subscription API
 * @param options - type, sink, sink credential, expiry, max events, initial event
 * @param call - signal, timeout, correlator
 * @returns the created subscription
 * @throws {@link ApiError} e.g. `INVALID_SINK`, `SERVICE_NOT_APPLICABLE`, `SUBSCRIPTION_MISMATCH`
 */
export async function createSubscription<TType extends string>(
  session: Session,
  api: SubscriptionApiName,
  options: SubscriptionOptions<TType>,
  call?: CallOptions,
): Promise<Subscription<TType>> {
  const spec = EVENT_APIS[api]
  const types: readonly string[] = spec.subscriptionTypes
  if (!types.includes(options.type))
    throw new DeviceStatusError(
      'INVALID_USAGE',
      `${api} has no event type ${String(options.type)} (${types.join(', ')})`,
    )
  const { device } = deviceBody(session)
  const subscriptionDetail =
    device === undefined
      ? {}
      : spec.identifier === 'device'
        ? { device }
        : device.phoneNumber === undefined
          ? {}
          : { phoneNumber: device.phoneNumber }
  const credential = options.sinkCredential
  const body = {
    protocol: 'HTTP',
    sink: String(options.sink),
    ...(credential === undefined
      ? {}
      : {
          sinkCredential: {
            credentialType: 'ACCESSTOKEN',
            accessToken: credential.accessToken,
            accessTokenExpiresUtc: isoOf(
              credential.accessTokenExpiresUtc,
              'sinkCredential.accessTokenExpiresUtc',
            ),
            accessTokenType: 'bearer',
          },
        }),
    types: [eventType(api, options.type)],
    config: {
      subscriptionDetail,
      ...(options.expiresAt === undefined
        ? {}
        : { subscriptionExpireTime: isoOf(options.expiresAt, 'expiresAt') }),
      ...(options.maxEvents === undefined ? {} : { subscriptionMaxEvents: options.maxEvents }),
      ...(options.initialEvent === undefined ? {} : { initialEvent: options.initialEvent }),
    },
  }
  const { body: created, correlator } = await requestApi(
    session.withScopes(subscriptionScopes(api, options.type)),
    { method: 'POST', path: subscriptionsPath(api), body, idempotent: false },
    call,
  )
  return subscriptionOf<TType>(api, created, correlator)
}

/**
 * `GET /<api>/<version>/subscriptions`: the app's active subscriptions (three-legged: the
 * subscriber's only).
 *
 * @param session - the authorized session (a token with `<api>:read` is obtained)
 * @param api - the subscription API
 * @param call - signal, timeout, correlator
 * @returns the subscriptions
 */
export async function listSubscriptions<TType extends string>(
  session: Session,
  api: SubscriptionApiName,
  call?: CallOptions,
): Promise<Subscription<TType>[]> {
  const { body, correlator } = await requestApi(
    session.withScopes(subscriptionScopes(api)),
    { method: 'GET', path: subscriptionsPath(api), idempotent: true },
    call,
  )
  return (Array.isArray(body) ? body : []).map((s) => subscriptionOf<TType>(api, s, correlator))
}

/**
 * `GET /<api>/<version>/subscriptions/{id}`.
 *
 * @param session - the authorized session (a token with `<api>:read` is obtained)
 * @param api - the subscription API
 * @param id - the subscription id
 * @param call - signal, timeout, correlator
 * @returns the subscription
 * @throws {@link ApiError} `NOT_FOUND` when it does not exist, ended, or is another app's
 */
export async function getSubscription<TType extends string>(
  session: Session,
  api: SubscriptionApiName,
  id: string,
  call?: CallOptions,
): Promise<Subscription<TType>> {
  const { body, correlator } = await requestApi(
    session.withScopes(subscriptionScopes(api)),
    {
      method: 'GET',
      path: `${subscriptionsPath(api)}/${encodeURIComponent(id)}`,
      idempotent: true,
    },
    call,
  )
  return subscriptionOf<TType>(api, body, correlator)
}

/**
 * `DELETE /<api>/<version>/subscriptions/{id}`: ends it; the sink receives `subscription-ended`
 * with `SUBSCRIPTION_DELETED`. Safe to resend: resent after a network failure or a timeout, and a
 * `404` on such a retry counts as success (the attempt that got no answer deleted it). A delete
 * sent anew by the caller answers `NOT_FOUND`.
 *
 * @param session - the authorized session (a token with `<api>:delete` is obtained)
 * @param api - the subscription API
 * @param id - the subscription id
 * @param call - signal, timeout, correlator
 * @throws {@link ApiError} `NOT_FOUND` when it does not exist, ended, or is another app's
 */
export async function deleteSubscription(
  session: Session,
  api: SubscriptionApiName,
  id: string,
  call?: CallOptions,
): Promise<void> {
  await requestApi(
    session.withScopes(subscriptionScopes(api)),
    {
      method: 'DELETE',
      path: `${subscriptionsPath(api)}/${encodeURIComponent(id)}`,
      idempotent: true,
      goneIsDone: true,
    },
    call,
  )
}
