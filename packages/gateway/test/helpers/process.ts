import { spawn, type ChildProcess } from 'node:child_process'
import { join } from 'node:path'

export const ROOT = join(import.meta.dirname, '..', '..', '..', '..')

export interface GatewayProcess {
  child: ChildProcess
  url: string
  /** Everything the process printed. */
  output: () => string
  stop(signal?: NodeJS.Signals): Promise<void>
}

/** A gateway as its own process (`packages/gateway/src/main.ts`), on a free port. */
export function startGatewayProcess(env: Record<string, string>): Promise<GatewayProcess> {
  const child = spawn(
    process.execPath,
    ['--conditions=source', '--import', 'tsx', 'packages/gateway/src/main.ts'],
    {
      cwd: ROOT,
      env: { ...process.env, PORT: '0', LOG_LEVEL: 'warn', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  )
  let out = ''
  return new Promise((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString()
      const match = /listening on (http:\/\/\S+)/.exec(out)
      if (match?.[1] !== undefined) {
        resolve({
          child,
          url: match[1],
          output: () => out,
          stop: (signal = 'SIGTERM') =>
            new Promise<void>((done) => {
              if (child.exitCode !== null || child.signalCode !== null) return done()
              child.once('exit', () => done())
              child.kill(signal)
            }),
        })
      }
    })
    child.stderr?.on('data', (chunk: Buffer) => (out += chunk.toString()))
    child.once('exit', (code) => reject(new Error(`gateway exited ${code}: ${out}`)))
  })
}

/** A JSON call with a bearer token; form bodies when `form` is given. */
export async function call(
  url: string,
  method: string,
  path: string,
  options: {
    token?: string
    json?: unknown
    form?: Record<string, string>
    basic?: [string, string]
  } = {},
): Promise<{ status: number; body: any }> {
  const headers: Record<string, string> = {}
  if (options.token !== undefined) headers['authorization'] = `Bearer ${options.token}`
  if (options.basic !== undefined)
    headers['authorization'] = `Basic ${Buffer.from(options.basic.join(':')).toString('base64')}`
  let body: string | undefined
  if (options.json !== undefined) {
    headers['content-type'] = 'application/json'
    body = JSON.stringify(options.json)
  } else if (options.form !== undefined) {
    headers['content-type'] = 'application/x-www-form-urlencoded'
    body = new URLSearchParams(options.form).toString()
  }
  const response = await fetch(url + path, {
    method,
    headers,
    ...(body === undefined ? {} : { body }),
  })
  const text = await response.text()
  return { status: response.status, body: text === '' ? undefined : JSON.parse(text) }
}

export interface NefSimProcess {
  child: ChildProcess
  url: string
  adminToken: string
  output: () => string
  stop(signal?: NodeJS.Signals): Promise<void>
}

/**
 * nef-sim as its own process, as a user runs it (`device-status nef-sim`, the CLI's sources), on
 * `env['PORT']` or a free port; resolves once its banner names its URL and admin token.
 */
export function startNefSimProcess(env: Record<string, string>): Promise<NefSimProcess> {
  const child = spawn(
    process.execPath,
    ['--conditions=source', '--import', 'tsx', 'packages/cli/src/main.ts', 'nef-sim'],
    {
      cwd: ROOT,
      // Only what is given: not the runner's own store or admin token.
      env: {
        ...process.env,
        PORT: '0',
        LOG_LEVEL: 'warn',
        DATABASE_URL: '',
        ADMIN_TOKEN: '',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  )
  let out = ''
  return new Promise((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString()
      const url = /listening on (http:\/\/\S+)/.exec(out)?.[1]
      const adminToken = /Admin token\s+(\S+)/.exec(out)?.[1]
      if (url !== undefined && adminToken !== undefined) {
        resolve({
          child,
          url,
          adminToken,
          output: () => out,
          stop: (signal = 'SIGTERM') =>
            new Promise<void>((done) => {
              if (child.exitCode !== null || child.signalCode !== null) return done()
              child.once('exit', () => done())
              child.kill(signal)
            }),
        })
      }
    })
    child.stderr?.on('data', (chunk: Buffer) => (out += chunk.toString()))
    child.once('exit', (code) => reject(new Error(`nef-sim exited ${code}: ${out}`)))
  })
}
