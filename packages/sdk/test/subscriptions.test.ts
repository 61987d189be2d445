import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import {
  ApiError,
  DeviceStatus,
  NotificationError,
  SimSwap,
  TimeoutError,
  parseNotification,
  subscriptionScopes,
  type Notification,
  type Subscription,
} from '@device-status/sdk'
import {
  Receiver,
  demoCredentials,
  pathsOf,
  startTestGateway,
  sinkEventsOf,
  type Received,
  type TestGateway,
} from './helpers.js'

const HOUR = 3_600_000
const SINK_TOKEN = 'sink-secret-token'
const credential = () => ({
  accessToken: SINK_TOKEN,
  accessTokenExpiresUtc: new Date(Date.now() + HOUR),
})

/** The subscription without its per-call values, for deepEqual. */
function shape(s: Subscription) {
  assert.ok(s.startsAt instanceof Date && !Number.isNaN(s.startsAt.getTime()))
  assert.match(s.correlator, /^[0-9a-f-]{36}$/)
  const { startsAt: _s, correlator: _c, id, ...rest } = s
  assert.equal(typeof id, 'string')
  return rest
}

/** Parses what a receiver recorded (Node's req.headers) with the sink token. */
function parsed(events: Received[]): Notification[] {
  return events.map((e) => parseNotification(e.body, e.headers, { expectedToken: SINK_TOKEN }))
}

/** A parsed notification without the values that change per run. */
function essence(n: Notification) {
  assert.ok(n.time instanceof Date && !Number.isNaN(n.time.getTime()))
  assert.equal(n.cloudEvent.id, n.id)
  const { id: _i, time: _t, cloudEvent: _c, source: _s, ...rest } = n
  return rest
}

describe('SDK subscriptions and notifications against a started gateway', () => {
  let gw: TestGateway
  let sink: Receiver
  before(async () => {
    gw = await startTestGateway({ NOTIFY_BACKOFF_MS: '50', CIBA_INTERVAL: '1' })
    sink = await new Receiver().start()
  })
  after(async () => {
    await gw.close()
    await sink.stop()
  })

  /** The events of one subscription in arrival order, once there are `count`. */
  const eventsOf = (id: string, count: number): Promise<Received[]> => sinkEventsOf(sink, id, count)

  it('two-legged DeviceStatus: create/get/list/delete on roaming, reachability and network type', async () => {
    const { credentials, events } = demoCredentials(gw)
    const device = { phoneNumber: '+34600000001' }
    const ds = new DeviceStatus(credentials, { device })
    const expiresAt = new Date(Date.now() + HOUR)

    const roaming = await ds.createRoamingSubscription({
      type: 'roaming-on',
      sink: sink.url,
      sinkCredential: credential(),
      expiresAt,
      maxEvents: 5,
      initialEvent: false,
    })
    assert.deepEqual(shape(roaming), {
      api: 'device-roaming-status-subscriptions',
      types: ['roaming-on'],
      sink: sink.url,
      expiresAt,
      status: 'ACTIVE',
      device,
      maxEvents: 5,
      initialEvent: false,
    })
    const reach = await ds.createReachabilitySubscription({
      type: 'reachability-disconnected',
      sink: new URL(sink.url),
    })
    assert.deepEqual(shape(reach), {
      api: 'device-reachability-status-subscriptions',
      types: ['reachability-disconnected'],
      sink: sink.url,
      status: 'ACTIVE',
      device,
    })
    const cnt = await ds.createConnectedNetworkTypeSubscription({ sink: sink.url })
    assert.deepEqual(shape(cnt).types, ['network-type-changed'])

    assert.deepEqual(shape(await ds.getRoamingSubscription(roaming.id)), shape(roaming))
    assert.deepEqual(shape(await ds.getReachabilitySubscription(reach.id)), shape(reach))
    assert.deepEqual(shape(await ds.getConnectedNetworkTypeSubscription(cnt.id)), shape(cnt))
    assert.ok((await ds.listRoamingSubscriptions()).some((s) => s.id === roaming.id))
    assert.deepEqual(
      (await ds.listReachabilitySubscriptions()).map((s) => s.id),
      [reach.id],
    )
    assert.deepEqual(
      (await ds.listConnectedNetworkTypeSubscriptions()).map((s) => s.id),
      [cnt.id],
    )

    await ds.deleteRoamingSubscription(roaming.id)
    await ds.deleteReachabilitySubscription(reach.id)
    await ds.deleteConnectedNetworkTypeSubscription(cnt.id)
    await assert.rejects(ds.getRoamingSubscription(roaming.id), (e: unknown) => {
      assert.ok(e instanceof ApiError)
      assert.deepEqual([e.status, e.code], [404, 'NOT_FOUND'])
      return true
    })
    await assert.rejects(ds.deleteReachabilitySubscription(reach.id), { code: 'NOT_FOUND' })
    await assert.rejects(ds.getConnectedNetworkTypeSubscription(cnt.id), { code: 'NOT_FOUND' })
    assert.deepEqual(await ds.listConnectedNetworkTypeSubscriptions(), [])

    // Client credentials: one token per subscription API and create type, the reads one more.
    const tokens = events.filter((e) => new URL(e.url).pathname === '/oauth2/token')
    assert.equal(tokens.length, 3)
  })

  it('two-legged SimSwap: create/get/list/delete with phoneNumber', async () => {
    const { credentials } = demoCredentials(gw)
    const simSwap = new SimSwap(credentials, { device: { phoneNumber: '+34600000006' } })
    const created = await simSwap.createSubscription({ sink: sink.url, maxEvents: 2 })
    assert.deepEqual(shape(created), {
      api: 'sim-swap-subscriptions',
      types: ['swapped'],
      sink: sink.url,
      status: 'ACTIVE',
      phoneNumber: '+34600000006',
      maxEvents: 2,
    })
    assert.deepEqual(shape(await simSwap.getSubscription(created.id)), shape(created))
    assert.deepEqual(
      (await simSwap.listSubscriptions()).map((s) => s.id),
      [created.id],
    )
    await simSwap.deleteSubscription(created.id)
    assert.deepEqual(await simSwap.listSubscriptions(), [])
    await assert.rejects(simSwap.getSubscription(created.id), { status: 404, code: 'NOT_FOUND' })
  })

  it('three-legged (CIBA): no device sent nor shown; the subscription scopes in a second CIBA run', async () => {
    const { credentials, events } = demoCredentials(gw)
    const ds = new DeviceStatus(credentials, { phoneNumber: '+34600000003' })
    assert.equal(typeof (await ds.isRoaming()), 'boolean')
    const roaming = await ds.createRoamingSubscription({ type: 'roaming-off', sink: sink.url })
    assert.deepEqual(shape(roaming), {
      api: 'device-roaming-status-subscriptions',
      types: ['roaming-off'],
      sink: sink.url,
      status: 'ACTIVE',
    })
    assert.deepEqual(
      (await ds.listRoamingSubscriptions()).map((s) => s.id),
      [roaming.id],
    )
    assert.deepEqual(shape(await ds.getRoamingSubscription(roaming.id)), shape(roaming))
    await ds.deleteRoamingSubscription(roaming.id)
    // One CIBA for the reads, one for the roaming subscription (create, read and delete scopes).
    assert.equal(pathsOf(events).filter((p) => p === '/oauth2/bc-authorize').length, 2)

    const reach = await ds.createReachabilitySubscription({
      type: 'reachability-data',
      sink: sink.url,
    })
    assert.equal(reach.device, undefined)
    assert.deepEqual(
      (await ds.listReachabilitySubscriptions()).map((s) => s.id),
      [reach.id],
    )
    assert.equal((await ds.getReachabilitySubscription(reach.id)).status, 'ACTIVE')
    await ds.deleteReachabilitySubscription(reach.id)

    const cnt = await ds.createConnectedNetworkTypeSubscription({ sink: sink.url })
    assert.deepEqual(
      (await ds.listConnectedNetworkTypeSubscriptions()).map((s) => s.id),
      [cnt.id],
    )
    assert.equal((await ds.getConnectedNetworkTypeSubscription(cnt.id)).id, cnt.id)
    await ds.deleteConnectedNetworkTypeSubscription(cnt.id)
    assert.deepEqual(await ds.listConnectedNetworkTypeSubscriptions(), [])

    // Scopes given up front: one CIBA run serves the retrieve calls and the subscriptions.
    const { credentials: c2, events: e2 } = demoCredentials(gw)
    const simSwap = new SimSwap(c2, {
      phoneNumber: '+34600000006',
      scopes: ['sim-swap:check', ...subscriptionScopes('sim-swap-subscriptions', 'swapped')],
    })
    assert.equal(await simSwap.check(24), true)
    const created = await simSwap.createSubscription({ sink: sink.url })
    assert.equal(created.phoneNumber, undefined)
    assert.deepEqual(
      (await simSwap.listSubscriptions()).map((s) => s.id),
      [created.id],
    )
    assert.equal((await simSwap.getSubscription(created.id)).id, created.id)
    await simSwap.deleteSubscription(created.id)
    assert.equal(pathsOf(e2).filter((p) => p === '/oauth2/bc-authorize').length, 1)
  })

  it('errors: ApiError from the gateway, INVALID_USAGE before sending', async () => {
    const { credentials, events } = demoCredentials(gw)
    const ds = new DeviceStatus(credentials, { device: { phoneNumber: '+34600000009' } })
    await assert.rejects(
      ds.createRoamingSubscription({ type: 'roaming-on', sink: sink.url }),
      (e: unknown) => {
        assert.ok(e instanceof ApiError)
        assert.deepEqual([e.status, e.code], [422, 'SERVICE_NOT_APPLICABLE'])
        return true
      },
    )
    const home = new DeviceStatus(credentials, { device: { phoneNumber: '+34600000001' } })
    await assert.rejects(home.createRoamingSubscription({ type: 'roaming-on', sink: 'azerty' }), {
      status: 400,
      code: 'INVALID_SINK',
    })
    await assert.rejects(
      home.createRoamingSubscription({
        type: 'roaming-on',
        sink: sink.url,
        expiresAt: '2020-01-01T00:00:00Z',
      }),
      { status: 400, code: 'INVALID_ARGUMENT' },
    )
    const before = events.length
    await assert.rejects(
      // @ts-expect-error: not a roaming event type
      home.createRoamingSubscription({ type: 'reachability-data', sink: sink.url }),
      { name: 'DeviceStatusError', code: 'INVALID_USAGE' },
    )
    await assert.rejects(
      home.createRoamingSubscription({ type: 'roaming-on', sink: sink.url, expiresAt: 'soon' }),
      { code: 'INVALID_USAGE' },
    )
    assert.equal(events.length, before, 'nothing sent')
  })

  it('a create that timed out once sent is not resent (the gateway may have created it)', async () => {
    let delayCreate = false
    // A slow network in front of the real gateway: the request arrives, the answer is late.
    const slow: typeof fetch = async (input, init) => {
      const response = await fetch(input, init)
      if (
        delayCreate &&
        init?.method === 'POST' &&
        (input instanceof Request ? input.url : input.toString()).endsWith('/subscriptions')
      ) {
        await new Promise((_resolve, reject) =>
          init.signal?.addEventListener('abort', () => reject(init.signal?.reason as Error)),
        )
      }
      return response
    }
    const { credentials, events } = demoCredentials(gw, {
      fetch: slow,
      retry: { retries: 3, minDelay: 1 },
    })
    const ds = new DeviceStatus(credentials, { device: { phoneNumber: '+34600000002' } })
    assert.deepEqual(await ds.listRoamingSubscriptions(), [])
    delayCreate = true
    await assert.rejects(
      ds.createRoamingSubscription({ type: 'roaming-off', sink: sink.url }, { timeout: 200 }),
      (e: unknown) => e instanceof TimeoutError,
    )
    delayCreate = false
    const creates = events.filter((e) => e.method === 'POST' && e.url.endsWith('/subscriptions'))
    assert.deepEqual(
      creates.map((e) => [e.attempt, e.error]),
      [[1, 'timeout']],
    )
    // It was created: listing is how to find out.
    const [created] = await ds.listRoamingSubscriptions()
    assert.deepEqual(created?.types, ['roaming-off'])
    await ds.deleteRoamingSubscription(created?.id ?? '')
  })

  it('a DELETE whose answer was lost is resent, and the 404 of that retry counts as deleted', async () => {
    let loseDelete = false
    // The DELETE reaches the gateway, its answer does not reach the SDK.
    const lossy: typeof fetch = async (input, init) => {
      const response = await fetch(input, init)
      if (loseDelete && init?.method === 'DELETE') {
        loseDelete = false
        await response.body?.cancel()
        throw new TypeError('fetch failed (connection reset)')
      }
      return response
    }
    const { credentials, events } = demoCredentials(gw, { fetch: lossy })
    const ds = new DeviceStatus(credentials, { device: { phoneNumber: '+34600000001' } })
    const s = await ds.createRoamingSubscription({ type: 'roaming-on', sink: sink.url })
    loseDelete = true
    await ds.deleteRoamingSubscription(s.id)
    assert.deepEqual(
      events.filter((e) => e.method === 'DELETE').map((e) => [e.attempt, e.error ?? e.status]),
      [
        [1, 'network'],
        [2, 404],
      ],
    )
    await assert.rejects(ds.getRoamingSubscription(s.id), { status: 404, code: 'NOT_FOUND' })
    // Deleted again by the caller: its first attempt answers 404, which stands.
    await assert.rejects(ds.deleteRoamingSubscription(s.id), { status: 404, code: 'NOT_FOUND' })
  })

  it('parseNotification refuses a time whose calendar fields do not exist', () => {
    const event = (time: string) => ({
      specversion: '1.0',
      id: '1',
      source: 'https://gateway.example/device-roaming-status-subscriptions/v0.8',
      type: 'org.camaraproject.device-roaming-status-subscriptions.v0.roaming-on',
      time,
      datacontenttype: 'application/json',
      data: { subscriptionId: 's' },
    })
    for (const [time, iso] of [
      ['2024-02-29T23:59:59.5Z', '2024-02-29T23:59:59.500Z'],
      ['2023-01-17t13:18:23z', '2023-01-17T13:18:23.000Z'],
      ['2023-01-17T13:18:23+01:00', '2023-01-17T12:18:23.000Z'],
    ] as const)
      assert.equal(parseNotification(event(time)).time.toISOString(), iso)
    for (const time of [
      '2023-02-30T10:00:00Z',
      '2023-02-29T10:00:00Z',
      '2023-04-31T10:00:00Z',
      '2023-13-01T10:00:00Z',
      '2023-01-17T24:00:00Z',
      '2023-01-17T13:60:00Z',
      '2023-01-17T13:18:23+24:00',
    ])
      assert.throws(
        () => parseNotification(event(time)),
        (e: unknown) => e instanceof NotificationError && e.code === 'INVALID_NOTIFICATION',
        time,
      )
  })

  it('parseNotification on the real notifications of every API, legacy included', async () => {
    const { credentials } = demoCredentials(gw)
    const phone = '+34600000005'
    const device = { phoneNumber: phone }
    const ds = new DeviceStatus(credentials, { device })
    /** The subscription-started every subscription of the four APIs begins with. */
    const started = (api: string, subscriptionId: string, subject: object = { device }) => ({
      type: 'subscription-started',
      api,
      subscriptionId,
      ...subject,
      initiationReason: 'SUBSCRIPTION_CREATED',
      initiationDescription: 'The subscription was created and is active.',
    })
    const roamingApi = 'device-roaming-status-subscriptions'
    const ids: Record<string, string> = {}
    for (const type of [
      'roaming-status',
      'roaming-on',
      'roaming-off',
      'roaming-change-country',
    ] as const) {
      const s = await ds.createRoamingSubscription({
        type,
        sink: sink.url,
        sinkCredential: credential(),
      })
      ids[type] = s.id
    }
    await gw.admin('PATCH', `/network/v1/devices/${phone}`, { roaming: { countryCode: 208 } })
    await gw.admin('PATCH', `/network/v1/devices/${phone}`, { roaming: { countryCode: 262 } })
    await gw.admin('PATCH', `/network/v1/devices/${phone}`, { roaming: false })
    const roaming = async (type: string, count: number) =>
      parsed(await eventsOf(ids[type] ?? '', count)).map(essence)
    assert.deepEqual(await roaming('roaming-status', 3), [
      started(roamingApi, ids['roaming-status'] ?? ''),
      {
        type: 'roaming-status',
        api: roamingApi,
        subscriptionId: ids['roaming-status'],
        device,
        roaming: true,
        countryCode: 208,
        countryNames: ['FR'],
      },
      {
        type: 'roaming-status',
        api: roamingApi,
        subscriptionId: ids['roaming-status'],
        device,
        roaming: false,
      },
    ])
    assert.deepEqual(await roaming('roaming-on', 2), [
      started(roamingApi, ids['roaming-on'] ?? ''),
      { type: 'roaming-on', api: roamingApi, subscriptionId: ids['roaming-on'], device },
    ])
    assert.deepEqual(await roaming('roaming-change-country', 2), [
      started(roamingApi, ids['roaming-change-country'] ?? ''),
      {
        type: 'roaming-change-country',
        api: roamingApi,
        subscriptionId: ids['roaming-change-country'],
        device,
        countryCode: 262,
        countryNames: ['DE'],
      },
    ])
    assert.deepEqual(await roaming('roaming-off', 2), [
      started(roamingApi, ids['roaming-off'] ?? ''),
      { type: 'roaming-off', api: roamingApi, subscriptionId: ids['roaming-off'], device },
    ])
    for (const id of Object.values(ids)) await ds.deleteRoamingSubscription(id)
    assert.deepEqual((await roaming('roaming-on', 3))[2], {
      type: 'subscription-ended',
      api: roamingApi,
      subscriptionId: ids['roaming-on'],
      device,
      terminationReason: 'SUBSCRIPTION_DELETED',
      terminationDescription: 'The subscription was deleted.',
    })

    // Reachability, network type (initial event), SIM swap.
    const reach = await ds.createReachabilitySubscription({
      type: 'reachability-disconnected',
      sink: sink.url,
      sinkCredential: credential(),
      maxEvents: 1,
    })
    const cnt = await ds.createConnectedNetworkTypeSubscription({
      sink: sink.url,
      sinkCredential: credential(),
      initialEvent: true,
    })
    assert.deepEqual(parsed(await eventsOf(cnt.id, 2)).map(essence), [
      started('connected-network-type-subscriptions', cnt.id),
      {
        type: 'network-type-changed',
        api: 'connected-network-type-subscriptions',
        subscriptionId: cnt.id,
        device,
        connectedNetworkType: '2G',
      },
    ])
    await gw.admin('PATCH', `/network/v1/devices/${phone}`, { connectivity: [] })
    // maxEvents 1 (subscription-started does not count): the event, then subscription-ended
    // MAX_EVENTS_REACHED.
    const reachEvents = parsed(await eventsOf(reach.id, 3))
    assert.deepEqual(
      reachEvents.map((n) => [n.type, n.api, n.subscriptionId]),
      [
        ['subscription-started', 'device-reachability-status-subscriptions', reach.id],
        ['reachability-disconnected', 'device-reachability-status-subscriptions', reach.id],
        ['subscription-ended', 'device-reachability-status-subscriptions', reach.id],
      ],
    )
    const end = reachEvents[2]
    assert.equal(end?.type === 'subscription-ended' && end.terminationReason, 'MAX_EVENTS_REACHED')
    await gw.admin('PATCH', `/network/v1/devices/${phone}`, { connectivity: ['SMS'] })
    await ds.deleteConnectedNetworkTypeSubscription(cnt.id)
    await eventsOf(cnt.id, 3)

    const simSwap = new SimSwap(credentials, { device })
    const swap = await simSwap.createSubscription({ sink: sink.url, sinkCredential: credential() })
    const swappedAt = '2026-11-20T08:30:00.000Z'
    await gw.admin('PATCH', `/network/v1/devices/${phone}`, { simSwappedAt: swappedAt })
    const [swapStarted, swapped] = parsed(await eventsOf(swap.id, 2))
    // Its lifecycle events carry the line as `phoneNumber`, which the typed result leaves out.
    assert.equal(swapStarted?.cloudEvent.data['phoneNumber'], phone)
    assert.deepEqual(
      swapStarted && essence(swapStarted),
      started('sim-swap-subscriptions', swap.id, {}),
    )
    assert.equal(swapped?.time.toISOString(), swappedAt)
    assert.deepEqual(swapped && essence(swapped), {
      type: 'swapped',
      api: 'sim-swap-subscriptions',
      subscriptionId: swap.id,
      phoneNumber: phone,
    })
    await simSwap.deleteSubscription(swap.id)
    await eventsOf(swap.id, 3)

    // Legacy device-status v0.5.1 webhook subscriptions (no SDK method: created over HTTP); they
    // have no subscription-started.
    const legacy = await gw.post(
      '/device-status/v0/subscriptions',
      {
        subscriptionDetail: {
          device,
          type: 'org.camaraproject.device-status.v0.connectivity-data',
        },
        subscriptionExpireTime: new Date(Date.now() + 1500).toISOString(),
        webhook: { notificationUrl: sink.url, notificationAuthToken: SINK_TOKEN },
      },
      await gw.token2('device-status:subscriptions:create'),
    )
    assert.equal(legacy.status, 201, JSON.stringify(legacy.body))
    await gw.admin('PATCH', `/network/v1/devices/${phone}`, { connectivity: ['DATA'] })
    const legacyEvents = parsed(await eventsOf(legacy.body.subscriptionId, 2))
    assert.deepEqual(legacyEvents.map(essence), [
      {
        type: 'connectivity-data',
        api: 'device-status',
        subscriptionId: legacy.body.subscriptionId,
        device,
      },
      {
        type: 'subscription-ends',
        api: 'device-status',
        subscriptionId: legacy.body.subscriptionId,
        device,
        terminationReason: 'SUBSCRIPTION_EXPIRED',
      },
    ])
  })

  it('parseNotification refuses hostile input: INVALID_NOTIFICATION or UNAUTHORIZED_NOTIFICATION', async () => {
    const { credentials } = demoCredentials(gw)
    const ds = new DeviceStatus(credentials, { device: { phoneNumber: '+34600000004' } })
    const s = await ds.createRoamingSubscription({
      type: 'roaming-on',
      sink: sink.url,
      sinkCredential: credential(),
    })
    await gw.admin('PATCH', '/network/v1/devices/+34600000004', { roaming: { countryCode: 208 } })
    const [realStarted, real] = await eventsOf(s.id, 2)
    assert.ok(realStarted && real)
    await ds.deleteRoamingSubscription(s.id)
    const good = real.body as Record<string, unknown>
    const data = good['data'] as Record<string, unknown>
    const headers = new Headers({
      authorization: `Bearer ${SINK_TOKEN}`,
      'content-type': 'application/cloudevents+json',
    })
    // The real one passes, as an object, as text, and with a Headers object.
    assert.equal(parseNotification(good, headers, { expectedToken: SINK_TOKEN }).type, 'roaming-on')
    assert.equal(parseNotification(JSON.stringify(good), headers).id, good['id'])
    assert.equal(parseNotification(good).subscriptionId, s.id)

    // subscription-started as the gateway sent it; subscription-updated built from the real
    // event, as the gateway sends it when the service stops applying to the device.
    const started = parseNotification(realStarted.body, realStarted.headers, {
      expectedToken: SINK_TOKEN,
    })
    assert.deepEqual(essence(started), {
      type: 'subscription-started',
      api: 'device-roaming-status-subscriptions',
      subscriptionId: s.id,
      device: { phoneNumber: '+34600000004' },
      initiationReason: 'SUBSCRIPTION_CREATED',
      initiationDescription: 'The subscription was created and is active.',
    })
    const lifecycle = (type: string, extra: Record<string, unknown>) => ({
      ...good,
      type: `org.camaraproject.device-roaming-status-subscriptions.v0.${type}`,
      data: { subscriptionId: s.id, ...extra },
    })
    const updated = parseNotification(
      lifecycle('subscription-updated', { updateReason: 'SUBSCRIPTION_INACTIVE' }),
    )
    assert.deepEqual(essence(updated), {
      type: 'subscription-updated',
      api: 'device-roaming-status-subscriptions',
      subscriptionId: s.id,
      updateReason: 'SUBSCRIPTION_INACTIVE',
    })
    assert.equal(
      parseNotification({
        ...lifecycle('subscription-started', { initiationReason: 'SUBSCRIPTION_CREATED' }),
        type: 'org.camaraproject.sim-swap-subscriptions.v0.subscription-started',
      }).api,
      'sim-swap-subscriptions',
    )

    const invalid: [string, unknown, Headers?][] = [
      ['subscription-started without reason', lifecycle('subscription-started', {})],
      [
        'subscription-updated with a numeric reason',
        lifecycle('subscription-updated', { updateReason: 1 }),
      ],
      [
        'subscription-started of the legacy API',
        {
          ...lifecycle('subscription-started', { initiationReason: 'SUBSCRIPTION_CREATED' }),
          type: 'org.camaraproject.device-status.v0.subscription-started',
        },
      ],
      ['not JSON', '{"specversion":'],
      ['an array', [good]],
      ['null', null],
      ['wrong specversion', { ...good, specversion: '0.3' }],
      ['numeric specversion', { ...good, specversion: 1.0 }],
      ['no id', { ...good, id: undefined }],
      ['empty id', { ...good, id: '' }],
      ['no source', { ...good, source: undefined }],
      [
        'unknown type',
        {
          ...good,
          type: 'org.camaraproject.device-roaming-status-subscriptions.v0.roaming-sideways',
        },
      ],
      [
        'type of another API',
        { ...good, type: 'org.camaraproject.sim-swap-subscriptions.v0.roaming-on' },
      ],
      ['unknown API', { ...good, type: 'org.camaraproject.constructor.v0.roaming-on' }],
      ['foreign type', { ...good, type: 'com.example.roaming-on' }],
      ['bad time', { ...good, time: 'yesterday' }],
      ['time without zone', { ...good, time: '2026-01-01T10:00:00' }],
      ['impossible time', { ...good, time: '2026-13-45T10:00:00Z' }],
      ['other datacontenttype', { ...good, datacontenttype: 'text/plain' }],
      ['no data', { ...good, data: undefined }],
      ['missing subscriptionId', { ...good, data: { ...data, subscriptionId: undefined } }],
      ['numeric subscriptionId', { ...good, data: { ...data, subscriptionId: 42 } }],
      ['device not an object', { ...good, data: { ...data, device: '+34600000004' } }],
      [
        'roaming-status without roaming',
        {
          ...good,
          type: 'org.camaraproject.device-roaming-status-subscriptions.v0.roaming-status',
        },
      ],
      [
        'network type outside the enum',
        {
          ...good,
          type: 'org.camaraproject.connected-network-type-subscriptions.v0.network-type-changed',
          data: { ...data, connectedNetworkType: '6G' },
        },
      ],
      [
        'subscription-ended without reason',
        { ...good, type: 'org.camaraproject.sim-swap-subscriptions.v0.subscription-ended' },
      ],
      ['binary-mode content type', good, new Headers({ 'content-type': 'text/plain' })],
    ]
    for (const [name, body, h] of invalid) {
      assert.throws(
        () => parseNotification(body, h),
        (e: unknown) => {
          assert.ok(e instanceof NotificationError, name)
          assert.deepEqual(
            [e.code, e.status, e.name],
            ['INVALID_NOTIFICATION', 400, 'NotificationError'],
            name,
          )
          return true
        },
        name,
      )
    }
    const unauthorized: [string, Record<string, string> | Headers | undefined][] = [
      ['no headers', undefined],
      ['no Authorization', { 'content-type': 'application/cloudevents+json' }],
      ['wrong token', { Authorization: 'Bearer sink-secret-tokem' }],
      ['a prefix of the token', { authorization: 'Bearer sink-secret' }],
      ['another scheme', { authorization: `Basic ${SINK_TOKEN}` }],
      ['Headers, wrong token', new Headers({ authorization: 'Bearer nope' })],
    ]
    for (const [name, h] of unauthorized) {
      assert.throws(
        () => parseNotification(good, h, { expectedToken: SINK_TOKEN }),
        (e: unknown) => {
          assert.ok(e instanceof NotificationError, name)
          assert.deepEqual([e.code, e.status], ['UNAUTHORIZED_NOTIFICATION', 401], name)
          assert.ok(!e.message.includes(SINK_TOKEN), 'no token in the message')
          return true
        },
        name,
      )
    }
  })
})
