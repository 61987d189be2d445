import { mkdtempSync, rmSync } from 'node:fs'
import type { FastifyServerOptions } from 'fastify'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { mintAccessToken } from '../../src/auth/access-token.js'
import type { Clock } from '../../src/core/clock.js'
import { startGateway, type RunningGateway } from '../../src/gateway.js'
import type { Resolve } from '../../src/notifications/sink-policy.js'
import { validatorFor } from '../../src/specs/validator.js'
import { databaseNameFor, dropDatabase, ensureDatabase, testStoreKind } from './test-store.js'
import { nefDeviceId } from '../../src/nef/identity.js'
import {
  nefSimStoreEnv,
  removeTestNefSimStore,
  startTestNefSim,
  type TestNefSim,
} from './nef-sim.js'
import { startNefSimProcess, type NefSimProcess } from './process.js'
import { startPrism, type PrismProcess } from './prism.js'

/**
 * Which network the black-box suites run against: `TEST_NETWORK=nef` starts, for each test
 * gateway, nef-sim (the simulator as a NEF, on its own port and store) and the gateway with
 * NETWORK=nef pointed at it; with `TEST_PRISM=1` (default in NEF mode; `TEST_PRISM=0` leaves it
 * out) through Stoplight Prism as a validating proxy of the 3GPP file (`--errors`). nef-sim runs
 * in this process, or with `TEST_NEF_SIM=process` as a process of its own (`device-status
 * nef-sim`, as a user runs it; no shared clock then).
 */
export function testNetworkKind(): 'simulator' | 'nef' {
  return process.env['TEST_NETWORK'] === 'nef' ? 'nef' : 'simulator'
}

/** Why 422 SERVICE_NOT_APPLICABLE tests are simulator-only. */
export const NOT_APPLICABLE_IS_SIMULATED =
  'notApplicable is a switch of the simulator; nef-sim refuses such a device with 403, which the NEF adapter answers 403 PERMISSION_DENIED'

/**
 * The clear rule for tests that cannot apply in NEF mode: what only the built-in simulator can
 * do (its `notApplicable` switch as 422 SERVICE_NOT_APPLICABLE, SIM swaps, the network type, the
 * gateway's own device table, the sandbox picker). `it(name, simulatorOnly('why'), fn)` skips the
 * test with that reason when TEST_NETWORK=nef, and runs it otherwise.
 */
export function simulatorOnly(why: string): { skip?: string } {
  return testNetworkKind() === 'nef' ? { skip: `simulator only: ${why}` } : {}
}

export interface TestGateway extends RunningGateway {
  dataDir: string
  /** In NEF mode: the nef-sim the gateway reads, when in this process (its admin API is what `admin('…/network/v1/…')` calls). */
  nefSim: TestNefSim | undefined
  /** In NEF mode with TEST_NEF_SIM=process: nef-sim as a process of its own. */
  nefSimProcess: NefSimProcess | undefined
  /** In NEF mode with Prism: the validating proxy between the gateway and nef-sim. */
  prism: PrismProcess | undefined
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
  /** A call to the admin API with the admin token (`/network/v1/…` goes to nef-sim in NEF mode). */
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
  if (testNetworkKind() === 'nef') await removeTestNefSimStore(join(dataDir, 'nef-sim'))
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
    /** The network (default: TEST_NETWORK, else the built-in simulator). */
    network?: 'simulator' | 'nef'
    /** NEF mode: put Prism between the gateway and nef-sim (default: TEST_PRISM !== '0'). */
    prism?: boolean
  } = {},
): Promise<TestGateway> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'ds-gateway-'))
  const nef = (options.network ?? testNetworkKind()) === 'nef'
  let nefSim: TestNefSim | undefined
  let prism: PrismProcess | undefined
  let nefEnv: Record<string, string> = {}
  let nefSimProcess: NefSimProcess | undefined
  /** Where nef-sim's admin API is, with its admin token. */
  let nefAdmin: { url: string; adminToken: string } | undefined
  if (nef) {
    // nef-sim's store lives beside the gateway's (a restart on the same dataDir finds both).
    const token = 'test-nef-token'
    const withPrism = options.prism ?? process.env['TEST_PRISM'] !== '0'
    let upstream: string
    if (process.env['TEST_NEF_SIM'] === 'process') {
      // Its port is chosen first, so that Prism can be started in front of it and named as its
      // apiRoot when it starts.
      const port = await freePort()
      upstream = `http://127.0.0.1:${port}`
      if (withPrism) prism = await startPrism({ mode: 'proxy', upstream })
      const { env: storeEnv } = await nefSimStoreEnv(join(dataDir, 'nef-sim'))
      nefSimProcess = await startNefSimProcess({
        ...storeEnv,
        PORT: String(port),
        NEF_SIM_TOKEN: token,
        ...(prism === undefined ? {} : { NEF_SIM_API_ROOT: prism.url }),
      })
      nefAdmin = nefSimProcess
    } else {
      nefSim = await startTestNefSim(
        { NEF_SIM_TOKEN: token },
        {
          dataDir: join(dataDir, 'nef-sim'),
          ...(options.clock === undefined ? {} : { clock: options.clock }),
        },
      )
      upstream = nefSim.url
      nefAdmin = nefSim
      if (withPrism) {
        prism = await startPrism({ mode: 'proxy', upstream })
        nefSim.setApiRoot(prism.url)
      }
    }
    if (prism !== undefined) {
      // Prism compiles its validators on the first request: done here, not in a test's first call.
      await fetch(`${prism.url}/3gpp-monitoring-event/v1/warm-up/subscriptions`, {
        headers: { authorization: `Bearer ${token}` },
      })
    }
    nefEnv = {
      NETWORK: 'nef',
      NEF_BASE_URL: prism?.url ?? upstream,
      NEF_SCS_AS_ID: 'device-status-test',
      NEF_TOKEN: token,
      // A machine running many suites side by side is slow, Prism's validation more so: the
      // timeout (504) has tests of its own, not these.
      NEF_TIMEOUT_MS: '30000',
    }
  }
  const stopNef = async () => {
    await prism?.close()
    await nefSim?.close()
    await nefSimProcess?.stop()
  }
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
      ...nefEnv,
      ...env,
    },
  }).catch(async (error: unknown) => {
    await stopNef()
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
    nefSim,
    nefSimProcess,
    prism,
    token2: (scope, o = {}) =>
      mintAccessToken(deps, {
        clientId: o.clientId ?? 'test-app',
        scope,
        ttlSeconds: o.ttl ?? 300,
        ...(o.now === undefined ? {} : { now: o.now }),
      }),
    async token3(phoneNumber, scope, o = {}) {
      // In NEF mode the device id is the identifier the NEF knows the UE by (docs/nef.md).
      const deviceId = nef
        ? nefDeviceId({ kind: 'phoneNumber', phoneNumber })
        : (await gateway.store.devices.byPhoneNumber(phoneNumber))?.id
      if (deviceId === undefined) throw new Error(`no device ${phoneNumber}`)
      return mintAccessToken(deps, {
        clientId: o.clientId ?? 'test-app',
        scope,
        ttlSeconds: 300,
        deviceId,
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
    async admin(method, path, body, token) {
      // The simulator's admin API is nef-sim's in NEF mode (with nef-sim's admin token).
      const sim = path.startsWith('/network/v1/') ? nefAdmin : undefined
      const base = sim === undefined ? gateway.url : sim.url
      const bearer = token ?? (sim === undefined ? gateway.adminToken : sim.adminToken)
      return toResponse(
        await fetch(base + path, {
          method,
          headers: {
            authorization: `Bearer ${bearer}`,
            ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        }),
      )
    },
    async close() {
      await gateway.close()
      // "Checked against the standard": any request of the adapter or answer of nef-sim that
      // violated the 3GPP file fails the test that started this gateway.
      const violations = prism?.problems() ?? []
      await stopNef()
      if (options.keepData !== true && options.dataDir === undefined) {
        if (nef) await removeTestNefSimStore(join(dataDir, 'nef-sim'))
        rmSync(dataDir, { recursive: true, force: true })
        if (database !== undefined) await dropDatabase(database)
      }
      if (violations.length > 0)
        throw new Error(`Prism saw violations of the 3GPP file:\n${violations.join('\n')}`)
    },
  }
}

async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  await new Promise<void>((resolve) => server.close(() => resolve()))
  if (typeof address !== 'object' || address === null) throw new Error('no free port')
  return address.port
}

/** Asserts a body against a schema of a spec file; returns Ajv's errors text or '' when valid. */
export function schemaErrors(file: string, schema: string, body: unknown): string {
  const validate = validatorFor(`${file}#/components/schemas/${schema}`)
  return validate(body) ? '' : JSON.stringify(validate.errors)
}

/** A correlator value that complies with the spec's XCorrelator pattern. */
export const CORRELATOR = 'b4333c46-49c0-4f62-80d7-f0ef930f1c46'
