import type { DeviceFacts, NetworkEvent } from '../core/device.js'
import type {
  MonitoringEventReport,
  MonitoringEventSubscription,
  PlmnId,
} from '../network/monitoring-event.js'

/** The monitoring types nef-sim serves. */
export const SERVED_TYPES = ['ROAMING_STATUS', 'UE_REACHABILITY', 'LOSS_OF_CONNECTIVITY'] as const
export type ServedType = (typeof SERVED_TYPES)[number]

export function isServedType(type: string): type is ServedType {
  return (SERVED_TYPES as readonly string[]).includes(type)
}

/**
 * TS 29.336 clause 8.4.58, Loss-Of-Connectivity-Reason: 0 UE_DETACHED_MME. The simulator has
 * one way to lose a device: its connectivity becomes `[]`, played as a detach.
 */
export const UE_DETACHED = 0

/** The serving PLMN of a device: the home PLMN at home, else the visited MCC with a network code. */
export function servingPlmn(roamingCountryCode: number | null, home: PlmnId): PlmnId {
  if (roamingCountryCode === null) return { ...home }
  const mcc = String(roamingCountryCode).padStart(3, '0')
  // A visited network is never the home network, even in the home country (national roaming).
  const mnc = mcc === home.mcc && home.mnc === '01' ? '02' : '01'
  return { mcc, mnc }
}

/** The identifier the report names the UE by: the one the subscription used, when it has one. */
function ueOf(
  request: Pick<MonitoringEventSubscription, 'msisdn' | 'externalId'>,
): Pick<MonitoringEventReport, 'msisdn' | 'externalId'> {
  if (request.msisdn !== undefined) return { msisdn: request.msisdn }
  if (request.externalId !== undefined) return { externalId: request.externalId }
  return {}
}

export interface ReportContext {
  home: PlmnId
  /** `eventTime` of the report. */
  now: string
}

/**
 * The report on the device's current state, for a one-time request or an immediate report:
 * - `ROAMING_STATUS`: `roamingStatus`, and `plmnId` when `plmnIndication` asked for it;
 * - `UE_REACHABILITY`: `reachabilityType` is the type asked for when the UE is reachable for it,
 *   absent when it is not;
 * - `LOSS_OF_CONNECTIVITY`: `lossOfConnectReason` when the UE has lost connectivity, absent while
 *   it is connected.
 */
export function currentReport(
  request: MonitoringEventSubscription,
  device: Pick<DeviceFacts, 'roamingCountryCode' | 'connectivity'>,
  context: ReportContext,
): MonitoringEventReport {
  const base = { monitoringType: request.monitoringType, ...ueOf(request) }
  switch (request.monitoringType) {
    case 'ROAMING_STATUS':
      return {
        ...base,
        roamingStatus: device.roamingCountryCode !== null,
        ...(request.plmnIndication === true
          ? { plmnId: servingPlmn(device.roamingCountryCode, context.home) }
          : {}),
        eventTime: context.now,
      }
    case 'UE_REACHABILITY': {
      const reachable = device.connectivity.some((c) => c === request.reachabilityType)
      return {
        ...base,
        ...(reachable && request.reachabilityType !== undefined
          ? { reachabilityType: request.reachabilityType }
          : {}),
        eventTime: context.now,
      }
    }
    default:
      return {
        ...base,
        ...(device.connectivity.length === 0 ? { lossOfConnectReason: UE_DETACHED } : {}),
        eventTime: context.now,
      }
  }
}

/**
 * The report a network event makes for a continuous subscription, if any:
 * - `ROAMING_STATUS`: every change of the serving network (roaming on, off, or another country);
 * - `UE_REACHABILITY` for a type: every change of the device's connectivity after which it is
 *   reachable for that type (it becomes reachable, or reachable with another set of services);
 * - `LOSS_OF_CONNECTIVITY`: a change to no connectivity at all.
 */
export function reportOfEvent(
  request: MonitoringEventSubscription,
  event: NetworkEvent,
  context: ReportContext,
): MonitoringEventReport | undefined {
  const after = event.after
  if (after === null) return undefined
  const time = { ...context, now: event.occurredAt }
  switch (request.monitoringType) {
    case 'ROAMING_STATUS':
      if (event.type !== 'roaming' || after.roamingCountryCode === undefined) return undefined
      return currentReport(
        request,
        { roamingCountryCode: after.roamingCountryCode, connectivity: [] },
        time,
      )
    case 'UE_REACHABILITY':
      if (event.type !== 'connectivity' || after.connectivity === undefined) return undefined
      if (!after.connectivity.some((c) => c === request.reachabilityType)) return undefined
      return currentReport(
        request,
        { roamingCountryCode: null, connectivity: after.connectivity },
        time,
      )
    case 'LOSS_OF_CONNECTIVITY':
      if (event.type !== 'connectivity' || after.connectivity?.length !== 0) return undefined
      if ((event.before?.connectivity?.length ?? 0) === 0) return undefined
      return currentReport(request, { roamingCountryCode: null, connectivity: [] }, time)
    default:
      return undefined
  }
}
