import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import * as client from 'openid-client'
import { assertError } from '../helpers/device-api-suite.js'
import { startTestGateway, type TestGateway } from '../helpers/gateway.js'
import { UserAgent, formOf } from './browser.js'
import { DEMO, FRAUD, MARKETING, demoApp, discover, form } from './helpers.js'

const REDIRECT = 'http://localhost:3000/callback'
const ROAMING = 'device-roaming-status:read'

describe('Authorization Code flow with network-based authentication', () => {
  let gw: TestGateway
  let config: client.Configuration
  before(async () => {
    gw = await startTestGateway()
    config = await demoApp(gw)
  })
  after(() => gw.close())

  async function authorize(params: Record<string, string>) {
    const codeVerifier = client.randomPKCECodeVerifier()
    const state = client.randomState()
    const nonce = client.randomNonce()
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: REDIRECT,
      scope: `openid ${FRAUD} ${ROAMING}`,
      code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: 'S256',
      state,
      nonce,
      ...params,
    })
    return { url, codeVerifier, state, nonce, agent: new UserAgent(gw.url) }
  }

  it('sandbox: picks the device on the interstitial, no consent for fraud prevention, code → tokens → reads that device', async () => {
    const { url, codeVerifier, state, nonce, agent } = await authorize({})
    const picker = await agent.follow(url.href)
    assert.ok('page' in picker, 'the sandbox device picker')
    assert.match(picker.page, /Which device is making this request/)
    const { action } = formOf(picker.page)
    const done = await agent.follow(action, { form: { phoneNumber: '+34600000002' } })
    assert.ok('url' in done, JSON.stringify(done))
    assert.equal(done.url.origin + done.url.pathname, REDIRECT)
    assert.equal(done.url.searchParams.get('state'), state)
    const tokens = await client.authorizationCodeGrant(
      config,
      done.url,
      { pkceCodeVerifier: codeVerifier, expectedState: state, expectedNonce: nonce },
      { redirect_uri: REDIRECT },
    )
    assert.match(tokens.claims()?.sub ?? '', /^ps-/)
    const res = await gw.post('/device-roaming-status/v1/retrieve', {}, tokens.access_token)
    assert.equal(res.body.countryCode, 262)
    // The code is single-use.
    const replay = await form(
      gw,
      '/oauth2/token',
      {
        grant_type: 'authorization_code',
        code: done.url.searchParams.get('code') ?? '',
        redirect_uri: REDIRECT,
        code_verifier: codeVerifier,
      },
      DEMO,
    )
    assert.equal(replay.body.error, 'invalid_grant')
  })

  it('network-based: a request from a device address is authenticated without a page', async () => {
    await gw.admin('PATCH', '/network/v1/devices/+34600000003', {
      ipv4Address: { publicAddress: '127.0.0.1' },
    })
    try {
      const { url, codeVerifier, state, nonce, agent } = await authorize({})
      const done = await agent.follow(url.href)
      assert.ok('url' in done, 'straight back to the app')
      const tokens = await client.authorizationCodeGrant(
        config,
        done.url,
        { pkceCodeVerifier: codeVerifier, expectedState: state, expectedNonce: nonce },
        { redirect_uri: REDIRECT },
      )
      const res = await gw.post('/device-roaming-status/v1/retrieve', {}, tokens.access_token)
      assert.equal(res.body.countryCode, 340)
    } finally {
      await gw.admin('PATCH', '/network/v1/devices/+34600000003', { ipv4Address: null })
    }
  })

  it('consent page for a consent purpose: allow → tokens; deny → access_denied at the redirect URI', async () => {
    const allow = await authorize({ scope: `openid ${MARKETING} ${ROAMING}` })
    const picker = await allow.agent.follow(allow.url.href)
    assert.ok('page' in picker)
    const consentPage = await allow.agent.follow(formOf(picker.page).action, {
      form: { phoneNumber: '+34600000005' },
    })
    assert.ok('page' in consentPage, 'the consent page')
    assert.match(consentPage.page, /asks for your consent/)
    assert.match(consentPage.page, /Marketing/)
    const allowed = await allow.agent.follow(formOf(consentPage.page).action, {
      form: { decision: 'approve' },
    })
    assert.ok('url' in allowed)
    const tokens = await client.authorizationCodeGrant(
      config,
      allowed.url,
      {
        pkceCodeVerifier: allow.codeVerifier,
        expectedState: allow.state,
        expectedNonce: allow.nonce,
      },
      { redirect_uri: REDIRECT },
    )
    assert.ok(tokens.access_token)

    const deny = await authorize({ scope: `openid ${MARKETING} ${ROAMING}` })
    const picker2 = await deny.agent.follow(deny.url.href)
    assert.ok('page' in picker2)
    const consent2 = await deny.agent.follow(formOf(picker2.page).action, {
      form: { phoneNumber: '+34600000001' },
    })
    assert.ok('page' in consent2)
    const denied = await deny.agent.follow(formOf(consent2.page).action, {
      form: { decision: 'deny' },
    })
    assert.ok('url' in denied)
    assert.equal(denied.url.searchParams.get('error'), 'access_denied')
    assert.equal(denied.url.searchParams.get('state'), deny.state)
  })

  it('PKCE: a wrong verifier is invalid_grant; compatible apps may leave PKCE out (vendor form)', async () => {
    const { url, agent } = await authorize({})
    const picker = await agent.follow(url.href)
    assert.ok('page' in picker)
    const done = await agent.follow(formOf(picker.page).action, {
      form: { phoneNumber: '+34600000002' },
    })
    assert.ok('url' in done)
    const wrong = await form(
      gw,
      '/oauth2/token',
      {
        grant_type: 'authorization_code',
        code: done.url.searchParams.get('code') ?? '',
        redirect_uri: REDIRECT,
        code_verifier: client.randomPKCECodeVerifier(),
      },
      DEMO,
    )
    assert.equal(wrong.body.error, 'invalid_grant')

    // The vendor's frontend sample: no PKCE, no redirect_uri at the token endpoint (one registered).
    const noPkce = new URL(gw.url + '/oauth2/authorize')
    for (const [k, v] of Object.entries({
      client_id: 'my-app-id',
      response_type: 'code',
      redirect_uri: REDIRECT,
      scope: `openid ${FRAUD} ${ROAMING}`,
      state: 'abc',
    }))
      noPkce.searchParams.set(k, v)
    const vendorAgent = new UserAgent(gw.url)
    const vendorPicker = await vendorAgent.follow(noPkce.href)
    assert.ok('page' in vendorPicker, JSON.stringify(vendorPicker))
    const vendorDone = await vendorAgent.follow(formOf(vendorPicker.page).action, {
      form: { phoneNumber: '+34600000002' },
    })
    assert.ok('url' in vendorDone)
    assert.equal(vendorDone.url.searchParams.get('state'), 'abc')
    const tokens = await form(
      gw,
      '/oauth2/token',
      { grant_type: 'authorization_code', code: vendorDone.url.searchParams.get('code') ?? '' },
      DEMO,
    )
    assert.equal(tokens.status, 200, JSON.stringify(tokens.body))
  })

  it('consent revoked: the next authorization asks again', async () => {
    /** Authorizes on device +34600000007 (a consent purpose); returns the browser and where it stopped. */
    const login = async () => {
      const flow = await authorize({ scope: `openid ${MARKETING} ${ROAMING}` })
      const picker = await flow.agent.follow(flow.url.href)
      assert.ok('page' in picker)
      const res = await flow.agent.follow(formOf(picker.page).action, {
        form: { phoneNumber: '+34600000007' },
      })
      return { agent: flow.agent, res }
    }
    const first = await login()
    assert.ok('page' in first.res && /asks for your consent/.test(first.res.page))
    // The consent form belongs to the browser that started the flow; another one gets an error page.
    const stranger = await new UserAgent(gw.url).follow(formOf(first.res.page).action, {
      form: { decision: 'approve' },
    })
    assert.ok('page' in stranger && stranger.status === 400, 'not without the interaction cookie')
    assert.match(stranger.page, /<h1>invalid_request<\/h1>/)
    const allowed = await first.agent.follow(formOf(first.res.page).action, {
      form: { decision: 'approve' },
    })
    assert.ok('url' in allowed && allowed.url.searchParams.has('code'))
    const granted = await gw.admin(
      'GET',
      '/admin/v1/consents?phoneNumber=%2B34600000007&status=granted',
    )
    assert.equal(granted.body.length, 1)
    // Consent given: no page this time.
    assert.ok('url' in (await login()).res, 'straight back to the app')
    assert.equal((await gw.admin('DELETE', `/admin/v1/consents/${granted.body[0].id}`)).status, 200)
    const revoked = (await login()).res
    assert.ok('page' in revoked && /asks for your consent/.test(revoked.page), 'asked again')
  })

  it('unknown or finished interactions: an HTML error page, never JSON or a hung request', async () => {
    for (const [method, path] of [
      ['GET', '/interaction/unknown'],
      ['POST', '/interaction/unknown/login'],
      ['POST', '/interaction/unknown/consent'],
      ['POST', '/interaction/unknown/abort'],
    ] as const) {
      const res = await fetch(gw.url + path, {
        method,
        signal: AbortSignal.timeout(5000),
        ...(method === 'POST'
          ? {
              headers: { 'content-type': 'application/x-www-form-urlencoded' },
              body: 'decision=approve',
            }
          : {}),
      })
      assert.equal(res.status, 400, path)
      assert.match(res.headers.get('content-type') ?? '', /text\/html/, path)
      assert.match(await res.text(), /invalid_request/, path)
    }
  })

  it("token request: a redirect_uri other than the authorization request's is invalid_grant", async () => {
    const { url, codeVerifier, agent } = await authorize({})
    const picker = await agent.follow(url.href)
    assert.ok('page' in picker)
    const done = await agent.follow(formOf(picker.page).action, {
      form: { phoneNumber: '+34600000002' },
    })
    assert.ok('url' in done)
    const mismatch = await form(
      gw,
      '/oauth2/token',
      {
        grant_type: 'authorization_code',
        code: done.url.searchParams.get('code') ?? '',
        redirect_uri: 'http://localhost:3000/elsewhere',
        code_verifier: codeVerifier,
      },
      DEMO,
    )
    assert.equal(mismatch.status, 400)
    assert.equal(mismatch.body.error, 'invalid_grant')
  })

  it('a scope the app may not use → invalid_scope at the redirect URI, with state', async () => {
    const app = await gw.admin('POST', '/admin/v1/apps', {
      name: 'roaming web app',
      redirectUris: ['http://localhost:5000/cb'],
      apis: ['device-roaming-status'],
      purposes: [FRAUD],
      grantTypes: ['authorization_code'],
      mode: 'compatible',
    })
    const url = new URL(gw.url + '/oauth2/authorize')
    for (const [k, v] of Object.entries({
      client_id: app.body.clientId,
      response_type: 'code',
      redirect_uri: 'http://localhost:5000/cb',
      scope: `openid ${FRAUD} sim-swap:check`,
      state: 'st',
    }))
      url.searchParams.set(k, v)
    const res = await new UserAgent(gw.url).follow(url.href)
    assert.ok('url' in res)
    assert.equal(res.url.searchParams.get('error'), 'invalid_scope')
    assert.equal(res.url.searchParams.get('state'), 'st')
  })

  it('redirect URI mismatch is an error page, never a redirect', async () => {
    const { url, agent } = await authorize({ redirect_uri: 'http://localhost:3000/elsewhere' })
    const res = await agent.follow(url.href)
    assert.ok('page' in res, 'no redirect to an unregistered URI')
    assert.equal(res.status, 400)
    assert.match(res.page, /redirect_uri/)
  })

  it('purpose missing or duplicated → invalid_scope at the redirect URI', async () => {
    for (const scope of [`openid ${ROAMING}`, `openid ${FRAUD} ${MARKETING} ${ROAMING}`]) {
      const { url, agent } = await authorize({ scope })
      const res = await agent.follow(url.href)
      assert.ok('url' in res, scope)
      assert.equal(res.url.searchParams.get('error'), 'invalid_scope', scope)
    }
  })

  it('vendor form: purpose=dpv:FraudPreventionAndDetection#sim-swap instead of scopes, state carried back', async () => {
    const codeVerifier = client.randomPKCECodeVerifier()
    const url = new URL(gw.url + '/oauth2/authorize')
    for (const [k, v] of Object.entries({
      client_id: 'my-app-id',
      response_type: 'code',
      redirect_uri: REDIRECT,
      purpose: 'dpv:FraudPreventionAndDetection#sim-swap',
      state: 'vendor-state',
      code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: 'S256',
    }))
      url.searchParams.set(k, v)
    const agent = new UserAgent(gw.url)
    const picker = await agent.follow(url.href)
    assert.ok('page' in picker, JSON.stringify(picker))
    const done = await agent.follow(formOf(picker.page).action, {
      form: { phoneNumber: '+34600000006' },
    })
    assert.ok('url' in done)
    assert.equal(done.url.searchParams.get('state'), 'vendor-state')
    // Vendor-compatible: no redirect_uri in the token request (the app has... several, so send it), no openid → no ID token.
    const tokens = await form(
      gw,
      '/oauth2/token',
      {
        grant_type: 'authorization_code',
        code: done.url.searchParams.get('code') ?? '',
        redirect_uri: REDIRECT,
        code_verifier: codeVerifier,
      },
      DEMO,
    )
    assert.equal(tokens.status, 200, JSON.stringify(tokens.body))
    assert.equal(tokens.body.id_token, undefined)
    const res = await gw.post('/sim-swap/v2/check', { maxAge: 24 }, tokens.body.access_token)
    assert.deepEqual(res.body, { swapped: true })
    assertError(
      await gw.post('/device-roaming-status/v1/retrieve', {}, tokens.body.access_token),
      403,
      'PERMISSION_DENIED',
    )
  })
})

describe('Authorization Code flow: two apps in one browser', () => {
  let gw: TestGateway
  before(async () => {
    gw = await startTestGateway()
  })
  after(() => gw.close())

  it('the second app signs the subscriber in again (accounts are pairwise per app), no error', async () => {
    const second = await gw.admin('POST', '/admin/v1/apps', {
      name: 'second app',
      apis: ['device-roaming-status'],
      purposes: [FRAUD],
      grantTypes: ['authorization_code'],
      redirectUris: ['http://localhost:4000/cb'],
      tokenEndpointAuthMethod: 'client_secret_basic',
      mode: 'compatible',
    })
    assert.equal(second.status, 201, JSON.stringify(second.body))
    const apps: [client.Configuration, string][] = [
      [await demoApp(gw), REDIRECT],
      [
        await discover(
          gw,
          second.body.clientId,
          client.ClientSecretBasic(second.body.clientSecret),
        ),
        'http://localhost:4000/cb',
      ],
    ]
    const agent = new UserAgent(gw.url) // one cookie jar for both apps
    const subjects: string[] = []
    for (const [config, redirectUri] of apps) {
      const codeVerifier = client.randomPKCECodeVerifier()
      const url = client.buildAuthorizationUrl(config, {
        redirect_uri: redirectUri,
        scope: `openid ${FRAUD} ${ROAMING}`,
        code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
        code_challenge_method: 'S256',
        state: 'two-apps',
      })
      const picker = await agent.follow(url.href)
      assert.ok('page' in picker, JSON.stringify(picker))
      assert.match(picker.page, /Which device is making this request/)
      let done = await agent.follow(formOf(picker.page).action, {
        form: { phoneNumber: '+34600000002' },
      })
      if ('page' in done && /Submitting Callback/.test(done.page)) {
        // The provider ends the first app's sign-in before the second one's (a form that a
        // browser's script submits at once), then resumes the authorization.
        const hidden = Object.fromEntries(
          [...done.page.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"/g)].map(
            (m) => [m[1] ?? '', m[2] ?? ''],
          ),
        )
        done = await agent.follow(formOf(done.page).action, { form: hidden })
      }
      assert.ok('url' in done, JSON.stringify(done))
      const tokens = await client.authorizationCodeGrant(
        config,
        done.url,
        { pkceCodeVerifier: codeVerifier, expectedState: 'two-apps' },
        { redirect_uri: redirectUri },
      )
      subjects.push(tokens.claims()?.sub ?? '')
      const res = await gw.post('/device-roaming-status/v1/retrieve', {}, tokens.access_token)
      assert.equal(res.body.countryCode, 262)
    }
    assert.notEqual(subjects[0], subjects[1], 'a pairwise subject per app')
  })
})

describe('network-based authentication behind a trusted proxy (TRUSTED_PROXIES)', () => {
  let gw: TestGateway
  let config: client.Configuration
  before(async () => {
    // This test client stands for the outer proxy (127.0.0.1); 10.1.1.1 is a proxy behind it.
    gw = await startTestGateway({ TRUSTED_PROXIES: '127.0.0.1,10.1.1.1' })
    config = await demoApp(gw)
  })
  after(() => gw.close())

  const signIn = async (headers: Record<string, string>) => {
    const codeVerifier = client.randomPKCECodeVerifier()
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: REDIRECT,
      scope: `openid ${FRAUD} ${ROAMING}`,
      code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: 'S256',
      state: 'proxy',
    })
    const done = await new UserAgent(gw.url, headers).follow(url.href)
    // Not signed in: the page the browser stopped on (the sandbox picker, or an error).
    if (!('url' in done)) return done
    const tokens = await client.authorizationCodeGrant(
      config,
      done.url,
      { pkceCodeVerifier: codeVerifier, expectedState: 'proxy' },
      { redirect_uri: REDIRECT },
    )
    return (await gw.post('/device-roaming-status/v1/retrieve', {}, tokens.access_token)).body
  }

  it('x-msisdn header enrichment names the subscriber; no page', async () => {
    assert.equal((await signIn({ 'x-msisdn': '34600000003' })).countryCode, 340)
    assert.equal((await signIn({ 'x-msisdn': '+34600000002' })).countryCode, 262)
  })

  it("x-forwarded-for: the device's public address behind the proxies", async () => {
    assert.equal((await signIn({ 'x-forwarded-for': '84.125.93.20, 10.1.1.1' })).countryCode, 262)
  })

  it('x-forwarded-for: hops a client wrote left of its own address prove nothing', async () => {
    // A client at 198.51.100.7 sent "X-Forwarded-For: 84.125.93.20"; the proxy appended its address.
    const spoofed = await signIn({ 'x-forwarded-for': '84.125.93.20, 198.51.100.7' })
    assert.ok('page' in spoofed, JSON.stringify(spoofed))
    assert.match(spoofed.page, /Which device is making this request/)
    const behindInner = await signIn({ 'x-forwarded-for': '84.125.93.20, 198.51.100.7, 10.1.1.1' })
    assert.ok('page' in behindInner, JSON.stringify(behindInner))
  })

  it('enrichment naming no device: the sandbox picker, as without a header', async () => {
    const res = await signIn({ 'x-msisdn': '+34699999999' })
    assert.ok('page' in res, JSON.stringify(res))
    assert.match(res.page, /Which device is making this request/)
  })
})

describe('network-based authentication: headers from an untrusted client are ignored', () => {
  let gw: TestGateway
  before(async () => {
    gw = await startTestGateway()
  })
  after(() => gw.close())

  it('x-msisdn from a client that is not a trusted proxy does not log anyone in', async () => {
    const config = await demoApp(gw)
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: REDIRECT,
      scope: `openid ${FRAUD} ${ROAMING}`,
      code_challenge: await client.calculatePKCECodeChallenge(client.randomPKCECodeVerifier()),
      code_challenge_method: 'S256',
      state: 's',
    })
    const res = await new UserAgent(gw.url, { 'x-msisdn': '+34600000003' }).follow(url.href)
    assert.ok('page' in res)
    assert.match(res.page, /Which device is making this request/)
  })
})
