// Issue 15: the sandbox log is for a person at a terminal (pino-pretty), JSON lines elsewhere; the
// simulator's network failure is one warning line, not an error with a stack trace.
import assert from 'node:assert/strict'
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'node:test'

const ROOT = join(import.meta.dirname, '..', '..', '..')
const START = `${process.execPath} --conditions=source --import tsx packages/cli/src/main.ts start --port 0`

function cleanEnv(extra: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {}
  for (const [name, value] of Object.entries(process.env)) {
    if (value !== undefined && !['ADMIN_TOKEN', 'DATABASE_URL', 'PORT', 'HOST'].includes(name))
      env[name] = value
  }
  return { ...env, ...extra }
}

/** Starts the sandbox, on a terminal (through script(1), which gives it a pty) or on a pipe. */
async function startSandbox(terminal: boolean, dataDir: string) {
  const env = cleanEnv({ DATA_DIR: dataDir, LOG_LEVEL: 'info' })
  const child: ChildProcess = terminal
    ? spawn('script', ['-qfec', START, '/dev/null'], { cwd: ROOT, env, detached: true })
    : spawn('sh', ['-c', `exec ${START}`], { cwd: ROOT, env, detached: true })
  let output = ''
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()))
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()))
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout?.on('data', () => {
      const match = /listening on (http:\/\/[\d.:]+)/.exec(output)
      if (match?.[1] !== undefined) resolve(match[1])
    })
    child.once('exit', (code) => reject(new Error(`start exited ${code}: ${output}`)))
  })
  const stop = async () => {
    const exited = new Promise((resolve) => child.once('exit', resolve))
    // On the terminal, Ctrl-C as a person types it: the pty sends SIGINT to the gateway.
    if (terminal) child.stdin?.write('\x03')
    else if (child.pid !== undefined) process.kill(-child.pid, 'SIGTERM')
    await exited
  }
  return { url, output: () => output, stop }
}

/** A roaming request for the demo device whose network fails (503), two-legged. */
async function askFailingDevice(url: string): Promise<number> {
  const token = await fetch(`${url}/oauth2/token`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${btoa('my-app-id:my-app-secret')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      scope: 'dpv:FraudPreventionAndDetection device-roaming-status:read',
    }),
  }).then((r) => r.json() as Promise<{ access_token: string }>)
  const response = await fetch(`${url}/device-roaming-status/v1/retrieve`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token.access_token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ device: { phoneNumber: '+34600000010' } }),
  })
  return response.status
}

const MESSAGE = 'The network could not be reached for this device. Try again later.'

describe('the sandbox log', () => {
  it(
    'on a terminal: readable lines after the banner; the network failure is one WARN line',
    {
      skip: existsSync('/usr/bin/script') ? false : 'script(1) is missing (util-linux)',
    },
    async (t) => {
      const dataDir = mkdtempSync(join(tmpdir(), 'ds-log-tty-'))
      t.after(() => rmSync(dataDir, { recursive: true, force: true }))
      const sandbox = await startSandbox(true, dataDir)
      try {
        assert.equal(await askFailingDevice(sandbox.url), 503)
        await new Promise((r) => setTimeout(r, 500))
      } finally {
        await sandbox.stop()
      }
      const plain = sandbox.output().replace(/\x1b\[[0-9;]*m/g, '')
      const afterBanner = plain.slice(plain.indexOf('+346661113334'))
      const lines = afterBanner.split(/\r?\n/).filter((l) => l.trim() !== '')
      const warnings = lines.filter((l) => l.includes(MESSAGE))
      assert.equal(warnings.length, 1, afterBanner)
      assert.match(warnings[0] ?? '', /^\[\d{2}:\d{2}:\d{2}\.\d{3}\] WARN: .*UNAVAILABLE/)
      assert.ok(
        lines.some((l) => /INFO: shutting down/.test(l)),
        afterBanner,
      )
      assert.doesNotMatch(afterBanner, /\{"level"/, 'no JSON on a terminal')
      assert.doesNotMatch(afterBanner, /^\s+at /m, 'no stack trace')
      assert.doesNotMatch(afterBanner, /ERROR/)
    },
  )

  it('on a pipe: JSON lines; the network failure is one warn (40) line without a stack', async (t) => {
    const dataDir = mkdtempSync(join(tmpdir(), 'ds-log-pipe-'))
    t.after(() => rmSync(dataDir, { recursive: true, force: true }))
    const sandbox = await startSandbox(false, dataDir)
    try {
      assert.equal(await askFailingDevice(sandbox.url), 503)
    } finally {
      await sandbox.stop()
    }
    const records = sandbox
      .output()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>)
    const failures = records.filter((r) => r['msg'] === MESSAGE)
    assert.equal(failures.length, 1, sandbox.output())
    assert.equal(failures[0]?.['level'], 40)
    assert.equal(failures[0]?.['code'], 'UNAVAILABLE')
    assert.equal(failures[0]?.['err'], undefined)
    assert.ok(
      records.every((r) => r['level'] !== 50),
      'no error line',
    )
  })
})
