import { createHash } from 'node:crypto'
import type { Clock } from '../core/clock.js'
import type {
  ConnectivityType,
  DeviceApi,
  DeviceFacts,
  DeviceIdentity,
  DeviceSelector,
  NetworkEvent,
} from '../core/device.js'
import { NetworkError } from '../core/network-error.js'
import { randomToken } from '../core/random-token.js'
import type { NefConfig } from './config.js'
import type {
  MonitoringEventReport,
  MonitoringEventSubscription,
} from '../network/monitoring-event.js'
import type { NetworkEventSink, NetworkPort, NetworkWatch, WatchRequest } from '../network/port.js'
import type { NefDeviceFacts, NefWatch } from '../store/nef.js'
import { newId, type Store } from '../store/store.js'
import { failureOf, upstreamOf, type NefAnswer, type NefClient } from './client.js'
import {
  nefDeviceId,
  nefIdentity,
  nefKindOf,
  ueIdentifierOf,
  type UeIdentifier,
} from './identity.js'
import {
  applyImmediate,
  applyReport,
  connectivityOf,
  isReport,
  REACHABILITY_ASKS,
  reportsOf,
  roamingOf,
  ROAMING_ASK,
  type MonitoringAsk,
} from './reports.js'

/** What the adapter logs (the app's logger). */
export interface NefLog {
  warn(object: Record<string, unknown>, message: string): void
  info(object: Record<string, unknown>, message: string): void
}

export interface NefNetworkDeps {
  config: Pick<NefConfig, 'identifiers'>
  client: NefClient
  store: Store
  clock: Clock
  /** The one door network events come in through. */
  events: NetworkEventSink<Store>
  /** `{callback base}`: a NEF subscription's notificationDestination is `{base}/{token}`. */
  callbackBase: () => string
  log: NefLog
}

/** The SHA-256 of a callback token, as stored (the token itself is never kept). */
export function tokenHash(token: string): string {
  return createHash('sha256').update(token).digest('base64url')
}

/** A subscription's NEF horizon when the CAMARA subscription sets no end: renewed before it. */
export const RENEWAL_HORIZON_MS = 24 * 3600_000

/** The Monitoring Event asks a subscription's API and event types need. */
export function asksFor(api: DeviceApi, types: readonly string[]): readonly MonitoringAsk[] {
  if (api === 'device-roaming-status') return [ROAMING_ASK]
  if (api === 'device-reachability-status') return REACHABILITY_ASKS
  if (api === 'device-status')
    return types.every((t) => t.startsWith('roaming')) ? [ROAMING_ASK] : REACHABILITY_ASKS
  return []
}

function identifierOf(device: DeviceIdentity): UeIdentifier {
  const parsed = ueIdentifierOf(device.id)
  if (parsed === undefined)
    throw new NetworkError('UNKNOWN_DEVICE', 'The device is no longer known.')
  return parsed.identifier
}

/** The network events between two readings of a device: none from a fact not known before. */
export function eventsBetween(
  device: DeviceIdentity,
  before: NefDeviceFacts,
  after: NefDeviceFacts,
  now: string,
): NetworkEvent[] {
  const event = (
    type: NetworkEvent['type'],
    b: NetworkEvent['before'],
    a: NetworkEvent['after'],
  ) => ({
    id: newId(),
    deviceId: device.id,
    phoneNumber: device.phoneNumber,
    type,
    before: b,
    after: a,
    occurredAt: now,
  })
  const events: NetworkEvent[] = []
  if (
    before.roaming !== undefined &&
    after.roaming !== undefined &&
    before.roaming.countryCode !== after.roaming.countryCode
  ) {
    events.push(
      event(
        'roaming',
        { roamingCountryCode: before.roaming.countryCode },
        { roamingCountryCode: after.roaming.countryCode },
      ),
    )
  }
  if (
    before.connectivity !== undefined &&
    after.connectivity !== undefined &&
    before.connectivity.connectivity.join() !== after.connectivity.connectivity.join()
  ) {
    events.push(
      event(
        'connectivity',
        { connectivity: before.connectivity.connectivity },
        { connectivity: after.connectivity.connectivity },
      ),
    )
  }
  return events
}

/** The NEF adapter: the network port, the watch for subscriptions, and what the callback and the check need. */
export interface NefNetwork extends NetworkPort, NetworkWatch {
  /**
   * Brings reports of a device in through the door: the facts they leave are saved, and their
   * changes become network events (fanned out to the device's subscriptions) in one transaction.
   */
  ingestReports(
    deviceId: string,
    reports: readonly MonitoringEventReport[],
    context: { reachabilityType: string | null },
  ): Promise<void>
  /**
   * Creates the NEF subscription of a stored watch (again, after the NEF lost it: under a new
   * token); its `self` is stored. Returns its immediate report.
   */
  createAtNef(watch: NefWatch, token: string): Promise<MonitoringEventReport | undefined>
  /** Brings the immediate reports of NEF subscriptions in, as one reading of the device. */
  ingestImmediate(
    deviceId: string,
    reports: readonly { watch: NefWatch; report: MonitoringEventReport }[],
  ): Promise<void>
}

/**
 * The 3GPP NEF as the gateway's network (docs/nef.md): reads are one-time Monitoring Event
 * requests (`maximumNumberOfReports: 1`), subscriptions are backed by continuous ones whose
 * notifications come in at the callback (`nef/routes.ts`).
 */
export function nefNetwork(deps: NefNetworkDeps): NefNetwork {
  const now = () => deps.clock().toISOString()
  const accepts = (selector: DeviceSelector) => {
    const kind = nefKindOf(selector)
    if (!deps.config.identifiers.includes(kind)) {
      throw new NetworkError(
        'UNSUPPORTED_IDENTIFIER',
        `The identifier provided is not supported: this network takes ${deps.config.identifiers.join(', ')}.`,
      )
    }
  }

  /** A one-time request: its report, or the NetworkError of the NEF's answer. */
  const oneTime = async (
    device: DeviceIdentity,
    ask: MonitoringAsk,
  ): Promise<MonitoringEventReport | undefined> => {
    const body: MonitoringEventSubscription = {
      ...identifierOf(device),
      // A one-time request is answered in the response; no notification is expected there.
      notificationDestination: `${deps.callbackBase()}/one-time`,
      ...ask,
      maximumNumberOfReports: 1,
    }
    const answer = await deps.client.create(body)
    if (answer.status === 200)
      return reportsOf(answer.body).find((r) => r.monitoringType === ask.monitoringType)
    if (answer.status === 201) {
      // The NEF made a subscription of it all the same: its immediate report, and away with it.
      const created = answer.body as MonitoringEventSubscription | undefined
      const self = created?.self ?? answer.location
      if (self !== undefined) {
        await deps.client.remove(self).catch((error: unknown) => {
          deps.log.warn({ err: error, self }, 'NEF subscription of a one-time request not deleted')
        })
      }
      const report = created?.monitoringEventReport
      return isReport(report) ? report : undefined
    }
    throw failureOf(answer, `${ask.monitoringType} one-time request`)
  }

  const readRoaming = async (device: DeviceIdentity) => {
    const report = await oneTime(device, ROAMING_ASK)
    const countryCode = report === undefined ? undefined : roamingOf(report)
    if (report === undefined || countryCode === undefined) {
      throw new NetworkError(
        'NETWORK_UNAVAILABLE',
        'The network could not tell the roaming status of this device. Try again later.',
        { upstream: { operation: 'ROAMING_STATUS one-time request', report: report ?? null } },
      )
    }
    return { countryCode, statusTime: report.eventTime ?? now() }
  }

  const readReachability = async (device: DeviceIdentity) => {
    const [data, sms, loss] = await Promise.all(
      REACHABILITY_ASKS.map((ask) => oneTime(device, ask)),
    )
    const times = [data, sms, loss].flatMap((r) =>
      r?.eventTime === undefined ? [] : [r.eventTime],
    )
    return {
      connectivity: connectivityOf({ data, sms, loss }),
      statusTime: times.sort().at(-1) ?? now(),
    }
  }

  const ingest = (
    deviceId: string,
    update: (facts: NefDeviceFacts) => NefDeviceFacts,
  ): Promise<void> =>
    deps.events.ingest(async (store) => {
      const at = now()
      const before = await store.nef.lockFacts(deviceId, at)
      const after = update(before)
      if (after === before) return { events: [], result: undefined }
      await store.nef.saveFacts(after, at)
      const device = nefIdentity(deviceId)
      const events = device === undefined ? [] : eventsBetween(device, before, after, at)
      return { events, result: undefined }
    })

  const monitorExpireTime = (request: Pick<WatchRequest, 'expiresAt' | 'maxEvents'>) =>
    request.expiresAt ??
    (request.maxEvents === null
      ? new Date(deps.clock().getTime() + RENEWAL_HORIZON_MS).toISOString()
      : null)

  const createAtNef: NefNetwork['createAtNef'] = async (watch, token) => {
    const device = nefIdentity(watch.deviceId)
    if (device === undefined) throw new Error(`not a NEF device id: ${watch.deviceId}`)
    const body: MonitoringEventSubscription = {
      ...identifierOf(device),
      notificationDestination: `${deps.callbackBase()}/${token}`,
      monitoringType: watch.monitoringType,
      ...(watch.reachabilityType === null ? {} : { reachabilityType: watch.reachabilityType }),
      ...(watch.monitoringType === 'ROAMING_STATUS' ? { plmnIndication: true } : {}),
      ...(watch.maximumNumberOfReports === null
        ? {}
        : { maximumNumberOfReports: watch.maximumNumberOfReports }),
      ...(watch.monitorExpireTime === null ? {} : { monitorExpireTime: watch.monitorExpireTime }),
      // The current state comes back at once: the "before" of the first notification, and the
      // initial event's state.
      immediateRep: true,
    }
    const answer: NefAnswer = await deps.client.create(body)
    if (answer.status !== 201) {
      if (answer.status === 200)
        throw new NetworkError(
          'NETWORK_UNAVAILABLE',
          'The network answered a continuous monitoring request as a one-time request.',
          { upstream: upstreamOf(answer, `${watch.monitoringType} subscription`) },
        )
      throw failureOf(answer, `${watch.monitoringType} subscription`)
    }
    const created = answer.body as MonitoringEventSubscription | undefined
    const self = created?.self ?? answer.location
    if (self === undefined)
      throw new NetworkError(
        'NETWORK_UNAVAILABLE',
        'The network created a subscription without naming it.',
        {
          upstream: upstreamOf(answer, `${watch.monitoringType} subscription`),
        },
      )
    await deps.store.nef.updateWatch(watch.tokenHash, { self })
    watch.self = self
    const immediate = created?.monitoringEventReport
    return isReport(immediate) ? immediate : undefined
  }

  const askOf = (watch: NefWatch): MonitoringAsk => ({
    monitoringType: watch.monitoringType,
    ...(watch.reachabilityType === null ? {} : { reachabilityType: watch.reachabilityType }),
  })
  const ingestImmediate: NefNetwork['ingestImmediate'] = (deviceId, reports) =>
    reports.length === 0
      ? Promise.resolve()
      : ingest(deviceId, (facts) =>
          reports.reduce(
            (f, { watch, report }) => applyImmediate(f, askOf(watch), report, now()),
            facts,
          ),
        )

  /**
   * A UE_REACHABILITY report says what the UE became reachable for, not what it stopped being
   * reachable for (DATA and SMS to SMS only is a report for SMS and none for DATA): the
   * connectivity is read again, with the one-time requests of a retrieve, and that reading is the
   * new fact. A NEF that refuses one-time requests leaves the report's own meaning.
   */
  const ingestReports: NefNetwork['ingestReports'] = async (deviceId, reports, context) => {
    const device = nefIdentity(deviceId)
    let reading: { connectivity: ConnectivityType[]; time: string; asked: string } | undefined
    if (device !== undefined && reports.some((r) => r.monitoringType === 'UE_REACHABILITY')) {
      const asked = now()
      reading = await readReachability(device).then(
        (fact) => ({ connectivity: fact.connectivity, time: fact.statusTime, asked }),
        (error: unknown) => {
          deps.log.warn({ err: error, deviceId }, 'reachability not read again after a report')
          return undefined
        },
      )
    }
    await ingest(deviceId, (facts) => {
      let next = reports.reduce(
        (f, report) =>
          reading !== undefined && report.monitoringType !== 'ROAMING_STATUS'
            ? f
            : applyReport(f, report, { ...context, now: now() }),
        facts,
      )
      // A reading begun before the fact it would replace was set is older than that fact.
      if (
        reading !== undefined &&
        !(
          next.connectivity !== undefined &&
          Date.parse(reading.asked) < Date.parse(next.connectivity.time)
        ) &&
        next.connectivity?.connectivity.join() !== reading.connectivity.join()
      )
        next = { ...next, connectivity: { connectivity: reading.connectivity, time: reading.time } }
      return next
    })
  }

  const removeWatches = async (watches: readonly NefWatch[]) => {
    for (const watch of watches) {
      if (watch.self !== null) {
        const answer = await deps.client.remove(watch.self).catch((error: unknown) => error)
        const status = (answer as NefAnswer).status
        // Gone already (404) is as good as deleted; anything else is tried again by the check.
        if (status === undefined || (status >= 300 && status !== 404)) {
          deps.log.warn(
            {
              self: watch.self,
              upstream:
                status === undefined ? String(answer) : upstreamOf(answer as NefAnswer, 'DELETE'),
            },
            'NEF subscription not deleted; the check tries again',
          )
          continue
        }
      }
      await deps.store.nef.removeWatch(watch.tokenHash)
    }
  }

  return {
    async find(selector) {
      accepts(selector)
      return nefIdentity(nefDeviceId(selector))
    },
    async byId(id) {
      const parsed = ueIdentifierOf(id)
      if (parsed === undefined || !deps.config.identifiers.includes(parsed.kind)) return undefined
      return nefIdentity(id)
    },
    roaming: (device) => readRoaming(device),
    reachability: (device) => readReachability(device),
    async snapshot(device, _api, within) {
      const unit = (within as Store | undefined) ?? deps.store
      const facts =
        within === undefined
          ? await unit.nef.facts(device.id)
          : await unit.nef.lockFacts(device.id, now())
      const at = now()
      const state: DeviceFacts = {
        ...device,
        roamingCountryCode: facts?.roaming?.countryCode ?? null,
        connectivity: facts?.connectivity?.connectivity ?? [],
        // Not Monitoring Event facts: read by no API offered in NEF mode (docs/nef.md).
        networkType: null,
        simSwappedAt: null,
        simActivatedAt: null,
        statusTime: {
          roaming: facts?.roaming?.time ?? at,
          connectivity: facts?.connectivity?.time ?? at,
          networkType: at,
        },
      }
      return state
    },
    ingestReports,
    createAtNef,
    ingestImmediate,
    async watch(request) {
      const asks = asksFor(request.api, request.types)
      const created: NefWatch[] = []
      const immediate: { watch: NefWatch; report: MonitoringEventReport }[] = []
      try {
        for (const ask of asks) {
          const token = randomToken(32)
          const watch: NefWatch = {
            tokenHash: tokenHash(token),
            subscriptionId: request.subscriptionId,
            deviceId: request.device.id,
            monitoringType: ask.monitoringType,
            reachabilityType: ask.reachabilityType ?? null,
            self: null,
            monitorExpireTime: monitorExpireTime(request),
            // Reports that change nothing are not events, so the NEF may run out first: the check
            // then creates it again. +1: the immediate report counts at some NEFs.
            maximumNumberOfReports: request.maxEvents === null ? null : request.maxEvents + 1,
            createdAt: now(),
            checkedAt: now(),
          }
          // Stored before the NEF is asked: a notification that comes before the answer is known.
          await deps.store.nef.insertWatch(watch)
          created.push(watch)
          const report = await createAtNef(watch, token)
          if (report !== undefined) immediate.push({ watch, report })
        }
        await ingestImmediate(request.device.id, immediate)
        // The current state must be known (the initial event, the "before" of the first change):
        // what the immediate reports did not tell (a NEF that sends none) is read once.
        const told = (type: string) => immediate.filter((i) => i.watch.monitoringType === type)
        if (asks.includes(ROAMING_ASK) && told('ROAMING_STATUS').length === 0) {
          const fact = await readRoaming(request.device)
          await ingest(request.device.id, (f) =>
            f.roaming?.countryCode === fact.countryCode
              ? f
              : { ...f, roaming: { countryCode: fact.countryCode, time: fact.statusTime } },
          )
        }
        const reachabilityTold =
          told('UE_REACHABILITY').length + told('LOSS_OF_CONNECTIVITY').length
        if (asks === REACHABILITY_ASKS && reachabilityTold < REACHABILITY_ASKS.length) {
          const fact = await readReachability(request.device)
          await ingest(request.device.id, (f) =>
            f.connectivity?.connectivity.join() === fact.connectivity.join()
              ? f
              : { ...f, connectivity: { connectivity: fact.connectivity, time: fact.statusTime } },
          )
        }
      } catch (error) {
        await removeWatches(created)
        throw error
      }
      return { undo: () => removeWatches(created) }
    },
    async unwatch(subscriptionId) {
      try {
        await removeWatches(await deps.store.nef.watchesOf(subscriptionId))
      } catch (error) {
        deps.log.warn(
          { err: error, subscriptionId },
          'NEF subscriptions not deleted; the check tries again',
        )
      }
    },
  }
}
