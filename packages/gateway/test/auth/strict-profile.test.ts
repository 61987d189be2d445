import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { after, before, describe, it } from 'node:test'
import { SignJWT, exportJWK, generateKeyPair, type CryptoKey } from 'jose'
import * as client from 'openid-client'
import { startTestGateway, type TestGateway } from '../helpers/gateway.js'
import { FRAUD, discover, form } from './helpers.js'

const ROAMING = 'device-roaming-status:read'
const CIBA = 'urn:openid:params:grant-type:ciba'

describe('strict profile mode: private_key_jwt, and the vendor forms refused', () => {
  let gw: TestGateway
  let privateKey: CryptoKey
  let clientId: string
  let secretApp: [string, string]
  before(async () => {
    gw = await startTestGateway()
    const pair = await generateKeyPair('ES256', { extractable: true })
    privateKey = pair.privateKey
    const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' }
    const created = await gw.admin('POST', '/admin/v1/apps', {
      name: 'strict app',
      apis: ['device-roaming-status'],
      purposes: [FRAUD],
      grantTypes: [CIBA, 'client_credentials'],
      jwks: { keys: [jwk] },
      mode: 'strict',
    })
    assert.equal(created.status, 201, JSON.stringify(created.body))
    assert.equal(created.body.clientSecret, undefined, 'no secret for private_key_jwt')
    assert.equal(created.body.tokenEndpointAuthMethod, 'private_key_jwt')
    clientId = created.body.clientId
    const withSecret = await gw.admin('POST', '/admin/v1/apps', {
      name: 'strict app with a secret',
      apis: ['device-roaming-status'],
      purposes: [FRAUD],
      grantTypes: ['client_credentials'],
      tokenEndpointAuthMethod: 'client_secret_basic',
      mode: 'strict',
    })
    secretApp = [withSecret.body.clientId, withSecret.body.clientSecret]
  })
  after(() => gw.close())

  const assertion = (claims: { exp?: number; iat?: number; jti?: string } = {}) => {
    const now = Math.floor(Date.now() / 1000)
    return new SignJWT({})
      .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
      .setIssuer(clientId)
      .setSubject(clientId)
      .setAudience(`${gw.config.issuer}/oauth2/token`)
      .setIssuedAt(claims.iat ?? now)
      .setExpirationTime(claims.exp ?? now + 60)
      .setJti(claims.jti ?? randomUUID())
      .sign(privateKey)
  }
  const withAssertion = async (params: Record<string, string>, jwt?: string) =>
    form(gw, '/oauth2/token', {
      ...params,
      client_id: clientId,
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: jwt ?? (await assertion()),
    })

  it('openid-client with PrivateKeyJwt: CIBA → token that reads the device', async () => {
    const config = await discover(gw, clientId, client.PrivateKeyJwt(privateKey))
    const started = await client.initiateBackchannelAuthentication(config, {
      login_hint: 'tel:+34600000002',
      scope: `openid ${FRAUD} ${ROAMING}`,
    })
    const tokens = await client.pollBackchannelAuthenticationGrant(config, started)
    const res = await gw.post('/device-roaming-status/v1/retrieve', {}, tokens.access_token)
    assert.equal(res.body.countryCode, 262)
  })

  it('client assertions: living over 300 s → invalid_client; expired → invalid_client; replayed → invalid_client', async () => {
    const now = Math.floor(Date.now() / 1000)
    const expired = await withAssertion(
      { grant_type: 'client_credentials', scope: `${FRAUD} ${ROAMING}` },
      await assertion({ iat: now - 200, exp: now - 100 }),
    )
    assert.equal(expired.status, 401)
    assert.equal(expired.body.error, 'invalid_client')
    const otherKey = (await generateKeyPair('ES256')).privateKey
    const forged = await withAssertion(
      { grant_type: 'client_credentials', scope: `${FRAUD} ${ROAMING}` },
      await new SignJWT({})
        .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
        .setIssuer(clientId)
        .setSubject(clientId)
        .setAudience(`${gw.config.issuer}/oauth2/token`)
        .setIssuedAt()
        .setExpirationTime('60s')
        .setJti(randomUUID())
        .sign(otherKey),
    )
    assert.equal(forged.status, 401, 'signed with a key the app did not register')
    assert.equal(forged.body.error, 'invalid_client')
    const long = await withAssertion(
      { grant_type: 'client_credentials', scope: `${FRAUD} ${ROAMING}` },
      await assertion({ iat: now, exp: now + 600 }),
    )
    assert.equal(long.status, 401)
    assert.equal(long.body.error, 'invalid_client')
    const jwt = await assertion()
    const first = await withAssertion(
      { grant_type: 'client_credentials', scope: `${FRAUD} ${ROAMING}` },
      jwt,
    )
    assert.equal(first.status, 200, JSON.stringify(first.body))
    const replayed = await withAssertion(
      { grant_type: 'client_credentials', scope: `${FRAUD} ${ROAMING}` },
      jwt,
    )
    assert.equal(replayed.body.error, 'invalid_client')
  })

  it('a client secret is refused (invalid_client) in strict mode', async () => {
    const res = await form(
      gw,
      '/oauth2/token',
      { grant_type: 'client_credentials', scope: `${FRAUD} ${ROAMING}` },
      secretApp,
    )
    assert.equal(res.status, 401)
    assert.equal(res.body.error, 'invalid_client')
    // The Basic scheme is case-insensitive, for the profile checks as for the provider.
    for (const scheme of ['basic', 'BASIC']) {
      const other = await fetch(`${gw.url}/oauth2/token`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: `${scheme} ${Buffer.from(secretApp.join(':')).toString('base64')}`,
        },
        body: new URLSearchParams({
          grant_type: 'client_credentials',
          scope: `${FRAUD} ${ROAMING}`,
        }).toString(),
      })
      assert.equal(other.status, 401, scheme)
      assert.equal(((await other.json()) as { error: string }).error, 'invalid_client')
    }
  })

  it('an assertion signed by another key or a wrong secret is invalid_client, whatever else is wrong', async () => {
    const other = await generateKeyPair('ES256')
    const forged = (audience: string) =>
      new SignJWT({})
        .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
        .setIssuer(clientId)
        .setSubject(clientId)
        .setAudience(`${gw.config.issuer}${audience}`)
        .setIssuedAt()
        .setExpirationTime('60s')
        .setJti(randomUUID())
        .sign(other.privateKey)
    const cc = await withAssertion(
      { grant_type: 'client_credentials', scope: `${FRAUD}#device-roaming-status` },
      await forged('/oauth2/token'),
    )
    const bc = await form(gw, '/oauth2/bc-authorize', {
      login_hint: 'tel:+34600000002',
      scope: `openid ${ROAMING}`,
      purpose: `${FRAUD}#device-roaming-status`,
      client_id: clientId,
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: await forged('/oauth2/bc-authorize'),
    })
    const secret = await form(
      gw,
      '/oauth2/token',
      { grant_type: 'client_credentials', scope: `${FRAUD}#device-roaming-status` },
      [secretApp[0], 'wrong'],
    )
    for (const res of [cc, bc, secret]) {
      assert.equal(res.status, 401)
      assert.deepEqual(res.body, {
        error: 'invalid_client',
        error_description: 'client authentication failed',
      })
    }
  })

  it('refuses the vendor forms: dpv:X#api scope, purpose=, phone_number: hint, missing openid', async () => {
    const bc = async (params: Record<string, string>) =>
      form(gw, '/oauth2/bc-authorize', {
        ...params,
        client_id: clientId,
        client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
        client_assertion: await new SignJWT({})
          .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
          .setIssuer(clientId)
          .setSubject(clientId)
          .setAudience(`${gw.config.issuer}/oauth2/bc-authorize`)
          .setIssuedAt()
          .setExpirationTime('60s')
          .setJti(randomUUID())
          .sign(privateKey),
      })
    assert.equal(
      (
        await bc({
          login_hint: 'tel:+34600000002',
          scope: 'openid dpv:FraudPreventionAndDetection#device-roaming-status',
        })
      ).body.error,
      'invalid_scope',
    )
    assert.equal(
      (
        await bc({
          login_hint: 'tel:+34600000002',
          scope: `openid ${ROAMING}`,
          purpose: 'dpv:FraudPreventionAndDetection#device-roaming-status',
        })
      ).body.error,
      'invalid_request',
    )
    assert.equal(
      (await bc({ login_hint: 'phone_number:+34600000002', scope: `openid ${FRAUD} ${ROAMING}` }))
        .body.error,
      'invalid_request',
    )
    // CIBA is OpenID Connect: without openid the request is invalid_request.
    assert.equal(
      (await bc({ login_hint: 'tel:+34600000002', scope: `${FRAUD} ${ROAMING}` })).body.error,
      'invalid_request',
    )
    const ok = await bc({ login_hint: 'tel:+34600000002', scope: `openid ${FRAUD} ${ROAMING}` })
    assert.equal(ok.status, 200, JSON.stringify(ok.body))
  })
})

describe('vendor-compatible mode accepts the vendor forms', () => {
  let gw: TestGateway
  before(async () => {
    gw = await startTestGateway()
  })
  after(() => gw.close())

  it('dpv:X#device-status-roaming-read scope and phone_number: hint, without openid (CIBA adds it)', async () => {
    const started = await form(
      gw,
      '/oauth2/bc-authorize',
      {
        login_hint: 'phone_number:+34600000002',
        scope: 'dpv:FraudPreventionAndDetection#device-status-roaming-read',
      },
      ['my-app-id', 'my-app-secret'],
    )
    assert.equal(started.status, 200, JSON.stringify(started.body))
    await new Promise((r) => setTimeout(r, 1050))
    const tokens = await form(
      gw,
      '/oauth2/token',
      { grant_type: CIBA, auth_req_id: started.body.auth_req_id },
      ['my-app-id', 'my-app-secret'],
    )
    assert.equal(tokens.status, 200, JSON.stringify(tokens.body))
    assert.deepEqual(
      tokens.body.scope.split(' ').sort(),
      ['device-roaming-status:read', 'device-status:roaming:read', FRAUD].sort(),
    )
    const v0 = await gw.post('/device-status/v0/roaming', {}, tokens.body.access_token)
    assert.equal(v0.body.countryCode, 262)
    const v1 = await gw.post('/device-roaming-status/v1/retrieve', {}, tokens.body.access_token)
    assert.equal(v1.body.countryCode, 262)
  })
})
