// npm run bench: authenticated POST /device-roaming-status/v1/retrieve on the gateway as `npm
// start` runs it (the CLI, logs on as shipped, rate limit raised), with tokens from its token
// endpoint (two-legged client credentials and three-legged CIBA), against a bare node:http JSON
// handler measured in the same run; then notification delivery.
// A benchmark, not a test: it reports figures and exits 0. Loopback only, bounded in time.
import { spawn, type ChildProcess } from 'node:child_process'
import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import autocannon from 'autocannon'
import { appTokens, clientCredentialsToken, PHONE } from './app-tokens.js'
import { benchNotifications } from './notifications.js'

/** The item at `index`, which the caller knows is there. */
function at<T>(items: readonly T[], index: number): T {
  const item = items[index]
  if (item === undefined) throw new Error(`no item at ${index}`)
  return item
}

const DURATION = Number(process.env['BENCH_DURATION'] ?? 10)
const CONNECTIONS = Number(process.env['BENCH_CONNECTIONS'] ?? 50)
const TARGET = 0.7
// Baseline and gateway are measured in alternating rounds, and the median round's figures are
// reported: this machine's speed drifts from minute to minute, and a drift then hits both sides.
const ROUNDS = Math.max(1, Number(process.env['BENCH_ROUNDS'] ?? 3))
// Several gateway processes on one PostgreSQL (DATABASE_URL): the load is spread over them.
const INSTANCES = Number(process.env['BENCH_INSTANCES'] ?? 1)
// The configurations measured: `sandbox` (npm start as it comes) and `production` (DS_MODE=production).
const MODES = (process.env['BENCH_MODES'] ?? 'sandbox,production')
  .split(',')
  .map((m) => m.trim())
  .filter((m): m is Mode => m === 'sandbox' || m === 'production')
// Which parts run: `roaming`, `notifications`, `nef` (default all three). `nef`: the gateway with
// NETWORK=nef in front of nef-sim (a second process): roaming retrieve through the NEF adapter
// (one more HTTP hop) as a side of the roaming rounds, and event → webhook latency through the
// NEF path next to the embedded simulator's.
const PARTS = new Set((process.env['BENCH_PARTS'] ?? 'roaming,notifications,nef').split(','))
// Extra node flags for the gateway processes, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`.
const GATEWAY_FLAGS = (process.env['BENCH_GATEWAY_FLAGS'] ?? '').split(' ').filter((f) => f !== '')
const ROOT = join(import.meta.dirname, '..')
const ADMIN_TOKEN = 'bench-admin-token-0123456789abcdef'
const children: ChildProcess[] = []

type Mode = 'sandbox' | 'production'

interface Server {
  url: string
  pid: number
  adminToken?: string
  dataDir?: string
}

function track(child: ChildProcess): ChildProcess {
  children.push(child)
  return child
}

/** A bare server of bench/servers.ts (`baseline` or `fastify`), its URL sent over IPC. */
function startBare(role: string): Promise<Server> {
  const child = track(
    spawn(
      process.execPath,
      ['--conditions=source', '--import', 'tsx', join('bench', 'servers.ts'), role],
      { cwd: ROOT, stdio: ['ignore', 'ignore', 'ignore', 'ipc'] },
    ),
  )
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${role} did not start within 60 s`)), 60_000)
    child.once('message', (info) => {
      clearTimeout(timer)
      resolve({ ...(info as { url: string }), pid: child.pid ?? 0 })
    })
    child.once('exit', (code) => reject(new Error(`${role} exited ${code}`)))
  })
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      const port = typeof address === 'object' && address !== null ? address.port : 0
      server.close(() => resolve(port))
    })
  })
}

/**
 * The gateway exactly as `npm start` runs it (the CLI's start command, same node flags), its log
 * on stdout as shipped (JSON lines, buffered, to /dev/null here), the rate limit raised.
 */
async function startGateway(mode: Mode, env: Record<string, string> = {}): Promise<Server> {
  const port = await freePort()
  const dataDir = mkdtempSync(join(tmpdir(), 'ds-bench-'))
  const child = track(
    spawn(
      process.execPath,
      [
        ...GATEWAY_FLAGS,
        '--conditions=source',
        '--import',
        'tsx',
        join('packages', 'cli', 'src', 'main.ts'),
        'start',
        '--port',
        String(port),
      ],
      {
        cwd: ROOT,
        env: {
          ...process.env,
          DS_MODE: mode,
          ADMIN_TOKEN,
          DATA_DIR: dataDir,
          RATE_LIMIT_PER_SECOND: '10000000',
          ...env,
        },
        stdio: ['ignore', 'ignore', 'ignore'],
      },
    ),
  )
  const url = `http://127.0.0.1:${port}`
  await untilReady(child, url + '/ready', `gateway (${mode})`)
  return { url, pid: child.pid ?? 0, adminToken: ADMIN_TOKEN, dataDir }
}

/** Waits until `probe` answers 2xx; fails when the process exits or 60 s pass first. */
async function untilReady(child: ChildProcess, probe: string, what: string): Promise<void> {
  const deadline = Date.now() + 60_000
  let exited: number | null | undefined
  child.once('exit', (code) => (exited = code))
  for (;;) {
    if (exited !== undefined) throw new Error(`${what} exited ${exited}`)
    const ready = await fetch(probe).then(
      (r) => r.ok,
      () => false,
    )
    if (ready) return
    if (Date.now() > deadline) throw new Error(`${what} did not start within 60 s`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

/** nef-sim as `npm run device-status -- nef-sim` runs it, on a free port with its own store. */
async function startNefSim(): Promise<Server> {
  const port = await freePort()
  const dataDir = mkdtempSync(join(tmpdir(), 'ds-bench-nef-'))
  const child = track(
    spawn(
      process.execPath,
      [
        '--conditions=source',
        '--import',
        'tsx',
        join('packages', 'cli', 'src', 'main.ts'),
        'nef-sim',
        '--port',
        String(port),
      ],
      {
        cwd: ROOT,
        env: { ...process.env, ADMIN_TOKEN, DATA_DIR: dataDir, DATABASE_URL: '' },
        stdio: ['ignore', 'ignore', 'ignore'],
      },
    ),
  )
  const url = `http://127.0.0.1:${port}`
  await untilReady(child, url + '/health', 'nef-sim')
  return { url, pid: child.pid ?? 0, adminToken: ADMIN_TOKEN, dataDir }
}

/** A sandbox gateway (as `npm start` runs it) with NETWORK=nef in front of a new nef-sim. */
async function startNefGateway(
  store: Record<string, string>,
): Promise<{ gateway: Server; nef: Server }> {
  const nef = await startNefSim()
  const gateway = await startGateway('sandbox', {
    ...store,
    NETWORK: 'nef',
    NEF_BASE_URL: nef.url,
    NEF_SCS_AS_ID: 'bench',
  })
  return { gateway, nef }
}

/**
 * The notification bench on BENCH_PG_INSTANCES gateways (default 2) sharing a PostgreSQL database
 * of its own, `ds_bench_<pid>`, created here and dropped after (its gateways are stopped first).
 * Undefined when no server answers (or BENCH_PG=0).
 */
async function benchPostgresNotifications() {
  const wanted = process.env['BENCH_PG']
  if (wanted === '0') return undefined
  const server = process.env['BENCH_PG_SERVER'] ?? 'postgres://postgres@127.0.0.1:5432'
  const { default: pg } = await import('pg')
  const admin = new pg.Client({ connectionString: `${server}/postgres` })
  try {
    await admin.connect()
  } catch (error) {
    if (wanted === '1') throw error
    console.log(`notifications on PostgreSQL: skipped (no server at ${server})`)
    return undefined
  }
  const database = `ds_bench_${process.pid}`
  const instances = Number(process.env['BENCH_PG_INSTANCES'] ?? 2)
  const databaseUrl = `${server}/${database}`
  const started: ChildProcess[] = []
  try {
    await admin.query(`create database ${database}`)
    console.log(`notifications on PostgreSQL (${database}), ${instances} instance(s):`)
    return await benchNotifications({
      start: async () => {
        const gateway = await startGateway('sandbox', {
          DATABASE_URL: databaseUrl,
          ISSUER: 'http://bench.gateway',
        })
        const child = children.at(-1)
        if (child !== undefined) started.push(child)
        return gateway
      },
      instances,
      databaseUrl,
      // Issue 13's PostgreSQL target: 2,000 deliveries/s on two instances, p99 < 100 ms at that
      // rate. What they reach flat out is the burst shape's figure.
      rate: Number(process.env['BENCH_PG_NOTIFY_RATE'] ?? 2000),
    })
  } finally {
    // Stopped as an operator would (SIGTERM), killed if still there after 5 s.
    await Promise.all(
      started
        .filter((child) => child.exitCode === null && child.signalCode === null)
        .map(async (child) => {
          const exited = new Promise((r) => child.once('exit', r))
          child.kill('SIGTERM')
          await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))])
          child.kill('SIGKILL')
        }),
    )
    await admin.query(`drop database if exists ${database} with (force)`)
    await admin.end()
  }
}

function stopAll(): void {
  for (const child of children) child.kill('SIGKILL')
}

/** Stops the servers as an operator would (SIGTERM: the gateway closes and flushes), then kills what is left. */
async function stopGracefully(): Promise<void> {
  const running = children.filter((c) => c.exitCode === null && c.signalCode === null)
  const exited = Promise.all(running.map((c) => new Promise((r) => c.once('exit', r))))
  for (const child of running) child.kill('SIGTERM')
  await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))])
  stopAll()
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    stopAll()
    process.exit(130)
  })
}
// The whole run is bounded: whatever happens, it ends within 20 minutes.
setTimeout(() => {
  console.error('bench: did not finish within 20 minutes; stopping')
  stopAll()
  process.exit(1)
}, 20 * 60_000).unref()

// The server's own CPU time (user + system, all threads) per request, from /proc: unlike req/s it
// does not depend on how fast the load generator on the same cores is. Linux only.
const CLOCK_TICKS = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK']).toString()) || 100
  } catch {
    return 100
  }
})()

function cpuSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS
  } catch {
    return undefined
  }
}

interface Figures {
  name: string
  requestsPerSecond: number
  /** Server CPU µs per request (undefined where /proc is missing). */
  cpuPerRequest?: number
  p50: number
  p99: number
  non2xx: number
  errors: number
}

async function load(
  name: string,
  server: Server,
  request: { token?: string; body: unknown },
  seconds: number,
  connections = CONNECTIONS,
): Promise<Figures> {
  const cpuBefore = cpuSeconds(server.pid)
  const result = await autocannon({
    url: server.url + '/device-roaming-status/v1/retrieve',
    method: 'POST',
    connections,
    duration: seconds,
    headers: {
      'content-type': 'application/json',
      'x-correlator': 'bench-1',
      ...(request.token === undefined ? {} : { authorization: `Bearer ${request.token}` }),
    },
    body: JSON.stringify(request.body),
  })
  const cpuAfter = cpuSeconds(server.pid)
  return {
    name,
    requestsPerSecond: Math.round(result.requests.average),
    ...(cpuBefore === undefined || cpuAfter === undefined || result.requests.total === 0
      ? {}
      : {
          cpuPerRequest: Math.round(((cpuAfter - cpuBefore) * 1e7) / result.requests.total) / 10,
        }),
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors,
  }
}

/** Several instances measured at once: their request rates add up, latencies are the worst. */
function combine(name: string, parts: Figures[]): Figures {
  const total = parts.reduce((sum, p) => sum + p.requestsPerSecond, 0)
  return {
    name,
    requestsPerSecond: total,
    ...(parts.every((p) => p.cpuPerRequest !== undefined) && total > 0
      ? {
          cpuPerRequest:
            Math.round(
              (10 *
                parts.reduce((sum, p) => sum + (p.cpuPerRequest ?? 0) * p.requestsPerSecond, 0)) /
                total,
            ) / 10,
        }
      : {}),
    p50: Math.max(...parts.map((p) => p.p50)),
    p99: Math.max(...parts.map((p) => p.p99)),
    non2xx: parts.reduce((sum, p) => sum + p.non2xx, 0),
    errors: parts.reduce((sum, p) => sum + p.errors, 0),
  }
}

function table(rows: Figures[]): string {
  const lines = [
    'name                               req/s  CPU µs/req  p50 ms  p99 ms  non-2xx  errors',
  ]
  for (const r of rows) {
    lines.push(
      `${r.name.padEnd(32)} ${String(r.requestsPerSecond).padStart(8)}  ${String(r.cpuPerRequest ?? '-').padStart(10)}  ${String(r.p50).padStart(6)}  ${String(r.p99).padStart(6)}  ${String(r.non2xx).padStart(7)}  ${String(r.errors).padStart(6)}`,
    )
  }
  return lines.join('\n')
}

const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? NaN

/** One measured side: a name and how to load it for `seconds`. */
interface Side {
  name: string
  run: (seconds: number) => Promise<Figures>
}

async function benchRoaming(store: Record<string, string>) {
  const baseline = await startBare('baseline')
  const framework = await startBare('fastify')
  const sides: Side[] = [
    {
      name: 'node:http baseline',
      run: (s) =>
        load('node:http baseline', baseline, { body: { device: { phoneNumber: PHONE } } }, s),
    },
    {
      name: 'bare fastify',
      run: (s) => load('bare fastify', framework, { body: { device: { phoneNumber: PHONE } } }, s),
    },
  ]
  for (const mode of MODES) {
    const gateways: Server[] = []
    for (let i = 0; i < INSTANCES; i++) gateways.push(await startGateway(mode, store))
    const first = gateways[0]
    if (first === undefined) throw new Error('no gateway')
    const tokens = await appTokens(first.url, first.adminToken ?? '', mode)
    for (const [leg, token, body] of [
      ['2-legged', tokens.twoLegged, { device: { phoneNumber: PHONE } }],
      ['3-legged', tokens.threeLegged, {}],
    ] as const) {
      // The token works and the answer is the device's: Germany.
      for (const g of gateways) {
        const check = await fetch(g.url + '/device-roaming-status/v1/retrieve', {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
          body: JSON.stringify(body),
        })
        const answer = (await check.json()) as { countryCode?: number }
        if (check.status !== 200 || answer.countryCode !== 262)
          throw new Error(
            `gateway (${mode}, ${leg}) answered ${check.status} ${JSON.stringify(answer)}`,
          )
      }
      const name = `gateway ${mode} ${leg}${INSTANCES > 1 ? ` ×${INSTANCES}` : ''}`
      sides.push({
        name,
        run: (s) =>
          Promise.all(
            gateways.map((g, i) =>
              load(
                `${name} ${i}`,
                g,
                { token, body },
                s,
                Math.max(1, Math.round(CONNECTIONS / INSTANCES)),
              ),
            ),
          ).then((parts) =>
            parts.length === 1 ? { ...at(parts, 0), name } : combine(name, parts),
          ),
      })
    }
  }

  if (PARTS.has('nef')) {
    // The NEF adapter: each retrieve is a one-time ROAMING_STATUS request to nef-sim.
    const { gateway } = await startNefGateway(store)
    const token = await clientCredentialsToken(gateway.url)
    const body = { device: { phoneNumber: PHONE } }
    const check = await fetch(gateway.url + '/device-roaming-status/v1/retrieve', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify(body),
    })
    const answer = (await check.json()) as { countryCode?: number }
    if (check.status !== 200 || answer.countryCode !== 262)
      throw new Error(`gateway (NEF) answered ${check.status} ${JSON.stringify(answer)}`)
    const name = 'gateway sandbox 2-legged via NEF'
    sides.push({ name, run: (s) => load(name, gateway, { token, body }, s) })
  }

  console.log(
    `Warming up (2 s each, twice over), then ${ROUNDS} alternating rounds of ${DURATION} s each with ${CONNECTIONS} connections…`,
  )
  // Two passes over every side, in the order of a forward and a reverse round. With one pass
  // the two-legged side's first round came out its lowest run after run, though the JIT's
  // background threads were done; likely because one gateway process serves both legs and V8
  // re-optimizes their shared code for what it saw last, the three-legged warm-up
  // (bench/README.md). Every side gets the same warm-up, the baseline included.
  for (const order of [sides, [...sides].reverse()]) for (const side of order) await side.run(2)
  const rounds: Figures[][] = []
  for (let round = 1; round <= ROUNDS; round++) {
    // Every other round runs in reverse order, so a drift of the machine's speed within a round
    // does not always favour the same side.
    const order = round % 2 === 1 ? sides : [...sides].reverse()
    const figures = new Map<string, Figures>()
    for (const side of order) figures.set(side.name, await side.run(DURATION))
    const row = sides.map((s) =>
      at(
        [figures.get(s.name)].filter((f) => f !== undefined),
        0,
      ),
    )
    rounds.push(row)
    const base = at(row, 0).requestsPerSecond
    console.log(
      `round ${round}/${ROUNDS}: ` +
        row
          .map(
            (f, i) =>
              `${f.name} ${f.requestsPerSecond}${i === 0 ? '' : ` (${(f.requestsPerSecond / base).toFixed(2)})`}`,
          )
          .join(', '),
    )
  }
  // Per side: the round whose ratio to that round's baseline is the median.
  const summary = sides.map((side, i) => {
    const ratios = rounds.map((r) => at(r, i).requestsPerSecond / at(r, 0).requestsPerSecond)
    const cpuRatios = rounds.map(
      (r) => (at(r, 0).cpuPerRequest ?? NaN) / (at(r, i).cpuPerRequest ?? NaN),
    )
    const m = median(ratios)
    const medianRound = ratios.indexOf(m)
    return {
      side: side.name,
      figures: at(at(rounds, medianRound), i),
      ratio: m,
      cpuRatio: median(cpuRatios),
      ratios,
    }
  })
  console.log(
    `median of ${ROUNDS} rounds (each side: its median round against that round's baseline):`,
  )
  console.log(table(summary.map((s) => s.figures)))
  // A run is too noisy to judge when the baseline's own rate moved by more than a third between
  // rounds, or bare fastify came out as fast as node:http (it never is on a quiet machine).
  const baselineRates = rounds.map((r) => at(r, 0).requestsPerSecond)
  const fastify = summary[1]
  const noisy =
    Math.max(...baselineRates) / Math.min(...baselineRates) > 1.33 ||
    (fastify !== undefined && (fastify.ratio >= 0.95 || fastify.cpuRatio >= 0.95))
  if (noisy)
    console.log(
      'this run is too noisy to judge (the baseline moved by more than a third between rounds, or bare fastify matched node:http): run again on a quieter machine',
    )
  // The verdict needs both: req/s in the same run (the issue's measure) and the CPU per request
  // (which a loaded machine disturbs less). One without the other is not a pass.
  for (const s of summary.slice(1)) {
    const gateway = s.side.startsWith('gateway')
    const pass = s.ratio >= TARGET && s.cpuRatio >= TARGET
    console.log(
      `${s.side.padEnd(32)} ratio to node:http ${s.ratio.toFixed(2)} (rounds ${s.ratios.map((r) => r.toFixed(2)).join(' ')})` +
        `, CPU/req ratio ${s.cpuRatio.toFixed(2)}` +
        (gateway
          ? ` — target ≥ ${TARGET} on both: ${noisy ? 'UNDECIDED (noisy run)' : pass ? 'PASS' : 'BELOW'}`
          : ''),
    )
  }
  return { sides: summary, noisy }
}

try {
  if (INSTANCES > 1 && process.env['DATABASE_URL'] === undefined)
    throw new Error('BENCH_INSTANCES > 1 needs DATABASE_URL')
  const store: Record<string, string> =
    process.env['DATABASE_URL'] === undefined
      ? {}
      : { DATABASE_URL: process.env['DATABASE_URL'], ISSUER: 'http://bench.gateway' }
  console.log(
    `bench ${new Date().toISOString()}: load average ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}, ` +
      `store ${store['DATABASE_URL'] === undefined ? 'SQLite' : 'PostgreSQL'}, ${INSTANCES} instance(s)`,
  )
  const roaming = PARTS.has('roaming') ? await benchRoaming(store) : undefined
  const notifications = PARTS.has('notifications')
    ? await benchNotifications({
        start: () => startGateway('sandbox', store),
        instances: INSTANCES,
        // On PostgreSQL (DATABASE_URL) the fan-out writes its subscriptions there.
        ...(store['DATABASE_URL'] === undefined ? {} : { databaseUrl: store['DATABASE_URL'] }),
      })
    : undefined

  // The PostgreSQL variant (issue 13: two instances on one PostgreSQL), when the run is on SQLite
  // and a server answers on 127.0.0.1:5432 (BENCH_PG=0: never; BENCH_PG=1: fail without one).
  const pgNotifications =
    PARTS.has('notifications') && store['DATABASE_URL'] === undefined
      ? await benchPostgresNotifications()
      : undefined

  const nefNotifications = PARTS.has('nef')
    ? await benchNotifications({
        start: async () => {
          const { gateway, nef } = await startNefGateway(store)
          return { ...gateway, network: nef }
        },
        instances: 1,
        idleOnly: true,
        label: 'through the NEF (nef-sim → gateway → webhook)',
      })
    : undefined

  mkdirSync(join(ROOT, 'bench', 'results'), { recursive: true })
  const file = join(
    ROOT,
    'bench',
    'results',
    `bench-${new Date().toISOString().replace(/[:.]/g, '-')}.json`,
  )
  writeFileSync(
    file,
    JSON.stringify(
      {
        at: new Date().toISOString(),
        duration: DURATION,
        connections: CONNECTIONS,
        rounds: ROUNDS,
        store: process.env['DATABASE_URL'] === undefined ? 'sqlite' : 'postgres',
        instances: INSTANCES,
        roaming,
        notifications,
        pgNotifications,
        nefNotifications,
      },
      null,
      2,
    ),
  )
  console.log(`figures written to ${file}`)
} finally {
  await stopGracefully()
}
