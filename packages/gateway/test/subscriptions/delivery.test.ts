import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { backoff, DEFAULT_DELIVERY } from '../../src/notifications/delivery-policy.js'
import { refusedAddress } from '../../src/notifications/sink-policy.js'
import { startTestGateway, type TestGateway } from '../helpers/gateway.js'
import { Receiver } from '../helpers/receiver.js'
import {
  ROAMING_API as API,
  ROAMING_PREFIX as PREFIX,
  subscribeToRoaming,
} from '../helpers/roaming-subscription.js'

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

describe('notification delivery', () => {
  let gw: TestGateway
  let token: string
  before(async () => {
    gw = await startTestGateway({
      NOTIFY_BACKOFF_MS: '40',
      NOTIFY_MAX_ATTEMPTS: '4',
      NOTIFY_TIMEOUT_MS: '300',
    })
    token = await gw.token2(`${API}:${PREFIX}roaming-status:create ${API}:read ${API}:delete`)
  })
  after(() => gw.close())

  const subscribe = (sink: Receiver, phoneNumber: string) =>
    subscribeToRoaming(gw, token, sink.url, phoneNumber)
  const toggle = async (phoneNumber: string, times: number) => {
    for (let i = 0; i < times; i++) {
      await gw.admin('PATCH', `/network/v1/devices/${phoneNumber}`, {
        roaming: i % 2 === 0 ? { countryCode: 208 } : false,
      })
    }
  }

  it('retries a failing sink with backoff, keeps the event id, and keeps order per subscription', async () => {
    const sink = await new Receiver().start()
    try {
      const attemptsById = new Map<string, number>()
      sink.respond = (event) => {
        const n = (attemptsById.get(event.id) ?? 0) + 1
        attemptsById.set(event.id, n)
        return n < 3 ? 503 : 204 // every event fails twice first
      }
      await gw.admin('PUT', '/network/v1/devices/+34612000001', {})
      await subscribe(sink, '+34612000001')
      await toggle('+34612000001', 4)
      // subscription-started, then the four changes.
      const events = await sink.waitFor(5, 10_000)
      assert.deepEqual(
        events.map((e) => [e.body.type.slice(PREFIX.length), e.body.data.roaming]),
        [
          ['subscription-started', undefined],
          ['roaming-status', true],
          ['roaming-status', false],
          ['roaming-status', true],
          ['roaming-status', false],
        ],
        'order kept through retries',
      )
      assert.equal(attemptsById.size, 5)
      assert.ok(
        [...attemptsById.values()].every((n) => n === 3),
        'each event id was tried three times',
      )
      // The sink saw the last event a moment before the gateway recorded it as delivered.
      let mine: any[] = []
      for (let i = 0; i < 50 && mine.length < 5; i++) {
        const deliveries = await gw.admin('GET', `/admin/v1/deliveries?status=delivered&limit=10`)
        mine = deliveries.body.filter((d: { id: string }) => attemptsById.has(d.id))
        if (mine.length < 5) await sleep(20)
      }
      assert.equal(mine.length, 5)
      for (const d of mine) {
        assert.deepEqual(
          d.history.map((h: { statusCode: number }) => h.statusCode),
          [503, 503, 204],
        )
        const [first, second] = d.history.map((h: { at: string }) => Date.parse(h.at))
        assert.ok(second - first >= 15, 'waited before retrying')
      }
    } finally {
      await sink.stop()
    }
  })

  it('gives up after NOTIFY_MAX_ATTEMPTS: failed and visible with its attempts; later events still flow', async () => {
    const sink = await new Receiver().start()
    try {
      // The sink takes the subscription-started, and always fails the first state event.
      let first: string | undefined
      sink.respond = (event) => {
        if (event.type === PREFIX + 'subscription-started') return 204
        first ??= event.id
        return event.id === first ? 500 : 204
      }
      await gw.admin('PUT', '/network/v1/devices/+34612000002', {})
      const id = await subscribe(sink, '+34612000002')
      await toggle('+34612000002', 2)
      const received = await sink.waitFor(2, 10_000)
      assert.deepEqual(
        received.map((e) => [e.body.type.slice(PREFIX.length), e.body.data.roaming]),
        [
          ['subscription-started', undefined],
          ['roaming-status', false],
        ],
        'the second event arrives after the first failed for good',
      )
      const failed = await gw.admin(
        'GET',
        `/admin/v1/deliveries?status=failed&subscriptionId=${id}`,
      )
      assert.equal(failed.body.length, 1)
      assert.equal(failed.body[0].id, first)
      assert.equal(failed.body[0].attempts, 4)
      assert.equal(failed.body[0].lastError, 'sink answered 500')
      assert.equal(failed.body[0].history.length, 4)
    } finally {
      await sink.stop()
    }
  })

  it('a slow sink times out and does not hold up another subscription', async () => {
    const slow = await new Receiver().start()
    const fast = await new Receiver().start()
    try {
      slow.respond = () => sleep(2000).then(() => 204)
      await gw.admin('PUT', '/network/v1/devices/+34612000003', {})
      await gw.admin('PUT', '/network/v1/devices/+34612000004', {})
      await subscribe(slow, '+34612000003')
      await subscribe(fast, '+34612000004')
      // The fast sink's subscription-started arrives while the slow one's is still held up.
      await fast.waitFor(1, 1500)
      const started = Date.now()
      await toggle('+34612000003', 1)
      await toggle('+34612000004', 1)
      const [, event] = await fast.waitFor(2, 1500)
      assert.ok(Date.now() - started < 1500)
      assert.equal(event?.body.type, PREFIX + 'roaming-status')
      // The fast sink got its event before the slow attempt even timed out; then the timeout cuts it off.
      let slowOne: unknown
      for (let i = 0; i < 40 && slowOne === undefined; i++) {
        const deliveries = await gw.admin('GET', '/admin/v1/deliveries?limit=50')
        slowOne = deliveries.body.find((d: { history: { error: string | null }[] }) =>
          d.history.some((h) => /Timeout|abort/i.test(h.error ?? '')),
        )
        if (slowOne === undefined) await sleep(50)
      }
      assert.ok(slowOne, 'the slow attempt was cut off by the timeout')
    } finally {
      await slow.stop()
      await fast.stop()
    }
  })

  it('backoff doubles with jitter and is capped; SSRF ranges are refused', () => {
    const config = { ...DEFAULT_DELIVERY, baseBackoffMs: 1000, maxBackoffMs: 10_000 }
    assert.deepEqual(
      [1, 2, 3, 4, 5, 10].map((n) => backoff(config, n, () => 1)),
      [1000, 2000, 4000, 8000, 10_000, 10_000],
    )
    assert.deepEqual(
      [1, 2, 3].map((n) => backoff(config, n, () => 0)),
      [500, 1000, 2000],
    )
    const policy = { allowLoopback: false, allowPrivate: false }
    for (const address of [
      '127.0.0.1',
      '::1',
      '10.1.2.3',
      '172.20.0.1',
      '192.168.1.1',
      '169.254.169.254',
      '100.64.0.1',
      'fe80::1',
      'fd00::1',
      '0.0.0.0',
      '::ffff:10.0.0.1',
    ]) {
      assert.ok(refusedAddress(address, policy), address)
    }
    assert.equal(refusedAddress('93.184.215.14', policy), undefined)
    assert.equal(
      refusedAddress('127.0.0.1', { allowLoopback: true, allowPrivate: false }),
      undefined,
    )
    assert.ok(refusedAddress('10.0.0.1', { allowLoopback: true, allowPrivate: false }))
  })
})
