import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { decodeProtectedHeader } from 'jose'
import { startTestGateway, type TestGateway } from '../helpers/gateway.js'
import { DEMO, FRAUD, form } from './helpers.js'

describe('signing keys: kept in the store, rotated, old tokens still verify', () => {
  let gw: TestGateway
  before(async () => {
    gw = await startTestGateway()
  })
  after(() => gw.close())
  const token = async () =>
    (
      await form(
        gw,
        '/oauth2/token',
        { grant_type: 'client_credentials', scope: `${FRAUD} device-roaming-status:read` },
        DEMO,
      )
    ).body.access_token as string

  it('rotates: new tokens carry the new kid, tokens of the previous key keep working, JWKS has both', async () => {
    const before = await token()
    const oldKid = decodeProtectedHeader(before).kid
    const rotated = await gw.admin('POST', '/admin/v1/keys/rotate')
    assert.equal(rotated.status, 200)
    assert.notEqual(rotated.body.kid, oldKid)
    const after = await token()
    assert.equal(decodeProtectedHeader(after).kid, rotated.body.kid)
    const jwks = (await (await fetch(gw.url + '/oauth2/jwks')).json()) as {
      keys: { kid: string }[]
    }
    assert.deepEqual(new Set(jwks.keys.map((k) => k.kid)), new Set([oldKid, rotated.body.kid]))
    for (const t of [before, after]) {
      const res = await gw.post(
        '/device-roaming-status/v1/retrieve',
        { device: { phoneNumber: '+34600000002' } },
        t,
      )
      assert.equal(res.status, 200)
    }
    const keys = await gw.admin('GET', '/admin/v1/keys')
    assert.deepEqual(
      keys.body.map((k: { current: boolean; retired: boolean }) => [k.current, k.retired]).sort(),
      [
        [false, true],
        [true, false],
      ],
    )
  })
})
