// Issue 15: `kill -TERM` of the `npm start` process ended npm and left the gateway holding its port.
// These tests start the README's command itself (npm → sh → node) in a process group of its own,
// signal npm only, as `kill` does, and check that every process of the group ends and the port
// is free again.
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'node:test'

const ROOT = join(import.meta.dirname, '..', '..', '..')

/** Whether any process of the group is still alive. */
function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0)
    return true
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false
    throw error
  }
}

async function waitFor(condition: () => boolean | Promise<boolean>, ms: number): Promise<boolean> {
  const until = Date.now() + ms
  while (Date.now() < until) {
    if (await condition()) return true
    await new Promise((r) => setTimeout(r, 100))
  }
  return condition()
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1')
    socket.once('connect', () => {
      socket.destroy()
      resolve(true)
    })
    socket.once('error', () => resolve(false))
  })
}

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  describe(`npm start, then ${signal} to the npm process`, () => {
    it('stops every process it started and frees the port', async (t) => {
      const dataDir = mkdtempSync(join(tmpdir(), 'ds-npm-start-'))
      const env: Record<string, string> = {}
      for (const [name, value] of Object.entries(process.env)) {
        if (value !== undefined && !['ADMIN_TOKEN', 'DATABASE_URL', 'HOST'].includes(name))
          env[name] = value
      }
      const npm = spawn('npm', ['start'], {
        cwd: ROOT,
        env: { ...env, PORT: '0', DATA_DIR: dataDir, LOG_LEVEL: 'warn' },
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: true,
      })
      const pgid = npm.pid
      assert.ok(pgid !== undefined)
      t.after(() => {
        if (groupAlive(pgid)) process.kill(-pgid, 'SIGKILL')
        rmSync(dataDir, { recursive: true, force: true })
      })
      let output = ''
      npm.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()))
      const url = await new Promise<string>((resolve, reject) => {
        npm.stdout.on('data', (chunk: Buffer) => {
          output += chunk.toString()
          const match = /listening on (http:\/\/\S+)/.exec(output)
          if (match?.[1] !== undefined) resolve(match[1])
        })
        npm.once('exit', (code) => reject(new Error(`npm start exited ${code}: ${output}`)))
      })
      const port = Number(new URL(url).port)
      assert.equal((await fetch(`${url}/health`)).status, 200)

      let npmExited = false
      npm.once('exit', () => (npmExited = true))
      process.kill(pgid, signal)
      assert.ok(await waitFor(() => npmExited, 10_000), `npm still running after ${signal}`)
      assert.ok(await waitFor(() => !groupAlive(pgid), 10_000), `still running after ${signal}`)
      assert.equal(await portOpen(port), false, `port ${port} still open`)
    })
  })
}
