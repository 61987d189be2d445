import { sql, type Insertable, type Kysely, type Selectable, type Transaction } from 'kysely'
import type { Dialect } from './migrations.js'
import type {
  Database,
  DeliveryAttemptTable,
  NotificationTable,
  SubscriptionTable,
} from './schema.js'

export type SubscriptionRow = Selectable<SubscriptionTable>
export type NotificationRow = Selectable<NotificationTable>
export type NewNotification = Insertable<NotificationTable>
export type DeliveryAttemptRow = Selectable<DeliveryAttemptTable>

/**
 * Statuses of a subscription that has not ended: ACTIVE, or INACTIVE while its service does not
 * apply to the device (it produces no events then, but can still be read, deleted and expire).
 */
export const LIVE_STATUSES: readonly string[] = ['ACTIVE', 'INACTIVE']

export interface SubscriptionRepository {
  insert(row: SubscriptionRow): Promise<void>
  byId(id: string): Promise<SubscriptionRow | undefined>
  list(filter: {
    clientId?: string
    api?: string
    sub?: string
    deviceId?: string
    /** One status, or any of several. */
    status?: string | readonly string[]
  }): Promise<SubscriptionRow[]>
  /**
   * The device's subscriptions that have not ended (ACTIVE or INACTIVE), by id. With `forUpdate`
   * (PostgreSQL; SQLite runs one transaction at a time) their rows are locked in id order until
   * the transaction ends, and a row that a concurrent transaction changed is read as it committed
   * (left out if it ended): a decision taken from these rows holds until the commit.
   */
  liveForDevice(deviceId: string, options?: { forUpdate?: boolean }): Promise<SubscriptionRow[]>
  update(id: string, changes: Partial<Omit<SubscriptionRow, 'id'>>): Promise<void>
  /**
   * Ends the subscription if it is still live, in one conditional update: of two concurrent
   * endings only one changes the row (on PostgreSQL the second waits for the first's row lock,
   * then finds the row ended). Whether this call ended it.
   */
  endIfLive(
    id: string,
    ending: Pick<SubscriptionRow, 'status' | 'ended_at' | 'termination_reason'>,
  ): Promise<boolean>
  /** Sets the status of each subscription (ACTIVE ↔ INACTIVE). */
  setStatus(ids: readonly string[], status: string): Promise<void>
  /**
   * Locks subscription rows until the transaction ends (PostgreSQL; SQLite runs one transaction
   * at a time): whoever changes a subscription's line of notifications holds it first.
   */
  lock(ids: readonly string[]): Promise<void>
  /** Adds `by` to the events sent of each subscription. */
  countEvents(ids: readonly string[], by: number): Promise<void>
  /** Live subscriptions whose expiry or sink token expiry is at or before `at` (ISO). */
  dueToEnd(at: string): Promise<SubscriptionRow[]>
  /** How many subscriptions of an app have not ended (`ended_at` unset), whatever their status. */
  countLive(clientId: string): Promise<number>
  /**
   * Holds the app's subscription count until the transaction ends, so that concurrent creates of
   * one app count one after the other (a PostgreSQL advisory lock per app; SQLite runs one
   * transaction at a time). Call it in a transaction, before `countLive`.
   */
  lockApp(clientId: string): Promise<void>
}

export interface NotificationRepository {
  /**
   * Adds notifications in order: each becomes its subscription's head (`pending`) when the line
   * is empty, else `queued` behind it. Concurrent changes of one device serialise on its row, so
   * one subscription never gets two heads.
   */
  enqueue(rows: readonly Omit<NewNotification, 'status'>[]): Promise<void>
  /** How many notifications wait (pending or queued). */
  waiting(): Promise<number>
  /** After a head was settled: the next queued notification of the subscription becomes the head. */
  promoteNext(subscriptionId: string, now: number): Promise<void>
  byId(id: string): Promise<NotificationRow | undefined>
  /**
   * Claims up to `limit` due notifications for `leaseMs`: `pending`, due, not held by another
   * worker. Only the head of each subscription's line is `pending` (the rest wait `queued`), so
   * order is kept per subscription while the claim stays an index range scan. On PostgreSQL rows
   * are locked with `FOR UPDATE SKIP LOCKED`, so concurrent workers never claim the same one.
   */
  claimDue(now: number, limit: number, leaseMs: number): Promise<NotificationRow[]>
  /**
   * Records the outcome of an attempt, if the attempt still holds the notification: `lease` is the
   * `locked_until` its claim wrote. A lease that lapsed meanwhile (another claim took the
   * notification) makes this a no-op. Whether the outcome was recorded.
   */
  settle(
    id: string,
    lease: number | null,
    changes: Partial<
      Pick<
        NotificationRow,
        'status' | 'attempts' | 'next_attempt_at' | 'locked_until' | 'last_error' | 'delivered_at'
      >
    >,
  ): Promise<boolean>
  list(filter: {
    subscriptionId?: string
    status?: string
    limit?: number
  }): Promise<NotificationRow[]>
  /** Gives up the pending notifications of a subscription (it ended), but not its final event. */
  cancelPending(subscriptionId: string, exceptId?: string): Promise<void>
  insertAttempt(row: DeliveryAttemptRow): Promise<void>
  attempts(notificationId: string): Promise<DeliveryAttemptRow[]>
  /** The notifications that these network events caused, in outbox order. */
  forNetworkEvents(eventIds: readonly string[]): Promise<NotificationRow[]>
  /**
   * Puts a settled notification (delivered, failed or cancelled) back in its subscription's line,
   * due at `now`: the head when nothing else of the subscription waits, else queued behind it.
   * Whether it was settled (a pending or queued one is left as it is).
   */
  redeliver(id: string, now: number): Promise<boolean>
}

export function subscriptionRepository(
  db: Kysely<Database> | Transaction<Database>,
  dialect: Dialect,
): SubscriptionRepository {
  return {
    async lock(ids) {
      if (dialect !== 'postgres' || ids.length === 0) return
      const sorted = [...ids].sort()
      for (let i = 0; i < sorted.length; i += 500) {
        await db
          .selectFrom('subscriptions')
          .select('id')
          .where('id', 'in', sorted.slice(i, i + 500))
          .orderBy('id')
          .forUpdate()
          .execute()
      }
    },
    async insert(row) {
      await db.insertInto('subscriptions').values(row).execute()
    },
    byId: (id) =>
      db.selectFrom('subscriptions').selectAll().where('id', '=', id).executeTakeFirst(),
    async list(filter) {
      let query = db.selectFrom('subscriptions').selectAll().orderBy('created_at')
      if (filter.clientId !== undefined) query = query.where('client_id', '=', filter.clientId)
      if (filter.api !== undefined) query = query.where('api', '=', filter.api)
      if (filter.sub !== undefined) query = query.where('sub', '=', filter.sub)
      if (filter.deviceId !== undefined) query = query.where('device_id', '=', filter.deviceId)
      if (typeof filter.status === 'string') query = query.where('status', '=', filter.status)
      else if (filter.status !== undefined) query = query.where('status', 'in', filter.status)
      return query.execute()
    },
    liveForDevice(deviceId, options = {}) {
      let query = db
        .selectFrom('subscriptions')
        .selectAll()
        .where('device_id', '=', deviceId)
        .where('status', 'in', LIVE_STATUSES)
        // Locks in id order, as `lock` takes them, so that two lockers never wait on each other.
        .orderBy('id')
      if (options.forUpdate === true && dialect === 'postgres') query = query.forUpdate()
      return query.execute()
    },
    async update(id, changes) {
      await db.updateTable('subscriptions').set(changes).where('id', '=', id).execute()
    },
    async endIfLive(id, ending) {
      const result = await db
        .updateTable('subscriptions')
        .set(ending)
        .where('id', '=', id)
        .where('status', 'in', LIVE_STATUSES)
        .executeTakeFirst()
      return Number(result.numUpdatedRows) === 1
    },
    async setStatus(ids, status) {
      for (let i = 0; i < ids.length; i += 500) {
        await db
          .updateTable('subscriptions')
          .set({ status })
          .where('id', 'in', ids.slice(i, i + 500))
          .execute()
      }
    },
    async countEvents(ids, by) {
      // Bounded batches: SQLite allows at most 32,766 bound parameters per statement.
      for (let i = 0; i < ids.length; i += 500) {
        await db
          .updateTable('subscriptions')
          .set({ events_sent: sql<number>`events_sent + ${by}` })
          .where('id', 'in', ids.slice(i, i + 500))
          .execute()
      }
    },
    dueToEnd: (at) =>
      db
        .selectFrom('subscriptions')
        .selectAll()
        .where('status', 'in', LIVE_STATUSES)
        .where((eb) => eb.or([eb('expires_at', '<=', at), eb('sink_expires_at', '<=', at)]))
        .execute(),
    async lockApp(clientId) {
      if (dialect !== 'postgres') return
      await sql`select pg_advisory_xact_lock(hashtextextended(${`subscriptions:${clientId}`}, 0))`.execute(
        db,
      )
    },
    async countLive(clientId) {
      // One count over the app's rows (index subscriptions_client); PostgreSQL answers a bigint.
      const { n } = await db
        .selectFrom('subscriptions')
        .select((eb) => eb.fn.countAll<number | string>().as('n'))
        .where('client_id', '=', clientId)
        .where('ended_at', 'is', null)
        .executeTakeFirstOrThrow()
      return Number(n)
    },
  }
}

export function notificationRepository(
  db: Kysely<Database> | Transaction<Database>,
  dialect: Dialect,
): NotificationRepository {
  return {
    async enqueue(rows) {
      if (rows.length === 0) return
      const subscriptionIds = [...new Set(rows.map((r) => r.subscription_id))]
      // Serialise with a concurrent settle of the same lines (the settle holds the same locks).
      await subscriptionRepository(db, dialect).lock(subscriptionIds)
      const heads = new Set<string>()
      for (let i = 0; i < subscriptionIds.length; i += 500) {
        const existing = await db
          .selectFrom('notifications')
          .select('subscription_id')
          .distinct()
          .where('subscription_id', 'in', subscriptionIds.slice(i, i + 500))
          .where('status', 'in', ['pending', 'queued'])
          .execute()
        for (const e of existing) heads.add(e.subscription_id)
      }
      const values = rows.map((row) => {
        const head = !heads.has(row.subscription_id)
        heads.add(row.subscription_id)
        return { ...row, status: head ? 'pending' : 'queued' }
      })
      // Bounded batches: SQLite allows at most 32,766 bound parameters per statement.
      for (let i = 0; i < values.length; i += 500) {
        await db
          .insertInto('notifications')
          .values(values.slice(i, i + 500))
          .execute()
      }
    },
    async waiting() {
      const row = await db
        .selectFrom('notifications')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('status', 'in', ['pending', 'queued'])
        .executeTakeFirst()
      return Number(row?.n ?? 0)
    },
    async promoteNext(subscriptionId, now) {
      // One head per subscription: none is promoted while one is still pending.
      const head = await db
        .selectFrom('notifications')
        .select('id')
        .where('subscription_id', '=', subscriptionId)
        .where('status', '=', 'pending')
        .limit(1)
        .executeTakeFirst()
      if (head !== undefined) return
      const next = await db
        .selectFrom('notifications')
        .select('id')
        .where('subscription_id', '=', subscriptionId)
        .where('status', '=', 'queued')
        .orderBy('seq')
        .limit(1)
        .executeTakeFirst()
      if (next !== undefined) {
        await db
          .updateTable('notifications')
          .set({ status: 'pending', next_attempt_at: now })
          .where('id', '=', next.id)
          .execute()
      }
    },
    byId: (id) =>
      db.selectFrom('notifications').selectAll().where('id', '=', id).executeTakeFirst(),
    async claimDue(now, limit, leaseMs) {
      const claim = async (tx: Kysely<Database> | Transaction<Database>) => {
        let candidates = tx
          .selectFrom('notifications as n')
          .select('n.id')
          .where('n.status', '=', 'pending')
          .where('n.next_attempt_at', '<=', now)
          .where((eb) => eb.or([eb('n.locked_until', 'is', null), eb('n.locked_until', '<', now)]))
          .orderBy('n.next_attempt_at')
          .limit(limit)
        if (dialect === 'postgres') candidates = candidates.forUpdate().skipLocked()
        const ids = (await candidates.execute()).map((r) => r.id)
        if (ids.length === 0) return []
        // The lease condition is checked again by the update itself, so two workers never both win.
        return tx
          .updateTable('notifications')
          .set({ locked_until: now + leaseMs })
          .where('id', 'in', ids)
          .where((eb) => eb.or([eb('locked_until', 'is', null), eb('locked_until', '<', now)]))
          .returningAll()
          .execute()
      }
      // On PostgreSQL the row locks must live until the lease is written: one transaction.
      return dialect === 'postgres' && !db.isTransaction
        ? db.transaction().execute(claim)
        : claim(db)
    },
    async settle(id, lease, changes) {
      const result = await db
        .updateTable('notifications')
        .set(changes)
        .where('id', '=', id)
        .where('status', '=', 'pending')
        .where('locked_until', lease === null ? 'is' : '=', lease)
        .executeTakeFirst()
      return Number(result.numUpdatedRows) === 1
    },
    async list(filter) {
      let query = db
        .selectFrom('notifications')
        .selectAll()
        .orderBy('created_at', 'desc')
        .limit(filter.limit ?? 100)
      if (filter.subscriptionId !== undefined)
        query = query.where('subscription_id', '=', filter.subscriptionId)
      if (filter.status !== undefined) query = query.where('status', '=', filter.status)
      return query.execute()
    },
    async cancelPending(subscriptionId, exceptId) {
      let query = db
        .updateTable('notifications')
        .set({ status: 'cancelled' })
        .where('subscription_id', '=', subscriptionId)
        .where('status', 'in', ['pending', 'queued'])
      if (exceptId !== undefined) query = query.where('id', '!=', exceptId)
      await query.execute()
    },
    async insertAttempt(row) {
      await db.insertInto('delivery_attempts').values(row).execute()
    },
    async forNetworkEvents(eventIds) {
      const rows: NotificationRow[] = []
      for (let i = 0; i < eventIds.length; i += 500) {
        rows.push(
          ...(await db
            .selectFrom('notifications')
            .selectAll()
            .where('network_event_id', 'in', eventIds.slice(i, i + 500))
            .orderBy('seq')
            .execute()),
        )
      }
      return rows
    },
    async redeliver(id, now) {
      const row = await db
        .selectFrom('notifications')
        .select(['subscription_id', 'status'])
        .where('id', '=', id)
        .executeTakeFirst()
      if (row === undefined || ['pending', 'queued'].includes(row.status)) return false
      await subscriptionRepository(db, dialect).lock([row.subscription_id])
      const waiting = await db
        .selectFrom('notifications')
        .select('id')
        .where('subscription_id', '=', row.subscription_id)
        .where('status', 'in', ['pending', 'queued'])
        .executeTakeFirst()
      const result = await db
        .updateTable('notifications')
        .set({
          status: waiting === undefined ? 'pending' : 'queued',
          next_attempt_at: now,
          locked_until: null,
          delivered_at: null,
        })
        .where('id', '=', id)
        .where('status', 'not in', ['pending', 'queued'])
        .executeTakeFirst()
      return Number(result.numUpdatedRows) === 1
    },
    attempts: (notificationId) =>
      db
        .selectFrom('delivery_attempts')
        .selectAll()
        .where('notification_id', '=', notificationId)
        .orderBy('attempt')
        .execute(),
  }
}
