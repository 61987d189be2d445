import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { stringify } from 'yaml'
import { MONITORING_EVENT_BASE } from '../../src/network/monitoring-event.js'
import { ROOT } from './process.js'
import { monitoringEventDocument } from './three-gpp.js'

/** Stoplight Prism (`@stoplight/prism-cli`, a root devDependency) as installed. */
const PRISM = join(ROOT, 'node_modules', '.bin', 'prism')

export interface PrismProcess {
  /** Prism's base URL; requests go to `${url}/3gpp-monitoring-event/v1/…`, the apiRoot is `url`. */
  url: string
  child: ChildProcess
  /** Everything Prism printed. */
  output(): string
  /**
   * The lines where Prism reported a violation of the 3GPP file (an invalid request: 422; an
   * invalid answer of the upstream: 500) or any other error or warning.
   */
  problems(): string[]
  /** Resolves once Prism's log matches `pattern` (its lines come after its answers); rejects after `ms`. */
  logged(pattern: RegExp, ms?: number): Promise<void>
  close(): Promise<void>
}

async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  await new Promise<void>((resolve) => server.close(() => resolve()))
  if (typeof address !== 'object' || address === null) throw new Error('no free port')
  return address.port
}

/**
 * A copy of `../shared/specs/3gpp/TS29122_MonitoringEvent.bundled.yaml` whose paths carry the
 * API's base path: Prism matches request paths without the server's base path
 * (`{apiRoot}/3gpp-monitoring-event/v1`), so the file's `/{scsAsId}/subscriptions` becomes
 * `/3gpp-monitoring-event/v1/{scsAsId}/subscriptions`, and the apiRoot is Prism's own URL.
 * Nothing else of the file changes. Written to a temporary folder, removed by `close()`.
 */
export function prefixedMonitoringEventFile(): { file: string; remove(): void } {
  const document = monitoringEventDocument() as {
    paths: Record<string, unknown>
    servers?: unknown
  }
  const paths: Record<string, unknown> = {}
  for (const [path, item] of Object.entries(document.paths))
    paths[`${MONITORING_EVENT_BASE}${path}`] = item
  const { servers: _servers, ...rest } = document
  const dir = mkdtempSync(join(tmpdir(), 'ds-prism-'))
  const file = join(dir, 'TS29122_MonitoringEvent.prefixed.yaml')
  writeFileSync(file, stringify({ ...rest, paths }))
  return { file, remove: () => rmSync(dir, { recursive: true, force: true }) }
}

/**
 * Starts Prism over the 3GPP Monitoring Event file on 127.0.0.1, with `--errors` (a request or
 * an answer that violates the file is refused: 422 or 500):
 * - `proxy` to `upstream`: a validating proxy in front of a NEF (nef-sim);
 * - `mock`: a mock NEF answering from the file's schemas (`args` may add `--dynamic`).
 */
export async function startPrism(
  options: { mode: 'proxy'; upstream: string; args?: string[] } | { mode: 'mock'; args?: string[] },
): Promise<PrismProcess> {
  const spec = prefixedMonitoringEventFile()
  const port = await freePort()
  const args = [
    options.mode,
    spec.file,
    ...(options.mode === 'proxy' ? [options.upstream] : []),
    '--errors',
    '--host',
    '127.0.0.1',
    '--port',
    String(port),
    ...(options.args ?? []),
  ]
  const child = spawn(PRISM, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  const url = `http://127.0.0.1:${port}`
  await new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      out += chunk.toString()
      if (out.includes('Prism is listening on')) resolve()
    }
    child.stdout?.on('data', onData)
    child.stderr?.on('data', onData)
    child.once('exit', (code) => {
      spec.remove()
      reject(new Error(`prism exited ${code}: ${out}`))
    })
    child.once('error', reject)
  })
  const startedAt = out.length
  const waiters: { pattern: RegExp; resolve: () => void }[] = []
  child.stdout?.on('data', () => {
    for (const w of [...waiters])
      if (w.pattern.test(out.slice(startedAt))) {
        waiters.splice(waiters.indexOf(w), 1)
        w.resolve()
      }
  })
  return {
    url,
    child,
    output: () => out,
    problems: () =>
      out
        .slice(startedAt)
        .split('\n')
        .filter((line) => /(✖|⚠)\s+(error|warning|fatal)|Violation/i.test(line)),
    logged: (pattern, ms = 5000) =>
      new Promise<void>((resolve, reject) => {
        if (pattern.test(out.slice(startedAt))) return resolve()
        const timer = setTimeout(() => reject(new Error(`Prism never logged ${pattern}`)), ms)
        waiters.push({
          pattern,
          resolve: () => {
            clearTimeout(timer)
            resolve()
          },
        })
      }),
    close: () =>
      new Promise<void>((resolve) => {
        const done = () => {
          spec.remove()
          resolve()
        }
        if (child.exitCode !== null || child.signalCode !== null) return done()
        child.once('exit', done)
        child.kill('SIGTERM')
      }),
  }
}
