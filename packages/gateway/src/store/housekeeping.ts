import type { Clock } from '../core/clock.js'
import type { Store } from './store.js'

export interface HousekeepingOptions {
  store: Store
  clock: Clock
  /** How often to sweep, in milliseconds. */
  everyMs: number
  log: { warn(object: object, message: string): void }
}

/**
 * Deletes what has expired from the authorization server's state (sessions, codes, CIBA requests,
 * grants, refresh tokens, replay records of client assertions): oidc-provider only ever writes
 * rows with an expiry, so without a sweep they pile up. Every instance sweeps; the delete is
 * idempotent, so several instances on one PostgreSQL do not get in each other's way.
 */
export async function sweepExpired(store: Store, now: Date): Promise<number> {
  return store.oidcModels.prune(Math.floor(now.getTime() / 1000))
}

/** Runs {@link sweepExpired} now and then every `everyMs`; `stop()` waits for a sweep in flight. */
export function startHousekeeping(options: HousekeepingOptions): { stop(): Promise<void> } {
  let running: Promise<unknown> = Promise.resolve()
  const sweep = () => {
    running = sweepExpired(options.store, options.clock()).catch((error: unknown) =>
      options.log.warn({ err: error }, 'sweeping expired authorization state failed'),
    )
  }
  sweep()
  const timer = setInterval(sweep, options.everyMs)
  timer.unref()
  return {
    async stop() {
      clearInterval(timer)
      await running
    },
  }
}
