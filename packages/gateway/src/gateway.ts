import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { FastifyInstance, FastifyServerOptions } from 'fastify'
import { tokenVerifier } from './auth/access-token.js'
import { openKeyring, type Keyring } from './auth/keys.js'
import { buildApp } from './app.js'
import { CONSOLE_DIST } from './console/routes.js'
import { DEMO_APP, seedDemoApp } from './auth/apps.js'
import { loadConfig, type Config } from './config.js'
import type { Clock } from './core/clock.js'
import { scenarioPlayer } from './network/simulator/scenarios.js'
import { demoDevices, seedDemoDevices } from './network/simulator/seed.js'
import { simulatedNetwork, type SimulatorDeps } from './network/simulator/simulator.js'
import { startHousekeeping } from './store/housekeeping.js'
import { startDeliveryWorker, type DeliveryWorker } from './notifications/delivery.js'
import { fanOut } from './notifications/outbox.js'
import { createMetrics } from './metrics/metrics.js'
import type { Resolve } from './notifications/sink-policy.js'
import { deliveryConfigOf, notificationSource, sinkPolicyOf } from './notifications/wiring.js'
import { openStore, type Store } from './store/store.js'

export interface RunningGateway {
  /** Base URL the gateway listens on, e.g. `http://127.0.0.1:8080`. */
  url: string
  config: Config
  adminToken: string
  app: FastifyInstance
  store: Store
  keyring: Keyring
  close(): Promise<void>
}

export interface StartOptions {
  /** Environment to read the configuration from (default `process.env`). */
  env?: Readonly<Record<string, string | undefined>>
  /** Replaces the config read from `env` (tests). */
  config?: Config
  clock?: Clock
  logger?: FastifyServerOptions['logger']
  /** Print the start-up banner (the CLI does). */
  banner?: (text: string) => void
  /** How sink host names resolve, at subscription and at delivery (default: the system's). */
  resolveSinkHost?: Resolve
}

/** Sandbox mode keeps its generated admin token in the data folder, so the CLI finds it. */
export function sandboxAdminToken(dataDir: string): string {
  const file = join(dataDir, 'admin-token')
  if (existsSync(file)) return readFileSync(file, 'utf8').trim()
  mkdirSync(dataDir, { recursive: true })
  const token = randomBytes(24).toString('base64url')
  writeFileSync(file, token + '\n', { mode: 0o600 })
  return token
}

/** Opens the store, seeds the sandbox, builds the app and listens. */
export async function startGateway(options: StartOptions = {}): Promise<RunningGateway> {
  let config = options.config ?? loadConfig(options.env ?? process.env)
  const clock = options.clock ?? (() => new Date())
  // Idle database connections that drop are logged once the app's logger exists.
  const poolErrors: { log: (error: Error) => void } = { log: () => undefined }
  const store = await openStore({
    databaseUrl: config.databaseUrl,
    dataDir: config.dataDir,
    onPoolError: (error) => poolErrors.log(error),
  })
  try {
    const adminToken = config.adminToken ?? sandboxAdminToken(config.dataDir)
    let seeded = 0
    if (config.mode === 'sandbox') {
      // Several sandbox instances may start at once on one database: whoever seeds first wins.
      seeded = await seedDemoDevices({ store, clock }).catch(async (error: unknown) => {
        if ((await store.devices.list()).length === 0) throw error
        return 0
      })
      await seedDemoApp({ store, clock }, Object.keys(config.legalBases)).catch(
        async (error: unknown) => {
          if ((await store.apps.byClientId(DEMO_APP.clientId)) === undefined) throw error
        },
      )
    }
    const keyring = await openKeyring(store)
    // The worker starts once the app listens; changes before that are picked up by its first cycle.
    const delivery: { worker?: DeliveryWorker } = {}
    const kickDelivery = () => delivery.worker?.kick()
    const outbox = { source: notificationSource(config.issuer) }
    const simulator: SimulatorDeps = {
      store,
      clock,
      onEvents: async (trx, events) => {
        await fanOut({ ...outbox, store: trx }, events)
      },
      afterCommit: kickDelivery,
    }
    const scenarios = scenarioPlayer(simulator)

    const metrics = createMetrics(store)
    const deps = {
      metrics,
      simulator,
      kickDelivery,
      store,
      network: simulatedNetwork(store),
      keyring,
      clock,
      scenarios,
      adminToken,
      ...(options.logger === undefined ? {} : { logger: options.logger }),
      ...(options.resolveSinkHost === undefined
        ? {}
        : { resolveSinkHost: options.resolveSinkHost }),
    }
    let app = await buildApp({
      ...deps,
      config,
      verifier: tokenVerifier({ store, keyring, issuer: config.issuer }),
    })
    await app.listen({ host: config.host, port: config.port })
    const address = app.server.address()
    const port = typeof address === 'object' && address !== null ? address.port : config.port
    if (
      config.port === 0 &&
      options.env?.['ISSUER'] === undefined &&
      options.config === undefined
    ) {
      // A free port was picked: the issuer follows the real port, so tokens and docs name it.
      await app.close()
      config = Object.freeze({ ...config, port, issuer: config.issuer.replace(/:0$/, `:${port}`) })
      app = await buildApp({
        ...deps,
        config,
        verifier: tokenVerifier({ store, keyring, issuer: config.issuer }),
      })
      await app.listen({ host: config.host, port })
    }
    poolErrors.log = (error) => app.log.warn({ err: error }, 'idle database connection lost')
    // The issuer may have changed with the real port: sources follow it.
    outbox.source = notificationSource(config.issuer)
    delivery.worker = startDeliveryWorker({
      store,
      outbox,
      sinkPolicy: sinkPolicyOf(config, options.resolveSinkHost),
      config: deliveryConfigOf(config),
      log: app.log,
      metrics: metrics.deliveries,
    })
    // Expired authorization state is swept every ten minutes (and once at start-up).
    const housekeeping = startHousekeeping({ store, everyMs: 600_000, log: app.log })
    const host = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host
    const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`

    options.banner?.(banner(config, url, adminToken, seeded, clock))

    let closed = false
    return {
      url,
      config,
      adminToken,
      app,
      store,
      keyring,
      async close() {
        if (closed) return
        closed = true
        scenarios.stopAll()
        await app.close()
        await delivery.worker?.stop()
        await housekeeping.stop()
        await store.close()
      },
    }
  } catch (error) {
    await store.close()
    throw error
  }
}

function banner(
  config: Config,
  url: string,
  adminToken: string,
  seeded: number,
  clock: Clock,
): string {
  const lines = [
    `Device Status gateway (${config.mode}) listening on ${url}`,
    `  Console       ${url}/console${existsSync(join(CONSOLE_DIST, 'index.html')) ? '' : '   (not built: npm run build -w @device-status/console)'}`,
    `  API docs      ${url}/docs`,
    `  JWKS          ${url}/oauth2/jwks`,
    `  Health        ${url}/health   Ready ${url}/ready`,
    `  Store         ${config.databaseUrl === undefined ? `SQLite in ${config.dataDir}` : 'PostgreSQL'}`,
  ]
  if (config.mode === 'sandbox') {
    lines.push(
      `  Admin token   ${adminToken}${config.adminToken === undefined ? `   (kept in ${join(config.dataDir, 'admin-token')})` : ''}`,
      `  Simulator     curl -H "Authorization: Bearer ${adminToken}" ${url}/network/v1/devices`,
      `  Demo app      client_id ${DEMO_APP.clientId}  client_secret ${DEMO_APP.clientSecret}`,
      `  Discovery     ${url}/.well-known/openid-configuration`,
    )
    if (seeded > 0) {
      lines.push('  Demo devices')
      for (const d of demoDevices(clock)) lines.push(`    ${d.phoneNumber.padEnd(15)} ${d.about}`)
    }
  }
  return lines.join('\n')
}
