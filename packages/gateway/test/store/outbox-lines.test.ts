/**
 * The outbox's lines after migration 0011: what waits is indexed apart from the history (partial
 * indexes of the `pending` head and the `queued` rows), on the store `TEST_STORE` names
 * (test/postgres.test.ts runs it on PostgreSQL). A database written under the earlier schema
 * upgrades with its lines intact, and the database itself keeps a line to one head.
 */
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import SQLite from 'better-sqlite3'
import { Kysely, Migrator, PostgresDialect, SqliteDialect } from 'kysely'
import pg from 'pg'
import { migrationProvider, type Dialect } from '../../src/store/migrations.js'
import type { Database } from '../../src/store/schema.js'
import { newId, openStore, type Store } from '../../src/store/store.js'
import { subscriptionFixture } from '../helpers/bare-store.js'
import {
  databaseNameFor,
  dropDatabase,
  ensureDatabase,
  testStoreKind,
} from '../helpers/test-store.js'

const BEFORE = '0010-notify-fan-out-queue'

describe('outbox lines (migration 0011): partial indexes of what waits', () => {
  const dialect: Dialect = testStoreKind()
  let dir: string | undefined
  let database: string | undefined
  let url: string | undefined
  let db: Kysely<Database>
  let store: Store | undefined
  const subscription = subscriptionFixture(newId())
  const other = subscriptionFixture(newId())
  // One line of each state, written under 0010: two delivered, a failed, the head, two queued.
  const rows = (['delivered', 'delivered', 'failed', 'pending', 'queued', 'queued'] as const).map(
    (status, i) => ({ id: newId(), status, at: Date.UTC(2026, 11, 7, 12, 0, i) }),
  )

  before(async () => {
    if (dialect === 'postgres') {
      database = databaseNameFor(undefined)
      url = await ensureDatabase(database)
      db = new Kysely<Database>({
        dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: url, max: 2 }) }),
      })
    } else {
      dir = mkdtempSync(join(tmpdir(), 'ds-outbox-lines-'))
      db = new Kysely<Database>({
        dialect: new SqliteDialect({ database: new SQLite(join(dir, 'gateway.sqlite')) }),
      })
    }
    const migrator = new Migrator({ db, provider: migrationProvider(dialect) })
    const { error } = await migrator.migrateTo(BEFORE)
    if (error !== undefined) throw new Error(`migrating to ${BEFORE} failed`, { cause: error })
    for (const s of [subscription, other])
      await db
        .insertInto('subscriptions')
        .values({
          id: s.id,
          api: s.api,
          client_id: s.clientId,
          device_id: s.deviceId,
          sub: null,
          types: JSON.stringify(s.types),
          protocol: s.protocol,
          sink: s.sink,
          sink_credential: null,
          sink_expires_at: null,
          config: JSON.stringify(s.config),
          expires_at: null,
          max_events: null,
          events_sent: 0,
          status: s.status,
          starts_at: s.startsAt,
          ended_at: null,
          termination_reason: null,
          created_at: s.createdAt,
        })
        .execute()
    await db
      .insertInto('notifications')
      .values(
        rows.map((row) => ({
          id: row.id,
          subscription_id: subscription.id,
          type: 'org.example.test',
          event: JSON.stringify({ id: row.id, type: 'org.example.test' }),
          status: row.status,
          attempts: row.status === 'queued' ? 0 : 1,
          next_attempt_at: row.at,
          locked_until: null,
          last_error: null,
          created_at: new Date(row.at).toISOString(),
          delivered_at: row.status === 'delivered' ? new Date(row.at).toISOString() : null,
        })),
      )
      .execute()
    // The gateway opens the database: it brings the schema to the latest migration.
    store = await openStore(url === undefined ? { dataDir: dir as string } : { databaseUrl: url })
  })
  after(async () => {
    await store?.close()
    await db.destroy()
    if (database !== undefined) await dropDatabase(database)
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true })
  })
  const open = () => store as Store

  it('upgrades a database of the earlier schema: its history reads newest first, its line waits as it was', async () => {
    const history = await open().notifications.list({ subscriptionId: subscription.id })
    assert.deepEqual(
      history.map((n) => [n.id, n.status]),
      rows.map((row) => [row.id, row.status]).reverse(),
    )
    assert.equal(await open().notifications.waiting(), 3)
    const pending = await open().notifications.list({ status: 'pending' })
    assert.deepEqual(
      pending.map((n) => n.id),
      [rows[3]?.id],
    )
  })

  it('settling the head promotes the oldest queued row, then the next', async () => {
    const [head, first, second] = [3, 4, 5].map((i) => rows[i]?.id ?? '') as [
      string,
      string,
      string,
    ]
    const now = Date.now()
    const claimed = await open().notifications.claimDue(now, 10, 60_000)
    assert.deepEqual(
      claimed.map((n) => n.id),
      [head],
    )
    for (const [id, next] of [
      [head, first],
      [first, second],
    ] as const) {
      const [promoted] = await open().transaction(async (trx) => {
        const lease = (await trx.notifications.byId(id))?.lockedUntil ?? null
        assert.ok(await trx.notifications.settle(id, lease, { status: 'delivered' }))
        return trx.notifications.promoteAndClaimNextOf([subscription.id], now, now + 60_000)
      })
      assert.equal(promoted?.id, next)
    }
    assert.equal(await open().notifications.waiting(), 1)
  })

  it('keeps one head per line: a second pending row of a subscription is refused, a queued one is not', async () => {
    const row = (status: string) => ({
      id: newId(),
      subscription_id: other.id,
      type: 'org.example.test',
      event: '{}',
      status,
      attempts: 0,
      next_attempt_at: Date.now(),
      locked_until: null,
      last_error: null,
      created_at: new Date().toISOString(),
      delivered_at: null,
    })
    await db.insertInto('notifications').values(row('pending')).execute()
    await db.insertInto('notifications').values(row('queued')).execute()
    await assert.rejects(
      db.insertInto('notifications').values(row('pending')).execute(),
      /unique|UNIQUE/,
    )
    // An enqueue behind the head is queued, whatever it is told.
    const id = newId()
    await open().notifications.enqueue([
      {
        id,
        subscriptionId: other.id,
        event: { id, type: 'org.example.test', source: 'test', specversion: '1.0' } as never,
        nextAttemptAt: Date.now(),
        createdAt: new Date().toISOString(),
      },
    ])
    assert.equal((await open().notifications.byId(id))?.status, 'queued')
  })
})
