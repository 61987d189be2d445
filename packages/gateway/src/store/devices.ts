import { sql, type Kysely, type Selectable, type Transaction } from 'kysely'
import type {
  ConnectivityType,
  DeviceApi,
  DeviceFacts,
  DeviceSelector,
  NetworkType,
} from '../core/device.js'
import type { ConsentPolicy } from '../core/consent-policy.js'
import type { MaybePromise } from '../core/maybe-promise.js'
import { ipv6Prefix64 } from '../core/ip.js'
import type { Dialect } from './migrations.js'
import type { Database, DeviceTable } from './schema.js'

/** How a point read of one device is made. */
/**
 * A device of the built-in simulator: the facts every network reports, and the switches only the
 * simulator has (how it answers, and the sandbox's stand-in for the subscriber).
 */
export interface SimulatedDevice extends DeviceFacts {
  /** APIs whose service does not apply to the device: the simulator answers them as not applicable. */
  notApplicable: DeviceApi[]
  /** The simulator answers every read of this device as a network failure. */
  networkUnavailable: boolean
  /** Sandbox stand-in for the subscriber's answer to consent requests; `null`: ask and wait. */
  consentPolicy: ConsentPolicy | null
  createdAt: string
  updatedAt: string
}

export interface DeviceReadOptions {
  /**
   * Locks the device row until the transaction ends (PostgreSQL; SQLite runs one transaction at
   * a time): a change of the device reads its state under the lock, so concurrent changes of
   * one device apply one after the other, each to the state the other left; by phone number,
   * the number is locked even while no device holds it. Call in a transaction; never answered
   * from the cache.
   */
  forUpdate?: boolean
}

export interface DeviceRepository {
  list(): Promise<SimulatedDevice[]>
  /**
   * The device with this id. Like {@link find}, the value itself when the cache holds it (see
   * {@link cachedDeviceRepository}), else a promise; never throws (a failure is a rejection).
   */
  byId(id: string, options?: DeviceReadOptions): MaybePromise<SimulatedDevice | undefined>
  byPhoneNumber(
    phoneNumber: string,
    options?: DeviceReadOptions,
  ): Promise<SimulatedDevice | undefined>
  /** The one device the selector points at, or `undefined` (none, or ambiguous). */
  find(selector: DeviceSelector): MaybePromise<SimulatedDevice | undefined>
  /** Every device behind this public IPv4 address. */
  onPublicIpv4(publicAddress: string): Promise<SimulatedDevice[]>
  /** Inserts or replaces the device with this id. */
  save(device: SimulatedDevice): Promise<void>
  delete(id: string): Promise<boolean>
}

type Row = Selectable<DeviceTable>

function toDevice(row: Row): SimulatedDevice {
  return {
    id: row.id,
    phoneNumber: row.phone_number,
    networkAccessIdentifier: row.network_access_identifier,
    ipv4Address:
      row.ipv4_public_address === null
        ? null
        : {
            publicAddress: row.ipv4_public_address,
            privateAddress: row.ipv4_private_address,
            publicPort: row.ipv4_public_port,
          },
    ipv6Address: row.ipv6_address,
    roamingCountryCode: row.roaming_country_code,
    connectivity: JSON.parse(row.connectivity) as ConnectivityType[],
    networkType: row.network_type as NetworkType | null,
    simSwappedAt: row.sim_swapped_at,
    simActivatedAt: row.sim_activated_at,
    notApplicable: JSON.parse(row.not_applicable) as DeviceApi[],
    networkUnavailable: row.network_unavailable === 1,
    consentPolicy: row.consent_policy as ConsentPolicy | null,
    statusTime: {
      roaming: row.roaming_status_time,
      connectivity: row.connectivity_status_time,
      networkType: row.network_type_status_time,
    },
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  }
}

function toRow(device: SimulatedDevice): Row {
  return {
    id: device.id,
    phone_number: device.phoneNumber,
    network_access_identifier: device.networkAccessIdentifier,
    ipv4_public_address: device.ipv4Address?.publicAddress ?? null,
    ipv4_private_address: device.ipv4Address?.privateAddress ?? null,
    ipv4_public_port: device.ipv4Address?.publicPort ?? null,
    ipv6_address: device.ipv6Address,
    ipv6_prefix: device.ipv6Address === null ? null : (ipv6Prefix64(device.ipv6Address) ?? null),
    roaming_country_code: device.roamingCountryCode,
    connectivity: JSON.stringify(device.connectivity),
    network_type: device.networkType,
    sim_swapped_at: device.simSwappedAt,
    sim_activated_at: device.simActivatedAt,
    not_applicable: JSON.stringify(device.notApplicable),
    network_unavailable: device.networkUnavailable ? 1 : 0,
    consent_policy: device.consentPolicy,
    roaming_status_time: device.statusTime.roaming,
    connectivity_status_time: device.statusTime.connectivity,
    network_type_status_time: device.statusTime.networkType,
    created_at: device.createdAt,
    updated_at: device.updatedAt,
  }
}

export function deviceRepository(
  db: Kysely<Database> | Transaction<Database>,
  dialect: Dialect,
): DeviceRepository {
  const one = async (
    column: 'id' | 'phone_number' | 'network_access_identifier',
    value: string,
    options: DeviceReadOptions = {},
  ) => {
    let query = db.selectFrom('devices').selectAll().where(column, '=', value)
    if (options.forUpdate === true && dialect === 'postgres') {
      // A row lock needs a row: the number itself is locked too, so that two changes creating
      // the same new device also go one after the other (the second then replaces the first).
      if (column === 'phone_number')
        await sql`select pg_advisory_xact_lock(hashtextextended(${`device:${value}`}, 0))`.execute(
          db,
        )
      query = query.forUpdate()
    }
    const row = await query.executeTakeFirst()
    return row === undefined ? undefined : toDevice(row)
  }
  const unique = (rows: Row[]) =>
    rows.length === 1 && rows[0] !== undefined ? toDevice(rows[0]) : undefined

  return {
    async list() {
      const rows = await db.selectFrom('devices').selectAll().orderBy('phone_number').execute()
      return rows.map(toDevice)
    },
    byId: (id, options) => one('id', id, options),
    byPhoneNumber: (phoneNumber, options) => one('phone_number', phoneNumber, options),
    async find(selector) {
      switch (selector.kind) {
        case 'phoneNumber':
          return one('phone_number', selector.phoneNumber)
        case 'networkAccessIdentifier':
          return one('network_access_identifier', selector.networkAccessIdentifier)
        case 'ipv6Address': {
          const prefix = ipv6Prefix64(selector.ipv6Address)
          if (prefix === undefined) return undefined
          return unique(
            await db
              .selectFrom('devices')
              .selectAll()
              .where('ipv6_prefix', '=', prefix)
              .limit(2)
              .execute(),
          )
        }
        case 'ipv4Address': {
          let rows = await db
            .selectFrom('devices')
            .selectAll()
            .where('ipv4_public_address', '=', selector.publicAddress)
            .execute()
          const { privateAddress, publicPort } = selector
          if (privateAddress !== undefined)
            rows = rows.filter((r) => r.ipv4_private_address === privateAddress)
          if (publicPort !== undefined) {
            // Behind a NAT that shares the public address, the port tells devices apart.
            const exact = rows.filter((r) => r.ipv4_public_port === publicPort)
            rows = exact.length > 0 ? exact : rows.filter((r) => r.ipv4_public_port === null)
          }
          return unique(rows)
        }
      }
    },
    async onPublicIpv4(publicAddress) {
      const rows = await db
        .selectFrom('devices')
        .selectAll()
        .where('ipv4_public_address', '=', publicAddress)
        .execute()
      return rows.map(toDevice)
    },
    async save(device) {
      const row = toRow(device)
      const { id: _id, ...update } = row
      await db
        .insertInto('devices')
        .values(row)
        .onConflict((oc) => oc.column('id').doUpdateSet(update))
        .execute()
    },
    async delete(id) {
      const result = await db.deleteFrom('devices').where('id', '=', id).executeTakeFirst()
      return Number(result.numDeletedRows) > 0
    },
  }
}

/** A read-through cache of devices for a store with a single writer (the embedded SQLite store). */
export interface DeviceCache {
  entries: Map<string, SimulatedDevice>
  max: number
}

export function deviceCache(max = 10_000): DeviceCache {
  return { entries: new Map(), max }
}

function selectorKey(selector: DeviceSelector): string {
  switch (selector.kind) {
    case 'phoneNumber':
      return `p:${selector.phoneNumber}`
    case 'networkAccessIdentifier':
      return `n:${selector.networkAccessIdentifier}`
    case 'ipv6Address':
      return `6:${ipv6Prefix64(selector.ipv6Address) ?? selector.ipv6Address}`
    case 'ipv4Address':
      return `4:${selector.publicAddress}|${selector.privateAddress ?? ''}|${selector.publicPort ?? ''}`
  }
}

/**
 * Wraps a device repository with the cache. `readThrough` is false for repositories bound to a
 * transaction: they never read from the cache (they must see their own writes), but every write,
 * in or out of a transaction, empties it, so no read after a write can see an older device.
 * Only for a store that this process alone writes (SQLite); several instances on PostgreSQL
 * read the database every time.
 */
export function cachedDeviceRepository(
  inner: DeviceRepository,
  cache: DeviceCache,
  readThrough: boolean,
): DeviceRepository {
  // A hit is answered as the value itself: no promise, no turn of the microtask queue (the
  // hottest call reads a device here); a miss loads, remembers and resolves.
  const remember = (
    key: string,
    load: () => MaybePromise<SimulatedDevice | undefined>,
  ): MaybePromise<SimulatedDevice | undefined> => {
    if (!readThrough) return load()
    const hit = cache.entries.get(key)
    if (hit !== undefined) return hit
    return Promise.resolve(load()).then((device) => {
      if (device !== undefined) {
        if (cache.entries.size >= cache.max) cache.entries.clear()
        cache.entries.set(key, device)
      }
      return device
    })
  }
  return {
    list: () => inner.list(),
    onPublicIpv4: (publicAddress) => inner.onPublicIpv4(publicAddress),
    // A locking read goes to the database: a lock is taken there, and only the row read under it
    // is the state the change starts from.
    byId: (id, options) =>
      options?.forUpdate === true
        ? inner.byId(id, options)
        : remember(`i:${id}`, () => inner.byId(id)),
    byPhoneNumber: (phoneNumber, options) =>
      options?.forUpdate === true
        ? inner.byPhoneNumber(phoneNumber, options)
        : Promise.resolve(remember(`p:${phoneNumber}`, () => inner.byPhoneNumber(phoneNumber))),
    find: (selector) => remember(selectorKey(selector), () => inner.find(selector)),
    async save(device) {
      cache.entries.clear()
      await inner.save(device)
      cache.entries.clear()
    },
    async delete(id) {
      cache.entries.clear()
      const deleted = await inner.delete(id)
      cache.entries.clear()
      return deleted
    },
  }
}
