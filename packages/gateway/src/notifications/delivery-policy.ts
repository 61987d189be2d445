/**
 * The delivery policy: what happens after an attempt to deliver a notification, and when a
 * subscription ends by time. Pure functions of their inputs (the time is passed in, and so is the
 * jitter's random source): no store, no HTTP, no clock of their own.
 */

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

/** A number in [0, 1): the jitter's source (`Math.random` in production, fixed in tests). */
export type Random = () => number

/** Exponential backoff with jitter: between half and all of base·2^(attempt−1), capped. */
export function backoff(
  config: Pick<DeliveryConfig, 'baseBackoffMs' | 'maxBackoffMs'>,
  attempt: number,
  random: Random = Math.random,
): number {
  const ceiling = Math.min(
    config.maxBackoffMs,
    config.baseBackoffMs * 2 ** Math.max(0, attempt - 1),
  )
  return Math.round(ceiling / 2 + random() * (ceiling / 2))
}

/** A sink's answer: its status, and `Retry-After` when it sent one. */
export interface SinkAnswer {
  statusCode: number
  retryAfter?: string
}

/**
 * How long a sink asked to be left alone (`Retry-After` on 429 or 503: seconds, or an HTTP date
 * relative to `now`, epoch ms), in ms; `undefined` when it did not ask or the value is neither.
 */
export function retryAfterMs(answer: SinkAnswer, now: number): number | undefined {
  if ((answer.statusCode !== 429 && answer.statusCode !== 503) || answer.retryAfter === undefined)
    return undefined
  const value = answer.retryAfter.trim()
  if (/^\d+$/.test(value)) return Number(value) * 1000
  const at = Date.parse(value)
  return Number.isNaN(at) ? undefined : Math.max(0, at - now)
}

/** How an attempt went: the sink's answer, or why there was none. */
export type AttemptOutcome =
  | { kind: 'answered'; statusCode: number; retryAfter?: string }
  /** No answer: the address was refused, the connection failed, or the timeout cut it off. */
  | { kind: 'unreachable'; error: string }
  /** Nothing was sent: the notification's subscription no longer exists. */
  | { kind: 'orphaned' }

/** What to do with a notification after an attempt. */
export type DeliveryDecision =
  | { action: 'delivered' }
  /** Pending again, due at `at` (epoch ms). */
  | { action: 'retry'; at: number; lastError: string }
  /** Failed for good; the next notification of the subscription becomes its head. */
  | { action: 'give-up'; lastError: string }
  /** Failed, and the subscription ends with it (the sink answered 410 Gone). */
  | { action: 'end-subscription'; lastError: string }

/** What a failed attempt leaves as its notification's `lastError`. */
function failureOf(outcome: AttemptOutcome): string {
  switch (outcome.kind) {
    case 'answered':
      return `sink answered ${outcome.statusCode}`
    case 'unreachable':
      return outcome.error
    case 'orphaned':
      return 'subscription not found'
  }
}

/** The error of an attempt as its record keeps it: why no answer came, `null` when one did. */
export function attemptError(outcome: AttemptOutcome): string | null {
  return outcome.kind === 'answered' ? null : failureOf(outcome)
}

/**
 * After attempt number `attempts` (1 for the first): 2xx is delivered; 410 Gone ends the
 * subscription, as the listener no longer wants it (CAMARA ESG); an orphan, or a failure at
 * `maxAttempts`, gives up; any other failure is retried after {@link backoff}, or after the
 * sink's `Retry-After` (429/503) when that is longer, never beyond `maxBackoffMs`. A refused
 * sink address is retried like any other failure: DNS answers change back (a misconfiguration
 * being fixed), and a retry only resolves again, nothing is sent.
 */
export function decideDelivery(input: {
  outcome: AttemptOutcome
  attempts: number
  config: Pick<DeliveryConfig, 'maxAttempts' | 'baseBackoffMs' | 'maxBackoffMs'>
  /** Epoch ms. */
  now: number
  random?: Random
}): DeliveryDecision {
  const { outcome, attempts, config, now } = input
  if (outcome.kind === 'answered' && outcome.statusCode >= 200 && outcome.statusCode < 300)
    return { action: 'delivered' }
  const lastError = failureOf(outcome)
  if (outcome.kind === 'answered' && outcome.statusCode === 410)
    return { action: 'end-subscription', lastError }
  if (outcome.kind === 'orphaned' || attempts >= config.maxAttempts)
    return { action: 'give-up', lastError }
  // A sink that asked for time (429/503 with Retry-After) gets at least that, within the cap.
  const asked = outcome.kind === 'answered' ? retryAfterMs(outcome, now) : undefined
  const wait = Math.min(
    config.maxBackoffMs,
    Math.max(backoff(config, attempts, input.random), asked ?? 0),
  )
  return { action: 'retry', at: now + wait, lastError }
}

/** Why a subscription ends by time, if it does (CAMARA ESG `terminationReason`). */
export type TimeEnding = 'SUBSCRIPTION_EXPIRED' | 'ACCESS_TOKEN_EXPIRED'

/**
 * Whether a live subscription has run out at `now` (epoch ms): its expiry passed
 * (SUBSCRIPTION_EXPIRED), or its sink token expires within `tokenExpiryNoticeMs`
 * (ACCESS_TOKEN_EXPIRED: ended while the token still works, so the sink can be told).
 */
export function timeEnding(
  subscription: { expiresAt: string | null; sinkExpiresAt: string | null },
  now: number,
  config: Pick<DeliveryConfig, 'tokenExpiryNoticeMs'>,
): TimeEnding | undefined {
  const at = new Date(now).toISOString()
  const soon = new Date(now + config.tokenExpiryNoticeMs).toISOString()
  if (subscription.expiresAt !== null && subscription.expiresAt <= at) return 'SUBSCRIPTION_EXPIRED'
  if (subscription.sinkExpiresAt !== null && subscription.sinkExpiresAt <= soon)
    return 'ACCESS_TOKEN_EXPIRED'
  return undefined
}
