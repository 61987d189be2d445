/**
 * The 3GPP Monitoring Event API (TS 29.122 clause 5.3, reused by TS 29.522 for 5G) as far as
 * this gateway speaks it: the wire shapes its NEF adapter sends and reads, and the simulator's NEF
 * server (`nef-sim`) reads and sends. The normative file is
 * `../shared/specs/3gpp/TS29122_MonitoringEvent.bundled.yaml`; only the members we use are typed
 * here, every one with the name, type and optionality the file gives it. The 3GPP enumerations
 * are extensible (`anyOf` the enum and any string), so a report may carry a value not listed.
 */

/** Path of the API under a NEF's apiRoot: `{apiRoot}/3gpp-monitoring-event/v1`. */
export const MONITORING_EVENT_BASE = '/3gpp-monitoring-event/v1'

/** `{apiRoot}/3gpp-monitoring-event/v1/{scsAsId}/subscriptions`. */
export function subscriptionsUrl(apiRoot: string, scsAsId: string): string {
  return `${apiRoot.replace(/\/+$/, '')}${MONITORING_EVENT_BASE}/${encodeURIComponent(scsAsId)}/subscriptions`
}

/** The monitoring types this gateway asks for (`MonitoringType`, an extensible enumeration). */
export const MONITORING_TYPES = [
  'ROAMING_STATUS',
  'UE_REACHABILITY',
  'LOSS_OF_CONNECTIVITY',
] as const
export type UsedMonitoringType = (typeof MONITORING_TYPES)[number]
/** Any `MonitoringType` a NEF may send, the listed ones and future extensions. */
export type MonitoringType = UsedMonitoringType | (string & {})

/** `ReachabilityType`: reachable for SMS or for downlink data. */
export type ReachabilityType = 'SMS' | 'DATA' | (string & {})

/** `PlmnId`: three-digit MCC, two- or three-digit MNC. */
export interface PlmnId {
  mcc: string
  mnc: string
}

/** `MonitoringEventSubscription`, the members used; `self` and the report are the NEF's. */
export interface MonitoringEventSubscription {
  /** The resource's URI, set by the NEF. */
  self?: string
  supportedFeatures?: string
  /** E.164 digits, without `+` (TS 23.003 clause 3.3). */
  msisdn?: string
  /** `local@domain` (TS 23.682 clause 4.6.2): CAMARA's network access identifier. */
  externalId?: string
  ipv4Addr?: string
  ipv6Addr?: string
  /** Where the NEF POSTs `MonitoringNotification`s. Required. */
  notificationDestination: string
  requestTestNotification?: boolean
  monitoringType: MonitoringType
  /** 1 makes a one-time request, answered 200 with the report. */
  maximumNumberOfReports?: number
  /** `DateTime` (RFC 3339). One of this and `maximumNumberOfReports` is required. */
  monitorExpireTime?: string
  reachabilityType?: ReachabilityType
  maximumLatency?: number
  maximumResponseTime?: number
  /** `ROAMING_STATUS`: report the serving PLMN too. */
  plmnIndication?: boolean
  /** An immediate report in the answer to a continuous subscription. */
  immediateRep?: boolean
  /** The immediate report (the NEF's, in a 201 answer). */
  monitoringEventReport?: MonitoringEventReport
  addnMonTypes?: MonitoringType[]
  addnMonEventReports?: MonitoringEventReport[]
}

/** `MonitoringEventReport`, the members used. */
export interface MonitoringEventReport {
  monitoringType: MonitoringType
  msisdn?: string
  externalId?: string
  /** `ROAMING_STATUS`: true when the serving PLMN is not the home PLMN. */
  roamingStatus?: boolean
  /** `ROAMING_STATUS` with `plmnIndication`: the serving PLMN. */
  plmnId?: PlmnId
  /** `UE_REACHABILITY`: what the UE became reachable for. */
  reachabilityType?: ReachabilityType
  /** `LOSS_OF_CONNECTIVITY`: TS 29.336 clause 8.4.58. */
  lossOfConnectReason?: number
  /** `DateTime` of the event. */
  eventTime?: string
}

/** `MonitoringEventReports`: a one-time request's answer with several reports. */
export interface MonitoringEventReports {
  monitoringEventReports: MonitoringEventReport[]
}

/** `MonitoringNotification`: what the NEF POSTs to `notificationDestination`. */
export interface MonitoringNotification {
  /** The subscription resource's URI. Required. */
  subscription: string
  monitoringEventReports?: MonitoringEventReport[]
  /** The NEF ends the subscription. */
  cancelInd?: boolean
}

/** `ProblemDetails` (TS 29.122 clause 5.2.1.2.12 / TS 29.571), the members used. */
export interface ProblemDetails {
  type?: string
  title?: string
  status?: number
  detail?: string
  instance?: string
  cause?: string
  invalidParams?: { param: string; reason?: string }[]
}
