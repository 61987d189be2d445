import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { after, before, describe, it } from 'node:test'
import { SignJWT, decodeJwt, exportJWK, generateKeyPair, type CryptoKey } from 'jose'
import * as client from 'openid-client'
import { assertError } from '../helpers/device-api-suite.js'
import { startTestGateway, type TestGateway } from '../helpers/gateway.js'
import { FRAUD, MARKETING, discover, form } from './helpers.js'

const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer'
const ROAMING = 'device-roaming-status:read'

describe('JWT bearer grant (RFC 7523, CAMARA profile)', () => {
  let gw: TestGateway
  let key: CryptoKey
  let clientId: string
  before(async () => {
    gw = await startTestGateway()
    const pair = await generateKeyPair('ES256', { extractable: true })
    key = pair.privateKey
    const created = await gw.admin('POST', '/admin/v1/apps', {
      name: 'backend',
      apis: ['device-roaming-status'],
      purposes: [FRAUD, MARKETING],
      grantTypes: [JWT_BEARER],
      jwks: { keys: [{ ...(await exportJWK(pair.publicKey)), kid: 'b1', alg: 'ES256' }] },
      mode: 'strict',
    })
    clientId = created.body.clientId
  })
  after(() => gw.close())

  /** A signed assertion; by default the test app's, for tel:+34600000002, with FRAUD + ROAMING. */
  const assertion = (
    claims: Record<string, unknown> = {},
    lifetime = 60,
    signer: { iss?: string; key?: CryptoKey; kid?: string | null } = {},
  ) => {
    const now = Math.floor(Date.now() / 1000)
    const kid = signer.kid === undefined ? 'b1' : signer.kid
    return new SignJWT({ scope: `${FRAUD} ${ROAMING}`, ...claims })
      .setProtectedHeader(kid === null ? { alg: 'ES256' } : { alg: 'ES256', kid })
      .setIssuer(signer.iss ?? clientId)
      .setSubject(typeof claims['sub'] === 'string' ? claims['sub'] : 'tel:+34600000002')
      .setAudience(`${gw.config.issuer}/oauth2/token`)
      .setIssuedAt(now)
      .setExpirationTime(now + lifetime)
      .setJti(randomUUID())
      .sign(signer.key ?? key)
  }
  const grant = async (jwt: string, extra: Record<string, string> = {}) =>
    form(gw, '/oauth2/token', { grant_type: JWT_BEARER, assertion: jwt, ...extra })

  it('tel: subject → a three-legged token (no refresh token) that reads that device only', async () => {
    const res = await grant(await assertion())
    assert.equal(res.status, 200, JSON.stringify(res.body))
    assert.equal(res.body.token_type, 'Bearer')
    assert.equal(res.body.refresh_token, undefined)
    const own = await gw.post('/device-roaming-status/v1/retrieve', {}, res.body.access_token)
    assert.equal(own.body.countryCode, 262)
    assertError(
      await gw.post(
        '/device-roaming-status/v1/retrieve',
        { device: { phoneNumber: '+34600000001' } },
        res.body.access_token,
      ),
      422,
      'UNNECESSARY_IDENTIFIER',
    )
    assert.ok(
      (
        (await (await fetch(gw.url + '/.well-known/openid-configuration')).json()) as {
          grant_types_supported: string[]
        }
      ).grant_types_supported.includes(JWT_BEARER),
    )
  })

  it('operatortoken: subject works too', async () => {
    const op = await gw.admin('POST', '/sandbox/v1/operator-tokens', {
      phoneNumber: '+34600000003',
    })
    const res = await grant(await assertion({ sub: `operatortoken:${op.body.operatorToken}` }))
    assert.equal(res.status, 200, JSON.stringify(res.body))
    assert.equal(
      (await gw.post('/device-roaming-status/v1/retrieve', {}, res.body.access_token)).body
        .countryCode,
      340,
    )
  })

  it('refuses: scope parameter, replay, over 300 s, wrong signer, unknown subject, no purpose, no consent', async () => {
    assert.equal((await grant(await assertion(), { scope: ROAMING })).body.error, 'invalid_request')
    const once = await assertion()
    assert.equal((await grant(once)).status, 200)
    assert.equal((await grant(once)).body.error, 'invalid_grant', 'replay')
    assert.equal((await grant(await assertion({}, 600))).body.error, 'invalid_grant')
    const other = await generateKeyPair('ES256')
    const forged = await assertion({}, 60, { key: other.privateKey })
    assert.equal((await grant(forged)).body.error, 'invalid_grant')
    assert.equal(
      (await grant(await assertion({ sub: 'tel:+34699999999' }))).body.error,
      'invalid_grant',
    )
    assert.equal((await grant(await assertion({ scope: ROAMING }))).body.error, 'invalid_scope')
    assert.equal(
      (await grant(await assertion({ scope: `${MARKETING} ${ROAMING}` }))).body.error,
      'invalid_grant',
      'consent needed, none given',
    )
    assert.equal((await grant('not-a-jwt')).body.error, 'invalid_grant')
  })

  it('openid-client genericGrantRequest: the same grant from a standard client', async () => {
    const config = await discover(gw, clientId, client.None())
    const tokens = await client.genericGrantRequest(config, JWT_BEARER, {
      assertion: await assertion({ sub: 'tel:+34600000003' }),
    })
    assert.equal(tokens.refresh_token, undefined)
    const claims = decodeJwt(tokens.access_token)
    assert.equal(claims['client_id'], clientId)
    assert.equal(claims.aud, gw.config.issuer)
    assert.match(claims.sub ?? '', /^ps-/)
    assert.doesNotMatch(claims.sub ?? '', /34600000003/)
    const res = await gw.post('/device-roaming-status/v1/retrieve', {}, tokens.access_token)
    assert.equal(res.body.countryCode, 340)
  })

  it('a consent purpose: works once the subscriber consented, refused again once revoked', async () => {
    const pair = await generateKeyPair('ES256', { extractable: true })
    const app = await gw.admin('POST', '/admin/v1/apps', {
      name: 'marketing backend',
      apis: ['device-roaming-status', 'device-reachability-status'],
      purposes: [MARKETING],
      grantTypes: [JWT_BEARER, 'urn:openid:params:grant-type:ciba'],
      jwks: { keys: [{ ...(await exportJWK(pair.publicKey)), kid: 'm1', alg: 'ES256' }] },
      mode: 'strict',
    })
    const id = app.body.clientId as string
    const marketing = () =>
      assertion({ scope: `${MARKETING} ${ROAMING}`, sub: 'tel:+34600000004' }, 60, {
        iss: id,
        key: pair.privateKey,
        kid: 'm1',
      })
    assert.equal((await grant(await marketing())).body.error, 'invalid_grant', 'no consent yet')
    // The subscriber consents through a CIBA request of the same app (device policy: approve).
    await gw.admin('PATCH', '/network/v1/devices/+34600000004', { consentPolicy: 'approve' })
    try {
      const config = await discover(gw, id, client.PrivateKeyJwt(pair.privateKey))
      const started = await client.initiateBackchannelAuthentication(config, {
        login_hint: 'tel:+34600000004',
        scope: `openid ${MARKETING} ${ROAMING}`,
      })
      await client.pollBackchannelAuthenticationGrant(config, started)
    } finally {
      await gw.admin('PATCH', '/network/v1/devices/+34600000004', { consentPolicy: null })
    }
    assert.equal((await grant(await marketing())).status, 200, 'consent given')
    // The consent covers roaming only: an assertion asking for another API too is refused.
    const wider = await assertion(
      { scope: `${MARKETING} ${ROAMING} device-reachability-status:read`, sub: 'tel:+34600000004' },
      60,
      { iss: id, key: pair.privateKey, kid: 'm1' },
    )
    assert.equal((await grant(wider)).body.error, 'invalid_grant', 'scopes not consented to')
    const consent = (await gw.admin('GET', `/admin/v1/consents?clientId=${id}&status=granted`))
      .body[0]
    await gw.admin('DELETE', `/admin/v1/consents/${consent.id}`)
    assert.equal((await grant(await marketing())).body.error, 'invalid_grant', 'consent revoked')
  })

  it('an app without the grant is unauthorized_client', async () => {
    const demoKey = await generateKeyPair('ES256', { extractable: true })
    const app = await gw.admin('POST', '/admin/v1/apps', {
      name: 'ciba only',
      apis: ['device-roaming-status'],
      purposes: [FRAUD],
      grantTypes: ['urn:openid:params:grant-type:ciba'],
      jwks: { keys: [{ ...(await exportJWK(demoKey.publicKey)), kid: 'c1', alg: 'ES256' }] },
    })
    const jwt = await assertion({}, 60, {
      iss: app.body.clientId,
      key: demoKey.privateKey,
      kid: 'c1',
    })
    assert.equal((await grant(jwt)).body.error, 'unauthorized_client')
    // Signed by someone else: the app's grants are not told.
    const other = await generateKeyPair('ES256')
    const forged = await assertion({ scope: `${FRAUD} sim-swap:check` }, 60, {
      iss: app.body.clientId,
      key: other.privateKey,
      kid: 'c1',
    })
    assert.equal((await grant(forged)).body.error, 'invalid_grant')
  })

  it('an unknown app or one without keys: 401 invalid_client, no detail', async () => {
    const secretApp = await gw.admin('POST', '/admin/v1/apps', {
      name: 'secret only',
      apis: ['device-roaming-status'],
      purposes: [FRAUD],
      grantTypes: ['client_credentials'],
    })
    for (const iss of ['no-such-app', secretApp.body.clientId as string]) {
      const other = await generateKeyPair('ES256')
      const jwt = await assertion({ scope: `${FRAUD} sim-swap:check` }, 60, {
        iss,
        key: other.privateKey,
        kid: null,
      })
      const res = await grant(jwt)
      assert.equal(res.status, 401, iss)
      assert.deepEqual(
        res.body,
        { error: 'invalid_client', error_description: 'client authentication failed' },
        iss,
      )
    }
  })
})
