import type { components as ConnectedNetworkTypeComponents } from './generated/connected-network-type.js'
import type { components as DeviceReachabilityStatus } from './generated/device-reachability-status.js'
import type { components as DeviceRoamingStatus } from './generated/device-roaming-status.js'

/** The spec's types of each API (openapi-typescript): `paths`, `operations`, `components`. */
export type * as ConnectedNetworkTypeSpec from './generated/connected-network-type.js'
export type * as ConnectedNetworkTypeSubscriptionsSpec from './generated/connected-network-type-subscriptions.js'
export type * as DeviceReachabilityStatusSpec from './generated/device-reachability-status.js'
export type * as DeviceReachabilityStatusSubscriptionsSpec from './generated/device-reachability-status-subscriptions.js'
export type * as DeviceRoamingStatusSpec from './generated/device-roaming-status.js'
export type * as DeviceRoamingStatusSubscriptionsSpec from './generated/device-roaming-status-subscriptions.js'
export type * as DeviceStatusSpec from './generated/device-status.js'
export type * as SimSwapSpec from './generated/sim-swap.js'
export type * as SimSwapSubscriptionsSpec from './generated/sim-swap-subscriptions.js'

/** `RoamingStatusResponse` of device-roaming-status 1.1.0. */
export type RoamingStatusResponse = DeviceRoamingStatus['schemas']['RoamingStatusResponse']
/** `ReachabilityStatusResponse` of device-reachability-status 1.1.0. */
export type ReachabilityStatusResponse =
  DeviceReachabilityStatus['schemas']['ReachabilityStatusResponse']
/** `ConnectedNetworkTypeResponse` of connected-network-type 0.2.0. */
export type ConnectedNetworkTypeResponse =
  ConnectedNetworkTypeComponents['schemas']['ConnectedNetworkTypeResponse']
