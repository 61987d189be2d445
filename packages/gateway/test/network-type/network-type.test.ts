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

  it('answers 2G, 3G, 4G, 5G as the network says, and UNKNOWN when not on a mobile network', async () => {
    for (const type of ['2G', '3G', '4G', '5G', null] as const) {
      assert.equal(
        (await gw.admin('PATCH', '/network/v1/devices/+34600000003', { networkType: type })).status,
        200,
      )
      const res = await gw.post(PATH, { device: { phoneNumber: '+34600000003' } }, token, {
        'x-correlator': CORRELATOR,
      })
      assert.equal(res.status, 200)
      assert.equal(schemaErrors(FILE, 'ConnectedNetworkTypeResponse', res.body), '')
      assert.equal(res.body.connectedNetworkType, type ?? 'UNKNOWN')
    }
  })
})
