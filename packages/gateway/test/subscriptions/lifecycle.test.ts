import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { assertError } from '../helpers/device-api-suite.js'
import { schemaErrors, startTestGateway, type TestGateway } from '../helpers/gateway.js'
import { Receiver, type Received } from '../helpers/receiver.js'
import { eventsOf, lifecycleErrors } from '../helpers/subscription-api-suite.js'

/**
 * One subscription API as these tests drive it: a type, a change made while the subscription is
 * INACTIVE (it would make an event of that type), and the changes that make exactly one event of
 * that type once it is ACTIVE again.
 */
interface Case {
  api: string
  version: string
  file: string
  /** The retrieve API whose `notApplicable` switch covers this one. */
  serviceApi: string
  identifier: 'device' | 'phoneNumber'
  type: string
  schema: string
  whileInactive: Record<string, unknown>
  afterwards: Record<string, unknown>[]
}

const CASES: Case[] = [
  {
    api: 'device-roaming-status-subscriptions',
    version: 'v0.8',
    file: 'device-roaming-status-subscriptions-v0.8.0.yaml',
    serviceApi: 'device-roaming-status',
    identifier: 'device',
    type: 'roaming-status',
    schema: 'EventRoamingStatus',
    whileInactive: { roaming: { countryCode: 208 } },
    afterwards: [{ roaming: false }],
  },
  {
    api: 'device-reachability-status-subscriptions',
    version: 'v0.8',
    file: 'device-reachability-status-subscriptions-v0.8.0.yaml',
    serviceApi: 'device-reachability-status',
    identifier: 'device',
    type: 'reachability-disconnected',
    schema: 'EventReachabilityDisconnected',
    whileInactive: { connectivity: [] },
    // Reachable for data (a reachability-data event, not subscribed), then unreachable again.
    afterwards: [{ connectivity: ['DATA'] }, { connectivity: [] }],
  },
  {
    api: 'connected-network-type-subscriptions',
    version: 'v0.2',
    file: 'connected-network-type-subscriptions-v0.2.0.yaml',
    serviceApi: 'connected-network-type',
    identifier: 'device',
    type: 'network-type-changed',
    schema: 'EventNetworkTypeChange',
    whileInactive: { networkType: '5G' },
    afterwards: [{ networkType: '3G' }],
  },
  {
    api: 'sim-swap-subscriptions',
    version: 'v0.3',
    file: 'sim-swap-subscriptions-v0.3.0.yaml',
    serviceApi: 'sim-swap',
    identifier: 'phoneNumber',
    type: 'swapped',
    schema: 'EventSimSwap',
    whileInactive: { simSwappedAt: '2026-11-20T08:30:00.000Z' },
    afterwards: [{ simSwappedAt: '2026-11-21T08:30:00.000Z' }],
  },
]

const prefixOf = (c: Case) => `org.camaraproject.${c.api}.v0.`
const pathOf = (c: Case) => `/${c.api}/${c.version}/subscriptions`
const scopesOf = (c: Case) =>
  `${c.api}:${prefixOf(c)}${c.type}:create ${c.api}:read ${c.api}:delete`
/** What the events of a two-legged subscription name the subscriber with. */
const subjectOf = (c: Case, phoneNumber: string) =>
  c.identifier === 'device' ? { device: { phoneNumber } } : { phoneNumber }
const short = (e: Received | undefined, c: Case) => String(e?.body.type).slice(prefixOf(c).length)

const STARTED = {
  initiationReason: 'SUBSCRIPTION_CREATED',
  initiationDescription: 'The subscription was created and is active.',
}
const inactive = (c: Case) => ({
  updateReason: 'SUBSCRIPTION_INACTIVE',
  updateDescription: `The service ${c.serviceApi} no longer applies to the device: no events are sent until it applies again.`,
})
const active = (c: Case) => ({
  updateReason: 'SUBSCRIPTION_ACTIVE',
  updateDescription: `The service ${c.serviceApi} applies to the device again: events are sent again.`,
})

describe('subscription lifecycle events: subscription-started, subscription-updated (INACTIVE / ACTIVE)', () => {
  let gw: TestGateway
  let sink: Receiver
  let next = 0
  before(async () => {
    gw = await startTestGateway({ NOTIFY_BACKOFF_MS: '50' })
    sink = await new Receiver().start()
  })
  after(async () => {
    await gw.close()
    await sink.stop()
  })

  /** A new simulated device of its own (at home, reachable for data and SMS, 4G). */
  const freshDevice = async () => {
    const phoneNumber = `+346150000${String(next++).padStart(2, '0')}`
    const res = await gw.admin('PUT', `/network/v1/devices/${phoneNumber}`, {})
    assert.equal(res.status, 201, JSON.stringify(res.body))
    return phoneNumber
  }
  const patch = async (phoneNumber: string, change: Record<string, unknown>) => {
    const res = await gw.admin('PATCH', `/network/v1/devices/${phoneNumber}`, change)
    assert.equal(res.status, 200, JSON.stringify(res.body))
  }
  const subscribe = async (
    c: Case,
    token: string,
    subscriptionDetail: Record<string, unknown>,
    config: Record<string, unknown> = {},
  ): Promise<string> => {
    const res = await gw.post(
      pathOf(c),
      {
        protocol: 'HTTP',
        sink: sink.url,
        sinkCredential: {
          credentialType: 'ACCESSTOKEN',
          accessToken: 'lifecycle-token',
          accessTokenExpiresUtc: new Date(Date.now() + 3_600_000).toISOString(),
          accessTokenType: 'bearer',
        },
        types: [prefixOf(c) + c.type],
        config: { subscriptionDetail, ...config },
      },
      token,
    )
    assert.equal(res.status, 201, JSON.stringify(res.body))
    assert.equal(res.body.status, 'ACTIVE')
    return res.body.id as string
  }
  const detailOf = (c: Case, phoneNumber: string) =>
    c.identifier === 'device' ? { device: { phoneNumber } } : { phoneNumber }
  /** GET by id: 200 and the status; the Subscription schema (with an https sink) holds. */
  const statusOf = async (c: Case, id: string, token: string) => {
    const res = await gw.request('GET', `${pathOf(c)}/${id}`, token)
    assert.equal(res.status, 200, JSON.stringify(res.body))
    assert.equal(
      schemaErrors(c.file, 'Subscription', { ...res.body, sink: 'https://s.example' }),
      '',
    )
    return res.body.status as string
  }
  /** The types of the notifications written for a subscription, sorted. */
  const outboxOf = async (id: string) =>
    (await gw.store.notifications.list({ subscriptionId: id })).map((n) => n.type).sort()

  for (const c of CASES) {
    it(`${c.api}: subscription-started first; not applicable → INACTIVE, no events; applicable → ACTIVE, events again; none counts toward subscriptionMaxEvents`, async () => {
      const prefix = prefixOf(c)
      const phoneNumber = await freshDevice()
      const token = await gw.token2(scopesOf(c))
      // subscriptionMaxEvents 1: the state event after the three lifecycle events is the first.
      const id = await subscribe(c, token, detailOf(c, phoneNumber), { subscriptionMaxEvents: 1 })
      const subject = subjectOf(c, phoneNumber)

      const [started] = await eventsOf(sink, id, 1)
      assert.equal(started?.body.type, prefix + 'subscription-started')
      assert.equal(lifecycleErrors(c.file, 'EventSubscriptionStarted', started?.body), '')
      assert.deepEqual(started?.body.data, { ...subject, subscriptionId: id, ...STARTED })
      assert.equal(started?.headers['authorization'], 'Bearer lifecycle-token')
      assert.equal(started?.headers['content-type'], 'application/cloudevents+json')
      assert.ok(started?.body.source.endsWith(`/${c.api}/${c.version}`))

      // The service stops applying to the device: INACTIVE, still listed and readable.
      await patch(phoneNumber, { notApplicable: [c.serviceApi] })
      const [, goneInactive] = await eventsOf(sink, id, 2)
      assert.equal(goneInactive?.body.type, prefix + 'subscription-updated')
      assert.equal(lifecycleErrors(c.file, 'EventSubscriptionUpdated', goneInactive?.body), '')
      assert.deepEqual(goneInactive?.body.data, { ...subject, subscriptionId: id, ...inactive(c) })
      assert.equal(await statusOf(c, id, token), 'INACTIVE')
      const listed = await gw.request('GET', pathOf(c), token)
      assert.deepEqual(
        listed.body
          .filter((s: { id: string }) => s.id === id)
          .map((s: { status: string }) => s.status),
        ['INACTIVE'],
      )

      // A change while INACTIVE: no notification written, nothing counted.
      await patch(phoneNumber, c.whileInactive)
      assert.deepEqual(await outboxOf(id), [
        prefix + 'subscription-started',
        prefix + 'subscription-updated',
      ])
      assert.equal((await gw.store.subscriptions.byId(id))?.eventsSent, 0)

      // It applies again: ACTIVE, and the next change is delivered (after the update: so nothing
      // was sent in between), then subscriptionMaxEvents 1 ends it.
      await patch(phoneNumber, { notApplicable: [] })
      assert.equal(await statusOf(c, id, token), 'ACTIVE')
      for (const change of c.afterwards) await patch(phoneNumber, change)
      const events = await eventsOf(sink, id, 5)
      assert.deepEqual(
        events.map((e) => short(e, c)),
        [
          'subscription-started',
          'subscription-updated',
          'subscription-updated',
          c.type,
          'subscription-ended',
        ],
      )
      const [, , goneActive, event, ended] = events
      assert.equal(lifecycleErrors(c.file, 'EventSubscriptionUpdated', goneActive?.body), '')
      assert.deepEqual(goneActive?.body.data, { ...subject, subscriptionId: id, ...active(c) })
      assert.equal(schemaErrors(c.file, c.schema, event?.body), '')
      assert.equal(event?.body.data.subscriptionId, id)
      assert.equal(ended?.body.data.terminationReason, 'MAX_EVENTS_REACHED')
      for (const e of events) assert.equal(e.headers['authorization'], 'Bearer lifecycle-token')
      assertError(await gw.request('GET', `${pathOf(c)}/${id}`, token), 404, 'NOT_FOUND')
    })
  }

  it('three-legged subscriptions: subscription-started and subscription-updated name no device nor phone number', async () => {
    for (const c of CASES) {
      const phoneNumber = await freshDevice()
      const token = await gw.token3(phoneNumber, scopesOf(c))
      const id = await subscribe(c, token, {})
      await patch(phoneNumber, { notApplicable: [c.serviceApi] })
      const events = await eventsOf(sink, id, 2)
      assert.deepEqual(
        events.map((e) => e.body.data),
        [
          { subscriptionId: id, ...STARTED },
          { subscriptionId: id, ...inactive(c) },
        ],
      )
      assert.equal(await statusOf(c, id, token), 'INACTIVE')
      // The three-legged list shows it too.
      const listed = await gw.request('GET', pathOf(c), token)
      assert.deepEqual(
        listed.body.map((s: { id: string; status: string }) => [s.id, s.status]),
        [[id, 'INACTIVE']],
      )
    }
  })

  it('DELETE of an INACTIVE subscription: 204, then subscription-ended SUBSCRIPTION_DELETED', async () => {
    for (const c of CASES) {
      const phoneNumber = await freshDevice()
      const token = await gw.token2(scopesOf(c))
      const id = await subscribe(c, token, detailOf(c, phoneNumber))
      await patch(phoneNumber, { notApplicable: [c.serviceApi] })
      await eventsOf(sink, id, 2)
      assert.equal(await statusOf(c, id, token), 'INACTIVE')
      const res = await gw.request('DELETE', `${pathOf(c)}/${id}`, token)
      assert.equal(res.status, 204)
      const events = await eventsOf(sink, id, 3)
      assert.deepEqual(
        events.map((e) => short(e, c)),
        ['subscription-started', 'subscription-updated', 'subscription-ended'],
      )
      assert.equal(schemaErrors(c.file, 'CloudEvent', events[2]?.body), '')
      assert.deepEqual(events[2]?.body.data, {
        ...subjectOf(c, phoneNumber),
        subscriptionId: id,
        terminationReason: 'SUBSCRIPTION_DELETED',
        terminationDescription: 'The subscription was deleted.',
      })
      assertError(await gw.request('GET', `${pathOf(c)}/${id}`, token), 404, 'NOT_FOUND')
      assertError(await gw.request('DELETE', `${pathOf(c)}/${id}`, token), 404, 'NOT_FOUND')
      assert.equal((await gw.store.subscriptions.byId(id))?.status, 'DELETED')
    }
  })

  it('an INACTIVE subscription still expires (SUBSCRIPTION_EXPIRED) and ends with its device (NETWORK_TERMINATED)', async () => {
    const [c] = CASES as [Case]
    const token = await gw.token2(scopesOf(c))
    const expiring = await freshDevice()
    // A long expiry, brought forward once the subscription is INACTIVE: so it cannot expire while
    // still ACTIVE, however slow the machine.
    const expiringId = await subscribe(c, token, detailOf(c, expiring), {
      subscriptionExpireTime: new Date(Date.now() + 3_600_000).toISOString(),
    })
    const removed = await freshDevice()
    const removedId = await subscribe(c, token, detailOf(c, removed))
    await patch(expiring, { notApplicable: [c.serviceApi] })
    await patch(removed, { notApplicable: [c.serviceApi] })
    await eventsOf(sink, [expiringId, removedId], 4)
    assert.equal(await statusOf(c, removedId, token), 'INACTIVE')
    assert.equal(await statusOf(c, expiringId, token), 'INACTIVE')
    await gw.store.subscriptions.update(expiringId, {
      expiresAt: new Date(Date.now() - 1000).toISOString(),
    })
    assert.equal((await gw.admin('DELETE', `/network/v1/devices/${removed}`)).status, 204)
    const reasons = async (id: string) =>
      (await eventsOf(sink, id, 3, 10_000)).map(
        (e) =>
          e.body.data.initiationReason ?? e.body.data.updateReason ?? e.body.data.terminationReason,
      )
    assert.deepEqual(await reasons(removedId), [
      'SUBSCRIPTION_CREATED',
      'SUBSCRIPTION_INACTIVE',
      'NETWORK_TERMINATED',
    ])
    assert.deepEqual(await reasons(expiringId), [
      'SUBSCRIPTION_CREATED',
      'SUBSCRIPTION_INACTIVE',
      'SUBSCRIPTION_EXPIRED',
    ])
    assert.equal((await gw.store.subscriptions.byId(expiringId))?.status, 'EXPIRED')
  })

  it('one PATCH that changes applicability and state: the state change is judged by the new applicability', async () => {
    const [c] = CASES as [Case]
    const prefix = prefixOf(c)
    const phoneNumber = await freshDevice()
    const token = await gw.token2(scopesOf(c))
    const id = await subscribe(c, token, detailOf(c, phoneNumber))
    await patch(phoneNumber, { notApplicable: [c.serviceApi], roaming: { countryCode: 208 } })
    await patch(phoneNumber, { notApplicable: [], roaming: false })
    const events = await eventsOf(sink, id, 4)
    assert.deepEqual(
      events.map((e) => [short(e, c), e.body.data.updateReason ?? e.body.data.roaming]),
      [
        ['subscription-started', undefined],
        ['subscription-updated', 'SUBSCRIPTION_INACTIVE'],
        ['subscription-updated', 'SUBSCRIPTION_ACTIVE'],
        ['roaming-status', false],
      ],
    )
    // The simulator records the applicability change as a network event, before the roaming one.
    const stored = (await gw.admin('GET', '/network/v1/events?limit=1000')).body.filter(
      (e: { phoneNumber: string }) => e.phoneNumber === phoneNumber,
    )
    assert.deepEqual(
      stored.map((e: { type: string; before: unknown; after: unknown }) => [
        e.type,
        e.before,
        e.after,
      ]),
      [
        ['device-added', null, stored[0].after],
        ['applicability', { notApplicable: [] }, { notApplicable: [c.serviceApi] }],
        ['roaming', { roamingCountryCode: null }, { roamingCountryCode: 208 }],
        ['applicability', { notApplicable: [c.serviceApi] }, { notApplicable: [] }],
        ['roaming', { roamingCountryCode: 208 }, { roamingCountryCode: null }],
      ],
    )
    assert.equal(prefix + 'roaming-status', events[3]?.body.type)
  })

  it("another API's service not applying leaves the subscription ACTIVE, without subscription-updated", async () => {
    const [c] = CASES as [Case]
    const phoneNumber = await freshDevice()
    const token = await gw.token2(scopesOf(c))
    const id = await subscribe(c, token, detailOf(c, phoneNumber))
    await patch(phoneNumber, { notApplicable: ['sim-swap', 'device-status'] })
    await patch(phoneNumber, { roaming: { countryCode: 208 } })
    const events = await eventsOf(sink, id, 2)
    assert.deepEqual(
      events.map((e) => short(e, c)),
      ['subscription-started', 'roaming-status'],
    )
    assert.equal(await statusOf(c, id, token), 'ACTIVE')
  })

  it('the legacy device-status v0.5.1 webhook subscriptions send no subscription-started', async () => {
    const phoneNumber = await freshDevice()
    const legacy = await gw.post(
      '/device-status/v0/subscriptions',
      {
        subscriptionDetail: {
          device: { phoneNumber },
          type: 'org.camaraproject.device-status.v0.roaming-status',
        },
        webhook: { notificationUrl: sink.url },
      },
      await gw.token2('device-status:subscriptions:create'),
    )
    assert.equal(legacy.status, 201, JSON.stringify(legacy.body))
    const id = legacy.body.subscriptionId as string
    assert.deepEqual(await outboxOf(id), [])
    await patch(phoneNumber, { roaming: { countryCode: 208 } })
    assert.deepEqual(
      (await eventsOf(sink, id, 1)).map((e) => e.body.type),
      ['org.camaraproject.device-status.v0.roaming-status'],
    )
  })
})
