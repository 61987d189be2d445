import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import * as client from 'openid-client'
import { tokenVerifier } from '../../src/auth/access-token.js'
import { assertError } from '../helpers/device-api-suite.js'
import { startTestGateway, type TestGateway } from '../helpers/gateway.js'
import { DEMO, FRAUD, MARKETING, demoApp, form } from './helpers.js'

const ROAMING = 'device-roaming-status:read'
const DEMO_WRONG: [string, string] = [DEMO[0], 'wrong']
const UNKNOWN: [string, string] = ['no-such-app', 'x']

describe('CIBA (poll mode)', () => {
  let gw: TestGateway
  let config: client.Configuration
  before(async () => {
    gw = await startTestGateway()
    config = await demoApp(gw)
  })
  after(() => gw.close())

  const start = (loginHint: string, scope = `openid ${FRAUD} ${ROAMING}`) =>
    form(gw, '/oauth2/bc-authorize', { login_hint: loginHint, scope }, DEMO)
  const poll = (authReqId: string) =>
    form(
      gw,
      '/oauth2/token',
      { grant_type: 'urn:openid:params:grant-type:ciba', auth_req_id: authReqId },
      DEMO,
    )

  it('openid-client: tel: hint → token on the first poll (legitimate interest) → reads device A only', async () => {
    const started = await client.initiateBackchannelAuthentication(config, {
      login_hint: 'tel:+34600000002',
      scope: `openid ${FRAUD} ${ROAMING}`,
    })
    assert.equal(started.interval, 1)
    assert.ok(started.expires_in > 0)
    const tokens = await client.pollBackchannelAuthenticationGrant(config, started)
    assert.ok(tokens.id_token, 'an ID token with openid')
    const idClaims = tokens.claims()
    assert.match(idClaims?.sub ?? '', /^ps-/, 'pairwise subject')
    assert.doesNotMatch(idClaims?.sub ?? '', /34600000002/)
    const own = await gw.post('/device-roaming-status/v1/retrieve', {}, tokens.access_token)
    assert.equal(own.status, 200)
    assert.equal(own.body.countryCode, 262)
    assertError(
      await gw.post(
        '/device-roaming-status/v1/retrieve',
        { device: { phoneNumber: '+34600000001' } },
        tokens.access_token,
      ),
      422,
      'UNNECESSARY_IDENTIFIER',
    )
    assertError(
      await gw.post(
        '/device-status/v0/roaming',
        { device: { phoneNumber: '+34600000001' } },
        tokens.access_token,
      ),
      403,
      'PERMISSION_DENIED',
    )
  })

  it('resolves ipport: (IPv4 with and without port, IPv6 in brackets) and operatortoken: hints', async () => {
    const operator = await gw.admin('POST', '/sandbox/v1/operator-tokens', {
      phoneNumber: '+34600000003',
    })
    assert.equal(operator.status, 201)
    const cases: [string, number | undefined][] = [
      ['ipport:84.125.93.10:59765', undefined],
      ['ipport:84.125.93.20', 262],
      ['ipport:[2001:db8:85a3:8d3::1]:8080', undefined],
      ['ipport:[2001:db8:85a3:8d3::1]', undefined],
      [`operatortoken:${operator.body.operatorToken}`, 340],
    ]
    for (const [hint, countryCode] of cases) {
      const started = await start(hint)
      assert.equal(started.status, 200, `${hint}: ${JSON.stringify(started.body)}`)
      const tokens = await poll(started.body.auth_req_id)
      assert.equal(tokens.status, 200, JSON.stringify(tokens.body))
      const res = await gw.post('/device-roaming-status/v1/retrieve', {}, tokens.body.access_token)
      assert.equal(res.body.countryCode, countryCode, hint)
    }
  })

  it('unknown subscriber → unknown_user_id; malformed hint → invalid_request; no hint → invalid_request', async () => {
    assert.equal((await start('tel:+34699999999')).body.error, 'unknown_user_id')
    assert.equal((await start('ipport:1.2.3.4')).body.error, 'unknown_user_id')
    for (const hint of [
      '+34600000002',
      'tel:34600000002',
      'ipport:999.1.1.1',
      'ipport:[zz]:1',
      'mailto:a@b.c',
    ]) {
      const res = await start(hint)
      assert.equal(res.status, 400, hint)
      assert.equal(res.body.error, 'invalid_request', hint)
    }
    const none = await form(
      gw,
      '/oauth2/bc-authorize',
      { scope: `openid ${FRAUD} ${ROAMING}` },
      DEMO,
    )
    assert.equal(none.body.error, 'invalid_request')
  })

  it('purpose missing or duplicated → invalid_scope; binding_message and user_code are ignored', async () => {
    assert.equal((await start('tel:+34600000002', `openid ${ROAMING}`)).body.error, 'invalid_scope')
    assert.equal(
      (await start('tel:+34600000002', `openid ${FRAUD} ${MARKETING} ${ROAMING}`)).body.error,
      'invalid_scope',
    )
    const ignored = await form(
      gw,
      '/oauth2/bc-authorize',
      {
        login_hint: 'tel:+34600000002',
        scope: `openid ${FRAUD} ${ROAMING}`,
        binding_message: 'W4SCT with spaces and ünïcode',
        user_code: '1234',
        requested_expiry: '30',
      },
      DEMO,
    )
    assert.equal(ignored.status, 200, JSON.stringify(ignored.body))
  })

  it('consent needed: authorization_pending until approved; polling too fast → slow_down', async () => {
    const started = await start('tel:+34600000005', `openid ${MARKETING} ${ROAMING}`)
    assert.equal(started.status, 200)
    const id = started.body.auth_req_id
    // The first poll may come at once: the interval is the time between polls (CIBA §7.3).
    assert.equal((await poll(id)).body.error, 'authorization_pending')
    const fast = await poll(id)
    assert.equal(fast.status, 400)
    assert.equal(fast.body.error, 'slow_down')
    assert.equal(fast.body.error_description, 'poll at most every 6 seconds')
    // Still too soon for the grown interval: slow_down again, and it grows again.
    assert.equal((await poll(id)).body.error_description, 'poll at most every 11 seconds')
    const pending = await gw.admin('GET', '/admin/v1/authorizations?status=pending')
    const mine = pending.body.find((p: { authReqId: string }) => p.authReqId === id)
    assert.deepEqual(
      [mine.phoneNumber, mine.purpose, mine.clientId],
      ['+34600000005', MARKETING, 'my-app-id'],
    )
    assert.equal(
      (await gw.admin('POST', `/admin/v1/authorizations/${id}/approve`)).body.status,
      'approved',
    )
    // slow_down only ever answers a pending request: once approved, the next poll gets tokens.
    const tokens = await poll(id)
    assert.equal(tokens.status, 200, JSON.stringify(tokens.body))
    const consents = await gw.admin('GET', '/admin/v1/consents?phoneNumber=%2B34600000005')
    assert.equal(consents.body[0].status, 'granted')
    assert.equal(consents.body[0].purpose, MARKETING)
    // Consent now given: the next request is approved at once.
    const again = await start('tel:+34600000005', `openid ${MARKETING} ${ROAMING}`)
    assert.equal((await poll(again.body.auth_req_id)).status, 200)
  })

  it('slow_down counts only polls by the authenticated client that owns the request', async () => {
    // A purpose the device has not consented to (the test above gave consent to MARKETING).
    const started = await start('tel:+34600000005', `openid dpv:DirectMarketing ${ROAMING}`)
    assert.equal(started.status, 200, JSON.stringify(started.body))
    const id = started.body.auth_req_id
    const grant = { grant_type: 'urn:openid:params:grant-type:ciba', auth_req_id: id }
    for (const credentials of [DEMO_WRONG, UNKNOWN]) {
      const refused = await form(gw, '/oauth2/token', grant, credentials)
      assert.equal(refused.status, 401)
      assert.equal(refused.body.error, 'invalid_client')
    }
    // The refused polls above did not count: the owner's first poll is not too soon.
    assert.equal((await poll(id)).body.error, 'authorization_pending')
    assert.equal((await poll(id)).body.error, 'slow_down')
    await gw.admin('POST', `/admin/v1/authorizations/${id}/deny`)
  })

  it('consent denied → access_denied; revoked → new requests wait again and refresh tokens stop', async () => {
    const denied = await start('tel:+34600000001', `openid ${MARKETING} ${ROAMING}`)
    await gw.admin('POST', `/admin/v1/authorizations/${denied.body.auth_req_id}/deny`)
    const refused = await poll(denied.body.auth_req_id)
    assert.equal(refused.status, 400)
    assert.equal(refused.body.error, 'access_denied')

    await gw.admin('PATCH', '/network/v1/devices/+34600000007', { consentPolicy: 'approve' })
    const auto = await start('tel:+34600000007', `openid offline_access ${MARKETING} ${ROAMING}`)
    const tokens = await poll(auto.body.auth_req_id)
    assert.equal(tokens.status, 200, 'the device policy approved at once')
    assert.ok(tokens.body.refresh_token, 'offline_access → refresh token')
    // A second token under the same consent, not used before the revocation.
    const unused = await poll(
      (await start('tel:+34600000007', `openid ${MARKETING} ${ROAMING}`)).body.auth_req_id,
    )
    assert.equal(unused.status, 200, JSON.stringify(unused.body))
    const read = (token: string) => gw.post('/device-roaming-status/v1/retrieve', {}, token)
    assert.equal((await read(tokens.body.access_token)).status, 200)
    const consent = (await gw.admin('GET', '/admin/v1/consents?phoneNumber=%2B34600000007')).body[0]
    assert.equal(
      (await gw.admin('DELETE', `/admin/v1/consents/${consent.id}`)).body.status,
      'revoked',
    )
    // The access tokens issued under the consent end with it, the verified (cached) one included.
    assertError(await read(tokens.body.access_token), 401, 'UNAUTHENTICATED')
    assertError(await read(unused.body.access_token), 401, 'UNAUTHENTICATED')
    // Another instance learns it from the store (it reloads revocations with the signing keys).
    const elsewhere = tokenVerifier({
      store: gw.store,
      keyring: gw.keyring,
      issuer: gw.config.issuer,
    })
    await elsewhere.reloadRevocations()
    await assert.rejects(elsewhere.verify(tokens.body.access_token), /consent .* revoked/)
    // A token of the same app for a purpose that needs no consent is not affected.
    const fraud = await poll((await start('tel:+34600000007')).body.auth_req_id)
    assert.equal((await read(fraud.body.access_token)).status, 200)
    const refreshed = await form(
      gw,
      '/oauth2/token',
      { grant_type: 'refresh_token', refresh_token: tokens.body.refresh_token },
      DEMO,
    )
    assert.equal(refreshed.body.error, 'invalid_grant')
    await gw.admin('PATCH', '/network/v1/devices/+34600000007', { consentPolicy: null })
    const after = await start('tel:+34600000007', `openid ${MARKETING} ${ROAMING}`)
    assert.equal((await poll(after.body.auth_req_id)).body.error, 'authorization_pending')
  })

  it('refresh tokens: only with offline_access, rotated on use', async () => {
    const without = await start('tel:+34600000002')
    assert.equal((await poll(without.body.auth_req_id)).body.refresh_token, undefined)
    const withOffline = await start('tel:+34600000002', `openid offline_access ${FRAUD} ${ROAMING}`)
    const first = await poll(withOffline.body.auth_req_id)
    const refreshed = await form(
      gw,
      '/oauth2/token',
      { grant_type: 'refresh_token', refresh_token: first.body.refresh_token },
      DEMO,
    )
    assert.equal(refreshed.status, 200, JSON.stringify(refreshed.body))
    assert.notEqual(refreshed.body.refresh_token, first.body.refresh_token, 'rotated')
    const reused = await form(
      gw,
      '/oauth2/token',
      { grant_type: 'refresh_token', refresh_token: first.body.refresh_token },
      DEMO,
    )
    assert.equal(reused.body.error, 'invalid_grant')
  })

  it('a request polled after it expired → expired_token; requested_expiry does not change expires_in', async () => {
    const started = await form(
      gw,
      '/oauth2/bc-authorize',
      {
        login_hint: 'tel:+34666666666',
        scope: `openid ${MARKETING} ${ROAMING}`,
        requested_expiry: '5',
      },
      DEMO,
    )
    assert.equal(started.status, 200, JSON.stringify(started.body))
    assert.equal(started.body.expires_in, 120, 'requested_expiry is ignored')
    const id = started.body.auth_req_id as string
    assert.equal((await poll(id)).body.error, 'authorization_pending')
    // Let the request expire without waiting two minutes: move its exp into the past.
    const model = 'BackchannelAuthenticationRequest'
    const row = await gw.store.oidcModels.find(model, id)
    assert.ok(row, 'the CIBA request is kept in the store')
    const payload = JSON.parse(row.payload) as { exp: number }
    payload.exp = Math.floor(Date.now() / 1000) - 1
    await gw.store.oidcModels.upsert({ ...row, payload: JSON.stringify(payload) })
    const expired = await poll(id)
    assert.equal(expired.status, 400)
    assert.equal(expired.body.error, 'expired_token')
    assert.equal(
      (await gw.admin('POST', `/admin/v1/authorizations/${id}/approve`)).status,
      404,
      'an expired request can no longer be approved',
    )
  })

  it('the admin list shows a request pending past its expiry as expired, not pending', async () => {
    const device = (await gw.admin('GET', '/network/v1/devices/+34600000005')).body
    const deviceId = (await gw.store.devices.byPhoneNumber('+34600000005'))?.id ?? ''
    assert.ok(deviceId !== '' && device.phoneNumber === '+34600000005')
    const row = (authReqId: string, expiresAt: number) => ({
      auth_req_id: authReqId,
      client_id: 'my-app-id',
      device_id: deviceId,
      purpose: MARKETING,
      scopes: JSON.stringify([ROAMING]),
      status: 'pending',
      created_at: new Date().toISOString(),
      expires_at: new Date(expiresAt).toISOString(),
      interval: 1,
      last_polled_at: null,
    })
    await gw.store.pendingAuthorizations.insert(row('listed-expired', Date.now() - 1000))
    await gw.store.pendingAuthorizations.insert(row('listed-live', Date.now() + 60_000))
    const ids = async (query: string) =>
      ((await gw.admin('GET', `/admin/v1/authorizations${query}`)).body as { authReqId: string }[])
        .map((a) => a.authReqId)
        .filter((id) => id.startsWith('listed-'))
    assert.deepEqual(await ids('?status=pending'), ['listed-live'])
    assert.deepEqual(await ids('?status=expired'), ['listed-expired'])
    const all = (await gw.admin('GET', '/admin/v1/authorizations')).body as {
      authReqId: string
      status: string
    }[]
    assert.equal(all.find((a) => a.authReqId === 'listed-expired')?.status, 'expired')
    assert.equal(all.find((a) => a.authReqId === 'listed-live')?.status, 'pending')
  })

  it('a device whose policy is to deny: access_denied on the first poll, and the refusal is recorded', async () => {
    await gw.admin('PATCH', '/network/v1/devices/+34600000008', { consentPolicy: 'deny' })
    try {
      const started = await start('tel:+34600000008', `openid ${MARKETING} ${ROAMING}`)
      assert.equal(started.status, 200, JSON.stringify(started.body))
      const refused = await poll(started.body.auth_req_id)
      assert.equal(refused.status, 400)
      assert.equal(refused.body.error, 'access_denied')
      const consents = await gw.admin('GET', '/admin/v1/consents?phoneNumber=%2B34600000008')
      assert.equal(consents.body[0].status, 'denied')
    } finally {
      await gw.admin('PATCH', '/network/v1/devices/+34600000008', { consentPolicy: null })
    }
  })

  it('openid-client refreshTokenGrant: rotated refresh token, same device, same pairwise sub', async () => {
    const started = await client.initiateBackchannelAuthentication(config, {
      login_hint: 'tel:+34600000003',
      scope: `openid offline_access ${FRAUD} ${ROAMING}`,
    })
    const first = await client.pollBackchannelAuthenticationGrant(config, started)
    assert.ok(first.refresh_token)
    const second = await client.refreshTokenGrant(config, first.refresh_token)
    assert.ok(second.refresh_token)
    assert.notEqual(second.refresh_token, first.refresh_token)
    assert.equal(second.claims()?.sub, first.claims()?.sub)
    const res = await gw.post('/device-roaming-status/v1/retrieve', {}, second.access_token)
    assert.equal(res.body.countryCode, 340)
  })

  it('a scope or purpose the app may not use → invalid_scope', async () => {
    const app = await gw.admin('POST', '/admin/v1/apps', {
      name: 'roaming by CIBA only',
      apis: ['device-roaming-status'],
      purposes: [FRAUD],
      grantTypes: ['urn:openid:params:grant-type:ciba'],
      mode: 'compatible',
    })
    const creds: [string, string] = [app.body.clientId, app.body.clientSecret]
    for (const scope of [`openid ${FRAUD} sim-swap:check`, `openid ${MARKETING} ${ROAMING}`]) {
      const res = await form(
        gw,
        '/oauth2/bc-authorize',
        { login_hint: 'tel:+34600000002', scope },
        creds,
      )
      assert.equal(res.status, 400, scope)
      assert.equal(res.body.error, 'invalid_scope', scope)
    }
    const grant = await form(
      gw,
      '/oauth2/token',
      { grant_type: 'client_credentials', scope: `${FRAUD} ${ROAMING}` },
      creds,
    )
    assert.equal(grant.body.error, 'unauthorized_client')
  })

  it('a wrong secret is invalid_client before any profile check (grant, mode, purpose)', async () => {
    const app = await gw.admin('POST', '/admin/v1/apps', {
      name: 'client credentials only',
      apis: ['device-roaming-status'],
      purposes: [FRAUD],
      grantTypes: ['client_credentials'],
      mode: 'compatible',
    })
    const id: string = app.body.clientId
    const params = { login_hint: 'tel:+34600000002', scope: `openid ${MARKETING} sim-swap:check` }
    const right = await form(gw, '/oauth2/bc-authorize', params, [id, app.body.clientSecret])
    assert.equal(right.body.error, 'unauthorized_client')
    for (const creds of [[id, 'wrong'] as [string, string], DEMO_WRONG, UNKNOWN]) {
      const res = await form(gw, '/oauth2/bc-authorize', params, creds)
      assert.equal(res.status, 401, creds[0])
      assert.deepEqual(
        res.body,
        { error: 'invalid_client', error_description: 'client authentication failed' },
        creds[0],
      )
      assert.match(res.headers.get('www-authenticate') ?? '', /^Basic /)
    }
    const poll = await form(
      gw,
      '/oauth2/token',
      { grant_type: 'urn:openid:params:grant-type:ciba', auth_req_id: 'x' },
      [id, 'wrong'],
    )
    assert.equal(poll.status, 401)
    assert.equal(poll.body.error, 'invalid_client')
  })

  it('an unknown or foreign auth_req_id is invalid_grant', async () => {
    assert.equal((await poll('nope')).body.error, 'invalid_grant')
  })
})
