import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { assertError } from '../helpers/device-api-suite.js'
import { schemaErrors, startTestGateway, type TestGateway } from '../helpers/gateway.js'

const FILE = 'device-status-v0.5.1.yaml'

describe('device-status 0.5.1 (legacy POST /roaming, POST /connectivity)', () => {
  let gw: TestGateway
  let token: string
  before(async () => {
    gw = await startTestGateway()
    token = await gw.token2('device-status:roaming:read device-status:connectivity:read')
  })
  after(() => gw.close())
  const roaming = (body: unknown, t = token) => gw.post('/device-status/v0/roaming', body, t)
  const connectivity = (body: unknown, t = token) =>
    gw.post('/device-status/v0/connectivity', body, t)

  it('roaming by each identifier kind, networkAccessIdentifier included, and + optional', async () => {
    const expected = { roaming: true, countryCode: 262, countryName: ['DE'] }
    for (const device of [
      { phoneNumber: '+34600000002' },
      { phoneNumber: '34600000002' },
      { ipv4Address: { publicAddress: '84.125.93.20', privateAddress: '10.0.0.2' } },
    ]) {
      const res = await roaming({ device })
      assert.equal(res.status, 200, JSON.stringify(res.body))
      assert.deepEqual(res.body, expected)
      assert.equal(schemaErrors(FILE, 'RoamingStatusResponse', res.body), '')
    }
    const nai = await roaming({ device: { networkAccessIdentifier: '34600000001@example.net' } })
    assert.deepEqual(nai.body, { roaming: false })
  })

  it("accepts the vendor sandbox's body shapes: v0.4 ueId/uePort and a bare phoneNumber", async () => {
    assert.deepEqual((await roaming({ phoneNumber: '+34600000002' })).body.countryCode, 262)
    assert.deepEqual((await roaming({ ueId: { msisdn: '34600000002' } })).body.countryCode, 262)
    assert.deepEqual(
      (await roaming({ ueId: { externalId: '34600000001@example.net' } })).body.roaming,
      false,
    )
    assert.deepEqual(
      (await roaming({ ueId: { ipv4Addr: '84.125.93.10' }, uePort: 59765 })).body.roaming,
      false,
    )
    assert.deepEqual(
      (await roaming({ ueId: { ipv6Addr: '2001:db8:85a3:8d3::9' } })).body.roaming,
      false,
    )
  })

  it('connectivity: CONNECTED_DATA, CONNECTED_SMS, NOT_CONNECTED', async () => {
    const expect = {
      '+34600000001': 'CONNECTED_DATA',
      '+34600000005': 'CONNECTED_SMS',
      '+34600000004': 'NOT_CONNECTED',
    }
    for (const [phoneNumber, status] of Object.entries(expect)) {
      const res = await connectivity({ device: { phoneNumber } })
      assert.deepEqual(res.body, { connectivityStatus: status })
      assert.equal(schemaErrors(FILE, 'ConnectivityStatusResponse', res.body), '')
    }
  })

  it('errors: device required (400), unknown (404 NOT_FOUND), scope (403), token (401)', async () => {
    assertError(await connectivity({}), 400, 'INVALID_ARGUMENT')
    assertError(await roaming({ device: { phoneNumber: 'abc' } }), 400, 'INVALID_ARGUMENT')
    assertError(await roaming({ device: { phoneNumber: '+99999999999' } }), 404, 'NOT_FOUND')
    assertError(
      await roaming(
        { device: { phoneNumber: '+34600000001' } },
        await gw.token2('device-status:connectivity:read'),
      ),
      403,
      'PERMISSION_DENIED',
    )
    assertError(
      await roaming({ device: { phoneNumber: '+34600000001' } }, 'x.y.z'),
      401,
      'UNAUTHENTICATED',
    )
  })

  it('a three-legged token reads its own device with or without device, and never another', async () => {
    const t3 = await gw.token3('+34600000002', 'device-status:roaming:read')
    assert.equal((await roaming({}, t3)).body.countryCode, 262)
    assert.equal(
      (await roaming({ device: { phoneNumber: '+34600000002' } }, t3)).body.countryCode,
      262,
    )
    assertError(
      await roaming({ device: { phoneNumber: '+34600000001' } }, t3),
      403,
      'PERMISSION_DENIED',
    )
  })
})
