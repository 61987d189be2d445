// nef-sim: the network simulator as a NEF (TS 29.122 Monitoring Event), black-box over HTTP.
import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { loadNefSimConfig, NEF_SIM_ENVIRONMENT } from '../../src/nef-sim/config.js'
import { manualClock } from '../helpers/clock.js'
import { ROOT } from '../helpers/process.js'
import { removeTestNefSimStore, startTestNefSim, type TestNefSim } from '../helpers/nef-sim.js'
import { Receiver } from '../helpers/receiver.js'
import { monitoringEventSchemaErrors } from '../helpers/three-gpp.js'

const BASE = '/3gpp-monitoring-event/v1/device-status/subscriptions'
const NOW = '2026-12-06T12:00:00.000Z'
const DEST = 'http://127.0.0.1:9/unused'

/** A one-time request (`maximumNumberOfReports: 1`) for the UE. */
function oneTime(ue: Record<string, string>, type: string, extra: Record<string, unknown> = {}) {
  return {
    ...ue,
    notificationDestination: DEST,
    monitoringType: type,
    maximumNumberOfReports: 1,
    ...extra,
  }
}

function assertProblem(
  response: { status: number; headers: Headers; body: any },
  status: number,
  text: string,
) {
  assert.equal(response.status, status, `${text}: ${JSON.stringify(response.body)}`)
  assert.match(response.headers.get('content-type') ?? '', /^application\/problem\+json/)
  assert.equal(response.body.status, status)
  assert.equal(monitoringEventSchemaErrors('ProblemDetails', response.body), '', text)
}

describe('nef-sim: one-time requests', () => {
  let sim: TestNefSim
  const clock = manualClock(NOW)
  before(async () => {
    sim = await startTestNefSim({}, { clock: clock.clock })
  })
  after(() => sim.close())

  const cases: [string, Record<string, unknown>, Record<string, unknown>][] = [
    [
      'roaming status at home, with the home PLMN',
      oneTime({ msisdn: '34600000001' }, 'ROAMING_STATUS', { plmnIndication: true }),
      {
        monitoringType: 'ROAMING_STATUS',
        msisdn: '34600000001',
        roamingStatus: false,
        plmnId: { mcc: '214', mnc: '07' },
        eventTime: NOW,
      },
    ],
    [
      'roaming status abroad, with the visited PLMN',
      oneTime({ msisdn: '34600000002' }, 'ROAMING_STATUS', { plmnIndication: true }),
      {
        monitoringType: 'ROAMING_STATUS',
        msisdn: '34600000002',
        roamingStatus: true,
        plmnId: { mcc: '262', mnc: '01' },
        eventTime: NOW,
      },
    ],
    [
      'roaming status without plmnIndication has no plmnId',
      oneTime({ msisdn: '34600000003' }, 'ROAMING_STATUS'),
      {
        monitoringType: 'ROAMING_STATUS',
        msisdn: '34600000003',
        roamingStatus: true,
        eventTime: NOW,
      },
    ],
    [
      'an international MCC keeps its three digits',
      oneTime({ msisdn: '34600000007' }, 'ROAMING_STATUS', { plmnIndication: true }),
      {
        monitoringType: 'ROAMING_STATUS',
        msisdn: '34600000007',
        roamingStatus: true,
        plmnId: { mcc: '901', mnc: '01' },
        eventTime: NOW,
      },
    ],
    [
      'by externalId',
      oneTime({ externalId: '34600000001@example.net' }, 'ROAMING_STATUS'),
      {
        monitoringType: 'ROAMING_STATUS',
        externalId: '34600000001@example.net',
        roamingStatus: false,
        eventTime: NOW,
      },
    ],
    [
      'by ipv4Addr (no identifier in the report)',
      oneTime({ ipv4Addr: '84.125.93.20' }, 'ROAMING_STATUS', { plmnIndication: true }),
      {
        monitoringType: 'ROAMING_STATUS',
        roamingStatus: true,
        plmnId: { mcc: '262', mnc: '01' },
        eventTime: NOW,
      },
    ],
    [
      'by ipv6Addr in the device /64',
      oneTime({ ipv6Addr: '2001:db8:85a3:8d3::1' }, 'ROAMING_STATUS'),
      { monitoringType: 'ROAMING_STATUS', roamingStatus: false, eventTime: NOW },
    ],
    [
      'reachable for data',
      oneTime({ msisdn: '34600000001' }, 'UE_REACHABILITY', { reachabilityType: 'DATA' }),
      {
        monitoringType: 'UE_REACHABILITY',
        msisdn: '34600000001',
        reachabilityType: 'DATA',
        eventTime: NOW,
      },
    ],
    [
      'SMS only: not reachable for data (no reachabilityType)',
      oneTime({ msisdn: '34600000005' }, 'UE_REACHABILITY', { reachabilityType: 'DATA' }),
      { monitoringType: 'UE_REACHABILITY', msisdn: '34600000005', eventTime: NOW },
    ],
    [
      'SMS only: reachable for SMS',
      oneTime({ msisdn: '34600000005' }, 'UE_REACHABILITY', { reachabilityType: 'SMS' }),
      {
        monitoringType: 'UE_REACHABILITY',
        msisdn: '34600000005',
        reachabilityType: 'SMS',
        eventTime: NOW,
      },
    ],
    [
      'not connected: loss of connectivity with its reason',
      oneTime({ msisdn: '34600000004' }, 'LOSS_OF_CONNECTIVITY'),
      {
        monitoringType: 'LOSS_OF_CONNECTIVITY',
        msisdn: '34600000004',
        lossOfConnectReason: 0,
        eventTime: NOW,
      },
    ],
    [
      'connected: loss of connectivity without a reason',
      oneTime({ msisdn: '34600000001' }, 'LOSS_OF_CONNECTIVITY'),
      { monitoringType: 'LOSS_OF_CONNECTIVITY', msisdn: '34600000001', eventTime: NOW },
    ],
    [
      'additional types: several reports',
      oneTime({ msisdn: '34600000005' }, 'UE_REACHABILITY', {
        reachabilityType: 'SMS',
        addnMonTypes: ['LOSS_OF_CONNECTIVITY'],
      }),
      {
        monitoringEventReports: [
          {
            monitoringType: 'UE_REACHABILITY',
            msisdn: '34600000005',
            reachabilityType: 'SMS',
            eventTime: NOW,
          },
          { monitoringType: 'LOSS_OF_CONNECTIVITY', msisdn: '34600000005', eventTime: NOW },
        ],
      },
    ],
  ]
  for (const [name, request, expected] of cases) {
    it(`200 with the report: ${name}`, async () => {
      const response = await sim.call('POST', BASE, { body: request })
      assert.equal(response.status, 200, JSON.stringify(response.body))
      assert.equal(response.headers.get('location'), null)
      assert.deepEqual(response.body, expected)
      const schema =
        'monitoringEventReports' in expected ? 'MonitoringEventReports' : 'MonitoringEventReport'
      assert.equal(monitoringEventSchemaErrors(schema, response.body), '')
    })
  }

  it('leaves no resource behind', async () => {
    assert.deepEqual((await sim.call('GET', BASE)).body, [])
  })

  it('the simulator switches: service not applicable is 403, network unavailable 503', async () => {
    assertProblem(
      await sim.call('POST', BASE, { body: oneTime({ msisdn: '34600000009' }, 'ROAMING_STATUS') }),
      403,
      'not applicable',
    )
    assertProblem(
      await sim.call('POST', BASE, { body: oneTime({ msisdn: '34600000010' }, 'ROAMING_STATUS') }),
      503,
      'unavailable',
    )
  })
})

describe('nef-sim: bad requests are ProblemDetails', () => {
  let sim: TestNefSim
  before(async () => {
    sim = await startTestNefSim()
  })
  after(() => sim.close())

  const valid: Record<string, unknown> = oneTime({ msisdn: '34600000001' }, 'ROAMING_STATUS')
  const { notificationDestination: _d, ...noDestination } = valid
  const { monitoringType: _t, ...noType } = valid
  const { maximumNumberOfReports: _m, ...noEnd } = valid
  const { msisdn: _i, ...noUe } = valid
  const cases: [string, unknown, number, string | undefined][] = [
    ['no notificationDestination', noDestination, 400, '/notificationDestination'],
    ['no monitoringType', noType, 400, '/monitoringType'],
    ['neither maximumNumberOfReports nor monitorExpireTime', noEnd, 400, undefined],
    [
      'maximumNumberOfReports 0',
      { ...valid, maximumNumberOfReports: 0 },
      400,
      '/maximumNumberOfReports',
    ],
    [
      'maximumNumberOfReports as text',
      { ...valid, maximumNumberOfReports: '1' },
      400,
      '/maximumNumberOfReports',
    ],
    [
      'monitorExpireTime not a date-time',
      { ...noEnd, monitorExpireTime: 'tomorrow' },
      400,
      '/monitorExpireTime',
    ],
    [
      'monitorExpireTime in the past',
      { ...noEnd, monitorExpireTime: '2000-01-01T00:00:00Z' },
      400,
      '/monitorExpireTime',
    ],
    ['msisdn with a +', { ...valid, msisdn: '+34600000001' }, 400, '/msisdn'],
    ['externalId without a domain', { ...noUe, externalId: 'someone' }, 400, '/externalId'],
    ['ipv4Addr not an address', { ...noUe, ipv4Addr: '300.1.1.1' }, 400, '/ipv4Addr'],
    ['no UE identifier', noUe, 400, undefined],
    [
      'UE_REACHABILITY without reachabilityType',
      { ...valid, monitoringType: 'UE_REACHABILITY' },
      400,
      '/reachabilityType',
    ],
    [
      'reachabilityType not served',
      { ...valid, monitoringType: 'UE_REACHABILITY', reachabilityType: 'VOICE' },
      400,
      '/reachabilityType',
    ],
    [
      'notificationDestination not an http URI',
      { ...valid, notificationDestination: 'mailto:x@y' },
      400,
      '/notificationDestination',
    ],
    ['a body that is no JSON object', [], 400, undefined],
    [
      'a monitoring type it does not serve',
      { ...valid, monitoringType: 'LOCATION_REPORTING' },
      403,
      undefined,
    ],
    ['an unknown UE', { ...valid, msisdn: '34699999999' }, 404, undefined],
    ['an IPv4 address no device has', { ...noUe, ipv4Addr: '203.0.113.1' }, 404, undefined],
  ]
  for (const [name, body, status, param] of cases) {
    it(`${status}: ${name}`, async () => {
      const response = await sim.call('POST', BASE, { body })
      assertProblem(response, status, name)
      if (param !== undefined)
        assert.ok(
          response.body.invalidParams?.some((p: { param: string }) => p.param === param),
          JSON.stringify(response.body),
        )
    })
  }

  it('400 for a body that is not JSON, 415 for another content type', async () => {
    assertProblem(
      await sim.call('POST', BASE, {
        body: '{"msisdn":',
        headers: { 'content-type': 'application/json' },
      }),
      400,
      'not JSON',
    )
    const response = await fetch(sim.url + BASE, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: 'hello',
    })
    assert.equal(response.status, 415)
    assert.match(response.headers.get('content-type') ?? '', /^application\/problem\+json/)
  })

  it('404 for an unknown subscription (read, delete) and an unknown path', async () => {
    assertProblem(await sim.call('GET', `${BASE}/nope`), 404, 'read')
    assertProblem(await sim.call('DELETE', `${BASE}/nope`), 404, 'delete')
    assertProblem(await sim.call('GET', '/3gpp-monitoring-event/v1/x'), 404, 'path')
  })

  it('405 for updates, which it does not serve', async () => {
    assertProblem(await sim.call('PUT', `${BASE}/nope`, { body: valid }), 405, 'put')
  })
})

describe('nef-sim: continuous subscriptions', () => {
  let sim: TestNefSim
  let receiver: Receiver
  before(async () => {
    sim = await startTestNefSim()
    receiver = await new Receiver().start()
  })
  after(async () => {
    await sim.close()
    await receiver.stop()
  })

  it('201 with Location and self; read, list (per scsAsId) and delete', async () => {
    const request = {
      msisdn: '34600000002',
      notificationDestination: receiver.url,
      monitoringType: 'ROAMING_STATUS',
      plmnIndication: true,
      maximumNumberOfReports: 10,
      monitorExpireTime: '2099-01-01T00:00:00.000Z',
    }
    const created = await sim.call('POST', BASE, { body: request })
    assert.equal(created.status, 201, JSON.stringify(created.body))
    const location = created.headers.get('location') ?? ''
    assert.match(location, new RegExp(`^${sim.url}${BASE}/[\\w-]+$`))
    assert.deepEqual(created.body, { ...request, self: location })
    assert.equal(monitoringEventSchemaErrors('MonitoringEventSubscription', created.body), '')
    const path = new URL(location).pathname

    assert.deepEqual((await sim.call('GET', path)).body, created.body)
    assert.deepEqual((await sim.call('GET', BASE)).body, [created.body])
    const other = '/3gpp-monitoring-event/v1/another-as/subscriptions'
    assert.deepEqual((await sim.call('GET', other)).body, [])
    assertProblem(await sim.call('GET', path.replace(BASE, other)), 404, 'another AS')

    const deleted = await sim.call('DELETE', path)
    assert.equal(deleted.status, 204)
    assertProblem(await sim.call('GET', path), 404, 'deleted')
    assertProblem(await sim.call('DELETE', path), 404, 'deleted twice')
  })

  it('immediateRep: the current state in monitoringEventReport (and addnMonEventReports)', async () => {
    const created = await sim.call('POST', BASE, {
      body: {
        msisdn: '34600000005',
        notificationDestination: receiver.url,
        monitoringType: 'UE_REACHABILITY',
        reachabilityType: 'SMS',
        addnMonTypes: ['LOSS_OF_CONNECTIVITY'],
        immediateRep: true,
        maximumNumberOfReports: 5,
      },
    })
    assert.equal(created.status, 201)
    assert.deepEqual(
      { ...created.body.monitoringEventReport, eventTime: undefined },
      {
        monitoringType: 'UE_REACHABILITY',
        msisdn: '34600000005',
        reachabilityType: 'SMS',
        eventTime: undefined,
      },
    )
    assert.equal(created.body.addnMonEventReports.length, 1)
    assert.equal(created.body.addnMonEventReports[0].monitoringType, 'LOSS_OF_CONNECTIVITY')
    assert.equal(monitoringEventSchemaErrors('MonitoringEventSubscription', created.body), '')
    await sim.call('DELETE', new URL(created.headers.get('location') ?? '').pathname)
  })
})

describe('nef-sim: device changes become Monitoring notifications', () => {
  let sim: TestNefSim
  let receiver: Receiver
  before(async () => {
    sim = await startTestNefSim()
    receiver = await new Receiver().start()
  })
  after(async () => {
    await sim.close()
    await receiver.stop()
  })

  const subscribe = async (body: Record<string, unknown>) => {
    const created = await sim.call('POST', BASE, {
      body: { notificationDestination: receiver.url, ...body },
    })
    assert.equal(created.status, 201, JSON.stringify(created.body))
    return created.headers.get('location') ?? ''
  }
  /** The reports of the notifications from `from` on, with their eventTime left out. */
  const reportsFrom = (from: number) =>
    receiver.received.slice(from).map((r) => {
      assert.equal(monitoringEventSchemaErrors('MonitoringNotification', r.body), '')
      return {
        subscription: r.body.subscription,
        cancelInd: r.body.cancelInd,
        reports: (r.body.monitoringEventReports ?? []).map(
          ({ eventTime: _t, ...report }: Record<string, unknown>) => report,
        ),
      }
    })

  it('roaming on, change of country and back home: ROAMING_STATUS with the serving PLMN', async () => {
    const self = await subscribe({
      msisdn: '34600000001',
      monitoringType: 'ROAMING_STATUS',
      plmnIndication: true,
      monitorExpireTime: '2099-01-01T00:00:00Z',
    })
    const from = receiver.received.length
    const device = '/network/v1/devices/+34600000001'
    assert.equal((await sim.admin('PATCH', device, { roaming: { countryCode: 208 } })).status, 200)
    assert.equal((await sim.admin('PATCH', device, { roaming: { countryCode: 262 } })).status, 200)
    assert.equal((await sim.admin('PATCH', device, { networkType: '4G' })).status, 200)
    assert.equal((await sim.admin('PATCH', device, { roaming: false })).status, 200)
    await receiver.waitFor(from + 3)
    const report = (roamingStatus: boolean, mcc: string, mnc: string) => ({
      subscription: self,
      cancelInd: undefined,
      reports: [
        {
          monitoringType: 'ROAMING_STATUS',
          msisdn: '34600000001',
          roamingStatus,
          plmnId: { mcc, mnc },
        },
      ],
    })
    assert.deepEqual(reportsFrom(from), [
      report(true, '208', '01'),
      report(true, '262', '01'),
      report(false, '214', '07'),
    ])
    await sim.call('DELETE', new URL(self).pathname)
  })

  it('reachability: UE_REACHABILITY per type and LOSS_OF_CONNECTIVITY', async () => {
    const data = await subscribe({
      msisdn: '34600000005',
      monitoringType: 'UE_REACHABILITY',
      reachabilityType: 'DATA',
      maximumNumberOfReports: 100,
    })
    const sms = await subscribe({
      msisdn: '34600000005',
      monitoringType: 'UE_REACHABILITY',
      reachabilityType: 'SMS',
      maximumNumberOfReports: 100,
    })
    const loss = await subscribe({
      msisdn: '34600000005',
      monitoringType: 'LOSS_OF_CONNECTIVITY',
      maximumNumberOfReports: 100,
    })
    const from = receiver.received.length
    const device = '/network/v1/devices/+34600000005'
    await sim.admin('PATCH', device, { connectivity: [] }) // loss
    await sim.admin('PATCH', device, { connectivity: ['DATA'] }) // data
    await sim.admin('PATCH', device, { connectivity: ['DATA', 'SMS'] }) // data, sms
    await sim.admin('PATCH', device, { connectivity: ['SMS'] }) // sms
    await receiver.waitFor(from + 5)
    const ue = { msisdn: '34600000005' }
    const got = reportsFrom(from)
    const of = (self: string) => got.filter((n) => n.subscription === self).map((n) => n.reports)
    assert.deepEqual(of(loss), [
      [{ monitoringType: 'LOSS_OF_CONNECTIVITY', ...ue, lossOfConnectReason: 0 }],
    ])
    assert.deepEqual(of(data), [
      [{ monitoringType: 'UE_REACHABILITY', ...ue, reachabilityType: 'DATA' }],
      [{ monitoringType: 'UE_REACHABILITY', ...ue, reachabilityType: 'DATA' }],
    ])
    assert.deepEqual(of(sms), [
      [{ monitoringType: 'UE_REACHABILITY', ...ue, reachabilityType: 'SMS' }],
      [{ monitoringType: 'UE_REACHABILITY', ...ue, reachabilityType: 'SMS' }],
    ])
    for (const self of [data, sms, loss]) await sim.call('DELETE', new URL(self).pathname)
  })

  it('the last of maximumNumberOfReports carries cancelInd and ends the subscription (an immediate report counts)', async () => {
    const self = await subscribe({
      msisdn: '34600000003',
      monitoringType: 'ROAMING_STATUS',
      maximumNumberOfReports: 2,
      immediateRep: true,
    })
    const from = receiver.received.length
    await sim.admin('PATCH', '/network/v1/devices/+34600000003', { roaming: false })
    await receiver.waitFor(from + 1)
    assert.deepEqual(reportsFrom(from), [
      {
        subscription: self,
        cancelInd: true,
        reports: [
          { monitoringType: 'ROAMING_STATUS', msisdn: '34600000003', roamingStatus: false },
        ],
      },
    ])
    assertProblem(await sim.call('GET', new URL(self).pathname), 404, 'ended')
  })

  it('a removed device ends its subscriptions with cancelInd', async () => {
    await sim.admin('PUT', '/network/v1/devices/+34600000077', {})
    const self = await subscribe({
      msisdn: '34600000077',
      monitoringType: 'LOSS_OF_CONNECTIVITY',
      maximumNumberOfReports: 5,
    })
    const from = receiver.received.length
    assert.equal((await sim.admin('DELETE', '/network/v1/devices/+34600000077')).status, 204)
    await receiver.waitFor(from + 1)
    assert.deepEqual(reportsFrom(from), [{ subscription: self, cancelInd: true, reports: [] }])
  })

  it('a scenario step notifies like an admin change', async () => {
    const self = await subscribe({
      msisdn: '34600000006',
      monitoringType: 'ROAMING_STATUS',
      maximumNumberOfReports: 5,
    })
    const from = receiver.received.length
    const run = await sim.admin('POST', '/network/v1/scenarios', {
      steps: [{ at: 0, phoneNumber: '+34600000006', set: { roaming: { countryCode: 234 } } }],
    })
    assert.equal(run.status, 202)
    await receiver.waitFor(from + 1)
    assert.deepEqual(reportsFrom(from)[0]?.reports, [
      { monitoringType: 'ROAMING_STATUS', msisdn: '34600000006', roamingStatus: true },
    ])
    await sim.call('DELETE', new URL(self).pathname)
  })
})

describe('nef-sim: delivery, expiry, restart, lost subscriptions', () => {
  it('retries a notification with backoff until it is answered, in order', async (t) => {
    const sim = await startTestNefSim()
    const receiver = await new Receiver().start()
    t.after(async () => {
      await sim.close()
      await receiver.stop()
    })
    let calls = 0
    receiver.respond = () => (++calls <= 2 ? 503 : 204)
    await sim.call('POST', BASE, {
      body: {
        msisdn: '34600000001',
        notificationDestination: receiver.url,
        monitoringType: 'ROAMING_STATUS',
        maximumNumberOfReports: 5,
      },
    })
    await sim.admin('PATCH', '/network/v1/devices/+34600000001', { roaming: { countryCode: 208 } })
    await sim.admin('PATCH', '/network/v1/devices/+34600000001', { roaming: false })
    await receiver.waitFor(2)
    assert.deepEqual(
      receiver.received.map((r) => r.body.monitoringEventReports[0].roamingStatus),
      [true, false],
    )
    assert.equal(calls, 4)
    // The last answer is recorded just after the receiver has it: wait for the outbox to drain.
    let pending: unknown[] = []
    for (let i = 0; i < 100; i++) {
      pending = (await sim.admin('GET', '/network/v1/nef-notifications')).body as unknown[]
      if (pending.length === 0) break
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
    assert.deepEqual(pending, [])
  })

  it('monitorExpireTime passed: a cancelInd notification, and the subscription is gone', async (t) => {
    const clock = manualClock(NOW)
    const sim = await startTestNefSim({}, { clock: clock.clock })
    const receiver = await new Receiver().start()
    t.after(async () => {
      await sim.close()
      await receiver.stop()
    })
    const created = await sim.call('POST', BASE, {
      body: {
        msisdn: '34600000001',
        notificationDestination: receiver.url,
        monitoringType: 'ROAMING_STATUS',
        monitorExpireTime: '2026-12-06T12:01:00Z',
      },
    })
    assert.equal(created.status, 201)
    await sim.notifications.runOnce()
    assert.equal(receiver.received.length, 0)
    clock.advance(60_000)
    await sim.notifications.runOnce()
    await receiver.waitFor(1)
    assert.deepEqual(receiver.received[0]?.body, {
      subscription: created.headers.get('location'),
      cancelInd: true,
    })
    assert.equal((await sim.call('GET', BASE)).body.length, 0)
  })

  it('subscriptions survive a restart; dropping them all (a NEF that lost its state) stops their notifications', async (t) => {
    const dataDir = mkdtempSync(join(tmpdir(), 'ds-nef-sim-restart-'))
    const receiver = await new Receiver().start()
    t.after(async () => {
      await receiver.stop()
      await removeTestNefSimStore(dataDir)
    })
    let sim = await startTestNefSim({}, { dataDir })
    const created = await sim.call('POST', BASE, {
      body: {
        msisdn: '34600000001',
        notificationDestination: receiver.url,
        monitoringType: 'ROAMING_STATUS',
        maximumNumberOfReports: 5,
      },
    })
    await sim.close()
    sim = await startTestNefSim({}, { dataDir })
    try {
      const path = new URL(created.headers.get('location') ?? '').pathname
      assert.equal((await sim.call('GET', path)).status, 200)
      await sim.admin('PATCH', '/network/v1/devices/+34600000001', {
        roaming: { countryCode: 208 },
      })
      await receiver.waitFor(1)
      const listed = await sim.admin('GET', '/network/v1/nef-subscriptions')
      assert.equal(listed.body.length, 1)
      assert.equal(listed.body[0].scsAsId, 'device-status')
      assert.equal(listed.body[0].reportsLeft, 4)

      assert.equal((await sim.call('DELETE', '/network/v1/nef-subscriptions')).status, 401)
      assert.deepEqual((await sim.admin('DELETE', '/network/v1/nef-subscriptions')).body, {
        dropped: 1,
      })
      assertProblem(await sim.call('GET', path), 404, 'dropped')
      await sim.admin('PATCH', '/network/v1/devices/+34600000001', { roaming: false })
      await sim.notifications.runOnce()
      assert.deepEqual((await sim.admin('GET', '/network/v1/nef-notifications')).body, [])
      assert.equal(receiver.received.length, 1)
    } finally {
      await sim.close()
    }
  })
})

describe('nef-sim: the bearer token (NEF_SIM_TOKEN) and the admin token', () => {
  let sim: TestNefSim
  before(async () => {
    sim = await startTestNefSim({ NEF_SIM_TOKEN: 'nef-secret', ADMIN_TOKEN: 'admin-secret' })
  })
  after(() => sim.close())

  for (const [name, token, status] of [
    ['no token', undefined, 401],
    ['a wrong token', 'nef-secreT', 401],
    ['the admin token', 'admin-secret', 401],
    ['the token', 'nef-secret', 200],
  ] as const) {
    it(`${status} with ${name}`, async () => {
      const response = await sim.call('GET', BASE, token === undefined ? {} : { token })
      if (status === 200) assert.equal(response.status, 200)
      else assertProblem(response, status, name)
    })
  }

  it('the admin API takes the admin token only (a CAMARA error body otherwise)', async () => {
    const refused = await sim.call('GET', '/network/v1/devices', { token: 'nef-secret' })
    assert.equal(refused.status, 401)
    assert.equal(refused.body.code, 'UNAUTHENTICATED')
    assert.equal(
      (await sim.call('GET', '/network/v1/devices', { token: 'admin-secret' })).status,
      200,
    )
  })
})

describe("nef-sim's configuration", () => {
  it('the README table ("Connect to a NEF") lists every variable it reads, and no other', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8')
    const section = readme.split('## Connect to a NEF')[1]?.split('\n## ')[0] ?? ''
    const documented = section
      .split('\n')
      .map((line) => /^\| `([A-Z_]+)` /.exec(line)?.[1])
      .filter((name) => name !== undefined)
    assert.deepEqual(documented.sort(), Object.keys(NEF_SIM_ENVIRONMENT).sort())
  })

  const bad: [string, Record<string, string>, RegExp][] = [
    ['PORT', { PORT: '65536' }, /PORT must be an integer from 0 to 65535, not "65536"/],
    ['NEF_SIM_HOME_PLMN', { NEF_SIM_HOME_PLMN: '2140-7' }, /NEF_SIM_HOME_PLMN must be MCC-MNC/],
    [
      'NEF_SIM_API_ROOT',
      { NEF_SIM_API_ROOT: 'ftp://x' },
      /NEF_SIM_API_ROOT must be an http\(s\) URL/,
    ],
    [
      'NEF_SIM_NOTIFY_TIMEOUT_MS',
      { NEF_SIM_NOTIFY_TIMEOUT_MS: '0' },
      /NEF_SIM_NOTIFY_TIMEOUT_MS must be an integer from 1/,
    ],
    ['DATABASE_URL', { DATABASE_URL: 'sqlite://x' }, /DATABASE_URL must be a postgres:\/\/ URL/],
    ['LOG_LEVEL', { LOG_LEVEL: 'loud' }, /LOG_LEVEL must be one of/],
  ]
  for (const [name, env, message] of bad) {
    it(`refuses a bad ${name} with a ConfigError naming it`, () => {
      assert.throws(
        () => loadNefSimConfig(env),
        (error: Error) => {
          assert.equal(error.name, 'ConfigError')
          assert.match(error.message, message)
          return true
        },
      )
    })
  }

  it('defaults: port 9090, ./.data-nef-sim, home PLMN 214-07, no token', () => {
    const config = loadNefSimConfig({})
    assert.equal(config.port, 9090)
    assert.ok(config.dataDir.endsWith('.data-nef-sim'))
    assert.deepEqual(config.home, { mcc: '214', mnc: '07' })
    assert.equal(config.token, undefined)
    assert.deepEqual(loadNefSimConfig({ NEF_SIM_HOME_PLMN: '310-260' }).home, {
      mcc: '310',
      mnc: '260',
    })
  })
})
