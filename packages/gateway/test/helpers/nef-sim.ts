import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Clock } from '../../src/core/clock.js'
import { startNefSim, type NefSimOptions, type RunningNefSim } from '../../src/nef-sim/server.js'
import { databaseNameFor, dropDatabase, ensureDatabase, testStoreKind } from './test-store.js'

export interface TestNefSim extends RunningNefSim {
  dataDir: string
  /** A call to nef-sim with JSON in and out; `token` is a bearer token (admin or NEF_SIM_TOKEN). */
  call(
    method: string,
    path: string,
    options?: { body?: unknown; token?: string; headers?: Record<string, string> },
  ): Promise<{ status: number; headers: Headers; body: any }>
  admin(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }>
}

/**
 * nef-sim in this process on a free port, with a store of its own (a temporary SQLite folder, or
 * a throwaway PostgreSQL database with TEST_STORE=postgres). `dataDir` restarts on a kept store.
 */
export async function startTestNefSim(
  env: Record<string, string> = {},
  options: {
    dataDir?: string
    clock?: Clock
    retry?: NefSimOptions['retry']
  } = {},
): Promise<TestNefSim> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'ds-nef-sim-'))
  const { env: storeEnv, database } = await nefSimStoreEnv(dataDir)
  const sim = await startNefSim({
    env: { PORT: '0', LOG_LEVEL: 'silent', ...storeEnv, ...env },
    ...(options.clock === undefined ? {} : { clock: options.clock }),
    retry: options.retry ?? { backoffMs: 50, maxBackoffMs: 200, pollMs: 25 },
  })
  const call: TestNefSim['call'] = async (method, path, o = {}) => {
    const response = await fetch(sim.url + path, {
      method,
      headers: {
        ...(o.token === undefined ? {} : { authorization: `Bearer ${o.token}` }),
        ...(o.body === undefined ? {} : { 'content-type': 'application/json' }),
        ...o.headers,
      },
      ...(o.body === undefined
        ? {}
        : { body: typeof o.body === 'string' ? o.body : JSON.stringify(o.body) }),
    })
    const text = await response.text()
    let body: unknown = text
    try {
      body = text === '' ? undefined : JSON.parse(text)
    } catch {
      // not JSON
    }
    return { status: response.status, headers: response.headers, body }
  }
  const close = sim.close.bind(sim)
  return Object.assign(sim, {
    dataDir,
    call,
    admin: (method: string, path: string, body?: unknown) =>
      call(method, path, { token: sim.adminToken, ...(body === undefined ? {} : { body }) }),
    async close() {
      await close()
      if (options.dataDir === undefined) {
        rmSync(dataDir, { recursive: true, force: true })
        if (database !== undefined) await dropDatabase(database)
      }
    },
  })
}

/**
 * The store variables of a test nef-sim in `dataDir`: that folder, and on PostgreSQL
 * (TEST_STORE=postgres) a database of its own, created here and named after the folder.
 */
export async function nefSimStoreEnv(
  dataDir: string,
): Promise<{ env: Record<string, string>; database: string | undefined }> {
  const database =
    testStoreKind() === 'postgres' ? databaseNameFor(`${dataDir}#nef-sim`) : undefined
  const databaseUrl = database === undefined ? undefined : await ensureDatabase(database)
  return {
    env: { DATA_DIR: dataDir, ...(databaseUrl === undefined ? {} : { DATABASE_URL: databaseUrl }) },
    database,
  }
}

/** Removes the store a test kept with its own `dataDir`. */
export async function removeTestNefSimStore(dataDir: string): Promise<void> {
  rmSync(dataDir, { recursive: true, force: true })
  if (testStoreKind() === 'postgres') await dropDatabase(databaseNameFor(`${dataDir}#nef-sim`))
}
