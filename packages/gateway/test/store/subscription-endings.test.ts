/**
 * The sweep's read of the subscriptions whose time runs out (`dueToEnd`), on both stores: live
 * ones only, those that run out first, a page at a time; and read through an index, not the
 * whole table, with 20,000 other subscriptions in a table never analysed (PostgreSQL planned
 * the earlier query as a scan of the table there: 0.4 s a sweep with 100,000 subscriptions).
 */
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import SQLite from 'better-sqlite3'
import pg from 'pg'
import { openStore, type Store } from '../../src/store/store.js'
import type { Subscription } from '../../src/store/subscriptions.js'
import { subscriptionFixture } from '../helpers/bare-store.js'
import { databaseNameFor, dropDatabase, ensureDatabase } from '../helpers/test-store.js'

const NOW = Date.parse('2026-06-01T12:00:00Z')
const at = (minutes: number) => new Date(NOW + minutes * 60_000).toISOString()

/** What each subscription is, and whether the sweep at NOW is to find it. */
const table: readonly (readonly [id: string, changes: Partial<Subscription>, due: boolean])[] = [
  ['expired-3', { expiresAt: at(-3) }, true],
  ['expired-1', { expiresAt: at(-1) }, true],
  ['expired-2', { expiresAt: at(-2), status: 'INACTIVE' }, true],
  ['expires-later', { expiresAt: at(10) }, false],
  ['no-expiry', {}, false],
  ['token-expired', { sinkExpiresAt: at(-5) }, true],
  ['token-later', { sinkExpiresAt: at(10) }, false],
  ['ended-expired', { expiresAt: at(-4), status: 'EXPIRED', endedAt: at(-4) }, false],
  ['deleted-token', { sinkExpiresAt: at(-6), status: 'DELETED', endedAt: at(-6) }, false],
]

interface Dialect {
  name: 'sqlite' | 'postgres'
  open(): Promise<Store>
  /** 20,000 more subscriptions that are not due, written by SQL (no statistics are gathered). */
  fill(): Promise<void>
  /** The plan of a statement, as text. */
  plan(text: string, parameters: readonly unknown[]): Promise<string>
  /** Calls `work`, and answers the SQL texts of the store's statements meanwhile. */
  statementsOf(work: () => Promise<unknown>): Promise<{ text: string; parameters: unknown[] }[]>
  close(): Promise<void>
}

/** Copies of a row: `count` of them, ids `filler-<n>`, ended or not due. */
const FILLER_COLUMNS = (columns: readonly string[], series: string) =>
  columns
    .map((column) =>
      column === 'id'
        ? `'filler-' || ${series}`
        : column === 'status'
          ? `case when ${series} % 2 = 0 then 'EXPIRED' else 'ACTIVE' end`
          : `"${column}"`,
    )
    .join(', ')

function sqliteDialect(): Dialect {
  const dir = mkdtempSync(join(tmpdir(), 'ds-endings-'))
  let store: Store | undefined
  return {
    name: 'sqlite',
    async open() {
      store = await openStore({ dataDir: dir, checkpointThread: false })
      return store
    },
    async fill() {
      const database = new SQLite(join(dir, 'gateway.sqlite'))
      const columns = database
        .prepare('select name from pragma_table_info(?)')
        .all('subscriptions')
        .map((row) => (row as { name: string }).name)
      database.exec(
        `with recursive n(i) as (select 1 union all select i + 1 from n where i < 20000)
         insert into subscriptions (${columns.map((c) => `"${c}"`).join(', ')})
         select ${FILLER_COLUMNS(columns, 'n.i')} from subscriptions, n where id = 'no-expiry'`,
      )
      database.close()
    },
    async plan(text, parameters) {
      const database = new SQLite(join(dir, 'gateway.sqlite'), { readonly: true })
      const rows = database
        .prepare(`explain query plan ${text}`)
        .all(...(parameters as unknown[])) as {
        detail: string
      }[]
      database.close()
      return rows.map((row) => row.detail).join('\n')
    },
    async statementsOf(work) {
      // Statements are prepared once and kept (store.ts): their runs are what is watched.
      const seen: { text: string; parameters: unknown[] }[] = []
      const probe = new SQLite(':memory:')
      const prototype = Object.getPrototypeOf(probe.prepare('select 1')) as SQLite.Statement
      probe.close()
      // The method itself, to call with each statement as `this` (and to put back).
      const all = Reflect.get<SQLite.Statement, 'all'>(prototype, 'all')
      prototype.all = function (this: SQLite.Statement, ...parameters: unknown[]) {
        seen.push({ text: this.source, parameters })
        return all.apply(this, parameters)
      }
      try {
        await work()
      } finally {
        prototype.all = all
      }
      return seen
    },
    async close() {
      await store?.close()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

function postgresDialect(): Dialect {
  const name = databaseNameFor(undefined)
  let url = ''
  let store: Store | undefined
  const client = async <T>(work: (c: pg.Client) => Promise<T>): Promise<T> => {
    const c = new pg.Client({ connectionString: url })
    await c.connect()
    try {
      return await work(c)
    } finally {
      await c.end()
    }
  }
  return {
    name: 'postgres',
    async open() {
      url = await ensureDatabase(name)
      store = await openStore({ databaseUrl: url })
      return store
    },
    fill: () =>
      client(async (c) => {
        const { rows } = await c.query<{ column_name: string }>(
          `select column_name from information_schema.columns where table_name = 'subscriptions' order by ordinal_position`,
        )
        const columns = rows.map((row) => row.column_name)
        await c.query(
          `insert into subscriptions (${columns.map((c) => `"${c}"`).join(', ')})
           select ${FILLER_COLUMNS(columns, 'g')} from subscriptions, generate_series(1, 20000) g where id = 'no-expiry'`,
        )
      }),
    plan: (text, parameters) =>
      client(async (c) => {
        const { rows } = await c.query<{ 'QUERY PLAN': string }>(
          `explain ${text}`,
          parameters as unknown[],
        )
        return rows.map((row) => row['QUERY PLAN']).join('\n')
      }),
    async statementsOf(work) {
      const seen: { text: string; parameters: unknown[] }[] = []
      const query = Reflect.get<pg.Client, 'query'>(pg.Client.prototype, 'query')
      pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
        const [text, parameters] = args
        if (typeof text === 'string')
          seen.push({ text, parameters: (parameters ?? []) as unknown[] })
        return (query as (...a: unknown[]) => unknown).apply(this, args)
      } as typeof query
      try {
        await work()
      } finally {
        pg.Client.prototype.query = query
      }
      return seen
    },
    async close() {
      await store?.close()
      await dropDatabase(name)
    },
  }
}

for (const dialect of [sqliteDialect(), postgresDialect()])
  describe(`the sweep's subscriptions whose time runs out (${dialect.name})`, () => {
    let store: Store
    before(async () => {
      store = await dialect.open()
      for (const [id, changes] of table)
        await store.subscriptions.insert(subscriptionFixture(id, changes))
    })
    after(() => dialect.close())

    it('finds the live ones due, never an ended one, a page at a time in the order they ran out', async () => {
      const due = await store.subscriptions.dueToEnd(at(0))
      assert.deepEqual(
        due.map((s) => s.id).sort(),
        table
          .filter(([, , isDue]) => isDue)
          .map(([id]) => id)
          .sort(),
      )
      const page = await store.subscriptions.dueToEnd(at(0), 2)
      // Of each kind the two that ran out first: two expiries, the one sink token.
      assert.deepEqual(
        page.map((s) => s.id),
        ['expired-3', 'expired-2', 'token-expired'],
      )
    })

    it('reads them through an index, with 20,000 more subscriptions and no statistics', async () => {
      await dialect.fill()
      const statements = await dialect.statementsOf(() => store.subscriptions.dueToEnd(at(0)))
      const reads = statements.filter((s) => /from "subscriptions"/.test(s.text))
      assert.equal(reads.length, 2, reads.map((s) => s.text).join('\n'))
      for (const read of reads) {
        const plan = await dialect.plan(read.text, read.parameters)
        assert.match(plan, /subscriptions_live_/, plan)
        assert.doesNotMatch(plan, /Seq Scan|SCAN subscriptions/, plan)
      }
      assert.equal((await store.subscriptions.dueToEnd(at(0))).length, 4)
    })
  })
