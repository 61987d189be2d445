import { sql, type Insertable, type Kysely, type Selectable, type Transaction } from 'kysely'
import type { Dialect } from './migrations.js'
import type { Database, SubscriptionTable } from './schema.js'

/** ACTIVE or INACTIVE while live; EXPIRED or DELETED once ended (CAMARA `SubscriptionStatus`). */
export type SubscriptionStatus = 'ACTIVE' | 'INACTIVE' | 'EXPIRED' | 'DELETED'

/**
 * Statuses of a subscription that has not ended: ACTIVE, or INACTIVE while its service does not
 * apply to the device (it produces no events then, but can still be read, deleted and expire).
 */
export const LIVE_STATUSES: readonly SubscriptionStatus[] = ['ACTIVE', 'INACTIVE']
const LIVE_STATUS_LITERALS = LIVE_STATUSES.map((status) => sql.lit(status))

/** The sink's credential (CAMARA ESG `SinkCredential`, ACCESSTOKEN and bearer only). */
export interface SinkCredential {
  credentialType: 'ACCESSTOKEN'
  accessTokenType: 'bearer'
  accessToken: string
  /** Absent for legacy v0.5.1 webhooks, whose token has no expiry. */
  accessTokenExpiresUtc?: string
}

/** An event subscription of one of the subscription APIs, as the store keeps it. */
export interface Subscription {
  id: string
  /** Subscription API name, e.g. `device-roaming-status-subscriptions`. */
  api: string
  clientId: string
  deviceId: string
  /** Pairwise subject of a three-legged subscription; `null` when two-legged. */
  sub: string | null
  /** The subscribed event types, in full (`org.camaraproject.….v0.roaming-status`). */
  types: string[]
  protocol: string
  sink: string
  sinkCredential: SinkCredential | null
  /** When the sink's access token expires (the subscription ends just before, ACCESS_TOKEN_EXPIRED). */
  sinkExpiresAt: string | null
  /** `config` as the API shows it (subscriptionDetail, expire time, max events, initialEvent). */
  config: Record<string, unknown>
  /** DeviceResponse of a two-legged subscription: the single identifier it was created with. */
  usedIdentifier?: Record<string, unknown>
  expiresAt: string | null
  maxEvents: number | null
  eventsSent: number
  status: SubscriptionStatus
  startsAt: string
  endedAt: string | null
  terminationReason: string | null
  createdAt: string
}

/** How a subscription ends: DELETED or EXPIRED, when, and why (CAMARA `terminationReason`). */
export interface SubscriptionEnding {
  status: 'DELETED' | 'EXPIRED'
  endedAt: string
  terminationReason: string
}

type Row = Selectable<SubscriptionTable>

/** What the `config` column keeps: the config as the API shows it, and the identifier used. */
interface StoredConfig {
  config: Record<string, unknown>
  usedIdentifier?: Record<string, unknown>
}

function toSubscription(row: Row): Subscription {
  const stored = JSON.parse(row.config) as StoredConfig
  return {
    id: row.id,
    api: row.api,
    clientId: row.client_id,
    deviceId: row.device_id,
    sub: row.sub,
    types: JSON.parse(row.types) as string[],
    protocol: row.protocol,
    sink: row.sink,
    sinkCredential:
      row.sink_credential === null ? null : (JSON.parse(row.sink_credential) as SinkCredential),
    sinkExpiresAt: row.sink_expires_at,
    config: stored.config,
    ...(stored.usedIdentifier === undefined ? {} : { usedIdentifier: stored.usedIdentifier }),
    expiresAt: row.expires_at,
    maxEvents: row.max_events,
    eventsSent: Number(row.events_sent),
    status: row.status as SubscriptionStatus,
    startsAt: row.starts_at,
    endedAt: row.ended_at,
    terminationReason: row.termination_reason,
    createdAt: row.created_at,
  }
}

function toRow(subscription: Subscription): Insertable<SubscriptionTable> {
  const stored: StoredConfig = {
    config: subscription.config,
    ...(subscription.usedIdentifier === undefined
      ? {}
      : { usedIdentifier: subscription.usedIdentifier }),
  }
  return {
    id: subscription.id,
    api: subscription.api,
    client_id: subscription.clientId,
    device_id: subscription.deviceId,
    sub: subscription.sub,
    types: JSON.stringify(subscription.types),
    protocol: subscription.protocol,
    sink: subscription.sink,
    sink_credential:
      subscription.sinkCredential === null ? null : JSON.stringify(subscription.sinkCredential),
    sink_expires_at: subscription.sinkExpiresAt,
    config: JSON.stringify(stored),
    expires_at: subscription.expiresAt,
    max_events: subscription.maxEvents,
    events_sent: subscription.eventsSent,
    status: subscription.status,
    starts_at: subscription.startsAt,
    ended_at: subscription.endedAt,
    termination_reason: subscription.terminationReason,
    created_at: subscription.createdAt,
  }
}

/** The times a subscription may be changed in place (tests bring an expiry forward). */
export type SubscriptionChanges = Partial<Pick<Subscription, 'expiresAt' | 'sinkExpiresAt'>>

export interface SubscriptionRepository {
  /**
   * Stores a new subscription; network events recorded before it (their seq at most the newest
   * now) are not fanned out to it: its initial state already follows them.
   */
  insert(subscription: Subscription): Promise<void>
  /** {@link insert} for many (bulk loads: one statement per 1,000). */
  insertMany(subscriptions: readonly Subscription[]): Promise<void>
  byId(id: string): Promise<Subscription | undefined>
  /** The subscriptions of these ids that exist, by id (one read for a batch of deliveries). */
  byIds(ids: readonly string[]): Promise<Map<string, Subscription>>
  list(filter: {
    clientId?: string
    api?: string
    sub?: string
    deviceId?: string
    /** One status, or any of several. */
    status?: string | readonly string[]
  }): Promise<Subscription[]>
  /**
   * The device's subscriptions that have not ended (ACTIVE or INACTIVE), by id. With `forUpdate`
   * (PostgreSQL; SQLite runs one transaction at a time) their rows are locked in id order until
   * the transaction ends, and a row that a concurrent transaction changed is read as it committed
   * (left out if it ended): a decision taken from these rows holds until the commit.
   */
  liveForDevice(deviceId: string, options?: { forUpdate?: boolean }): Promise<Subscription[]>
  /**
   * One chunk of the subscriptions a network event is fanned out to: the device's live ones
   * stored before the event was recorded, after `after` in id order, at most `limit`. Locked as
   * `liveForDevice` with `forUpdate` locks them. Call in a transaction.
   */
  liveForEvent(
    event: { seq: number; deviceId: string },
    options: { after: string | null; limit: number },
  ): Promise<Subscription[]>
  update(id: string, changes: SubscriptionChanges): Promise<void>
  /**
   * Ends the subscription if it is still live, in one conditional update: of two concurrent
   * endings only one changes the row (on PostgreSQL the second waits for the first's row lock,
   * then finds the row ended). Whether this call ended it.
   */
  endIfLive(id: string, ending: SubscriptionEnding): Promise<boolean>
  /** Sets the status of each subscription (ACTIVE ↔ INACTIVE). */
  setStatus(ids: readonly string[], status: 'ACTIVE' | 'INACTIVE'): Promise<void>
  /**
   * Locks subscription rows until the transaction ends (PostgreSQL; SQLite runs one transaction
   * at a time): whoever changes a subscription's line of notifications holds it first.
   */
  lock(ids: readonly string[]): Promise<void>
  /** Adds `by` to the events sent of each subscription. */
  countEvents(ids: readonly string[], by: number): Promise<void>
  /**
   * Live subscriptions whose expiry or sink token expiry is at or before `at` (ISO): of each
   * kind the `limit` (default 1,000) that run out first, so the sweep ends them a page at a
   * time.
   */
  dueToEnd(at: string, limit?: number): Promise<Subscription[]>
  /** How many subscriptions of an app have not ended (`ended_at` unset), whatever their status. */
  countLive(clientId: string): Promise<number>
  /**
   * Holds the app's subscription count until the transaction ends, so that concurrent creates of
   * one app count one after the other (a PostgreSQL advisory lock per app; SQLite runs one
   * transaction at a time). Call it in a transaction, before `countLive`.
   */
  lockApp(clientId: string): Promise<void>
}

/** The newest network event's seq (0: none yet), read as the inserting statement runs. */
const newestEventSeq = sql<number>`(select coalesce(max(seq), 0) from network_events)`

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
    async insert(subscription) {
      await db
        .insertInto('subscriptions')
        .values({ ...toRow(subscription), events_after: newestEventSeq })
        .execute()
    },
    async insertMany(subscriptions) {
      // Bounded batches: SQLite allows at most 32,766 bound parameters per statement.
      for (let i = 0; i < subscriptions.length; i += 1000) {
        await db
          .insertInto('subscriptions')
          .values(
            subscriptions
              .slice(i, i + 1000)
              .map((s) => ({ ...toRow(s), events_after: newestEventSeq })),
          )
          .execute()
      }
    },
    async byId(id) {
      const row = await db
        .selectFrom('subscriptions')
        .selectAll()
        .where('id', '=', id)
        .executeTakeFirst()
      return row === undefined ? undefined : toSubscription(row)
    },
    async byIds(ids) {
      const found = new Map<string, Subscription>()
      const unique = [...new Set(ids)]
      for (let i = 0; i < unique.length; i += 500) {
        const rows = await db
          .selectFrom('subscriptions')
          .selectAll()
          .where('id', 'in', unique.slice(i, i + 500))
          .execute()
        for (const row of rows) found.set(row.id, toSubscription(row))
      }
      return found
    },
    async list(filter) {
      let query = db.selectFrom('subscriptions').selectAll().orderBy('created_at')
      if (filter.clientId !== undefined) query = query.where('client_id', '=', filter.clientId)
      if (filter.api !== undefined) query = query.where('api', '=', filter.api)
      if (filter.sub !== undefined) query = query.where('sub', '=', filter.sub)
      if (filter.deviceId !== undefined) query = query.where('device_id', '=', filter.deviceId)
      if (typeof filter.status === 'string') query = query.where('status', '=', filter.status)
      else if (filter.status !== undefined) query = query.where('status', 'in', filter.status)
      return (await query.execute()).map(toSubscription)
    },
    async liveForEvent(event, options) {
      let query = db
        .selectFrom('subscriptions')
        .selectAll()
        .where('device_id', '=', event.deviceId)
        .where('status', 'in', LIVE_STATUSES)
        .where('events_after', '<', event.seq)
        // Locks in id order, as `lock` takes them, so that two lockers never wait on each other.
        .orderBy('id')
        .limit(options.limit)
      if (options.after !== null) query = query.where('id', '>', options.after)
      if (dialect === 'postgres') query = query.forUpdate()
      return (await query.execute()).map(toSubscription)
    },
    async liveForDevice(deviceId, options = {}) {
      let query = db
        .selectFrom('subscriptions')
        .selectAll()
        .where('device_id', '=', deviceId)
        .where('status', 'in', LIVE_STATUSES)
        // Locks in id order, as `lock` takes them, so that two lockers never wait on each other.
        .orderBy('id')
      if (options.forUpdate === true && dialect === 'postgres') query = query.forUpdate()
      return (await query.execute()).map(toSubscription)
    },
    async update(id, changes) {
      await db
        .updateTable('subscriptions')
        .set({
          ...(changes.expiresAt === undefined ? {} : { expires_at: changes.expiresAt }),
          ...(changes.sinkExpiresAt === undefined
            ? {}
            : { sink_expires_at: changes.sinkExpiresAt }),
        })
        .where('id', '=', id)
        .execute()
    },
    async endIfLive(id, ending) {
      const result = await db
        .updateTable('subscriptions')
        .set({
          status: ending.status,
          ended_at: ending.endedAt,
          termination_reason: ending.terminationReason,
        })
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
    async dueToEnd(at, limit = 1000) {
      // From migration 0012's partial indexes: the statuses are written as literals, as those
      // indexes' condition is (SQLite uses a partial index only for the same terms).
      const due = (column: 'expires_at' | 'sink_expires_at') =>
        db
          .selectFrom('subscriptions')
          .selectAll()
          .where('status', 'in', LIVE_STATUS_LITERALS)
          .where(column, '<=', at)
          .orderBy(column)
          .limit(limit)
          .execute()
      const byId = new Map<string, Subscription>()
      for (const row of [...(await due('expires_at')), ...(await due('sink_expires_at'))])
        byId.set(row.id, toSubscription(row))
      return [...byId.values()]
    },
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
