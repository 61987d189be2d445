import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { assertError } from '../helpers/device-api-suite.js'
import {
  CORRELATOR,
  NOT_APPLICABLE_IS_SIMULATED,
  schemaErrors,
  simulatorOnly,
  startTestGateway,
  type TestGateway,
} from '../helpers/gateway.js'
import { Receiver } from '../helpers/receiver.js'
import {
  eventsOf,
  lifecycleErrors,
  subscriptionApiSuite,
} from '../helpers/subscription-api-suite.js'

const FILE = 'device-roaming-status-subscriptions-v0.8.0.yaml'
const PATH = '/device-roaming-status-subscriptions/v0.8/subscriptions'
const PREFIX = 'org.camaraproject.device-roaming-status-subscriptions.v0.'
const scope = (type: string) => `device-roaming-status-subscriptions:${PREFIX}${type}:create`
const ALL =
  ['roaming-status', 'roaming-on', 'roaming-off', 'roaming-change-country'].map(scope).join(' ') +
  ' device-roaming-status-subscriptions:read device-roaming-status-subscriptions:delete'

subscriptionApiSuite({
  api: 'device-roaming-status-subscriptions',
  base: '/device-roaming-status-subscriptions/v0.8',
  file: FILE,
  types: ['roaming-status', 'roaming-on', 'roaming-off', 'roaming-change-country'],
  identifier: 'device',
  sinkCode: 'INVALID_SINK',
  event: {
    type: 'roaming-on',
    schema: 'EventRoamingOn',
    phoneNumber: '+34600000001',
    change: { roaming: { countryCode: 208 } },
  },
  endedRequiresCountryCode: true,
})

describe('device-roaming-status-subscriptions 0.8.0', () => {
  let gw: TestGateway
  let sink: Receiver
  let token: string
  before(async () => {
    gw = await startTestGateway({ NOTIFY_BACKOFF_MS: '50' })
    sink = await new Receiver().start()
    token = await gw.token2(ALL)
  })
  after(async () => {
    await gw.close()
    await sink.stop()
  })

  const request = (
    type: string,
    device: unknown = { phoneNumber: '+34600000001' },
    config: Record<string, unknown> = {},
  ) => ({
    protocol: 'HTTP',
    sink: sink.url,
    sinkCredential: {
      credentialType: 'ACCESSTOKEN',
      accessToken: 'sink-secret',
      accessTokenExpiresUtc: new Date(Date.now() + 3_600_000).toISOString(),
      accessTokenType: 'bearer',
    },
    types: [PREFIX + type],
    config: { subscriptionDetail: device === null ? {} : { device }, ...config },
  })
  const create = (body: unknown, t = token) =>
    gw.post(PATH, body, t, { 'x-correlator': CORRELATOR })

  it('01.1: sync creation with a two-legged token echoes the request, 201, and GET/list show it', async () => {
    const res = await create(request('roaming-on'))
    assert.equal(res.status, 201, JSON.stringify(res.body))
    assert.equal(res.headers.get('x-correlator'), CORRELATOR)
    // The sandbox's http loopback sink is a documented deviation from the https pattern.
    assert.equal(
      schemaErrors(FILE, 'Subscription', { ...res.body, sink: 'https://sink.example' }),
      '',
    )
    assert.deepEqual(res.body.types, [PREFIX + 'roaming-on'])
    assert.equal(res.body.protocol, 'HTTP')
    assert.equal(res.body.sink, sink.url)
    assert.deepEqual(res.body.config.subscriptionDetail.device, { phoneNumber: '+34600000001' })
    assert.equal(res.body.sinkCredential, undefined, 'never shown')
    assert.equal(res.body.status, 'ACTIVE')
    const read = await gw.request('GET', `${PATH}/${res.body.id}`, token)
    assert.deepEqual(read.body, res.body)
    const list = await gw.request('GET', PATH, token)
    assert.ok(list.body.some((s: { id: string }) => s.id === res.body.id))
    await gw.request('DELETE', `${PATH}/${res.body.id}`, token)
  })

  it('03–06: notifications for roaming-on, off, status and change-country, as CloudEvents with the sink token', async () => {
    const ids: string[] = []
    for (const type of ['roaming-status', 'roaming-on', 'roaming-off', 'roaming-change-country']) {
      ids.push((await create(request(type, { phoneNumber: '+34600000005' }))).body.id)
    }
    await gw.admin('PATCH', '/network/v1/devices/+34600000005', { roaming: { countryCode: 208 } }) // on: status + on
    await gw.admin('PATCH', '/network/v1/devices/+34600000005', { roaming: { countryCode: 262 } }) // change-country
    await gw.admin('PATCH', '/network/v1/devices/+34600000005', { roaming: false }) // off: status + off
    // Four subscription-started, then five state events.
    const all = await eventsOf(sink, ids, 4 + 5)
    assert.equal(all.length, 9)
    for (const id of ids) {
      const [first] = all.filter((e) => e.body.data.subscriptionId === id)
      assert.equal(
        first?.body.type,
        PREFIX + 'subscription-started',
        'each sink hears of its start first',
      )
      assert.deepEqual(first?.body.data, {
        device: { phoneNumber: '+34600000005' },
        subscriptionId: id,
        initiationReason: 'SUBSCRIPTION_CREATED',
        initiationDescription: 'The subscription was created and is active.',
      })
      assert.equal(lifecycleErrors(FILE, 'EventSubscriptionStarted', first?.body), '')
    }
    const events = all.filter((e) => e.body.type !== PREFIX + 'subscription-started')
    const byType = (t: string) =>
      events.filter((e) => e.body.type === PREFIX + t).map((e) => e.body)
    assert.deepEqual(
      byType('roaming-on').map((e) => e.data),
      [{ device: { phoneNumber: '+34600000005' }, subscriptionId: ids[1] }],
    )
    assert.deepEqual(
      byType('roaming-off').map((e) => e.data.subscriptionId),
      [ids[2]],
    )
    assert.deepEqual(
      byType('roaming-status').map((e) => [e.data.roaming, e.data.countryCode, e.data.countryName]),
      [
        [true, 208, ['FR']],
        [false, undefined, undefined],
      ],
    )
    assert.deepEqual(
      byType('roaming-change-country').map((e) => [e.data.countryCode, e.data.countryName]),
      [[262, ['DE']]],
    )
    const schemas: Record<string, string> = {
      'roaming-status': 'EventRoamingStatus',
      'roaming-on': 'EventRoamingOn',
      'roaming-off': 'EventRoamingOff',
      'roaming-change-country': 'EventRoamingChangeCountry',
    }
    for (const { headers, body } of events) {
      assert.equal(headers['authorization'], 'Bearer sink-secret')
      assert.equal(headers['content-type'], 'application/cloudevents+json')
      assert.equal(schemaErrors(FILE, 'CloudEvent', body), '')
      assert.equal(schemaErrors(FILE, schemas[body.type.slice(PREFIX.length)] ?? '', body), '')
      assert.equal(body.specversion, '1.0')
      assert.ok(body.source.endsWith('/device-roaming-status-subscriptions/v0.8'))
    }
    for (const id of ids) await gw.request('DELETE', `${PATH}/${id}`, token)
  })

  it('01.2: three-legged: no device in the request nor the response, events without device', async () => {
    const t3 = await gw.token3('+34600000003', ALL)
    const res = await create(request('roaming-off', null), t3)
    assert.equal(res.status, 201, JSON.stringify(res.body))
    assert.deepEqual(res.body.config.subscriptionDetail, {})
    await gw.admin('PATCH', '/network/v1/devices/+34600000003', { roaming: false })
    const events = await eventsOf(sink, res.body.id, 2)
    assert.deepEqual(
      events.map((e) => e.body.type.slice(PREFIX.length)),
      ['subscription-started', 'roaming-off'],
    )
    // No device in a three-legged subscription's events, its start included.
    assert.deepEqual(events[0]?.body.data, {
      subscriptionId: res.body.id,
      initiationReason: 'SUBSCRIPTION_CREATED',
      initiationDescription: 'The subscription was created and is active.',
    })
    assert.deepEqual(events[1]?.body.data, { subscriptionId: res.body.id })
    assertError(
      await create(request('roaming-off', { phoneNumber: '+34600000003' }), t3),
      422,
      'UNNECESSARY_IDENTIFIER',
    )
    // Someone else's token cannot see it.
    const other = await gw.token3('+34600000001', ALL)
    assert.deepEqual((await gw.request('GET', PATH, other)).body, [])
    assertError(await gw.request('GET', `${PATH}/${res.body.id}`, other), 404, 'NOT_FOUND')
    assertError(
      await gw.request(
        'GET',
        `${PATH}/${res.body.id}`,
        await gw.token2(ALL, { clientId: 'another-app' }),
      ),
      404,
      'NOT_FOUND',
    )
  })

  it('initialEvent: roaming-status sent at once, after subscription-started; subscriptionMaxEvents 1 → MAX_EVENTS_REACHED', async () => {
    const res = await create(
      request(
        'roaming-status',
        { phoneNumber: '+34600000002' },
        { initialEvent: true, subscriptionMaxEvents: 1 },
      ),
    )
    assert.equal(res.status, 201)
    const [started, ...events] = await eventsOf(sink, res.body.id, 3)
    // subscription-started comes first and does not count toward subscriptionMaxEvents.
    assert.equal(started?.body.type, PREFIX + 'subscription-started')
    assert.deepEqual(
      events.map((e) => e.body.type.split('.').pop()),
      ['roaming-status', 'subscription-ended'],
    )
    assert.deepEqual(events[0]?.body.data, {
      device: { phoneNumber: '+34600000002' },
      roaming: true,
      countryCode: 262,
      countryName: ['DE'],
      subscriptionId: res.body.id,
    })
    assert.equal(events[1]?.body.data.terminationReason, 'MAX_EVENTS_REACHED')
    assertError(await gw.request('GET', `${PATH}/${res.body.id}`, token), 404, 'NOT_FOUND')
  })

  it('07: subscriptionExpireTime reached → subscription-ended SUBSCRIPTION_EXPIRED; DELETE → SUBSCRIPTION_DELETED', async () => {
    const expiring = await create(
      request(
        'roaming-on',
        { phoneNumber: '+34600000004' },
        { subscriptionExpireTime: new Date(Date.now() + 600).toISOString() },
      ),
    )
    assert.equal(expiring.status, 201)
    const deleted = await create(request('roaming-off', { phoneNumber: '+34600000004' }))
    const del = await gw.request('DELETE', `${PATH}/${deleted.body.id}`, token)
    assert.equal(del.status, 204)
    const reasons = async (id: string) =>
      (await eventsOf(sink, id, 2)).map(
        (e) => e.body.data.initiationReason ?? e.body.data.terminationReason,
      )
    assert.deepEqual(await reasons(expiring.body.id), [
      'SUBSCRIPTION_CREATED',
      'SUBSCRIPTION_EXPIRED',
    ])
    assert.deepEqual(await reasons(deleted.body.id), [
      'SUBSCRIPTION_CREATED',
      'SUBSCRIPTION_DELETED',
    ])
    assertError(await gw.request('DELETE', `${PATH}/${deleted.body.id}`, token), 404, 'NOT_FOUND')
  })

  it('400/403/404/422 errors as the test definitions expect', async () => {
    assertError(
      await create({ ...request('roaming-on'), protocol: 'MQTT3' }),
      400,
      'INVALID_PROTOCOL',
    )
    assertError(
      await create({
        ...request('roaming-on'),
        sinkCredential: { credentialType: 'PLAIN', identifier: 'a', secret: 'b' },
      }),
      400,
      'INVALID_CREDENTIAL',
    )
    assertError(
      await create({
        ...request('roaming-on'),
        sinkCredential: { ...request('roaming-on').sinkCredential, accessTokenType: 'mac' },
      }),
      400,
      'INVALID_TOKEN',
    )
    assertError(await create({ ...request('roaming-on'), sink: 'azerty' }), 400, 'INVALID_SINK')
    assertError(
      await create({ ...request('roaming-on'), sink: 'http://93.184.215.14/notify' }),
      400,
      'INVALID_SINK',
    )
    assertError(
      await create({ ...request('roaming-on'), sink: 'https://10.1.2.3/notify' }),
      400,
      'INVALID_SINK',
    )
    assertError(
      await create(
        request(
          'roaming-on',
          { phoneNumber: '+34600000001' },
          { subscriptionExpireTime: '2020-01-01T00:00:00Z' },
        ),
      ),
      400,
      'INVALID_ARGUMENT',
    )
    assertError(
      await create({ ...request('roaming-on'), types: [PREFIX + 'roaming-sideways'] }),
      400,
      'INVALID_ARGUMENT',
    )
    assertError(
      await create({
        ...request('roaming-on'),
        types: [PREFIX + 'roaming-on', PREFIX + 'roaming-off'],
      }),
      422,
      'MULTIEVENT_SUBSCRIPTION_NOT_SUPPORTED',
    )
    assertError(await create({ protocol: 'HTTP', sink: sink.url }), 400, 'INVALID_ARGUMENT')
    assertError(await create(request('roaming-on', {})), 400, 'INVALID_ARGUMENT')
    assertError(
      await create(request('roaming-on', { phoneNumber: '+99999999999' })),
      404,
      'IDENTIFIER_NOT_FOUND',
    )
    assertError(await create(request('roaming-on', null)), 422, 'MISSING_IDENTIFIER')
    assertError(
      await create(request('roaming-on', { networkAccessIdentifier: 'a@b.c' })),
      422,
      'UNSUPPORTED_IDENTIFIER',
    )
    assertError(
      await create(
        request('roaming-on'),
        await gw.token2('device-roaming-status-subscriptions:read'),
      ),
      403,
      'PERMISSION_DENIED',
    )
    assertError(
      await create(request('roaming-on'), await gw.token2(scope('roaming-off'))),
      403,
      'SUBSCRIPTION_MISMATCH',
    )
    assertError(await create(request('roaming-on'), 'garbage'), 401, 'UNAUTHENTICATED')
    assertError(await gw.request('GET', `${PATH}/does-not-exist`, token), 404, 'NOT_FOUND')
    assertError(
      await gw.request('GET', PATH, await gw.token2(scope('roaming-on'))),
      403,
      'PERMISSION_DENIED',
    )
  })

  it(
    '422 SERVICE_NOT_APPLICABLE for a device the service does not apply to',
    simulatorOnly(NOT_APPLICABLE_IS_SIMULATED),
    async () => {
      assertError(
        await create(request('roaming-on', { phoneNumber: '+34600000009' })),
        422,
        'SERVICE_NOT_APPLICABLE',
      )
    },
  )
})
