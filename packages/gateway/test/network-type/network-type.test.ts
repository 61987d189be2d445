import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { deviceApiSuite } from '../helpers/device-api-suite.js'
import { CORRELATOR, schemaErrors, startTestGateway, type TestGateway } from '../helpers/gateway.js'

const FILE = 'connected-network-type-v0.2.0.yaml'
const PATH = '/connected-network-type/v0.2/retrieve'
const SCOPE = 'connected-network-type:read'

deviceApiSuite({
  path: PATH,
  scope: SCOPE,
  file: FILE,
  responseSchema: 'ConnectedNetworkTypeResponse',
  api: 'connected-network-type',
})

describe('connected-network-type 0.2.0 getConnectedNetworkType', () => {
  let gw: TestGateway
  let token: string
  before(async () => {
    gw = await startTestGateway()
    token = await gw.token2(SCOPE)
  })
  after(() => gw.close())

  const retrieve = async () => {
    const res = await gw.post(PATH, { device: { phoneNumber: '+34600000003' } }, token, {
      'x-correlator': CORRELATOR,
    })
    assert.equal(res.status, 200, JSON.stringify(res.body))
    assert.equal(res.headers.get('content-type'), 'application/json; charset=utf-8')
    assert.equal(res.headers.get('x-correlator'), CORRELATOR)
    assert.equal(schemaErrors(FILE, 'ConnectedNetworkTypeResponse', res.body), '')
    assert.ok(Date.parse(res.body.lastStatusTime) <= Date.now())
    return res.body
  }
  const setNetworkType = async (networkType: string | null) => {
    const patched = await gw.admin('PATCH', '/network/v1/devices/+34600000003', { networkType })
    assert.equal(patched.status, 200)
  }

  it('01: on a mobile network → 2G, 3G, 4G or 5G as the network says', async () => {
    for (const type of ['2G', '3G', '4G', '5G']) {
      await setNetworkType(type)
      assert.equal((await retrieve()).connectedNetworkType, type)
    }
  })

  it('02: not on a mobile network → UNKNOWN', async () => {
    await setNetworkType(null)
    assert.equal((await retrieve()).connectedNetworkType, 'UNKNOWN')
  })

  it('02: not connected to any network (unreachable) → UNKNOWN, whatever its radio', async () => {
    await setNetworkType('4G')
    const before = await retrieve()
    assert.equal(before.connectedNetworkType, '4G')
    const original = (await gw.admin('GET', '/network/v1/devices/+34600000003')).body
    try {
      await gw.admin('PATCH', '/network/v1/devices/+34600000003', { connectivity: [] })
      const off = await retrieve()
      assert.equal(off.connectedNetworkType, 'UNKNOWN')
      assert.ok(off.lastStatusTime > before.lastStatusTime, 'the status time moved')
      await gw.admin('PATCH', '/network/v1/devices/+34600000003', { connectivity: ['SMS'] })
      assert.equal((await retrieve()).connectedNetworkType, '4G', 'reachable again')
    } finally {
      await gw.admin('PATCH', '/network/v1/devices/+34600000003', {
        connectivity: original.connectivity,
      })
    }
  })
})
