import { Agent as HttpAgent, request as httpRequest } from 'node:http'
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https'
import type { LookupFunction } from 'node:net'
import { hostname } from 'node:os'
import type { FastifyBaseLogger } from 'fastify'
import { newId, type Store } from '../store/store.js'
import { LIVE_STATUSES, type NotificationRow } from '../store/subscriptions.js'
import { endSubscription, type OutboxDeps } from './outbox.js'
import { SinkAddressError, sinkTarget, type SinkPolicy } from './sink-policy.js'

export interface DeliveryConfig {
  /** Attempts before a notification is marked failed. */
  maxAttempts: number
  /** Per-attempt timeout, ms: a slow sink never holds the others up. */
  timeoutMs: number
  /** First retry delay, ms; doubles per attempt (full jitter), capped by `maxBackoffMs`. */
  baseBackoffMs: number
  maxBackoffMs: number
  /** How often the worker looks for due work when not woken, ms. */
  pollMs: number
  /** How many notifications one claim takes. */
  batch: number
  /** How long a claim holds a notification, ms: a worker that died releases it after this. */
  leaseMs: number
  /** How long before the sink token expires the subscription ends (ACCESS_TOKEN_EXPIRED), ms. */
  tokenExpiryNoticeMs: number
}

export const DEFAULT_DELIVERY: DeliveryConfig = {
  maxAttempts: 8,
  timeoutMs: 5000,
  baseBackoffMs: 1000,
  maxBackoffMs: 300_000,
  pollMs: 250,
  batch: 32,
  leaseMs: 30_000,
  tokenExpiryNoticeMs: 60_000,
}

/** Exponential backoff with jitter: between half and all of base·2^(attempt−1), capped. */
export function backoff(
  config: DeliveryConfig,
  attempt: number,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(
    config.maxBackoffMs,
    config.baseBackoffMs * 2 ** Math.max(0, attempt - 1),
  )
  return Math.round(ceiling / 2 + random() * (ceiling / 2))
}

/** A sink's answer: its status, and `Retry-After` when it sent one. */
interface SinkAnswer {
  statusCode: number
  retryAfter?: string
}

/**
 * How long a sink asked to be left alone (`Retry-After` on 429 or 503: seconds, or an HTTP date),
 * in ms; `undefined` when it did not ask or the value is not one of those.
 */
export function retryAfterMs(answer: SinkAnswer, now: number = Date.now()): number | undefined {
  if ((answer.statusCode !== 429 && answer.statusCode !== 503) || answer.retryAfter === undefined)
    return undefined
  const value = answer.retryAfter.trim()
  if (/^\d+$/.test(value)) return Number(value) * 1000
  const at = Date.parse(value)
  return Number.isNaN(at) ? undefined : Math.max(0, at - now)
}

/**
 * POSTs one event to a sink with node:http(s): the socket connects through the sink policy's
 * `lookup` ({@link sinkTarget}), so the address checked is the address connected to; a redirect
 * is never followed (its status is the answer). Resolves with the status once the response head
 * arrives; the body is drained, unread, so the connection can be kept alive. Connecting, TLS, the
 * answer and the drain all fit in `timeoutMs`, after which the request is destroyed.
 */
function postEvent(
  target: { url: URL; lookup: LookupFunction },
  init: {
    headers: Record<string, string>
    body: string
    timeoutMs: number
    agents: { http: HttpAgent; https: HttpsAgent }
  },
): Promise<SinkAnswer> {
  return new Promise((resolve, reject) => {
    const body = Buffer.from(init.body)
    const https = target.url.protocol === 'https:'
    const request = (https ? httpsRequest : httpRequest)(target.url, {
      method: 'POST',
      headers: { ...init.headers, 'content-length': String(body.length) },
      lookup: target.lookup,
      agent: https ? init.agents.https : init.agents.http,
    })
    const timer = setTimeout(() => {
      const error = new Error(`the sink did not answer within ${init.timeoutMs} ms`)
      error.name = 'TimeoutError'
      request.destroy(error)
    }, init.timeoutMs)
    request.once('close', () => clearTimeout(timer))
    // After the answer a failure (a cut drain) changes nothing: the promise is settled.
    request.on('error', reject)
    request.once('response', (response) => {
      response.on('error', () => undefined)
      response.resume()
      const retryAfter = response.headers['retry-after']
      resolve({
        statusCode: response.statusCode ?? 0,
        ...(retryAfter === undefined ? {} : { retryAfter }),
      })
    })
    request.end(body)
  })
}

export interface DeliveryWorker {
  /** Look for work now (after a commit that wrote notifications). */
  kick(): void
  /** Finishes the deliveries in flight and stops. */
  stop(): Promise<void>
}

/**
 * The delivery worker of one gateway instance: claims due notifications from the outbox (a
 * lease, `SKIP LOCKED` on PostgreSQL), POSTs each CloudEvent to its sink with the sink's bearer
 * token, and settles it: delivered on 2xx; otherwise retried with exponential backoff and
 * jitter until `maxAttempts`, then failed. Order is kept per subscription (the outbox only hands
 * out the oldest pending notification of each). Also ends subscriptions whose time or sink token
 * runs out. At-least-once: a crash after a POST and before settling means one more delivery of
 * the same event id.
 */
export function startDeliveryWorker(deps: {
  store: Store
  outbox: Omit<OutboxDeps, 'store'>
  sinkPolicy: SinkPolicy
  config: DeliveryConfig
  log: FastifyBaseLogger
  /** Counts attempts by outcome (Prometheus). */
  metrics?: { inc(labels: { outcome: string }): void }
}): DeliveryWorker {
  const { store, config, log } = deps
  // Kept-alive connections, this worker's own: each was opened through its sink policy.
  const agents = {
    http: new HttpAgent({ keepAlive: true, timeout: 4000 }),
    https: new HttpsAgent({ keepAlive: true, timeout: 4000 }),
  }
  const workerId = `${hostname()}:${process.pid}:${newId().slice(0, 8)}`
  let stopped = false
  let running: Promise<void> | undefined
  let again = false
  let timer: NodeJS.Timeout | undefined

  const attempt = async (notification: NotificationRow) => {
    // The claim's lease: the outcome is recorded only while this attempt still holds it. One that
    // outlived it (a slow settle, a stalled database) leaves the notification to the newer claim.
    const lease = notification.locked_until
    const leaseLost = () => {
      log.warn(
        { notification: notification.id, subscription: notification.subscription_id },
        'delivery attempt outlived its lease; its outcome is left to the newer claim',
      )
    }
    const subscription = await store.subscriptions.byId(notification.subscription_id)
    const started = Date.now()
    let statusCode: number | null = null
    let askedToWait: number | undefined
    let error: string | null = null
    if (subscription === undefined) {
      error = 'subscription not found'
    } else {
      // The sink is checked where the socket connects: a refused address (the name resolves
      // somewhere forbidden now) fails this attempt like any other failure, with the policy's
      // reason as last_error, and is retried with backoff up to maxAttempts: DNS answers change
      // back (a misconfiguration being fixed), and a retry only resolves again, nothing is sent.
      const target = sinkTarget(subscription.sink, deps.sinkPolicy)
      if ('refused' in target) {
        error = target.refused
      } else {
        const credential =
          subscription.sink_credential === null
            ? undefined
            : (JSON.parse(subscription.sink_credential) as { accessToken: string })
        try {
          const answer = await postEvent(target, {
            headers: {
              'content-type': 'application/cloudevents+json',
              'x-correlator': notification.id,
              ...(credential === undefined
                ? {}
                : { authorization: `Bearer ${credential.accessToken}` }),
            },
            body: notification.event,
            timeoutMs: config.timeoutMs,
            agents,
          })
          statusCode = answer.statusCode
          askedToWait = retryAfterMs(answer)
        } catch (cause) {
          error =
            cause instanceof SinkAddressError
              ? cause.message
              : cause instanceof Error
                ? `${cause.name}: ${cause.message}`
                : String(cause)
        }
      }
    }
    const attempts = notification.attempts + 1
    const at = new Date().toISOString()
    const record = {
      id: newId(),
      notification_id: notification.id,
      attempt: attempts,
      at,
      status_code: statusCode,
      error,
      duration_ms: Date.now() - started,
    }
    if (statusCode !== null && statusCode >= 200 && statusCode < 300) {
      deps.metrics?.inc({ outcome: 'delivered' })
      // The attempt and the outcome land together: one commit per delivery.
      await store.transaction(async (trx) => {
        await trx.subscriptions.lock([notification.subscription_id])
        const settled = await trx.notifications.settle(notification.id, lease, {
          status: 'delivered',
          attempts,
          delivered_at: at,
          locked_until: null,
          last_error: null,
        })
        if (!settled) return leaseLost()
        await trx.notifications.insertAttempt(record)
        await trx.notifications.promoteNext(notification.subscription_id, Date.now())
      })
      return
    }
    const lastError = error ?? `sink answered ${statusCode}`
    // 410 Gone: the listener says the subscription is no longer wanted (CAMARA ESG).
    const gone = statusCode === 410
    deps.metrics?.inc({
      outcome:
        gone || attempts >= config.maxAttempts || subscription === undefined ? 'failed' : 'retry',
    })
    if (gone || attempts >= config.maxAttempts || subscription === undefined) {
      const settled = await store.transaction(async (trx) => {
        await trx.subscriptions.lock([notification.subscription_id])
        const owned = await trx.notifications.settle(notification.id, lease, {
          status: 'failed',
          attempts,
          locked_until: null,
          last_error: lastError,
        })
        if (!owned) return false
        await trx.notifications.insertAttempt(record)
        if (gone && subscription !== undefined) {
          // In the same transaction, so that nothing queued behind is sent after the 410; the
          // subscription ends only if nothing ended it first (its ending stays as it was).
          await trx.notifications.cancelPending(subscription.id)
          await trx.subscriptions.endIfLive(subscription.id, {
            status: 'DELETED',
            ended_at: at,
            termination_reason: 'SUBSCRIPTION_DELETED',
          })
        } else {
          await trx.notifications.promoteNext(notification.subscription_id, Date.now())
        }
        return true
      })
      if (!settled) return leaseLost()
      log.warn(
        {
          notification: notification.id,
          subscription: notification.subscription_id,
          attempts,
          error: lastError,
        },
        'notification delivery failed',
      )
      return
    }
    // A sink that asked for time (429/503 with Retry-After) gets at least that, within the cap.
    const wait = Math.min(
      config.maxBackoffMs,
      Math.max(backoff(config, attempts), askedToWait ?? 0),
    )
    await store.transaction(async (trx) => {
      const owned = await trx.notifications.settle(notification.id, lease, {
        attempts,
        next_attempt_at: Date.now() + wait,
        locked_until: null,
        last_error: lastError,
      })
      if (!owned) return leaseLost()
      await trx.notifications.insertAttempt(record)
    })
  }

  let lastSweep = 0
  const sweep = async () => {
    // Endings are due to time: once per poll interval is often enough.
    if (Date.now() - lastSweep < config.pollMs) return
    lastSweep = Date.now()
    const soon = new Date(Date.now() + config.tokenExpiryNoticeMs).toISOString()
    const now = new Date().toISOString()
    for (const row of await store.subscriptions.dueToEnd(soon)) {
      const reason =
        row.expires_at !== null && row.expires_at <= now
          ? 'SUBSCRIPTION_EXPIRED'
          : row.sink_expires_at !== null && row.sink_expires_at <= soon
            ? 'ACCESS_TOKEN_EXPIRED'
            : undefined
      if (reason === undefined) continue
      await store.transaction(async (trx) => {
        const fresh = await trx.subscriptions.byId(row.id)
        // INACTIVE subscriptions expire too.
        if (fresh !== undefined && LIVE_STATUSES.includes(fresh.status))
          await endSubscription({ ...deps.outbox, store: trx }, fresh, reason)
      })
    }
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
        Date.now(),
        Math.min(room, config.batch),
        config.leaseMs,
      )
      for (const n of claimed) {
        const task: Promise<void> = attempt(n)
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

  timer = setInterval(run, config.pollMs)
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
      agents.http.destroy()
      agents.https.destroy()
    },
  }
}
