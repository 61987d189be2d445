import type { Kysely, Transaction } from 'kysely'
import type { Dialect } from './migrations.js'
import type { Database } from './schema.js'

/** A continuous Monitoring Event subscription nef-sim serves (its JSON members stay opaque here). */
export interface NefSimSubscription {
  id: string
  scsAsId: string
  deviceId: string
  monitoringType: string
  /** The `MonitoringEventSubscription` the SCS/AS sent, without `self`. */
  request: Record<string, unknown>
  /** Reports still to send; `null`: no maximum. */
  reportsLeft: number | null
  expiresAt: string | null
  createdAt: string
}

/** A `MonitoringNotification` waiting for its destination to answer. */
export interface NefSimNotification {
  seq: number
  subscriptionId: string
  destination: string
  body: Record<string, unknown>
  attempts: number
  dueAt: string
  lastError: string | null
  createdAt: string
}

export interface NefSimRepository {
  saveSubscription(subscription: NefSimSubscription): Promise<void>
  subscription(scsAsId: string, id: string): Promise<NefSimSubscription | undefined>
  subscriptionsOf(scsAsId: string): Promise<NefSimSubscription[]>
  /** Every subscription of the device, locked until the commit on PostgreSQL. */
  subscriptionsOfDevice(deviceId: string): Promise<NefSimSubscription[]>
  allSubscriptions(): Promise<NefSimSubscription[]>
  setReportsLeft(id: string, reportsLeft: number): Promise<void>
  /** Removes the subscription and the notifications not yet delivered for it. */
  deleteSubscription(id: string): Promise<boolean>
  /** Subscriptions whose `monitorExpireTime` is at or before `now`. */
  expiredSubscriptions(now: string): Promise<NefSimSubscription[]>
  /** Forgets every subscription and every pending notification; returns how many subscriptions. */
  dropAll(): Promise<number>
  enqueue(notification: Omit<NefSimNotification, 'seq' | 'attempts' | 'lastError'>): Promise<void>
  /** The oldest pending notification of each subscription (its line's head), oldest first. */
  heads(limit: number): Promise<NefSimNotification[]>
  pending(): Promise<NefSimNotification[]>
  delivered(seq: number): Promise<void>
  failed(seq: number, attempts: number, dueAt: string, error: string): Promise<void>
}

type Row = Database['nef_sim_subscriptions']

function toSubscription(row: Row): NefSimSubscription {
  return {
    id: row.id,
    scsAsId: row.scs_as_id,
    deviceId: row.device_id,
    monitoringType: row.monitoring_type,
    request: JSON.parse(row.request) as Record<string, unknown>,
    reportsLeft: row.reports_left === null ? null : Number(row.reports_left),
    expiresAt: row.expires_at,
    createdAt: row.created_at,
  }
}

function toNotification(row: {
  seq: number | string
  subscription_id: string
  destination: string
  body: string
  attempts: number
  due_at: string
  last_error: string | null
  created_at: string
}): NefSimNotification {
  return {
    seq: Number(row.seq),
    subscriptionId: row.subscription_id,
    destination: row.destination,
    body: JSON.parse(row.body) as Record<string, unknown>,
    attempts: Number(row.attempts),
    dueAt: row.due_at,
    lastError: row.last_error,
    createdAt: row.created_at,
  }
}

export function nefSimRepository(
  db: Kysely<Database> | Transaction<Database>,
  dialect: Dialect,
): NefSimRepository {
  return {
    async saveSubscription(s) {
      const row: Row = {
        id: s.id,
        scs_as_id: s.scsAsId,
        device_id: s.deviceId,
        monitoring_type: s.monitoringType,
        request: JSON.stringify(s.request),
        reports_left: s.reportsLeft,
        expires_at: s.expiresAt,
        created_at: s.createdAt,
      }
      await db.insertInto('nef_sim_subscriptions').values(row).execute()
    },
    async subscription(scsAsId, id) {
      const row = await db
        .selectFrom('nef_sim_subscriptions')
        .selectAll()
        .where('id', '=', id)
        .where('scs_as_id', '=', scsAsId)
        .executeTakeFirst()
      return row === undefined ? undefined : toSubscription(row)
    },
    async subscriptionsOf(scsAsId) {
      const rows = await db
        .selectFrom('nef_sim_subscriptions')
        .selectAll()
        .where('scs_as_id', '=', scsAsId)
        .orderBy('created_at')
        .orderBy('id')
        .execute()
      return rows.map(toSubscription)
    },
    async subscriptionsOfDevice(deviceId) {
      let query = db
        .selectFrom('nef_sim_subscriptions')
        .selectAll()
        .where('device_id', '=', deviceId)
        .orderBy('created_at')
        .orderBy('id')
      if (dialect === 'postgres') query = query.forUpdate()
      return (await query.execute()).map(toSubscription)
    },
    async allSubscriptions() {
      const rows = await db
        .selectFrom('nef_sim_subscriptions')
        .selectAll()
        .orderBy('created_at')
        .orderBy('id')
        .execute()
      return rows.map(toSubscription)
    },
    async setReportsLeft(id, reportsLeft) {
      await db
        .updateTable('nef_sim_subscriptions')
        .set({ reports_left: reportsLeft })
        .where('id', '=', id)
        .execute()
    },
    async deleteSubscription(id) {
      await db.deleteFrom('nef_sim_notifications').where('subscription_id', '=', id).execute()
      const result = await db
        .deleteFrom('nef_sim_subscriptions')
        .where('id', '=', id)
        .executeTakeFirst()
      return Number(result.numDeletedRows) > 0
    },
    async expiredSubscriptions(now) {
      const rows = await db
        .selectFrom('nef_sim_subscriptions')
        .selectAll()
        .where('expires_at', '<=', now)
        .execute()
      return rows.map(toSubscription)
    },
    async dropAll() {
      await db.deleteFrom('nef_sim_notifications').execute()
      const result = await db.deleteFrom('nef_sim_subscriptions').executeTakeFirst()
      return Number(result.numDeletedRows)
    },
    async enqueue(n) {
      await db
        .insertInto('nef_sim_notifications')
        .values({
          subscription_id: n.subscriptionId,
          destination: n.destination,
          body: JSON.stringify(n.body),
          attempts: 0,
          due_at: n.dueAt,
          last_error: null,
          created_at: n.createdAt,
        })
        .execute()
    },
    async heads(limit) {
      const rows = await db
        .selectFrom('nef_sim_notifications as n')
        .selectAll()
        .where((eb) =>
          eb.not(
            eb.exists(
              eb
                .selectFrom('nef_sim_notifications as o')
                .select('o.seq')
                .whereRef('o.subscription_id', '=', 'n.subscription_id')
                .whereRef('o.seq', '<', 'n.seq'),
            ),
          ),
        )
        .orderBy('n.seq')
        .limit(limit)
        .execute()
      return rows.map(toNotification)
    },
    async pending() {
      const rows = await db.selectFrom('nef_sim_notifications').selectAll().orderBy('seq').execute()
      return rows.map(toNotification)
    },
    async delivered(seq) {
      await db.deleteFrom('nef_sim_notifications').where('seq', '=', seq).execute()
    },
    async failed(seq, attempts, dueAt, error) {
      await db
        .updateTable('nef_sim_notifications')
        .set({ attempts, due_at: dueAt, last_error: error })
        .where('seq', '=', seq)
        .execute()
    },
  }
}
