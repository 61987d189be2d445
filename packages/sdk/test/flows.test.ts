import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import {
  AuthError,
  ClientCredentials,
  DeviceStatus,
  DeviceStatusError,
  SIMSwap,
  SimSwap,
  authorizationUrl,
} from '@device-status/sdk'
import {
  REDIRECT,
  UserAgent,
  demoCredentials,
  formOf,
  pathsOf,
  startTestGateway,
  type TestGateway,
} from './helpers.js'

const HOUR = 3_600_000

describe('SDK flows against a started gateway', () => {
  let gw: TestGateway
  let started: number
  before(async () => {
    started = Date.now()
    gw = await startTestGateway({ CIBA_INTERVAL: '1' })
  })
  after(() => gw.close())

  it('backend (CIBA): every DeviceStatus method, one CIBA run for all of them', async () => {
    const { credentials, events } = demoCredentials(gw)
    const ds = new DeviceStatus(credentials, { phoneNumber: '+34600000002' })
    const status = await ds.getRoamingStatus()
    assert.deepEqual(
      { ...status, lastStatusTime: status.lastStatusTime instanceof Date },
      {
        roaming: true,
        countryCode: 262,
        countryNames: ['DE'],
        lastStatusTime: true,
        correlator: status.correlator,
      },
    )
    assert.match(status.correlator, /^[0-9a-f-]{36}$/)
    assert.equal(await ds.isRoaming(), true)
    const reach = await ds.getReachabilityStatus()
    assert.equal(reach.reachable, true)
    assert.deepEqual(reach.connectivity, ['DATA', 'SMS'])
    assert.equal(await ds.isReachable(), true)
    assert.equal((await ds.getConnectedNetworkType()).connectedNetworkType, '4G')
    const legacy = await ds.getLegacyRoamingStatus()
    assert.deepEqual(legacy, {
      roaming: true,
      countryCode: 262,
      countryNames: ['DE'],
      correlator: legacy.correlator,
    })
    assert.equal((await ds.getLegacyConnectivityStatus()).connectivityStatus, 'CONNECTED_DATA')
    assert.equal(await ds.connectivity(), 'CONNECTED_DATA')
    // The token is cached: one CIBA request, polled until it was granted.
    const paths = pathsOf(events)
    assert.equal(paths.filter((p) => p === '/oauth2/bc-authorize').length, 1)
    assert.equal(paths.filter((p) => p === '/.well-known/openid-configuration').length, 1)
  })

  it('backend: other devices (at home, SMS only, unreachable)', async () => {
    const { credentials } = demoCredentials(gw)
    const home = new DeviceStatus(credentials, { phoneNumber: '+34600000001' })
    const status = await home.getRoamingStatus()
    assert.equal(status.roaming, false)
    assert.deepEqual(status.countryNames, [])
    assert.equal((await home.getConnectedNetworkType()).connectedNetworkType, '5G')
    const sms = new DeviceStatus(credentials, { phoneNumber: '+34600000005' })
    assert.deepEqual((await sms.getReachabilityStatus()).connectivity, ['SMS'])
    assert.equal(await sms.connectivity(), 'CONNECTED_SMS')
    const off = new DeviceStatus(credentials, { phoneNumber: '+34600000004' })
    assert.equal(await off.isReachable(), false)
    assert.equal((await off.getConnectedNetworkType()).connectedNetworkType, 'UNKNOWN')
  })

  it('backend: the samples positional forms and roaming(…) aliases; another number is refused', async () => {
    const { credentials } = demoCredentials(gw)
    const client = new DeviceStatus(credentials, undefined, '+34600000002')
    assert.equal(
      await client.roaming(undefined, '+34600000002', undefined, undefined, undefined),
      true,
    )
    assert.equal(await client.roaming('+34600000002'), true)
    await assert.rejects(client.roaming('+34600000001'), (e: unknown) => {
      assert.ok(e instanceof DeviceStatusError)
      assert.equal(e.code, 'DEVICE_MISMATCH')
      return true
    })
  })

  it('backend: a phone number without its leading + is still the session subscriber', async () => {
    const { credentials } = demoCredentials(gw)
    const ds = new DeviceStatus(credentials, { phoneNumber: '+34600000002' })
    assert.equal(await ds.roaming(undefined, '34600000002', undefined, undefined, undefined), true)
    assert.equal(await ds.connectivity('34600000002'), 'CONNECTED_DATA')
    await assert.rejects(ds.roaming('34600000001'), { code: 'DEVICE_MISMATCH' })
  })

  it('backend: SimSwap retrieveDate() is a Date, check(maxAgeHours)', async () => {
    const { credentials } = demoCredentials(gw)
    const simSwap = new SimSwap(credentials, { phoneNumber: '+34600000006' })
    const date = await simSwap.retrieveDate()
    assert.ok(date instanceof Date)
    // Swapped 2 hours before the gateway's first start.
    assert.ok(Math.abs(started - 2 * HOUR - date.getTime()) < 60_000, date.toISOString())
    assert.equal(await simSwap.check(24), true)
    assert.equal(await simSwap.check(1), false)
    const info = await simSwap.getSimSwapDate()
    assert.equal(info.latestSimChange?.getTime(), date.getTime())
    // The sample's usage line, with the number.
    const simswapClient = new SIMSwap(credentials, undefined, '+34600000006')
    const result = await simswapClient.retrieveDate('+34600000006')
    assert.match(
      `SIM was swapped: ${result?.toLocaleString('en-GB', { timeZone: 'UTC' })}`,
      /\d{2}\/\d{2}\/\d{4}/,
    )
    const none = new SimSwap(credentials, { phoneNumber: '+34600000008' })
    assert.equal(await none.retrieveDate(), null)
  })

  it('backend: a consent purpose waits (authorization_pending) until the subscriber approves; deny is access_denied', async () => {
    const { credentials, events } = demoCredentials(gw)
    const ds = new DeviceStatus(credentials, {
      phoneNumber: '+34600000003',
      purpose: 'dpv:Marketing',
    })
    const result = ds.getRoamingStatus()
    let pending: { authReqId: string; phoneNumber: string }[] = []
    for (let i = 0; i < 50 && pending.length === 0; i++) {
      await new Promise((r) => setTimeout(r, 100))
      const list = await gw.admin('GET', '/admin/v1/authorizations?status=pending')
      pending = (list.body as typeof pending).filter((p) => p.phoneNumber === '+34600000003')
    }
    assert.equal(pending.length, 1)
    // Polled at least once while pending.
    await new Promise((r) => setTimeout(r, 1500))
    const polls = pathsOf(events).filter((p) => p === '/oauth2/token').length
    assert.ok(polls >= 1, `polls: ${polls}`)
    const approved = await gw.admin(
      'POST',
      `/admin/v1/authorizations/${pending[0]?.authReqId}/approve`,
    )
    assert.equal(approved.status, 200)
    assert.equal((await result).countryCode, 340)

    const denied = new DeviceStatus(credentials, {
      phoneNumber: '+34600000004',
      purpose: 'dpv:Marketing',
    })
    const refused = denied.authorize()
    let id: string | undefined
    for (let i = 0; i < 50 && id === undefined; i++) {
      await new Promise((r) => setTimeout(r, 100))
      const list = await gw.admin('GET', '/admin/v1/authorizations?status=pending')
      id = (list.body as typeof pending).find((p) => p.phoneNumber === '+34600000004')?.authReqId
    }
    await gw.admin('POST', `/admin/v1/authorizations/${id}/deny`)
    await assert.rejects(refused, (e: unknown) => {
      assert.ok(e instanceof AuthError)
      assert.equal(e.error, 'access_denied')
      assert.equal(e.code, 'OAUTH_ERROR')
      return true
    })
  })

  it('backend: polls no faster than interval, and 5 s slower after slow_down', async () => {
    // The real gateway in front: every CIBA poll the SDK sends is timed, and its first one is
    // preceded by a poll of another client of the same app, so the gateway answers it slow_down.
    const polls: { at: number; error?: string }[] = []
    let authorizedAt = 0
    let injected = false
    const watching: typeof fetch = async (input, init) => {
      const url = input instanceof Request ? input.url : input.toString()
      // oauth4webapi sends its token requests as URLSearchParams.
      const body = init?.body instanceof URLSearchParams ? init.body.toString() : ''
      const ciba = url.endsWith('/oauth2/token') && body.includes('grant-type%3Aciba')
      if (ciba && !injected) {
        injected = true
        const other = await fetch(url, { method: 'POST', headers: init?.headers ?? {}, body })
        assert.equal(((await other.json()) as { error?: string }).error, 'authorization_pending')
      }
      const at = Date.now()
      const response = await fetch(input, init)
      if (url.endsWith('/oauth2/bc-authorize')) authorizedAt = Date.now()
      if (ciba) {
        const answer = (await response.clone().json()) as { error?: string }
        polls.push({ at, ...(answer.error === undefined ? {} : { error: answer.error }) })
      }
      return response
    }
    const { credentials } = demoCredentials(gw, { fetch: watching })
    const ds = new DeviceStatus(credentials, {
      phoneNumber: '+34600000001',
      purpose: 'dpv:Marketing',
    })
    const result = ds.getRoamingStatus()
    for (let i = 0; i < 100 && polls.length === 0; i++) await new Promise((r) => setTimeout(r, 50))
    assert.equal(polls[0]?.error, 'slow_down')
    const list = await gw.admin('GET', '/admin/v1/authorizations?status=pending')
    const pending = (list.body as { authReqId: string; phoneNumber: string }[]).find(
      (p) => p.phoneNumber === '+34600000001',
    )
    assert.ok(pending)
    await gw.admin('POST', `/admin/v1/authorizations/${pending.authReqId}/approve`)
    assert.equal((await result).roaming, false)
    // interval (1 s) before the first poll; after slow_down, interval + 5 s.
    assert.ok((polls[0]?.at ?? 0) - authorizedAt >= 950, 'waited interval before polling')
    assert.equal(polls.length, 2, JSON.stringify(polls))
    const gap = (polls[1]?.at ?? 0) - (polls[0]?.at ?? 0)
    assert.ok(gap >= 5950, `waited ${gap} ms after slow_down`)
    assert.equal(polls[1]?.error, undefined)
  })

  async function browse(url: URL, phoneNumber: string): Promise<URL> {
    const agent = new UserAgent(gw.url)
    const picker = await agent.follow(url.href)
    assert.ok('page' in picker, 'the sandbox device picker')
    const done = await agent.follow(formOf(picker.page).action, { form: { phoneNumber } })
    assert.ok('url' in done, JSON.stringify(done))
    return done.url
  }

  it('frontend: authorizationUrl() with PKCE, code exchange, both services on one token', async () => {
    const { credentials } = demoCredentials(gw)
    const request = await credentials.authorizationUrl({
      redirectUri: REDIRECT,
      purpose: 'dpv:FraudPreventionAndDetection',
      state: 'my-state',
    })
    assert.equal(request.url.searchParams.get('code_challenge_method'), 'S256')
    assert.equal(request.url.searchParams.get('state'), 'my-state')
    const callback = await browse(request.url, '+34600000002')
    assert.equal(callback.origin + callback.pathname, REDIRECT)
    assert.equal(callback.searchParams.get('state'), 'my-state')
    const ds = new DeviceStatus(credentials, {
      authCode: callback.searchParams.get('code') ?? '',
      redirectUri: REDIRECT,
      codeVerifier: request.codeVerifier,
    })
    assert.equal((await ds.getRoamingStatus()).countryCode, 262)
    const simSwap = new SimSwap(credentials, { session: ds.session })
    assert.ok((await simSwap.retrieveDate()) instanceof Date)
    // The code is single-use: a second client with it fails.
    const again = new DeviceStatus(credentials, {
      authCode: callback.searchParams.get('code') ?? '',
      redirectUri: REDIRECT,
      codeVerifier: request.codeVerifier,
    })
    await assert.rejects(again.isRoaming(), (e: unknown) => {
      assert.ok(e instanceof AuthError)
      assert.equal(e.error, 'invalid_grant')
      return true
    })
    // The replay revoked this app's tokens for that subscriber and purpose issued until now, to
    // the second (a token's iat has second precision): later tests start in the next second.
    await new Promise((resolve) => setTimeout(resolve, 1000 - (Date.now() % 1000) + 10))
  })

  it('frontend: the samples new SIMSwap(credentials, code) finds the verifier authorizationUrl() made', async () => {
    const { credentials } = demoCredentials(gw, { redirectUri: REDIRECT })
    const request = await credentials.authorizationUrl({
      redirectUri: REDIRECT,
      purpose: 'dpv:FraudPreventionAndDetection#sim-swap',
    })
    const callback = await browse(request.url, '+34600000006')
    const code = callback.searchParams.get('code') ?? ''
    const simswapClient = new SIMSwap(credentials, code)
    const result = await simswapClient.retrieveDate()
    assert.ok(result instanceof Date)
  })

  it('frontend: authorizationUrl(credentials, …) and { authCode, state } find the verifier among several pending', async () => {
    const { credentials } = demoCredentials(gw, { redirectUri: REDIRECT })
    const first = await authorizationUrl(credentials, { redirectUri: REDIRECT, state: 'first' })
    const second = await credentials.authorizationUrl({ redirectUri: REDIRECT, state: 'second' })
    await credentials.authorizationUrl({ redirectUri: REDIRECT, state: 'never-used' })
    assert.notEqual(first.codeVerifier, second.codeVerifier)
    const callback = await browse(second.url, '+34600000002')
    assert.equal(callback.searchParams.get('state'), 'second')
    const ds = new DeviceStatus(credentials, {
      authCode: callback.searchParams.get('code') ?? '',
      state: 'second',
    })
    assert.equal(await ds.isRoaming(), true)
    const later = await browse(first.url, '+34600000006')
    const simSwap = new SimSwap(credentials, {
      authCode: later.searchParams.get('code') ?? '',
      state: 'first',
    })
    await simSwap.authorize()
    assert.ok((await simSwap.retrieveDate()) instanceof Date)
  })

  it('two-legged: client credentials, the calls name the device', async () => {
    const { credentials, events } = demoCredentials(gw)
    const ds = new DeviceStatus(credentials, { device: { phoneNumber: '+34600000002' } })
    const status = await ds.getRoamingStatus()
    assert.equal(status.countryCode, 262)
    assert.deepEqual(status.device, { phoneNumber: '+34600000002' })
    assert.equal(await ds.isReachable(), true)
    assert.equal((await ds.getConnectedNetworkType()).connectedNetworkType, '4G')
    assert.equal(await ds.roaming(), true)
    assert.equal(await ds.roaming('+34600000001'), false)
    assert.equal(await ds.connectivity(), 'CONNECTED_DATA')
    assert.equal(pathsOf(events).includes('/oauth2/bc-authorize'), false)
    const simSwap = new SimSwap(credentials, { device: { phoneNumber: '+34600000001' } })
    assert.ok((await simSwap.retrieveDate('+34600000006')) instanceof Date)
    assert.equal(await simSwap.check(24, '+34600000006'), true)
  })

  it('private_key_jwt: an app with registered keys runs CIBA', async () => {
    const keys = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, [
      'sign',
      'verify',
    ])
    assert.ok('privateKey' in keys)
    const publicJwk = {
      ...(await crypto.subtle.exportKey('jwk', keys.publicKey)),
      kid: 'k1',
      alg: 'ES256',
      use: 'sig',
    }
    const created = await gw.admin('POST', '/admin/v1/apps', {
      name: 'pkjwt',
      apis: ['device-roaming-status'],
      purposes: ['dpv:FraudPreventionAndDetection'],
      grantTypes: ['urn:openid:params:grant-type:ciba'],
      jwks: { keys: [publicJwk] },
      mode: 'strict',
    })
    assert.equal(created.status, 201, JSON.stringify(created.body))
    const privateJwk = { ...(await crypto.subtle.exportKey('jwk', keys.privateKey)), kid: 'k1' }
    const credentials = new ClientCredentials({
      clientId: created.body.clientId,
      privateKey: privateJwk,
      baseUrl: gw.url,
    })
    const ds = new DeviceStatus(credentials, {
      phoneNumber: '+34600000002',
      scopes: ['device-roaming-status:read'],
    })
    assert.equal(await ds.isRoaming(), true)
    // The same key as a (non-extractable) Web Crypto key, with its kid given.
    const withKey = new ClientCredentials({
      clientId: created.body.clientId,
      privateKey: keys.privateKey,
      kid: 'k1',
      baseUrl: gw.url,
    })
    const cibaViaKey = new DeviceStatus(withKey, {
      phoneNumber: '+34600000002',
      scopes: ['device-roaming-status:read'],
    })
    assert.equal(await cibaViaKey.isRoaming(), true)
  })
})
