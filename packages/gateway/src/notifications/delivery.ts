import { hostname } from 'node:os'
import { nowMs, type Clock } from '../core/clock.js'
import type { DeliveryAttempt, Notification } from '../store/notifications.js'
import { newId, type Store } from '../store/store.js'
import {
  attemptError,
  decideDelivery,
  type AttemptOutcome,
  type DeliveryConfig,
  type DeliveryDecision,
  type Random,
} from './delivery-policy.js'
import { httpNotifier, type Notifier } from './notifier.js'
import type { SinkPolicy } from './sink-policy.js'

export interface DeliveryWorker {
  /** Look for work now (after a commit that wrote notifications). */
  kick(): void
  /** Finishes the deliveries in flight and stops. */
  stop(): Promise<void>
}

/** Where the worker says what went wrong (the app's pino logger fits). */
export interface DeliveryLog {
  warn(details: object, message: string): void
  error(details: object, message: string): void
}

export interface DeliveryWorkerDeps {
  store: Store
  sinkPolicy: SinkPolicy
  config: DeliveryConfig
  log: DeliveryLog
  clock: Clock
  /**
   * Work due to time, run before a claim at most once per poll interval: the gateway ends the
   * subscriptions whose time ran out (`endExpiredSubscriptions`).
   */
  sweep?: () => Promise<void>
  /** How notifications reach sinks (default: {@link httpNotifier} with `sinkPolicy`). */
  notifier?: Notifier
  /** The backoff's jitter (default `Math.random`). */
  random?: Random
  /** Counts attempts by outcome (Prometheus). */
  metrics?: { inc(labels: { outcome: string }): void }
}

/** The Prometheus outcome label of a decision. */
function metricOutcome(decision: DeliveryDecision): string {
  if (decision.action === 'delivered') return 'delivered'
  return decision.action === 'retry' ? 'retry' : 'failed'
}

/**
 * Records an attempt and its decision in one transaction, if the attempt still holds the
 * notification's lease (the `lockedUntil` its claim wrote): one that outlived it (a slow settle,
 * a stalled database) leaves the notification to the newer claim. Settling a line's head locks
 * its subscription first, as enqueue does, and promotes the next notification; a 410 gives up
 * the rest of the line and ends the subscription in the same transaction, so nothing queued
 * behind is sent after it. Whether the outcome was recorded.
 */
export function settleAttempt(
  store: Store,
  notification: Notification,
  decision: DeliveryDecision,
  attempt: DeliveryAttempt,
): Promise<boolean> {
  const lease = notification.lockedUntil
  const now = Date.parse(attempt.at)
  const subscriptionId = notification.subscriptionId
  return store.transaction(async (trx) => {
    if (decision.action !== 'retry') await trx.subscriptions.lock([subscriptionId])
    const settled = await trx.notifications.settle(notification.id, lease, {
      attempts: attempt.attempt,
      lockedUntil: null,
      ...(decision.action === 'delivered'
        ? { status: 'delivered', deliveredAt: attempt.at, lastError: null }
        : decision.action === 'retry'
          ? { nextAttemptAt: decision.at, lastError: decision.lastError }
          : { status: 'failed', lastError: decision.lastError }),
    })
    if (!settled) return false
    await trx.notifications.insertAttempt(attempt)
    if (decision.action === 'end-subscription') {
      // The subscription ends only if nothing ended it first (its ending stays as it was).
      await trx.notifications.cancelPending(subscriptionId)
      await trx.subscriptions.endIfLive(subscriptionId, {
        status: 'DELETED',
        endedAt: attempt.at,
        terminationReason: 'SUBSCRIPTION_DELETED',
      })
    } else if (decision.action !== 'retry') {
      await trx.notifications.promoteNext(subscriptionId, now)
    }
    return true
  })
}

/**
 * One attempt at a claimed notification: the notifier delivers it (unless its subscription is
 * gone), the policy decides what follows, and the outcome is settled once.
 */
export async function attemptDelivery(
  deps: Pick<DeliveryWorkerDeps, 'store' | 'config' | 'log' | 'clock' | 'random' | 'metrics'>,
  notifier: Notifier,
  notification: Notification,
): Promise<void> {
  const { store, config, log, clock } = deps
  const subscription = await store.subscriptions.byId(notification.subscriptionId)
  const result: AttemptOutcome & { latencyMs?: number } =
    subscription === undefined
      ? { kind: 'orphaned' }
      : await notifier.notify({
          sink: subscription.sink,
          event: notification.event,
          credential: subscription.sinkCredential,
        })
  const now = clock()
  const attempts = notification.attempts + 1
  const decision = decideDelivery({
    outcome: result,
    attempts,
    config,
    now: now.getTime(),
    ...(deps.random === undefined ? {} : { random: deps.random }),
  })
  deps.metrics?.inc({ outcome: metricOutcome(decision) })
  const settled = await settleAttempt(store, notification, decision, {
    id: newId(),
    notificationId: notification.id,
    attempt: attempts,
    at: now.toISOString(),
    statusCode: result.kind === 'answered' ? result.statusCode : null,
    error: attemptError(result),
    durationMs: result.latencyMs ?? 0,
  })
  const about = { notification: notification.id, subscription: notification.subscriptionId }
  if (!settled)
    log.warn(about, 'delivery attempt outlived its lease; its outcome is left to the newer claim')
  else if (decision.action === 'give-up' || decision.action === 'end-subscription')
    log.warn({ ...about, attempts, error: decision.lastError }, 'notification delivery failed')
}

/**
 * The delivery worker of one gateway instance: claims due notifications from the outbox (a
 * lease, `SKIP LOCKED` on PostgreSQL), hands each to the notifier, asks the delivery policy what
 * follows, and settles it once ({@link settleAttempt}). Order is kept per subscription (the outbox
 * only hands out the oldest pending notification of each). Also runs the time-driven `sweep`
 * (subscriptions whose time or sink token runs out). At-least-once: a crash after a POST and before settling means one more
 * delivery of the same event id.
 */
export function startDeliveryWorker(deps: DeliveryWorkerDeps): DeliveryWorker {
  const { store, config, log, clock } = deps
  const notifier =
    deps.notifier ?? httpNotifier({ sinkPolicy: deps.sinkPolicy, timeoutMs: config.timeoutMs })
  const workerId = `${hostname()}:${process.pid}:${newId().slice(0, 8)}`
  let stopped = false
  let running: Promise<void> | undefined
  let again = false

  let lastSweep = 0
  const sweep = async () => {
    // Endings are due to time: once per poll interval is often enough.
    if (nowMs(clock) - lastSweep < config.pollMs) return
    lastSweep = nowMs(clock)
    await deps.sweep?.()
  }

  // Deliveries run side by side, up to `maxInFlight`; each one that ends frees a slot and looks
  // for more work, so a slow sink holds one slot, never the others.
  const maxInFlight = config.batch * 2
  const inFlight = new Set<Promise<void>>()

  const cycle = async () => {
    do {
      again = false
      await sweep()
      const room = maxInFlight - inFlight.size
      if (room <= 0) return
      const claimed = await store.notifications.claimDue(
        nowMs(clock),
        Math.min(room, config.batch),
        config.leaseMs,
      )
      for (const n of claimed) {
        const task: Promise<void> = attemptDelivery(deps, notifier, n)
          .catch((error: unknown) =>
            log.error({ err: error, notification: n.id }, 'delivery attempt crashed'),
          )
          .finally(() => {
            inFlight.delete(task)
            run()
          })
        inFlight.add(task)
      }
      if (claimed.length === config.batch) again = true
    } while (again && !stopped)
  }

  const run = () => {
    if (stopped) return
    if (running !== undefined) {
      again = true
      return
    }
    running = cycle()
      .catch((error: unknown) =>
        log.error({ err: error, worker: workerId }, 'delivery cycle failed'),
      )
      .finally(() => {
        running = undefined
        if (again && !stopped) run()
      })
  }

  let timer: NodeJS.Timeout | undefined = setInterval(run, config.pollMs)
  timer.unref()
  run()

  return {
    kick: () => setImmediate(run),
    async stop() {
      stopped = true
      if (timer !== undefined) clearInterval(timer)
      timer = undefined
      await running
      await Promise.all([...inFlight])
      notifier.close()
    },
  }
}
