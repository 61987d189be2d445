import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify'
import { Ajv } from 'ajv'
import addFormatsModule from 'ajv-formats'
import { systemClock, type Clock } from '../core/clock.js'
import { CamaraError } from '../core/camara-error.js'
import { randomToken } from '../core/random-token.js'
import { adminGuard } from '../http/admin-guard.js'
import { sendCamaraError, toCamaraError } from '../http/error-handler.js'
import { registerJsonParser } from '../http/request-edges.js'
import '../http/types.js'
import { MONITORING_EVENT_BASE } from '../network/monitoring-event.js'
import { simulatorRoutes } from '../simulator/routes.js'
import { scenarioPlayer } from '../simulator/scenarios.js'
import { seedDemoDevices } from '../simulator/seed.js'
import type { SimulatorDeps } from '../simulator/simulator.js'
import { DEVICE_STATE_SCHEMA, SCENARIO_SCHEMA } from '../simulator/state-schema.js'
import type { NefSimSubscription } from '../store/nef-sim.js'
import { openStore, type Store } from '../store/store.js'
import { loadNefSimConfig, type NefSimConfig } from './config.js'
import { startNotificationWorker, type NotificationWorker } from './delivery.js'
import { ProblemError } from './problem.js'
import { MONITORING_EVENT_SUBSCRIPTION_SCHEMA } from './request-schema.js'
import { monitoringEventRoutes, nefSimAdminRoutes } from './routes.js'
import { endExpiredSubscriptions, nefSimEventSink, type NefSimDeps } from './service.js'

// ajv-formats is CommonJS with a default export.
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv

export interface RunningNefSim {
  /** Where it listens, e.g. `http://127.0.0.1:9090`. */
  url: string
  /** The apiRoot its `self` URLs and notifications name (its URL unless configured). */
  apiRoot: string
  /** The scsAsId-independent base of the Monitoring Event API: `{apiRoot}/3gpp-monitoring-event/v1`. */
  config: NefSimConfig
  adminToken: string
  app: FastifyInstance
  store: Store
  notifications: NotificationWorker
  /** Names another apiRoot from now on (a proxy put in front of it after it started). */
  setApiRoot(apiRoot: string): void
  close(): Promise<void>
}

export interface NefSimOptions {
  env?: Readonly<Record<string, string | undefined>>
  /** Replaces the configuration read from `env` (tests). */
  config?: NefSimConfig
  clock?: Clock
  logger?: FastifyServerOptions['logger']
  banner?: (text: string) => void
  /** Retry timing of notifications, milliseconds (tests shorten it). */
  retry?: { backoffMs?: number; maxBackoffMs?: number; pollMs?: number }
}

/** nef-sim keeps a generated admin token in its data folder, as the sandbox gateway does. */
function adminTokenIn(dataDir: string): string {
  const file = join(dataDir, 'admin-token')
  if (existsSync(file)) return readFileSync(file, 'utf8').trim()
  mkdirSync(dataDir, { recursive: true })
  const token = randomToken(24)
  writeFileSync(file, token + '\n', { mode: 0o600 })
  return token
}

/** Whether a request is one of the Monitoring Event API (answered with ProblemDetails). */
function isMonitoringEvent(url: string): boolean {
  return url.startsWith(`${MONITORING_EVENT_BASE}/`)
}

function problemOf(error: unknown): ProblemError {
  if (error instanceof ProblemError) return error
  const validation = (
    error as {
      validation?: {
        instancePath: string
        keyword: string
        params: Record<string, unknown>
        message?: string
      }[]
    }
  ).validation
  if (Array.isArray(validation)) {
    const params = validation.map((e) => ({
      param:
        e.keyword === 'required'
          ? `${e.instancePath}/${String(e.params['missingProperty'])}`
          : e.instancePath === ''
            ? '/'
            : e.instancePath,
      reason: e.message ?? 'invalid',
    }))
    return new ProblemError(
      400,
      'Bad Request',
      'The request body does not comply with MonitoringEventSubscription',
      {
        cause: 'INVALID_MSG_FORMAT',
        invalidParams: params,
      },
    )
  }
  const camara = error instanceof CamaraError ? error : undefined
  const status = camara?.status ?? (error as { statusCode?: number }).statusCode ?? 500
  if (status === 415)
    return new ProblemError(415, 'Unsupported Media Type', 'Content-Type must be application/json')
  if (status >= 400 && status < 500)
    return new ProblemError(status, 'Bad Request', camara?.message ?? 'The request is malformed', {
      ...(status === 400 ? { cause: 'INVALID_MSG_FORMAT' } : {}),
    })
  return new ProblemError(500, 'Internal Server Error', 'The request failed', {
    cause: 'SYSTEM_FAILURE',
  })
}

/** nef-sim as a fastify app: Monitoring Event routes, the simulator's admin API, its own admin. */
function buildNefSimApp(options: {
  logger: FastifyServerOptions['logger']
  deps: NefSimDeps
  simulator: SimulatorDeps
  scenarios: ReturnType<typeof scenarioPlayer>
  adminToken: string
  token: string | undefined
  selfOf: (subscription: Pick<NefSimSubscription, 'scsAsId' | 'id'>) => string
}): FastifyInstance {
  const app = Fastify({ logger: options.logger ?? false, bodyLimit: 64 * 1024 })
  const ajv = new Ajv({ strict: false, coerceTypes: false, allErrors: true })
  addFormats(ajv)
  for (const schema of [DEVICE_STATE_SCHEMA, SCENARIO_SCHEMA, MONITORING_EVENT_SUBSCRIPTION_SCHEMA])
    ajv.addSchema(schema)
  app.setValidatorCompiler(({ schema }) => {
    const ref = (schema as { $ref?: unknown }).$ref
    const found = typeof ref === 'string' ? ajv.getSchema(ref) : undefined
    return found ?? ajv.compile(schema)
  })
  registerJsonParser(app)
  // JSON only (TS 29.122 clause 5.2.1): any other body is 415, not a string to validate.
  app.removeContentTypeParser('text/plain')
  app.setErrorHandler(async (error: unknown, request, reply) => {
    if (isMonitoringEvent(request.url)) {
      const problem = problemOf(error)
      if (problem.status >= 500) request.log.error({ err: error }, 'request failed')
      return reply.code(problem.status).type('application/problem+json').send(problem.toJSON())
    }
    const camara = toCamaraError(error, request)
    if (camara.status >= 500) request.log.error({ err: error }, 'request failed')
    return sendCamaraError(reply, camara)
  })
  app.setNotFoundHandler(async (request, reply) => {
    if (isMonitoringEvent(request.url))
      return reply
        .code(404)
        .type('application/problem+json')
        .send(
          new ProblemError(404, 'Not Found', `No resource at ${request.url.split('?')[0]}`, {
            cause: 'RESOURCE_URI_STRUCTURE_NOT_FOUND',
          }).toJSON(),
        )
    return sendCamaraError(
      reply,
      new CamaraError('NOT_FOUND', `No route for ${request.method} ${request.url.split('?')[0]}`),
    )
  })
  app.get('/health', async () => ({ status: 'ok' }))
  const routeDeps = { ...options.deps, token: options.token, selfOf: options.selfOf }
  monitoringEventRoutes(app, routeDeps)
  const guard = adminGuard(options.adminToken)
  simulatorRoutes(app, { ...options.simulator, adminGuard: guard, scenarios: options.scenarios })
  nefSimAdminRoutes(app, { ...routeDeps, adminGuard: guard })
  return app
}

/**
 * Starts nef-sim: the network simulator as a stand-alone NEF serving the TS 29.122 Monitoring
 * Event API (`{apiRoot}/3gpp-monitoring-event/v1/{scsAsId}/subscriptions`) from the simulator's
 * device table, with the simulator's admin API; device changes become Monitoring notifications.
 */
export async function startNefSim(options: NefSimOptions = {}): Promise<RunningNefSim> {
  const config = options.config ?? loadNefSimConfig(options.env ?? process.env)
  const clock = options.clock ?? systemClock
  const store = await openStore({
    databaseUrl: config.databaseUrl,
    dataDir: config.dataDir,
    sqliteFile: 'nef-sim.sqlite',
  })
  try {
    const adminToken = config.adminToken ?? adminTokenIn(config.dataDir)
    let apiRoot = config.apiRoot ?? ''
    const selfOf = (s: Pick<NefSimSubscription, 'scsAsId' | 'id'>) =>
      `${apiRoot}${MONITORING_EVENT_BASE}/${encodeURIComponent(s.scsAsId)}/subscriptions/${s.id}`
    const worker: { current?: NotificationWorker } = {}
    const deps: NefSimDeps = { store, clock, home: config.home, kick: () => worker.current?.kick() }
    const simulator: SimulatorDeps = { store, clock, events: nefSimEventSink(deps, selfOf) }
    const seeded = await seedDemoDevices(simulator)
    const scenarios = scenarioPlayer(simulator)
    const logger: FastifyServerOptions['logger'] = options.logger ?? { level: config.logLevel }
    const app = buildNefSimApp({
      logger,
      deps,
      simulator,
      scenarios,
      adminToken,
      token: config.token,
      selfOf,
    })
    await app.listen({ host: config.host, port: config.port })
    const address = app.server.address()
    const port = typeof address === 'object' && address !== null ? address.port : config.port
    const host = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host
    const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`
    if (apiRoot === '') apiRoot = url
    worker.current = startNotificationWorker({
      store,
      clock,
      timeoutMs: config.notifyTimeoutMs,
      backoffMs: options.retry?.backoffMs ?? 1000,
      maxBackoffMs: options.retry?.maxBackoffMs ?? 60_000,
      pollMs: options.retry?.pollMs ?? 250,
      sweep: () => endExpiredSubscriptions(deps, selfOf),
      log: app.log,
    })
    options.banner?.(banner(url, apiRoot, adminToken, config, seeded))
    let closed = false
    return {
      url,
      get apiRoot() {
        return apiRoot
      },
      config,
      adminToken,
      app,
      store,
      notifications: worker.current,
      setApiRoot(root) {
        apiRoot = root.replace(/\/+$/, '')
      },
      async close() {
        if (closed) return
        closed = true
        scenarios.stopAll()
        await app.close()
        await worker.current?.stop()
        await store.close()
      },
    }
  } catch (error) {
    await store.close()
    throw error
  }
}

function banner(
  url: string,
  apiRoot: string,
  adminToken: string,
  config: NefSimConfig,
  seeded: number,
): string {
  return [
    `nef-sim (3GPP TS 29.122 Monitoring Event) listening on ${url}`,
    `  apiRoot        ${apiRoot}   (the gateway's NEF_BASE_URL)`,
    `  Subscriptions  ${apiRoot}${MONITORING_EVENT_BASE}/{scsAsId}/subscriptions   (any scsAsId, e.g. NEF_SCS_AS_ID=device-status)`,
    `  Serves         ROAMING_STATUS (home PLMN ${config.home.mcc}-${config.home.mnc}), UE_REACHABILITY (DATA, SMS), LOSS_OF_CONNECTIVITY`,
    `  Bearer token   ${config.token === undefined ? 'none required' : 'required (NEF_SIM_TOKEN)'}`,
    `  Store          ${config.databaseUrl === undefined ? `SQLite in ${config.dataDir}` : 'PostgreSQL'}${seeded > 0 ? ` (${seeded} demo devices seeded)` : ''}`,
    `  Admin token    ${adminToken}${config.adminToken === undefined ? `   (kept in ${join(config.dataDir, 'admin-token')})` : ''}`,
    `  Simulator      curl -H "Authorization: Bearer ${adminToken}" ${url}/network/v1/devices`,
    `  Gateway        NETWORK=nef NEF_BASE_URL=${apiRoot} NEF_SCS_AS_ID=device-status npm start`,
  ].join('\n')
}
