import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import {
  attemptError,
  backoff,
  decideDelivery,
  DEFAULT_DELIVERY,
  retryAfterMs,
  timeEnding,
  type AttemptOutcome,
  type DeliveryDecision,
} from './delivery-policy.js'

const config = { ...DEFAULT_DELIVERY, maxAttempts: 4, baseBackoffMs: 1000, maxBackoffMs: 60_000 }
const NOW = Date.parse('2026-12-06T12:00:00.000Z')
/** The jitter at its top: the wait is the whole ceiling, base·2^(attempt−1). */
const top = () => 1

const decide = (outcome: AttemptOutcome, attempts: number, random = top): DeliveryDecision =>
  decideDelivery({ outcome, attempts, config, now: NOW, random })
const answered = (statusCode: number, retryAfter?: string): AttemptOutcome => ({
  kind: 'answered',
  statusCode,
  ...(retryAfter === undefined ? {} : { retryAfter }),
})

describe('delivery policy: what follows an attempt', () => {
  it('a 2xx answer is delivered, at any attempt', () => {
    for (const status of [200, 201, 202, 204, 299])
      for (const attempts of [1, 4, 9])
        assert.deepEqual(decide(answered(status), attempts), { action: 'delivered' }, `${status}`)
  })

  it('410 Gone ends the subscription at once, even on the first attempt and past the last', () => {
    for (const attempts of [1, 2, 4, 5])
      assert.deepEqual(decide(answered(410), attempts), {
        action: 'end-subscription',
        lastError: 'sink answered 410',
      })
  })

  it('an orphan (its subscription is gone) gives up at once, having sent nothing', () => {
    assert.deepEqual(decide({ kind: 'orphaned' }, 1), {
      action: 'give-up',
      lastError: 'subscription not found',
    })
  })

  it('any other failure at maxAttempts gives up, with the last error', () => {
    const table: [AttemptOutcome, string][] = [
      [answered(500), 'sink answered 500'],
      [answered(503, '30'), 'sink answered 503'],
      [answered(429, '30'), 'sink answered 429'],
      [answered(404), 'sink answered 404'],
      [answered(302), 'sink answered 302'],
      [{ kind: 'unreachable', error: 'TimeoutError: no answer' }, 'TimeoutError: no answer'],
      [
        { kind: 'unreachable', error: 'sink address 10.0.0.1 is private' },
        'sink address 10.0.0.1 is private',
      ],
    ]
    for (const [outcome, lastError] of table) {
      assert.deepEqual(decide(outcome, 4), { action: 'give-up', lastError })
      assert.deepEqual(decide(outcome, 5), { action: 'give-up', lastError })
    }
  })

  it('before maxAttempts every other failure is retried after the backoff: 4xx, 5xx, 3xx, no answer', () => {
    const table: [AttemptOutcome, string][] = [
      [answered(500), 'sink answered 500'],
      [answered(400), 'sink answered 400'],
      [answered(401), 'sink answered 401'],
      [answered(404), 'sink answered 404'],
      [answered(301), 'sink answered 301'],
      [answered(0), 'sink answered 0'],
      [
        { kind: 'unreachable', error: 'Error: connect ECONNREFUSED' },
        'Error: connect ECONNREFUSED',
      ],
      // A refused address is retried too: a retry only resolves again, nothing is sent.
      [
        { kind: 'unreachable', error: 'sink host a.test cannot be resolved' },
        'sink host a.test cannot be resolved',
      ],
    ]
    for (const [outcome, lastError] of table) {
      assert.deepEqual(decide(outcome, 1), { action: 'retry', at: NOW + 1000, lastError })
      assert.deepEqual(decide(outcome, 3), { action: 'retry', at: NOW + 4000, lastError })
    }
  })

  it('the retry waits between half and all of base·2^(attempt−1), as the jitter draws', () => {
    const at = (attempts: number, random: () => number) => {
      const decision = decide(answered(500), attempts, random)
      assert.equal(decision.action, 'retry')
      return decision.action === 'retry' ? decision.at - NOW : NaN
    }
    assert.deepEqual([at(1, () => 0), at(1, () => 0.5), at(1, top)], [500, 750, 1000])
    assert.deepEqual([at(3, () => 0), at(3, () => 0.25), at(3, top)], [2000, 2500, 4000])
  })

  it('Retry-After on 429 and 503 is honoured when longer than the backoff, within the cap', () => {
    const wait = (outcome: AttemptOutcome, attempts = 1) => {
      const decision = decide(outcome, attempts)
      assert.equal(decision.action, 'retry')
      return decision.action === 'retry' ? decision.at - NOW : NaN
    }
    const inTwoMinutes = new Date(NOW + 120_000).toUTCString()
    const table: [AttemptOutcome, number][] = [
      [answered(429, '30'), 30_000],
      [answered(503, '30'), 30_000],
      [answered(429, ' 5 '), 5000],
      // Shorter than the backoff: the backoff wins.
      [answered(429, '0'), 1000],
      // Beyond the cap: the cap.
      [answered(503, '3600'), 60_000],
      // An HTTP date: the time left until then, within the cap.
      [answered(429, new Date(NOW + 20_000).toUTCString()), 20_000],
      [answered(429, inTwoMinutes), 60_000],
      // A date in the past, or not a date: the backoff.
      [answered(503, new Date(NOW - 20_000).toUTCString()), 1000],
      [answered(503, 'soon'), 1000],
      [answered(503, '-5'), 1000],
      // Only 429 and 503 are asked to wait: other statuses' Retry-After is ignored.
      [answered(500, '30'), 1000],
      [answered(301, '30'), 1000],
    ]
    for (const [outcome, ms] of table) assert.equal(wait(outcome), ms, JSON.stringify(outcome))
    // A longer backoff wins over a shorter Retry-After.
    assert.equal(wait(answered(429, '2'), 3), 4000)
  })

  it('the attempt record keeps the error of an attempt that got no answer, none for an answer', () => {
    assert.equal(attemptError(answered(500)), null)
    assert.equal(attemptError(answered(204)), null)
    assert.equal(attemptError({ kind: 'unreachable', error: 'TimeoutError: x' }), 'TimeoutError: x')
    assert.equal(attemptError({ kind: 'orphaned' }), 'subscription not found')
  })
})

describe('delivery policy: backoff and Retry-After', () => {
  it('backoff doubles per attempt from the base and stops at the cap', () => {
    const capped = { baseBackoffMs: 1000, maxBackoffMs: 10_000 }
    assert.deepEqual(
      [0, 1, 2, 3, 4, 5, 10, 60].map((n) => backoff(capped, n, top)),
      [1000, 1000, 2000, 4000, 8000, 10_000, 10_000, 10_000],
    )
    assert.deepEqual(
      [1, 2, 3, 5].map((n) => backoff(capped, n, () => 0)),
      [500, 1000, 2000, 5000],
    )
  })

  it('retryAfterMs: seconds or an HTTP date, only on 429 and 503', () => {
    const table: [number, string | undefined, number | undefined][] = [
      [429, '7', 7000],
      [503, '0', 0],
      [429, new Date(NOW + 1500).toUTCString(), 1000], // HTTP dates have whole seconds
      [429, new Date(NOW - 1500).toUTCString(), 0],
      [429, undefined, undefined],
      [429, '', undefined],
      [429, 'tomorrow', undefined],
      [500, '7', undefined],
      [200, '7', undefined],
    ]
    for (const [statusCode, retryAfter, ms] of table) {
      const answer = { statusCode, ...(retryAfter === undefined ? {} : { retryAfter }) }
      assert.equal(retryAfterMs(answer, NOW), ms, `${statusCode} ${String(retryAfter)}`)
    }
  })
})

describe('delivery policy: subscriptions that end by time', () => {
  const notice = { tokenExpiryNoticeMs: 60_000 }
  const iso = (ms: number) => new Date(NOW + ms).toISOString()
  const table: [string | null, string | null, ReturnType<typeof timeEnding>][] = [
    [null, null, undefined],
    [iso(1), null, undefined],
    [iso(0), null, 'SUBSCRIPTION_EXPIRED'],
    [iso(-1), null, 'SUBSCRIPTION_EXPIRED'],
    // The sink token ends the subscription a notice ahead of its expiry, while it still works.
    [null, iso(60_001), undefined],
    [null, iso(60_000), 'ACCESS_TOKEN_EXPIRED'],
    [null, iso(30_000), 'ACCESS_TOKEN_EXPIRED'],
    [null, iso(-1), 'ACCESS_TOKEN_EXPIRED'],
    // Both due: the subscription's own expiry is the reason.
    [iso(-1), iso(30_000), 'SUBSCRIPTION_EXPIRED'],
    [iso(30_000), iso(30_000), 'ACCESS_TOKEN_EXPIRED'],
  ]
  it('expiry passed: SUBSCRIPTION_EXPIRED; sink token within the notice: ACCESS_TOKEN_EXPIRED', () => {
    for (const [expiresAt, sinkExpiresAt, reason] of table)
      assert.equal(
        timeEnding({ expiresAt, sinkExpiresAt }, NOW, notice),
        reason,
        `${String(expiresAt)} ${String(sinkExpiresAt)}`,
      )
  })
})
