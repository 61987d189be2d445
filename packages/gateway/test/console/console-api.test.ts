import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import type { FastifyInstance } from 'fastify'
import { buildApp } from '../../src/app.js'
import { tokenVerifier } from '../../src/auth/access-token.js'
import { systemClock } from '../../src/core/clock.js'
import { createMetrics } from '../../src/metrics/metrics.js'
import { simulatedNetwork } from '../../src/simulator/network.js'
import * as client from 'openid-client'
import { Receiver } from '../helpers/receiver.js'
import { UserAgent, formOf } from '../auth/browser.js'
import { demoApp } from '../auth/helpers.js'
import { startTestGateway, type TestGateway } from '../helpers/gateway.js'

const PREFIX = 'org.camaraproject.device-roaming-status-subscriptions.v0.'

/** Signs in; returns the cookie header and the CSRF token. */
async function signIn(
  gw: TestGateway,
): Promise<{ cookie: string; csrf: string; setCookie: string }> {
  const response = await fetch(`${gw.url}/console/api/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ token: gw.adminToken }),
  })
  assert.equal(response.status, 201)
  const setCookie = response.headers.get('set-cookie') ?? ''
  const body = (await response.json()) as { csrfToken: string }
  return { cookie: setCookie.split(';')[0] ?? '', csrf: body.csrfToken, setCookie }
}

/** Reads Server-Sent Events until `until` accepts one or `ms` pass. */
async function readStream(
  url: string,
  headers: Record<string, string>,
  until: (data: any) => boolean,
  ms = 5000,
): Promise<any[]> {
  const controller = new AbortController()
  const timer = setTimeout(() => controller.abort(), ms)
  const response = await fetch(url, { headers, signal: controller.signal })
  assert.equal(response.status, 200)
  assert.match(response.headers.get('content-type') ?? '', /text\/event-stream/)
  const events: any[] = []
  const decoder = new TextDecoder()
  let buffer = ''
  try {
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      buffer += decoder.decode(chunk, { stream: true })
      let end: number
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end)
        buffer = buffer.slice(end + 2)
        const data = block
          .split('\n')
          .filter((l) => l.startsWith('data: '))
          .map((l) => l.slice(6))
          .join('\n')
        if (data === '') continue
        const event = JSON.parse(data)
        events.push(event)
        if (until(event)) return events
      }
    }
  } catch (error) {
    if (!controller.signal.aborted) throw error
  } finally {
    clearTimeout(timer)
    controller.abort()
  }
  return events
}

describe('console API: sessions, CSRF, event stream, subscriptions, redelivery, app edit', () => {
  let gw: TestGateway
  let sink: Receiver
  before(async () => {
    gw = await startTestGateway({ NOTIFY_BACKOFF_MS: '50' })
    sink = await new Receiver().start()
  })
  after(async () => {
    await gw?.close()
    await sink?.stop()
  })

  it('sign-in refuses bad input with CAMARA errors; the right token sets an HttpOnly, SameSite=Strict cookie with an expiry', async () => {
    const cases: [string, string | undefined, number, string][] = [
      ['no body', undefined, 400, 'INVALID_ARGUMENT'],
      ['an empty token', JSON.stringify({ token: '' }), 400, 'INVALID_ARGUMENT'],
      ['a token that is not a string', JSON.stringify({ token: 42 }), 400, 'INVALID_ARGUMENT'],
      ['a wrong token', JSON.stringify({ token: 'wrong' }), 401, 'UNAUTHENTICATED'],
    ]
    for (const [what, body, status, code] of cases) {
      const response = await fetch(`${gw.url}/console/api/session`, {
        method: 'POST',
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body }),
      })
      assert.equal(response.status, status, what)
      const error = (await response.json()) as { code: string; message: string }
      assert.equal(error.code, code, what)
      assert.equal(response.headers.get('set-cookie'), null, what)
    }
    const { setCookie } = await signIn(gw)
    assert.match(setCookie, /^ds_console=[A-Za-z0-9_-]{40,};/)
    assert.match(setCookie, /; HttpOnly/)
    assert.match(setCookie, /; SameSite=Strict/)
    assert.match(setCookie, /; Max-Age=28800/)
    assert.doesNotMatch(setCookie, /Secure/) // http issuer
  })

  it('a session reads the admin API; a change needs the CSRF token; signing out ends the session in the store', async () => {
    const { cookie, csrf } = await signIn(gw)
    const read = await fetch(`${gw.url}/network/v1/devices`, { headers: { cookie } })
    assert.equal(read.status, 200)
    const change = (headers: Record<string, string>) =>
      fetch(`${gw.url}/network/v1/devices/+34600000005`, {
        method: 'PATCH',
        headers: { cookie, 'content-type': 'application/json', ...headers },
        body: '{"networkType":"3G"}',
      })
    for (const [what, headers, status] of [
      ['no CSRF token', {}, 403],
      ['a wrong CSRF token', { 'x-csrf-token': 'nope' }, 403],
      ['the CSRF token', { 'x-csrf-token': csrf }, 200],
    ] as [string, Record<string, string>, number][]) {
      assert.equal((await change(headers)).status, status, what)
    }
    // The cookie means nothing to the CAMARA APIs: a call with it and a token is not refused.
    const token = await gw.token2('dpv:FraudPreventionAndDetection device-roaming-status:read')
    const api = await fetch(`${gw.url}/device-roaming-status/v1/retrieve`, {
      method: 'POST',
      headers: { cookie, authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: '{"device":{"phoneNumber":"+34600000001"}}',
    })
    assert.equal(api.status, 200)

    const out = await fetch(`${gw.url}/console/api/session`, {
      method: 'DELETE',
      headers: { cookie, 'x-csrf-token': csrf },
    })
    assert.equal(out.status, 204)
    assert.match(out.headers.get('set-cookie') ?? '', /Max-Age=0/)
    assert.equal(
      (await fetch(`${gw.url}/console/api/session`, { headers: { cookie } })).status,
      401,
    )
    assert.equal((await fetch(`${gw.url}/network/v1/devices`, { headers: { cookie } })).status, 401)
  })

  it('the event stream sends each network event with the CloudEvents it produced; bad parameters are 400', async () => {
    for (const query of ['after=abc', 'backlog=-1', 'backlog=10001', 'backlog=x']) {
      const response = await gw.request('GET', `/admin/v1/events/stream?${query}`, gw.adminToken)
      assert.equal(response.status, 400, query)
      assert.equal(response.body.code, 'INVALID_ARGUMENT', query)
    }
    assert.equal((await gw.request('GET', '/admin/v1/events/stream')).status, 401)

    const token = await gw.token2(`device-roaming-status-subscriptions:${PREFIX}roaming-on:create`)
    const created = await gw.post(
      '/device-roaming-status-subscriptions/v0.8/subscriptions',
      {
        protocol: 'HTTP',
        sink: sink.url,
        types: [PREFIX + 'roaming-on'],
        config: { subscriptionDetail: { device: { phoneNumber: '+34666666666' } } },
      },
      token,
    )
    assert.equal(created.status, 201)
    const stream = readStream(
      `${gw.url}/admin/v1/events/stream?backlog=0`,
      { authorization: `Bearer ${gw.adminToken}` },
      (e) => e.phoneNumber === '+34666666666' && e.type === 'roaming',
    )
    await new Promise((resolve) => setTimeout(resolve, 300))
    await gw.admin('PATCH', '/network/v1/devices/+34666666666', { roaming: { countryCode: 208 } })
    const events = await stream
    const roaming = events.at(-1)
    assert.equal(roaming?.type, 'roaming')
    assert.deepEqual(
      roaming.cloudEvents.map((c: { type: string; subscriptionId: string }) => [
        c.type,
        c.subscriptionId,
      ]),
      [[PREFIX + 'roaming-on', created.body.id]],
    )
    // Reconnecting with Last-Event-ID starts after it.
    const again = await readStream(
      `${gw.url}/admin/v1/events/stream`,
      { authorization: `Bearer ${gw.adminToken}`, 'last-event-id': String(roaming.seq - 1) },
      () => true,
    )
    assert.equal(again[0]?.seq, roaming.seq)

    // Subscriptions by app, API, device, status.
    const listed = await gw.request(
      'GET',
      '/admin/v1/subscriptions?api=device-roaming-status-subscriptions&phoneNumber=%2B34666666666&status=ACTIVE',
      gw.adminToken,
    )
    assert.equal(listed.status, 200)
    assert.deepEqual(
      listed.body.map((s: { id: string }) => s.id),
      [created.body.id],
    )
    const none = await gw.request(
      'GET',
      '/admin/v1/subscriptions?phoneNumber=%2B34999999999',
      gw.adminToken,
    )
    assert.deepEqual(none.body, [])

    // Deliver again: the same CloudEvent, one more attempt.
    await sink.waitFor(2)
    let delivered: any
    for (let i = 0; i < 50 && delivered === undefined; i++) {
      const list = await gw.request(
        'GET',
        `/admin/v1/deliveries?subscriptionId=${created.body.id}`,
        gw.adminToken,
      )
      delivered = list.body.find(
        (d: { type: string; status: string }) =>
          d.type === PREFIX + 'roaming-on' && d.status === 'delivered',
      )
      if (delivered === undefined) await new Promise((resolve) => setTimeout(resolve, 100))
    }
    assert.ok(delivered)
    assert.equal(delivered.networkEventId, roaming.id)
    const again2 = await gw.admin('POST', `/admin/v1/deliveries/${delivered.id}/redeliver`)
    assert.equal(again2.status, 202)
    const received = await sink.waitFor(3)
    assert.equal(received[2]?.body.id, delivered.id)
    assert.equal((await gw.admin('POST', '/admin/v1/deliveries/no-such-id/redeliver')).status, 404)
  })

  it('an authorization-code request at its consent page waits with the CIBA requests; approved or denied through the admin API, the page continues to the app (code or access_denied); the first answer wins', async () => {
    const REDIRECT = 'http://localhost:3000/callback'
    const config = await demoApp(gw)
    /** Starts a flow for `phone` up to the consent page; returns the browser and the interaction. */
    const atConsentPage = async (phone: string) => {
      const codeVerifier = client.randomPKCECodeVerifier()
      const state = client.randomState()
      const url = client.buildAuthorizationUrl(config, {
        redirect_uri: REDIRECT,
        scope: 'openid dpv:Marketing device-roaming-status:read',
        code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
        code_challenge_method: 'S256',
        state,
      })
      const agent = new UserAgent(gw.url)
      const picker = await agent.follow(url.href)
      assert.ok('page' in picker)
      const consent = await agent.follow(formOf(picker.page).action, {
        form: { phoneNumber: phone },
      })
      assert.ok('page' in consent, 'the consent page')
      assert.match(consent.page, /asks for your consent/)
      assert.match(consent.page, /answer given there continues here/)
      const uid = consent.at.pathname.split('/')[2] ?? ''
      return { agent, page: consent.at.href, uid, codeVerifier, state }
    }
    const status = async (flow: { agent: UserAgent; uid: string }) =>
      (await flow.agent.request(`/interaction/${flow.uid}/status`)).json()

    const approved = await atConsentPage('+34600000004')
    const listed = await gw.admin('GET', '/admin/v1/authorizations?status=pending')
    const entry = listed.body.find((a: { id: string }) => a.id === approved.uid)
    assert.deepEqual(
      { ...entry, createdAt: typeof entry?.createdAt, expiresAt: typeof entry?.expiresAt },
      {
        id: approved.uid,
        flow: 'authorization_code',
        clientId: 'my-app-id',
        phoneNumber: '+34600000004',
        purpose: 'dpv:Marketing',
        scopes: ['device-roaming-status:read'],
        status: 'pending',
        createdAt: 'string',
        expiresAt: 'string',
      },
    )
    assert.deepEqual(await status(approved), { status: 'pending' })
    // Only the page's own browser reads it (the interaction cookie).
    assert.equal((await fetch(`${gw.url}/interaction/${approved.uid}/status`)).status, 400)

    const decided = await gw.admin('POST', `/admin/v1/authorizations/${approved.uid}/approve`)
    assert.equal(decided.status, 200)
    assert.deepEqual(decided.body, {
      id: approved.uid,
      flow: 'authorization_code',
      status: 'approved',
    })
    assert.deepEqual(await status(approved), { status: 'approved' })
    const back = await approved.agent.follow(approved.page)
    assert.ok('url' in back, JSON.stringify(back))
    const tokens = await client.authorizationCodeGrant(
      config,
      back.url,
      { pkceCodeVerifier: approved.codeVerifier, expectedState: approved.state },
      { redirect_uri: REDIRECT },
    )
    const roaming = await gw.post('/device-roaming-status/v1/retrieve', {}, tokens.access_token)
    assert.equal(roaming.status, 200)

    const refused = await atConsentPage('+34600000006')
    assert.equal(
      (await gw.admin('POST', `/admin/v1/authorizations/${refused.uid}/deny`)).body.status,
      'denied',
    )
    const denied = await refused.agent.follow(refused.page)
    assert.ok('url' in denied, JSON.stringify(denied))
    assert.equal(denied.url.searchParams.get('error'), 'access_denied')
    assert.equal(denied.url.searchParams.get('state'), refused.state)

    // Answered in the console, then Deny on the page: the console's answer stands.
    const raced = await atConsentPage('+34600000007')
    await gw.admin('POST', `/admin/v1/authorizations/${raced.uid}/approve`)
    const late = await raced.agent.follow(`/interaction/${raced.uid}/consent`, {
      form: { decision: 'deny' },
    })
    assert.ok('url' in late, JSON.stringify(late))
    assert.ok(late.url.searchParams.get('code'), late.url.href)
    const consents = await gw.admin('GET', '/admin/v1/consents?phoneNumber=%2B34600000007')
    assert.deepEqual(
      consents.body.map((c: { status: string }) => c.status),
      ['granted'],
    )

    // Nothing waits under these ids: a CAMARA error, nothing decided.
    for (const [what, id] of [
      ['an unknown id', 'no-such-request'],
      ['an approved request', approved.uid],
      ['a denied request', refused.uid],
    ] as const) {
      for (const decision of ['approve', 'deny']) {
        const response = await gw.admin('POST', `/admin/v1/authorizations/${id}/${decision}`)
        assert.deepEqual(
          response.body,
          { status: 404, code: 'NOT_FOUND', message: `No pending authorization ${id}` },
          `${what}, ${decision}`,
        )
      }
    }
    assert.equal(
      (await gw.request('POST', `/admin/v1/authorizations/${approved.uid}/approve`)).status,
      401,
    )
  })

  it('PUT /admin/v1/apps/{clientId} changes an app; bad input is refused', async () => {
    const created = await gw.admin('POST', '/admin/v1/apps', {
      clientId: 'edit-me',
      name: 'Edit me',
    })
    assert.equal(created.status, 201)
    const cases: [string, string, unknown, number, string][] = [
      ['an unknown app', 'nope-app', { name: 'x' }, 404, 'NOT_FOUND'],
      [
        'another client id',
        'edit-me',
        { name: 'x', clientId: 'other-id' },
        400,
        'INVALID_ARGUMENT',
      ],
      ['no name', 'edit-me', {}, 400, 'INVALID_ARGUMENT'],
      [
        'a relative redirect URI',
        'edit-me',
        { name: 'x', redirectUris: ['/cb'] },
        400,
        'INVALID_ARGUMENT',
      ],
      [
        'private_key_jwt without keys',
        'edit-me',
        { name: 'x', tokenEndpointAuthMethod: 'private_key_jwt' },
        400,
        'INVALID_ARGUMENT',
      ],
    ]
    for (const [what, id, body, status, code] of cases) {
      const response = await gw.admin('PUT', `/admin/v1/apps/${id}`, body)
      assert.equal(response.status, status, what)
      assert.equal(response.body.code, code, what)
    }
    const changed = await gw.admin('PUT', '/admin/v1/apps/edit-me', {
      name: 'Edited',
      redirectUris: ['https://app.example/cb'],
      apis: ['sim-swap'],
    })
    assert.equal(changed.status, 200)
    assert.equal(changed.body.name, 'Edited')
    assert.equal(changed.body.clientSecret, undefined, 'the secret is kept, not shown again')
    assert.deepEqual(changed.body.redirectUris, ['https://app.example/cb'])
    assert.ok(changed.body.scopes.includes('sim-swap:check'))
  })

  it('/docs serves the specs with the gateway discovery URL, a bearer scheme, demo numbers, and the admin API', async () => {
    const spec = await gw.request('GET', '/docs/specs/device-roaming-status-v1.1.0.json')
    assert.equal(
      spec.body.components.securitySchemes.openId.openIdConnectUrl,
      `${gw.url}/.well-known/openid-configuration`,
    )
    assert.deepEqual(spec.body.paths['/retrieve'].post.security.at(-1), { bearerAuth: [] })
    assert.ok(!JSON.stringify(spec.body).includes('+123456789'))
    const admin = await gw.request('GET', '/docs/specs/admin.json')
    assert.ok(admin.body.paths['/network/v1/devices/{phoneNumber}'].patch)
    assert.ok(admin.body.paths['/admin/v1/events/stream'].get)
    const list = await gw.request('GET', '/docs/specs')
    assert.ok(list.body.some((s: { url: string }) => s.url === '/docs/specs/admin.json'))
  })
})

describe('console API on a network that is not the simulator', () => {
  let gw: TestGateway
  let app: FastifyInstance
  before(async () => {
    gw = await startTestGateway()
    // The same gateway built without the simulator: the network is only the port.
    app = await buildApp({
      config: gw.config,
      store: gw.store,
      network: simulatedNetwork(gw.store),
      sim: simulatedNetwork(gw.store),
      networkType: simulatedNetwork(gw.store),
      keyring: gw.keyring,
      verifier: tokenVerifier({ store: gw.store, keyring: gw.keyring, issuer: gw.config.issuer }),
      clock: systemClock,
      simulator: undefined,
      sandbox: undefined,
      kickDelivery: () => undefined,
      metrics: createMetrics(gw.store),
      adminToken: gw.adminToken,
      logger: false,
    })
  })
  after(async () => {
    await app?.close()
    await gw?.close()
  })

  it('the session says there is no simulator (the console then leaves out devices, scenarios and consent); the simulator API is absent', async () => {
    const signIn = await app.inject({
      method: 'POST',
      url: '/console/api/session',
      payload: { token: gw.adminToken },
    })
    assert.equal(signIn.statusCode, 201)
    assert.equal(signIn.json<{ simulator: boolean }>().simulator, false)
    const cookie = String(signIn.headers['set-cookie']).split(';')[0] ?? ''
    const catalog = await app.inject({
      method: 'GET',
      url: '/console/api/catalog',
      headers: { cookie },
    })
    assert.equal(catalog.json<{ simulator: boolean }>().simulator, false)
    const devices = await app.inject({
      method: 'GET',
      url: '/network/v1/devices',
      headers: { cookie },
    })
    assert.equal(devices.statusCode, 404)
    const apps = await app.inject({ method: 'GET', url: '/admin/v1/apps', headers: { cookie } })
    assert.equal(apps.statusCode, 200)
  })
})
