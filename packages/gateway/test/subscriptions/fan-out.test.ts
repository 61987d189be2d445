import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { NetworkEvent } from '../../src/core/device.js'
import { openStore, type Store } from '../../src/store/store.js'
import { endSubscription, type OutboxDeps } from '../../src/subscriptions/outbox.js'
import { fanOutChunk } from '../../src/subscriptions/fan-out.js'
import { networkEventSink } from '../../src/subscriptions/ingest.js'
import { bareStore, subscriptionFixture } from '../helpers/bare-store.js'

/**
 * The fan-out worker (subscriptions/fan-out.ts) on a bare store: each subscription gets each
 * event it was there for exactly once, in event order, however the work is cut into chunks,
 * interrupted, or shared by two workers. On SQLite and (TEST_STORE=postgres) PostgreSQL.
 */

const PREFIX = 'org.camaraproject.device-roaming-status-subscriptions.v0.'
const source: OutboxDeps['source'] = () => 'http://gateway.test/roaming'
const clock = () => new Date()

/** Subscribes `count` roaming-status subscriptions of `device` (ids `<prefix>-000` …). */
async function subscribe(store: Store, device: string, prefix: string, count: number) {
  await store.subscriptions.insertMany(
    Array.from({ length: count }, (_, i) =>
      subscriptionFixture(`${prefix}-${String(i).padStart(3, '0')}`, {
        deviceId: device,
        types: [`${PREFIX}roaming-status`],
      }),
    ),
  )
}

let eventCount = 0
/** Records roaming changes of `device` through the network event door, one change each. */
async function record(
  store: Store,
  device: string,
  countries: (number | null)[],
  from: number | null = null,
  inlineMax = 0,
) {
  // inlineMax 0: every event goes through the worker (the gateway's default fans out small
  // devices in the change's transaction).
  const door = networkEventSink({
    store,
    outbox: { source },
    clock,
    kick: () => undefined,
    inlineMax,
  })
  const ids: string[] = []
  let before = from
  for (const after of countries) {
    const event: NetworkEvent = {
      id: `event-${++eventCount}`,
      deviceId: device,
      phoneNumber: '+34600000099',
      type: 'roaming',
      before: { roamingCountryCode: before },
      after: { roamingCountryCode: after },
      occurredAt: new Date().toISOString(),
    }
    await door.ingest(() => Promise.resolve({ events: [event], result: undefined }))
    ids.push(event.id)
    before = after
  }
  return ids
}

/** Runs chunks until nothing is queued. */
async function drain(store: Store, chunk: number) {
  for (;;) {
    const { claimed } = await fanOutChunk({ store, outbox: { source }, clock }, chunk)
    if (claimed === 0) return
  }
}

/** The network events of a subscription's notifications in outbox order (null: lifecycle). */
async function causes(store: Store, id: string): Promise<(string | null)[]> {
  const rows = await store.notifications.list({ subscriptionId: id, limit: 1000 })
  return rows.sort((a, b) => a.seq - b.seq).map((n) => n.networkEventId)
}

async function eachSubscription(
  store: Store,
  prefix: string,
  count: number,
  expect: (id: string, got: (string | null)[]) => void,
) {
  for (let i = 0; i < count; i++) {
    const id = `${prefix}-${String(i).padStart(3, '0')}`
    expect(id, await causes(store, id))
  }
}

describe('the fan-out worker (store)', () => {
  const bare = bareStore()

  it('serves every subscription each event once, in event order, across chunks', async () => {
    const store = bare.store()
    await subscribe(store, 'dev-order', 'order', 25)
    const events = await record(store, 'dev-order', [262, null, 208])
    // Nothing is written by the change itself: the worker writes it.
    assert.deepEqual(await causes(store, 'order-000'), [])
    assert.equal(await store.networkEvents.fanOutWaiting(), 3)
    await drain(store, 7)
    assert.equal(await store.networkEvents.fanOutWaiting(), 0)
    await eachSubscription(store, 'order', 25, (id, got) => assert.deepEqual(got, events, id))
  })

  it('leaves out a subscription stored after the event, and serves it the next one', async () => {
    const store = bare.store()
    await subscribe(store, 'dev-late', 'early', 3)
    const [first] = await record(store, 'dev-late', [262])
    await subscribe(store, 'dev-late', 'late', 3)
    const [second] = await record(store, 'dev-late', [null], 262)
    await drain(store, 2)
    await eachSubscription(store, 'early', 3, (id, got) =>
      assert.deepEqual(got, [first, second], id),
    )
    await eachSubscription(store, 'late', 3, (id, got) => assert.deepEqual(got, [second], id))
  })

  it('resumes after a failed chunk without duplicates or gaps', async () => {
    const store = bare.store()
    await subscribe(store, 'dev-crash', 'crash', 20)
    const events = await record(store, 'dev-crash', [262, null])
    await fanOutChunk({ store, outbox: { source }, clock }, 8)
    // A worker that dies mid-chunk (its transaction fails after writing some notifications).
    let failed = false
    const dying: Store = {
      ...store,
      transaction: (work) =>
        store.transaction((trx) =>
          work({
            ...trx,
            notifications: {
              ...trx.notifications,
              async enqueue(batch) {
                await trx.notifications.enqueue(batch)
                failed = true
                throw new Error('the process died')
              },
            },
          }),
        ),
    }
    await assert.rejects(fanOutChunk({ store: dying, outbox: { source }, clock }, 8))
    assert.equal(failed, true)
    // Another worker (or the restarted one) takes over where the last commit left off.
    await drain(store, 8)
    await eachSubscription(store, 'crash', 20, (id, got) => assert.deepEqual(got, events, id))
  })

  it('sends nothing after subscription-ended to a subscription deleted during the fan-out', async () => {
    const store = bare.store()
    await subscribe(store, 'dev-delete', 'del', 20)
    const events = await record(store, 'dev-delete', [262, null])
    // The first chunk serves del-000 … del-009 the first event; then two are deleted: one already
    // served, one not yet.
    await fanOutChunk({ store, outbox: { source }, clock }, 10)
    for (const id of ['del-003', 'del-015']) {
      await store.transaction(async (trx) => {
        const row = await trx.subscriptions.byId(id)
        assert.ok(row)
        await endSubscription({ store: trx, source, clock }, row, 'SUBSCRIPTION_DELETED')
      })
    }
    await drain(store, 10)
    await eachSubscription(store, 'del', 20, (id, got) => {
      if (id === 'del-003') assert.deepEqual(got, [events[0], null], id)
      else if (id === 'del-015') assert.deepEqual(got, [null], id)
      else assert.deepEqual(got, events, id)
    })
  })

  it('fans a small device out in the change, unless an event of it is still queued', async () => {
    const store = bare.store()
    await subscribe(store, 'dev-inline', 'inline', 5)
    const [queued] = await record(store, 'dev-inline', [262])
    // Small enough to be fanned out in the change, but behind a queued event: it waits its turn.
    const [behind] = await record(store, 'dev-inline', [null], 262, 100)
    assert.deepEqual(await causes(store, 'inline-000'), [])
    await drain(store, 3)
    // Nothing queued any more: the next change writes its notifications itself.
    const [inline] = await record(store, 'dev-inline', [208], null, 100)
    assert.equal(await store.networkEvents.fanOutWaiting(), 0)
    await eachSubscription(store, 'inline', 5, (id, got) =>
      assert.deepEqual(got, [queued, behind, inline], id),
    )
  })

  it('two workers at once (two connection pools): each event once, in order per subscription', async () => {
    const store = bare.store()
    const url = bare.url()
    // On PostgreSQL the second worker is another pool, as another instance would be; SQLite runs
    // one transaction at a time, so there the two loops share the store.
    const other = url === undefined ? undefined : await openStore({ databaseUrl: url })
    try {
      const devices = ['dev-a', 'dev-b', 'dev-c', 'dev-d']
      for (const device of devices) await subscribe(store, device, `two-${device}`, 12)
      const recorded = new Map<string, string[]>()
      for (const device of devices)
        recorded.set(device, await record(store, device, [262, null, 208, null, 310]))
      await Promise.all([drain(store, 5), drain(other ?? store, 5)])
      for (const device of devices)
        await eachSubscription(store, `two-${device}`, 12, (id, got) =>
          assert.deepEqual(got, recorded.get(device), id),
        )
    } finally {
      await other?.close()
    }
  })
})
