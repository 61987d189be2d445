import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { deviceApiSuite } from '../helpers/device-api-suite.js'
import { CORRELATOR, schemaErrors, startTestGateway, type TestGateway } from '../helpers/gateway.js'

const FILE = 'device-reachability-status-v1.1.0.yaml'
const PATH = '/device-reachability-status/v1/retrieve'
const SCOPE = 'device-reachability-status:read'

deviceApiSuite({
  path: PATH,
  scope: SCOPE,
  file: FILE,
  responseSchema: 'ReachabilityStatusResponse',
  api: 'device-reachability-status',
})

describe('device-reachability-status 1.1.0 getReachabilityStatus', () => {
  let gw: TestGateway
  let token: string
  before(async () => {
    gw = await startTestGateway()
    token = await gw.token2(SCOPE)
  })
  after(() => gw.close())
  const retrieve = async (phoneNumber: string) => {
    const res = await gw.post(PATH, { device: { phoneNumber } }, token, {
      'x-correlator': CORRELATOR,
    })
    assert.equal(res.status, 200, JSON.stringify(res.body))
    assert.equal(res.headers.get('content-type'), 'application/json; charset=utf-8')
    assert.equal(res.headers.get('x-correlator'), CORRELATOR)
    assert.equal(schemaErrors(FILE, 'ReachabilityStatusResponse', res.body), '')
    assert.ok(Date.parse(res.body.lastStatusTime) <= Date.now())
    return res.body
  }

  it('01/02/03: DATA+SMS, DATA, SMS only', async () => {
    assert.deepEqual((await retrieve('+34600000001')).connectivity, ['DATA', 'SMS'])
    assert.deepEqual((await retrieve('+34600000007')).connectivity, ['DATA'])
    const sms = await retrieve('+34600000005')
    assert.deepEqual([sms.reachable, sms.connectivity], [true, ['SMS']])
  })

  it('04: not reachable → reachable false, no connectivity property', async () => {
    const body = await retrieve('+34600000004')
    assert.equal(body.reachable, false)
    assert.equal('connectivity' in body, false)
  })
})
