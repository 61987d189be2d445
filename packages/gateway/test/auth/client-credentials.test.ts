import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import * as client from 'openid-client'
import { assertError } from '../helpers/device-api-suite.js'
import { startTestGateway, type TestGateway } from '../helpers/gateway.js'
import { DEMO, FRAUD, demoApp, form } from './helpers.js'

describe('discovery and client credentials', () => {
  let gw: TestGateway
  before(async () => {
    gw = await startTestGateway()
  })
  after(() => gw.close())

  it('publishes the discovery document of the profile', async () => {
    const doc = (await (
      await fetch(gw.url + '/.well-known/openid-configuration')
    ).json()) as Record<string, any>
    assert.equal(doc['issuer'], gw.config.issuer)
    for (const [key, path] of Object.entries({
      authorization_endpoint: '/oauth2/authorize',
      backchannel_authentication_endpoint: '/oauth2/bc-authorize',
      token_endpoint: '/oauth2/token',
      jwks_uri: '/oauth2/jwks',
      introspection_endpoint: '/oauth2/introspect',
      revocation_endpoint: '/oauth2/revoke',
    })) {
      assert.equal(doc[key], gw.config.issuer + path, key)
    }
    assert.deepEqual(doc['backchannel_token_delivery_modes_supported'], ['poll'])
    assert.deepEqual(doc['subject_types_supported'], ['pairwise'])
    assert.deepEqual(doc['response_types_supported'], ['code'])
    assert.deepEqual(doc['code_challenge_methods_supported'], ['S256'])
    assert.equal(doc['request_parameter_supported'], true)
    assert.equal(doc['backchannel_user_code_parameter_supported'], false)
    assert.ok(doc['token_endpoint_auth_methods_supported'].includes('private_key_jwt'))
    for (const grant of [
      'authorization_code',
      'client_credentials',
      'urn:openid:params:grant-type:ciba',
      'refresh_token',
    ]) {
      assert.ok(doc['grant_types_supported'].includes(grant), grant)
    }
    assert.ok(doc['scopes_supported'].includes('device-roaming-status:read'))
    assert.equal(doc['request_uri_parameter_supported'], false)
    assert.equal(doc['pushed_authorization_request_endpoint'], undefined, 'no PAR (request_uri)')
    assert.equal((await fetch(gw.url + '/oauth2/par', { method: 'POST' })).status, 404)
  })

  it('bad input is an OAuth error, never a 500: unknown grant, repeated parameter, malformed Basic header', async () => {
    const unknown = await form(gw, '/oauth2/token', { grant_type: 'password' }, DEMO)
    assert.equal(unknown.status, 400)
    assert.equal(unknown.body.error, 'unsupported_grant_type')
    const repeated = await fetch(gw.url + '/oauth2/token', {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from('my-app-id:my-app-secret').toString('base64')}`,
      },
      body: `grant_type=client_credentials&scope=${encodeURIComponent(`${FRAUD} device-roaming-status:read`)}&scope=x`,
    })
    assert.equal(repeated.status, 400)
    assert.equal(((await repeated.json()) as { error: string }).error, 'invalid_request')
    for (const credentials of ['%E0%A4%A:x', 'no-colon', '']) {
      const res = await fetch(gw.url + '/oauth2/token', {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: `Basic ${Buffer.from(credentials).toString('base64')}`,
        },
        body: 'grant_type=client_credentials',
      })
      assert.ok(res.status === 400 || res.status === 401, `${credentials}: ${res.status}`)
      assert.match(((await res.json()) as { error: string }).error, /^invalid_(request|client)$/)
    }
  })

  it('introspection and revocation: refresh tokens are introspected and revoked; JWT access tokens are self-contained', async () => {
    const started = await form(
      gw,
      '/oauth2/bc-authorize',
      {
        login_hint: 'tel:+34600000002',
        scope: `openid offline_access ${FRAUD} device-roaming-status:read`,
      },
      DEMO,
    )
    await new Promise((r) => setTimeout(r, 1050))
    const tokens = await form(
      gw,
      '/oauth2/token',
      { grant_type: 'urn:openid:params:grant-type:ciba', auth_req_id: started.body.auth_req_id },
      DEMO,
    )
    assert.equal(tokens.status, 200, JSON.stringify(tokens.body))
    const active = await form(gw, '/oauth2/introspect', { token: tokens.body.refresh_token }, DEMO)
    assert.equal(active.body.active, true)
    assert.equal(active.body.client_id, 'my-app-id')
    assert.match(active.body.sub, /^ps-/)
    // oidc-provider does not introspect structured (JWT) tokens; resource servers verify them with the JWKS.
    const jwt = await form(gw, '/oauth2/introspect', { token: tokens.body.access_token }, DEMO)
    assert.equal(jwt.body.error, 'unsupported_token_type')
    const revoked = await fetch(gw.url + '/oauth2/revoke', {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from('my-app-id:my-app-secret').toString('base64')}`,
      },
      body: new URLSearchParams({ token: tokens.body.refresh_token }).toString(),
    })
    assert.equal(revoked.status, 200)
    assert.equal(
      (await form(gw, '/oauth2/introspect', { token: tokens.body.refresh_token }, DEMO)).body
        .active,
      false,
    )
    const refreshed = await form(
      gw,
      '/oauth2/token',
      { grant_type: 'refresh_token', refresh_token: tokens.body.refresh_token },
      DEMO,
    )
    assert.equal(refreshed.body.error, 'invalid_grant')
  })

  it('issues a two-legged token (openid-client) that calls an API with device, and needs device', async () => {
    const config = await demoApp(gw)
    const tokens = await client.clientCredentialsGrant(config, {
      scope: `${FRAUD} device-roaming-status:read`,
    })
    assert.equal(tokens.token_type.toLowerCase(), 'bearer')
    assert.equal(tokens.refresh_token, undefined, 'never a refresh token for client credentials')
    const claims = JSON.parse(
      Buffer.from(tokens.access_token.split('.')[1] ?? '', 'base64url').toString(),
    )
    assert.equal(claims.sub, 'my-app-id')
    assert.equal(claims.client_id, 'my-app-id')
    const ok = await gw.post(
      '/device-roaming-status/v1/retrieve',
      { device: { phoneNumber: '+34600000002' } },
      tokens.access_token,
    )
    assert.equal(ok.body.countryCode, 262)
    assertError(
      await gw.post('/device-roaming-status/v1/retrieve', {}, tokens.access_token),
      422,
      'MISSING_IDENTIFIER',
    )
    assertError(
      await gw.post('/sim-swap/v2/check', { phoneNumber: '+34600000002' }, tokens.access_token),
      403,
      'PERMISSION_DENIED',
    )
  })

  it('refuses a wrong secret (401 invalid_client) and an unknown client', async () => {
    const wrong = await form(
      gw,
      '/oauth2/token',
      { grant_type: 'client_credentials', scope: `${FRAUD} device-roaming-status:read` },
      ['my-app-id', 'nope'],
    )
    assert.equal(wrong.status, 401)
    assert.equal(wrong.body.error, 'invalid_client')
    const unknown = await form(
      gw,
      '/oauth2/token',
      { grant_type: 'client_credentials', scope: FRAUD },
      ['who', 'x'],
    )
    assert.equal(unknown.body.error, 'invalid_client')
  })

  it('tells an unauthenticated caller nothing of the app: 401 invalid_client before any profile check', async () => {
    const created = await gw.admin('POST', '/admin/v1/apps', {
      name: 'roaming by client credentials',
      apis: ['device-roaming-status'],
      purposes: [FRAUD],
      grantTypes: ['client_credentials'],
      mode: 'compatible',
    })
    assert.equal(created.status, 201, JSON.stringify(created.body))
    const id: string = created.body.clientId
    const refusals: [Record<string, string>, string][] = [
      [{ grant_type: 'client_credentials', scope: `${FRAUD} sim-swap:check` }, 'invalid_scope'],
      [{ grant_type: 'client_credentials', scope: 'dpv:Astrology' }, 'invalid_scope'],
      [{ grant_type: 'client_credentials' }, 'invalid_scope'],
      [
        { grant_type: 'urn:openid:params:grant-type:ciba', auth_req_id: 'x' },
        'unauthorized_client',
      ],
    ]
    for (const [params, authenticated] of refusals) {
      const label = JSON.stringify(params)
      const right = await form(gw, '/oauth2/token', params, [id, created.body.clientSecret])
      assert.equal(right.body.error, authenticated, label)
      const basic = await form(gw, '/oauth2/token', params, [id, 'wrong'])
      assert.equal(basic.status, 401, label)
      assert.equal(basic.body.error, 'invalid_client', label)
      assert.equal(basic.body.error_description, 'client authentication failed', label)
      assert.match(basic.headers.get('www-authenticate') ?? '', /^Basic /, label)
      const post = await form(gw, '/oauth2/token', { ...params, client_id: id, client_secret: 'x' })
      assert.equal(post.status, 401, label)
      assert.equal(post.body.error, 'invalid_client', label)
      assert.equal(post.body.error_description, 'client authentication failed', label)
    }
    // An unknown client_id: the same answer, no detail.
    const unknown = await form(
      gw,
      '/oauth2/token',
      { grant_type: 'client_credentials', scope: `${FRAUD} sim-swap:check` },
      ['no-such-app', 'x'],
    )
    assert.equal(unknown.status, 401)
    assert.deepEqual(unknown.body, {
      error: 'invalid_client',
      error_description: 'client authentication failed',
    })
  })

  it('needs scope with exactly one known purpose the app may use (invalid_scope)', async () => {
    for (const scope of [
      'device-roaming-status:read',
      `${FRAUD} dpv:Marketing device-roaming-status:read`,
      'dpv:Astrology device-roaming-status:read',
    ]) {
      const res = await form(gw, '/oauth2/token', { grant_type: 'client_credentials', scope }, DEMO)
      assert.equal(res.status, 400, scope)
      assert.equal(res.body.error, 'invalid_scope', scope)
    }
    const none = await form(gw, '/oauth2/token', { grant_type: 'client_credentials' }, DEMO)
    assert.equal(none.body.error, 'invalid_scope')
  })

  it('refuses scopes and grants the app is not allowed', async () => {
    const created = await gw.admin('POST', '/admin/v1/apps', {
      name: 'roaming only',
      apis: ['device-roaming-status'],
      purposes: [FRAUD],
      grantTypes: ['urn:openid:params:grant-type:ciba'],
      mode: 'compatible',
    })
    assert.equal(created.status, 201, JSON.stringify(created.body))
    const creds: [string, string] = [created.body.clientId, created.body.clientSecret]
    const grant = await form(
      gw,
      '/oauth2/token',
      { grant_type: 'client_credentials', scope: `${FRAUD} device-roaming-status:read` },
      creds,
    )
    assert.equal(grant.body.error, 'unauthorized_client')
    const app2 = await gw.admin('POST', '/admin/v1/apps', {
      name: 'cc roaming only',
      apis: ['device-roaming-status'],
      purposes: [FRAUD],
      grantTypes: ['client_credentials'],
      mode: 'compatible',
    })
    const scope = await form(
      gw,
      '/oauth2/token',
      { grant_type: 'client_credentials', scope: `${FRAUD} sim-swap:check` },
      [app2.body.clientId, app2.body.clientSecret],
    )
    assert.equal(scope.body.error, 'invalid_scope')
  })
})
