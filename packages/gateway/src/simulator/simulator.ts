import { CamaraError } from '../core/camara-error.js'
import { newId, type Store } from '../store/store.js'
import { countryNamesForMcc } from '../core/mcc.js'
import {
  connectedNetworkType,
  type DeviceSelector,
  type EventState,
  type Ipv4Identity,
  type NetworkEvent,
  type NetworkEventType,
} from '../core/device.js'
import type { NetworkEventSink } from '../network/port.js'
import type { SimulatedDevice } from '../store/devices.js'
import type { Clock } from '../core/clock.js'
import type { DeviceStateInput } from './state-schema.js'

export interface SimulatorDeps {
  store: Store
  clock: Clock
  /** Where the simulator's changes go in as network events (recorded and fanned out with the change). */
  events: NetworkEventSink<Store>
}

/** The admin API's view of a device: the BRIEF §3 state shape plus when each fact changed. */
export interface DeviceView {
  phoneNumber: string
  roaming: false | { countryCode: number; countryName: string[] }
  connectivity: ('DATA' | 'SMS')[]
  networkType?: string
  simSwappedAt?: string
  simActivatedAt: string | null
  ipv4Address?: { publicAddress: string; privateAddress?: string; publicPort?: number }
  ipv6Address?: string
  networkAccessIdentifier?: string
  notApplicable: string[]
  networkUnavailable: boolean
  consentPolicy: 'approve' | 'deny' | null
  lastStatusTime: { roaming: string; connectivity: string; networkType: string }
  createdAt: string
  updatedAt: string
}

export function deviceView(device: SimulatedDevice): DeviceView {
  const ip = device.ipv4Address
  return {
    phoneNumber: device.phoneNumber,
    roaming:
      device.roamingCountryCode === null
        ? false
        : {
            countryCode: device.roamingCountryCode,
            countryName: countryNamesForMcc(device.roamingCountryCode),
          },
    connectivity: device.connectivity,
    ...(device.networkType === null ? {} : { networkType: device.networkType }),
    ...(device.simSwappedAt === null ? {} : { simSwappedAt: device.simSwappedAt }),
    simActivatedAt: device.simActivatedAt,
    ...(ip === null
      ? {}
      : {
          ipv4Address: {
            publicAddress: ip.publicAddress,
            ...(ip.privateAddress === null ? {} : { privateAddress: ip.privateAddress }),
            ...(ip.publicPort === null ? {} : { publicPort: ip.publicPort }),
          },
        }),
    ...(device.ipv6Address === null ? {} : { ipv6Address: device.ipv6Address }),
    ...(device.networkAccessIdentifier === null
      ? {}
      : { networkAccessIdentifier: device.networkAccessIdentifier }),
    notApplicable: device.notApplicable,
    networkUnavailable: device.networkUnavailable,
    consentPolicy: device.consentPolicy,
    lastStatusTime: device.statusTime,
    createdAt: device.createdAt,
    updatedAt: device.updatedAt,
  }
}

/** Applies the fields given in `input` to `base`; status times move only for facts that change. */
function applyState(base: SimulatedDevice, input: DeviceStateInput, now: string): SimulatedDevice {
  const next: SimulatedDevice = { ...base, statusTime: { ...base.statusTime }, updatedAt: now }
  if (input.roaming !== undefined)
    next.roamingCountryCode = input.roaming === false ? null : input.roaming.countryCode
  if (input.connectivity !== undefined) {
    // Canonical order, so that equal sets compare equal.
    next.connectivity = (['DATA', 'SMS'] as const).filter((c) => input.connectivity?.includes(c))
  }
  if (input.networkType !== undefined) next.networkType = input.networkType
  if (input.simSwappedAt !== undefined)
    next.simSwappedAt = normaliseTime(input.simSwappedAt, 'simSwappedAt')
  if (input.simActivatedAt !== undefined)
    next.simActivatedAt = normaliseTime(input.simActivatedAt, 'simActivatedAt')
  if (input.ipv4Address !== undefined) {
    next.ipv4Address =
      input.ipv4Address === null
        ? null
        : {
            publicAddress: input.ipv4Address.publicAddress,
            privateAddress: input.ipv4Address.privateAddress ?? null,
            publicPort: input.ipv4Address.publicPort ?? null,
          }
  }
  if (input.ipv6Address !== undefined) next.ipv6Address = input.ipv6Address
  if (input.networkAccessIdentifier !== undefined)
    next.networkAccessIdentifier = input.networkAccessIdentifier
  if (input.notApplicable !== undefined) next.notApplicable = [...input.notApplicable]
  if (input.networkUnavailable !== undefined) next.networkUnavailable = input.networkUnavailable
  if (input.consentPolicy !== undefined) next.consentPolicy = input.consentPolicy
  if (next.roamingCountryCode !== base.roamingCountryCode) next.statusTime.roaming = now
  if (next.connectivity.join() !== base.connectivity.join()) next.statusTime.connectivity = now
  if (connectedNetworkType(next) !== connectedNetworkType(base)) next.statusTime.networkType = now
  return next
}

/** A date-time as stored (UTC, milliseconds); one the schema lets through but `Date` cannot read
 * (a leap second, `23:59:60`) is 400. */
function normaliseTime(value: string | null, field: string): string | null {
  if (value === null) return null
  const time = new Date(value)
  if (Number.isNaN(time.getTime()))
    throw new CamaraError(
      'INVALID_ARGUMENT',
      `${field} ${value} is not a time this network can store`,
    )
  return time.toISOString()
}

/** A new device: at home, reachable for data and SMS, on 4G, SIM activated now. */
function freshDevice(phoneNumber: string, now: string): SimulatedDevice {
  return {
    id: newId(),
    phoneNumber,
    networkAccessIdentifier: null,
    ipv4Address: null,
    ipv6Address: null,
    roamingCountryCode: null,
    connectivity: ['DATA', 'SMS'],
    networkType: '4G',
    simSwappedAt: null,
    simActivatedAt: now,
    notApplicable: [],
    networkUnavailable: false,
    consentPolicy: null,
    statusTime: { roaming: now, connectivity: now, networkType: now },
    createdAt: now,
    updatedAt: now,
  }
}

/** A list of API names compared as a set. */
function apiSet(apis: readonly string[]): string {
  return [...new Set(apis)].sort().join()
}

/** The network events one change makes: one per fact that changed (BRIEF §3: every change is an event). */
export function eventsOfChange(
  before: SimulatedDevice | undefined,
  after: SimulatedDevice | undefined,
  now: string,
): NetworkEvent[] {
  const device = after ?? before
  if (device === undefined) return []
  const event = (
    type: NetworkEventType,
    b: EventState | null,
    a: EventState | null,
  ): NetworkEvent => ({
    id: newId(),
    deviceId: device.id,
    phoneNumber: device.phoneNumber,
    type,
    before: b,
    after: a,
    occurredAt: now,
  })
  if (before === undefined) return [event('device-added', null, after ?? null)]
  if (after === undefined) return [event('device-removed', before, null)]
  const events: NetworkEvent[] = []
  // First, so that the other changes of the same request are judged by the new applicability:
  // a subscription whose service stops applying gets none of them, one that applies again gets them.
  if (apiSet(before.notApplicable) !== apiSet(after.notApplicable)) {
    events.push(
      event(
        'applicability',
        { notApplicable: before.notApplicable },
        { notApplicable: after.notApplicable },
      ),
    )
  }
  if (before.roamingCountryCode !== after.roamingCountryCode) {
    events.push(
      event(
        'roaming',
        { roamingCountryCode: before.roamingCountryCode },
        { roamingCountryCode: after.roamingCountryCode },
      ),
    )
  }
  if (before.connectivity.join() !== after.connectivity.join()) {
    events.push(
      event(
        'connectivity',
        { connectivity: before.connectivity },
        { connectivity: after.connectivity },
      ),
    )
  }
  // The connected type: a device that stops being reachable is no longer on any technology.
  if (connectedNetworkType(before) !== connectedNetworkType(after)) {
    events.push(
      event(
        'network-type',
        { networkType: connectedNetworkType(before) },
        { networkType: connectedNetworkType(after) },
      ),
    )
  }
  if (after.simSwappedAt !== null && before.simSwappedAt !== after.simSwappedAt) {
    events.push(
      event(
        'sim-swap',
        { simSwappedAt: before.simSwappedAt },
        { simSwappedAt: after.simSwappedAt },
      ),
    )
  }
  return events
}

/** Refuses identifiers that another device already holds (409 ALREADY_EXISTS). */
async function ensureIdentifiersFree(store: Store, device: SimulatedDevice): Promise<void> {
  const taken = async (selector: DeviceSelector, what: string) => {
    const other = await store.devices.find(selector)
    if (other !== undefined && other.id !== device.id) {
      throw new CamaraError(
        'ALREADY_EXISTS',
        `${what} is already used by device ${other.phoneNumber}`,
      )
    }
  }
  if (device.networkAccessIdentifier !== null) {
    await taken(
      { kind: 'networkAccessIdentifier', networkAccessIdentifier: device.networkAccessIdentifier },
      'networkAccessIdentifier',
    )
  }
  if (device.ipv6Address !== null)
    await taken({ kind: 'ipv6Address', ipv6Address: device.ipv6Address }, 'The /64 of ipv6Address')
  const ip = device.ipv4Address
  if (ip !== null) {
    for (const other of await store.devices.onPublicIpv4(ip.publicAddress)) {
      if (other.id === device.id || other.ipv4Address === null) continue
      if (ipv4Ambiguous(ip, other.ipv4Address))
        throw new CamaraError(
          'ALREADY_EXISTS',
          `ipv4Address ${ip.publicAddress} cannot tell this device from ${other.phoneNumber}: behind one public address, devices need different private addresses or different ports`,
        )
    }
  }
}

/**
 * Whether two devices behind one public address could not be told apart by a request naming
 * one of them (CAMARA: publicAddress with privateAddress or publicPort): the same private
 * address, the same port, or neither with a port while one has no private address either (a
 * request's port then falls back to both).
 */
export function ipv4Ambiguous(a: Ipv4Identity, b: Ipv4Identity): boolean {
  if (a.privateAddress !== null && a.privateAddress === b.privateAddress) return true
  if (a.publicPort !== null && a.publicPort === b.publicPort) return true
  return (
    a.publicPort === null &&
    b.publicPort === null &&
    (a.privateAddress === null || b.privateAddress === null)
  )
}

/** Stores a change in the caller's transaction; returns the network events it makes. */
async function persist(
  store: Store,
  before: SimulatedDevice | undefined,
  after: SimulatedDevice | undefined,
  now: string,
): Promise<NetworkEvent[]> {
  if (after === undefined) {
    if (before !== undefined) await store.devices.delete(before.id)
  } else {
    await ensureIdentifiersFree(store, after)
    await store.devices.save(after)
  }
  return eventsOfChange(before, after, now)
}

/**
 * The device as a change starts from it, inside the change's transaction: locked until the commit
 * (PostgreSQL; SQLite runs one transaction at a time), so a concurrent change of the same device
 * waits and then starts from the state this one leaves. Without it both would compute their
 * events from the same state (two roaming-on for one departure), and the later write would undo
 * the earlier change whose events were already fanned out.
 */
function currentState(store: Store, phoneNumber: string): Promise<SimulatedDevice | undefined> {
  return store.devices.byPhoneNumber(phoneNumber, { forUpdate: true })
}

/**
 * Runs a change through the network event door: the device row and the events it makes are
 * written, and subscriptions fanned out, in one transaction.
 */
function change<T>(
  deps: SimulatorDeps,
  work: (store: Store) => Promise<{ events: NetworkEvent[]; result: T }>,
): Promise<T> {
  return deps.events.ingest(work)
}

export async function listDevices(deps: SimulatorDeps): Promise<DeviceView[]> {
  return (await deps.store.devices.list()).map(deviceView)
}

export async function getDevice(deps: SimulatorDeps, phoneNumber: string): Promise<DeviceView> {
  const device = await deps.store.devices.byPhoneNumber(phoneNumber)
  if (device === undefined) throw new CamaraError('NOT_FOUND', `No simulated device ${phoneNumber}`)
  return deviceView(device)
}

/** PUT: creates the device, or replaces its whole state (missing fields take the defaults). */
export async function putDevice(
  deps: SimulatorDeps,
  phoneNumber: string,
  input: DeviceStateInput,
): Promise<{ device: DeviceView; created: boolean }> {
  if (input.phoneNumber !== undefined && input.phoneNumber !== phoneNumber) {
    throw new CamaraError(
      'INVALID_ARGUMENT',
      'phoneNumber in the body differs from the one in the path',
    )
  }
  const now = deps.clock().toISOString()
  return change(deps, async (store) => {
    const before = await currentState(store, phoneNumber)
    const fresh = freshDevice(phoneNumber, now)
    const base =
      before === undefined ? fresh : { ...fresh, id: before.id, createdAt: before.createdAt }
    const replaced = applyState(base, input, now)
    const after = before === undefined ? replaced : restamp(before, replaced, now)
    const events = await persist(store, before, after, now)
    return { events, result: { device: deviceView(after), created: before === undefined } }
  })
}

/** Status times of a replaced device move only where the fact changed. */
function restamp(before: SimulatedDevice, after: SimulatedDevice, now: string): SimulatedDevice {
  return {
    ...after,
    statusTime: {
      roaming:
        before.roamingCountryCode === after.roamingCountryCode ? before.statusTime.roaming : now,
      connectivity:
        before.connectivity.join() === after.connectivity.join()
          ? before.statusTime.connectivity
          : now,
      networkType:
        connectedNetworkType(before) === connectedNetworkType(after)
          ? before.statusTime.networkType
          : now,
    },
  }
}

/** PATCH: changes only the fields given. */
export async function patchDevice(
  deps: SimulatorDeps,
  phoneNumber: string,
  input: DeviceStateInput,
): Promise<DeviceView> {
  if (input.phoneNumber !== undefined && input.phoneNumber !== phoneNumber) {
    throw new CamaraError(
      'INVALID_ARGUMENT',
      'phoneNumber cannot be changed; delete the device and create it again',
    )
  }
  const now = deps.clock().toISOString()
  return change(deps, async (store) => {
    const before = await currentState(store, phoneNumber)
    if (before === undefined)
      throw new CamaraError('NOT_FOUND', `No simulated device ${phoneNumber}`)
    const after = applyState(before, input, now)
    return { events: await persist(store, before, after, now), result: deviceView(after) }
  })
}

export async function deleteDevice(deps: SimulatorDeps, phoneNumber: string): Promise<void> {
  const now = deps.clock().toISOString()
  await change(deps, async (store) => {
    const before = await currentState(store, phoneNumber)
    if (before === undefined)
      throw new CamaraError('NOT_FOUND', `No simulated device ${phoneNumber}`)
    return { events: await persist(store, before, undefined, now), result: undefined }
  })
}
