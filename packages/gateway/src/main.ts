import { ConfigError } from './config.js'
import { startGateway } from './gateway.js'

/** `node main.js`: the gateway from the environment, stopped gracefully on SIGTERM / SIGINT. */
export async function main(): Promise<void> {
  const gateway = await startGateway({ banner: (text) => process.stdout.write(text + '\n') })
  let stopping = false
  const stop = (signal: string) => {
    if (stopping) return
    stopping = true
    gateway.app.log.info({ signal }, 'shutting down')
    gateway.close().then(
      () => process.exit(0),
      (error: unknown) => {
        gateway.app.log.error({ err: error }, 'shutdown failed')
        process.exit(1)
      },
    )
  }
  process.once('SIGTERM', () => stop('SIGTERM'))
  process.once('SIGINT', () => stop('SIGINT'))
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((error: unknown) => {
    process.stderr.write(
      `device-status gateway: ${error instanceof ConfigError ? error.message : String(error)}\n`,
    )
    process.exit(1)
  })
}
