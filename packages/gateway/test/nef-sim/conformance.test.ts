// nef-sim against the 3GPP file, checked by a tool we did not write: every call goes through
// Stoplight Prism as a validating proxy (`prism proxy … --errors`) over
// ../shared/specs/3gpp/TS29122_MonitoringEvent.bundled.yaml, so an answer of nef-sim that
// violates the file is a 500 from Prism and a line in its log. Its notifications are checked
// against the file's MonitoringNotification schema with Ajv.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { startTestNefSim, type TestNefSim } from '../helpers/nef-sim.js'
import { startPrism, type PrismProcess } from '../helpers/prism.js'
import { Receiver } from '../helpers/receiver.js'
import { monitoringEventSchemaErrors } from '../helpers/three-gpp.js'

const TOKEN = 'conformance-token'
const BASE = '/3gpp-monitoring-event/v1/conformance-as/subscriptions'

describe('nef-sim through the Prism validating proxy', () => {
  let sim: TestNefSim
  let prism: PrismProcess
  let receiver: Receiver

  /** A call through Prism with the bearer token. */
  const call = async (
    method: string,
    path: string,
    body?: unknown,
    token: string | null = TOKEN,
  ) => {
    const response = await fetch(prism.url + path, {
      method,
      headers: {
        ...(token === null ? {} : { authorization: `Bearer ${token}` }),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    })
    const text = await response.text()
    return {
      status: response.status,
      headers: response.headers,
      body: text === '' ? undefined : JSON.parse(text),
    }
  }

  before(async () => {
    sim = await startTestNefSim({ NEF_SIM_TOKEN: TOKEN })
    prism = await startPrism({ mode: 'proxy', upstream: sim.url })
    // Its self and Location URLs name the proxy, as a NEF behind a gateway names its public URL.
    sim.setApiRoot(prism.url)
    receiver = await new Receiver().start()
  })
  after(async () => {
    await prism.close()
    await sim.close()
    await receiver.stop()
  })

  const ue = { msisdn: '34600000005' }
  const asks: [string, Record<string, unknown>][] = [
    [
      'ROAMING_STATUS with plmnIndication',
      { monitoringType: 'ROAMING_STATUS', plmnIndication: true },
    ],
    ['ROAMING_STATUS', { monitoringType: 'ROAMING_STATUS' }],
    ['UE_REACHABILITY DATA', { monitoringType: 'UE_REACHABILITY', reachabilityType: 'DATA' }],
    ['UE_REACHABILITY SMS', { monitoringType: 'UE_REACHABILITY', reachabilityType: 'SMS' }],
    ['LOSS_OF_CONNECTIVITY', { monitoringType: 'LOSS_OF_CONNECTIVITY' }],
  ]

  for (const [name, ask] of asks) {
    it(`one-time ${name}: 200 with a report the file accepts`, async () => {
      const response = await call('POST', BASE, {
        ...ue,
        notificationDestination: receiver.url,
        ...ask,
        maximumNumberOfReports: 1,
      })
      assert.equal(response.status, 200, JSON.stringify(response.body))
      assert.equal(response.body.monitoringType, ask['monitoringType'])
    })
  }

  it('one-time with additional types: 200 with MonitoringEventReports', async () => {
    const response = await call('POST', BASE, {
      externalId: '34600000001@example.net',
      notificationDestination: receiver.url,
      monitoringType: 'UE_REACHABILITY',
      reachabilityType: 'DATA',
      addnMonTypes: ['LOSS_OF_CONNECTIVITY'],
      maximumNumberOfReports: 1,
    })
    assert.equal(response.status, 200, JSON.stringify(response.body))
    assert.equal(response.body.monitoringEventReports.length, 2)
  })

  const created: string[] = []
  for (const [name, ask] of asks) {
    it(`continuous ${name} with immediateRep: 201, Location, read`, async () => {
      const response = await call('POST', BASE, {
        ...ue,
        notificationDestination: receiver.url,
        ...ask,
        maximumNumberOfReports: 10,
        monitorExpireTime: '2099-01-01T00:00:00Z',
        immediateRep: true,
      })
      assert.equal(response.status, 201, JSON.stringify(response.body))
      const location = response.headers.get('location') ?? ''
      assert.ok(location.startsWith(`${prism.url}${BASE}/`), location)
      assert.equal(response.body.self, location)
      const path = new URL(location).pathname
      created.push(path)
      const read = await call('GET', path)
      assert.equal(read.status, 200)
      assert.equal(read.body.self, location)
    })
  }

  it('list: 200 with every subscription of the SCS/AS', async () => {
    const response = await call('GET', BASE)
    assert.equal(response.status, 200)
    assert.equal(response.body.length, created.length)
  })

  it('device changes: notifications the MonitoringNotification schema accepts', async () => {
    const device = '/network/v1/devices/+34600000005'
    await sim.admin('PATCH', device, { roaming: { countryCode: 208 }, connectivity: [] })
    await sim.admin('PATCH', device, { roaming: false, connectivity: ['DATA', 'SMS'] })
    // roaming ×2 for each ROAMING_STATUS subscription, loss once, DATA and SMS once each.
    await receiver.waitFor(7)
    for (const { body } of receiver.received)
      assert.equal(monitoringEventSchemaErrors('MonitoringNotification', body), '')
  })

  it('delete: 204, then 404', async () => {
    for (const path of created) {
      assert.equal((await call('DELETE', path)).status, 204)
      assert.equal((await call('DELETE', path)).status, 404)
    }
    assert.deepEqual((await call('GET', BASE)).body, [])
  })

  const refusals: [string, string, string, unknown, number][] = [
    ['an unknown UE', 'POST', BASE, { msisdn: '34699999999' }, 404],
    ['an msisdn with a +', 'POST', BASE, { msisdn: '+34600000001' }, 400],
    [
      'UE_REACHABILITY without reachabilityType',
      'POST',
      BASE,
      { monitoringType: 'UE_REACHABILITY' },
      400,
    ],
    [
      'monitorExpireTime in the past',
      'POST',
      BASE,
      { maximumNumberOfReports: undefined, monitorExpireTime: '2001-01-01T00:00:00Z' },
      400,
    ],
    [
      'a monitoring type it does not serve',
      'POST',
      BASE,
      { monitoringType: 'LOCATION_REPORTING' },
      403,
    ],
    ['a device whose service does not apply', 'POST', BASE, { msisdn: '34600000009' }, 403],
    ['a network that cannot be read', 'POST', BASE, { msisdn: '34600000010' }, 503],
    ['an unknown subscription (read)', 'GET', `${BASE}/unknown`, undefined, 404],
    ['an unknown subscription (delete)', 'DELETE', `${BASE}/unknown`, undefined, 404],
  ]
  for (const [name, method, path, change, status] of refusals) {
    it(`${status} ProblemDetails for ${name}`, async () => {
      const body =
        change === undefined
          ? undefined
          : {
              msisdn: '34600000001',
              notificationDestination: receiver.url,
              monitoringType: 'ROAMING_STATUS',
              maximumNumberOfReports: 1,
              ...(change as Record<string, unknown>),
            }
      const response = await call(method, path, body)
      assert.equal(response.status, status, JSON.stringify(response.body))
      assert.equal(response.body.status, status)
      assert.match(response.headers.get('content-type') ?? '', /^application\/problem\+json/)
    })
  }

  it('401 ProblemDetails without the bearer token', async () => {
    const response = await call('GET', BASE, undefined, null)
    assert.equal(response.status, 401)
    assert.equal(response.body.status, 401)
  })

  it('Prism saw no violation of the file in any of the above', () => {
    assert.deepEqual(prism.problems(), [])
  })

  it('and it does refuse what violates the file (the check can fail): 422 for a request without notificationDestination', async () => {
    const response = await call('POST', BASE, {
      msisdn: '34600000001',
      monitoringType: 'ROAMING_STATUS',
      maximumNumberOfReports: 1,
    })
    assert.equal(response.status, 422)
    assert.match(JSON.stringify(response.body), /notificationDestination/)
    await prism.logged(/UNPROCESSABLE_ENTITY/)
    assert.equal(prism.problems().length, 1, prism.problems().join('\n'))
  })
})
