import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { cloudEvent } from '../../src/notifications/cloud-event.js'
import {
  startDeliveryWorker,
  type DeliveryLog,
  type DeliveryWorker,
} from '../../src/notifications/delivery.js'
import { DEFAULT_DELIVERY } from '../../src/notifications/delivery-policy.js'
import type { Store } from '../../src/store/store.js'
import type { Subscription } from '../../src/store/subscriptions.js'
import { endExpiredSubscriptions } from '../../src/subscriptions/expiry.js'
import { bareStore, subscriptionFixture } from '../helpers/bare-store.js'
import { startTestGateway, type TestGateway } from '../helpers/gateway.js'
import { manualClock, type ManualClock } from '../helpers/clock.js'
import { Receiver } from '../helpers/receiver.js'

/**
 * The delivery loop on a store of its own, with a clock that stands still until a test moves
 * it: backoff, Retry-After and expiry are seen to happen exactly when the clock says, without
 * waiting for them. Only the sink is real time: a local HTTP receiver.
 */

const API = 'device-roaming-status-subscriptions'
const PREFIX = `org.camaraproject.${API}.v0.`
const T0 = Date.parse('2031-03-01T08:00:00.000Z')
const HOUR = 3_600_000
const SOURCE = 'http://gateway.test/device-roaming-status-subscriptions/v0.8'

/** Polls `check` every few ms until it holds (I/O to finish, not time to pass); fails after 5 s. */
async function until<T>(check: () => Promise<T | undefined | false>, what: string): Promise<T> {
  for (let i = 0; i < 1000; i++) {
    const value = await check()
    if (value !== undefined && value !== false) return value
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
  throw new Error(`timed out waiting for ${what}`)
}

/** The notification once attempt number `attempts` of it has been settled. */
const settledAfter = (store: Store, id: string, attempts: number) =>
  until(async () => {
    const n = await store.notifications.byId(id)
    return n?.attempts === attempts && n.lockedUntil === null && n
  }, `attempt ${attempts} of ${id} to settle`)

/** A subscription whose sink is `sink`, with a bearer token, naming its device in events. */
const subscription = (id: string, sink: string, changes: Partial<Subscription> = {}) =>
  subscriptionFixture(id, {
    sink,
    sinkCredential: { credentialType: 'ACCESSTOKEN', accessTokenType: 'bearer', accessToken: 't' },
    config: { subscriptionDetail: { device: { phoneNumber: '+34600000001' } } },
    usedIdentifier: { phoneNumber: '+34600000001' },
    ...changes,
  })

describe('delivery worker on a controlled clock', () => {
  const bare = bareStore()
  let receiver: Receiver | undefined
  let time: ManualClock
  const now = () => time.clock().getTime()
  let worker: DeliveryWorker | undefined
  /** When (on the clock) the sink was called. */
  const calls: number[] = []
  let answers: (() => number | { status: number; headers: Record<string, string> })[]
  const warnings: string[] = []
  const log = {
    warn: (_: object, message: string) => warnings.push(message),
    error: (_: object, message: string) => warnings.push(message),
  } satisfies DeliveryLog

  after(async () => {
    await worker?.stop()
    await receiver?.stop()
  })

  /**
   * A fresh sink, worker and clock at T0; the jitter at its top, so a wait is base·2^(attempt−1).
   * The sink answers from `answers` in turn, then 204.
   */
  async function start(store: Store): Promise<Receiver> {
    await worker?.stop()
    await receiver?.stop()
    calls.length = 0
    warnings.length = 0
    answers = []
    time = manualClock(new Date(T0))
    const sink = await new Receiver().start()
    receiver = sink
    sink.respond = () => {
      calls.push(now())
      return answers.shift()?.() ?? 204
    }
    worker = startDeliveryWorker({
      store,
      sinkPolicy: { allowLoopback: true, allowPrivate: false },
      config: { ...DEFAULT_DELIVERY, baseBackoffMs: 60_000, maxBackoffMs: HOUR, pollMs: 10 },
      log,
      clock: time.clock,
      random: () => 1,
      sweep: () =>
        endExpiredSubscriptions({
          store,
          source: () => SOURCE,
          clock: time.clock,
          tokenExpiryNoticeMs: DEFAULT_DELIVERY.tokenExpiryNoticeMs,
        }),
    })
    return sink
  }

  async function enqueue(store: Store, id: string, subscriptionId: string): Promise<void> {
    await store.notifications.enqueue([
      {
        id,
        subscriptionId,
        event: {
          ...cloudEvent({
            source: SOURCE,
            type: `${PREFIX}roaming-on`,
            time: new Date(now()).toISOString(),
            data: { subscriptionId, roaming: true },
          }),
          id,
        },
        nextAttemptAt: now(),
        createdAt: new Date(now()).toISOString(),
      },
    ])
    worker?.kick()
  }

  /** Moves the clock and wakes the worker, as a poll would. */
  const advance = (ms: number) => {
    time.advance(ms)
    worker?.kick()
  }

  it('backoff: a failed attempt is retried exactly when its backoff has passed on the clock, not before', async () => {
    const store = bare.store()
    const sink = await start(store)
    await store.subscriptions.insert(subscription('backoff-sub', sink.url))
    answers = [() => 500, () => 503]
    await enqueue(store, 'backoff-1', 'backoff-sub')

    const first = await settledAfter(store, 'backoff-1', 1)
    assert.deepEqual(
      [first.status, first.nextAttemptAt, first.lastError],
      ['pending', T0 + 60_000, 'sink answered 500'],
    )
    // One millisecond short of the backoff: the worker looks (a kick, then its polls) and waits.
    advance(59_999)
    await new Promise((resolve) => setTimeout(resolve, 50))
    assert.equal(calls.length, 1, 'not retried before its time')

    advance(1)
    const second = await settledAfter(store, 'backoff-1', 2)
    // The second wait doubles: 2 minutes.
    assert.deepEqual(
      [second.status, second.nextAttemptAt, second.lastError],
      ['pending', T0 + 60_000 + 120_000, 'sink answered 503'],
    )
    advance(120_000)
    const delivered = await settledAfter(store, 'backoff-1', 3)
    assert.deepEqual(
      [delivered.status, delivered.deliveredAt],
      ['delivered', new Date(T0 + 180_000).toISOString()],
    )
    assert.deepEqual(calls, [T0, T0 + 60_000, T0 + 180_000])
    const attempts = await store.notifications.attempts('backoff-1')
    assert.deepEqual(
      attempts.map((a) => [a.attempt, a.at, a.statusCode, a.error]),
      [
        [1, new Date(T0).toISOString(), 500, null],
        [2, new Date(T0 + 60_000).toISOString(), 503, null],
        [3, new Date(T0 + 180_000).toISOString(), 204, null],
      ],
    )
    assert.deepEqual(warnings, [], 'nothing went wrong on the way')
  })

  it("Retry-After: a sink's 429 is left alone as long as it asked (within the cap), on the clock", async () => {
    const store = bare.store()
    const sink = await start(store)
    await store.subscriptions.insert(subscription('busy-sub', sink.url))
    answers = [
      () => ({ status: 429, headers: { 'retry-after': '600' } }),
      // An HTTP date beyond the one-hour cap: the cap.
      () => ({
        status: 503,
        headers: { 'retry-after': new Date(T0 + 600_000 + 2 * HOUR).toUTCString() },
      }),
    ]
    await enqueue(store, 'busy-1', 'busy-sub')
    const first = await settledAfter(store, 'busy-1', 1)
    assert.equal(first.nextAttemptAt, T0 + 600_000, 'ten minutes, not the one-minute backoff')
    advance(600_000)
    const second = await settledAfter(store, 'busy-1', 2)
    assert.equal(second.nextAttemptAt, T0 + 600_000 + HOUR)
    advance(HOUR)
    assert.equal((await settledAfter(store, 'busy-1', 3)).status, 'delivered')
    assert.deepEqual(calls, [T0, T0 + 600_000, T0 + 600_000 + HOUR])
  })

  it('expiry: a subscription ends with subscription-ended SUBSCRIPTION_EXPIRED once the clock reaches its expireAt', async () => {
    const store = bare.store()
    const sink = await start(store)
    const expiresAt = new Date(T0 + HOUR).toISOString()
    await store.subscriptions.insert(subscription('expiring-sub', sink.url, { expiresAt }))
    worker?.kick()
    // A minute before: still live, nothing sent.
    advance(HOUR - 60_000)
    await new Promise((resolve) => setTimeout(resolve, 50))
    assert.equal((await store.subscriptions.byId('expiring-sub'))?.status, 'ACTIVE')
    assert.equal(calls.length, 0)

    advance(60_000)
    await sink.waitFor(1, 5000)
    const ended = sink.received.at(-1)
    assert.equal(ended?.body.type, `${PREFIX}subscription-ended`)
    assert.equal(ended?.body.time, expiresAt, 'the event time is the clock’s')
    assert.deepEqual(ended?.body.data, {
      device: { phoneNumber: '+34600000001' },
      subscriptionId: 'expiring-sub',
      terminationReason: 'SUBSCRIPTION_EXPIRED',
      terminationDescription: 'The subscription reached its expiry time.',
    })
    assert.equal(ended?.headers['authorization'], 'Bearer t')
    const row = await store.subscriptions.byId('expiring-sub')
    assert.deepEqual(
      [row?.status, row?.terminationReason, row?.endedAt],
      ['EXPIRED', 'SUBSCRIPTION_EXPIRED', expiresAt],
    )
  })
})

describe('a started gateway on a controlled clock', () => {
  const SCOPES = `${API}:${PREFIX}roaming-on:create ${API}:read ${API}:delete`
  const PATH = `/${API}/v0.8/subscriptions`
  const time = manualClock(new Date())
  const now = () => time.clock().getTime()
  let gw: TestGateway
  let sink: Receiver
  before(async () => {
    // The worker polls every 50 ms.
    gw = await startTestGateway({ NOTIFY_BACKOFF_MS: '50' }, { clock: time.clock })
    sink = await new Receiver().start()
  })
  after(async () => {
    await gw.close()
    await sink.stop()
  })

  it('subscriptionExpireTime: the subscription ends (SUBSCRIPTION_EXPIRED) when the clock gets there, not before', async () => {
    await gw.admin('PUT', '/network/v1/devices/+34612600001', {})
    const expireAt = new Date(now() + 24 * HOUR).toISOString()
    const created = await gw.post(
      PATH,
      {
        protocol: 'HTTP',
        sink: sink.url,
        types: [`${PREFIX}roaming-on`],
        config: {
          subscriptionDetail: { device: { phoneNumber: '+34612600001' } },
          subscriptionExpireTime: expireAt,
        },
      },
      await gw.token2(SCOPES),
    )
    assert.equal(created.status, 201, JSON.stringify(created.body))
    assert.equal(created.body.startsAt, new Date(now()).toISOString(), 'the clock’s time')
    const [started] = await sink.waitFor(1)
    assert.equal(started?.body.type, `${PREFIX}subscription-started`)
    assert.equal(started?.body.time, new Date(now()).toISOString())
    // Settled before the clock jumps: an attempt still in flight would outlive its lease, and the
    // event would be delivered again (at least once).
    await until(async () => {
      const [head] = await gw.store.notifications.list({ subscriptionId: created.body.id })
      return head?.status === 'delivered'
    }, 'subscription-started to be settled')

    // A second short of a day: a poll or two later it is still there.
    time.advance(24 * HOUR - 1000)
    await new Promise((resolve) => setTimeout(resolve, 150))
    assert.equal(sink.received.length, 1)
    assert.equal((await gw.store.subscriptions.byId(created.body.id))?.status, 'ACTIVE')

    time.advance(1000)
    const [, ended] = await sink.waitFor(2, 5000)
    assert.equal(ended?.body.type, `${PREFIX}subscription-ended`)
    assert.equal(ended?.body.time, expireAt)
    assert.equal(ended?.body.data.terminationReason, 'SUBSCRIPTION_EXPIRED')
    const row = await gw.store.subscriptions.byId(created.body.id)
    assert.deepEqual([row?.status, row?.endedAt], ['EXPIRED', expireAt])
  })
})
