import assert from 'node:assert/strict'
import { after, before, beforeEach, describe, it } from 'node:test'
import { startTestGateway, type TestGateway } from '../helpers/gateway.js'
import { Receiver } from '../helpers/receiver.js'
import type { MonitoringEventSubscription } from '../../src/network/monitoring-event.js'
import { FakeNef, nefEnv } from './fake-nef.js'

const ROAMING = {
  path: '/device-roaming-status-subscriptions/v0.8/subscriptions',
  prefix: 'org.camaraproject.device-roaming-status-subscriptions.v0.',
}
const REACH = {
  path: '/device-reachability-status-subscriptions/v0.8/subscriptions',
  prefix: 'org.camaraproject.device-reachability-status-subscriptions.v0.',
}
const LEGACY = {
  path: '/device-status/v0/subscriptions',
  prefix: 'org.camaraproject.device-status.v0.',
}
const MSISDN = '34600000001'
const PHONE = `+${MSISDN}`

const scopes = [
  ...['roaming-status', 'roaming-on', 'roaming-off', 'roaming-change-country'].map(
    (t) => `device-roaming-status-subscriptions:${ROAMING.prefix}${t}:create`,
  ),
  ...['reachability-data', 'reachability-sms', 'reachability-disconnected'].map(
    (t) => `device-reachability-status-subscriptions:${REACH.prefix}${t}:create`,
  ),
  'device-roaming-status-subscriptions:delete',
  'device-reachability-status-subscriptions:delete',
  'device-status:subscriptions:create device-status:subscriptions:delete',
].join(' ')

describe('NEF mode: subscriptions backed by Monitoring Event subscriptions', () => {
  let nef: FakeNef
  let gw: TestGateway
  let sink: Receiver
  let token: string
  before(async () => {
    nef = await new FakeNef().start()
    // The check runs only when a test asks (runOnce): a long interval.
    gw = await startTestGateway(
      nefEnv(nef, { NOTIFY_BACKOFF_MS: '50', NEF_CHECK_INTERVAL_MS: '3600000' }),
    )
    sink = await new Receiver().start()
    token = await gw.token2(scopes)
  })
  after(async () => {
    await gw.close()
    await sink.stop()
    await nef.stop()
  })
  beforeEach(() => {
    sink.received.length = 0
    nef.subscriptions.clear()
    nef.ues.set(MSISDN, { roamingMcc: null, reachable: ['DATA', 'SMS'] })
  })

  const create = (api: typeof ROAMING, type: string, config: Record<string, unknown> = {}) =>
    gw.post(
      api.path,
      {
        protocol: 'HTTP',
        sink: sink.url,
        types: [api.prefix + type],
        config: { subscriptionDetail: { device: { phoneNumber: PHONE } }, ...config },
      },
      token,
    )
  /** The one NEF subscription of the UE of that type. */
  const only = (monitoringType: string, reachabilityType?: string) => {
    const found = nef
      .subscriptionsOf(MSISDN, monitoringType)
      .filter(([, s]) => reachabilityType === undefined || s.reachabilityType === reachabilityType)
    assert.equal(found.length, 1, `${monitoringType} subscriptions: ${found.length}`)
    return found[0] as [string, MonitoringEventSubscription]
  }
  const events = (): Record<string, unknown>[] =>
    sink.received.map((r) => {
      const { type, data } = r.body as { type: string; data: Record<string, unknown> }
      const { subscriptionId: _id, device: _device, ...rest } = data
      return { type: type.split('.').pop(), ...rest }
    })
  /** The report the fake NEF would send now for its subscription of `self`. */
  const notifyCurrent = (self: string) => {
    const sub = nef.subscriptions.get(self)
    if (sub === undefined) throw new Error('no such NEF subscription')
    return nef.notify(self, { monitoringEventReports: [nef.report(MSISDN, sub)] })
  }

  it("roaming: a continuous ROAMING_STATUS subscription carries expiry, maximum and immediate report; reports become the simulator path's CloudEvents; a replay and a forged token change nothing; cancelInd ends it", async () => {
    const expire = new Date(Date.now() + 3_600_000).toISOString()
    const res = await create(ROAMING, 'roaming-status', {
      initialEvent: true,
      subscriptionExpireTime: expire,
      subscriptionMaxEvents: 10,
    })
    assert.equal(res.status, 201, JSON.stringify(res.body))
    const [self, sub] = only('ROAMING_STATUS')
    assert.equal(sub.msisdn, MSISDN)
    assert.equal(sub.plmnIndication, true)
    assert.equal(sub.immediateRep, true)
    assert.equal(Date.parse(sub.monitorExpireTime ?? ''), Date.parse(expire))
    assert.ok((sub.maximumNumberOfReports ?? 0) >= 10)
    assert.match(
      sub.notificationDestination,
      /^http:\/\/127\.0\.0\.1:\d+\/nef\/v1\/notifications\/[A-Za-z0-9_-]{43}$/,
    )
    await sink.waitFor(2)

    nef.ues.set(MSISDN, { roamingMcc: '262', reachable: ['DATA'] })
    assert.equal(await notifyCurrent(self), 204)
    await sink.waitFor(3)
    // The same report again, and a forged destination: 204 and 404, and nothing more is sent.
    assert.equal(await notifyCurrent(self), 204)
    const forged = await fetch(`${gw.url}/nef/v1/notifications/${'A'.repeat(43)}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        subscription: self,
        monitoringEventReports: [nef.report(MSISDN, sub)],
      }),
    })
    assert.equal(forged.status, 404)
    assert.match(forged.headers.get('content-type') ?? '', /^application\/problem\+json/)
    const malformed = await nef.notify(self, { monitoringEventReports: 'x' as never })
    assert.equal(malformed, 400)
    nef.ues.set(MSISDN, { roamingMcc: '208', reachable: ['DATA'] })
    assert.equal(await notifyCurrent(self), 204)
    nef.ues.set(MSISDN, { roamingMcc: null, reachable: ['DATA'] })
    assert.equal(await notifyCurrent(self), 204)
    await sink.waitFor(4)
    assert.equal(await nef.notify(self, { cancelInd: true }), 204)
    await sink.waitFor(5)
    assert.deepEqual(events(), [
      {
        type: 'subscription-started',
        initiationReason: 'SUBSCRIPTION_CREATED',
        initiationDescription: 'The subscription was created and is active.',
      },
      { type: 'roaming-status', roaming: false },
      { type: 'roaming-status', roaming: true, countryCode: 262, countryName: ['DE'] },
      // 262 → 208 is no roaming-status event (roaming-change-country is), as on the simulator.
      { type: 'roaming-status', roaming: false },
      {
        type: 'subscription-ended',
        terminationReason: 'NETWORK_TERMINATED',
        terminationDescription:
          'The network ended the subscription: the device is no longer served.',
      },
    ])
    // The replayed cancelInd finds nothing: 404, no second subscription-ended.
    assert.equal(await nef.notify(self, { cancelInd: true }, sub.notificationDestination), 404)
    const status = await gw.request(
      'GET',
      `${ROAMING.path}/${res.body.id}`,
      await gw.token2('device-roaming-status-subscriptions:read'),
    )
    assert.equal(status.status, 404)
  })

  it('reachability: three NEF subscriptions; after a NEF restart that lost them the check creates them again, and a change missed meanwhile is sent once; DELETE deletes them at the NEF', async () => {
    const res = await create(REACH, 'reachability-disconnected')
    assert.equal(res.status, 201, JSON.stringify(res.body))
    const asked = nef
      .subscriptionsOf(MSISDN)
      .map(([, s]) => `${s.monitoringType}/${s.reachabilityType ?? ''}`)
      .sort()
    assert.deepEqual(asked, [
      'LOSS_OF_CONNECTIVITY/',
      'UE_REACHABILITY/DATA',
      'UE_REACHABILITY/SMS',
    ])
    const lost = nef.subscriptionsOf(MSISDN).map(([, s]) => s.notificationDestination)
    await sink.waitFor(1)

    nef.restartLosingSubscriptions()
    nef.ues.set(MSISDN, { roamingMcc: null, reachable: [] })
    await gw.nefCheck?.runOnce()
    assert.equal(nef.subscriptionsOf(MSISDN).length, 3)
    await sink.waitFor(2)
    // Lost again, nothing changed: created again, no event.
    nef.restartLosingSubscriptions()
    await gw.nefCheck?.runOnce()
    await gw.nefCheck?.runOnce()
    assert.equal(nef.subscriptionsOf(MSISDN).length, 3)
    // The destinations of the lost subscriptions answer no more.
    for (const destination of lost)
      assert.equal(await nef.notify('x', { cancelInd: true }, destination), 404)
    // Reachable again, then a loss notified: one more disconnected.
    nef.ues.set(MSISDN, { roamingMcc: null, reachable: ['SMS'] })
    const [smsSelf] = only('UE_REACHABILITY', 'SMS')
    assert.equal(await notifyCurrent(smsSelf), 204)
    nef.ues.set(MSISDN, { roamingMcc: null, reachable: [] })
    const [lossSelf] = only('LOSS_OF_CONNECTIVITY')
    assert.equal(await notifyCurrent(lossSelf), 204)
    assert.equal(await notifyCurrent(lossSelf), 204)
    await sink.waitFor(3)

    const deletes = nef.calls('DELETE').length
    const del = await gw.request('DELETE', `${REACH.path}/${res.body.id}`, token)
    assert.equal(del.status, 204)
    await sink.waitFor(4)
    assert.equal(nef.calls('DELETE').length - deletes, 3)
    assert.equal(nef.subscriptionsOf(MSISDN).length, 0)
    assert.deepEqual(
      events().map((e) => e['type']),
      [
        'subscription-started',
        'reachability-disconnected',
        'reachability-disconnected',
        'subscription-ended',
      ],
    )
  })

  it('reachability: DATA and SMS to SMS only (a report for SMS, none for DATA) is one reachability-sms event: the adapter reads the connectivity again', async () => {
    const res = await create(REACH, 'reachability-sms')
    assert.equal(res.status, 201, JSON.stringify(res.body))
    await sink.waitFor(1)
    nef.ues.set(MSISDN, { roamingMcc: null, reachable: ['SMS'] })
    const [smsSelf] = only('UE_REACHABILITY', 'SMS')
    assert.equal(await notifyCurrent(smsSelf), 204)
    await sink.waitFor(2)
    assert.equal(await notifyCurrent(smsSelf), 204)
    const del = await gw.request('DELETE', `${REACH.path}/${res.body.id}`, token)
    assert.equal(del.status, 204)
    await sink.waitFor(3)
    assert.deepEqual(
      events().map((e) => e['type']),
      ['subscription-started', 'reachability-sms', 'subscription-ended'],
    )
  })

  it('a NEF that fails or is slow while the check runs: nothing changes, the next pass repairs, no event lost or doubled', async () => {
    const res = await create(ROAMING, 'roaming-status')
    assert.equal(res.status, 201, JSON.stringify(res.body))
    await sink.waitFor(1)
    nef.restartLosingSubscriptions()
    nef.ues.set(MSISDN, { roamingMcc: '262', reachable: ['DATA'] })
    for (const fault of [
      { kind: 'status', status: 503 },
      { kind: 'status', status: 500 },
    ] as const) {
      nef.fault = fault
      await gw.nefCheck?.runOnce()
    }
    nef.fault = { kind: 'none' }
    assert.equal(nef.subscriptions.size, 0)
    await gw.nefCheck?.runOnce()
    assert.equal(nef.subscriptionsOf(MSISDN, 'ROAMING_STATUS').length, 1)
    await gw.nefCheck?.runOnce()
    const del = await gw.request('DELETE', `${ROAMING.path}/${res.body.id}`, token)
    assert.equal(del.status, 204)
    await sink.waitFor(3)
    assert.deepEqual(
      events().map((e) => [e['type'], e['roaming']]),
      [
        ['subscription-started', undefined],
        ['roaming-status', true],
        ['subscription-ended', undefined],
      ],
    )
  })

  it('a subscription that reached its maximum of events: the check deletes its NEF subscription', async () => {
    const res = await create(ROAMING, 'roaming-on', { subscriptionMaxEvents: 1 })
    assert.equal(res.status, 201)
    const [self] = only('ROAMING_STATUS')
    nef.ues.set(MSISDN, { roamingMcc: '262', reachable: ['DATA'] })
    assert.equal(await notifyCurrent(self), 204)
    await sink.waitFor(3)
    assert.deepEqual(
      events().map((e) => e['type']),
      ['subscription-started', 'roaming-on', 'subscription-ended'],
    )
    await gw.nefCheck?.runOnce()
    assert.equal(nef.subscriptions.size, 0)
  })

  it('legacy v0.5.1 webhooks are backed the same way', async () => {
    const res = await gw.post(
      LEGACY.path,
      {
        subscriptionDetail: { device: { phoneNumber: PHONE }, type: LEGACY.prefix + 'roaming-on' },
        webhook: { notificationUrl: sink.url, notificationAuthToken: 'legacy-token' },
      },
      token,
    )
    assert.equal(res.status, 201, JSON.stringify(res.body))
    const [self] = only('ROAMING_STATUS')
    nef.ues.set(MSISDN, { roamingMcc: '262', reachable: ['DATA'] })
    assert.equal(await notifyCurrent(self), 204)
    const [event] = await sink.waitFor(1)
    assert.equal(event?.body.type, LEGACY.prefix + 'roaming-on')
    assert.deepEqual(event?.body.data, {
      device: { phoneNumber: PHONE },
      subscriptionId: res.body.subscriptionId,
    })
    const del = await gw.request('DELETE', `${LEGACY.path}/${res.body.subscriptionId}`, token)
    assert.equal(del.status, 204)
    assert.equal(nef.subscriptions.size, 0)
  })

  it('a NEF that refuses the subscription: the CAMARA answer is its fault, and nothing is left behind', async () => {
    nef.fault = { kind: 'status', status: 403 }
    const res = await create(ROAMING, 'roaming-on')
    nef.fault = { kind: 'none' }
    assert.equal(res.status, 403)
    assert.equal(res.body.code, 'PERMISSION_DENIED')
    assert.equal(nef.subscriptions.size, 0)
    assert.equal(sink.received.length, 0)
  })
})
