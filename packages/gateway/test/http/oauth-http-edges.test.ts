/**
 * Issue 14, the OAuth and HTTP edges, each to its standard: introspection only to the token's
 * own client (RFC 7662 §4); a replayed authorization code revokes the tokens of its first use
 * (RFC 6749 §4.1.2); Basic credentials with an empty secret are 401 invalid_client (RFC 6749
 * §5.2); CORS at the token endpoint only for public clients' registered origins; requests the HTTP
 * parser refuses answered in the path's shape with an x-correlator; numbers that overflow to
 * Infinity refused; every served API accepted by the simulator's notApplicable.
 */
import assert from 'node:assert/strict'
import { connect } from 'node:net'
import { after, before, describe, it } from 'node:test'
import * as client from 'openid-client'
import { DEVICE_APIS } from '../../src/core/device.js'
import { API_FILES } from '../../src/specs/catalog.js'
import { assertError } from '../helpers/device-api-suite.js'
import { startTestGateway, type TestGateway } from '../helpers/gateway.js'
import { UserAgent, formOf } from '../auth/browser.js'
import { DEMO, FRAUD, demoApp, form } from '../auth/helpers.js'

const REDIRECT = 'http://localhost:3000/callback'
const ROAMING = 'device-roaming-status:read'
const READ = '/device-roaming-status/v1/retrieve'
const SUBSCRIPTIONS = '/device-roaming-status-subscriptions/v0.8/subscriptions'
const ROAMING_ON = 'org.camaraproject.device-roaming-status-subscriptions.v0.roaming-on'

/** Sends raw bytes on a new connection; returns what came back before the server closed it. */
function raw(url: string, bytes: Buffer | string): Promise<string> {
  const { hostname, port } = new URL(url)
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname)
    let out = ''
    socket.on('data', (chunk: Buffer) => (out += chunk.toString('latin1')))
    socket.on('error', () => resolve(out))
    socket.on('close', () => resolve(out))
    socket.on('connect', () => socket.write(bytes))
    setTimeout(() => {
      socket.destroy()
      reject(new Error(`no answer to ${String(bytes).slice(0, 60)}`))
    }, 5000).unref()
  })
}

/** Status, lower-cased headers and body of a raw HTTP/1.1 response. */
function parseResponse(text: string) {
  const [head = '', body = ''] = text.split('\r\n\r\n')
  const [statusLine = '', ...lines] = head.split('\r\n')
  const headers = new Map(
    lines.map((l) => [
      l.slice(0, l.indexOf(':')).toLowerCase(),
      l.slice(l.indexOf(':') + 1).trim(),
    ]),
  )
  return { status: Number(statusLine.split(' ')[1]), headers, body }
}

describe('OAuth and HTTP edges (issue 14)', () => {
  let gw: TestGateway
  before(async () => {
    gw = await startTestGateway()
  })
  after(() => gw.close())

  /** An authorization code for +34600000002 (fraud prevention: no consent page). */
  async function authorizationCode(scope = `openid offline_access ${FRAUD} ${ROAMING}`) {
    const config = await demoApp(gw)
    const verifier = client.randomPKCECodeVerifier()
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: REDIRECT,
      scope,
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state: client.randomState(),
      // OpenID Connect: offline_access (a refresh token) is granted with prompt=consent.
      prompt: 'consent',
    })
    const agent = new UserAgent(gw.url)
    const picker = await agent.follow(url.href)
    assert.ok('page' in picker)
    const done = await agent.follow(formOf(picker.page).action, {
      form: { phoneNumber: '+34600000002' },
    })
    assert.ok('url' in done, JSON.stringify(done))
    const code = done.url.searchParams.get('code')
    assert.ok(code !== null)
    return { code, verifier }
  }
  const redeem = (code: string, verifier: string) =>
    form(
      gw,
      '/oauth2/token',
      { grant_type: 'authorization_code', code, code_verifier: verifier, redirect_uri: REDIRECT },
      DEMO,
    )

  it('a replayed authorization code is refused and revokes the tokens of its first use', async () => {
    const { code, verifier } = await authorizationCode()
    const first = await redeem(code, verifier)
    assert.equal(first.status, 200, JSON.stringify(first.body))
    assert.ok(first.body.refresh_token)
    assert.equal((await gw.post(READ, {}, first.body.access_token)).status, 200)
    const replay = await redeem(code, verifier)
    assert.equal(replay.status, 400)
    assert.equal(replay.body.error, 'invalid_grant')
    assertError(await gw.post(READ, {}, first.body.access_token), 401, 'UNAUTHENTICATED')
    const refreshed = await form(
      gw,
      '/oauth2/token',
      { grant_type: 'refresh_token', refresh_token: first.body.refresh_token },
      DEMO,
    )
    assert.equal(refreshed.body.error, 'invalid_grant')
    // A later authorization of the same subscriber gets working tokens again.
    await new Promise((resolve) => setTimeout(resolve, 1000 - (Date.now() % 1000) + 10))
    const next = await authorizationCode()
    const tokens = await redeem(next.code, next.verifier)
    assert.equal((await gw.post(READ, {}, tokens.body.access_token)).status, 200)
  })

  it("introspection: another client's token is {active: false}; its own is described", async () => {
    const { code, verifier } = await authorizationCode()
    const tokens = await redeem(code, verifier)
    const other = await gw.admin('POST', '/admin/v1/apps', {
      name: 'nosy',
      apis: ['device-roaming-status'],
      purposes: [FRAUD],
      grantTypes: ['client_credentials'],
      mode: 'compatible',
    })
    const nosy: [string, string] = [other.body.clientId, other.body.clientSecret]
    const foreign = await form(gw, '/oauth2/introspect', { token: tokens.body.refresh_token }, nosy)
    assert.equal(foreign.status, 200)
    assert.deepEqual(foreign.body, { active: false })
    const own = await form(gw, '/oauth2/introspect', { token: tokens.body.refresh_token }, DEMO)
    assert.equal(own.body.active, true)
    assert.equal(own.body.client_id, 'my-app-id')
  })

  it('Basic credentials with an empty secret, or that do not decode: 401 invalid_client', async () => {
    for (const credentials of ['my-app-id:', 'my-app-id', ':secret', 'my-app-id:%zz']) {
      const res = await fetch(gw.url + '/oauth2/token', {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: `Basic ${Buffer.from(credentials).toString('base64')}`,
        },
        body: `grant_type=client_credentials&scope=${encodeURIComponent(`${FRAUD} ${ROAMING}`)}`,
      })
      assert.equal(res.status, 401, credentials)
      assert.equal(((await res.json()) as { error: string }).error, 'invalid_client')
      assert.match(res.headers.get('www-authenticate') ?? '', /^Basic/)
    }
  })

  it('CORS at the token endpoint: no origin is granted to a confidential client, preflight or not', async () => {
    for (const origin of ['https://evil.example', 'http://localhost:3000', 'null']) {
      const preflight = await fetch(gw.url + '/oauth2/token', {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'POST' },
      })
      assert.equal(preflight.headers.get('access-control-allow-origin'), null, origin)
      const post = await fetch(gw.url + '/oauth2/token', {
        method: 'POST',
        headers: {
          origin,
          'content-type': 'application/x-www-form-urlencoded',
          authorization: `Basic ${Buffer.from(DEMO.join(':')).toString('base64')}`,
        },
        body: `grant_type=client_credentials&scope=${encodeURIComponent(`${FRAUD} ${ROAMING}`)}`,
      })
      assert.equal(post.headers.get('access-control-allow-origin'), null, origin)
    }
    // Public metadata stays readable from anywhere.
    const jwks = await fetch(gw.url + '/oauth2/jwks', {
      headers: { origin: 'https://any.example' },
    })
    assert.equal(jwks.status, 200)
  })

  it("requests the HTTP parser refuses: a 400 in the path's shape, with an x-correlator", async () => {
    const api = READ
    const cases: [string, (path: string) => Buffer | string][] = [
      ['bad method', (p) => `GE\x01T ${p} HTTP/1.1\r\nHost: x\r\n\r\n`],
      [
        'header too large',
        (p) => `GET ${p} HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`,
      ],
      [
        'Content-Length and Transfer-Encoding',
        (p) =>
          `POST ${p} HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`,
      ],
      [
        'bad chunk',
        (p) =>
          `POST ${p} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n`,
      ],
      [
        'non-ASCII path',
        (p) =>
          Buffer.concat([
            Buffer.from(`GET ${p}`),
            Buffer.from([0xc3, 0xa9]),
            Buffer.from(' HTTP/1.1\r\nHost: x\r\n\r\n'),
          ]),
      ],
      ['70 KB query', (p) => `GET ${p}?q=${'a'.repeat(70_000)} HTTP/1.1\r\nHost: x\r\n\r\n`],
    ]
    const problems: string[] = []
    for (const [name, request] of cases) {
      for (const [path, shape] of [
        [api, 'camara'],
        [SUBSCRIPTIONS, 'camara'],
        ['/oauth2/token', 'oauth'],
        ['/interaction/abc', 'html'],
      ] as const) {
        const res = parseResponse(await raw(gw.url, request(path)))
        const where = `${name} on ${path}`
        if (res.status !== 400) problems.push(`${where}: ${res.status}`)
        if (!/^[0-9a-f-]{36}$/.test(res.headers.get('x-correlator') ?? ''))
          problems.push(`${where}: no x-correlator`)
        if (shape === 'html') {
          if (!/text\/html/.test(res.headers.get('content-type') ?? ''))
            problems.push(`${where}: not a page`)
          continue
        }
        let body: Record<string, unknown> = {}
        try {
          body = JSON.parse(res.body) as Record<string, unknown>
        } catch {
          problems.push(`${where}: ${res.body.slice(0, 100)}`)
          continue
        }
        if (shape === 'camara' && (body['code'] !== 'INVALID_ARGUMENT' || body['status'] !== 400))
          problems.push(`${where}: ${res.body}`)
        if (shape === 'oauth' && body['error'] !== 'invalid_request')
          problems.push(`${where}: ${res.body}`)
      }
    }
    assert.deepEqual(problems, [])
    // The gateway is unharmed.
    assert.equal((await fetch(gw.url + '/health')).status, 200)
  })

  it('subscriptionMaxEvents (or any number) that overflows to Infinity is 400, nothing stored', async () => {
    const token = await gw.token2(
      `${FRAUD} device-roaming-status-subscriptions:${ROAMING_ON}:create device-roaming-status-subscriptions:read`,
    )
    for (const value of ['1e400', '-1e400', '1E309', '9'.repeat(400)]) {
      const body = `{"protocol":"HTTP","sink":"http://127.0.0.1:9/sink","types":["${ROAMING_ON}"],"config":{"subscriptionDetail":{"device":{"phoneNumber":"+34600000001"}},"subscriptionMaxEvents":${value}}}`
      assertError(await gw.post(SUBSCRIPTIONS, body, token), 400, 'INVALID_ARGUMENT')
    }
    assert.deepEqual((await gw.request('GET', SUBSCRIPTIONS, token)).body, [])
    // A large finite number is still a number for the schema to judge.
    const finite = `{"protocol":"HTTP","sink":"http://127.0.0.1:9/sink","types":["${ROAMING_ON}"],"config":{"subscriptionDetail":{"device":{"phoneNumber":"+34600000001"}},"subscriptionMaxEvents":1e3}}`
    assert.equal((await gw.post(SUBSCRIPTIONS, finite, token)).status, 201)
  })

  it("the simulator's notApplicable takes every API the gateway serves; a subscription API's name refuses only its subscriptions", async () => {
    assert.deepEqual([...DEVICE_APIS].sort(), Object.keys(API_FILES).sort())
    const phone = '+34600000005'
    const all = await gw.admin('PATCH', `/network/v1/devices/${phone}`, {
      notApplicable: [...DEVICE_APIS],
    })
    assert.equal(all.status, 200, JSON.stringify(all.body))
    const only = await gw.admin('PATCH', `/network/v1/devices/${phone}`, {
      notApplicable: ['device-roaming-status-subscriptions'],
    })
    assert.equal(only.status, 200, JSON.stringify(only.body))
    const token = await gw.token2(
      `${FRAUD} ${ROAMING} device-roaming-status-subscriptions:${ROAMING_ON}:create`,
    )
    assert.equal((await gw.post(READ, { device: { phoneNumber: phone } }, token)).status, 200)
    const subscribe = await gw.post(
      SUBSCRIPTIONS,
      {
        protocol: 'HTTP',
        sink: 'http://127.0.0.1:9/sink',
        types: [ROAMING_ON],
        config: { subscriptionDetail: { device: { phoneNumber: phone } } },
      },
      token,
    )
    assertError(subscribe, 422, 'SERVICE_NOT_APPLICABLE')
    assertError(
      await gw.admin('PATCH', `/network/v1/devices/${phone}`, { notApplicable: ['no-such-api'] }),
      400,
      'INVALID_ARGUMENT',
    )
  })
})
