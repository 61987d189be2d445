import type { Kysely, Transaction } from 'kysely'
import type { ConnectivityType } from '../core/device.js'
import type { Dialect } from './migrations.js'
import type { Database, NefSubscriptionTable } from './schema.js'

/** The last facts a NEF reported of a device; `undefined` members: not reported yet. */
export interface NefDeviceFacts {
  deviceId: string
  /** The visited country's MCC, `null` at home. */
  roaming: { countryCode: number | null; time: string } | undefined
  connectivity: { connectivity: ConnectivityType[]; time: string } | undefined
}

/** A NEF subscription of the gateway (see `nef_subscriptions`). */
export interface NefWatch {
  tokenHash: string
  subscriptionId: string
  deviceId: string
  monitoringType: string
  reachabilityType: string | null
  self: string | null
  monitorExpireTime: string | null
  maximumNumberOfReports: number | null
  createdAt: string
  checkedAt: string | null
}

export interface NefRepository {
  /**
   * The device's reported facts, its row created empty when there is none, and locked until the
   * transaction ends (PostgreSQL; SQLite runs one transaction at a time): two reports of one
   * device are judged one after the other, each against the facts the other left.
   */
  lockFacts(deviceId: string, now: string): Promise<NefDeviceFacts>
  facts(deviceId: string): Promise<NefDeviceFacts | undefined>
  saveFacts(facts: NefDeviceFacts, now: string): Promise<void>
  insertWatch(watch: NefWatch): Promise<void>
  watchByToken(tokenHash: string): Promise<NefWatch | undefined>
  watchesOf(subscriptionId: string): Promise<NefWatch[]>
  /** Every NEF subscription of the gateway, oldest check first. */
  watches(limit: number): Promise<NefWatch[]>
  updateWatch(
    tokenHash: string,
    changes: Partial<Pick<NefWatch, 'self' | 'checkedAt' | 'monitorExpireTime'>>,
  ): Promise<void>
  /** Removes it; whether this call did (of concurrent removals only one does). */
  removeWatch(tokenHash: string): Promise<boolean>
}

function toWatch(row: NefSubscriptionTable): NefWatch {
  return {
    tokenHash: row.token_hash,
    subscriptionId: row.subscription_id,
    deviceId: row.device_id,
    monitoringType: row.monitoring_type,
    reachabilityType: row.reachability_type,
    self: row.self,
    monitorExpireTime: row.monitor_expire_time,
    maximumNumberOfReports:
      row.maximum_number_of_reports === null ? null : Number(row.maximum_number_of_reports),
    createdAt: row.created_at,
    checkedAt: row.checked_at,
  }
}

export function nefRepository(
  db: Kysely<Database> | Transaction<Database>,
  dialect: Dialect,
): NefRepository {
  const read = async (deviceId: string, forUpdate: boolean) => {
    let query = db.selectFrom('nef_devices').selectAll().where('device_id', '=', deviceId)
    if (forUpdate && dialect === 'postgres') query = query.forUpdate()
    const row = await query.executeTakeFirst()
    if (row === undefined) return undefined
    return {
      deviceId,
      roaming:
        row.roaming === null || row.roaming_time === null
          ? undefined
          : { countryCode: JSON.parse(row.roaming) as number | null, time: row.roaming_time },
      connectivity:
        row.connectivity === null || row.connectivity_time === null
          ? undefined
          : {
              connectivity: JSON.parse(row.connectivity) as ConnectivityType[],
              time: row.connectivity_time,
            },
    }
  }
  return {
    async lockFacts(deviceId, now) {
      await db
        .insertInto('nef_devices')
        .values({
          device_id: deviceId,
          roaming: null,
          roaming_time: null,
          connectivity: null,
          connectivity_time: null,
          updated_at: now,
        })
        .onConflict((oc) => oc.column('device_id').doNothing())
        .execute()
      const facts = await read(deviceId, true)
      if (facts === undefined) throw new Error(`nef_devices row ${deviceId} vanished`)
      return facts
    },
    facts: (deviceId) => read(deviceId, false),
    async saveFacts(facts, now) {
      await db
        .updateTable('nef_devices')
        .set({
          roaming: facts.roaming === undefined ? null : JSON.stringify(facts.roaming.countryCode),
          roaming_time: facts.roaming?.time ?? null,
          connectivity:
            facts.connectivity === undefined
              ? null
              : JSON.stringify(facts.connectivity.connectivity),
          connectivity_time: facts.connectivity?.time ?? null,
          updated_at: now,
        })
        .where('device_id', '=', facts.deviceId)
        .execute()
    },
    async insertWatch(w) {
      await db
        .insertInto('nef_subscriptions')
        .values({
          token_hash: w.tokenHash,
          subscription_id: w.subscriptionId,
          device_id: w.deviceId,
          monitoring_type: w.monitoringType,
          reachability_type: w.reachabilityType,
          self: w.self,
          monitor_expire_time: w.monitorExpireTime,
          maximum_number_of_reports: w.maximumNumberOfReports,
          created_at: w.createdAt,
          checked_at: w.checkedAt,
        })
        .execute()
    },
    async watchByToken(tokenHash) {
      const row = await db
        .selectFrom('nef_subscriptions')
        .selectAll()
        .where('token_hash', '=', tokenHash)
        .executeTakeFirst()
      return row === undefined ? undefined : toWatch(row)
    },
    async watchesOf(subscriptionId) {
      const rows = await db
        .selectFrom('nef_subscriptions')
        .selectAll()
        .where('subscription_id', '=', subscriptionId)
        .orderBy('token_hash')
        .execute()
      return rows.map(toWatch)
    },
    async watches(limit) {
      const rows = await db
        .selectFrom('nef_subscriptions')
        .selectAll()
        .orderBy('checked_at')
        .orderBy('token_hash')
        .limit(limit)
        .execute()
      return rows.map(toWatch)
    },
    async updateWatch(tokenHash, changes) {
      const set: Partial<NefSubscriptionTable> = {}
      if (changes.self !== undefined) set.self = changes.self
      if (changes.checkedAt !== undefined) set.checked_at = changes.checkedAt
      if (changes.monitorExpireTime !== undefined)
        set.monitor_expire_time = changes.monitorExpireTime
      if (Object.keys(set).length === 0) return
      await db
        .updateTable('nef_subscriptions')
        .set(set)
        .where('token_hash', '=', tokenHash)
        .execute()
    },
    async removeWatch(tokenHash) {
      const result = await db
        .deleteFrom('nef_subscriptions')
        .where('token_hash', '=', tokenHash)
        .executeTakeFirst()
      return Number(result.numDeletedRows) > 0
    },
  }
}
