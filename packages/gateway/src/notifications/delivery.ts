import { hostname } from 'node:os'
import { nowMs, type Clock } from '../core/clock.js'
import { workerLoop } from '../core/worker-loop.js'
import type { DeliveryAttempt, Notification } from '../store/notifications.js'
import { newId, type Store } from '../store/store.js'
import type { Subscription } from '../store/subscriptions.js'
import {
  attemptError,
  decideDelivery,
  type AttemptOutcome,
  type DeliveryConfig,
  type DeliveryDecision,
  type Random,
} from './delivery-policy.js'
import { httpNotifier, type Notifier } from './notifier.js'
import { threadedNotifier } from './threaded-notifier.js'
import type { SinkPolicy } from './sink-policy.js'

/** A notification this worker holds the claim of, with its subscription (undefined: gone). */
export interface ClaimedNotification {
  notification: Notification
  subscription: Subscription | undefined
}

export interface DeliveryWorker {
  /** Look for work now (after a commit that wrote notifications). */
  kick(): void
  /**
   * Until when a notification claimed for this worker now is leased (`enqueueClaimed`), or
   * undefined when the worker takes no more now (stopping, or enough waiting already).
   */
  leaseUntil(): number | undefined
  /**
   * Delivers notifications claimed for this worker by the caller's committed transaction
   * (`enqueueClaimed` with a {@link DeliveryWorker.leaseUntil} lease), without a claim of its own.
   */
  take(claimed: readonly ClaimedNotification[]): void
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
  /**
   * How notifications reach sinks (default: {@link httpNotifier} with `sinkPolicy`, or, with
   * `notifierThread`, {@link threadedNotifier}).
   */
  notifier?: Notifier
  /**
   * POST from a thread of their own ({@link threadedNotifier}; `NOTIFY_THREAD`). Only with the
   * system resolver: a `sinkPolicy.resolve` function cannot cross threads, so with one the POSTs
   * stay on this thread.
   */
  notifierThread?: boolean
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

/** One attempt's outcome to record: the notification it was for, what follows, the attempt. */
export interface Settlement {
  notification: Notification
  decision: DeliveryDecision
  attempt: DeliveryAttempt
}

/**
 * Records an attempt and its decision in one transaction, if the attempt still holds the
 * notification's lease (the `lockedUntil` its claim wrote): one that outlived it (a slow settle,
 * a stalled database) leaves the notification to the newer claim. Settling a line's head locks
 * its subscription first, as enqueue does, and promotes the next notification; a 410 gives up
 * the rest of the line and ends the subscription in the same transaction, so nothing queued
 * behind is sent after it. Whether the outcome was recorded.
 */
export async function settleAttempt(
  store: Store,
  notification: Notification,
  decision: DeliveryDecision,
  attempt: DeliveryAttempt,
): Promise<boolean> {
  const [settled] = await settleAttempts(store, [{ notification, decision, attempt }])
  return settled === true
}

/**
 * {@link settleAttempt} for several attempts (of different subscriptions: one claim holds at most
 * one notification of each) in one transaction: the subscriptions are locked in id order, each
 * attempt is settled under its own lease, the attempts are recorded in one statement and the next
 * notification of each settled line is promoted in one. Whether each outcome was recorded.
 */
export async function settleAttempts(
  store: Store,
  items: readonly Settlement[],
): Promise<boolean[]> {
  return (await settleAndClaimNext(store, items, null)).results
}

/**
 * {@link settleAttempts}; with a lease, the notifications promoted to their lines' heads are
 * claimed in the same transaction (leased until `leaseUntil`) and answered: the worker goes on
 * with each line without a claim of its own.
 */
function settleAndClaimNext(
  store: Store,
  items: readonly Settlement[],
  leaseUntil: number | null,
): Promise<{ results: boolean[]; claimed: Notification[] }> {
  return store.transaction(async (trx) => {
    const lines = items
      .filter((item) => item.decision.action !== 'retry')
      .map((item) => item.notification.subscriptionId)
    if (lines.length > 0) await trx.subscriptions.lock(lines)
    // Deliveries of claimed notifications, the common outcome, are settled in one statement.
    const delivered = await trx.notifications.settleDelivered(
      items.flatMap(({ notification, decision, attempt }) =>
        decision.action === 'delivered' && notification.lockedUntil !== null
          ? [{ id: notification.id, lease: notification.lockedUntil, deliveredAt: attempt.at }]
          : [],
      ),
    )
    const results: boolean[] = []
    const recorded: DeliveryAttempt[] = []
    const promote: string[] = []
    let promoteAt = Infinity
    for (const { notification, decision, attempt } of items) {
      const subscriptionId = notification.subscriptionId
      const settled =
        decision.action === 'delivered' && notification.lockedUntil !== null
          ? delivered.has(notification.id)
          : await trx.notifications.settle(notification.id, notification.lockedUntil, {
              attempts: attempt.attempt,
              lockedUntil: null,
              ...(decision.action === 'delivered'
                ? { status: 'delivered', deliveredAt: attempt.at, lastError: null }
                : decision.action === 'retry'
                  ? { nextAttemptAt: decision.at, lastError: decision.lastError }
                  : { status: 'failed', lastError: decision.lastError }),
            })
      results.push(settled)
      if (!settled) continue
      recorded.push(attempt)
      if (decision.action === 'end-subscription') {
        // The subscription ends only if nothing ended it first (its ending stays as it was).
        await trx.notifications.cancelPending(subscriptionId)
        await trx.subscriptions.endIfLive(subscriptionId, {
          status: 'DELETED',
          endedAt: attempt.at,
          terminationReason: 'SUBSCRIPTION_DELETED',
        })
      } else if (decision.action !== 'retry') {
        promote.push(subscriptionId)
        promoteAt = Math.min(promoteAt, Date.parse(attempt.at))
      }
    }
    await trx.notifications.insertAttempts(recorded)
    let claimed: Notification[] = []
    if (promote.length > 0) {
      if (leaseUntil === null) await trx.notifications.promoteNextOf(promote, promoteAt)
      else claimed = await trx.notifications.promoteAndClaimNextOf(promote, promoteAt, leaseUntil)
    }
    return { results, claimed }
  })
}

type AttemptDeps = Pick<
  DeliveryWorkerDeps,
  'store' | 'config' | 'log' | 'clock' | 'random' | 'metrics'
>

/**
 * One attempt at a claimed notification, up to the decision: the notifier delivers it (unless its
 * subscription is gone), the policy decides what follows. `subscription` is the notification's
 * subscription as read for its claim (undefined: gone).
 */
async function attemptOnly(
  deps: AttemptDeps,
  notifier: Notifier,
  notification: Notification,
  subscription: Subscription | undefined,
): Promise<Settlement> {
  const { config, clock } = deps
  const result: AttemptOutcome & { latencyMs?: number } =
    subscription === undefined
      ? { kind: 'orphaned' }
      : await notifier.notify({
          sink: subscription.sink,
          eventId: notification.id,
          body: notification.eventJson,
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
  return {
    notification,
    decision,
    attempt: {
      id: newId(),
      notificationId: notification.id,
      attempt: attempts,
      at: now.toISOString(),
      statusCode: result.kind === 'answered' ? result.statusCode : null,
      error: attemptError(result),
      durationMs: result.latencyMs ?? 0,
    },
  }
}

/** What the log says about a settled (or not settled) attempt. */
function logSettled(log: DeliveryLog, item: Settlement, settled: boolean): void {
  const { notification, decision } = item
  const about = { notification: notification.id, subscription: notification.subscriptionId }
  if (!settled)
    log.warn(about, 'delivery attempt outlived its lease; its outcome is left to the newer claim')
  else if (decision.action === 'give-up' || decision.action === 'end-subscription')
    log.warn(
      { ...about, attempts: item.attempt.attempt, error: decision.lastError },
      'notification delivery failed',
    )
}

/**
 * One attempt at a claimed notification: the notifier delivers it (unless its subscription is
 * gone), the policy decides what follows, and the outcome is settled once.
 */
export async function attemptDelivery(
  deps: AttemptDeps,
  notifier: Notifier,
  notification: Notification,
): Promise<void> {
  const subscription = await deps.store.subscriptions.byId(notification.subscriptionId)
  const item = await attemptOnly(deps, notifier, notification, subscription)
  logSettled(
    deps.log,
    item,
    await settleAttempt(deps.store, item.notification, item.decision, item.attempt),
  )
}

/**
 * Settles attempts in groups: the first outcome waits up to `gatherMs` for others (or until
 * `gather` have come), those that end while a group is being written are written together next,
 * in one transaction ({@link settleAttempts}): a handful of statements per group, not per
 * delivery. Each caller learns whether its own was recorded; a failed transaction fails every
 * attempt of its group (their leases then lapse and they are claimed again: at least once). The
 * notifications each group promotes are claimed in its transaction, under `leaseUntil()`, and
 * handed to `next` with their subscriptions (those of the lines settled).
 */
function settlementQueue(options: {
  store: Store
  gather: number
  leaseUntil: () => number | undefined
  next: (claimed: readonly ClaimedNotification[]) => Promise<void>
  /** Called after a group whose promoted notifications were left unclaimed (no lease given). */
  unclaimed: () => void
  gatherMs?: number
  max?: number
  /** Groups written at once, each in its own transaction (default 1). */
  parallel?: number
}) {
  const { store, gather, gatherMs = 3, max = 256, parallel = 1 } = options
  const waiting: {
    item: Settlement
    subscription: Subscription | undefined
    done: (settled: boolean) => void
    fail: (e: unknown) => void
  }[] = []
  // Groups being written. On PostgreSQL a group's transaction is several round trips: while one
  // waits for the server, the next group can be written on another connection of the pool. A
  // line has one notification in flight, so groups seldom wait for each other's row locks, and
  // they take them in the same order (subscription id).
  let writing = 0
  const flush = async () => {
    writing++
    while (waiting.length > 0) {
      const group = waiting.splice(0, max)
      let claimed: Notification[] = []
      const leaseUntil = options.leaseUntil() ?? null
      try {
        const settled = await settleAndClaimNext(
          store,
          group.map((g) => g.item),
          leaseUntil,
        )
        claimed = settled.claimed
        group.forEach((g, i) => g.done(settled.results[i] === true))
      } catch (error) {
        for (const g of group) g.fail(error)
      }
      if (leaseUntil === null) options.unclaimed()
      if (claimed.length > 0) {
        const lines = new Map(
          group.map((g) => [g.item.notification.subscriptionId, g.subscription]),
        )
        await options.next(
          claimed.map((notification) => ({
            notification,
            subscription: lines.get(notification.subscriptionId),
          })),
        )
      }
    }
    writing--
  }
  let timer: NodeJS.Timeout | undefined
  const start = () => {
    if (timer !== undefined) clearTimeout(timer)
    timer = undefined
    void flush()
  }
  return (item: Settlement, subscription: Subscription | undefined) =>
    new Promise<boolean>((done, fail) => {
      waiting.push({ item, subscription, done, fail })
      if (writing >= parallel) return
      if (waiting.length >= gather) start()
      else timer ??= setTimeout(start, gatherMs)
    })
}

/**
 * The delivery worker of one gateway instance: claims due notifications from the outbox (a
 * lease, `SKIP LOCKED` on PostgreSQL), hands each to the notifier, asks the delivery policy what
 * follows, and settles it once ({@link settleAttempt}). Order is kept per subscription (the outbox
 * only hands out the oldest pending notification of each). Notifications come to it claimed as
 * well: from the transaction that wrote them ({@link DeliveryWorker.take}), and from the settle
 * of their line's previous head; a claim looks for the rest (another instance's, retries that
 * came due, leases that lapsed). Also runs the time-driven `sweep` (subscriptions whose time or
 * sink token runs out). At-least-once: a crash after a POST and before settling means one more
 * delivery of the same event id.
 */
export function startDeliveryWorker(deps: DeliveryWorkerDeps): DeliveryWorker {
  const { store, config, log, clock } = deps
  const notifier =
    deps.notifier ??
    (deps.notifierThread === true && deps.sinkPolicy.resolve === undefined
      ? threadedNotifier({
          sinkPolicy: deps.sinkPolicy,
          timeoutMs: config.timeoutMs,
          onError: (error) => log.error({ err: error }, 'notifier thread failed'),
        })
      : httpNotifier({ sinkPolicy: deps.sinkPolicy, timeoutMs: config.timeoutMs }))
  const workerId = `${hostname()}:${process.pid}:${newId().slice(0, 8)}`

  let lastSweep = 0
  const sweep = async () => {
    // Endings are due to time: once per poll interval is often enough.
    if (nowMs(clock) - lastSweep < config.pollMs) return
    lastSweep = nowMs(clock)
    await deps.sweep?.()
  }

  // Deliveries run side by side, up to `maxInFlight` (256 by default); each one that ends (its
  // outcome settled) frees a slot. A slow sink holds one slot, never the others. Notifications
  // claimed for this worker wait in `ready` for a slot (their lease runs meanwhile, as it would
  // for a claimed batch). A slot is held while its outcome waits for its group's commit, which on
  // PostgreSQL is several round trips: with 64 slots, two instances at 2,000 deliveries/s fell
  // behind and stayed behind (a queue at the bench's cap, p50 about 500 ms).
  const maxInFlight = config.batch * 8
  const inFlight = new Set<Promise<void>>()
  const ready: ClaimedNotification[] = []
  let stopping = false
  // At most this many held (in flight and ready; 4,096 by default, a few MB): a large fan-out
  // stays in the outbox, claimed batch by batch, rather than in memory, where leases would lapse.
  const maxHeld = maxInFlight * 16
  const held = () => inFlight.size + ready.length
  // Whether unclaimed notifications may be due: set by a kick (a commit wrote some), by a settle
  // that promoted without a lease and by a full claim; cleared by a claim that found less than it
  // asked for. A delivery that ends claims only then; the poll interval claims anyway (other
  // instances' work, retries that came due).
  let backlog = true
  // Notifications are written claimed for this worker only while it keeps up: it holds room for
  // them and nothing unclaimed waits. Otherwise they are written unclaimed, behind what waits,
  // and claims take them oldest first: none is passed over for long.
  const leaseUntil = () =>
    stopping || backlog || held() >= maxHeld ? undefined : nowMs(clock) + config.leaseMs
  const startReady = () => {
    while (ready.length > 0 && inFlight.size < maxInFlight) {
      const { notification, subscription } = ready.shift() as ClaimedNotification
      const task: Promise<void> = deliver(notification, subscription)
        .catch((error: unknown) =>
          log.error({ err: error, notification: notification.id }, 'delivery attempt crashed'),
        )
        .finally(() => {
          inFlight.delete(task)
          startReady()
          if (backlog) run()
        })
      inFlight.add(task)
    }
  }
  const take = async (claimed: readonly ClaimedNotification[]) => {
    // A line promoted by a settle whose subscription the group did not hold is read (rare).
    const missing = claimed.filter((c) => c.subscription === undefined)
    const read =
      missing.length === 0
        ? new Map<string, Subscription>()
        : await store.subscriptions.byIds(missing.map((c) => c.notification.subscriptionId))
    for (const c of claimed)
      ready.push({
        notification: c.notification,
        subscription: c.subscription ?? read.get(c.notification.subscriptionId),
      })
    startReady()
  }
  const settle = settlementQueue({
    store,
    gather: config.batch,
    parallel: store.dialect === 'postgres' ? 4 : 1,
    leaseUntil,
    next: take,
    unclaimed: () => {
      backlog = true
      run()
    },
  })
  const deliver = async (n: Notification, subscription: Subscription | undefined) => {
    const item = await attemptOnly(deps, notifier, n, subscription)
    logSettled(log, item, await settle(item, subscription))
  }

  /** One claim: whether a full batch was claimed (more may be due). */
  const cycle = async (): Promise<boolean> => {
    await sweep()
    startReady()
    // A claim fills the pool's slots only (claimed rows stay in the due index until settled, and
    // every claim reads past those held). Claims are batched too: a claim waits until a batch's
    // worth of room is free (or nothing is in flight), rather than claiming one notification per
    // delivery that ends.
    const room = maxInFlight - held()
    if (room <= 0 || (room < config.batch && inFlight.size > config.batch)) return false
    const limit = Math.min(room, config.batch)
    const claimed = await store.notifications.claimDue(nowMs(clock), limit, config.leaseMs)
    backlog = claimed.length === limit
    // The claimed notifications' subscriptions in one read.
    const subscriptions =
      claimed.length === 0
        ? new Map<string, Subscription>()
        : await store.subscriptions.byIds(claimed.map((n) => n.subscriptionId))
    for (const n of claimed)
      ready.push({ notification: n, subscription: subscriptions.get(n.subscriptionId) })
    startReady()
    return claimed.length === config.batch
  }

  const loop = workerLoop(cycle, {
    pollMs: config.pollMs,
    onError: (error) => log.error({ err: error, worker: workerId }, 'delivery cycle failed'),
  })
  const run = loop.run

  return {
    kick: () => {
      backlog = true
      setImmediate(run)
    },
    leaseUntil,
    take: (claimed) => {
      if (stopping) return
      take(claimed).catch((error: unknown) =>
        log.error({ err: error, worker: workerId }, 'delivery of claimed notifications failed'),
      )
    },
    async stop() {
      stopping = true
      await loop.stop()
      // What this worker holds claimed is delivered before it stops (nothing more is claimed).
      while (inFlight.size > 0 || ready.length > 0) {
        startReady()
        await Promise.all([...inFlight])
      }
      notifier.close()
    },
  }
}
