import type { Clock } from '../core/clock.js'
import type { DeviceSelector, NetworkEvent } from '../core/device.js'
import type {
  MonitoringEventReport,
  MonitoringEventReports,
  MonitoringEventSubscription,
  MonitoringNotification,
  PlmnId,
} from '../network/monitoring-event.js'
import type { NetworkEventSink } from '../network/port.js'
import type { SimulatedDevice } from '../store/devices.js'
import type { NefSimSubscription } from '../store/nef-sim.js'
import { newId, type Store } from '../store/store.js'
import { badRequest, notFound, ProblemError } from './problem.js'
import { currentReport, isServedType, reportOfEvent, SERVED_TYPES } from './reports.js'

export interface NefSimDeps {
  store: Store
  clock: Clock
  /** The home PLMN of every simulated device. */
  home: PlmnId
  /** Wakes the notification worker. */
  kick: () => void
}

/** What a creation answers: a one-time request's report(s) (200), or the new resource (201). */
export type CreateResult =
  | { kind: 'reports'; body: MonitoringEventReport | MonitoringEventReports }
  | { kind: 'created'; id: string; body: MonitoringEventSubscription }

const API_OF_TYPE: Record<string, string> = {
  ROAMING_STATUS: 'device-roaming-status',
  UE_REACHABILITY: 'device-reachability-status',
  LOSS_OF_CONNECTIVITY: 'device-reachability-status',
}

/** The device the request names; its identifier members are tried in the order of the file. */
async function deviceOf(
  store: Store,
  request: MonitoringEventSubscription,
): Promise<SimulatedDevice> {
  const selectors: DeviceSelector[] = []
  if (request.msisdn !== undefined) {
    if (!/^[1-9][0-9]{4,14}$/.test(request.msisdn))
      throw badRequest('msisdn must be E.164 digits without "+"', [
        { param: '/msisdn', reason: 'not an MSISDN' },
      ])
    selectors.push({ kind: 'phoneNumber', phoneNumber: `+${request.msisdn}` })
  } else if (request.externalId !== undefined) {
    if (!/^[^@]+@[^@]+$/.test(request.externalId))
      throw badRequest('externalId must be <local identifier>@<domain identifier>', [
        { param: '/externalId', reason: 'not an external identifier' },
      ])
    selectors.push({ kind: 'networkAccessIdentifier', networkAccessIdentifier: request.externalId })
  } else if (request.ipv4Addr !== undefined) {
    selectors.push({ kind: 'ipv4Address', publicAddress: request.ipv4Addr })
  } else if (request.ipv6Addr !== undefined) {
    selectors.push({ kind: 'ipv6Address', ipv6Address: request.ipv6Addr })
  } else {
    throw badRequest('One of msisdn, externalId, ipv4Addr or ipv6Addr is required', [
      { param: '/msisdn', reason: 'no UE identifier' },
    ])
  }
  for (const selector of selectors) {
    const device = await store.devices.find(selector)
    if (device !== undefined) return device
  }
  throw notFound('No UE is known by this identifier')
}

/** The request's members this simulator acts on, checked beyond the schema. */
function checkRequest(request: MonitoringEventSubscription): void {
  if (!isServedType(request.monitoringType)) {
    throw new ProblemError(
      403,
      'Forbidden',
      `This NEF serves ${SERVED_TYPES.join(', ')}, not ${request.monitoringType}`,
      { cause: 'MONITORING_TYPE_NOT_SUPPORTED' },
    )
  }
  if (request.monitoringType === 'UE_REACHABILITY' && request.reachabilityType === undefined)
    throw badRequest('UE_REACHABILITY needs reachabilityType (SMS or DATA)', [
      { param: '/reachabilityType', reason: 'required for UE_REACHABILITY' },
    ])
  if (
    request.reachabilityType !== undefined &&
    request.reachabilityType !== 'SMS' &&
    request.reachabilityType !== 'DATA'
  )
    throw badRequest(`reachabilityType ${request.reachabilityType} is not served`, [
      { param: '/reachabilityType', reason: 'SMS or DATA' },
    ])
  try {
    const url = new URL(request.notificationDestination)
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('scheme')
  } catch {
    throw badRequest('notificationDestination must be an http(s) URI', [
      { param: '/notificationDestination', reason: 'not an http(s) URI' },
    ])
  }
}

/** The simulator's per-device switches, as a NEF would refuse the request. */
function answering(device: SimulatedDevice, monitoringType: string): void {
  const api = API_OF_TYPE[monitoringType]
  if (api !== undefined && device.notApplicable.includes(api as never))
    throw new ProblemError(403, 'Forbidden', `${monitoringType} is not available for this UE`, {
      cause: 'SERVICE_NOT_APPLICABLE',
    })
  if (device.networkUnavailable)
    throw new ProblemError(503, 'Service Unavailable', 'The core network cannot be reached')
}

/** How far in the past a `monitorExpireTime` may be and still be taken (clock skew). */
export const EXPIRY_SKEW_MS = 30_000

function expireTime(request: MonitoringEventSubscription, now: Date): string | null {
  if (request.monitorExpireTime === undefined) return null
  const time = new Date(request.monitorExpireTime)
  if (Number.isNaN(time.getTime()))
    throw badRequest('monitorExpireTime is not a date-time', [
      { param: '/monitorExpireTime', reason: 'not a date-time' },
    ])
  // A time just past is clock skew between the SCS/AS and this NEF (or a slow path): taken,
  // and the subscription ends at the next expiry sweep with cancelInd. Longer ago is an error.
  if (time.getTime() < now.getTime() - EXPIRY_SKEW_MS)
    throw badRequest('monitorExpireTime is in the past', [
      { param: '/monitorExpireTime', reason: 'in the past' },
    ])
  return time.toISOString()
}

/** A stored subscription as the API shows it. */
export function subscriptionBody(
  subscription: NefSimSubscription,
  self: string,
): MonitoringEventSubscription {
  return { ...(subscription.request as unknown as MonitoringEventSubscription), self }
}

/**
 * `POST /{scsAsId}/subscriptions`. `maximumNumberOfReports: 1` is a one-time request: answered
 * with its report, nothing kept. Anything else is a continuous subscription, kept in the store;
 * with `immediateRep` its answer carries the current state as `monitoringEventReport`, which
 * counts as one of its reports.
 */
export async function createSubscription(
  deps: NefSimDeps,
  scsAsId: string,
  request: MonitoringEventSubscription,
  selfOf: (id: string) => string,
): Promise<CreateResult> {
  checkRequest(request)
  const now = deps.clock()
  const expiresAt = expireTime(request, now)
  const context = { home: deps.home, now: now.toISOString() }
  const { self: _self, monitoringEventReport: _r, addnMonEventReports: _a, ...kept } = request
  const device = await deviceOf(deps.store, request)
  answering(device, request.monitoringType)
  const additional = (request.addnMonTypes ?? []).filter(isServedType)
  const reportsOf = () => [
    currentReport(request, device, context),
    ...additional.map((monitoringType) =>
      currentReport({ ...request, monitoringType }, device, context),
    ),
  ]
  if (request.maximumNumberOfReports === 1) {
    const reports = reportsOf()
    const [first] = reports
    return {
      kind: 'reports',
      body:
        reports.length === 1 && first !== undefined ? first : { monitoringEventReports: reports },
    }
  }
  const id = newId()
  const immediate = request.immediateRep === true ? reportsOf() : []
  const max = request.maximumNumberOfReports
  const subscription: NefSimSubscription = {
    id,
    scsAsId,
    deviceId: device.id,
    monitoringType: request.monitoringType,
    request: kept,
    reportsLeft: max === undefined ? null : max - (immediate.length > 0 ? 1 : 0),
    expiresAt,
    createdAt: now.toISOString(),
  }
  await deps.store.nefSim.saveSubscription(subscription)
  const [report, ...more] = immediate
  return {
    kind: 'created',
    id,
    body: {
      ...subscriptionBody(subscription, selfOf(id)),
      ...(report === undefined ? {} : { monitoringEventReport: report }),
      ...(more.length === 0 ? {} : { addnMonEventReports: more }),
    },
  }
}

export async function readSubscription(
  deps: NefSimDeps,
  scsAsId: string,
  id: string,
): Promise<NefSimSubscription> {
  const found = await deps.store.nefSim.subscription(scsAsId, id)
  if (found === undefined) throw notFound(`No subscription ${id}`, 'RESOURCE_NOT_FOUND')
  return found
}

export function listSubscriptions(
  deps: NefSimDeps,
  scsAsId: string,
): Promise<NefSimSubscription[]> {
  return deps.store.nefSim.subscriptionsOf(scsAsId)
}

export async function deleteSubscription(
  deps: NefSimDeps,
  scsAsId: string,
  id: string,
): Promise<void> {
  await deps.store.transaction(async (store) => {
    const found = await store.nefSim.subscription(scsAsId, id)
    if (found === undefined) throw notFound(`No subscription ${id}`, 'RESOURCE_NOT_FOUND')
    await store.nefSim.deleteSubscription(id)
  })
}

/** Writes a notification for the subscription, due now. */
async function notify(
  store: Store,
  subscription: NefSimSubscription,
  self: string,
  body: Omit<MonitoringNotification, 'subscription'>,
  now: string,
): Promise<void> {
  const destination = (subscription.request as { notificationDestination: string })
    .notificationDestination
  await store.nefSim.enqueue({
    subscriptionId: subscription.id,
    destination,
    body: { subscription: self, ...body },
    dueAt: now,
    createdAt: now,
  })
}

/**
 * The Monitoring Event side of a device change: for every subscription of the device, the
 * report the event makes (`reportOfEvent`) as a `MonitoringNotification`. The one that uses the
 * last of `maximumNumberOfReports` carries `cancelInd: true` and ends the subscription; so does a
 * device's removal (no report).
 */
export async function notifyEvents(
  store: Store,
  deps: Pick<NefSimDeps, 'home'>,
  events: readonly NetworkEvent[],
  selfOf: (subscription: NefSimSubscription) => string,
  now: string,
): Promise<number> {
  let written = 0
  for (const event of events) {
    const subscriptions = await store.nefSim.subscriptionsOfDevice(event.deviceId)
    for (const subscription of subscriptions) {
      const self = selfOf(subscription)
      if (event.type === 'device-removed') {
        await store.nefSim.deleteSubscription(subscription.id)
        await notify(store, subscription, self, { cancelInd: true }, now)
        written++
        continue
      }
      const request = subscription.request as unknown as MonitoringEventSubscription
      const report = reportOfEvent(request, event, { home: deps.home, now })
      if (report === undefined) continue
      const left = subscription.reportsLeft === null ? null : subscription.reportsLeft - 1
      const last = left !== null && left <= 0
      if (last) await store.nefSim.deleteSubscription(subscription.id)
      else if (left !== null) await store.nefSim.setReportsLeft(subscription.id, left)
      await notify(
        store,
        subscription,
        self,
        { monitoringEventReports: [report], ...(last ? { cancelInd: true } : {}) },
        now,
      )
      written++
    }
  }
  return written
}

/**
 * nef-sim's network event door: the simulator's change (device row), the network events
 * recorded, and the Monitoring Event notifications they make, in one transaction; the
 * notification worker is woken after the commit. No CAMARA subscription is fanned out here:
 * nef-sim is a network, not a gateway.
 */
export function nefSimEventSink(
  deps: NefSimDeps,
  selfOf: (subscription: NefSimSubscription) => string,
): NetworkEventSink<Store> {
  return {
    async ingest(work) {
      let written = 0
      const result = await deps.store.transaction(async (store) => {
        const { events, result } = await work(store)
        for (const event of events) await store.networkEvents.append(event)
        written = await notifyEvents(store, deps, events, selfOf, deps.clock().toISOString())
        return result
      })
      if (written > 0) deps.kick()
      return result
    },
  }
}

/** Ends the subscriptions whose `monitorExpireTime` has passed, each with a `cancelInd` notification. */
export async function endExpiredSubscriptions(
  deps: NefSimDeps,
  selfOf: (subscription: NefSimSubscription) => string,
): Promise<number> {
  const now = deps.clock().toISOString()
  return deps.store.transaction(async (store) => {
    const expired = await store.nefSim.expiredSubscriptions(now)
    for (const subscription of expired) {
      await store.nefSim.deleteSubscription(subscription.id)
      await notify(store, subscription, selfOf(subscription), { cancelInd: true }, now)
    }
    return expired.length
  })
}
