import assert from 'node:assert/strict'
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { Receiver } from '../helpers/receiver.js'

const ROOT = join(import.meta.dirname, '..', '..', '..', '..')
const ADMIN = 'crash-test-admin-token-0123456789'
const API = 'device-roaming-status-subscriptions'
const PREFIX = `org.camaraproject.${API}.v0.`

function startProcess(dataDir: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(
    process.execPath,
    ['--conditions=source', '--import', 'tsx', 'packages/gateway/src/main.ts'],
    {
      cwd: ROOT,
      env: {
        ...process.env,
        PORT: '0',
        DATA_DIR: dataDir,
        ADMIN_TOKEN: ADMIN,
        LOG_LEVEL: 'warn',
        NOTIFY_BACKOFF_MS: '50',
        NOTIFY_TIMEOUT_MS: '500',
        RATE_LIMIT_PER_SECOND: '100000',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  )
  return new Promise((resolve, reject) => {
    let out = ''
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString()
      const match = /listening on (http:\/\/\S+)/.exec(out)
      if (match?.[1] !== undefined) resolve({ child, url: match[1] })
    })
    child.stderr?.on('data', (chunk: Buffer) => (out += chunk.toString()))
    child.once('exit', (code) => reject(new Error(`gateway exited ${code}: ${out}`)))
  })
}

async function call(url: string, method: string, path: string, body?: unknown, token = ADMIN) {
  const response = await fetch(url + path, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  })
  const text = await response.text()
  return { status: response.status, body: text === '' ? undefined : JSON.parse(text) }
}

describe('crash test: kill -9 with deliveries in flight', () => {
  it('every event is delivered at least once after a restart, none lost', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'ds-crash-'))
    const sink = await new Receiver().start()
    // A slow sink keeps deliveries in flight when the process dies.
    sink.respond = () => new Promise((r) => setTimeout(() => r(204), 40))
    let first: { child: ChildProcess; url: string } | undefined
    let second: { child: ChildProcess; url: string } | undefined
    try {
      first = await startProcess(dataDir)
      const token = (
        await call(first.url, 'POST', '/sandbox/v1/access-tokens', {
          scope: `${API}:${PREFIX}roaming-status:create`,
        })
      ).body.access_token
      await call(first.url, 'PUT', '/network/v1/devices/+34613000001', {})
      const created = await call(
        first.url,
        'POST',
        `/${API}/v0.8/subscriptions`,
        {
          protocol: 'HTTP',
          sink: sink.url,
          types: [PREFIX + 'roaming-status'],
          config: { subscriptionDetail: { device: { phoneNumber: '+34613000001' } } },
        },
        token,
      )
      assert.equal(created.status, 201, JSON.stringify(created.body))
      const changes = 30
      // The sink gets subscription-started, then one event per change.
      const events = changes + 1
      for (let i = 0; i < changes; i++) {
        await call(first.url, 'PATCH', '/network/v1/devices/+34613000001', {
          roaming: i % 2 === 0 ? { countryCode: 262 } : false,
        })
      }
      await sink.waitFor(3, 5000)
      first.child.kill('SIGKILL')
      await new Promise((r) => first?.child.once('exit', r))
      const beforeRestart = new Set(sink.received.map((e) => e.body.id)).size
      assert.ok(
        beforeRestart < events,
        `the crash came with deliveries outstanding (${beforeRestart}/${events} delivered)`,
      )

      second = await startProcess(dataDir)
      const deadline = Date.now() + 20_000
      while (new Set(sink.received.map((e) => e.body.id)).size < events && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 100))
      }
      const ids = new Set(sink.received.map((e) => e.body.id))
      assert.equal(ids.size, events, 'every event delivered at least once')
      // Order per subscription holds across the crash (duplicates aside).
      const seen = new Set<string>()
      const order = sink.received
        .filter((e) => !seen.has(e.body.id) && seen.add(e.body.id))
        .map((e) =>
          e.body.type === PREFIX + 'subscription-started' ? 'started' : e.body.data.roaming,
        )
      assert.deepEqual(order, [
        'started',
        ...Array.from({ length: changes }, (_, i) => i % 2 === 0),
      ])
    } finally {
      first?.child.kill('SIGKILL')
      second?.child.kill('SIGTERM')
      await sink.stop()
      rmSync(dataDir, { recursive: true, force: true })
    }
  })
})
