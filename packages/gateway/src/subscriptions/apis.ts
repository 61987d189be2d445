import type { CamaraCode } from '../core/camara-error.js'
import {
  connectedNetworkType,
  type DeviceApi,
  type DeviceFacts,
  type NetworkEvent,
} from '../core/device.js'
import { countryNamesForMcc } from '../core/mcc.js'

/** Event data before `subscriptionId` and `device` are added. */
export type EventData = Record<string, unknown>

/** One subscription API of the family, as its spec file defines it. */
export interface SubscriptionApi {
  name: string
  file: string
  /** The retrieve API whose `notApplicable` switch also covers this one. */
  serviceApi: DeviceApi
  /** Event type prefix, e.g. `org.camaraproject.device-roaming-status-subscriptions.v0.`. */
  prefix: string
  /** Subscribable event types (short names). */
  types: readonly string[]
  /** How the request names the subscriber: a `device` object, or a `phoneNumber` (SIM swap). */
  identifier: 'device' | 'phoneNumber'
  /** Code for a bad `sink`: INVALID_SINK where the spec declares it. */
  sinkCode: CamaraCode
  /** Code for `types` with more than one item (schema maxItems 1). */
  multiEventCode: CamaraCode
  supportsInitialEvent: boolean
  /**
   * Sends `subscription-started` at creation, and `subscription-updated` when the subscription
   * goes INACTIVE (its service stops applying to the device) or ACTIVE again. The legacy v0.5.1
   * API has neither event.
   */
  lifecycleEvents: boolean
  /** Code of a create for a device the service does not apply to. */
  notApplicableCode: CamaraCode
  /** The lifecycle event that tells a sink its subscription ended. */
  endEvent: 'subscription-ended' | 'subscription-ends'
  /** Reasons the end event may carry; other endings are silent (legacy v0.5.1 knows two). */
  endReasons?: readonly string[]
  /** Legacy v0.5.1: every event carries `device`, three-legged subscriptions included. */
  alwaysDevice?: boolean
  /** The events one network change makes for a subscribed type. */
  eventsFor(type: string, event: NetworkEvent): { data: EventData; time?: string }[]
  /** The event `initialEvent: true` sends at creation, when the current state matches. */
  initialEvent(type: string, device: DeviceFacts): EventData | undefined
}

const country = (mcc: number) => ({ countryCode: mcc, countryName: countryNamesForMcc(mcc) })

/** `data`, `sms` (SMS only) or `disconnected`, as the reachability events classify a device. */
function reachabilityClass(
  connectivity: readonly string[] | undefined,
): 'data' | 'sms' | 'disconnected' {
  if (connectivity?.includes('DATA') === true) return 'data'
  if (connectivity?.includes('SMS') === true) return 'sms'
  return 'disconnected'
}

const roaming: SubscriptionApi = {
  name: 'device-roaming-status-subscriptions',
  file: 'device-roaming-status-subscriptions-v0.8.0.yaml',
  serviceApi: 'device-roaming-status',
  prefix: 'org.camaraproject.device-roaming-status-subscriptions.v0.',
  types: ['roaming-status', 'roaming-on', 'roaming-off', 'roaming-change-country'],
  identifier: 'device',
  sinkCode: 'INVALID_SINK',
  multiEventCode: 'MULTIEVENT_SUBSCRIPTION_NOT_SUPPORTED',
  supportsInitialEvent: true,
  lifecycleEvents: true,
  notApplicableCode: 'SERVICE_NOT_APPLICABLE',
  endEvent: 'subscription-ended',
  eventsFor(type, event) {
    if (event.type !== 'roaming') return []
    const before = event.before?.roamingCountryCode ?? null
    const after = event.after?.roamingCountryCode ?? null
    const switched = (before === null) !== (after === null)
    switch (type) {
      case 'roaming-status':
        return switched
          ? [{ data: { roaming: after !== null, ...(after === null ? {} : country(after)) } }]
          : []
      case 'roaming-on':
        return before === null && after !== null ? [{ data: {} }] : []
      case 'roaming-off':
        return before !== null && after === null ? [{ data: {} }] : []
      case 'roaming-change-country':
        return before !== null && after !== null && before !== after
          ? [{ data: country(after) }]
          : []
      default:
        return []
    }
  },
  initialEvent(type, device) {
    const mcc = device.roamingCountryCode
    if (type === 'roaming-status')
      return { roaming: mcc !== null, ...(mcc === null ? {} : country(mcc)) }
    if (type === 'roaming-on') return mcc !== null ? {} : undefined
    if (type === 'roaming-off') return mcc === null ? {} : undefined
    return undefined
  },
}

const reachability: SubscriptionApi = {
  name: 'device-reachability-status-subscriptions',
  file: 'device-reachability-status-subscriptions-v0.8.0.yaml',
  serviceApi: 'device-reachability-status',
  prefix: 'org.camaraproject.device-reachability-status-subscriptions.v0.',
  types: ['reachability-data', 'reachability-sms', 'reachability-disconnected'],
  identifier: 'device',
  sinkCode: 'INVALID_SINK',
  multiEventCode: 'MULTIEVENT_SUBSCRIPTION_NOT_SUPPORTED',
  supportsInitialEvent: true,
  lifecycleEvents: true,
  notApplicableCode: 'SERVICE_NOT_APPLICABLE',
  endEvent: 'subscription-ended',
  eventsFor(type, event) {
    if (event.type !== 'connectivity') return []
    const before = reachabilityClass(event.before?.connectivity)
    const after = reachabilityClass(event.after?.connectivity)
    return before !== after && type === `reachability-${after}` ? [{ data: {} }] : []
  },
  initialEvent(type, device) {
    return type === `reachability-${reachabilityClass(device.connectivity)}` ? {} : undefined
  },
}

const networkType: SubscriptionApi = {
  name: 'connected-network-type-subscriptions',
  file: 'connected-network-type-subscriptions-v0.2.0.yaml',
  serviceApi: 'connected-network-type',
  prefix: 'org.camaraproject.connected-network-type-subscriptions.v0.',
  types: ['network-type-changed'],
  identifier: 'device',
  sinkCode: 'INVALID_SINK',
  // CNT 0.2.0 declares no MULTIEVENT code: two types are a plain schema violation.
  multiEventCode: 'INVALID_ARGUMENT',
  supportsInitialEvent: true,
  lifecycleEvents: true,
  notApplicableCode: 'SERVICE_NOT_APPLICABLE',
  endEvent: 'subscription-ended',
  eventsFor(type, event) {
    if (event.type !== 'network-type' || type !== 'network-type-changed') return []
    return [{ data: { connectedNetworkType: event.after?.networkType ?? 'UNKNOWN' } }]
  },
  initialEvent(type, device) {
    return type === 'network-type-changed'
      ? { connectedNetworkType: connectedNetworkType(device) ?? 'UNKNOWN' }
      : undefined
  },
}

const simSwap: SubscriptionApi = {
  name: 'sim-swap-subscriptions',
  file: 'sim-swap-subscriptions-v0.3.0.yaml',
  serviceApi: 'sim-swap',
  prefix: 'org.camaraproject.sim-swap-subscriptions.v0.',
  types: ['swapped'],
  identifier: 'phoneNumber',
  // The sim-swap-subscriptions test definitions expect INVALID_ARGUMENT for a non-URL sink.
  sinkCode: 'INVALID_ARGUMENT',
  multiEventCode: 'INVALID_ARGUMENT',
  supportsInitialEvent: false,
  // The spec's event type enum has the template's `org.camaraproject.api-name.v0.` for started
  // and updated; its discriminator mapping, like ended, has this API's prefix (NOTES.md decision 5).
  lifecycleEvents: true,
  // Its test definitions (@sim_swap_subscription_creation_100_not_applicable) expect
  // UNSUPPORTED_IDENTIFIER where the spec declares SERVICE_NOT_APPLICABLE (NOTES.md rule 4).
  notApplicableCode: 'UNSUPPORTED_IDENTIFIER',
  endEvent: 'subscription-ended',
  eventsFor(type, event) {
    if (event.type !== 'sim-swap' || type !== 'swapped') return []
    // The CloudEvent time is the time of the swap.
    const at = event.after?.simSwappedAt
    return [{ data: {}, ...(typeof at === 'string' ? { time: at } : {}) }]
  },
  initialEvent: () => undefined,
}

/**
 * The legacy device-status v0.5.1 webhook subscriptions: roaming types as the roaming API,
 * `connectivity-data|sms|disconnected` as the reachability classes, `subscription-ends` only
 * for expiry and network termination.
 */
export const legacyDeviceStatus: SubscriptionApi = {
  name: 'device-status',
  file: 'device-status-v0.5.1.yaml',
  serviceApi: 'device-status',
  prefix: 'org.camaraproject.device-status.v0.',
  types: [
    'roaming-status',
    'roaming-on',
    'roaming-off',
    'roaming-change-country',
    'connectivity-data',
    'connectivity-sms',
    'connectivity-disconnected',
  ],
  identifier: 'device',
  sinkCode: 'INVALID_ARGUMENT',
  multiEventCode: 'INVALID_ARGUMENT',
  supportsInitialEvent: false,
  lifecycleEvents: false,
  notApplicableCode: 'SERVICE_NOT_APPLICABLE',
  endEvent: 'subscription-ends',
  endReasons: ['SUBSCRIPTION_EXPIRED', 'NETWORK_TERMINATED'],
  alwaysDevice: true,
  eventsFor(type, event) {
    if (type.startsWith('roaming')) return roaming.eventsFor(type, event)
    return reachability.eventsFor(type.replace('connectivity-', 'reachability-'), event)
  },
  initialEvent: () => undefined,
}

export const SUBSCRIPTION_APIS: readonly SubscriptionApi[] = [
  roaming,
  reachability,
  networkType,
  simSwap,
]

export function subscriptionApi(name: string): SubscriptionApi | undefined {
  return [...SUBSCRIPTION_APIS, legacyDeviceStatus].find((api) => api.name === name)
}

/** `<api>:<prefix><type>:create`, the per-type create scope (CAMARA ESG §4.1). */
export function createScope(api: SubscriptionApi, type: string): string {
  return `${api.name}:${api.prefix}${type}:create`
}
