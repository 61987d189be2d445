import {
  sql,
  type ExpressionBuilder,
  type Kysely,
  type RawBuilder,
  type Selectable,
  type Transaction,
} from 'kysely'
import type { CloudEvent } from '../core/cloud-event.js'
import type { Dialect } from './migrations.js'
import type { Database, DeliveryAttemptTable, NotificationTable } from './schema.js'
import { subscriptionRepository } from './subscriptions.js'

/**
 * Where a notification stands: `pending` is the head of its subscription's line (claimable),
 * `queued` waits behind it; `delivered`, `failed` and `cancelled` are settled.
 */
export type NotificationStatus = 'pending' | 'queued' | 'delivered' | 'failed' | 'cancelled'

/** One CloudEvent to deliver to one subscription's sink (the outbox). */
export interface Notification {
  /** Insertion order: orders a subscription's notifications. */
  seq: number
  /** The CloudEvent `id`: stable across retries so receivers can deduplicate. */
  id: string
  subscriptionId: string
  type: string
  /** The CloudEvent (parsed from `eventJson` when first read). */
  readonly event: CloudEvent
  /** The CloudEvent as stored: JSON text, the delivery's body as is. */
  eventJson: string
  status: NotificationStatus
  attempts: number
  /** Epoch ms at which the next attempt is due. */
  nextAttemptAt: number
  /** Epoch ms until which a worker holds the claim. */
  lockedUntil: number | null
  lastError: string | null
  createdAt: string
  deliveredAt: string | null
  /** The network event that caused it; null for lifecycle events (started, ended, …). */
  networkEventId: string | null
}

/** A notification for the outbox: its type is its event's. */
export type NewNotification = Pick<
  Notification,
  'id' | 'subscriptionId' | 'event' | 'nextAttemptAt' | 'createdAt'
> & { networkEventId?: string }

/** What settling an attempt changes. */
export type NotificationSettlement = Partial<
  Pick<
    Notification,
    'status' | 'attempts' | 'nextAttemptAt' | 'lockedUntil' | 'lastError' | 'deliveredAt'
  >
>

/** One POST of a notification to its sink, as the admin API shows it. */
export interface DeliveryAttempt {
  id: string
  notificationId: string
  /** 1 for the first attempt. */
  attempt: number
  at: string
  /** The sink's status; `null` when it did not answer. */
  statusCode: number | null
  error: string | null
  durationMs: number
}

export interface NotificationRepository {
  /**
   * Adds notifications in order: each becomes its subscription's head (`pending`) when the line
   * is empty, else `queued` behind it. Concurrent changes of one device serialise on its row, so
   * one subscription never gets two heads.
   */
  enqueue(notifications: readonly NewNotification[]): Promise<void>
  /**
   * `enqueue`, and the notifications that became heads are claimed at once for the caller's
   * worker, leased until `leaseUntil` (as a claim would lease them): the instance that wrote them
   * delivers them without a claim of its own. They are answered, in order; the rest wait queued.
   */
  enqueueClaimed(
    notifications: readonly NewNotification[],
    leaseUntil: number,
  ): Promise<Notification[]>
  /** How many notifications wait (pending or queued). */
  waiting(): Promise<number>
  /** After a head was settled: the next queued notification of the subscription becomes the head. */
  promoteNext(subscriptionId: string, now: number): Promise<void>
  /**
   * `promoteNext` for many subscriptions at once (their heads settled in one transaction): of each
   * that has no pending head, the oldest queued notification becomes the head, due at `now`.
   */
  promoteNextOf(subscriptionIds: readonly string[], now: number): Promise<void>
  /**
   * `promoteNextOf`, and the promoted heads are claimed for the caller's worker, leased until
   * `leaseUntil`: the worker that settled a line's head goes on with the line without a claim.
   */
  promoteAndClaimNextOf(
    subscriptionIds: readonly string[],
    now: number,
    leaseUntil: number,
  ): Promise<Notification[]>
  byId(id: string): Promise<Notification | undefined>
  /**
   * Claims up to `limit` due notifications for `leaseMs`: `pending`, due, not held by another
   * worker. Only the head of each subscription's line is `pending` (the rest wait `queued`), so
   * order is kept per subscription while the claim stays an index range scan. On PostgreSQL rows
   * are locked with `FOR UPDATE SKIP LOCKED`, so concurrent workers never claim the same one.
   */
  claimDue(now: number, limit: number, leaseMs: number): Promise<Notification[]>
  /**
   * Records the outcome of an attempt, if the attempt still holds the notification: `lease` is the
   * `lockedUntil` its claim wrote. A lease that lapsed meanwhile (another claim took the
   * notification) makes this a no-op. Whether the outcome was recorded.
   */
  settle(id: string, lease: number | null, changes: NotificationSettlement): Promise<boolean>
  /**
   * `settle` as `delivered` for many claimed notifications in one statement (per 500): each
   * one's attempts counted one more, `deliveredAt` its own, if its attempt still holds its `lease`
   * (the `lockedUntil` its claim wrote). The ids whose outcome was recorded.
   */
  settleDelivered(
    items: readonly { id: string; lease: number; deliveredAt: string }[],
  ): Promise<Set<string>>
  list(filter: {
    subscriptionId?: string
    status?: string
    limit?: number
  }): Promise<Notification[]>
  /** Gives up the pending notifications of a subscription (it ended), but not its final event. */
  cancelPending(subscriptionId: string, exceptId?: string): Promise<void>
  insertAttempt(attempt: DeliveryAttempt): Promise<void>
  /** Records several attempts (one statement per 500). */
  insertAttempts(attempts: readonly DeliveryAttempt[]): Promise<void>
  attempts(notificationId: string): Promise<DeliveryAttempt[]>
  /** The notifications that these network events caused, in outbox order. */
  forNetworkEvents(eventIds: readonly string[]): Promise<Notification[]>
  /**
   * Puts a settled notification (delivered, failed or cancelled) back in its subscription's line,
   * due at `now`: the head when nothing else of the subscription waits, else queued behind it.
   * Whether it was settled (a pending or queued one is left as it is). Run it in a transaction.
   */
  redeliver(id: string, now: number): Promise<boolean>
}

type Row = Selectable<NotificationTable>
type AttemptRow = Selectable<DeliveryAttemptTable>

// PostgreSQL answers bigint columns (seq, the epoch-ms times) as strings.
function toNotification(row: Row): Notification {
  // Deliveries send the stored text; only readers of the event (admin API, console) parse it.
  let event: CloudEvent | undefined
  return {
    seq: Number(row.seq),
    id: row.id,
    subscriptionId: row.subscription_id,
    type: row.type,
    get event() {
      return (event ??= JSON.parse(row.event) as CloudEvent)
    },
    eventJson: row.event,
    status: row.status as NotificationStatus,
    attempts: row.attempts,
    nextAttemptAt: Number(row.next_attempt_at),
    lockedUntil: row.locked_until === null ? null : Number(row.locked_until),
    lastError: row.last_error,
    createdAt: row.created_at,
    deliveredAt: row.delivered_at,
    networkEventId: row.network_event_id,
  }
}

function settlementColumns(changes: NotificationSettlement): Partial<Row> {
  const columns: Partial<Row> = {}
  if (changes.status !== undefined) columns.status = changes.status
  if (changes.attempts !== undefined) columns.attempts = changes.attempts
  if (changes.nextAttemptAt !== undefined) columns.next_attempt_at = changes.nextAttemptAt
  if (changes.lockedUntil !== undefined) columns.locked_until = changes.lockedUntil
  if (changes.lastError !== undefined) columns.last_error = changes.lastError
  if (changes.deliveredAt !== undefined) columns.delivered_at = changes.deliveredAt
  return columns
}

function toAttempt(row: AttemptRow): DeliveryAttempt {
  return {
    id: row.id,
    notificationId: row.notification_id,
    attempt: row.attempt,
    at: row.at,
    statusCode: row.status_code,
    error: row.error,
    durationMs: row.duration_ms,
  }
}

/**
 * The statuses of a line, as SQL literals: the partial indexes of the waiting rows
 * (`notifications_head`, `notifications_queued`, migration 0011) serve a query only when it names
 * their condition as they do, with the literal, not a bound parameter.
 */
const PENDING = sql.lit('pending')
const QUEUED = sql.lit('queued')

/**
 * Whether the line of subscription `s` is not empty: it has a pending head or queued rows. Two
 * `exists`, one per partial index: never a read of the line itself, which a backlog makes long.
 */
function lineBusy(eb: ExpressionBuilder<Database & { s: Database['subscriptions'] }, 's'>) {
  const has = (status: typeof PENDING) =>
    eb.exists(
      eb
        .selectFrom('notifications as n')
        .select('n.seq')
        .whereRef('n.subscription_id', '=', 's.id')
        .where('n.status', '=', status),
    )
  return eb.or([has(PENDING), has(QUEUED)])
}

export function notificationRepository(
  db: Kysely<Database> | Transaction<Database>,
  dialect: Dialect,
): NotificationRepository {
  /**
   * Inserts notifications at the end of their lines: each is its line's head (`pending`) when the
   * line is empty, else `queued`. With a lease, the heads are inserted claimed (`locked_until`)
   * and answered.
   */
  const insertLines = async (
    notifications: readonly NewNotification[],
    leaseUntil: number | null,
  ): Promise<Notification[]> => {
    if (notifications.length === 0) return []
    // Which lines are not empty (a pending head or queued rows: `exists`, never a read of a whole
    // line, which a backlog makes long), in one read per 500 lines. On PostgreSQL it locks their
    // subscriptions, in id order, as a settle of the same lines does: the two are serialised.
    const subscriptionIds = [...new Set(notifications.map((n) => n.subscriptionId))].sort()
    const heads = new Set<string>()
    for (let i = 0; i < subscriptionIds.length; i += 500) {
      let lines = db
        .selectFrom('subscriptions as s')
        .select((eb) => ['s.id', lineBusy(eb).as('busy')])
        .where('s.id', 'in', subscriptionIds.slice(i, i + 500))
        .orderBy('s.id')
      if (dialect === 'postgres') lines = lines.forUpdate('s')
      for (const line of await lines.execute()) if (Boolean(line.busy)) heads.add(line.id)
    }
    const values = notifications.map((n) => {
      const head = !heads.has(n.subscriptionId)
      heads.add(n.subscriptionId)
      return {
        id: n.id,
        subscription_id: n.subscriptionId,
        type: n.event.type,
        event: JSON.stringify(n.event),
        status: head ? 'pending' : 'queued',
        attempts: 0,
        next_attempt_at: n.nextAttemptAt,
        locked_until: head ? leaseUntil : null,
        last_error: null,
        created_at: n.createdAt,
        delivered_at: null,
        network_event_id: n.networkEventId ?? null,
      }
    })
    // Bounded batches: SQLite allows at most 32,766 bound parameters per statement.
    const seqs = new Map<string, number>()
    for (let i = 0; i < values.length; i += 500) {
      const insert = db.insertInto('notifications').values(values.slice(i, i + 500))
      if (leaseUntil === null) await insert.execute()
      else
        for (const row of await insert.returning(['id', 'seq']).execute())
          seqs.set(row.id, Number(row.seq))
    }
    if (leaseUntil === null) return []
    return values.flatMap((value) =>
      value.status === 'pending'
        ? [toNotification({ ...value, seq: seqs.get(value.id) ?? 0 })]
        : [],
    )
  }

  /**
   * Of each line with no pending head, the oldest queued notification becomes the head, due at
   * `now`; with a lease it is claimed too (`locked_until`) and answered.
   */
  const promoteLines = async (
    subscriptionIds: readonly string[],
    now: number,
    leaseUntil: number | null,
  ): Promise<Notification[]> => {
    const unique = [...new Set(subscriptionIds)]
    const promoted: Notification[] = []
    for (let i = 0; i < unique.length; i += 500) {
      const ids = unique.slice(i, i + 500)
      const update = db
        .updateTable('notifications')
        .set({ status: 'pending', next_attempt_at: now, locked_until: leaseUntil })
        // The oldest queued of each line, one index lookup each (a `group by` would read
        // every queued row of the lines: a backlog makes them long).
        .where(
          'seq',
          'in',
          sql<number>`(${sql.join(
            ids.map(
              (id) =>
                sql`(select min(q.seq) from notifications q where q.subscription_id = ${id} and q.status = ${QUEUED})`,
            ),
          )})`,
        )
        // One head per subscription: none is promoted while one is still pending.
        .where('subscription_id', 'not in', (eb) =>
          eb
            .selectFrom('notifications as p')
            .select('p.subscription_id')
            .where('p.subscription_id', 'in', ids)
            .where('p.status', '=', PENDING),
        )
      if (leaseUntil === null) await update.execute()
      else promoted.push(...(await update.returningAll().execute()).map(toNotification))
    }
    return promoted.sort((a, b) => a.seq - b.seq)
  }

  return {
    async enqueue(notifications) {
      await insertLines(notifications, null)
    },
    enqueueClaimed(notifications, leaseUntil) {
      return insertLines(notifications, leaseUntil)
    },
    async waiting() {
      let n = 0
      for (const status of [PENDING, QUEUED]) {
        const row = await db
          .selectFrom('notifications')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .where('status', '=', status)
          .executeTakeFirst()
        n += Number(row?.n ?? 0)
      }
      return n
    },
    async promoteNext(subscriptionId, now) {
      await promoteLines([subscriptionId], now, null)
    },
    async promoteNextOf(subscriptionIds, now) {
      await promoteLines(subscriptionIds, now, null)
    },
    promoteAndClaimNextOf(subscriptionIds, now, leaseUntil) {
      return promoteLines(subscriptionIds, now, leaseUntil)
    },
    async byId(id) {
      const row = await db
        .selectFrom('notifications')
        .selectAll()
        .where('id', '=', id)
        .executeTakeFirst()
      return row === undefined ? undefined : toNotification(row)
    },
    async claimDue(now, limit, leaseMs) {
      const claim = async (tx: Kysely<Database> | Transaction<Database>) => {
        let candidates = tx
          .selectFrom('notifications as n')
          .select('n.id')
          .where('n.status', '=', PENDING)
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
      const rows =
        dialect === 'postgres' && !db.isTransaction
          ? await db.transaction().execute(claim)
          : await claim(db)
      return rows.map(toNotification)
    },
    async settle(id, lease, changes) {
      const result = await db
        .updateTable('notifications')
        .set(settlementColumns(changes))
        .where('id', '=', id)
        .where('status', '=', 'pending')
        .where('locked_until', lease === null ? 'is' : '=', lease)
        .executeTakeFirst()
      return Number(result.numUpdatedRows) === 1
    },
    async settleDelivered(items) {
      const settled = new Set<string>()
      for (let i = 0; i < items.length; i += 500) {
        const page = items.slice(i, i + 500)
        // Each row's own time and lease, by id; `cast` types the parameters on PostgreSQL.
        const byId = <T>(value: (item: (typeof page)[number]) => RawBuilder<unknown>) =>
          sql<T>`case id ${sql.join(
            page.map((item) => sql`when ${item.id} then ${value(item)}`),
            sql` `,
          )} end`
        const rows = await db
          .updateTable('notifications')
          .set({
            status: 'delivered',
            attempts: sql<number>`attempts + 1`,
            locked_until: null,
            last_error: null,
            delivered_at: byId<string>((item) => sql`cast(${item.deliveredAt} as text)`),
          })
          .where(
            'id',
            'in',
            page.map((item) => item.id),
          )
          // Not `status = 'pending'`: SQLite's planner would take it to `notifications_due` and
          // read every pending row (100,000 after a large fan-out) instead of these ids.
          .where(sql<string>`coalesce(status, '')`, '=', 'pending')
          .where(
            'locked_until',
            '=',
            byId<number>((item) => sql`cast(${item.lease} as bigint)`),
          )
          .returning('id')
          .execute()
        for (const row of rows) settled.add(row.id)
      }
      return settled
    },
    async list(filter) {
      let query = db
        .selectFrom('notifications')
        .selectAll()
        // Newest first: seq is insertion order (`notifications_subscription` serves a line's).
        .orderBy('seq', 'desc')
        .limit(filter.limit ?? 100)
      if (filter.subscriptionId !== undefined)
        query = query.where('subscription_id', '=', filter.subscriptionId)
      if (filter.status !== undefined) query = query.where('status', '=', filter.status)
      return (await query.execute()).map(toNotification)
    },
    async cancelPending(subscriptionId, exceptId) {
      for (const status of [QUEUED, PENDING]) {
        let query = db
          .updateTable('notifications')
          .set({ status: 'cancelled' })
          .where('subscription_id', '=', subscriptionId)
          .where('status', '=', status)
        if (exceptId !== undefined) query = query.where('id', '!=', exceptId)
        await query.execute()
      }
    },
    async insertAttempt(attempt) {
      await db
        .insertInto('delivery_attempts')
        .values({
          id: attempt.id,
          notification_id: attempt.notificationId,
          attempt: attempt.attempt,
          at: attempt.at,
          status_code: attempt.statusCode,
          error: attempt.error,
          duration_ms: attempt.durationMs,
        })
        .execute()
    },
    async insertAttempts(attempts) {
      for (let i = 0; i < attempts.length; i += 500) {
        await db
          .insertInto('delivery_attempts')
          .values(
            attempts.slice(i, i + 500).map((attempt) => ({
              id: attempt.id,
              notification_id: attempt.notificationId,
              attempt: attempt.attempt,
              at: attempt.at,
              status_code: attempt.statusCode,
              error: attempt.error,
              duration_ms: attempt.durationMs,
            })),
          )
          .execute()
      }
    },
    async forNetworkEvents(eventIds) {
      const rows: Notification[] = []
      for (let i = 0; i < eventIds.length; i += 500) {
        const page = await db
          .selectFrom('notifications')
          .selectAll()
          .where('network_event_id', 'in', eventIds.slice(i, i + 500))
          .orderBy('seq')
          .execute()
        rows.push(...page.map(toNotification))
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
      const line = await db
        .selectFrom('subscriptions as s')
        .select((eb) => lineBusy(eb).as('busy'))
        .where('s.id', '=', row.subscription_id)
        .executeTakeFirst()
      const result = await db
        .updateTable('notifications')
        .set({
          status: Boolean(line?.busy) ? 'queued' : 'pending',
          next_attempt_at: now,
          locked_until: null,
          delivered_at: null,
        })
        .where('id', '=', id)
        .where('status', 'not in', ['pending', 'queued'])
        .executeTakeFirst()
      return Number(result.numUpdatedRows) === 1
    },
    async attempts(notificationId) {
      const rows = await db
        .selectFrom('delivery_attempts')
        .selectAll()
        .where('notification_id', '=', notificationId)
        .orderBy('attempt')
        .execute()
      return rows.map(toAttempt)
    },
  }
}
