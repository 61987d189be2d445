import type { ConnectedNetworkType } from '@device-status/contract'

/**
 * A device as the CAMARA APIs identify it (two-legged calls). Give one or more identifiers of
 * the same device.
 */
export interface Device {
  /** E.164 with a leading `+`, e.g. `+34600000002`. */
  phoneNumber?: string
  /** Network access identifier, e.g. `123456789@example.net`. */
  networkAccessIdentifier?: string
  /** Public IPv4 address with the private address or the public port. */
  ipv4Address?: {
    /** The public (NAT) IPv4 address. */
    publicAddress: string
    /** The private IPv4 address behind the NAT. */
    privateAddress?: string
    /** The public port the device's traffic leaves from. */
    publicPort?: number
  }
  /** IPv6 address. */
  ipv6Address?: string
}

/** Roaming status (device-roaming-status v1). */
export interface RoamingStatus {
  /** True when the device is roaming. */
  roaming: boolean
  /** Mobile country code of the visited network, when roaming. */
  countryCode?: number
  /** ISO 3166-1 alpha-2 codes of the visited country or countries (one MCC may map to several or none). */
  countryNames: string[]
  /** When the status was last updated. */
  lastStatusTime: Date
  /** The device the gateway answered for, when it echoed one. */
  device?: Device
  /** The call's `x-correlator`. */
  correlator: string
}

/** Reachability status (device-reachability-status v1). */
export interface ReachabilityStatus {
  /** True when the device is reachable for data or SMS. */
  reachable: boolean
  /** How: `DATA`, `SMS`, both, or none. */
  connectivity: ('DATA' | 'SMS')[]
  /** When the status was last updated. */
  lastStatusTime: Date
  /** The device the gateway answered for, when it echoed one. */
  device?: Device
  /** The call's `x-correlator`. */
  correlator: string
}

/** Network type the device is connected to (connected-network-type v0.2). */
export interface ConnectedNetworkTypeStatus {
  /** `2G`, `3G`, `4G`, `5G` or `UNKNOWN`. */
  connectedNetworkType: ConnectedNetworkType
  /** When the status was last updated. */
  lastStatusTime: Date
  /** The device the gateway answered for, when it echoed one. */
  device?: Device
  /** The call's `x-correlator`. */
  correlator: string
}

/** Latest SIM change (sim-swap v2 `retrieve-date`). */
export interface SimSwapDate {
  /** Latest SIM swap, or activation when there was no swap; `null` when the operator cannot say. */
  latestSimChange: Date | null
  /** Days the operator monitors, when it says. */
  monitoredPeriod?: number
  /** The call's `x-correlator`. */
  correlator: string
}

/** Result of a SIM swap check (sim-swap v2 `check`). */
export interface SimSwapCheck {
  /** True when the SIM was swapped within `maxAge` hours. */
  swapped: boolean
  /** The call's `x-correlator`. */
  correlator: string
}

/** Roaming status of the legacy device-status v0 API (`POST /roaming`). */
export interface LegacyRoamingStatus {
  /** True when the device is roaming. */
  roaming: boolean
  /** Mobile country code of the visited network, when roaming. */
  countryCode?: number
  /** ISO 3166-1 alpha-2 codes of the visited country or countries. */
  countryNames: string[]
  /** The call's `x-correlator`. */
  correlator: string
}

/** Connectivity status of the legacy device-status v0 API (`POST /connectivity`). */
export interface LegacyConnectivityStatus {
  /** `CONNECTED_DATA`, `CONNECTED_SMS` or `NOT_CONNECTED`. */
  connectivityStatus: 'CONNECTED_DATA' | 'CONNECTED_SMS' | 'NOT_CONNECTED'
  /** The call's `x-correlator`. */
  correlator: string
}
