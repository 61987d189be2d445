import type { Clock } from '../core/clock.js'
import type { NefSimNotification } from '../store/nef-sim.js'
import type { Store } from '../store/store.js'

export interface NotificationWorkerOptions {
  store: Store
  clock: Clock
  /** Per-attempt timeout, milliseconds. */
  timeoutMs: number
  /** First retry delay, doubled at each failure up to `maxBackoffMs`. */
  backoffMs: number
  maxBackoffMs: number
  /** How often the worker looks for due notifications besides being kicked, milliseconds. */
  pollMs: number
  /** Runs once per cycle before sending (the expiry sweep). */
  sweep: () => Promise<unknown>
  log: { warn(object: object, message: string): void }
}

export interface NotificationWorker {
  kick(): void
  /** One cycle now (tests): sweep, then one attempt for each due head of line. */
  runOnce(): Promise<void>
  stop(): Promise<void>
}

/**
 * Delivers nef-sim's `MonitoringNotification`s. TS 29.122 defines the answer (204 No Content) and
 * no retry policy for a notification that is not answered; this simulator retries every failure
 * (no answer, a timeout or any non-2xx status) with exponential backoff until the destination
 * answers 2xx, or until the subscription is deleted or dropped. Each subscription's notifications
 * form a line, delivered in order: only the oldest is tried.
 */
export function startNotificationWorker(options: NotificationWorkerOptions): NotificationWorker {
  let stopped = false
  let running: Promise<void> | undefined
  let again = false
  let timer: NodeJS.Timeout | undefined

  const attempt = async (notification: NefSimNotification): Promise<void> => {
    let error: string | undefined
    try {
      const response = await fetch(notification.destination, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(notification.body),
        redirect: 'manual',
        signal: AbortSignal.timeout(options.timeoutMs),
      })
      await response.arrayBuffer().catch(() => undefined)
      if (response.status >= 200 && response.status < 300) {
        await options.store.nefSim.delivered(notification.seq)
        return
      }
      error = `answered ${response.status}`
    } catch (cause) {
      error = cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause)
    }
    const attempts = notification.attempts + 1
    const delay = Math.min(options.maxBackoffMs, options.backoffMs * 2 ** (attempts - 1))
    const due = new Date(options.clock().getTime() + delay).toISOString()
    options.log.warn(
      { destination: notification.destination, attempts, error },
      'notification not delivered; retrying',
    )
    await options.store.nefSim.failed(notification.seq, attempts, due, error)
  }

  const cycle = async (): Promise<void> => {
    await options.sweep()
    const now = options.clock().toISOString()
    const heads = (await options.store.nefSim.heads(100)).filter((n) => n.dueAt <= now)
    await Promise.all(heads.map(attempt))
  }

  const run = (): void => {
    if (stopped) return
    if (running !== undefined) {
      again = true
      return
    }
    running = cycle()
      .catch((error: unknown) => options.log.warn({ err: error }, 'notification cycle failed'))
      .finally(() => {
        running = undefined
        if (again) {
          again = false
          run()
        }
      })
  }

  const schedule = () => {
    if (stopped) return
    timer = setTimeout(() => {
      run()
      schedule()
    }, options.pollMs)
    timer.unref()
  }
  schedule()

  return {
    kick: run,
    async runOnce() {
      await running
      await cycle()
    },
    async stop() {
      stopped = true
      clearTimeout(timer)
      await running
    },
  }
}
