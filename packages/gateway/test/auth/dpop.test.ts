import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import * as client from 'openid-client'
import { assertError } from '../helpers/device-api-suite.js'
import { startTestGateway, type TestGateway } from '../helpers/gateway.js'
import { FRAUD, demoApp } from './helpers.js'

const ROAMING = 'device-roaming-status:read'

describe('DPoP (RFC 9449)', () => {
  let gw: TestGateway
  let config: client.Configuration
  before(async () => {
    gw = await startTestGateway()
    config = await demoApp(gw)
  })
  after(() => gw.close())

  it('a proof at the token endpoint gives a DPoP-bound token; the API needs a matching proof, never Bearer', async () => {
    const keys = await client.randomDPoPKeyPair('ES256')
    const dpop = client.getDPoPHandle(config, keys)
    const tokens = await client.clientCredentialsGrant(
      config,
      { scope: `${FRAUD} ${ROAMING}` },
      { DPoP: dpop },
    )
    assert.equal(tokens.token_type.toLowerCase(), 'dpop')
    const url = new URL(gw.url + '/device-roaming-status/v1/retrieve')
    const body = JSON.stringify({ device: { phoneNumber: '+34600000002' } })
    const headers = new Headers({ 'content-type': 'application/json' })
    const ok = await client.fetchProtectedResource(
      config,
      tokens.access_token,
      url,
      'POST',
      body,
      headers,
      { DPoP: dpop },
    )
    assert.equal(ok.status, 200)
    assert.equal(((await ok.json()) as { countryCode: number }).countryCode, 262)

    assertError(
      await gw.post(url.pathname, JSON.parse(body), tokens.access_token),
      401,
      'UNAUTHENTICATED',
    )
    const noProof = await gw.post(url.pathname, JSON.parse(body), undefined, {
      authorization: `DPoP ${tokens.access_token}`,
    })
    assertError(noProof, 401, 'UNAUTHENTICATED')
    assert.match(noProof.headers.get('www-authenticate') ?? '', /invalid_dpop_proof/)

    const otherKeys = await client.randomDPoPKeyPair('ES256')
    const wrongKey = await client
      .fetchProtectedResource(
        config,
        tokens.access_token,
        url,
        'POST',
        body,
        new Headers({ 'content-type': 'application/json' }),
        { DPoP: client.getDPoPHandle(config, otherKeys) },
      )
      .catch((e: unknown) => e)
    assert.equal(
      wrongKey instanceof Response
        ? wrongKey.status
        : ((wrongKey as { status?: number }).status ?? 401),
      401,
    )
  })

  it('without a proof the token is an ordinary Bearer token', async () => {
    const tokens = await client.clientCredentialsGrant(config, { scope: `${FRAUD} ${ROAMING}` })
    assert.equal(tokens.token_type.toLowerCase(), 'bearer')
  })
})
