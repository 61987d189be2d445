import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { patchDevice, type SimulatorDeps } from '../../src/simulator/simulator.js'
import { endSubscription, fanOut, type OutboxDeps } from '../../src/subscriptions/outbox.js'
import { cloudEvent } from '../../src/notifications/cloud-event.js'
import type { NewNotification } from '../../src/store/notifications.js'
import type { Store } from '../../src/store/store.js'
import { LIVE_STATUSES } from '../../src/store/subscriptions.js'
import { startTestGateway, type TestGateway } from '../helpers/gateway.js'
import { bareStore, subscriptionFixture as subscription } from '../helpers/bare-store.js'
import { networkEventSink } from '../../src/subscriptions/ingest.js'
import { gate, heldOpen, untilLockWait } from './lock-waits.js'

/**
 * Transactions that meet on one subscription or one device, interleaved on purpose: the first
 * holds its locks at a gate until the second waits for one (PostgreSQL) or has finished. On
 * SQLite they run one after the other and must give the same result.
 */

const API = 'device-roaming-status-subscriptions'
const PREFIX = `org.camaraproject.${API}.v0.`
const source: OutboxDeps['source'] = () => 'http://gateway.test/roaming'
const clock = () => new Date()

/** `[short type, terminationReason]` of a subscription's notifications, oldest first. */
async function outbox(store: Store, id: string): Promise<[string, string][]> {
  const rows = await store.notifications.list({ subscriptionId: id })
  return rows
    .sort((a, b) => Number(a.seq) - Number(b.seq))
    .map((n) => {
      const reason = n.event.data['terminationReason']
      return [n.type.slice(n.type.lastIndexOf('.') + 1), typeof reason === 'string' ? reason : '']
    })
}

describe('concurrent endings of one subscription (store)', () => {
  const bare = bareStore()

  /** Ends `id` with SUBSCRIPTION_DELETED in a transaction that commits once the gate opens. */
  function heldDelete(id: string) {
    const held = gate()
    const done = bare.store().transaction(async (trx) => {
      const row = await trx.subscriptions.byId(id)
      assert.ok(row)
      await endSubscription({ store: trx, source, clock }, row, 'SUBSCRIPTION_DELETED')
      await held.wait()
    })
    return { held, done }
  }

  it('a DELETE and the expiry sweep: ended once, one subscription-ended, the first reason kept', async () => {
    await bare
      .store()
      .subscriptions.insert(
        subscription('end-twice', { expiresAt: new Date(Date.now() - 1000).toISOString() }),
      )
    const deleting = heldDelete('end-twice')
    await deleting.held.reached
    // The sweep (delivery.ts) of another instance reads the row before the DELETE commits.
    let ended: boolean | undefined
    const sweeping = bare.store().transaction(async (trx) => {
      const row = await trx.subscriptions.byId('end-twice')
      if (row !== undefined && LIVE_STATUSES.includes(row.status))
        ended = await endSubscription({ store: trx, source, clock }, row, 'SUBSCRIPTION_EXPIRED')
    })
    await untilLockWait(bare.url(), sweeping)
    deleting.held.open()
    await Promise.all([deleting.done, sweeping])

    assert.notEqual(ended, true, 'the sweep must not end it a second time')
    const row = await bare.store().subscriptions.byId('end-twice')
    assert.equal(row?.status, 'DELETED')
    assert.equal(row?.terminationReason, 'SUBSCRIPTION_DELETED')
    assert.deepEqual(await outbox(bare.store(), 'end-twice'), [
      ['subscription-ended', 'SUBSCRIPTION_DELETED'],
    ])
  })

  it('ending with a stale row that still reads live ends nothing and tells the sink nothing', async () => {
    await bare.store().subscriptions.insert(subscription('stale'))
    const stale = await bare.store().subscriptions.byId('stale')
    assert.ok(stale)
    const fresh = { ...stale }
    const deps = { store: bare.store(), source, clock }
    const first = await endSubscription(deps, fresh, 'SUBSCRIPTION_DELETED')
    const second = await endSubscription(deps, stale, 'SUBSCRIPTION_EXPIRED')
    const row = await bare.store().subscriptions.byId('stale')
    assert.equal(row?.status, 'DELETED')
    assert.equal(row?.terminationReason, 'SUBSCRIPTION_DELETED')
    assert.deepEqual(await outbox(bare.store(), 'stale'), [
      ['subscription-ended', 'SUBSCRIPTION_DELETED'],
    ])
    assert.deepEqual([first, second], [true, false])
  })

  it('a network change meeting a DELETE in flight sends nothing after subscription-ended', async () => {
    await bare.store().subscriptions.insert(subscription('fan-out', { maxEvents: 1 }))
    const deleting = heldDelete('fan-out')
    await deleting.held.reached
    const changing = bare.store().transaction((trx) =>
      fanOut({ store: trx, source, clock }, [
        {
          id: 'roaming-1',
          deviceId: 'device-1',
          phoneNumber: '+34600000099',
          type: 'roaming',
          before: { roamingCountryCode: null },
          after: { roamingCountryCode: 262 },
          occurredAt: new Date().toISOString(),
        },
      ]),
    )
    await untilLockWait(bare.url(), changing)
    deleting.held.open()
    const [, written] = await Promise.all([deleting.done, changing])

    assert.equal(written, 0)
    const row = await bare.store().subscriptions.byId('fan-out')
    assert.equal(row?.status, 'DELETED')
    assert.equal(row?.terminationReason, 'SUBSCRIPTION_DELETED')
    assert.equal(row?.eventsSent, 0)
    assert.deepEqual(await outbox(bare.store(), 'fan-out'), [
      ['subscription-ended', 'SUBSCRIPTION_DELETED'],
    ])
  })

  it('counts events of more subscriptions than one statement can bind', async () => {
    await bare.store().subscriptions.insert(subscription('counted-1'))
    await bare.store().subscriptions.insert(subscription('counted-2'))
    // Beyond SQLite's 32,766 and PostgreSQL's 65,535 bound parameters.
    const ids = Array.from({ length: 70_000 }, (_, i) => `absent-${i}`)
    ids.splice(1, 0, 'counted-1')
    ids.push('counted-2')
    await bare.store().transaction((trx) => trx.subscriptions.countEvents(ids, 2))
    assert.equal((await bare.store().subscriptions.byId('counted-1'))?.eventsSent, 2)
    assert.equal((await bare.store().subscriptions.byId('counted-2'))?.eventsSent, 2)
  })
})

describe('concurrent requests on subscriptions (gateway)', () => {
  let gw: TestGateway
  let token: string
  before(async () => {
    gw = await startTestGateway()
    token = await gw.token2(
      `${API}:${PREFIX}roaming-status:create ${API}:${PREFIX}roaming-change-country:create ${API}:read ${API}:delete`,
    )
  })
  after(() => gw.close())

  /** A fresh device at home, so that each test starts from a known state. */
  async function freshDevice(phoneNumber: string): Promise<string> {
    const path = `/network/v1/devices/${encodeURIComponent(phoneNumber)}`
    assert.equal((await gw.admin('PUT', path, {})).status, 201)
    return path
  }

  async function subscribe(phoneNumber: string, type: string, initialEvent = false) {
    return gw.post(
      `/${API}/v0.8/subscriptions`,
      {
        protocol: 'HTTP',
        // Nothing listens there: deliveries fail and are retried, the outbox keeps every event.
        sink: 'http://127.0.0.1:9/sink',
        types: [PREFIX + type],
        config: { subscriptionDetail: { device: { phoneNumber } }, initialEvent },
      },
      token,
    )
  }

  it('two DELETEs of one subscription at once: one 204, the other 404, one subscription-ended', async () => {
    await freshDevice('+34699000201')
    for (let round = 0; round < 5; round++) {
      const created = await subscribe('+34699000201', 'roaming-change-country')
      assert.equal(created.status, 201)
      const id = created.body.id as string
      const path = `/${API}/v0.8/subscriptions/${id}`
      const answers = await Promise.all([
        gw.request('DELETE', path, token),
        gw.request('DELETE', path, token),
      ])
      assert.deepEqual(answers.map((r) => r.status).sort(), [204, 404], `round ${round}`)
      const notFound = answers.find((r) => r.status === 404)
      assert.equal(notFound?.body.code, 'NOT_FOUND')
      const ended = (await outbox(gw.store, id)).filter(([type]) => type === 'subscription-ended')
      assert.deepEqual(ended, [['subscription-ended', 'SUBSCRIPTION_DELETED']], `round ${round}`)
    }
  })

  it('the initial event is built from the device as a change in flight leaves it', async () => {
    const phoneNumber = '+34699000202'
    await freshDevice(phoneNumber)
    // A roaming change that holds its transaction open after fanning out (to no subscription yet).
    const held = gate()
    const deps: SimulatorDeps = {
      store: gw.store,
      clock: () => new Date(),
      // The real door, held open inside its transaction once the change is written.
      events: heldOpen(
        networkEventSink({ store: gw.store, outbox: { source }, kick: () => undefined, clock }),
        held,
      ),
    }
    const changing = patchDevice(deps, phoneNumber, { roaming: { countryCode: 262 } })
    await held.reached
    const creating = subscribe(phoneNumber, 'roaming-status', true)
    await untilLockWait(gw.config.databaseUrl, creating)
    held.open()
    const [created] = await Promise.all([creating, changing])
    assert.equal(created.status, 201)

    // The sink's last word about the device must be what the device is now: roaming.
    const said = (await gw.store.notifications.list({ subscriptionId: created.body.id as string }))
      .filter((n) => n.type.endsWith('.roaming-status'))
      .sort((a, b) => Number(a.seq) - Number(b.seq))
      .map((n) => n.event.data['roaming'])
    assert.equal(said.at(-1), true, `roaming-status events: ${JSON.stringify(said)}`)
  })
})

describe('a delivery attempt that outlives its lease (store)', () => {
  const bare = bareStore()

  const notification = (id: string, subscriptionId: string): NewNotification => ({
    id,
    subscriptionId,
    event: cloudEvent({
      source: 'http://gateway.test/roaming',
      type: `${PREFIX}roaming-on`,
      time: new Date().toISOString(),
      data: { subscriptionId },
    }),
    nextAttemptAt: 0,
    createdAt: new Date().toISOString(),
  })

  it('records nothing and promotes nothing: the newer claim owns the notification', async () => {
    await bare.store().subscriptions.insert(subscription('lease-sub'))
    await bare
      .store()
      .notifications.enqueue([
        notification('lease-1', 'lease-sub'),
        notification('lease-2', 'lease-sub'),
        notification('lease-3', 'lease-sub'),
      ])
    const t0 = 1_000_000
    const [first] = await bare.store().notifications.claimDue(t0, 10, 100)
    assert.equal(first?.id, 'lease-1', 'only the head is claimable')
    // The lease lapses while that attempt still runs; another claim takes the head again.
    const [second] = await bare.store().notifications.claimDue(t0 + 200, 10, 100)
    assert.equal(second?.id, 'lease-1')
    assert.notEqual(second?.lockedUntil, first?.lockedUntil)

    const delivered = {
      status: 'delivered',
      attempts: 1,
      lockedUntil: null,
      lastError: null,
    } as const
    // The old attempt ends: its outcome is not recorded, and nothing is promoted.
    assert.equal(
      await bare.store().notifications.settle('lease-1', first?.lockedUntil ?? null, delivered),
      false,
    )
    // Even a promotion asked for by mistake keeps one head per subscription.
    await bare.store().notifications.promoteNext('lease-sub', t0 + 250)
    const statuses = async () =>
      (await bare.store().notifications.list({ subscriptionId: 'lease-sub' }))
        .sort((a, b) => Number(a.seq) - Number(b.seq))
        .map((n) => n.status)
    assert.deepEqual(await statuses(), ['pending', 'queued', 'queued'])
    // The newer attempt settles, and the next one becomes the head.
    assert.equal(
      await bare.store().notifications.settle('lease-1', second?.lockedUntil ?? null, delivered),
      true,
    )
    await bare.store().notifications.promoteNext('lease-sub', t0 + 300)
    assert.deepEqual(await statuses(), ['delivered', 'pending', 'queued'])
  })
})
