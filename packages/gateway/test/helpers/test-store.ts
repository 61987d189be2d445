import { createHash, randomUUID } from 'node:crypto'
import pg from 'pg'

/**
 * Which store the black-box suites run on: `TEST_STORE=postgres` runs them on the machine's
 * PostgreSQL (`TEST_DATABASE_URL`, default `postgres://postgres@127.0.0.1:5432`), each gateway
 * in a database of its own, created and dropped here.
 */
export function testStoreKind(): 'sqlite' | 'postgres' {
  return process.env['TEST_STORE'] === 'postgres' ? 'postgres' : 'sqlite'
}

export function testDatabaseServer(): string {
  return (process.env['TEST_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432').replace(
    /\/+$/,
    '',
  )
}

/** The database name a test's data folder maps to (so a restart finds the same database). */
export function databaseNameFor(dataDir: string | undefined): string {
  return `ds_t_${dataDir === undefined ? randomUUID().replaceAll('-', '').slice(0, 16) : createHash('sha256').update(dataDir).digest('hex').slice(0, 16)}`
}

async function admin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: `${testDatabaseServer()}/postgres` })
  await client.connect()
  try {
    return await work(client)
  } finally {
    await client.end()
  }
}

/** Creates the database unless it exists; returns its URL. */
export async function ensureDatabase(name: string): Promise<string> {
  await admin(async (client) => {
    const exists = await client.query('select 1 from pg_database where datname = $1', [name])
    if (exists.rowCount === 0) await client.query(`create database "${name}"`)
  })
  return `${testDatabaseServer()}/${name}`
}

export async function dropDatabase(name: string): Promise<void> {
  await admin((client) => client.query(`drop database if exists "${name}" with (force)`))
}

/** Whether the PostgreSQL server answers (a one-line reason when it does not). */
export async function postgresReachable(): Promise<true | string> {
  try {
    await admin((client) => client.query('select 1'))
    return true
  } catch (error) {
    return `PostgreSQL at ${testDatabaseServer()} is not reachable (${(error as Error).message})`
  }
}
