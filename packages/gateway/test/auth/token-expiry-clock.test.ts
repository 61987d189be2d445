import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { manualClock } from '../helpers/clock.js'
import { startTestGateway, type TestGateway } from '../helpers/gateway.js'

const SCOPE = 'device-roaming-status:read'
const BODY = { device: { phoneNumber: '+34600000001' } }

/**
 * Token expiry decided by the gateway's injected clock: no sleeping. The token is minted and
 * verified on the same hand-moved clock the gateway runs on.
 */
describe('access token expiry on a controlled clock', () => {
  const time = manualClock()
  let gw: TestGateway
  before(async () => {
    gw = await startTestGateway({}, { clock: time.clock })
  })
  after(() => gw.close())

  it('a token works until its expiry and is 401 UNAUTHENTICATED one second after', async () => {
    const token = await gw.token2(SCOPE, { ttl: 60 })
    assert.equal((await gw.post('/device-roaming-status/v1/retrieve', BODY, token)).status, 200)
    time.advance(59_000)
    assert.equal((await gw.post('/device-roaming-status/v1/retrieve', BODY, token)).status, 200)
    time.advance(2_000)
    const expired = await gw.post('/device-roaming-status/v1/retrieve', BODY, token)
    assert.equal(expired.status, 401)
    assert.equal(expired.body.code, 'UNAUTHENTICATED')
  })

  it('status times come from the clock: a change stamps the clock’s now', async () => {
    time.set('2027-01-02T03:04:05.000Z')
    const patched = await gw.admin('PATCH', '/network/v1/devices/%2B34600000001', {
      roaming: { countryCode: 208 },
    })
    assert.equal(patched.status, 200)
    const token = await gw.token2(SCOPE)
    const res = await gw.post('/device-roaming-status/v1/retrieve', BODY, token)
    assert.equal(res.body.lastStatusTime, '2027-01-02T03:04:05.000Z')
    assert.equal(res.body.countryCode, 208)
  })
})
