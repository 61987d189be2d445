/**
 * Issue 14: the network guard every test process loads (scripts/net-guard.mjs, through
 * NODE_OPTIONS from scripts/test.mjs). Checked in child processes of their own, each with its
 * own record file, so that the refusals proven here do not count against the run.
 */
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { pathToFileURL } from 'node:url'
import { promisify } from 'node:util'

const run = promisify(execFile)
const GUARD = pathToFileURL(join(import.meta.dirname, 'net-guard.mjs')).href

describe('net-guard: tests stay on this machine (issue 14)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'net-guard-test-'))
  let port = 0
  const server = createServer((_request, response) => response.end('ok'))
  before(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    port = (server.address() as { port: number }).port
  })
  after(() => {
    server.close()
    rmSync(dir, { recursive: true, force: true })
  })

  /** Runs `code` in a guarded child; returns what it printed and what the guard recorded. */
  async function guarded(name: string, code: string, env: Record<string, string> = {}) {
    const log = join(dir, `${name}.jsonl`)
    writeFileSync(log, '')
    const { stdout } = await run(
      process.execPath,
      ['--import', GUARD, '--input-type=module', '-e', code],
      {
        env: { ...process.env, NODE_OPTIONS: '', NET_GUARD_LOG: log, NET_GUARD_ALLOW: '', ...env },
      },
    )
    const records = readFileSync(log, 'utf8')
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as { host: string; address: string; port: number })
    return { out: stdout.trim().split('\n'), records }
  }

  /** A snippet that tries `what` and prints `ok` or the error code. */
  const attempt = (what: string) =>
    `try { ${what}; console.log('ok') } catch (e) { console.log(e.code ?? e.cause?.code ?? e.message) }`

  it('refuses and records connections outside loopback, by address and by name, whatever the client', async () => {
    const { out, records } = await guarded(
      'outside',
      [
        `import net from 'node:net'`,
        `import https from 'node:https'`,
        `import dns from 'node:dns'`,
        attempt(`await fetch('http://192.0.2.1:80/')`),
        attempt(`await fetch('https://[2001:db8::1]/')`),
        attempt(
          `await new Promise((ok, ko) => net.connect(443, '198.51.100.7').on('connect', ok).on('error', ko))`,
        ),
        attempt(
          `await new Promise((ok, ko) => https.get({ host: 'sink.example', lookup: (h, o, cb) => o.all ? cb(null, [{ address: '203.0.113.9', family: 4 }]) : cb(null, '203.0.113.9', 4) }, ok).on('error', ko))`,
        ),
      ].join('\n'),
    )
    assert.deepEqual(out, ['ENETGUARD', 'ENETGUARD', 'ENETGUARD', 'ENETGUARD'])
    assert.deepEqual(
      records.map((r) => `${r.host} ${r.address} ${r.port}`),
      [
        '192.0.2.1 192.0.2.1 80',
        '2001:db8::1 2001:db8::1 443',
        '198.51.100.7 198.51.100.7 443',
        'sink.example 203.0.113.9 443',
      ],
    )
  })

  it('lets loopback through, by address and by name, and the networks NET_GUARD_ALLOW names', async () => {
    const { out, records } = await guarded(
      'loopback',
      [
        attempt(
          `if ((await fetch('http://127.0.0.1:${port}/')).status !== 200) throw new Error('no')`,
        ),
        attempt(
          `if ((await fetch('http://localhost:${port}/')).status !== 200) throw new Error('no')`,
        ),
        // 0.0.0.0 is this host on Linux, and no loopback address: allowed only when listed.
        attempt(
          `if ((await fetch('http://0.0.0.0:${port}/')).status !== 200) throw new Error('no')`,
        ),
      ].join('\n'),
      { NET_GUARD_ALLOW: '0.0.0.0/32' },
    )
    assert.deepEqual(out, ['ok', 'ok', 'ok'])
    assert.deepEqual(records, [])
    const unlisted = await guarded('unlisted', attempt(`await fetch('http://0.0.0.0:${port}/')`))
    assert.deepEqual(unlisted.out, ['ENETGUARD'])
    assert.equal(unlisted.records.length, 1)
  })

  it('this process runs under the guard too (scripts/test.mjs sets NODE_OPTIONS)', () => {
    assert.match(process.env['NODE_OPTIONS'] ?? '', /net-guard\.mjs/)
    assert.ok(process.env['NET_GUARD_LOG'])
  })
})

/** This environment without what makes a test run report to this one. */
function ownRun(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NODE_OPTIONS: '' }
  delete env['NODE_TEST_CONTEXT']
  return env
}

describe('scripts/test.mjs with the guard (issue 14)', () => {
  it('fails a run in which a test tried to leave the machine, even if the test itself passed', async () => {
    const root = join(import.meta.dirname, '..')
    const outcome = await run(
      process.execPath,
      ['scripts/test.mjs', 'scripts/fixtures/off-machine.fixture.ts'],
      // A run of its own, not a subtest of this one (NODE_TEST_CONTEXT would make it report here).
      { cwd: root, env: ownRun() },
    ).then(
      (r) => ({ code: 0, stderr: r.stderr, stdout: r.stdout }),
      (e: { code: number; stderr: string; stdout: string }) => e,
    )
    assert.equal(outcome.code, 1)
    assert.match(outcome.stdout, /pass 1/)
    assert.match(outcome.stderr, /net-guard: 1 connection\(s\) outside loopback/)
    assert.match(outcome.stderr, /192\.0\.2\.10/)
  })
})
