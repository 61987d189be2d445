import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { after, before, describe, it } from 'node:test'
import { SignJWT, exportJWK, generateKeyPair, type CryptoKey } from 'jose'
import * as client from 'openid-client'
import { startTestGateway, type TestGateway } from '../helpers/gateway.js'
import { UserAgent, formOf } from './browser.js'
import { FRAUD, discover, form } from './helpers.js'

const ROAMING = 'device-roaming-status:read'
const REDIRECT = 'http://localhost:4000/cb'

describe('strict apps: signed request objects, PKCE required, client_secret_post in compatible mode', () => {
  let gw: TestGateway
  let key: CryptoKey
  let clientId: string
  let config: client.Configuration
  before(async () => {
    gw = await startTestGateway()
    const pair = await generateKeyPair('ES256', { extractable: true })
    key = pair.privateKey
    const app = await gw.admin('POST', '/admin/v1/apps', {
      name: 'strict web app',
      redirectUris: [REDIRECT],
      apis: ['device-roaming-status'],
      purposes: [FRAUD],
      grantTypes: ['authorization_code', 'urn:openid:params:grant-type:ciba'],
      jwks: { keys: [{ ...(await exportJWK(pair.publicKey)), kid: 'r1', alg: 'ES256' }] },
      mode: 'strict',
    })
    clientId = app.body.clientId
    config = await discover(gw, clientId, client.PrivateKeyJwt(key))
  })
  after(() => gw.close())

  it('Authorization Code with a signed request object (JAR) and PKCE → tokens', async () => {
    const verifier = client.randomPKCECodeVerifier()
    const url = await client.buildAuthorizationUrlWithJAR(
      config,
      {
        redirect_uri: REDIRECT,
        scope: `openid ${FRAUD} ${ROAMING}`,
        code_challenge: await client.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
        state: 'jar-state',
        nonce: 'jar-nonce',
      },
      key,
    )
    const agent = new UserAgent(gw.url)
    const picker = await agent.follow(url.href)
    assert.ok('page' in picker, JSON.stringify(picker))
    const done = await agent.follow(formOf(picker.page).action, {
      form: { phoneNumber: '+34600000002' },
    })
    assert.ok('url' in done, JSON.stringify(done))
    const tokens = await client.authorizationCodeGrant(config, done.url, {
      pkceCodeVerifier: verifier,
      expectedState: 'jar-state',
      expectedNonce: 'jar-nonce',
    })
    const res = await gw.post('/device-roaming-status/v1/retrieve', {}, tokens.access_token)
    assert.equal(res.body.countryCode, 262)
  })

  it('strict mode requires PKCE: invalid_request back at the redirect URI', async () => {
    const url = new URL(gw.url + '/oauth2/authorize')
    for (const [k, v] of Object.entries({
      client_id: clientId,
      response_type: 'code',
      redirect_uri: REDIRECT,
      scope: `openid ${FRAUD} ${ROAMING}`,
      state: 's1',
    }))
      url.searchParams.set(k, v)
    const res = await new UserAgent(gw.url).follow(url.href)
    assert.ok('url' in res)
    assert.equal(res.url.searchParams.get('error'), 'invalid_request')
    assert.equal(res.url.searchParams.get('state'), 's1')
  })

  // The audience is the issuer (the profile: RECOMMENDED the endpoint URL, MAY the issuer;
  // oidc-provider's JAR validation takes the issuer).
  const requestObject = (
    claims: Record<string, unknown>,
    lifetime: number,
    aud = gw.config.issuer,
  ) => {
    const now = Math.floor(Date.now() / 1000)
    return new SignJWT(claims)
      .setProtectedHeader({ alg: 'ES256', kid: 'r1' })
      .setIssuer(clientId)
      .setAudience(aud)
      .setIssuedAt(now)
      .setNotBefore(now)
      .setExpirationTime(now + lifetime)
      .setJti(randomUUID())
      .sign(key)
  }
  const assertion = () =>
    new SignJWT({})
      .setProtectedHeader({ alg: 'ES256', kid: 'r1' })
      .setIssuer(clientId)
      .setSubject(clientId)
      .setAudience(`${gw.config.issuer}/oauth2/bc-authorize`)
      .setIssuedAt()
      .setExpirationTime('60s')
      .setJti(randomUUID())
      .sign(key)

  it('CIBA with a signed authentication request; one living over 300 s, or for another audience, is refused', async () => {
    const scope = `openid ${FRAUD} ${ROAMING}`
    const ok = await form(gw, '/oauth2/bc-authorize', {
      client_id: clientId,
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: await assertion(),
      request: await requestObject({ login_hint: 'tel:+34600000002', scope }, 60),
    })
    assert.equal(ok.status, 200, JSON.stringify(ok.body))
    const long = await form(gw, '/oauth2/bc-authorize', {
      client_id: clientId,
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: await assertion(),
      request: await requestObject({ login_hint: 'tel:+34600000002', scope }, 600),
    })
    // oidc-provider answers request-object errors at the backchannel endpoint as invalid_request.
    assert.equal(long.body.error, 'invalid_request')
    assert.match(long.body.error_description, /at most 300 seconds/)
    const foreign = await form(gw, '/oauth2/bc-authorize', {
      client_id: clientId,
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: await assertion(),
      request: await requestObject(
        { login_hint: 'tel:+34600000002', scope },
        60,
        'https://other-issuer.example',
      ),
    })
    assert.match(foreign.body.error, /^invalid_request(_object)?$/)
  })

  /** A plain authorization request of the strict app; returns where the browser ended. */
  const plainAuthorize = async (params: Record<string, string>) => {
    const url = new URL(gw.url + '/oauth2/authorize')
    const challenge = await client.calculatePKCECodeChallenge(client.randomPKCECodeVerifier())
    for (const [k, v] of Object.entries({
      client_id: clientId,
      response_type: 'code',
      redirect_uri: REDIRECT,
      scope: `openid ${FRAUD} ${ROAMING}`,
      state: 'st',
      code_challenge: challenge,
      code_challenge_method: 'S256',
      ...params,
    }))
      url.searchParams.set(k, v)
    return new UserAgent(gw.url).follow(url.href)
  }

  it('strict mode refuses the vendor forms at the authorization endpoint, back at the redirect URI with state', async () => {
    const cases: [Record<string, string>, string][] = [
      [
        { scope: 'openid dpv:FraudPreventionAndDetection#device-status-roaming-read' },
        'invalid_scope',
      ],
      [
        { scope: `openid ${ROAMING}`, purpose: 'dpv:FraudPreventionAndDetection#sim-swap' },
        'invalid_request',
      ],
      [{ scope: `${FRAUD} ${ROAMING}` }, 'invalid_scope'],
      [{ code_challenge_method: 'plain' }, 'invalid_request'],
    ]
    for (const [params, error] of cases) {
      const res = await plainAuthorize(params)
      assert.ok('url' in res, JSON.stringify(params))
      assert.equal(res.url.origin + res.url.pathname, REDIRECT)
      assert.equal(res.url.searchParams.get('error'), error, JSON.stringify(params))
      assert.equal(res.url.searchParams.get('state'), 'st', JSON.stringify(params))
      assert.equal(res.url.searchParams.get('iss'), gw.config.issuer)
    }
    // A repeated parameter (RFC 6749 §3.1) is invalid_request too.
    const repeated = await new UserAgent(gw.url).follow(
      `/oauth2/authorize?client_id=${clientId}&response_type=code&redirect_uri=${encodeURIComponent(REDIRECT)}&scope=openid&scope=openid&state=st`,
    )
    assert.ok('url' in repeated)
    assert.equal(repeated.url.searchParams.get('error'), 'invalid_request')
    // With a redirect URI the app did not register: an error page, never a redirect.
    const foreign = await plainAuthorize({
      redirect_uri: 'http://evil.example/cb',
      scope: 'openid dpv:FraudPreventionAndDetection#device-status-roaming-read',
    })
    assert.ok('page' in foreign)
    assert.equal(foreign.status, 400)
  })

  it('signed request objects at the authorization endpoint: over 300 s, missing jti, or iat in the future → invalid_request_object', async () => {
    const now = Math.floor(Date.now() / 1000)
    const plain = {
      client_id: clientId,
      response_type: 'code',
      redirect_uri: REDIRECT,
      scope: `openid ${FRAUD} ${ROAMING}`,
    }
    const inner = {
      ...plain,
      state: 'ro',
      code_challenge: await client.calculatePKCECodeChallenge(client.randomPKCECodeVerifier()),
      code_challenge_method: 'S256',
    }
    const sign = (claims: Record<string, unknown>, jti: string | undefined) => {
      const jwt = new SignJWT({ ...inner, ...claims })
        .setProtectedHeader({ alg: 'ES256', kid: 'r1' })
        .setIssuer(clientId)
        .setAudience(gw.config.issuer)
      if (jti !== undefined) jwt.setJti(jti)
      return jwt.sign(key)
    }
    const cases = [
      ['over 300 s', await sign({ iat: now, exp: now + 600 }, randomUUID())],
      ['no jti', await sign({ iat: now, exp: now + 60 }, undefined)],
      ['iat in the future', await sign({ iat: now + 120, exp: now + 180 }, randomUUID())],
    ] as const
    for (const [label, request] of cases) {
      const url = new URL(gw.url + '/oauth2/authorize')
      for (const [k, v] of Object.entries({ ...plain, request })) url.searchParams.set(k, v)
      const res = await new UserAgent(gw.url).follow(url.href)
      assert.ok('url' in res, label)
      assert.equal(res.url.searchParams.get('error'), 'invalid_request_object', label)
    }
  })

  it('strict mode: a token request without redirect_uri is invalid_request', async () => {
    const verifier = client.randomPKCECodeVerifier()
    const url = await client.buildAuthorizationUrlWithJAR(
      config,
      {
        redirect_uri: REDIRECT,
        scope: `openid ${FRAUD} ${ROAMING}`,
        code_challenge: await client.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
        state: 'no-redirect',
      },
      key,
    )
    const agent = new UserAgent(gw.url)
    const picker = await agent.follow(url.href)
    assert.ok('page' in picker)
    const done = await agent.follow(formOf(picker.page).action, {
      form: { phoneNumber: '+34600000002' },
    })
    assert.ok('url' in done)
    const res = await form(gw, '/oauth2/token', {
      grant_type: 'authorization_code',
      code: done.url.searchParams.get('code') ?? '',
      code_verifier: verifier,
      client_id: clientId,
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: await new SignJWT({})
        .setProtectedHeader({ alg: 'ES256', kid: 'r1' })
        .setIssuer(clientId)
        .setSubject(clientId)
        .setAudience(`${gw.config.issuer}/oauth2/token`)
        .setIssuedAt()
        .setExpirationTime('60s')
        .setJti(randomUUID())
        .sign(key),
    })
    assert.equal(res.status, 400)
    assert.equal(res.body.error, 'invalid_request')
    assert.match(res.body.error_description, /redirect_uri/)
  })

  it('client_secret_post works for the compatible demo app', async () => {
    const res = await form(gw, '/oauth2/token', {
      grant_type: 'client_credentials',
      client_id: 'my-app-id',
      client_secret: 'my-app-secret',
      scope: `${FRAUD} ${ROAMING}`,
    })
    assert.equal(res.status, 200, JSON.stringify(res.body))
  })
})
