import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { assertError } from '../helpers/device-api-suite.js'
import {
  schemaErrors,
  simulatorOnly,
  startTestGateway,
  type TestGateway,
} from '../helpers/gateway.js'
import { Receiver, type Received } from '../helpers/receiver.js'
import {
  eventsOf,
  lifecycleErrors,
  subscriptionApiSuite,
} from '../helpers/subscription-api-suite.js'

/** Why the network type and SIM swap tests are simulator-only (docs/nef.md). */
const NOT_THROUGH_A_NEF =
  'a NEF gives neither the network type nor SIM changes; NETWORK=nef does not offer these APIs'

subscriptionApiSuite({
  api: 'device-reachability-status-subscriptions',
  base: '/device-reachability-status-subscriptions/v0.8',
  file: 'device-reachability-status-subscriptions-v0.8.0.yaml',
  types: ['reachability-data', 'reachability-sms', 'reachability-disconnected'],
  identifier: 'device',
  sinkCode: 'INVALID_SINK',
  // +34600000001 is reachable for data and SMS: SMS only is one reachability-sms event.
  event: {
    type: 'reachability-sms',
    schema: 'EventReachabilitySms',
    phoneNumber: '+34600000001',
    change: { connectivity: ['SMS'] },
  },
})

subscriptionApiSuite({
  api: 'connected-network-type-subscriptions',
  base: '/connected-network-type-subscriptions/v0.2',
  file: 'connected-network-type-subscriptions-v0.2.0.yaml',
  types: ['network-type-changed'],
  identifier: 'device',
  simulatorOnly: NOT_THROUGH_A_NEF,
  sinkCode: 'INVALID_SINK',
  event: {
    type: 'network-type-changed',
    schema: 'EventNetworkTypeChange',
    phoneNumber: '+34600000001',
    change: { networkType: '4G' },
  },
})

subscriptionApiSuite({
  api: 'sim-swap-subscriptions',
  base: '/sim-swap-subscriptions/v0.3',
  file: 'sim-swap-subscriptions-v0.3.0.yaml',
  types: ['swapped'],
  identifier: 'phoneNumber',
  simulatorOnly: NOT_THROUGH_A_NEF,
  // Its test definitions (26) expect INVALID_ARGUMENT, not INVALID_SINK, for a sink that is not a URL.
  sinkCode: 'INVALID_ARGUMENT',
  // Its test definitions (100) expect UNSUPPORTED_IDENTIFIER, not the spec's SERVICE_NOT_APPLICABLE.
  notApplicableCode: 'UNSUPPORTED_IDENTIFIER',
  event: {
    type: 'swapped',
    schema: 'EventSimSwap',
    phoneNumber: '+34600000001',
    change: { simSwappedAt: new Date().toISOString() },
  },
})

const credential = () => ({
  credentialType: 'ACCESSTOKEN',
  accessToken: 'sink-token',
  accessTokenExpiresUtc: new Date(Date.now() + 3_600_000).toISOString(),
  accessTokenType: 'bearer',
})

describe('device-reachability-status-subscriptions 0.8.0, connected-network-type-subscriptions 0.2.0, sim-swap-subscriptions 0.3.0', () => {
  let gw: TestGateway
  let sink: Receiver
  before(async () => {
    gw = await startTestGateway({ NOTIFY_BACKOFF_MS: '50' })
    sink = await new Receiver().start()
  })
  after(async () => {
    await gw.close()
    await sink.stop()
  })
  /** Every notification written for these subscriptions: the outbox is written with the change. */
  const outboxCount = async (ids: readonly string[]) => {
    let n = 0
    for (const id of ids) n += (await gw.store.notifications.list({ subscriptionId: id })).length
    return n
  }

  it('reachability: data / sms / disconnected events as the class changes; initial event when it matches', async () => {
    const api = 'device-reachability-status-subscriptions'
    const prefix = `org.camaraproject.${api}.v0.`
    const types = ['reachability-data', 'reachability-sms', 'reachability-disconnected']
    const token = await gw.token2(
      types.map((t) => `${api}:${prefix}${t}:create`).join(' ') + ` ${api}:read ${api}:delete`,
    )
    const ids: Record<string, string> = {}
    for (const type of types) {
      const res = await gw.post(
        `/${api}/v0.8/subscriptions`,
        {
          protocol: 'HTTP',
          sink: sink.url,
          sinkCredential: credential(),
          types: [prefix + type],
          config: {
            subscriptionDetail: { device: { phoneNumber: '+34600000007' } },
            initialEvent: true,
          },
        },
        token,
      )
      assert.equal(res.status, 201, JSON.stringify(res.body))
      assert.equal(
        schemaErrors(`${api}-v0.8.0.yaml`, 'Subscription', {
          ...res.body,
          sink: 'https://s.example',
        }),
        '',
      )
      ids[type] = res.body.id
    }
    const all = Object.values(ids)
    // Each subscription's subscription-started; +34600000007 is DATA-only: the initial event goes
    // to reachability-data only, after its subscription-started.
    const initial = await eventsOf(sink, all, 3 + 1)
    assert.equal(await outboxCount(all), 4, 'and nothing else')
    for (const e of initial.filter((e) => e.body.type === prefix + 'subscription-started')) {
      assert.deepEqual(e.body.data.device, { phoneNumber: '+34600000007' })
      assert.equal(e.body.data.initiationReason, 'SUBSCRIPTION_CREATED')
      assert.equal(lifecycleErrors(`${api}-v0.8.0.yaml`, 'EventSubscriptionStarted', e.body), '')
    }
    assert.deepEqual(
      initial
        .filter((e) => e.body.type === prefix + 'subscription-started')
        .map((e) => e.body.data.subscriptionId)
        .sort(),
      [...all].sort(),
    )
    assert.deepEqual(
      (await eventsOf(sink, ids['reachability-data'] ?? '', 2)).map((e) => [
        e.body.type.slice(prefix.length),
        e.body.data.subscriptionId,
      ]),
      [
        ['subscription-started', ids['reachability-data']],
        ['reachability-data', ids['reachability-data']],
      ],
    )
    // One change at a time: each makes exactly one event, for the subscription of its class.
    const events: (Received | undefined)[] = []
    for (const connectivity of [['SMS'], [], ['DATA', 'SMS']]) {
      await gw.admin('PATCH', '/network/v1/devices/+34600000007', { connectivity })
      const received = await eventsOf(sink, all, 4 + events.length + 1)
      events.push(received[4 + events.length])
    }
    assert.deepEqual(
      events.map((e) => e?.body.type.slice(prefix.length)),
      ['reachability-sms', 'reachability-disconnected', 'reachability-data'],
    )
    await eventsOf(sink, all, 7)
    assert.equal(await outboxCount(all), 7, 'and nothing else')
    const schemas: Record<string, string> = {
      'reachability-data': 'EventReachabilityData',
      'reachability-sms': 'EventReachabilitySms',
      'reachability-disconnected': 'EventReachabilityDisconnected',
    }
    for (const e of events) {
      assert.deepEqual(e?.body.data.device, { phoneNumber: '+34600000007' })
      assert.equal(e?.body.data.subscriptionId, ids[e?.body.type.slice(prefix.length)])
      assert.equal(e?.headers['authorization'], 'Bearer sink-token', 'the sink credential')
      assert.equal(schemaErrors(`${api}-v0.8.0.yaml`, 'CloudEvent', e?.body), '')
      const schema = schemas[e?.body.type.slice(prefix.length)] ?? ''
      assert.equal(schemaErrors(`${api}-v0.8.0.yaml`, schema, e?.body), '')
    }
    assertError(
      await gw.post(
        `/${api}/v0.8/subscriptions`,
        {
          protocol: 'HTTP',
          sink: sink.url,
          types: [prefix + types[0], prefix + types[1]],
          config: { subscriptionDetail: { device: { phoneNumber: '+34600000007' } } },
        },
        token,
      ),
      422,
      'MULTIEVENT_SUBSCRIPTION_NOT_SUPPORTED',
    )
  })

  it(
    'connected network type: network-type-changed with the new type, UNKNOWN off the network; initial event',
    simulatorOnly(NOT_THROUGH_A_NEF),
    async () => {
      const api = 'connected-network-type-subscriptions'
      const prefix = `org.camaraproject.${api}.v0.`
      const token = await gw.token2(
        `${api}:${prefix}network-type-changed:create ${api}:read ${api}:delete`,
      )
      const res = await gw.post(
        `/${api}/v0.2/subscriptions`,
        {
          protocol: 'HTTP',
          sink: sink.url,
          sinkCredential: credential(),
          types: [prefix + 'network-type-changed'],
          config: {
            subscriptionDetail: {
              device: {
                ipv4Address: { publicAddress: '84.125.93.20', privateAddress: '10.0.0.2' },
              },
            },
            initialEvent: true,
          },
        },
        token,
      )
      assert.equal(res.status, 201, JSON.stringify(res.body))
      await gw.admin('PATCH', '/network/v1/devices/+34600000002', { networkType: '5G' })
      // Unreachable, the device is on no network (UNKNOWN); reachable again, back on 5G.
      const { connectivity } = (await gw.admin('GET', '/network/v1/devices/+34600000002')).body
      await gw.admin('PATCH', '/network/v1/devices/+34600000002', { connectivity: [] })
      await gw.admin('PATCH', '/network/v1/devices/+34600000002', { connectivity })
      await gw.admin('PATCH', '/network/v1/devices/+34600000002', { networkType: null })
      const [started, ...events] = await eventsOf(sink, res.body.id, 1 + 5)
      // subscription-started first, naming the device as the request did, like the other events.
      assert.equal(started?.body.type, prefix + 'subscription-started')
      assert.deepEqual(started?.body.data, {
        device: { ipv4Address: { publicAddress: '84.125.93.20', privateAddress: '10.0.0.2' } },
        subscriptionId: res.body.id,
        initiationReason: 'SUBSCRIPTION_CREATED',
        initiationDescription: 'The subscription was created and is active.',
      })
      assert.equal(
        lifecycleErrors(`${api}-v0.2.0.yaml`, 'EventSubscriptionStarted', started?.body),
        '',
      )
      assert.deepEqual(
        events.map((e) => e.body.data.connectedNetworkType),
        ['4G', '5G', 'UNKNOWN', '5G', 'UNKNOWN'],
      )
      assert.deepEqual(events[0]?.body.data.device, {
        ipv4Address: { publicAddress: '84.125.93.20', privateAddress: '10.0.0.2' },
      })
      for (const e of events) {
        assert.equal(e.body.type, prefix + 'network-type-changed')
        assert.equal(e.body.data.subscriptionId, res.body.id)
        assert.equal(e.headers['authorization'], 'Bearer sink-token', 'the sink credential')
        assert.equal(schemaErrors(`${api}-v0.2.0.yaml`, 'CloudEvent', e.body), '')
        assert.equal(schemaErrors(`${api}-v0.2.0.yaml`, 'EventNetworkTypeChange', e.body), '')
      }
      assertError(
        await gw.post(
          `/${api}/v0.2/subscriptions`,
          {
            protocol: 'HTTP',
            sink: 'not a url',
            types: [prefix + 'network-type-changed'],
            config: { subscriptionDetail: { device: { phoneNumber: '+34600000002' } } },
          },
          token,
        ),
        400,
        'INVALID_SINK',
      )
    },
  )

  it(
    'sim swap: swapped with phoneNumber (two-legged) and time = the swap time; errors of its test plan',
    simulatorOnly(NOT_THROUGH_A_NEF),
    async () => {
      const api = 'sim-swap-subscriptions'
      const prefix = `org.camaraproject.${api}.v0.`
      const token = await gw.token2(`${api}:${prefix}swapped:create ${api}:read ${api}:delete`)
      const res = await gw.post(
        `/${api}/v0.3/subscriptions`,
        {
          protocol: 'HTTP',
          sink: sink.url,
          sinkCredential: credential(),
          types: [prefix + 'swapped'],
          config: { subscriptionDetail: { phoneNumber: '+34600000001' }, subscriptionMaxEvents: 5 },
        },
        token,
      )
      assert.equal(res.status, 201, JSON.stringify(res.body))
      assert.deepEqual(res.body.config.subscriptionDetail, { phoneNumber: '+34600000001' })
      const swappedAt = '2026-11-20T08:30:00.000Z'
      await gw.admin('PATCH', '/network/v1/devices/+34600000001', { simSwappedAt: swappedAt })
      const [started, event] = await eventsOf(sink, res.body.id, 2)
      // NOTES.md decision 5: this API's prefix, not the spec enum's `org.camaraproject.api-name.v0.`.
      assert.equal(started?.body.type, prefix + 'subscription-started')
      assert.deepEqual(started?.body.data, {
        phoneNumber: '+34600000001',
        subscriptionId: res.body.id,
        initiationReason: 'SUBSCRIPTION_CREATED',
        initiationDescription: 'The subscription was created and is active.',
      })
      assert.equal(
        lifecycleErrors(`${api}-v0.3.0.yaml`, 'EventSubscriptionStarted', started?.body),
        '',
      )
      assert.equal(event?.body.type, prefix + 'swapped')
      assert.deepEqual(event?.body.data, {
        phoneNumber: '+34600000001',
        subscriptionId: res.body.id,
      })
      assert.equal(event?.body.time, swappedAt)
      assert.equal(schemaErrors(`${api}-v0.3.0.yaml`, 'CloudEvent', event?.body), '')
      assert.equal(schemaErrors(`${api}-v0.3.0.yaml`, 'EventSimSwap', event?.body), '')

      const t3 = await gw.token3('+34600000006', `${api}:${prefix}swapped:create ${api}:read`)
      const three = await gw.post(
        `/${api}/v0.3/subscriptions`,
        {
          protocol: 'HTTP',
          sink: sink.url,
          types: [prefix + 'swapped'],
          config: { subscriptionDetail: {} },
        },
        t3,
      )
      assert.equal(three.status, 201, JSON.stringify(three.body))
      assert.deepEqual(three.body.config.subscriptionDetail, {})
      const [threeStarted] = await eventsOf(sink, three.body.id, 1)
      assert.equal(threeStarted?.body.type, prefix + 'subscription-started')
      assert.equal(threeStarted?.body.data.phoneNumber, undefined, 'three-legged: no phone number')
      assert.equal(threeStarted?.headers['authorization'], undefined, 'no sink credential given')
      assertError(
        await gw.post(
          `/${api}/v0.3/subscriptions`,
          {
            protocol: 'HTTP',
            sink: sink.url,
            types: [prefix + 'swapped'],
            config: { subscriptionDetail: { phoneNumber: '+34600000006' } },
          },
          t3,
        ),
        422,
        'UNNECESSARY_IDENTIFIER',
      )
      assertError(
        await gw.post(
          `/${api}/v0.3/subscriptions`,
          {
            protocol: 'HTTP',
            sink: sink.url,
            types: [prefix + 'swapped'],
            config: { subscriptionDetail: {} },
          },
          token,
        ),
        422,
        'MISSING_IDENTIFIER',
      )
      assertError(
        await gw.post(
          `/${api}/v0.3/subscriptions`,
          {
            protocol: 'HTTP',
            sink: 'azerty',
            types: [prefix + 'swapped'],
            config: { subscriptionDetail: { phoneNumber: '+34600000001' } },
          },
          token,
        ),
        400,
        'INVALID_ARGUMENT',
      )
      assertError(
        await gw.post(
          `/${api}/v0.3/subscriptions`,
          {
            protocol: 'HTTP',
            sink: sink.url,
            types: [prefix + 'swapped'],
            config: { subscriptionDetail: { phoneNumber: '+34699999999' } },
          },
          token,
        ),
        404,
        'IDENTIFIER_NOT_FOUND',
      )
      assertError(
        await gw.post(
          `/${api}/v0.3/subscriptions`,
          {
            protocol: 'HTTP',
            sink: sink.url,
            types: [prefix + 'swapped'],
            config: { subscriptionDetail: { phoneNumber: '+34600000001' } },
          },
          await gw.token2(`${api}:read`),
        ),
        403,
        'PERMISSION_DENIED',
      )
      const list = await gw.request(
        'GET',
        `/${api}/v0.3/subscriptions`,
        await gw.token2(`${api}:read`),
      )
      assert.ok(list.body.some((s: { id: string }) => s.id === res.body.id))
      const t3list = await gw.request('GET', `/${api}/v0.3/subscriptions`, t3)
      assert.deepEqual(
        t3list.body.map((s: { id: string }) => s.id),
        [three.body.id],
        'three-legged list: only its own',
      )
    },
  )

  it('a removed device ends its subscriptions with NETWORK_TERMINATED', async () => {
    const api = 'device-roaming-status-subscriptions'
    const prefix = `org.camaraproject.${api}.v0.`
    await gw.admin('PUT', '/network/v1/devices/+34611110000', {})
    const token = await gw.token2(`${api}:${prefix}roaming-on:create`)
    const res = await gw.post(
      `/${api}/v0.8/subscriptions`,
      {
        protocol: 'HTTP',
        sink: sink.url,
        types: [prefix + 'roaming-on'],
        config: { subscriptionDetail: { device: { phoneNumber: '+34611110000' } } },
      },
      token,
    )
    await gw.admin('DELETE', '/network/v1/devices/+34611110000')
    const [started, ended] = await eventsOf(sink, res.body.id, 2)
    assert.equal(started?.body.type, prefix + 'subscription-started')
    assert.deepEqual(
      [ended?.body.type, ended?.body.data.terminationReason, ended?.body.data.subscriptionId],
      [prefix + 'subscription-ended', 'NETWORK_TERMINATED', res.body.id],
    )
  })
})
