import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { deviceApiSuite } from '../helpers/device-api-suite.js'
import { CORRELATOR, schemaErrors, startTestGateway, type TestGateway } from '../helpers/gateway.js'

const FILE = 'device-roaming-status-v1.1.0.yaml'
const PATH = '/device-roaming-status/v1/retrieve'
const SCOPE = 'device-roaming-status:read'

deviceApiSuite({
  path: PATH,
  scope: SCOPE,
  file: FILE,
  responseSchema: 'RoamingStatusResponse',
  api: 'device-roaming-status',
})

describe('device-roaming-status 1.1.0 getRoamingStatus', () => {
  let gw: TestGateway
  let token: string
  before(async () => {
    gw = await startTestGateway()
    token = await gw.token2(SCOPE)
  })
  after(() => gw.close())
  const retrieve = (phoneNumber: string) =>
    gw.post(PATH, { device: { phoneNumber } }, token, { 'x-correlator': CORRELATOR })

  it('01: roaming in Germany → roaming true, 262, ["DE"], lastStatusTime in the past', async () => {
    const res = await retrieve('+34600000002')
    assert.equal(res.status, 200)
    assert.equal(res.headers.get('content-type'), 'application/json; charset=utf-8')
    assert.equal(res.headers.get('x-correlator'), CORRELATOR)
    assert.equal(schemaErrors(FILE, 'RoamingStatusResponse', res.body), '')
    const { lastStatusTime, ...rest } = res.body
    assert.deepEqual(rest, {
      device: { phoneNumber: '+34600000002' },
      roaming: true,
      countryCode: 262,
      countryName: ['DE'],
    })
    assert.ok(Date.parse(lastStatusTime) <= Date.now())
  })

  it('02: at home → roaming false, no countryCode nor countryName', async () => {
    const res = await retrieve('+34600000001')
    assert.equal(res.status, 200)
    assert.equal(res.headers.get('content-type'), 'application/json; charset=utf-8')
    assert.equal(res.headers.get('x-correlator'), CORRELATOR)
    assert.equal(schemaErrors(FILE, 'RoamingStatusResponse', res.body), '')
    assert.equal(res.body.roaming, false)
    assert.equal('countryCode' in res.body, false)
    assert.equal('countryName' in res.body, false)
    assert.ok(Date.parse(res.body.lastStatusTime) <= Date.now())
  })

  it('one MCC, several countries: 340 → BL GF GP MF MQ; 901 → []', async () => {
    const antilles = await retrieve('+34600000003')
    assert.deepEqual(
      [antilles.body.countryCode, antilles.body.countryName],
      [340, ['BL', 'GF', 'GP', 'MF', 'MQ']],
    )
    const international = await retrieve('+34600000007')
    assert.deepEqual([international.body.countryCode, international.body.countryName], [901, []])
    assert.equal(schemaErrors(FILE, 'RoamingStatusResponse', international.body), '')
  })

  it('follows the network: a simulator change shows in the next call, with a new lastStatusTime', async () => {
    const beforeChange = await retrieve('+34600000005')
    assert.equal(beforeChange.body.roaming, false)
    const patched = await gw.admin('PATCH', '/network/v1/devices/+34600000005', {
      roaming: { countryCode: 208 },
    })
    assert.equal(patched.status, 200)
    const res = await retrieve('+34600000005')
    assert.deepEqual(
      [res.body.roaming, res.body.countryCode, res.body.countryName],
      [true, 208, ['FR']],
    )
    assert.ok(Date.parse(res.body.lastStatusTime) >= Date.parse(beforeChange.body.lastStatusTime))
  })
})
