import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { parse, stringify } from 'yaml'
import { MONITORING_EVENT_BASE } from '../../src/network/monitoring-event.js'

/** The 3GPP file, from ../shared beside the repository (never copied into the packages). */
export const MONITORING_EVENT_SPEC = resolve(
  import.meta.dirname,
  '..',
  '..',
  '..',
  '..',
  '..',
  'shared',
  'specs',
  '3gpp',
  'TS29122_MonitoringEvent.bundled.yaml',
)
const PRISM = resolve(import.meta.dirname, '..', '..', '..', '..', 'node_modules', '.bin', 'prism')

/**
 * A copy of the 3GPP file whose paths carry the API's base path: Prism matches request paths
 * without the server's `{apiRoot}/3gpp-monitoring-event/v1`, so the NEF adapter's URLs would not
 * match the file's own paths. Written to a temporary folder at test time.
 */
export function prefixedSpec(dir: string): string {
  const doc = parse(readFileSync(MONITORING_EVENT_SPEC, 'utf8')) as {
    paths: Record<string, unknown>
  }
  doc.paths = Object.fromEntries(
    Object.entries(doc.paths).map(([path, item]) => [MONITORING_EVENT_BASE + path, item]),
  )
  const file = join(dir, 'monitoring-event.yaml')
  writeFileSync(file, stringify(doc))
  return file
}

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

/** Stoplight Prism as a mock NEF over the 3GPP file (`prism mock`), on 127.0.0.1. */
export async function startPrismMock(args: readonly string[] = []): Promise<RunningPrism> {
  const dir = mkdtempSync(join(tmpdir(), 'ds-prism-'))
  const spec = prefixedSpec(dir)
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
      rmSync(dir, { recursive: true, force: true })
    },
  }
}
