import { spawn, type ChildProcess } from 'node:child_process'
import { createServer } from 'node:net'
import { resolve } from 'node:path'
import { MONITORING_EVENT_BASE } from '../../src/network/monitoring-event.js'
import { prefixedMonitoringEventFile } from '../helpers/prism.js'

const PRISM = resolve(import.meta.dirname, '..', '..', '..', '..', 'node_modules', '.bin', 'prism')

async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const port = (server.address() as { port: number }).port
  await new Promise<void>((r) => server.close(() => r()))
  return port
}

export interface RunningPrism {
  url: string
  /** Prism's own output (its request log, violations). */
  output(): string
  stop(): Promise<void>
}

/**
 * Stoplight Prism as a mock NEF over the 3GPP file (`prism mock`, the prefixed copy of
 * `helpers/prism.ts`), on 127.0.0.1, without `--errors`: with it, Prism refuses its own static
 * answers (they violate the file's deeper schemas: placeholder strings against patterns), so
 * every answer would be a 500 and the adapter would never see one it did not shape. Requests that
 * violate the file are still refused (400/422).
 */
export async function startPrismMock(args: readonly string[] = []): Promise<RunningPrism> {
  const prefixed = prefixedMonitoringEventFile()
  const spec = prefixed.file
  const port = await freePort()
  const child: ChildProcess = spawn(
    PRISM,
    ['mock', '-h', '127.0.0.1', '-p', String(port), ...args, spec],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  )
  let output = ''
  child.stdout?.on('data', (c: Buffer) => (output += c.toString()))
  child.stderr?.on('data', (c: Buffer) => (output += c.toString()))
  const url = `http://127.0.0.1:${port}`
  const exited = new Promise<void>((r) => child.once('exit', () => r()))
  // Ready when it answers (any status): it loads and dereferences a large file first.
  for (let i = 0; ; i++) {
    if (child.exitCode !== null) throw new Error(`prism exited: ${output}`)
    try {
      await fetch(`${url}${MONITORING_EVENT_BASE}/probe/subscriptions`)
      break
    } catch {
      if (i > 600) throw new Error(`prism did not start: ${output}`)
      await new Promise((r) => setTimeout(r, 100))
    }
  }
  return {
    url,
    output: () => output,
    async stop() {
      child.kill('SIGTERM')
      await exited
      prefixed.remove()
    },
  }
}
