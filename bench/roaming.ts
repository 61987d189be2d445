// npm run bench: authenticated POST /device-roaming-status/v1/retrieve on the started gateway
// against a bare node:http JSON handler, measured in the same run; then notification delivery.
// A benchmark, not a test: it reports figures and exits 0. Loopback only, bounded in time.
import { spawn, type ChildProcess } from 'node:child_process'
import { execFileSync } from 'node:child_process'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import autocannon from 'autocannon'
import { benchNotifications } from './notifications.js'

const DURATION = Number(process.env['BENCH_DURATION'] ?? 10)
const CONNECTIONS = Number(process.env['BENCH_CONNECTIONS'] ?? 50)
const TARGET = 0.7
// Baseline and gateway are measured in alternating rounds, and the median round's figures are
// reported: this machine's speed drifts from minute to minute, and a drift then hits both sides.
const ROUNDS = Math.max(1, Number(process.env['BENCH_ROUNDS'] ?? 3))
// Several gateway processes on one PostgreSQL (DATABASE_URL): the load is spread over them.
const INSTANCES = Number(process.env['BENCH_INSTANCES'] ?? 1)
const ROOT = join(import.meta.dirname, '..')
const children: ChildProcess[] = []

interface Server {
  url: string
  pid: number
  token?: string
  adminToken?: string
}

function start(role: string, env: Record<string, string> = {}): Promise<Server> {
  const child = spawn(
    process.execPath,
    ['--conditions=source', '--import', 'tsx', join('bench', 'servers.ts'), role],
    { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'ignore', 'ipc'] },
  )
  children.push(child)
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${role} did not start within 60 s`)), 60_000)
    child.once('message', (info) => {
      clearTimeout(timer)
      resolve({ ...(info as { url: string }), pid: child.pid ?? 0 })
    })
    child.once('exit', (code) => reject(new Error(`${role} exited ${code}`)))
  })
}

function stopAll(): void {
  for (const child of children) child.kill('SIGKILL')
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    stopAll()
    process.exit(130)
  })
}
// The whole run is bounded: whatever happens, it ends within 15 minutes.
setTimeout(() => {
  console.error('bench: did not finish within 15 minutes; stopping')
  stopAll()
  process.exit(1)
}, 15 * 60_000).unref()

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
  headers: Record<string, string>,
  seconds: number,
): Promise<Figures> {
  const cpuBefore = cpuSeconds(server.pid)
  const result = await autocannon({
    url: server.url + '/device-roaming-status/v1/retrieve',
    method: 'POST',
    connections: Math.max(1, Math.round(CONNECTIONS / INSTANCES)),
    duration: seconds,
    headers: { 'content-type': 'application/json', 'x-correlator': 'bench-1', ...headers },
    body: JSON.stringify({ device: { phoneNumber: '+34600000002' } }),
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
function combine(parts: Figures[]): Figures {
  return {
    name: `gateway ×${parts.length} (roaming)`,
    requestsPerSecond: parts.reduce((sum, p) => sum + p.requestsPerSecond, 0),
    ...(parts.every((p) => p.cpuPerRequest !== undefined)
      ? {
          cpuPerRequest:
            Math.round(
              (10 *
                parts.reduce((sum, p) => sum + (p.cpuPerRequest ?? 0) * p.requestsPerSecond, 0)) /
                parts.reduce((sum, p) => sum + p.requestsPerSecond, 0),
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
  const lines = ['name                 req/s  CPU µs/req  p50 ms  p99 ms  non-2xx  errors']
  for (const r of rows) {
    lines.push(
      `${r.name.padEnd(20)} ${String(r.requestsPerSecond).padStart(8)}  ${String(r.cpuPerRequest ?? '-').padStart(10)}  ${String(r.p50).padStart(6)}  ${String(r.p99).padStart(6)}  ${String(r.non2xx).padStart(7)}  ${String(r.errors).padStart(6)}`,
    )
  }
  return lines.join('\n')
}

try {
  if (INSTANCES > 1 && process.env['DATABASE_URL'] === undefined)
    throw new Error('BENCH_INSTANCES > 1 needs DATABASE_URL')
  const baseline = await start('baseline')
  const framework = await start('fastify')
  const storeEnv: Record<string, string> =
    process.env['DATABASE_URL'] === undefined
      ? {}
      : {
          DATABASE_URL: process.env['DATABASE_URL'],
          ADMIN_TOKEN: 'bench-admin-token-0123456789',
          ISSUER: 'http://bench.gateway',
        }
  const gateway = await start('gateway', storeEnv)
  const more: Server[] = []
  for (let i = 1; i < INSTANCES; i++) more.push(await start('gateway', storeEnv))
  const auth = { authorization: `Bearer ${gateway.token ?? ''}` }
  const check = await fetch(gateway.url + '/device-roaming-status/v1/retrieve', {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...auth },
    body: JSON.stringify({ device: { phoneNumber: '+34600000002' } }),
  })
  const answer = (await check.json()) as { countryCode?: number }
  if (check.status !== 200 || answer.countryCode !== 262)
    throw new Error(`gateway answered ${check.status} ${JSON.stringify(answer)}`)

  console.log(`Warming up (2 s each), then ${DURATION} s each with ${CONNECTIONS} connections…`)
  await load('warm-up', baseline, {}, 2)
  await load('warm-up', framework, {}, 2)
  await load('warm-up', gateway, auth, 2)
  const loadGateway = () =>
    more.length === 0
      ? load('gateway (roaming)', gateway, auth, DURATION)
      : Promise.all(
          [gateway, ...more].map((g, i) => load(`gateway ${i + 1}`, g, auth, DURATION)),
        ).then(combine)
  const rounds: { base: Figures; bare: Figures; gw: Figures; ratio: number }[] = []
  for (let round = 1; round <= ROUNDS; round++) {
    // Every other round runs in reverse order, so a drift of the machine's speed within a round
    // does not always favour the same side.
    const measure = {
      base: () => load('node:http baseline', baseline, {}, DURATION),
      bare: () => load('bare fastify', framework, {}, DURATION),
      gw: loadGateway,
    }
    const order =
      round % 2 === 1 ? (['base', 'bare', 'gw'] as const) : (['gw', 'bare', 'base'] as const)
    const figures: Partial<Record<keyof typeof measure, Figures>> = {}
    for (const side of order) figures[side] = await measure[side]()
    const { base, bare, gw } = figures as Record<keyof typeof measure, Figures>
    const ratio = gw.requestsPerSecond / base.requestsPerSecond
    rounds.push({ base, bare, gw, ratio })
    console.log(
      `round ${round}/${ROUNDS}: baseline ${base.requestsPerSecond} req/s, bare fastify ${bare.requestsPerSecond}, gateway ${gw.requestsPerSecond}, ratio ${ratio.toFixed(2)}`,
    )
  }
  const median = [...rounds].sort((a, b) => a.ratio - b.ratio)[Math.floor(rounds.length / 2)]
  if (median === undefined) throw new Error('no round measured')
  const { base, bare, gw, ratio } = median
  console.log(`median round of ${ROUNDS}:`)
  console.log(table([base, bare, gw]))
  console.log(
    `ratio gateway/baseline: ${ratio.toFixed(2)} (target ≥ ${TARGET}: ${ratio >= TARGET ? 'PASS' : 'BELOW'})`,
  )
  console.log(
    `ratio gateway/bare fastify: ${(gw.requestsPerSecond / bare.requestsPerSecond).toFixed(2)} (what the gateway's own work costs over its framework)`,
  )
  if (base.cpuPerRequest !== undefined && gw.cpuPerRequest !== undefined)
    console.log(
      `CPU per request: baseline ${base.cpuPerRequest} µs, gateway ${gw.cpuPerRequest} µs; ratio ${(base.cpuPerRequest / gw.cpuPerRequest).toFixed(2)} (the same comparison, less sensitive to the machine's drift)`,
    )

  const notifications = await benchNotifications({
    url: gateway.url,
    adminToken: gateway.adminToken ?? '',
  })
  console.log(
    `notifications: network event → webhook p50 ${notifications.latencyP50} ms, p99 ${notifications.latencyP99} ms; ` +
      `${notifications.deliveriesPerSecond} deliveries/s with ${notifications.subscriptions} subscriptions`,
  )

  mkdirSync(join(ROOT, 'bench', 'results'), { recursive: true })
  const file = join(
    ROOT,
    'bench',
    'results',
    `roaming-${new Date().toISOString().replace(/[:.]/g, '-')}.json`,
  )
  writeFileSync(
    file,
    JSON.stringify(
      {
        at: new Date().toISOString(),
        duration: DURATION,
        connections: CONNECTIONS,
        store: process.env['DATABASE_URL'] === undefined ? 'sqlite' : 'postgres',
        baseline: base,
        fastify: bare,
        gateway: gw,
        ratio,
        rounds: rounds.map((r) => ({
          baseline: r.base.requestsPerSecond,
          fastify: r.bare.requestsPerSecond,
          gateway: r.gw.requestsPerSecond,
          ratio: r.ratio,
        })),
        notifications,
      },
      null,
      2,
    ),
  )
  console.log(`figures written to ${file}`)
} finally {
  stopAll()
}
