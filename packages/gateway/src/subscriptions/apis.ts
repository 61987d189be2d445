import type { CamaraCode } from '../core/camara-error.js'
import {
  connectedNetworkType,
  type DeviceApi,
  type DeviceFacts,
  type NetworkEvent,
} from '../core/device.js'
import { countryNamesForMcc } from '../core/mcc.js'
import {
  CAMARA_APIS,
  EVENT_APIS,
  type EventApiName,
  type TerminationReason,
} from '@device-status/contract'

/** Event data before `subscriptionId` and `device` are added. */
export type EventData = Record<string, unknown>

/** One subscription API of the family, as its spec file defines it. */
export interface SubscriptionApi {
  name: EventApiName
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
  endReasons?: readonly TerminationReason[]
  /** Legacy v0.5.1: every event carries `device`, three-legged subscriptions included. */
  alwaysDevice?: boolean
  /** The events one network change makes for a subscribed type. */
  eventsFor(type: string, event: NetworkEvent): { data: EventData; time?: string }[]
  /** The event `initialEvent: true` sends at creation, when the current state matches. */
  initialEvent(type: string, device: DeviceFacts): EventData | undefined
}

/** What the spec file says of an API (from the contract): name, file, prefix, types, identifier. */
function fromSpec(name: EventApiName) {
  const { prefix, subscriptionTypes, identifier } = EVENT_APIS[name]
  return { name, file: CAMARA_APIS[name].file, prefix, types: subscriptionTypes, identifier }
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
  ...fromSpec('device-roaming-status-subscriptions'),
  serviceApi: 'device-roaming-status',
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
  ...fromSpec('device-reachability-status-subscriptions'),
  serviceApi: 'device-reachability-status',
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
  ...fromSpec('connected-network-type-subscriptions'),
  serviceApi: 'connected-network-type',
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
  ...fromSpec('sim-swap-subscriptions'),
  serviceApi: 'sim-swap',
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
  ...fromSpec('device-status'),
  serviceApi: 'device-status',
  sinkCode: 'INVALID_ARGUMENT',
  multiEventCode: 'INVALID_ARGUMENT',
  supportsInitialEvent: false,
  lifecycleEvents: false,
  notApplicableCode: 'SERVICE_NOT_APPLICABLE',
  endEvent: 'subscription-ends',
  endReasons: EVENT_APIS['device-status'].terminationReasons,
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

/**
 * Whether the simulator marks a subscription API's service as not applicable: by the name of the
 * API it watches (`device-roaming-status`) or by its own (`device-roaming-status-subscriptions`).
 */
export function serviceNotApplicable(
  api: SubscriptionApi,
  notApplicable: readonly string[],
): boolean {
  return notApplicable.includes(api.serviceApi) || notApplicable.includes(api.name)
}
