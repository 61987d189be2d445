import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import * as client from 'openid-client'
import { startTestGateway, type TestGateway } from '../helpers/gateway.js'
import { UserAgent, formOf } from './browser.js'
import { DEMO, FRAUD, MARKETING, demoApp, form } from './helpers.js'

const REDIRECT = 'http://localhost:3000/callback'
const ROAMING = 'device-roaming-status:read'
const SIM_SWAP = 'sim-swap:check'
const REACHABILITY = 'device-reachability-status:read'

/** The headers every page shown to a person carries: never framed, never cached. */
function assertPageHeaders(res: Response, label: string): void {
  assert.equal(res.headers.get('x-frame-options'), 'DENY', label)
  assert.match(res.headers.get('content-security-policy') ?? '', /frame-ancestors 'none'/, label)
  assert.match(res.headers.get('cache-control') ?? '', /no-store/, label)
}

describe('Authorization Code interaction pages', () => {
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

  /** Code → tokens for a finished flow. */
  async function tokensOf(
    flow: Awaited<ReturnType<typeof authorize>>,
    done: { url: URL } | { page: string },
  ) {
    assert.ok('url' in done, JSON.stringify(done))
    return client.authorizationCodeGrant(
      config,
      done.url,
      { pkceCodeVerifier: flow.codeVerifier, expectedState: flow.state, expectedNonce: flow.nonce },
      { redirect_uri: REDIRECT },
    )
  }

  /** Starts a flow for `scope` and picks `phoneNumber`; returns the flow and where it stopped. */
  async function pick(scope: string, phoneNumber: string, params: Record<string, string> = {}) {
    const flow = await authorize({ scope, ...params })
    const picker = await flow.agent.follow(flow.url.href)
    assert.ok('page' in picker, 'the sandbox device picker')
    const res = await flow.agent.follow(formOf(picker.page).action, { form: { phoneNumber } })
    return { flow, res }
  }

  const consentsOf = async (phoneNumber: string) =>
    (await gw.admin('GET', `/admin/v1/consents?phoneNumber=${encodeURIComponent(phoneNumber)}`))
      .body as { purpose: string; scopes: string[]; status: string }[]

  it('consent is per scope: a purpose consented to for one API asks again for others, then covers the union', async () => {
    const device = '+34600000004'
    const first = await pick(`openid ${MARKETING} ${ROAMING}`, device)
    assert.ok('page' in first.res && /asks for your consent/.test(first.res.page))
    const allowed = await first.flow.agent.follow(formOf(first.res.page).action, {
      form: { decision: 'approve' },
    })
    assert.ok('url' in allowed && allowed.url.searchParams.has('code'))

    // The same purpose for other APIs: not covered, the subscriber is asked.
    const wider = await pick(`openid ${MARKETING} ${SIM_SWAP} ${REACHABILITY}`, device)
    assert.ok('page' in wider.res, 'no token for APIs the subscriber did not consent to')
    assert.match(wider.res.page, /asks for your consent/)
    assert.match(wider.res.page, /sim-swap:check/)
    // Not silently either.
    const silent = await pick(`openid ${MARKETING} ${SIM_SWAP}`, device, { prompt: 'consent' })
    assert.ok('page' in silent.res)
    const approved = await wider.flow.agent.follow(formOf(wider.res.page).action, {
      form: { decision: 'approve' },
    })
    const tokens = await tokensOf(wider.flow, approved)
    assert.equal(tokens.scope, `${MARKETING} ${SIM_SWAP} ${REACHABILITY}`)

    const latest = (await consentsOf(device))[0]
    assert.equal(latest?.status, 'granted')
    assert.deepEqual(latest?.scopes.slice().sort(), [REACHABILITY, ROAMING, SIM_SWAP])
    // Every scope consented to so far, alone or together: no page.
    for (const scope of [ROAMING, SIM_SWAP, `${ROAMING} ${REACHABILITY}`]) {
      const again = await pick(`openid ${MARKETING} ${scope}`, device)
      assert.ok('url' in again.res, `${scope}: straight back to the app`)
    }
  })

  it('the picker signs in the device the network identifies; another posted number is refused', async () => {
    await gw.admin('PATCH', '/network/v1/devices/+34600000003', {
      ipv4Address: { publicAddress: '127.0.0.1' },
    })
    try {
      // Straight to the picker's POST, skipping the GET that authenticates by network.
      const toLogin = async () => {
        const flow = await authorize({})
        const started = await flow.agent.request(flow.url.href)
        const interaction = started.headers.get('location') ?? ''
        assert.match(interaction, /^\/interaction\//)
        return { flow, action: `${interaction}/login` }
      }
      const other = await toLogin()
      const refused = await other.flow.agent.request(other.action, {
        form: { phoneNumber: '+34600000002' },
      })
      assert.equal(refused.status, 400)
      assert.match(refused.headers.get('content-type') ?? '', /text\/html/)
      assert.match(await refused.text(), /another device/)
      for (const posted of ['+34600000003', '']) {
        const own = await toLogin()
        const done = await own.flow.agent.follow(own.action, { form: { phoneNumber: posted } })
        const tokens = await tokensOf(own.flow, done)
        const res = await gw.post('/device-roaming-status/v1/retrieve', {}, tokens.access_token)
        assert.equal(res.body.countryCode, 340, `posted ${JSON.stringify(posted)}: device 3`)
      }
    } finally {
      await gw.admin('PATCH', '/network/v1/devices/+34600000003', { ipv4Address: null })
    }
    // The network knows nothing of this address again: the posted number is signed in.
    const picked = await pick(`openid ${FRAUD} ${ROAMING}`, '+34600000002')
    const flow = picked.flow
    const tokens = await tokensOf(flow, picked.res)
    const res = await gw.post('/device-roaming-status/v1/retrieve', {}, tokens.access_token)
    assert.equal(res.body.countryCode, 262)
  })

  it('signing in again as another device for the same app (prompt=login) reaches the app', async () => {
    const agent = new UserAgent(gw.url)
    for (const [phoneNumber, countryCode, params] of [
      ['+34600000005', undefined, {}],
      ['+34600000002', 262, { prompt: 'login' }],
    ] as const) {
      const flow = { ...(await authorize(params)), agent }
      const picker = await agent.follow(flow.url.href)
      assert.ok('page' in picker && /Which device/.test(picker.page), JSON.stringify(picker))
      let done = await agent.follow(formOf(picker.page).action, { form: { phoneNumber } })
      if ('page' in done && /Submitting Callback/.test(done.page)) {
        // The provider ends the first device's session (a form a browser's script submits at
        // once), then resumes the interaction: it must still be there.
        const hidden = Object.fromEntries(
          [...done.page.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"/g)].map(
            (m) => [m[1] ?? '', m[2] ?? ''],
          ),
        )
        done = await agent.follow(formOf(done.page).action, { form: hidden })
      }
      assert.ok('url' in done, `${phoneNumber}: ${JSON.stringify(done)}`)
      const tokens = await tokensOf(flow, done)
      const res = await gw.post('/device-roaming-status/v1/retrieve', {}, tokens.access_token)
      assert.equal(res.body.countryCode, countryCode, phoneNumber)
    }
  })

  it('a grant model is revoked model by model: the rows of other models stay', async () => {
    const row = (model: string, id: string) => ({
      model,
      id,
      payload: '{}',
      grant_id: 'grant-under-test',
      user_code: null,
      uid: null,
      expires_at: null,
      consumed_at: null,
    })
    await gw.store.oidcModels.upsert(row('AccessToken', 'at-1'))
    await gw.store.oidcModels.upsert(row('Interaction', 'int-1'))
    await gw.store.oidcModels.revokeByGrantId('AccessToken', 'grant-under-test')
    assert.equal(await gw.store.oidcModels.find('AccessToken', 'at-1'), undefined)
    assert.ok(await gw.store.oidcModels.find('Interaction', 'int-1'), 'the interaction stays')
    await gw.store.oidcModels.revokeAllByGrantId('grant-under-test')
    assert.equal(await gw.store.oidcModels.find('Interaction', 'int-1'), undefined)
  })

  it('pages cannot be framed or cached: picker, consent, redirects, error pages', async () => {
    const flow = await authorize({ scope: `openid ${MARKETING} ${ROAMING}` })
    const started = await flow.agent.request(flow.url.href)
    const interaction = started.headers.get('location') ?? ''
    const picker = await flow.agent.request(interaction)
    assertPageHeaders(picker, 'picker')
    const picked = await flow.agent.request(formOf(await picker.text()).action, {
      form: { phoneNumber: '+34600000006' },
    })
    assert.equal(picked.status, 303)
    assertPageHeaders(picked, 'login redirect')
    const resumed = await flow.agent.request(picked.headers.get('location') ?? '')
    const consent = await flow.agent.request(resumed.headers.get('location') ?? '')
    assert.match(await consent.clone().text(), /asks for your consent/)
    assertPageHeaders(consent, 'consent page')
    const gone = await fetch(`${gw.url}/interaction/unknown`)
    assert.equal(gone.status, 400)
    assertPageHeaders(gone, 'interaction error page')
    // The provider's error page (unknown client) and the gateway's (a refused redirect_uri).
    const unknownClient = await fetch(
      `${gw.url}/oauth2/authorize?client_id=nobody&response_type=code&scope=openid&redirect_uri=${encodeURIComponent(REDIRECT)}`,
    )
    assert.match(unknownClient.headers.get('content-type') ?? '', /text\/html/)
    assertPageHeaders(unknownClient, 'provider error page')
    const badRedirect = await fetch(
      `${gw.url}/oauth2/authorize?client_id=my-app-id&response_type=code&scope=openid%20${FRAUD}&redirect_uri=http%3A%2F%2Fevil.example%2Fcb`,
      { redirect: 'manual' },
    )
    assert.equal(badRedirect.status, 400)
    assertPageHeaders(badRedirect, 'authorize error page')
  })

  it('a consent POST decides only with decision=approve|deny; anything else is a 400 page and records nothing', async () => {
    const device = '+34600000001'
    const { flow, res } = await pick(`openid ${MARKETING} ${ROAMING}`, device)
    assert.ok('page' in res)
    const action = formOf(res.page).action
    const cookie = [...flow.agent.cookies].map(([k, v]) => `${k}=${v}`).join('; ')
    for (const [label, contentType, body, status] of [
      ['no decision', 'application/x-www-form-urlencoded', '', 400],
      ['another decision', 'application/x-www-form-urlencoded', 'decision=maybe', 400],
      ['JSON body', 'application/json', '{"decision":"approve"}', 400],
      ['text body', 'text/plain', 'decision=deny', 400],
      ['bad JSON', 'application/json', '{', 400],
      ['multipart', 'multipart/form-data; boundary=x', '--x--\r\n', 415],
    ] as const) {
      const sent = await fetch(gw.url + action, {
        method: 'POST',
        redirect: 'manual',
        headers: { cookie, 'content-type': contentType },
        body,
      })
      assert.equal(sent.status, status, label)
      assert.match(sent.headers.get('content-type') ?? '', /text\/html/, label)
      assert.match(await sent.text(), /<h1>/, label)
    }
    assert.deepEqual(await consentsOf(device), [], 'nothing recorded')
    // The interaction is still there: the page's own button decides.
    const allowed = await flow.agent.follow(action, { form: { decision: 'approve' } })
    assert.ok('url' in allowed && allowed.url.searchParams.has('code'), JSON.stringify(allowed))
    assert.deepEqual(
      (await consentsOf(device)).map((c) => c.status),
      ['granted'],
    )
  })

  it('malformed requests under /interaction/ get HTML pages, not JSON', async () => {
    const flow = await authorize({})
    const picker = await flow.agent.follow(flow.url.href)
    assert.ok('page' in picker)
    const action = formOf(picker.page).action
    const cookie = [...flow.agent.cookies].map(([k, v]) => `${k}=${v}`).join('; ')
    for (const [label, path, init, status] of [
      ['text login', action, { method: 'POST', body: 'phoneNumber=%2B34600000002' }, 400],
      ['JSON login', action, { method: 'POST', body: '{}', type: 'application/json' }, 400],
      ['empty JSON', action, { method: 'POST', body: '', type: 'application/json' }, 400],
      ['GET on a POST step', action, { method: 'GET' }, 405],
      ['PUT on a POST step', action, { method: 'PUT', body: '' }, 405],
      ['unknown action', action.replace('/login', '/foo'), { method: 'GET' }, 404],
      ['unknown action POST', action.replace('/login', '/foo'), { method: 'POST', body: '' }, 404],
    ] as const) {
      const res = await fetch(gw.url + path, {
        method: init.method,
        redirect: 'manual',
        headers: {
          cookie,
          ...('body' in init ? { 'content-type': 'type' in init ? init.type : 'text/plain' } : {}),
        },
        ...('body' in init ? { body: init.body } : {}),
      })
      assert.equal(res.status, status, label)
      assert.match(res.headers.get('content-type') ?? '', /text\/html/, label)
      assertPageHeaders(res, label)
    }
    // None of that signed anyone in: the picker still works.
    const done = await flow.agent.follow(action, { form: { phoneNumber: '+34600000002' } })
    assert.ok('url' in done, JSON.stringify(done))
  })
})

describe('CIBA: consent is per scope', () => {
  let gw: TestGateway
  before(async () => {
    gw = await startTestGateway()
  })
  after(() => gw.close())

  const start = (scope: string) =>
    form(gw, '/oauth2/bc-authorize', { login_hint: 'tel:+34600000005', scope }, DEMO)
  const poll = (authReqId: string) =>
    form(
      gw,
      '/oauth2/token',
      { grant_type: 'urn:openid:params:grant-type:ciba', auth_req_id: authReqId },
      DEMO,
    )

  it('a request for more APIs under a consented purpose waits for the subscriber; approval covers the union', async () => {
    const first = await start(`openid ${MARKETING} ${ROAMING}`)
    await gw.admin('POST', `/admin/v1/authorizations/${first.body.auth_req_id}/approve`)
    assert.equal((await poll(first.body.auth_req_id)).status, 200)

    const wider = await start(`openid ${MARKETING} ${SIM_SWAP}`)
    assert.equal(wider.status, 200, JSON.stringify(wider.body))
    assert.equal((await poll(wider.body.auth_req_id)).body.error, 'authorization_pending')
    assert.equal(
      (await gw.admin('POST', `/admin/v1/authorizations/${wider.body.auth_req_id}/approve`)).body
        .status,
      'approved',
    )
    assert.equal((await poll(wider.body.auth_req_id)).status, 200)
    const latest = (await gw.admin('GET', '/admin/v1/consents?phoneNumber=%2B34600000005')).body[0]
    assert.deepEqual(latest.scopes.slice().sort(), [ROAMING, SIM_SWAP])
    // Both are covered now: approved at once.
    const both = await start(`openid ${MARKETING} ${ROAMING} ${SIM_SWAP}`)
    assert.equal((await poll(both.body.auth_req_id)).status, 200)
  })

  it('a device whose policy approves records the union of what it approved', async () => {
    await gw.admin('PATCH', '/network/v1/devices/+34600000005', { consentPolicy: 'approve' })
    try {
      const res = await start(`openid ${MARKETING} ${REACHABILITY}`)
      assert.equal((await poll(res.body.auth_req_id)).status, 200)
      const latest = (await gw.admin('GET', '/admin/v1/consents?phoneNumber=%2B34600000005'))
        .body[0]
      assert.deepEqual(latest.scopes.slice().sort(), [REACHABILITY, ROAMING, SIM_SWAP])
    } finally {
      await gw.admin('PATCH', '/network/v1/devices/+34600000005', { consentPolicy: null })
    }
  })
})
