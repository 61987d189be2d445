import { createRequire } from 'node:module'
import { dirname } from 'node:path'
import pino from 'pino'
import pretty from 'pino-pretty'
import Fastify, {
  LogController,
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyServerOptions,
} from 'fastify'
import { APP_INPUT_SCHEMA, authAdminRoutes } from './auth/admin-routes.js'
import { KEY_RELOAD_INTERVAL_MS, type Keyring } from './auth/keys.js'
import { createProvider } from './auth/provider.js'
import { clientSecretVerifier } from './auth/client-secrets.js'
import { providerRoutes } from './auth/routes.js'
import { interactionRoutes } from './auth/interactions.js'
import { errorPage, PAGE_HEADERS } from './auth/pages.js'
import type { TokenVerifier } from './auth/access-token.js'
import type { Config } from './config.js'
import { deviceStatusV0Routes } from './device-status-v0/routes.js'
import { docsRoutes } from './docs/routes.js'
import { adminGuard } from './http/admin-guard.js'
import { correlatorOf, registerCorrelator } from './http/correlator.js'
import { registerErrorHandler } from './http/error-handler.js'
import { deferredChildLogger } from './http/request-logger.js'
import {
  clientErrorHandlerWith,
  frameworkErrorsWith,
  registerJsonParser,
  registerShutdown,
} from './http/request-edges.js'
import { rateLimiter, sharedRateLimiter } from './http/rate-limit.js'
import { LeanPath } from './http/lean-path.js'
import './http/types.js'
import type {
  NetworkPort,
  NetworkTypePort,
  NetworkWatch,
  SandboxNetwork,
  SimPort,
} from './network/port.js'
import type { Clock } from './core/clock.js'
import { simulatorRoutes } from './simulator/routes.js'
import type { ScenarioPlayer } from './simulator/scenarios.js'
import { DEVICE_STATE_SCHEMA, SCENARIO_SCHEMA } from './simulator/state-schema.js'
import { networkTypeRoutes } from './network-type/routes.js'
import { reachabilityRoutes } from './reachability/routes.js'
import { roamingRoutes } from './roaming/routes.js'
import { sandboxRoutes, TOKEN_REQUEST_SCHEMA } from './sandbox/routes.js'
import { simSwapRoutes } from './sim-swap/routes.js'
import { deliveryAdminRoutes } from './notifications/admin-routes.js'
import { consoleRoutes } from './console/routes.js'
import { eventStreamRoutes } from './console/event-stream-routes.js'
import type { Resolve } from './notifications/sink-policy.js'
import { sinkPolicyOf } from './notifications/wiring.js'
import { notificationSource } from './subscriptions/outbox.js'
import type { SimulatorDeps } from './simulator/simulator.js'
import { subscriptionRoutes } from './subscriptions/routes.js'
import { registerMetrics, type Metrics } from './metrics/metrics.js'
import { legacySubscriptionRoutes } from './subscriptions/legacy.js'
import { specAjv, validatorFor } from './specs/validator.js'
import { API_FILES, type ApiName } from './specs/catalog.js'
import type { Store } from './store/store.js'

export interface AppDeps {
  config: Config
  store: Store
  network: NetworkPort
  /** Where SIM changes come from; without one, sim-swap and its subscriptions are not offered. */
  sim: SimPort | undefined
  /** Where the network type comes from; without one, connected-network-type (and subscriptions) are not offered. */
  networkType: NetworkTypePort | undefined
  /** A network that reports changes only while asked (a NEF): told of each subscription. */
  watch?: NetworkWatch
  /** More routes of the network adapter (the NEF's notification callback), mounted with the APIs. */
  networkRoutes?: (app: FastifyInstance, config: Config) => void
  keyring: Keyring
  verifier: TokenVerifier
  clock: Clock
  /** The built-in simulator when it is the network: its admin API and scenarios are mounted. */
  simulator: { deps: SimulatorDeps; scenarios: ScenarioPlayer } | undefined
  /** The simulated network's sandbox capabilities (device picker, consent stand-in). */
  sandbox: SandboxNetwork | undefined
  /** Wakes the delivery worker. */
  kickDelivery: () => void
  metrics: Metrics
  /** The admin API's bearer token (configured, or the sandbox's generated one). */
  adminToken: string
  logger?: FastifyServerOptions['logger']
  /** How sink host names resolve (default: the system resolver); tests play DNS with it. */
  resolveSinkHost?: Resolve
  /** Where the built web console is (default: packages/console/dist). */
  consoleDir?: string
}

/**
 * Where the log goes: a person at a terminal running the sandbox reads lines (pino-pretty); anything
 * else (a pipe, a file, a log collector, production) gets pino's JSON lines.
 */
function logStream(mode: string): pino.DestinationStream {
  if (mode === 'sandbox' && process.stdout.isTTY) {
    return pretty({
      destination: 1,
      sync: true,
      colorize: true,
      translateTime: 'SYS:HH:MM:ss.l',
      ignore: 'pid,hostname',
      singleLine: true,
    })
  }
  // Buffered, asynchronous writes: one syscall per 4 KiB of log lines instead of one per line.
  // Flushed on close (onClose below) and when the buffer fills.
  return pino.destination({ dest: 1, sync: false, minLength: 4096 })
}

/** Builds the gateway's HTTP app without listening (fastify testing guide: `inject()` or `listen()`). */
const ERROR_PAGE = {
  render: (error: string, description: string) => errorPage(error, description),
  headers: PAGE_HEADERS,
}

const BODY_LIMIT = 64 * 1024
/** The APIs that need a SIM source or a network type source, and are not offered without one. */
const SIM_APIS: readonly ApiName[] = ['sim-swap', 'sim-swap-subscriptions']
const NETWORK_TYPE_APIS: readonly ApiName[] = [
  'connected-network-type',
  'connected-network-type-subscriptions',
]

/**
 * The CAMARA APIs this gateway serves: all of them, except those whose facts no configured source
 * gives (a NEF has no SIM changes, no network type: docs/nef.md). An API not offered is not
 * mounted (404 `NOT_FOUND`), not in `/docs`, and its scopes are not in discovery.
 */
export function offeredApis(deps: Pick<AppDeps, 'sim' | 'networkType'>): ApiName[] {
  return (Object.keys(API_FILES) as ApiName[]).filter(
    (api) =>
      !(deps.sim === undefined && SIM_APIS.includes(api)) &&
      !(deps.networkType === undefined && NETWORK_TYPE_APIS.includes(api)),
  )
}

export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  // The retrieve operations' common case is answered before fastify (http/lean-path.ts).
  const lean = new LeanPath({ bodyLimit: BODY_LIMIT })
  const app = createServer(deps, lean)
  registerPlatform(app, deps, lean)
  await mountAuthorization(app, deps)
  mountApis(app, deps, lean)
  mountAdmin(app, deps)
  return app
}

/** The fastify instance: logging, limits, the correlator as request id, validators from the specs. */
function createServer(deps: AppDeps, lean: LeanPath): FastifyInstance {
  const app = Fastify({
    serverFactory: (handler, options) => lean.serverFactory(handler, options),
    logger: deps.logger ?? {
      level: deps.config.logLevel,
      stream: logStream(deps.config.mode),
    },
    // One line per request (onResponse below), labelled with the x-correlator.
    logController: new LogController({
      disableRequestLogging: true,
      requestIdLogLabel: 'correlator',
    }),
    // Behind a proxy the operator sets X-Forwarded-*; locally the socket address is the truth.
    trustProxy: false,
    bodyLimit: BODY_LIMIT,
    // Requests during shutdown are answered by registerShutdownAnswers, with a CAMARA body.
    return503OnClosing: false,
    genReqId: correlatorOf,
    childLoggerFactory: deferredChildLogger,
    // Refusals before routing on the interaction pages are pages (auth/pages.ts).
    frameworkErrors: frameworkErrorsWith(ERROR_PAGE),
    clientErrorHandler: clientErrorHandlerWith(ERROR_PAGE),
  })
  const ajv = specAjv()
  for (const schema of [
    DEVICE_STATE_SCHEMA,
    SCENARIO_SCHEMA,
    TOKEN_REQUEST_SCHEMA,
    APP_INPUT_SCHEMA,
  ]) {
    if (ajv.getSchema(schema.$id) === undefined) ajv.addSchema(schema)
  }
  app.setValidatorCompiler(({ schema }) => {
    const ref = (schema as { $ref?: unknown }).$ref
    if (typeof ref !== 'string') return ajv.compile(schema)
    return validatorFor(ref)
  })

  app.addHook('onClose', async () => {
    const flush = (app.log as unknown as { flush?: (cb: () => void) => void }).flush
    if (flush !== undefined)
      await new Promise<void>((resolve) => flush.call(app.log, () => resolve()))
  })
  return app
}

/** What every request goes through: correlator, errors, JSON and form bodies, metrics, access log, health. */
function registerPlatform(app: FastifyInstance, deps: AppDeps, lean: LeanPath): void {
  const shutdown = registerShutdown(app)
  registerCorrelator(app, shutdown)
  lean.bind({
    log: app.log as FastifyBaseLogger & { isLevelEnabled(level: string): boolean },
    shutdown,
    requests: deps.metrics.requests,
  })
  registerErrorHandler(app)
  registerJsonParser(app)
  registerMetrics(app, deps.metrics)
  // Before every route: a console session cookie may stand in for the admin token.
  consoleRoutes(app, {
    store: deps.store,
    clock: deps.clock,
    adminToken: deps.adminToken,
    ttl: deps.config.consoleSessionTtl,
    secure: deps.config.issuer.startsWith('https:'),
    mode: deps.config.mode,
    simulator: deps.simulator !== undefined,
    issuer: deps.config.issuer,
    legalBases: deps.config.legalBases,
    offeredApis: offeredApis(deps),
    ...(deps.consoleDir === undefined ? {} : { distDir: deps.consoleDir }),
  })
  app.addHook('onResponse', (request, reply, done) => {
    if (request.url === '/health') return done()
    // Access log: refusals and failures at info; successful calls at debug (they are counted in
    // /metrics; one line each costs the hot path about a fifth of its time, see bench/README.md).
    const level = reply.statusCode >= 400 ? 'info' : 'debug'
    request.log[level](
      {
        method: request.method,
        url: request.url,
        status: reply.statusCode,
        ms: Math.round(reply.elapsedTime),
      },
      'request',
    )
    done()
  })

  app.get('/health', async () => ({ status: 'ok' }))
  app.get('/ready', async (_request, reply) => {
    try {
      await deps.store.ping()
      return { status: 'ready', store: deps.store.dialect }
    } catch (error) {
      app.log.warn({ err: error }, 'store not reachable')
      return reply
        .code(503)
        .send({ status: 503, code: 'UNAVAILABLE', message: 'The store cannot be reached.' })
    }
  })
  // OAuth endpoints take form bodies; they are handed to oidc-provider as text (auth/routes.ts).
  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string' },
    (_request, body, done) => done(null, body),
  )
}

/**
 * The authorization server: oidc-provider behind the profile gate, the interaction pages and the
 * developer hub. The provider follows the keyring's current signing key.
 */
async function mountAuthorization(app: FastifyInstance, deps: AppDeps): Promise<void> {
  const providerDeps = {
    store: deps.store,
    clock: deps.clock,
    network: deps.network,
    sandbox: deps.sandbox,
    keyring: deps.keyring,
    issuer: deps.config.issuer,
    accessTokenTtl: deps.config.accessTokenTtl,
    cibaInterval: deps.config.cibaInterval,
    legalBases: deps.config.legalBases,
    production: deps.config.mode === 'production',
    offeredApis: offeredApis(deps),
    // Shared by the providers this instance builds (one per signing key): verifications it
    // cached and failure counts it learnt outlive a key rotation.
    secrets: clientSecretVerifier({
      store: deps.store,
      clock: deps.clock,
      limits: {
        perSource: deps.config.clientAuthFailuresPerSource,
        perClient: deps.config.clientAuthFailuresPerClient,
        windowSeconds: deps.config.clientAuthFailureWindow,
      },
    }),
    refusalDelayMs: deps.config.clientAuthRefusalDelayMs,
    // Keys of their own (`oauth:<client_id>`): the APIs' allowance is counted apart.
    oauthRateLimiter:
      deps.store.dialect === 'postgres'
        ? sharedRateLimiter(deps.store, deps.config.oauthRateLimitPerSecond, { clock: deps.clock })
        : rateLimiter(deps.config.oauthRateLimitPerSecond, deps.clock),
  }
  // The provider signs with the keyring's current key. A rotation on this instance switches at
  // once; one on another instance is noticed within KEY_RELOAD_INTERVAL_MS, or sooner when a token
  // with an unknown kid made the verifier reload the keys.
  let provider = createProvider(providerDeps)
  let signingKid = deps.keyring.current().kid
  const current = () => {
    const kid = deps.keyring.current().kid
    if (kid !== signingKid) {
      signingKid = kid
      provider = createProvider(providerDeps)
    }
    return provider
  }
  // Consents revoked on other instances are picked up with the keys.
  await deps.verifier.reloadRevocations()
  const keyReload = setInterval(() => {
    deps.keyring.reload().then(current, (error: unknown) => {
      app.log.warn({ err: error }, 'signing keys not reloaded')
    })
    deps.verifier.reloadRevocations().catch((error: unknown) => {
      app.log.warn({ err: error }, 'consent revocations not reloaded')
    })
  }, KEY_RELOAD_INTERVAL_MS)
  keyReload.unref()
  app.addHook('onClose', async () => clearInterval(keyReload))
  providerRoutes(app, { ...providerDeps, current, verifier: deps.verifier })
  interactionRoutes(app, {
    store: deps.store,
    clock: deps.clock,
    network: deps.network,
    current,
    resource: deps.config.issuer,
    sandbox: deps.config.mode === 'sandbox' ? deps.sandbox : undefined,
    legalBases: deps.config.legalBases,
    networkAuth: { trustedProxies: deps.config.trustedProxies },
  })
  authAdminRoutes(app, {
    store: deps.store,
    clock: deps.clock,
    network: deps.network,
    keyring: deps.keyring,
    issuer: deps.config.issuer,
    adminToken: deps.adminToken,
    defaultMode: deps.config.defaultAppMode,
    current,
    rotateKeys: async () => {
      const key = await deps.keyring.rotate()
      current()
      return { kid: key.kid }
    },
    verifier: deps.verifier,
    accessTokenTtl: deps.config.accessTokenTtl,
  })
}

/** The nine CAMARA APIs, each operation behind the API guard. */
function mountApis(app: FastifyInstance, deps: AppDeps, lean: LeanPath): void {
  const guard = {
    lean,
    verifier: deps.verifier,
    rateLimiter:
      deps.store.dialect === 'postgres'
        ? sharedRateLimiter(deps.store, deps.config.rateLimitPerSecond, { clock: deps.clock })
        : rateLimiter(deps.config.rateLimitPerSecond, deps.clock),
    issuer: deps.config.issuer,
    clock: deps.clock,
    dpopReplay: (key: string, expiresAt: number) =>
      deps.store.oidcModels.claimOnce('DPoPProof', key, expiresAt),
  }
  roamingRoutes(app, { guard, network: deps.network })
  reachabilityRoutes(app, { guard, network: deps.network })
  if (deps.networkType !== undefined)
    networkTypeRoutes(app, { guard, network: deps.network, networkType: deps.networkType })
  if (deps.sim !== undefined) {
    simSwapRoutes(app, {
      guard,
      network: deps.network,
      sim: deps.sim,
      clock: deps.clock,
      monitoredPeriod: deps.config.simSwapMonitoredPeriod,
    })
  }
  deviceStatusV0Routes(app, { guard, network: deps.network })
  const subscriptions = {
    store: deps.store,
    network: deps.network,
    sinkPolicy: sinkPolicyOf(deps.config, deps.resolveSinkHost),
    source: notificationSource(deps.config.issuer),
    kick: deps.kickDelivery,
    quota: deps.config.subscriptionQuota,
    clock: deps.clock,
    guard,
    ...(deps.watch === undefined ? {} : { watch: deps.watch }),
  }
  subscriptionRoutes(app, subscriptions, offeredApis(deps))
  legacySubscriptionRoutes(app, subscriptions)
  deps.networkRoutes?.(app, deps.config)
}

/** The admin API (simulator, deliveries, sandbox tokens) and the API docs. */
function mountAdmin(app: FastifyInstance, deps: AppDeps): void {
  if (deps.simulator !== undefined) {
    simulatorRoutes(app, {
      ...deps.simulator.deps,
      adminGuard: adminGuard(deps.adminToken),
      scenarios: deps.simulator.scenarios,
    })
  }
  deliveryAdminRoutes(app, {
    store: deps.store,
    network: deps.network,
    adminToken: deps.adminToken,
    clock: deps.clock,
    kick: deps.kickDelivery,
  })
  eventStreamRoutes(app, { store: deps.store, adminToken: deps.adminToken, clock: deps.clock })
  if (deps.config.mode === 'sandbox') {
    sandboxRoutes(app, {
      store: deps.store,
      clock: deps.clock,
      network: deps.network,
      keyring: deps.keyring,
      issuer: deps.config.issuer,
      adminToken: deps.adminToken,
      accessTokenTtl: deps.config.accessTokenTtl,
      legalBases: deps.config.legalBases,
    })
  }

  const require = createRequire(import.meta.url)
  docsRoutes(app, {
    origin: deps.config.issuer,
    assetsDir: dirname(require.resolve('swagger-ui-dist/package.json')),
    sandbox: deps.config.mode === 'sandbox',
    offeredApis: offeredApis(deps),
    simulator: deps.simulator !== undefined,
    adminSchemas: {
      deviceState: DEVICE_STATE_SCHEMA,
      scenario: SCENARIO_SCHEMA,
      appInput: APP_INPUT_SCHEMA,
      tokenRequest: TOKEN_REQUEST_SCHEMA,
    },
  })
}
