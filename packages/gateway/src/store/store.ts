import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import SQLite from 'better-sqlite3'
import { Kysely, Migrator, PostgresDialect, SqliteDialect, sql, type Transaction } from 'kysely'
import pg from 'pg'
import { v7 as uuidv7 } from 'uuid'
import { startCheckpointThread, type CheckpointThread } from './checkpointer.js'
import { migrationProvider, type Dialect } from './migrations.js'
import { nulTextGuard } from './text-guard.js'
import type { Database } from './schema.js'
import {
  cachedDeviceRepository,
  deviceCache,
  deviceRepository,
  type DeviceCache,
  type DeviceRepository,
} from './devices.js'
import { networkEventRepository, type NetworkEventRepository } from './network-events.js'
import { appRepository, type AppRepository } from './apps.js'
import {
  consentRepository,
  pendingAuthorizationRepository,
  type ConsentRepository,
  type PendingAuthorizationRepository,
} from './consents.js'
import { oidcModelRepository, type OidcModelRepository } from './oidc-models.js'
import { rateLimitRepository, type RateLimitRepository } from './rate-limits.js'
import { nefSimRepository, type NefSimRepository } from './nef-sim.js'
import { nefRepository, type NefRepository } from './nef.js'
import { notificationRepository, type NotificationRepository } from './notifications.js'
import { subscriptionRepository, type SubscriptionRepository } from './subscriptions.js'
import {
  signingKeyRepository,
  subjectRepository,
  type SigningKeyRepository,
  type SubjectRepository,
} from './auth.js'

/** The store port: every durable state of the gateway, one implementation for both dialects. */
export interface Store {
  readonly dialect: Dialect
  readonly devices: DeviceRepository
  readonly networkEvents: NetworkEventRepository
  readonly signingKeys: SigningKeyRepository
  readonly subjects: SubjectRepository
  readonly apps: AppRepository
  readonly oidcModels: OidcModelRepository
  readonly consents: ConsentRepository
  readonly pendingAuthorizations: PendingAuthorizationRepository
  readonly subscriptions: SubscriptionRepository
  readonly notifications: NotificationRepository
  readonly rateLimits: RateLimitRepository
  /** The simulator as a NEF: its Monitoring Event subscriptions and notification outbox. */
  readonly nefSim: NefSimRepository
  /** The NEF adapter's state (nef/): reported facts, NEF subscriptions. */
  readonly nef: NefRepository
  /** Runs `work` in one transaction: all of its writes land, or none. */
  transaction<T>(work: (store: Store) => Promise<T>): Promise<T>
  /**
   * Runs `work`'s reads on one snapshot of the database: rows that one transaction wrote together
   * are seen together or not at all, however many reads `work` makes (a read-only `REPEATABLE READ`
   * transaction on PostgreSQL; a read transaction on SQLite, which reads one snapshot in WAL mode).
   */
  snapshot<T>(work: (store: Store) => Promise<T>): Promise<T>
  /** Fails when the database cannot be reached (readiness). */
  ping(): Promise<void>
  close(): Promise<void>
}

export interface OpenStoreOptions {
  /** `postgres://…`; absent: SQLite in `dataDir`. */
  databaseUrl?: string | undefined
  dataDir?: string
  /** SQLite file name inside `dataDir`, or `:memory:`. */
  sqliteFile?: string
  /** Told about errors of idle PostgreSQL connections (they are replaced, not fatal). */
  onPoolError?: (error: Error) => void
  /**
   * Whether an SQLite file's write-ahead log is copied back into it by a thread of its own
   * (`checkpointer.ts`; default true, never for `:memory:`).
   */
  checkpointThread?: boolean
  /** Told when that thread's checkpoint fails or the thread stops (not fatal: see there). */
  onCheckpointError?: (error: Error) => void
}

function storeOn(
  db: Kysely<Database> | Transaction<Database>,
  dialect: Dialect,
  root: Kysely<Database>,
  cache: DeviceCache | undefined,
  onClose?: () => Promise<void>,
): Store {
  const store: Store = {
    dialect,
    devices:
      cache === undefined
        ? deviceRepository(db, dialect)
        : cachedDeviceRepository(deviceRepository(db, dialect), cache, !db.isTransaction),
    networkEvents: networkEventRepository(db, dialect),
    signingKeys: signingKeyRepository(db),
    subjects: subjectRepository(db, root),
    apps: appRepository(db),
    oidcModels: oidcModelRepository(db),
    consents: consentRepository(db),
    pendingAuthorizations: pendingAuthorizationRepository(db),
    subscriptions: subscriptionRepository(db, dialect),
    notifications: notificationRepository(db, dialect),
    rateLimits: rateLimitRepository(db),
    nefSim: nefSimRepository(db, dialect),
    nef: nefRepository(db, dialect),
    transaction: (work) =>
      db.isTransaction
        ? work(store)
        : db.transaction().execute((trx) => work(storeOn(trx, dialect, root, cache, onClose))),
    snapshot: (work) => {
      if (db.isTransaction) return work(store)
      const begin =
        dialect === 'postgres'
          ? db.transaction().setIsolationLevel('repeatable read').setAccessMode('read only')
          : db.transaction()
      return begin.execute((trx) => work(storeOn(trx, dialect, root, cache, onClose)))
    },
    ping: async () => {
      await sql`select 1`.execute(db)
    },
    close: async () => {
      await onClose?.()
      await root.destroy()
    },
  }
  return store
}

/** Opens the store and brings its schema up to date. */
export async function openStore(options: OpenStoreOptions = {}): Promise<Store> {
  const dialect: Dialect = options.databaseUrl === undefined ? 'sqlite' : 'postgres'
  let db: Kysely<Database>
  let sqlitePath: string | undefined
  if (options.databaseUrl !== undefined) {
    const pool = new pg.Pool({ connectionString: options.databaseUrl, max: 10 })
    // An idle connection that the server closes (restart, failover, admin) is dropped by the
    // pool and replaced on demand; unhandled, its 'error' event would end the process.
    pool.on('error', (error) => options.onPoolError?.(error))
    db = new Kysely<Database>({ dialect: nulTextGuard(new PostgresDialect({ pool })) })
  } else {
    const file = options.sqliteFile ?? 'gateway.sqlite'
    let path = file
    if (file !== ':memory:') {
      const dir = options.dataDir ?? '.data'
      mkdirSync(dir, { recursive: true })
      path = join(dir, file)
      sqlitePath = path
    }
    const database = new SQLite(path)
    database.pragma('journal_mode = WAL')
    database.pragma('synchronous = NORMAL')
    // A checkpoint copies the newest version of each page the WAL holds back into the database.
    // The outbox rewrites the same index pages again and again, so a checkpoint every 10,000
    // frames (about 40 MB of WAL) copies each hot page once where one every 1,000 (SQLite's
    // default) copied it ten times, and pauses the process ten times less often: about 10% less
    // CPU per notification in alternating bench rounds. The file is cut back to 64 MB after a
    // checkpoint should a long read have let it grow past that.
    // The checkpoint thread (below) copies most of them before this checkpoint comes due.
    database.pragma('wal_autocheckpoint = 10000')
    database.pragma('journal_size_limit = 67108864')
    // Statement journals and sorts in memory: on disk each was a file opened, unlinked and closed
    // (about 20 a second under the notification bench's load).
    database.pragma('temp_store = MEMORY')
    database.pragma('busy_timeout = 5000')
    database.pragma('foreign_keys = ON')
    db = new Kysely<Database>({
      dialect: nulTextGuard(new SqliteDialect({ database: withStatementCache(database) })),
    })
  }
  const migrator = new Migrator({ db, provider: migrationProvider(dialect) })
  const { error } = await migrator.migrateToLatest()
  if (error !== undefined) {
    await db.destroy()
    throw new Error('store migration failed', { cause: error })
  }
  const checkpoints: CheckpointThread | undefined =
    sqlitePath !== undefined && options.checkpointThread !== false
      ? startCheckpointThread(sqlitePath, {
          onError: (error) => options.onCheckpointError?.(error),
        })
      : undefined
  // The embedded store has one writer, this process: device reads can be cached. Closing stops
  // the checkpoint thread first: the last connection to close checkpoints and removes the log.
  return storeOn(
    db,
    dialect,
    db,
    dialect === 'sqlite' ? deviceCache() : undefined,
    checkpoints === undefined ? undefined : () => checkpoints.stop(),
  )
}

/**
 * A new identifier for rows: a UUID version 7 (RFC 9562), random but led by the time in ms, so
 * rows written one after another get ids in order. An index of such ids grows at its end, as an
 * index of a sequence does: random (version 4) ids put every insert on a different page, and the
 * outbox writes thousands of rows a second.
 */
export function newId(): string {
  return uuidv7()
}

/**
 * Kysely's SQLite driver prepares every query anew; preparing costs about as much as running a
 * point read. The same query shapes recur (parameters are bound separately), so prepared
 * statements are kept, a bounded number, by SQL text. Statements run synchronously, one at a
 * time, so reusing one is safe.
 */
function withStatementCache(database: SQLite.Database, max = 500): SQLite.Database {
  const cache = new Map<string, SQLite.Statement>()
  const prepare = database.prepare.bind(database)
  database.prepare = ((source: string) => {
    let statement = cache.get(source)
    if (statement === undefined) {
      statement = prepare(source)
      if (cache.size >= max) {
        const oldest = cache.keys().next().value
        if (oldest !== undefined) cache.delete(oldest)
      }
      cache.set(source, statement)
    }
    return statement
  }) as SQLite.Database['prepare']
  return database
}
