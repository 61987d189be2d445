// The value lists are the admin API's contract (its device-state schema), shared with the CLI.
export {
  CONNECTIVITY_TYPES,
  DEVICE_APIS,
  NETWORK_TYPES,
  type ConnectivityType,
  type DeviceApi,
  type NetworkType,
} from '@device-status/contract'
import type { ConnectivityType, DeviceApi, NetworkType } from '@device-status/contract'

export interface Ipv4Identity {
  publicAddress: string
  privateAddress: string | null
  publicPort: number | null
}

/** Who a device is, as the network identifies it: the identifiers a request or a login hint can name. */
export interface DeviceIdentity {
  /** The network port's own id of the device (a three-legged token's subject resolves to it). */
  id: string
  phoneNumber: string
  networkAccessIdentifier: string | null
  ipv4Address: Ipv4Identity | null
  ipv6Address: string | null
}

/** When each fact of a device last changed, as the network reports it. */
export interface StatusTimes {
  roaming: string
  connectivity: string
  networkType: string
}

/** What the network knows of a device: its identity, its facts, and when each fact last changed. */
export interface DeviceFacts extends DeviceIdentity {
  /** Visited country's MCC while roaming; `null` at home. */
  roamingCountryCode: number | null
  connectivity: ConnectivityType[]
  networkType: NetworkType | null
  simSwappedAt: string | null
  /** `null`: the number has no SIM. */
  simActivatedAt: string | null
  statusTime: StatusTimes
}

/**
 * The technology a device is connected to the mobile network with: its `networkType` while it is
 * reachable, `null` when it is not connected (connectivity `[]`) or on no mobile network. What
 * connected-network-type answers (`null` is `UNKNOWN`, test `connected_network_type_02`) and what
 * its `network-type` events and status time follow.
 */
export function connectedNetworkType(
  device: Pick<DeviceFacts, 'connectivity' | 'networkType'>,
): NetworkType | null {
  return device.connectivity.length === 0 ? null : device.networkType
}

/** How an API request or a login hint points at a device. */
export type DeviceSelector =
  | { kind: 'phoneNumber'; phoneNumber: string }
  | { kind: 'networkAccessIdentifier'; networkAccessIdentifier: string }
  | { kind: 'ipv4Address'; publicAddress: string; privateAddress?: string; publicPort?: number }
  | { kind: 'ipv6Address'; ipv6Address: string }

/**
 * A network change of one device, as stored and later turned into notifications. `applicability`:
 * the APIs whose service does not apply to the device (`notApplicable`) changed.
 */
export type NetworkEventType =
  | 'device-added'
  | 'device-removed'
  | 'applicability'
  | 'roaming'
  | 'connectivity'
  | 'network-type'
  | 'sim-swap'

/** The state a network event carries: facts, and which APIs' services do not apply to the device. */
export type EventState = Partial<DeviceFacts> & { notApplicable?: DeviceApi[] }

export interface NetworkEvent {
  id: string
  deviceId: string
  phoneNumber: string
  type: NetworkEventType
  before: EventState | null
  after: EventState | null
  occurredAt: string
}
