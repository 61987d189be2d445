import type { Command } from '../command.js'
import { CliError, usageError } from '../errors.js'

/** What `start` uses of @device-status/gateway; test/cli.test.ts checks it against the real types. */
export interface GatewayModule {
  startGateway: (options: {
    env?: Readonly<Record<string, string | undefined>>
    banner?: (text: string) => void
  }) => Promise<StartedGateway>
  /** `device-status nef-sim`: the simulator as a stand-alone NEF. */
  startNefSim: (options: {
    env?: Readonly<Record<string, string | undefined>>
    banner?: (text: string) => void
  }) => Promise<StartedGateway>
}

export interface StartedGateway {
  url: string
  app: { log: { info(object: object, message: string): void } }
  close(): Promise<void>
}

/**
 * Loaded on demand, so that the admin commands never load the server (fastify, oidc-provider,
 * SQLite). The specifier is a variable so that type-checking the CLI does not depend on the
 * gateway's `dist/` having been built: its exports map gives types only from `dist`.
 */
const GATEWAY_MODULE: string = '@device-status/gateway'

export async function loadGateway(): Promise<GatewayModule> {
  try {
    return (await import(GATEWAY_MODULE)) as GatewayModule
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'ERR_MODULE_NOT_FOUND' && String(error).includes(GATEWAY_MODULE)) {
      throw new CliError('GATEWAY_NOT_BUILT', `cannot load ${GATEWAY_MODULE}: it is not built`, {
        cause: error,
        hint: 'Build it with "npx tsc -b packages/cli", or run from the sources with "npm start".',
      })
    }
    throw error
  }
}

/** `--port`, `--host`, `--data-dir` as the environment variables they override. */
export function environmentOfFlags(
  env: Readonly<Record<string, string | undefined>>,
  flags: { port?: string | undefined; host?: string | undefined; dataDir?: string | undefined },
  command = 'start',
): Record<string, string | undefined> {
  const result = { ...env }
  if (flags.port !== undefined) {
    const port = Number(flags.port)
    if (!/^\d+$/.test(flags.port) || port > 65535) {
      throw usageError(`--port takes a port from 0 to 65535, not "${flags.port}"`, command)
    }
    result['PORT'] = String(port)
  }
  if (flags.host !== undefined) result['HOST'] = flags.host
  if (flags.dataDir !== undefined) result['DATA_DIR'] = flags.dataDir
  return result
}

export const start: Command = {
  name: 'start',
  args: [],
  summary: 'Run the gateway (sandbox by default) until SIGTERM or Ctrl-C',
  description:
    'Configured from the environment: PORT, HOST, DATA_DIR, DATABASE_URL, DS_MODE, ADMIN_TOKEN, ISSUER, ACCESS_TOKEN_TTL, CIBA_INTERVAL, LOG_LEVEL, … (see the README configuration table); the flags override their variables. Prints where the docs, the admin token and the demo credentials are.',
  options: {
    port: {
      type: 'string',
      value: 'PORT',
      description: 'port to listen on, 0 picks a free one (env PORT, default 8080)',
    },
    host: {
      type: 'string',
      value: 'HOST',
      description: 'address to listen on (env HOST, default 127.0.0.1)',
    },
    'data-dir': {
      type: 'string',
      value: 'DIR',
      description:
        'folder of the embedded store and the sandbox admin token (env DATA_DIR, default ./.data)',
    },
  },
  admin: false,
  examples: [
    'device-status start',
    'device-status start --port 9090 --data-dir /tmp/ds',
    'DS_MODE=production ADMIN_TOKEN=… DATABASE_URL=postgres://… device-status start',
  ],
  async run(context) {
    const env = environmentOfFlags(context.io.env, {
      port: context.flags.string('port'),
      host: context.flags.string('host'),
      dataDir: context.flags.string('data-dir'),
    })
    const { startGateway } = await loadGateway()
    let gateway: StartedGateway
    try {
      gateway = await startGateway({ env, banner: (text) => context.io.stdout(text + '\n') })
    } catch (error) {
      throw startFailure(error, env)
    }
    return runUntilSignal(gateway, context.io)
  },
}

/** Keeps a started server running until SIGTERM or SIGINT, then closes it; resolves the exit status. */
export function runUntilSignal(
  gateway: StartedGateway,
  io: { stderr: (text: string) => void },
): Promise<number> {
  return new Promise<number>((resolve) => {
    let stopping = false
    const stop = (signal: NodeJS.Signals) => {
      if (stopping) {
        // A second Ctrl-C: do not wait for the graceful stop.
        process.exit(1)
      }
      stopping = true
      gateway.app.log.info({ signal }, 'shutting down')
      gateway.close().then(
        () => resolve(0),
        (error: unknown) => {
          io.stderr(`device-status: shutdown failed: ${String(error)}\n`)
          resolve(1)
        },
      )
    }
    process.on('SIGTERM', stop)
    process.on('SIGINT', stop)
  })
}

export function startFailure(
  error: unknown,
  env: Readonly<Record<string, string | undefined>>,
  defaults: { port: string; what: string } = { port: '8080', what: 'a gateway' },
): unknown {
  if (!(error instanceof Error)) return error
  if (error.name === 'ConfigError') {
    return new CliError('INVALID_CONFIGURATION', error.message, { cause: error })
  }
  const code = (error as NodeJS.ErrnoException).code
  const where = `${env['HOST'] ?? '127.0.0.1'}:${env['PORT'] ?? defaults.port}`
  if (code === 'EADDRINUSE') {
    return new CliError(
      'ADDRESS_IN_USE',
      `${where} is already in use (is ${defaults.what} running?)`,
      {
        cause: error,
        hint: 'Pick another port with --port or PORT (0 picks a free one).',
      },
    )
  }
  if (code === 'EACCES' || code === 'EADDRNOTAVAIL') {
    return new CliError(code, `cannot listen on ${where}: ${error.message}`, { cause: error })
  }
  return error
}
