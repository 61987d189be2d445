import {
  CONNECTED_NETWORK_TYPES,
  EVENT_APIS,
  type ConnectedNetworkType,
  type EventApiName as NotificationApi,
  type InitiationReason,
  type TerminationReason,
  type UpdateReason,
} from '@device-status/contract'
import type { Device } from './apis/types.js'
import { NotificationError } from './errors.js'

export type { InitiationReason, TerminationReason, UpdateReason } from '@device-status/contract'

/** A CloudEvents 1.0 event in structured JSON mode, as CAMARA notifications carry them. */
export interface CloudEvent {
  /** Unique per event; the same on every delivery attempt of one event (deduplicate on it). */
  id: string
  /** URI of the API that sent it. */
  source: string
  /** `org.camaraproject.<api>.v0.<event>`. */
  type: string
  /** `1.0`. */
  specversion: '1.0'
  /** `application/json`, when present. */
  datacontenttype?: string
  /** RFC 3339 date-time of the occurrence. */
  time: string
  /** The event data; always with `subscriptionId`. */
  data: Record<string, unknown>
}

// The APIs whose notifications parseNotification accepts: the contract's event APIs.
export type { NotificationApi }

/** What every notification carries. */
export interface NotificationBase<TApi extends NotificationApi> {
  /** The API that sent it. */
  api: TApi
  /** The CloudEvent `id`: the same on every delivery attempt (delivery is at least once). */
  id: string
  /** The CloudEvent `source`. */
  source: string
  /** When it happened (CloudEvent `time`). */
  time: Date
  /** The subscription it belongs to. */
  subscriptionId: string
  /** The device, for two-legged subscriptions (and every legacy device-status event). */
  device?: Device
  /** The CloudEvent as received. */
  cloudEvent: CloudEvent
}

/** `roaming-status`: roaming started or stopped. */
export interface RoamingStatusNotification extends NotificationBase<
  'device-roaming-status-subscriptions' | 'device-status'
> {
  /** The event type, short name. */
  type: 'roaming-status'
  /** True when roaming. */
  roaming: boolean
  /** Mobile country code of the visited network, when roaming. */
  countryCode?: number
  /** ISO 3166-1 alpha-2 codes of the visited country, when roaming. */
  countryNames?: string[]
}

/** `roaming-on` or `roaming-off`. */
export interface RoamingOnOffNotification extends NotificationBase<
  'device-roaming-status-subscriptions' | 'device-status'
> {
  /** The event type, short name. */
  type: 'roaming-on' | 'roaming-off'
}

/** `roaming-change-country`: roaming, now in another country. */
export interface RoamingChangeCountryNotification extends NotificationBase<
  'device-roaming-status-subscriptions' | 'device-status'
> {
  /** The event type, short name. */
  type: 'roaming-change-country'
  /** Mobile country code of the new visited network. */
  countryCode?: number
  /** ISO 3166-1 alpha-2 codes of the new visited country. */
  countryNames?: string[]
}

/** `reachability-data`, `reachability-sms` or `reachability-disconnected`. */
export interface ReachabilityNotification extends NotificationBase<'device-reachability-status-subscriptions'> {
  /** The event type, short name. */
  type: 'reachability-data' | 'reachability-sms' | 'reachability-disconnected'
}

/** Legacy device-status v0.5.1 `connectivity-data`, `connectivity-sms`, `connectivity-disconnected`. */
export interface ConnectivityNotification extends NotificationBase<'device-status'> {
  /** The event type, short name. */
  type: 'connectivity-data' | 'connectivity-sms' | 'connectivity-disconnected'
}

/** `network-type-changed`. */
export interface NetworkTypeChangedNotification extends NotificationBase<'connected-network-type-subscriptions'> {
  /** The event type, short name. */
  type: 'network-type-changed'
  /** The new network type (`UNKNOWN` off the network). */
  connectedNetworkType: ConnectedNetworkType
}

/** `swapped`: the SIM was swapped; `time` is the time of the swap. */
export interface SimSwappedNotification extends NotificationBase<'sim-swap-subscriptions'> {
  /** The event type, short name. */
  type: 'swapped'
  /** The line, for two-legged subscriptions. */
  phoneNumber?: string
}

/** `subscription-ended`: no more events will come for this subscription. */
export interface SubscriptionEndedNotification extends NotificationBase<
  Exclude<NotificationApi, 'device-status'>
> {
  /** The event type, short name. */
  type: 'subscription-ended'
  /** Why it ended. */
  terminationReason: TerminationReason
  /** A human-readable explanation, when given. */
  terminationDescription?: string
}

/**
 * `subscription-started`: the subscription is active. This gateway sends it at creation, before
 * any other event of the subscription; one that creates subscriptions asynchronously (`202`,
 * status `ACTIVATION_REQUESTED`) sends it once the subscription is active.
 */
export interface SubscriptionStartedNotification extends NotificationBase<
  Exclude<NotificationApi, 'device-status'>
> {
  /** The event type, short name. */
  type: 'subscription-started'
  /** Why it started: `SUBSCRIPTION_CREATED`. */
  initiationReason: InitiationReason
  /** A human-readable explanation, when given. */
  initiationDescription?: string
}

/**
 * `subscription-updated`: the gateway moved the subscription to `INACTIVE` (its service no longer
 * applies to the device; no events meanwhile) or back to `ACTIVE`.
 */
export interface SubscriptionUpdatedNotification extends NotificationBase<
  Exclude<NotificationApi, 'device-status'>
> {
  /** The event type, short name. */
  type: 'subscription-updated'
  /** `SUBSCRIPTION_ACTIVE` or `SUBSCRIPTION_INACTIVE`. */
  updateReason: UpdateReason
  /** A human-readable explanation, when given. */
  updateDescription?: string
}

/** Legacy device-status v0.5.1 `subscription-ends`. */
export interface SubscriptionEndsNotification extends NotificationBase<'device-status'> {
  /** The event type, short name. */
  type: 'subscription-ends'
  /** `SUBSCRIPTION_EXPIRED` or `NETWORK_TERMINATED`. */
  terminationReason: TerminationReason
}

/** A validated notification; switch on `type` (and `api` where two APIs share one). */
export type Notification =
  | RoamingStatusNotification
  | RoamingOnOffNotification
  | RoamingChangeCountryNotification
  | ReachabilityNotification
  | ConnectivityNotification
  | NetworkTypeChangedNotification
  | SimSwappedNotification
  | SubscriptionStartedNotification
  | SubscriptionUpdatedNotification
  | SubscriptionEndedNotification
  | SubscriptionEndsNotification

/** Short event type of a {@link Notification}. */
export type NotificationType = Notification['type']

/** Options of {@link parseNotification}. */
export interface ParseNotificationOptions {
  /**
   * The `sinkCredential.accessToken` the subscription was created with: the request must carry
   * `Authorization: Bearer <expectedToken>`. Leave it out only when the sink checks it elsewhere.
   */
  expectedToken?: string
}

// RFC 3339 §5.6 date-time (T, Z case-insensitive), as CloudEvents `time` requires.
const RFC3339 =
  /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?(?:[Zz]|[+-](\d{2}):(\d{2}))$/

/** An RFC 3339 date-time whose calendar fields exist (no February 30th, no hour 24). */
function isDateTime(value: string): boolean {
  const m = RFC3339.exec(value)
  if (m === null) return false
  const [year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0] = m.slice(1, 7).map(Number)
  const date = new Date(Date.UTC(year, month - 1, day, hour, minute, second))
  date.setUTCFullYear(year) // Date.UTC maps years 0-99 to 1900-1999
  const roundTrips =
    date.getUTCFullYear() === year &&
    date.getUTCMonth() === month - 1 &&
    date.getUTCDate() === day &&
    date.getUTCHours() === hour &&
    date.getUTCMinutes() === minute &&
    date.getUTCSeconds() === second
  const offsetValid = m[8] === undefined || (Number(m[8]) <= 23 && Number(m[9]) <= 59)
  return roundTrips && offsetValid && !Number.isNaN(Date.parse(value))
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v)

function invalid(message: string): NotificationError {
  return new NotificationError('INVALID_NOTIFICATION', message)
}

function header(
  headers: Headers | Record<string, string | string[] | undefined> | undefined,
  name: string,
): string | undefined {
  if (headers === undefined) return undefined
  if (headers instanceof Headers) return headers.get(name) ?? undefined
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() !== name) continue
    return Array.isArray(value) ? value.join(', ') : value
  }
  return undefined
}

/** Compares without an early exit on the first differing character (no timing hint). */
function sameToken(a: string, b: string): boolean {
  let diff = a.length ^ b.length
  for (let i = 0; i < Math.max(a.length, b.length); i++)
    diff |= (a.charCodeAt(i) || 0) ^ (b.charCodeAt(i) || 0)
  return diff === 0
}

function mediaType(value: string): string {
  return (value.split(';')[0] ?? '').trim().toLowerCase()
}

/** A required non-empty string reason and its optional description, e.g. `terminationReason`. */
function reasonOf(
  data: Record<string, unknown>,
  reason: string,
  description: string,
): { reason: string; description?: string } {
  const value = data[reason]
  const text = data[description]
  if (typeof value !== 'string' || value === '') throw invalid(`data.${reason} must be a string`)
  if (text !== undefined && typeof text !== 'string')
    throw invalid(`data.${description} must be a string`)
  return text === undefined ? { reason: value } : { reason: value, description: text }
}

function optionalNumber(data: Record<string, unknown>, name: string): { countryCode?: number } {
  const value = data[name]
  if (value === undefined) return {}
  if (typeof value !== 'number' || !Number.isInteger(value))
    throw invalid(`data.${name} must be an integer`)
  return { countryCode: value }
}

function optionalCountryNames(data: Record<string, unknown>): { countryNames?: string[] } {
  const value = data['countryName']
  if (value === undefined) return {}
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string'))
    throw invalid('data.countryName must be an array of strings')
  return { countryNames: value }
}

/**
 * Validates a notification a sink received and returns it typed: a CloudEvents 1.0 event in
 * structured mode as CAMARA sends them (`specversion` `1.0`, `id`, `source`, a known
 * `org.camaraproject.<api>.v0.<event>` type of the four subscription APIs or of the legacy
 * device-status v0.5.1, an RFC 3339 `time`, `datacontenttype` `application/json` when present,
 * `data.subscriptionId`), and, with `expectedToken`, the `Authorization: Bearer` header.
 * No Node-only API: works in any runtime with `Headers`.
 *
 * Delivery is at least once: deduplicate on `id`. Answer the gateway with a 2xx once the event
 * is stored; a 4xx or 5xx makes it retry.
 *
 * @param body - the request body, parsed (`await request.json()`) or as text
 * @param headers - the request headers (`Request.headers`, or Node's `req.headers`)
 * @param options - `expectedToken`: the sink credential of the subscription
 * @returns the notification, discriminated by `type`
 * @throws {@link NotificationError} `INVALID_NOTIFICATION` (answer 400) or
 *   `UNAUTHORIZED_NOTIFICATION` (answer 401)
 * @see {@link https://github.com/camaraproject/Commonalities | CAMARA Event Subscription and Notification Guide}
 * @example
 * ```ts
 * const event = parseNotification(await request.json(), request.headers, { expectedToken })
 * if (event.type === 'roaming-on') console.log(event.device?.phoneNumber, event.time)
 * ```
 */
export function parseNotification(
  body: unknown,
  headers?: Headers | Record<string, string | string[] | undefined>,
  options: ParseNotificationOptions = {},
): Notification {
  if (options.expectedToken !== undefined) checkBearer(headers, options.expectedToken)
  return notificationOf(readEnvelope(body, headers))
}

/** The sink credential the subscription registered must come back as the bearer token. */
function checkBearer(
  headers: Headers | Record<string, string | string[] | undefined> | undefined,
  expectedToken: string,
): void {
  const authorization = header(headers, 'authorization') ?? ''
  const match = /^Bearer +(\S+)\s*$/i.exec(authorization)
  if (match?.[1] === undefined || !sameToken(match[1], expectedToken))
    throw new NotificationError(
      'UNAUTHORIZED_NOTIFICATION',
      authorization === ''
        ? 'the notification carries no Authorization header'
        : 'the notification carries another bearer token than the subscription registered',
    )
}

/** A CAMARA notification's CloudEvent envelope, checked: its API, short type, data and common fields. */
interface Envelope {
  api: NotificationApi
  short: string
  type: string
  data: Record<string, unknown>
  base: {
    id: string
    source: string
    time: Date
    subscriptionId: string
    device?: Device
    cloudEvent: CloudEvent
  }
}

/** Reads a structured-mode CloudEvent and checks what every CAMARA notification carries. */
function readEnvelope(
  body: unknown,
  headers: Headers | Record<string, string | string[] | undefined> | undefined,
): Envelope {
  const contentType = header(headers, 'content-type')
  if (
    contentType !== undefined &&
    !['application/cloudevents+json', 'application/json'].includes(mediaType(contentType))
  )
    throw invalid(`content-type ${contentType} is not a structured-mode CloudEvent`)

  let event: unknown = body
  if (typeof body === 'string') {
    try {
      event = JSON.parse(body)
    } catch {
      throw invalid('the body is not JSON')
    }
  }
  if (!isRecord(event)) throw invalid('the body is not a JSON object')
  const { specversion, id, source, type, time, datacontenttype, data } = event
  if (specversion !== '1.0') throw invalid(`specversion must be "1.0"`)
  if (typeof id !== 'string' || id === '') throw invalid('id must be a non-empty string')
  if (typeof source !== 'string' || source === '')
    throw invalid('source must be a non-empty string')
  if (typeof type !== 'string') throw invalid('type must be a string')
  const parts = /^org\.camaraproject\.([a-z-]+)\.v0\.([a-z-]+)$/.exec(type)
  const api = parts?.[1] as NotificationApi | undefined
  const short = parts?.[2]
  if (
    api === undefined ||
    short === undefined ||
    !Object.hasOwn(EVENT_APIS, api) ||
    !(EVENT_APIS[api].notificationTypes as readonly string[]).includes(short)
  )
    throw invalid(`unknown event type ${type}`)
  if (typeof time !== 'string' || !isDateTime(time))
    throw invalid('time must be an RFC 3339 date-time')
  if (
    datacontenttype !== undefined &&
    (typeof datacontenttype !== 'string' || mediaType(datacontenttype) !== 'application/json')
  )
    throw invalid('datacontenttype must be application/json')
  if (!isRecord(data)) throw invalid('data must be an object')
  const { subscriptionId, device } = data
  if (typeof subscriptionId !== 'string' || subscriptionId === '')
    throw invalid('data.subscriptionId must be a non-empty string')
  if (device !== undefined && !isRecord(device)) throw invalid('data.device must be an object')

  const base = {
    id,
    source,
    time: new Date(time),
    subscriptionId,
    ...(device === undefined ? {} : { device: device as Device }),
    cloudEvent: event as unknown as CloudEvent,
  }
  return { api, short, type, data, base }
}

/** The typed notification of an envelope: a state change, or a subscription's lifecycle. */
function notificationOf({ api, short, type, data, base }: Envelope): Notification {
  const roamingApi = api as 'device-roaming-status-subscriptions' | 'device-status'
  switch (short) {
    case 'roaming-status':
      if (typeof data['roaming'] !== 'boolean') throw invalid('data.roaming must be a boolean')
      return {
        type: short,
        api: roamingApi,
        ...base,
        roaming: data['roaming'],
        ...optionalNumber(data, 'countryCode'),
        ...optionalCountryNames(data),
      }
    case 'roaming-on':
    case 'roaming-off':
      return { type: short, api: roamingApi, ...base }
    case 'roaming-change-country':
      return {
        type: short,
        api: roamingApi,
        ...base,
        ...optionalNumber(data, 'countryCode'),
        ...optionalCountryNames(data),
      }
    case 'reachability-data':
    case 'reachability-sms':
    case 'reachability-disconnected':
      return { type: short, api: 'device-reachability-status-subscriptions', ...base }
    case 'connectivity-data':
    case 'connectivity-sms':
    case 'connectivity-disconnected':
      return { type: short, api: 'device-status', ...base }
    case 'network-type-changed': {
      const networkType = data['connectedNetworkType']
      if (!(CONNECTED_NETWORK_TYPES as readonly unknown[]).includes(networkType))
        throw invalid(
          `data.connectedNetworkType must be ${CONNECTED_NETWORK_TYPES.slice(0, -1).join(', ')} or ${CONNECTED_NETWORK_TYPES.slice(-1).join('')}`,
        )
      return {
        type: short,
        api: 'connected-network-type-subscriptions',
        ...base,
        connectedNetworkType: networkType as ConnectedNetworkType,
      }
    }
    case 'swapped': {
      const phoneNumber = data['phoneNumber']
      if (phoneNumber !== undefined && typeof phoneNumber !== 'string')
        throw invalid('data.phoneNumber must be a string')
      return {
        type: short,
        api: 'sim-swap-subscriptions',
        ...base,
        ...(phoneNumber === undefined ? {} : { phoneNumber }),
      }
    }
    case 'subscription-started':
    case 'subscription-updated':
    case 'subscription-ended':
    case 'subscription-ends':
      return lifecycleNotification({ api, short, type, data, base })
    default:
      throw invalid(`unknown event type ${type}`)
  }
}

/** `subscription-started`, `-updated`, `-ended` (and the legacy `subscription-ends`), with their reasons. */
function lifecycleNotification({ api, short, type, data, base }: Envelope): Notification {
  switch (short) {
    case 'subscription-started': {
      const { reason, description } = reasonOf(data, 'initiationReason', 'initiationDescription')
      return {
        type: short,
        api: api as SubscriptionStartedNotification['api'],
        ...base,
        initiationReason: reason as InitiationReason,
        ...(description === undefined ? {} : { initiationDescription: description }),
      }
    }
    case 'subscription-updated': {
      const { reason, description } = reasonOf(data, 'updateReason', 'updateDescription')
      return {
        type: short,
        api: api as SubscriptionUpdatedNotification['api'],
        ...base,
        updateReason: reason as UpdateReason,
        ...(description === undefined ? {} : { updateDescription: description }),
      }
    }
    case 'subscription-ended':
    case 'subscription-ends': {
      const { reason, description } = reasonOf(data, 'terminationReason', 'terminationDescription')
      if (short === 'subscription-ends')
        return {
          type: short,
          api: 'device-status',
          ...base,
          terminationReason: reason as TerminationReason,
        }
      return {
        type: short,
        api: api as SubscriptionEndedNotification['api'],
        ...base,
        terminationReason: reason as TerminationReason,
        ...(description === undefined ? {} : { terminationDescription: description }),
      }
    }
    default:
      throw invalid(`unknown event type ${type}`)
  }
}
