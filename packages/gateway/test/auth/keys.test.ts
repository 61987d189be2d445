import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { decodeProtectedHeader } from 'jose'
import { startTestGateway, type TestGateway } from '../helpers/gateway.js'
import * as client from 'openid-client'
import { UserAgent, formOf } from './browser.js'
import { DEMO, FRAUD, demoApp, form } from './helpers.js'

const REDIRECT = 'http://localhost:3000/callback'

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
  it('a sign-in in progress survives a rotation (cookies of a held key still verify)', async () => {
    const config = await demoApp(gw)
    const codeVerifier = client.randomPKCECodeVerifier()
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: REDIRECT,
      scope: `openid ${FRAUD} device-roaming-status:read`,
      code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: 'S256',
      state: 'st',
    })
    const agent = new UserAgent(gw.url)
    const picker = await agent.follow(url.href)
    assert.ok('page' in picker, 'the sandbox device picker')
    const rotated = await gw.admin('POST', '/admin/v1/keys/rotate')
    assert.equal(rotated.status, 200)
    const done = await agent.follow(formOf(picker.page).action, {
      form: { phoneNumber: '+34600000002' },
    })
    assert.ok('url' in done, JSON.stringify(done))
    assert.equal(done.url.origin + done.url.pathname, REDIRECT)
    const tokens = await client.authorizationCodeGrant(
      config,
      done.url,
      { pkceCodeVerifier: codeVerifier, expectedState: 'st' },
      { redirect_uri: REDIRECT },
    )
    assert.equal(decodeProtectedHeader(tokens.access_token).kid, rotated.body.kid)
  })
})
