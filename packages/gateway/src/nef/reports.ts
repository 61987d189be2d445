import type { ConnectivityType } from '../core/device.js'
import type {
  MonitoringEventReport,
  MonitoringEventSubscription,
} from '../network/monitoring-event.js'
import type { NefDeviceFacts } from '../store/nef.js'

/**
 * How the NEF adapter turns Monitoring Event reports into CAMARA facts (docs/nef.md, mapping).
 * Pure functions: no I/O, no clock.
 */

/** One Monitoring Event request the adapter makes, without the UE and the destination. */
export type MonitoringAsk = Pick<
  MonitoringEventSubscription,
  'monitoringType' | 'reachabilityType' | 'plmnIndication'
>

export const ROAMING_ASK: MonitoringAsk = { monitoringType: 'ROAMING_STATUS', plmnIndication: true }
export const REACHABILITY_ASKS: readonly MonitoringAsk[] = [
  { monitoringType: 'UE_REACHABILITY', reachabilityType: 'DATA' },
  { monitoringType: 'UE_REACHABILITY', reachabilityType: 'SMS' },
  { monitoringType: 'LOSS_OF_CONNECTIVITY' },
]

/**
 * The visited country of a `ROAMING_STATUS` report: `null` at home, the serving PLMN's MCC while
 * roaming; `undefined` when the report does not say (no `roamingStatus`, or roaming without the
 * serving PLMN although `plmnIndication` was asked: the country is not invented).
 */
export function roamingOf(report: MonitoringEventReport): number | null | undefined {
  if (report.roamingStatus === undefined) return undefined
  if (!report.roamingStatus) return null
  const mcc = report.plmnId?.mcc
  if (mcc === undefined || !/^[0-9]{3}$/.test(mcc)) return undefined
  return Number(mcc)
}

/** The answers to the three reachability asks, in the order of {@link REACHABILITY_ASKS}. */
export interface ReachabilityReading {
  data: MonitoringEventReport | undefined
  sms: MonitoringEventReport | undefined
  loss: MonitoringEventReport | undefined
}

/**
 * Connectivity from a full reading (NOTES.md; CAMARA DeviceStatus issue 115): a loss of
 * connectivity (a `LOSS_OF_CONNECTIVITY` report with its reason) is not reachable; otherwise
 * reachable for DATA when the DATA ask reported `reachabilityType: DATA`, for SMS likewise. A
 * report without `reachabilityType` is a UE not reachable for that type.
 */
export function connectivityOf(reading: ReachabilityReading): ConnectivityType[] {
  if (reading.loss?.lossOfConnectReason !== undefined) return []
  const result: ConnectivityType[] = []
  if (reading.data?.reachabilityType === 'DATA') result.push('DATA')
  if (reading.sms?.reachabilityType === 'SMS') result.push('SMS')
  return result
}

/** The reports of a one-time answer (`MonitoringEventReport` or `MonitoringEventReports`). */
export function reportsOf(body: unknown): MonitoringEventReport[] {
  if (typeof body !== 'object' || body === null) return []
  const list = (body as { monitoringEventReports?: unknown }).monitoringEventReports
  if (Array.isArray(list)) return list.filter(isReport)
  return isReport(body) ? [body] : []
}

export function isReport(value: unknown): value is MonitoringEventReport {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { monitoringType?: unknown }).monitoringType === 'string'
  )
}

/** Whether a report is older than the fact it would change (an out-of-order or replayed report). */
function stale(report: MonitoringEventReport, factTime: string | undefined): boolean {
  if (report.eventTime === undefined || factTime === undefined) return false
  const at = Date.parse(report.eventTime)
  return !Number.isNaN(at) && at < Date.parse(factTime)
}

/**
 * The device's facts after one notified report of a NEF subscription. `UE_REACHABILITY` adds the
 * type it reports (the subscription's when the report does not name it); `LOSS_OF_CONNECTIVITY`
 * empties the connectivity; `ROAMING_STATUS` sets the country. A report older than the fact
 * (`eventTime`) or one that says nothing changes nothing. `now`: the fact's time when the report
 * has no `eventTime`.
 */
export function applyReport(
  facts: NefDeviceFacts,
  report: MonitoringEventReport,
  context: { reachabilityType: string | null; now: string },
): NefDeviceFacts {
  const time = report.eventTime ?? context.now
  switch (report.monitoringType) {
    case 'ROAMING_STATUS': {
      const countryCode = roamingOf(report)
      if (countryCode === undefined || stale(report, facts.roaming?.time)) return facts
      if (facts.roaming?.countryCode === countryCode) return facts
      return { ...facts, roaming: { countryCode, time } }
    }
    case 'UE_REACHABILITY': {
      const type = report.reachabilityType ?? context.reachabilityType
      if ((type !== 'DATA' && type !== 'SMS') || stale(report, facts.connectivity?.time))
        return facts
      const current = facts.connectivity?.connectivity ?? []
      if (current.includes(type)) return facts
      // In the order the simulator and the API list them: DATA, then SMS.
      const next = (['DATA', 'SMS'] as const).filter((t) => t === type || current.includes(t))
      return { ...facts, connectivity: { connectivity: next, time } }
    }
    case 'LOSS_OF_CONNECTIVITY': {
      if (stale(report, facts.connectivity?.time)) return facts
      if (facts.connectivity !== undefined && facts.connectivity.connectivity.length === 0)
        return facts
      return { ...facts, connectivity: { connectivity: [], time } }
    }
    default:
      return facts
  }
}

/**
 * The device's facts after the immediate report of a NEF subscription (its current state, not a
 * change): `UE_REACHABILITY` sets whether the UE is reachable for the subscription's type (a
 * report without that `reachabilityType` is not reachable for it), `LOSS_OF_CONNECTIVITY` with its
 * reason empties the connectivity, `ROAMING_STATUS` sets the country.
 */
export function applyImmediate(
  facts: NefDeviceFacts,
  ask: MonitoringAsk,
  report: MonitoringEventReport,
  now: string,
): NefDeviceFacts {
  const time = report.eventTime ?? now
  if (ask.monitoringType === 'ROAMING_STATUS')
    return applyReport(facts, report, { reachabilityType: null, now })
  if (ask.monitoringType === 'LOSS_OF_CONNECTIVITY')
    return report.lossOfConnectReason === undefined
      ? facts
      : applyReport(facts, report, { reachabilityType: null, now })
  const type = ask.reachabilityType
  if (ask.monitoringType !== 'UE_REACHABILITY' || (type !== 'DATA' && type !== 'SMS')) return facts
  const current = facts.connectivity?.connectivity ?? []
  const reachable = report.reachabilityType === type
  const next = (['DATA', 'SMS'] as const).filter((t) =>
    t === type ? reachable : current.includes(t),
  )
  if (facts.connectivity !== undefined && next.join() === current.join()) return facts
  return { ...facts, connectivity: { connectivity: next, time } }
}
