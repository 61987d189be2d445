import assert from 'node:assert/strict'
import { after, describe, it } from 'node:test'
import type { NetworkEvent } from '../../src/core/device.js'
import { cloudEvent } from '../../src/notifications/cloud-event.js'
import {
  startDeliveryWorker,
  type ClaimedNotification,
  type DeliveryWorker,
} from '../../src/notifications/delivery.js'
import { DEFAULT_DELIVERY } from '../../src/notifications/delivery-policy.js'
import type { NewNotification } from '../../src/store/notifications.js'
import type { Store } from '../../src/store/store.js'
import { fanOutChunk } from '../../src/subscriptions/fan-out.js'
import { networkEventSink } from '../../src/subscriptions/ingest.js'
import { bareStore, subscriptionFixture } from '../helpers/bare-store.js'
import { Receiver } from '../helpers/receiver.js'

/**
 * Notifications that reach the delivery worker already claimed: the heads a change writes
 * (`enqueueClaimed`, handed over after the commit) and the next of a line, claimed by the settle
 * of its head (`promoteAndClaimNextOf`). A claim never hands them out while their lease holds,
 * and does once it lapses (at least once). On SQLite and (TEST_STORE=postgres) PostgreSQL.
 */

const PREFIX = 'org.camaraproject.device-roaming-status-subscriptions.v0.'
const SOURCE = 'http://gateway.test/device-roaming-status-subscriptions/v0.8'
const T0 = Date.parse('2031-03-01T08:00:00.000Z')

/** A roaming-on notification for `subscriptionId`, due at T0. */
function note(id: string, subscriptionId: string): NewNotification {
  return {
    id,
    subscriptionId,
    event: {
      ...cloudEvent({
        source: SOURCE,
        type: `${PREFIX}roaming-on`,
        time: new Date(T0).toISOString(),
        data: { subscriptionId },
      }),
      id,
    },
    nextAttemptAt: T0,
    createdAt: new Date(T0).toISOString(),
  }
}

const ids = (rows: readonly { id: string }[]) => rows.map((r) => r.id)

describe('claimed at write (store)', () => {
  const bare = bareStore()

  it('enqueueClaimed leases exactly the new heads; a claim skips them until the lease lapses', async () => {
    const store = bare.store()
    await store.subscriptions.insertMany([
      subscriptionFixture('lease-a'),
      subscriptionFixture('lease-b'),
    ])
    // lease-b already has a head (pending, unclaimed): its new notification queues behind it.
    await store.notifications.enqueue([note('b-1', 'lease-b')])
    const lease = T0 + 30_000
    const heads = await store.notifications.enqueueClaimed(
      [note('a-1', 'lease-a'), note('a-2', 'lease-a'), note('b-2', 'lease-b')],
      lease,
    )
    assert.deepEqual(ids(heads), ['a-1'])
    assert.equal(heads[0]?.lockedUntil, lease)
    assert.equal(heads[0]?.status, 'pending')
    assert.equal((await store.notifications.byId('a-1'))?.lockedUntil, lease)
    assert.equal((await store.notifications.byId('a-2'))?.status, 'queued')
    assert.equal((await store.notifications.byId('b-2'))?.status, 'queued')
    // Within the lease a claim gets only the unclaimed head.
    assert.deepEqual(ids(await store.notifications.claimDue(T0 + 1000, 10, 60_000)), ['b-1'])
    // The worker that held a-1 died: after the lease the head is claimed again.
    assert.deepEqual(ids(await store.notifications.claimDue(lease + 1, 10, 5000)), ['a-1'])
    // Without a lease, enqueueClaimed answers nothing new and writes the same lines as enqueue.
    assert.deepEqual(await store.notifications.enqueueClaimed([], lease), [])
  })

  it('promoteAndClaimNextOf claims the promoted heads, in line order, for the settling worker', async () => {
    const store = bare.store()
    await store.subscriptions.insertMany([
      subscriptionFixture('next-a'),
      subscriptionFixture('next-b'),
      subscriptionFixture('next-c'),
    ])
    const lease = T0 + 30_000
    await store.notifications.enqueueClaimed(
      [
        note('na-1', 'next-a'),
        note('na-2', 'next-a'),
        note('na-3', 'next-a'),
        note('nb-1', 'next-b'),
        note('nb-2', 'next-b'),
        note('nc-1', 'next-c'),
      ],
      lease,
    )
    const settled = await store.notifications.settleDelivered(
      ['na-1', 'nb-1'].map((id) => ({ id, lease, deliveredAt: new Date(T0).toISOString() })),
    )
    assert.deepEqual([...settled].sort(), ['na-1', 'nb-1'])
    const next = lease + 10_000
    // next-c's head is still pending: nothing of it is promoted.
    const promoted = await store.notifications.promoteAndClaimNextOf(
      ['next-a', 'next-b', 'next-c'],
      T0 + 5,
      next,
    )
    assert.deepEqual(ids(promoted), ['na-2', 'nb-2'])
    for (const n of promoted) {
      assert.equal(n.status, 'pending')
      assert.equal(n.lockedUntil, next)
      assert.equal(n.nextAttemptAt, T0 + 5)
    }
    assert.equal((await store.notifications.byId('na-3'))?.status, 'queued')
    // nc-1's lease lapsed first; the promoted ones are held until theirs does.
    const mine = (rows: readonly { id: string }[]) => ids(rows).filter((id) => id.startsWith('n'))
    assert.deepEqual(mine(await store.notifications.claimDue(lease + 1, 10, 60_000)), ['nc-1'])
    assert.deepEqual(mine(await store.notifications.claimDue(next + 1, 10, 5000)), ['na-2', 'nb-2'])
  })
})

describe('claimed at write (fan-out worker)', () => {
  const bare = bareStore()

  /** Queues one roaming change of `device` for the fan-out worker (nothing fanned out inline). */
  async function queue(store: Store, device: string, id: string) {
    const door = networkEventSink({
      store,
      outbox: { source: () => SOURCE },
      clock: () => new Date(),
      kick: () => undefined,
      inlineMax: 0,
    })
    const event: NetworkEvent = {
      id,
      deviceId: device,
      phoneNumber: '+34600000001',
      type: 'roaming',
      before: { roamingCountryCode: null },
      after: { roamingCountryCode: 262 },
      occurredAt: new Date().toISOString(),
    }
    await door.ingest(() => Promise.resolve({ events: [event], result: undefined }))
  }

  it('a chunk hands its heads over claimed; when the worker takes no more, it writes them for a claim', async () => {
    const store = bare.store()
    await store.subscriptions.insertMany(
      Array.from({ length: 6 }, (_, i) =>
        subscriptionFixture(`chunk-${i}`, {
          deviceId: 'dev-chunk',
          types: [`${PREFIX}roaming-status`],
        }),
      ),
    )
    // chunk-0 already has a head: its notification queues behind it and is not handed over.
    await store.notifications.enqueue([note('chunk-0-first', 'chunk-0')])
    await queue(store, 'dev-chunk', 'chunk-event-1')
    const handed: ClaimedNotification[] = []
    const lease = Date.now() + 60_000
    const taking = {
      leaseUntil: () => lease,
      take: (c: readonly ClaimedNotification[]) => handed.push(...c),
    }
    const first = await fanOutChunk(
      { store, outbox: { source: () => SOURCE }, clock: () => new Date(), delivery: taking },
      1000,
    )
    assert.deepEqual(first, { claimed: 1, written: 1 })
    assert.deepEqual(
      handed.map((c) => [
        c.notification.subscriptionId,
        c.notification.lockedUntil,
        c.subscription?.id,
      ]),
      [1, 2, 3, 4, 5].map((i) => [`chunk-${i}`, lease, `chunk-${i}`]),
    )
    // A worker that holds enough already (or is stopping) is given nothing: the heads wait unclaimed.
    await queue(store, 'dev-chunk', 'chunk-event-2')
    await store.subscriptions.insertMany([
      subscriptionFixture('chunk-6', { deviceId: 'dev-chunk', types: [`${PREFIX}roaming-status`] }),
    ])
    await queue(store, 'dev-chunk', 'chunk-event-3')
    const full = { leaseUntil: () => undefined, take: () => assert.fail('nothing to take') }
    for (;;) {
      const { claimed } = await fanOutChunk(
        { store, outbox: { source: () => SOURCE }, clock: () => new Date(), delivery: full },
        1000,
      )
      if (claimed === 0) break
    }
    const heads = await store.notifications.list({ subscriptionId: 'chunk-6', status: 'pending' })
    assert.deepEqual(
      heads.map((n) => [n.networkEventId, n.lockedUntil]),
      [['chunk-event-3', null]],
    )
  })
})

describe('claimed at write (delivery worker and the network event door)', () => {
  const bare = bareStore()
  const workers: DeliveryWorker[] = []
  const receivers: Receiver[] = []
  after(async () => {
    await stopAll()
    for (const r of receivers) await r.stop()
  })

  /** The store, with the notifications each claim handed out recorded in `claims`. */
  function counting(store: Store, claims: string[]): Store {
    return {
      ...store,
      notifications: {
        ...store.notifications,
        async claimDue(now, limit, leaseMs) {
          const rows = await store.notifications.claimDue(now, limit, leaseMs)
          claims.push(...ids(rows))
          return rows
        },
      },
    }
  }

  /** Stops the workers of earlier tests: they share the store, and would claim this test's work. */
  async function stopAll() {
    for (const w of workers.splice(0)) await w.stop()
  }

  function worker(store: Store): DeliveryWorker {
    const started = startDeliveryWorker({
      store,
      sinkPolicy: { allowLoopback: true, allowPrivate: false },
      config: { ...DEFAULT_DELIVERY, pollMs: 20 },
      log: { warn: () => undefined, error: () => undefined },
      clock: () => new Date(),
    })
    workers.push(started)
    return started
  }

  /** The store (claims counted), a sink, and no worker of an earlier test left running. */
  async function fresh() {
    await stopAll()
    const claims: string[] = []
    const sink = await new Receiver().start()
    receivers.push(sink)
    return { store: counting(bare.store(), claims), claims, sink }
  }

  /**
   * The worker once it takes claimed work: its first claim (nothing due) tells it that nothing
   * unclaimed waits. Fails after 1 s.
   */
  async function taking(delivery: DeliveryWorker): Promise<DeliveryWorker> {
    for (let i = 0; i < 200 && delivery.leaseUntil() === undefined; i++)
      await new Promise((resolve) => setTimeout(resolve, 5))
    assert.notEqual(delivery.leaseUntil(), undefined, 'the worker takes claimed work')
    return delivery
  }

  let events = 0
  /** Roaming changes of `device` through the door, one transaction each. */
  async function change(
    door: ReturnType<typeof networkEventSink>,
    device: string,
    countries: (number | null)[],
  ) {
    let before: number | null = null
    for (const country of countries) {
      const event: NetworkEvent = {
        id: `handover-event-${++events}`,
        deviceId: device,
        phoneNumber: '+34600000001',
        type: 'roaming',
        before: { roamingCountryCode: before },
        after: { roamingCountryCode: country },
        occurredAt: new Date().toISOString(),
      }
      await door.ingest(() => Promise.resolve({ events: [event], result: undefined }))
      before = country
    }
  }

  it("delivers a change's notifications, line after line, none of them through a claim", async () => {
    const { store, claims, sink } = await fresh()
    await store.subscriptions.insertMany(
      ['hand-1', 'hand-2'].map((id) =>
        subscriptionFixture(id, {
          deviceId: 'dev-hand',
          sink: sink.url,
          types: [`${PREFIX}roaming-status`],
        }),
      ),
    )
    const delivery = await taking(worker(store))
    const door = networkEventSink({
      store,
      outbox: { source: () => SOURCE },
      clock: () => new Date(),
      kick: () => delivery.kick(),
      delivery,
    })
    await change(door, 'dev-hand', [262, null, 208, null])
    const received = await sink.waitFor(8)
    // Each subscription's events in the order of the changes.
    for (const id of ['hand-1', 'hand-2']) {
      const countries = received
        .filter((r) => r.body.data.subscriptionId === id)
        .map((r) => r.body.data.countryCode ?? null)
      assert.deepEqual(countries, [262, null, 208, null], id)
    }
    // Heads were handed over by the changes, the rest by the settles: no claim found any.
    assert.deepEqual(claims, [])
    // The last answer is settled just after it arrived.
    let rows = await store.notifications.list({ subscriptionId: 'hand-1' })
    for (let i = 0; i < 200 && rows.some((n) => n.status !== 'delivered'); i++) {
      await new Promise((resolve) => setTimeout(resolve, 5))
      rows = await store.notifications.list({ subscriptionId: 'hand-1' })
    }
    assert.deepEqual(
      rows.map((n) => [n.status, n.lockedUntil]),
      rows.map(() => ['delivered', null]),
    )
  })

  it('while unclaimed notifications may wait, none is given to the worker claimed: its claims take them in order', async () => {
    const { store, claims, sink } = await fresh()
    await store.subscriptions.insertMany([subscriptionFixture('wait-1', { sink: sink.url })])
    const delivery = await taking(worker(store))
    // A commit wrote an unclaimed head (another path, or a worker that held too much): the kick
    // stops the hand-overs until a claim has taken what waits.
    await store.notifications.enqueue([
      { ...note('wait-first', 'wait-1'), nextAttemptAt: Date.now() },
    ])
    delivery.kick()
    assert.equal(delivery.leaseUntil(), undefined)
    await sink.waitFor(1)
    assert.deepEqual(claims, ['wait-first'])
    await taking(delivery)
  })

  it('settle groups: on PostgreSQL several are written at once, and every line still gets each notification once, in order', async () => {
    const { store: counted, sink } = await fresh()
    // Each settle transaction is held open 30 ms, so groups that end meanwhile must wait for it
    // (SQLite: one connection) or be written beside it (PostgreSQL: up to four at once).
    let open = 0
    let most = 0
    const store: Store = {
      ...counted,
      transaction: (work) =>
        counted.transaction(async (trx) => {
          most = Math.max(most, ++open)
          try {
            await new Promise((resolve) => setTimeout(resolve, 30))
            return await work(trx)
          } finally {
            open--
          }
        }),
    }
    const lines = Array.from({ length: 120 }, (_, i) => `par-${String(i).padStart(3, '0')}`)
    await store.subscriptions.insertMany(
      lines.map((id) => subscriptionFixture(id, { sink: sink.url })),
    )
    await store.notifications.enqueue(
      lines.flatMap((id) =>
        [1, 2, 3].map((k) => ({ ...note(`${id}-${k}`, id), nextAttemptAt: Date.now() })),
      ),
    )
    worker(store).kick()
    const received = await sink.waitFor(lines.length * 3, 20_000)
    const got = received.map((r) => r.body.id as string)
    assert.equal(new Set(got).size, got.length, 'no notification delivered twice')
    for (const id of lines)
      assert.deepEqual(
        got.filter((n) => n.startsWith(`${id}-`)),
        [`${id}-1`, `${id}-2`, `${id}-3`],
        id,
      )
    if (store.dialect === 'postgres') assert.ok(most > 1 && most <= 4, `${most} groups at once`)
    else assert.equal(most, 1)
  })

  it('a worker that is stopping takes nothing: the change writes unclaimed heads and kicks', async () => {
    const { store, claims, sink } = await fresh()
    await store.subscriptions.insertMany([
      subscriptionFixture('stop-1', {
        deviceId: 'dev-stop',
        sink: sink.url,
        types: [`${PREFIX}roaming-status`],
      }),
    ])
    const stopped = worker(store)
    await stopped.stop()
    assert.equal(stopped.leaseUntil(), undefined)
    const next = worker(store)
    let kicks = 0
    const door = networkEventSink({
      store,
      outbox: { source: () => SOURCE },
      clock: () => new Date(),
      kick: () => {
        kicks++
        next.kick()
      },
      delivery: stopped,
    })
    await change(door, 'dev-stop', [262])
    await sink.waitFor(1)
    assert.equal(kicks, 1)
    assert.equal(claims.length, 1)
  })
})
