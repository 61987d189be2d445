import { mkdtempSync, rmSync } from 'node:fs'
import type { FastifyServerOptions } from 'fastify'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { mintAccessToken } from '../../src/auth/access-token.js'
import type { Clock } from '../../src/core/clock.js'
import { startGateway, type RunningGateway } from '../../src/gateway.js'
import type { Resolve } from '../../src/notifications/sink-policy.js'
import { validatorFor } from '../../src/specs/validator.js'
import { databaseNameFor, dropDatabase, ensureDatabase, testStoreKind } from './test-store.js'

export interface TestGateway extends RunningGateway {
  dataDir: string
  /** A two-legged token (client credentials) with these scopes. */
  token2(scope: string, options?: { clientId?: string; ttl?: number; now?: Date }): Promise<string>
  /** A three-legged token for the device with this phone number. */
  token3(phoneNumber: string, scope: string, options?: { clientId?: string }): Promise<string>
  /** POST JSON with a bearer token; returns status, headers and parsed body. */
  post(
    path: string,
    body: unknown,
    token?: string,
    headers?: Record<string, string>,
  ): Promise<TestResponse>
  /** Any method with a bearer token and no body. */
  request(
    method: string,
    path: string,
    token?: string,
    headers?: Record<string, string>,
  ): Promise<TestResponse>
  /** A call to the admin API with the admin token. */
  admin(method: string, path: string, body?: unknown, token?: string): Promise<TestResponse>
}

export interface TestResponse {
  status: number
  headers: Headers
  body: any
}

async function toResponse(response: Response): Promise<TestResponse> {
  const text = await response.text()
  let body: unknown = text
  try {
    body = text === '' ? undefined : JSON.parse(text)
  } catch {
    // not JSON: keep the text
  }
  return { status: response.status, headers: response.headers, body }
}

/**
 * A real gateway on a free port with its own SQLite folder, in sandbox mode (demo devices
 * seeded). `dataDir` lets a test restart on the same store.
 */
/** Removes what a test that passed its own `dataDir` left behind (folder and, on PostgreSQL, database). */
export async function removeTestStore(dataDir: string): Promise<void> {
  rmSync(dataDir, { recursive: true, force: true })
  if (testStoreKind() === 'postgres') await dropDatabase(databaseNameFor(dataDir))
}

export async function startTestGateway(
  env: Record<string, string> = {},
  options: {
    dataDir?: string
    keepData?: boolean
    resolveSinkHost?: Resolve
    clock?: Clock
    /** The app's logger options (default: silent), e.g. a stream a test reads. */
    logger?: FastifyServerOptions['logger']
  } = {},
): Promise<TestGateway> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'ds-gateway-'))
  // On PostgreSQL each gateway gets a database of its own, named after its data folder.
  const database = testStoreKind() === 'postgres' ? databaseNameFor(options.dataDir) : undefined
  const databaseUrl = database === undefined ? undefined : await ensureDatabase(database)
  const gateway = await startGateway({
    ...(options.logger === undefined ? {} : { logger: options.logger }),
    ...(options.clock === undefined ? {} : { clock: options.clock }),
    ...(options.resolveSinkHost === undefined ? {} : { resolveSinkHost: options.resolveSinkHost }),
    env: {
      PORT: '0',
      LOG_LEVEL: 'silent',
      DATA_DIR: dataDir,
      RATE_LIMIT_PER_SECOND: '100000',
      // Suites that test these limits set their own.
      OAUTH_RATE_LIMIT_PER_SECOND: '100000',
      CLIENT_AUTH_FAILURES_PER_SOURCE: '100000',
      CLIENT_AUTH_FAILURES_PER_CLIENT: '100000',
      CLIENT_AUTH_REFUSAL_DELAY_MS: '0',
      ...(databaseUrl === undefined ? {} : { DATABASE_URL: databaseUrl }),
      ...env,
    },
  }).catch(async (error: unknown) => {
    if (database !== undefined && options.dataDir === undefined) await dropDatabase(database)
    throw error
  })
  const deps = {
    store: gateway.store,
    keyring: gateway.keyring,
    issuer: gateway.config.issuer,
    ...(options.clock === undefined ? {} : { clock: options.clock }),
  }
  const post = async (
    path: string,
    body: unknown,
    token?: string,
    headers: Record<string, string> = {},
  ) =>
    toResponse(
      await fetch(gateway.url + path, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
          ...headers,
        },
        body: typeof body === 'string' ? body : JSON.stringify(body),
      }),
    )
  return {
    ...gateway,
    dataDir,
    token2: (scope, o = {}) =>
      mintAccessToken(deps, {
        clientId: o.clientId ?? 'test-app',
        scope,
        ttlSeconds: o.ttl ?? 300,
        ...(o.now === undefined ? {} : { now: o.now }),
      }),
    async token3(phoneNumber, scope, o = {}) {
      const device = await gateway.store.devices.byPhoneNumber(phoneNumber)
      if (device === undefined) throw new Error(`no device ${phoneNumber}`)
      return mintAccessToken(deps, {
        clientId: o.clientId ?? 'test-app',
        scope,
        ttlSeconds: 300,
        deviceId: device.id,
      })
    },
    post,
    async request(method, path, token, headers = {}) {
      return toResponse(
        await fetch(gateway.url + path, {
          method,
          headers: {
            ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
            ...headers,
          },
        }),
      )
    },
    async admin(method, path, body, token = gateway.adminToken) {
      return toResponse(
        await fetch(gateway.url + path, {
          method,
          headers: {
            authorization: `Bearer ${token}`,
            ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        }),
      )
    },
    async close() {
      await gateway.close()
      if (options.keepData !== true && options.dataDir === undefined) {
        rmSync(dataDir, { recursive: true, force: true })
        if (database !== undefined) await dropDatabase(database)
      }
    },
  }
}

/** Asserts a body against a schema of a spec file; returns Ajv's errors text or '' when valid. */
export function schemaErrors(file: string, schema: string, body: unknown): string {
  const validate = validatorFor(`${file}#/components/schemas/${schema}`)
  return validate(body) ? '' : JSON.stringify(validate.errors)
}

/** A correlator value that complies with the spec's XCorrelator pattern. */
export const CORRELATOR = 'b4333c46-49c0-4f62-80d7-f0ef930f1c46'
