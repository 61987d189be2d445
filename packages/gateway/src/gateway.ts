import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { FastifyInstance, FastifyServerOptions } from 'fastify'
import { tokenVerifier } from './auth/access-token.js'
import { openKeyring, type Keyring } from './auth/keys.js'
import { buildApp, type AppDeps } from './app.js'
import { CONSOLE_DIST } from './console/routes.js'
import { DEMO_APP, seedDemoApp } from './auth/apps.js'
import { loadConfig, type Config } from './config.js'
import { nowMs, systemClock, type Clock } from './core/clock.js'
import { timeEnding } from './notifications/delivery-policy.js'
import { randomToken } from './core/random-token.js'
import { scenarioPlayer } from './simulator/scenarios.js'
import { demoDevices, seedDemoDevices } from './simulator/seed.js'
import { simulatedNetwork, simulatedSandbox } from './simulator/network.js'
import type { SimulatorDeps } from './simulator/simulator.js'
import { networkEventSink } from './subscriptions/ingest.js'
import { startFanOutWorker, type FanOutWorker } from './subscriptions/fan-out.js'
import { startHousekeeping } from './store/housekeeping.js'
import {
  startDeliveryWorker,
  type ClaimedNotification,
  type DeliveryWorker,
} from './notifications/delivery.js'
import { createMetrics } from './metrics/metrics.js'
import type { Resolve } from './notifications/sink-policy.js'
import { deliveryConfigOf, sinkPolicyOf } from './notifications/wiring.js'
import { endExpiredSubscriptions } from './subscriptions/expiry.js'
import { notificationSource } from './subscriptions/outbox.js'
import { openStore, type Store } from './store/store.js'
import { endSubscription } from './subscriptions/outbox.js'
import { LIVE_STATUSES } from './store/subscriptions.js'
import { nefClient } from './nef/client.js'
import { nefNetwork, type NefLog, type NefNetwork } from './nef/network.js'
import { CALLBACK_PATH, nefCallbackRoutes } from './nef/routes.js'
import { startNefCheck, type NefCheck } from './nef/check.js'
import type { NetworkEventSink } from './network/port.js'

export interface RunningGateway {
  /** Base URL the gateway listens on, e.g. `http://127.0.0.1:8080`. */
  url: string
  config: Config
  adminToken: string
  app: FastifyInstance
  store: Store
  keyring: Keyring
  /** NEF mode: the check of the NEF subscriptions (tests run a pass with `runOnce`). */
  nefCheck: NefCheck | undefined
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
  const token = randomToken(24)
  writeFileSync(file, token + '\n', { mode: 0o600 })
  return token
}

/** Opens the store, seeds the sandbox, builds the app and listens. */
export async function startGateway(options: StartOptions = {}): Promise<RunningGateway> {
  let config = options.config ?? loadConfig(options.env ?? process.env)
  const clock = options.clock ?? systemClock
  // Idle database connections that drop, and the SQLite checkpoint thread's failures, are
  // logged once the app's logger exists.
  const storeErrors: { log: (error: Error, message: string) => void } = { log: () => undefined }
  const store = await openStore({
    databaseUrl: config.databaseUrl,
    dataDir: config.dataDir,
    onPoolError: (error) => storeErrors.log(error, 'idle database connection lost'),
    onCheckpointError: (error) =>
      storeErrors.log(
        error,
        "SQLite checkpoint thread failed; the gateway's own connection still checkpoints the log",
      ),
  })
  try {
    const adminToken = config.adminToken ?? sandboxAdminToken(config.dataDir)
    // The worker starts once the app listens; changes before that are picked up by its first cycle.
    const delivery: { worker?: DeliveryWorker; fanOut?: FanOutWorker } = {}
    const kickDelivery = () => delivery.worker?.kick()
    // Notifications written claimed for this instance's delivery worker, handed to it after the commit.
    const handOver = {
      leaseUntil: () => delivery.worker?.leaseUntil(),
      take: (claimed: readonly ClaimedNotification[]) => delivery.worker?.take(claimed),
    }
    const outbox = { source: notificationSource(config.issuer) }
    // Whatever the network, its changes come in through the one network event door; the
    // notifications of a device with many subscriptions are written by the fan-out worker.
    const events = networkEventSink({
      store,
      outbox,
      clock,
      kick: kickDelivery,
      delivery: handOver,
      queued: () => delivery.fanOut?.kick(),
    })
    // The app's logger exists once it is built; the network adapter logs through this until then.
    const networkLog: { log: NefLog } = { log: { warn: () => undefined, info: () => undefined } }
    const ports =
      config.nef === undefined
        ? simulatorPorts({ store, clock, events })
        : nefPorts({
            config,
            store,
            clock,
            events,
            outbox,
            kick: kickDelivery,
            log: {
              warn: (o, m) => networkLog.log.warn(o, m),
              info: (o, m) => networkLog.log.info(o, m),
            },
          })
    const seeded =
      config.mode === 'sandbox' ? await seedSandbox(store, clock, ports.simulator?.deps, config) : 0
    const keyring = await openKeyring(store)

    const metrics = createMetrics(store)
    const deps: Omit<AppDeps, 'config' | 'verifier'> = {
      metrics,
      simulator: ports.simulator,
      sandbox: ports.sandbox,
      sim: ports.sim,
      networkType: ports.networkType,
      ...(ports.nef === undefined
        ? {}
        : { watch: ports.nef.network, networkRoutes: ports.nef.routes }),
      kickDelivery,
      store,
      network: ports.network,
      keyring,
      clock,
      adminToken,
      ...(options.logger === undefined ? {} : { logger: options.logger }),
      ...(options.resolveSinkHost === undefined
        ? {}
        : { resolveSinkHost: options.resolveSinkHost }),
    }
    const listening = await listen(deps, config, {
      issuerFollowsPort: options.env?.['ISSUER'] === undefined && options.config === undefined,
    })
    const { app, port } = listening
    config = listening.config
    storeErrors.log = (error, message) => app.log.warn({ err: error }, message)
    networkLog.log = app.log
    // The issuer may have changed with the real port: sources follow it.
    outbox.source = notificationSource(config.issuer)
    const deliveryConfig = deliveryConfigOf(config)
    delivery.worker = startDeliveryWorker({
      store,
      sinkPolicy: sinkPolicyOf(config, options.resolveSinkHost),
      notifierThread: config.notifyThread,
      config: deliveryConfig,
      log: app.log,
      clock,
      sweep: () =>
        endExpiredSubscriptions({
          store,
          source: outbox.source,
          clock,
          tokenExpiryNoticeMs: deliveryConfig.tokenExpiryNoticeMs,
        }),
      metrics: metrics.deliveries,
    })
    delivery.fanOut = startFanOutWorker({
      store,
      outbox,
      clock,
      log: app.log,
      pollMs: deliveryConfig.pollMs,
      wrote: kickDelivery,
      // On PostgreSQL a large fan-out is left to the claims of every instance, which share it; the
      // embedded store has one instance, this one, and its chunks are handed over claimed.
      ...(config.databaseUrl === undefined ? { delivery: handOver } : {}),
    })
    const nefCheck =
      ports.nef === undefined || config.nef === undefined
        ? undefined
        : startNefCheck({
            network: ports.nef.network,
            client: ports.nef.client,
            store,
            clock,
            everyMs: config.nef.checkIntervalMs,
            graceMs: 4 * config.nef.timeoutMs + 60_000,
            log: app.log,
          })
    // Expired authorization state is swept every ten minutes (and once at start-up).
    const housekeeping = startHousekeeping({ store, clock, everyMs: 600_000, log: app.log })
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
      nefCheck,
      async close() {
        if (closed) return
        closed = true
        ports.simulator?.scenarios.stopAll()
        await app.close()
        await nefCheck?.stop()
        await delivery.fanOut?.stop()
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

/** What the network is made of: the ports and what the app mounts for them. */
interface NetworkPorts {
  network: AppDeps['network']
  sim: AppDeps['sim']
  networkType: AppDeps['networkType']
  simulator: AppDeps['simulator']
  sandbox: AppDeps['sandbox']
  nef:
    | {
        network: NefNetwork
        client: ReturnType<typeof nefClient>
        routes: (app: FastifyInstance, config: Config) => void
      }
    | undefined
}

/** The built-in simulator: every fact, its admin API and scenarios, the sandbox capabilities. */
function simulatorPorts(deps: SimulatorDeps): NetworkPorts {
  const network = simulatedNetwork(deps.store)
  return {
    network,
    sim: network,
    networkType: network,
    simulator: { deps, scenarios: scenarioPlayer(deps) },
    sandbox: simulatedSandbox(deps.store, deps.clock),
    nef: undefined,
  }
}

/**
 * A 3GPP NEF (docs/nef.md): roaming and reachability from its Monitoring Event API, its
 * notifications at the callback route; no SIM or network type source, no simulator, no sandbox
 * capabilities (no device picker, no consent stand-in).
 */
function nefPorts(deps: {
  config: Config
  store: Store
  clock: Clock
  events: NetworkEventSink<Store>
  outbox: { source: ReturnType<typeof notificationSource> }
  kick: () => void
  log: NefLog
}): NetworkPorts {
  const { store, clock, config } = deps
  const nef = config.nef
  if (nef === undefined) throw new Error('NETWORK=nef without its configuration')
  const client = nefClient({ config: nef, clock })
  // The issuer may change with the real port (PORT=0): read at each use.
  const current = { issuer: config.issuer }
  const network = nefNetwork({
    config: nef,
    client,
    store,
    clock,
    events: deps.events,
    callbackBase: () => nef.callbackUrl ?? current.issuer + CALLBACK_PATH,
    log: deps.log,
  })
  const endByNetwork = async (subscriptionId: string) => {
    await store.transaction(async (trx) => {
      const row = await trx.subscriptions.byId(subscriptionId)
      if (row === undefined || !LIVE_STATUSES.includes(row.status)) return
      // A NEF ends a subscription at the monitorExpireTime it was given, which is the CAMARA
      // expiry: that is the subscription expiring, as the sweep would end it, not the network.
      const reason =
        timeEnding(row, nowMs(clock), { tokenExpiryNoticeMs: 0 }) ?? 'NETWORK_TERMINATED'
      await endSubscription({ store: trx, source: deps.outbox.source, clock }, row, reason)
    })
    deps.kick()
  }
  return {
    network,
    sim: undefined,
    networkType: undefined,
    simulator: undefined,
    sandbox: undefined,
    nef: {
      network,
      client,
      routes: (app, built) => {
        // The app is built again once the real port is known: its issuer names the callback.
        current.issuer = built.issuer
        nefCallbackRoutes(app, { network, store, endSubscription: endByNetwork, log: deps.log })
      },
    },
  }
}

/** Seeds the demo devices (simulator only) and the demo app on a sandbox's first start; returns the devices seeded. */
async function seedSandbox(
  store: Store,
  clock: Clock,
  simulator: SimulatorDeps | undefined,
  config: Config,
): Promise<number> {
  const seeded = simulator === undefined ? 0 : await seedDemoDevices(simulator)
  await seedDemoApp({ store, clock }, Object.keys(config.legalBases)).catch(
    async (error: unknown) => {
      // Several sandbox instances may start at once on one database: whoever seeds first wins.
      if ((await store.apps.byClientId(DEMO_APP.clientId)) === undefined) throw error
    },
  )
  return seeded
}

/**
 * Builds the app and listens. On port 0 a free port is picked; unless an issuer was configured,
 * the app is built again with the issuer on the real port, so tokens and docs name it.
 */
async function listen(
  deps: Omit<AppDeps, 'config' | 'verifier'>,
  config: Config,
  options: { issuerFollowsPort: boolean },
): Promise<{ app: FastifyInstance; config: Config; port: number }> {
  const build = (config: Config) =>
    buildApp({
      ...deps,
      config,
      verifier: tokenVerifier(
        {
          store: deps.store,
          keyring: deps.keyring,
          issuer: config.issuer,
          legalBases: config.legalBases,
        },
        { clock: deps.clock },
      ),
    })
  let app = await build(config)
  await app.listen({ host: config.host, port: config.port })
  const address = app.server.address()
  const port = typeof address === 'object' && address !== null ? address.port : config.port
  if (config.port !== 0 || !options.issuerFollowsPort) return { app, config, port }
  await app.close()
  const real = Object.freeze({ ...config, port, issuer: config.issuer.replace(/:0$/, `:${port}`) })
  app = await build(real)
  await app.listen({ host: real.host, port })
  return { app, config: real, port }
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
  if (config.nef !== undefined) {
    lines.push(
      `  Network       3GPP NEF at ${config.nef.baseUrl} (Monitoring Event API, SCS/AS ${config.nef.scsAsId})`,
      `  Callback      ${config.nef.callbackUrl ?? url + CALLBACK_PATH}/{token}`,
      `  Not offered   sim-swap, connected-network-type and their subscriptions: a NEF gives neither SIM changes nor the network type (docs/nef.md)`,
    )
  } else {
    lines.push(`  Network       built-in simulator`)
  }
  if (config.mode === 'sandbox') {
    lines.push(
      `  Admin token   ${adminToken}${config.adminToken === undefined ? `   (kept in ${join(config.dataDir, 'admin-token')})` : ''}`,
      ...(config.nef === undefined
        ? [
            `  Simulator     curl -H "Authorization: Bearer ${adminToken}" ${url}/network/v1/devices`,
          ]
        : []),
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
