// npm run bench, tokens: the token endpoint of a gateway started as `npm start` runs it (its own
// process, sandbox mode, SQLite or DATABASE_URL, logs as shipped), with the demo app's secret.
//   1. client-credentials tokens/s, next to oidc-provider alone (memory adapter, static client,
//      the same JWT access tokens): the library's floor on this machine;
//   2. CIBA completed flows/s with BENCH_CIBA_FLOWS (default 1,000) concurrent flows, each
//      bc-authorize → wait `interval` → token poll, next to the ceiling the interval sets;
//   3. p99 of a valid token request while 64 connections from another address send wrong secrets
//      for the same app, next to the same p99 without them.
// Median of BENCH_ROUNDS alternating rounds of BENCH_TOKEN_DURATION seconds (default 5). A
// benchmark, not a test: it reports figures and exits 0. Loopback only, bounded in time.
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { Agent, request } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import autocannon from 'autocannon'
import { cpuSeconds } from './notifications.js'

const ROOT = join(import.meta.dirname, '..')
const DURATION = Number(process.env['BENCH_TOKEN_DURATION'] ?? 5)
const ROUNDS = Math.max(1, Number(process.env['BENCH_ROUNDS'] ?? 3))
const CONNECTIONS = Number(process.env['BENCH_CONNECTIONS'] ?? 50)
const FLOWS = Number(process.env['BENCH_CIBA_FLOWS'] ?? 1000)
const ATTACKERS = 64
// Which parts run: a comma-separated subset of `cc,ciba,attack` (default all).
const PARTS = new Set(
  (process.env['BENCH_TOKEN_PARTS'] ?? 'cc,ciba,attack').split(',').map((p) => p.trim()),
)
// Extra node flags for the gateway process, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`.
const GATEWAY_FLAGS = (process.env['BENCH_GATEWAY_FLAGS'] ?? '').split(' ').filter((f) => f !== '')
const ADMIN = 'bench-admin-token-0123456789abcdef'
const DEMO = Buffer.from('my-app-id:my-app-secret').toString('base64')
const WRONG = Buffer.from('my-app-id:not-the-secret').toString('base64')
const FRAUD = 'dpv:FraudPreventionAndDetection'
const CC_BODY = new URLSearchParams({
  grant_type: 'client_credentials',
  scope: `${FRAUD} device-roaming-status:read`,
}).toString()
const children: ChildProcess[] = []

/** oidc-provider with nothing of ours: a static client, its memory adapter, ES256 JWT access tokens. */
async function providerFloor(): Promise<void> {
  const { default: Provider } = await import('oidc-provider')
  const { generateKeyPair, exportJWK } = await import('jose')
  const { privateKey } = await generateKeyPair('ES256', { extractable: true })
  const jwk = { ...(await exportJWK(privateKey)), alg: 'ES256', use: 'sig', kid: 'k1' }
  const issuer = 'http://127.0.0.1'
  const provider = new Provider(issuer, {
    jwks: { keys: [jwk] },
    routes: { token: '/oauth2/token' },
    clients: [
      {
        client_id: 'my-app-id',
        client_secret: 'my-app-secret',
        grant_types: ['client_credentials'],
        response_types: [],
        redirect_uris: [],
        id_token_signed_response_alg: 'ES256',
      },
    ],
    scopes: [FRAUD, 'device-roaming-status:read'],
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: async () => issuer,
        useGrantedResource: async () => true,
        getResourceServerInfo: async () => ({
          scope: `${FRAUD} device-roaming-status:read`,
          audience: issuer,
          accessTokenTTL: 3600,
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg: 'ES256' } },
        }),
      },
    },
  })
  const { createServer } = await import('node:http')
  const callback = provider.callback()
  const server = createServer((req, res) => void callback(req, res))
  server.listen(0, '127.0.0.1', () => {
    const address = server.address()
    const port = typeof address === 'object' && address !== null ? address.port : 0
    process.send?.({ url: `http://127.0.0.1:${port}` })
  })
}

/** `npm start`'s command line, on a free port, with its own store; resolves with its URL. */
function startGateway(): Promise<{ url: string; pid: number }> {
  const store =
    process.env['DATABASE_URL'] === undefined
      ? { DATA_DIR: mkdtempSync(join(tmpdir(), 'ds-bench-tokens-')) }
      : { DATABASE_URL: process.env['DATABASE_URL'] }
  const child = spawn(
    process.execPath,
    [
      ...GATEWAY_FLAGS,
      '--conditions=source',
      '--import',
      'tsx',
      'packages/cli/src/main.ts',
      'start',
    ],
    {
      cwd: ROOT,
      env: {
        ...process.env,
        ...store,
        PORT: '0',
        ADMIN_TOKEN: ADMIN,
        // Raised for the bench, as the roaming bench raises the API limit: one app asks for
        // thousands of tokens a second. The failure limits stay at their defaults.
        OAUTH_RATE_LIMIT_PER_SECOND: '10000000',
        RATE_LIMIT_PER_SECOND: '10000000',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  )
  children.push(child)
  let out = ''
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`gateway did not start: ${out}`)), 60_000)
    child.stdout?.on('data', (chunk: Buffer) => {
      if (out.length < 100_000) out += chunk.toString()
      const match = /listening on (http:\/\/\S+)/.exec(out)
      if (match?.[1] !== undefined) {
        clearTimeout(timer)
        out = 'started'
        resolve({ url: match[1], pid: child.pid ?? 0 })
      }
    })
    child.stderr?.resume()
    child.once('exit', (code) => reject(new Error(`gateway exited ${code}: ${out}`)))
  })
}

function startFloor(): Promise<{ url: string }> {
  const child = spawn(
    process.execPath,
    ['--conditions=source', '--import', 'tsx', join('bench', 'tokens.ts'), 'provider-floor'],
    { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit', 'ipc'] },
  )
  children.push(child)
  return new Promise((resolve, reject) => {
    child.once('message', (info) => resolve(info as { url: string }))
    child.once('exit', (code) => reject(new Error(`provider floor exited ${code}`)))
  })
}

function stopAll(): void {
  for (const child of children) child.kill('SIGKILL')
}

/** Stops the gateway so that it can write what its flags ask for (a `--cpu-prof` profile). */
function stopGateway(pid: number): Promise<void> {
  const child = children.find((c) => c.pid === pid)
  if (child === undefined || child.exitCode !== null) return Promise.resolve()
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      resolve()
    }, 10_000)
    child.once('exit', () => {
      clearTimeout(timer)
      resolve()
    })
    child.kill('SIGINT')
  })
}

/** A form POST on a keep-alive agent; resolves with status and parsed body. */
function post(
  agent: Agent,
  url: string,
  path: string,
  body: string,
  basic: string,
): Promise<{ status: number; body: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request(
      url + path,
      {
        method: 'POST',
        agent,
        headers: {
          authorization: `Basic ${basic}`,
          'content-type': 'application/x-www-form-urlencoded',
          'content-length': Buffer.byteLength(body),
        },
      },
      (res) => {
        let text = ''
        res.setEncoding('utf8')
        res.on('data', (chunk: string) => (text += chunk))
        res.on('end', () => {
          let parsed: Record<string, unknown> = {}
          try {
            parsed = JSON.parse(text) as Record<string, unknown>
          } catch {
            // not JSON: kept empty
          }
          resolve({ status: res.statusCode ?? 0, body: parsed })
        })
      },
    )
    req.on('error', reject)
    req.end(body)
  })
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0
const percentile = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((xs.length * p) / 100))] ?? 0

/** Client-credentials tokens/s (autocannon, CONNECTIONS connections). */
async function tokensPerSecond(url: string, seconds: number) {
  const result = await autocannon({
    url: url + '/oauth2/token',
    method: 'POST',
    connections: CONNECTIONS,
    duration: seconds,
    headers: {
      authorization: `Basic ${DEMO}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: CC_BODY,
  })
  return {
    perSecond: Math.round(result.requests.average),
    p99: result.latency.p99,
    non2xx: result.non2xx,
  }
}

/**
 * FLOWS CIBA flows at once, each started again when it completes. The first wave of FLOWS
 * requests arrives at once, so counting starts one interval after the first flow completed (at
 * most `maxWarmUp` seconds in) and lasts `seconds`.
 */
async function cibaFlows(url: string, pid: number, maxWarmUp: number, seconds: number) {
  const agent = new Agent({ keepAlive: true, maxSockets: 256 })
  const scope = new URLSearchParams({
    scope: `openid ${FRAUD} device-roaming-status:read`,
    login_hint: 'tel:+34600000002',
  }).toString()
  let from = Date.now() + maxWarmUp * 1000
  let end = from + seconds * 1000
  let warm = false
  let completed = 0
  let refused = 0
  // Polls answered authorization_pending or slow_down within the counted window: a flow whose
  // decision is taken at once should complete on its first poll.
  let pending = 0
  let slowDown = 0
  let cpuFrom = NaN
  let cpuTo = NaN
  const durations: number[] = []
  const intervals = new Set<number>()
  const flow = async () => {
    while (Date.now() < end) {
      const began = Date.now()
      const started = await post(agent, url, '/oauth2/bc-authorize', scope, DEMO)
      if (started.status !== 200) {
        refused++
        continue
      }
      let interval = Number(started.body['interval'])
      intervals.add(interval)
      const id = String(started.body['auth_req_id'])
      for (;;) {
        await sleep(interval * 1000)
        const polled = await post(
          agent,
          url,
          '/oauth2/token',
          new URLSearchParams({
            grant_type: 'urn:openid:params:grant-type:ciba',
            auth_req_id: id,
          }).toString(),
          DEMO,
        )
        const at = Date.now()
        if (Number.isNaN(cpuFrom) && at >= from) cpuFrom = cpuSeconds(pid)
        if (Number.isNaN(cpuTo) && at > end) cpuTo = cpuSeconds(pid)
        if (polled.status === 200) {
          if (!warm) {
            warm = true
            from = Math.min(from, at + interval * 1000)
            end = from + seconds * 1000
          }
          if (at >= from && at <= end) {
            completed++
            durations.push(at - began)
          }
          break
        }
        const error = polled.body['error']
        const counted = at >= from && at <= end
        if (error === 'authorization_pending' && counted) pending++
        if (error === 'slow_down') {
          // CIBA §11: the client waits 5 s longer from now on.
          if (counted) slowDown++
          interval += 5
        }
        if (error !== 'authorization_pending' && error !== 'slow_down') {
          refused++
          break
        }
      }
    }
  }
  await Promise.all(Array.from({ length: FLOWS }, flow))
  if (Number.isNaN(cpuTo)) cpuTo = cpuSeconds(pid)
  agent.destroy()
  return {
    // Completions within the counted window (after the warm-up): the steady state.
    perSecond: Math.round(completed / seconds),
    // The gateway's CPU time (user + system) over the counted window, per completed flow.
    cpuPerFlow: Math.round(((cpuTo - cpuFrom) * 1e6) / Math.max(1, completed)),
    pending,
    slowDown,
    p50: median(durations),
    p99: percentile(durations, 99),
    refused,
    intervals: [...intervals],
  }
}

/**
 * p99 of a valid token request, one at a time from 127.0.0.1, with `attackers` connections from
 * 127.0.0.2 sending wrong secrets for the same app meanwhile (0: no attack).
 */
async function validUnderAttack(url: string, seconds: number, attackers: number) {
  const end = Date.now() + seconds * 1000
  const attackAgent = new Agent({
    keepAlive: true,
    maxSockets: attackers,
    localAddress: '127.0.0.2',
  })
  const statuses = new Map<number, number>()
  const attack = async () => {
    while (Date.now() < end) {
      const res = await post(attackAgent, url, '/oauth2/token', CC_BODY, WRONG)
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1)
    }
  }
  const agent = new Agent({ keepAlive: true, maxSockets: 1 })
  const latencies: number[] = []
  let failed = 0
  const valid = async () => {
    while (Date.now() < end) {
      const began = process.hrtime.bigint()
      const res = await post(agent, url, '/oauth2/token', CC_BODY, DEMO)
      latencies.push(Number(process.hrtime.bigint() - began) / 1e6)
      if (res.status !== 200) failed++
    }
  }
  await Promise.all([valid(), ...Array.from({ length: attackers }, attack)])
  agent.destroy()
  attackAgent.destroy()
  return {
    p50: Math.round(percentile(latencies, 50) * 10) / 10,
    p99: Math.round(percentile(latencies, 99) * 10) / 10,
    validRequests: latencies.length,
    failed,
    attackAnswers: Object.fromEntries(statuses),
  }
}

async function rounds<T>(
  label: string,
  sides: Record<'a' | 'b', () => Promise<T>>,
  key: (t: T) => number,
): Promise<{ a: T; b: T }> {
  const results: { a: T; b: T }[] = []
  for (let round = 1; round <= ROUNDS; round++) {
    const order = round % 2 === 1 ? (['a', 'b'] as const) : (['b', 'a'] as const)
    const r: Partial<Record<'a' | 'b', T>> = {}
    for (const side of order) r[side] = await sides[side]()
    results.push(r as { a: T; b: T })
    console.log(`${label} round ${round}/${ROUNDS}: ${JSON.stringify(r)}`)
  }
  const m = median(results.map((r) => key(r.a)))
  return results.find((r) => key(r.a) === m) ?? (results[0] as { a: T; b: T })
}

async function main(): Promise<void> {
  setTimeout(() => {
    console.error('bench tokens: did not finish within 10 minutes; stopping')
    stopAll()
    process.exit(1)
  }, 10 * 60_000).unref()
  for (const signal of ['SIGINT', 'SIGTERM'] as const)
    process.once(signal, () => {
      stopAll()
      process.exit(130)
    })
  try {
    const gateway = await startGateway()
    const floor = PARTS.has('cc') ? await startFloor() : undefined
    const agent = new Agent({ keepAlive: true })
    for (const url of [gateway.url, ...(floor === undefined ? [] : [floor.url])]) {
      const check = await post(agent, url, '/oauth2/token', CC_BODY, DEMO)
      if (check.status !== 200)
        throw new Error(`${url} answered ${check.status} ${JSON.stringify(check.body)}`)
    }
    agent.destroy()
    console.log(
      `tokens: ${DURATION} s per measurement, ${ROUNDS} alternating rounds, median reported; store ${process.env['DATABASE_URL'] === undefined ? 'SQLite' : 'PostgreSQL'}; parts ${[...PARTS].join(',')}`,
    )
    const lines: string[] = []
    if (floor !== undefined) {
      await tokensPerSecond(gateway.url, 2)
      await tokensPerSecond(floor.url, 2)
      const cc = await rounds(
        'client credentials',
        {
          a: () => tokensPerSecond(gateway.url, DURATION),
          b: () => tokensPerSecond(floor.url, DURATION),
        },
        (t) => t.perSecond,
      )
      lines.push(
        `client-credentials tokens/s: gateway ${cc.a.perSecond} (p99 ${cc.a.p99} ms, non-2xx ${cc.a.non2xx}); oidc-provider alone ${cc.b.perSecond} (p99 ${cc.b.p99} ms); ratio ${(cc.a.perSecond / cc.b.perSecond).toFixed(2)}; target ≥ 3000: ${cc.a.perSecond >= 3000 ? 'PASS' : 'BELOW'}`,
      )
    }
    if (PARTS.has('ciba')) {
      const ciba = await cibaFlows(gateway.url, gateway.pid, 20, Math.max(DURATION, 5))
      const ceiling = Math.round(FLOWS / Math.max(1, ...ciba.intervals))
      lines.push(
        `CIBA completed flows/s at ${FLOWS} concurrent flows (interval ${ciba.intervals.join(',')} s): ${ciba.perSecond} (flow p50 ${ciba.p50} ms, p99 ${ciba.p99} ms, refused ${ciba.refused}; ${ciba.pending} polls pending, ${ciba.slowDown} slow_down; gateway CPU ${ciba.cpuPerFlow} µs per flow); ceiling set by the interval ${ceiling}/s; target ≥ 500: ${ciba.perSecond >= 500 ? 'PASS' : 'BELOW'}`,
      )
    }
    if (PARTS.has('attack')) {
      const attack = await rounds(
        'valid token under attack',
        {
          a: () => validUnderAttack(gateway.url, DURATION, ATTACKERS),
          b: () => validUnderAttack(gateway.url, DURATION, 0),
        },
        (t) => t.p99,
      )
      lines.push(
        `valid token request with ${ATTACKERS} connections sending wrong secrets: p50 ${attack.a.p50} ms, p99 ${attack.a.p99} ms (${attack.a.validRequests} requests, ${attack.a.failed} failed; attack answers ${JSON.stringify(attack.a.attackAnswers)}); without the attack p99 ${attack.b.p99} ms; target p99 < 50 ms: ${attack.a.p99 < 50 ? 'PASS' : 'BELOW'}`,
      )
    }
    console.log('')
    for (const line of lines) console.log(line)
    if (GATEWAY_FLAGS.length > 0) await stopGateway(gateway.pid)
  } finally {
    stopAll()
  }
}

// Last, once every declaration above is initialised.
if (process.argv[2] === 'provider-floor') await providerFloor()
else await main()
