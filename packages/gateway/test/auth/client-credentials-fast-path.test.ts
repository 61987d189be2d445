import assert from 'node:assert/strict'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { after, before, describe, it } from 'node:test'
import { randomUUID } from 'node:crypto'
import {
  SignJWT,
  decodeJwt,
  decodeProtectedHeader,
  exportJWK,
  generateKeyPair,
  jwtVerify,
  type CryptoKey,
} from 'jose'
import Provider from 'oidc-provider'
import { manualClock } from '../helpers/clock.js'
import { startTestGateway, type TestGateway } from '../helpers/gateway.js'
import { logLines } from '../helpers/log-lines.js'
import { FRAUD, MARKETING } from './helpers.js'

/**
 * The client credentials grant answered in front of oidc-provider (auth/client-credentials.ts)
 * against the provider's own answer to the same request. A request with `resource` set to the
 * API resource (the issuer, the provider's default) is one the fast path leaves to the provider,
 * which issues the same token for it: the pair shows both paths side by side. Hand-overs to the
 * provider are counted, so each comparison also shows which path answered.
 */

type Handler = (req: IncomingMessage, res: ServerResponse) => Promise<void>
// eslint-disable-next-line @typescript-eslint/unbound-method -- called with its provider below
const koaCallback = Provider.prototype.callback as unknown as (this: Provider) => Handler
let handedOver = 0
function countHandOvers(): void {
  Provider.prototype.callback = function (this: Provider) {
    const handler = koaCallback.call(this)
    return (req: IncomingMessage, res: ServerResponse) => {
      handedOver++
      return handler(req, res)
    }
  } as unknown as Provider['callback']
}
function restoreHandOvers(): void {
  Provider.prototype.callback = koaCallback as unknown as Provider['callback']
}

interface Request {
  params: Record<string, string>
  basic?: [string, string] | string
  headers?: Record<string, string>
  /** A raw body instead of the form (sent as it is). */
  raw?: { body: string; contentType: string }
}

interface Answer {
  status: number
  body: Record<string, unknown>
  headers: Record<string, string>
  /** Whether oidc-provider answered it. */
  provider: boolean
}

/** Response headers as a client sees them, less those that differ on every response. */
function comparableHeaders(headers: Headers): Record<string, string> {
  const out: Record<string, string> = {}
  // x-correlator: the gateway echoes or adds it on every response it answers itself (CAMARA DG
  // §5.8.5); the provider, which writes to the socket directly, never has. Not a token property.
  headers.forEach((value, name) => {
    if (!['date', 'x-correlator', 'content-length'].includes(name)) out[name] = value
  })
  return out
}

async function send(gw: TestGateway, request: Request): Promise<Answer> {
  const before = handedOver
  const basic =
    typeof request.basic === 'string'
      ? request.basic
      : request.basic === undefined
        ? undefined
        : `Basic ${Buffer.from(`${request.basic[0]}:${request.basic[1]}`).toString('base64')}`
  const response = await fetch(gw.url + '/oauth2/token', {
    method: 'POST',
    headers: {
      'content-type': request.raw?.contentType ?? 'application/x-www-form-urlencoded',
      ...(basic === undefined ? {} : { authorization: basic }),
      ...request.headers,
    },
    body: request.raw?.body ?? new URLSearchParams(request.params).toString(),
  })
  const text = await response.text()
  return {
    status: response.status,
    body: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>),
    headers: comparableHeaders(response.headers),
    provider: handedOver > before,
  }
}

/** The provider's answer to the same request: with the API resource named. */
function viaProvider(gw: TestGateway, request: Request): Promise<Answer> {
  return send(gw, { ...request, params: { ...request.params, resource: gw.config.issuer } })
}

/**
 * Two answers alike: status, headers and body; for tokens, the same JWT header and claims but for
 * `jti`, `iat` and `exp` (drawn and timed per token), those of the same shape.
 */
function assertSameAnswer(fast: Answer, provider: Answer, label: string): void {
  assert.equal(fast.status, provider.status, label)
  assert.deepEqual(fast.headers, provider.headers, label)
  const { access_token: fastToken, ...fastBody } = fast.body
  const { access_token: providerToken, ...providerBody } = provider.body
  assert.deepEqual(fastBody, providerBody, label)
  assert.deepEqual(Object.keys(fast.body), Object.keys(provider.body), `${label}: member order`)
  if (fastToken === undefined && providerToken === undefined) return
  assert.equal(typeof fastToken, 'string', label)
  assert.equal(typeof providerToken, 'string', label)
  assert.deepEqual(
    decodeProtectedHeader(fastToken as string),
    decodeProtectedHeader(providerToken as string),
    label,
  )
  const { jti: j1, iat: i1, exp: e1, ...fastClaims } = decodeJwt(fastToken as string)
  const { jti: j2, iat: i2, exp: e2, ...providerClaims } = decodeJwt(providerToken as string)
  assert.deepEqual(fastClaims, providerClaims, label)
  assert.deepEqual(
    Object.keys(decodeJwt(fastToken as string)),
    Object.keys(decodeJwt(providerToken as string)),
    `${label}: claim order`,
  )
  for (const jti of [j1, j2]) assert.match(String(jti), /^[A-Za-z0-9_-]{43}$/, label)
  assert.notEqual(j1, j2, label)
  assert.equal(Number(e1) - Number(i1), Number(e2) - Number(i2), label)
}

/** An app of the roaming API with the fraud purpose and client credentials, as `settings` change it. */
async function createApp(
  gw: TestGateway,
  name: string,
  settings: Record<string, unknown> = {},
): Promise<{ body: any }> {
  const created = await gw.admin('POST', '/admin/v1/apps', {
    name,
    apis: ['device-roaming-status'],
    purposes: [FRAUD],
    grantTypes: ['client_credentials'],
    mode: 'compatible',
    ...settings,
  })
  assert.equal(created.status, 201, JSON.stringify(created.body))
  return created
}

describe('client credentials in front of the provider', () => {
  let gw: TestGateway
  const DEMO: [string, string] = ['my-app-id', 'my-app-secret']
  const plain = (scope: string): Request => ({
    params: { grant_type: 'client_credentials', scope },
    basic: DEMO,
  })
  before(async () => {
    countHandOvers()
    gw = await startTestGateway()
  })
  after(async () => {
    restoreHandOvers()
    await gw.close()
  })

  it('issues the token and the response the provider issues, once the secret was verified', async () => {
    const request = plain(`${FRAUD} device-roaming-status:read`)
    // The first use of a secret on an instance is the provider's (the full check, then cached).
    const first = await send(gw, request)
    assert.equal(first.status, 200, JSON.stringify(first.body))
    assert.equal(first.provider, true)
    for (const scope of [
      `${FRAUD} device-roaming-status:read`,
      `${FRAUD} ${FRAUD} device-roaming-status:read device-roaming-status:read`,
      // Vendor-compatible form (the demo app's mode): rewritten to the purpose and API scopes.
      `${FRAUD}#device-status-roaming-read`,
    ]) {
      const fast = await send(gw, plain(scope))
      assert.equal(fast.provider, false, `${scope}: answered in front of the provider`)
      const provider = await viaProvider(gw, plain(scope))
      assert.equal(provider.provider, true, scope)
      assertSameAnswer(fast, provider, scope)
      assert.equal(fast.status, 200, JSON.stringify(fast.body))
    }
  })

  it('is counted in /metrics as the provider path is: the same route, method and status', async () => {
    const counted = async () => {
      const text = await (await fetch(gw.url + '/metrics')).text()
      const line = text
        .split('\n')
        .find(
          (l) =>
            l.startsWith('device_status_http_requests_total{') &&
            l.includes('route="/oauth2/*"') &&
            l.includes('method="POST"') &&
            l.includes('status="200"'),
        )
      return Number(line?.split(' ').at(-1) ?? 0)
    }
    const start = await counted()
    const fast = await send(gw, plain(`${FRAUD} device-roaming-status:read`))
    assert.equal(fast.provider, false)
    assert.equal(await counted(), start + 1)
    const provider = await viaProvider(gw, plain(`${FRAUD} device-roaming-status:read`))
    assert.equal(provider.provider, true)
    assert.equal(await counted(), start + 2)
  })

  it('its tokens verify with the JWKS and are accepted by the API guard; introspection and revocation answer as for the provider’s', async () => {
    const fast = await send(gw, plain(`${FRAUD} device-roaming-status:read`))
    assert.equal(fast.provider, false)
    const token = String(fast.body['access_token'])
    const key = gw.keyring.current()
    const { payload } = await jwtVerify(token, key.publicKey, {
      issuer: gw.config.issuer,
      audience: gw.config.issuer,
      typ: 'at+jwt',
      algorithms: ['ES256'],
    })
    assert.equal(payload['client_id'], 'my-app-id')
    assert.equal(
      (
        await gw.post(
          '/device-roaming-status/v1/retrieve',
          { device: { phoneNumber: '+34600000002' } },
          token,
        )
      ).status,
      200,
    )
    const provider = await viaProvider(gw, plain(`${FRAUD} device-roaming-status:read`))
    for (const path of ['/oauth2/introspect', '/oauth2/revoke']) {
      const answers = []
      for (const t of [token, String(provider.body['access_token'])]) {
        const res = await fetch(gw.url + path, {
          method: 'POST',
          headers: {
            'content-type': 'application/x-www-form-urlencoded',
            authorization: `Basic ${Buffer.from('my-app-id:my-app-secret').toString('base64')}`,
          },
          body: new URLSearchParams({ token: t }).toString(),
        })
        answers.push({ status: res.status, body: await res.text() })
      }
      assert.deepEqual(answers[0], answers[1], path)
    }
  })

  it('refuses a rotated or deleted app’s old secret at once, though it was served here before', async () => {
    const created = await createApp(gw, 'rotated')
    const id: string = created.body.clientId
    const old = plain(`${FRAUD} device-roaming-status:read`)
    old.basic = [id, created.body.clientSecret]
    assert.equal((await send(gw, old)).status, 200)
    const served = await send(gw, old)
    assert.equal(served.status, 200)
    assert.equal(served.provider, false)
    const rotated = await gw.admin('POST', `/admin/v1/apps/${id}/secret`)
    assert.equal(rotated.status, 200, JSON.stringify(rotated.body))
    const refused = await send(gw, old)
    assert.equal(refused.status, 401)
    assert.equal(refused.body['error'], 'invalid_client')
    assert.equal(refused.provider, true)
    const fresh = { ...old, basic: [id, rotated.body.clientSecret] as [string, string] }
    assert.equal((await send(gw, fresh)).status, 200)
    assert.equal((await send(gw, fresh)).provider, false)
    assert.equal((await gw.admin('DELETE', `/admin/v1/apps/${id}`)).status, 204)
    const deleted = await send(gw, fresh)
    assert.equal(deleted.status, 401)
    assert.equal(deleted.body['error'], 'invalid_client')
  })

  it('answers every bad or unusual request as the provider does', async () => {
    const roaming = await createApp(gw, 'roaming by client credentials', {
      purposes: [FRAUD, MARKETING],
    })
    const cibaOnly = await createApp(gw, 'ciba only', {
      grantTypes: ['urn:openid:params:grant-type:ciba'],
    })
    const strict = await createApp(gw, 'strict with a secret', {
      tokenEndpointAuthMethod: 'client_secret_basic',
      mode: 'strict',
    })
    const post = await createApp(gw, 'client_secret_post', {
      tokenEndpointAuthMethod: 'client_secret_post',
    })
    const creds = (app: typeof roaming): [string, string] => [
      app.body.clientId,
      app.body.clientSecret,
    ]
    const scope = `${FRAUD} device-roaming-status:read`
    const cc = { grant_type: 'client_credentials', scope }
    // Each app's secret is verified once first, so the fast path would take each row it can.
    for (const app of [roaming, cibaOnly, strict, post])
      await send(gw, { params: cc, basic: creds(app) })

    // [label, request, whether the fast path answers it (else the provider, or a refusal before both)]
    const rows: [string, Request, boolean?][] = [
      ['unknown client', { params: cc, basic: ['no-such-app', 'x'] }],
      ['wrong secret', { params: cc, basic: ['my-app-id', 'not-the-secret'] }],
      ['no scope', { params: { grant_type: 'client_credentials' }, basic: DEMO }],
      ['no purpose', { params: { ...cc, scope: 'device-roaming-status:read' }, basic: DEMO }],
      [
        'two purposes',
        {
          params: { ...cc, scope: `${FRAUD} ${MARKETING} device-roaming-status:read` },
          basic: DEMO,
        },
      ],
      ['unknown purpose', { params: { ...cc, scope: 'dpv:Astrology' }, basic: DEMO }],
      [
        'purpose that needs consent',
        {
          params: { ...cc, scope: `${MARKETING} device-roaming-status:read` },
          basic: creds(roaming),
        },
      ],
      [
        'API scope the app may not use',
        { params: { ...cc, scope: `${FRAUD} sim-swap:check` }, basic: creds(roaming) },
      ],
      ['scope syntax', { params: { ...cc, scope: `${FRAUD} "quoted"` }, basic: DEMO }],
      ['openid', { params: { ...cc, scope: `openid ${scope}` }, basic: DEMO }],
      ['grant the app may not use', { params: cc, basic: creds(cibaOnly) }],
      ['a secret from a strict-mode app', { params: cc, basic: creds(strict) }],
      // oidc-provider takes Basic credentials from an app registered for client_secret_post.
      ['Basic for a client_secret_post app', { params: cc, basic: creds(post) }, true],
      [
        'client_secret_post',
        { params: { ...cc, client_id: post.body.clientId, client_secret: post.body.clientSecret } },
      ],
      [
        'Basic and client_secret',
        { params: { ...cc, client_secret: 'my-app-secret' }, basic: DEMO },
      ],
      ['client_id mismatch', { params: { ...cc, client_id: 'another-app' }, basic: DEMO }],
      ['client_id repeated', { params: { ...cc, client_id: 'my-app-id' }, basic: DEMO }],
      ['other parameter', { params: { ...cc, audience: 'x' }, basic: DEMO }],
      ['purpose parameter', { params: { ...cc, purpose: FRAUD }, basic: DEMO }],
      ['Bearer scheme', { params: cc, basic: 'Bearer abc' }],
      ['Basic without a colon', { params: cc, basic: `Basic ${btoa('my-app-id')}` }],
      ['Basic not base64', { params: cc, basic: 'Basic ***' }],
      ['Basic, empty secret', { params: cc, basic: `Basic ${btoa('my-app-id:')}` }],
      ['Basic, two spaces', { params: cc, basic: `Basic  ${btoa('my-app-id:my-app-secret')}` }],
      ['Basic, bad escape', { params: cc, basic: `Basic ${btoa('my-app-id:%E0%A4%A')}` }],
      ['no credentials', { params: cc }],
      ['DPoP header', { params: cc, basic: DEMO, headers: { dpop: 'not-a-jwt' } }],
      ['Origin', { params: cc, basic: DEMO, headers: { origin: 'https://elsewhere.example' } }],
      [
        'JSON body',
        {
          params: cc,
          basic: DEMO,
          raw: { body: JSON.stringify(cc), contentType: 'application/json' },
        },
      ],
      [
        'repeated scope parameter',
        {
          params: cc,
          basic: DEMO,
          raw: {
            body: `${new URLSearchParams(cc).toString()}&scope=x`,
            contentType: 'application/x-www-form-urlencoded',
          },
        },
      ],
    ]
    for (const [label, request, answeredHere = false] of rows) {
      const sent = await send(gw, request)
      const provider = await viaProvider(gw, request)
      if (request.raw === undefined) assertSameAnswer(sent, provider, label)
      else {
        assert.equal(sent.status, provider.status, label)
        assert.deepEqual(sent.body, provider.body, label)
      }
      if (answeredHere) {
        assert.equal(sent.provider, false, `${label}: answered in front of the provider`)
        assert.equal(provider.provider, true, label)
      } else {
        // Left to the provider, or refused in front of both paths (the Basic header's form, the
        // body's): then neither request reached the provider.
        assert.equal(sent.provider, provider.provider, label)
      }
    }
  })
})

describe('client credentials in front of the provider: the app rate limit, the access log', () => {
  let gw: TestGateway
  const time = manualClock()
  const { stream, lines } = logLines()
  before(async () => {
    countHandOvers()
    gw = await startTestGateway(
      { OAUTH_RATE_LIMIT_PER_SECOND: '1' },
      { clock: time.clock, logger: { level: 'debug', stream } },
    )
  })
  after(async () => {
    restoreHandOvers()
    await gw.close()
  })

  it('counts its requests against the app’s OAuth rate limit and refuses as the provider does', async () => {
    const request: Request = {
      params: { grant_type: 'client_credentials', scope: `${FRAUD} device-roaming-status:read` },
      basic: ['my-app-id', 'my-app-secret'],
    }
    const first = await send(gw, request)
    assert.equal(first.status, 200)
    assert.equal(first.provider, true)
    // The clock stands still: the app's one request a second is spent.
    const fast = await send(gw, request)
    assert.equal(fast.provider, false, 'answered in front of the provider')
    const provider = await viaProvider(gw, request)
    assert.equal(provider.provider, true)
    assert.equal(fast.status, 429)
    assertSameAnswer(fast, provider, 'rate limited')
    assert.equal(fast.headers['retry-after'], '1')
    time.advance(1_000)
    const again = await send(gw, request)
    assert.equal(again.status, 200)
    assert.equal(again.provider, false)
  })

  it('logs its requests as the provider path’s: one access line, with the correlator', async () => {
    time.advance(5_000)
    const request = (correlator: string): Request => ({
      params: { grant_type: 'client_credentials', scope: `${FRAUD} device-roaming-status:read` },
      basic: ['my-app-id', 'my-app-secret'],
      headers: { 'x-correlator': correlator },
    })
    const fast = await send(gw, request('cc-fast'))
    assert.equal(fast.provider, false)
    time.advance(5_000)
    const provider = await viaProvider(gw, request('cc-provider'))
    assert.equal(provider.provider, true)
    const access = (correlator: string) => {
      const found = lines.filter((l) => l['correlator'] === correlator && l['msg'] === 'request')
      assert.equal(found.length, 1, correlator)
      const [line] = found
      return [line?.['method'], line?.['status'], line?.['level']]
    }
    assert.deepEqual(access('cc-fast'), ['POST', 200, access('cc-provider')[2]])
    assert.deepEqual(access('cc-provider'), ['POST', 200, access('cc-fast')[2]])
  })
})

describe('client credentials in front of the provider: private_key_jwt', () => {
  let gw: TestGateway
  let privateKey: CryptoKey
  let otherKey: CryptoKey
  let otherPublic: CryptoKey
  let clientId: string
  const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer'
  const scope = `${FRAUD} device-roaming-status:read`
  before(async () => {
    countHandOvers()
    gw = await startTestGateway()
    const pair = await generateKeyPair('ES256', { extractable: true })
    privateKey = pair.privateKey
    const other = await generateKeyPair('ES256', { extractable: true })
    otherKey = other.privateKey
    otherPublic = other.publicKey
    const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' }
    const created = await createApp(gw, 'production-like app', {
      jwks: { keys: [jwk] },
      mode: 'strict',
    })
    clientId = created.body.clientId
  })
  after(async () => {
    restoreHandOvers()
    await gw.close()
  })

  interface Claims {
    iss?: string
    sub?: string
    aud?: string | string[]
    iat?: number
    exp?: number
    nbf?: number
    jti?: string | null
    key?: CryptoKey
    kid?: string
    alg?: string
  }
  /** A client assertion (a fresh jti each time unless given). */
  const assertion = (claims: Claims = {}) => {
    const now = Math.floor(Date.now() / 1000)
    const jwt = new SignJWT(claims.nbf === undefined ? {} : { nbf: claims.nbf })
      .setProtectedHeader({ alg: claims.alg ?? 'ES256', kid: claims.kid ?? 'k1' })
      .setIssuer(claims.iss ?? clientId)
      .setSubject(claims.sub ?? clientId)
      .setAudience(claims.aud ?? `${gw.config.issuer}/oauth2/token`)
      .setIssuedAt(claims.iat ?? now)
      .setExpirationTime(claims.exp ?? now + 60)
    if (claims.jti !== null) jwt.setJti(claims.jti ?? randomUUID())
    return jwt.sign(claims.key ?? privateKey)
  }
  const request = async (
    claims: Claims = {},
    params: Record<string, string> = {},
  ): Promise<Request> => ({
    params: {
      grant_type: 'client_credentials',
      scope,
      client_assertion_type: ASSERTION_TYPE,
      client_assertion: await assertion(claims),
      ...params,
    },
  })

  it('issues the provider’s token and response, recording the assertion against replay as the provider does', async () => {
    const fast = await send(gw, await request())
    assert.equal(fast.status, 200, JSON.stringify(fast.body))
    assert.equal(fast.provider, false, 'answered in front of the provider')
    const provider = await viaProvider(gw, await request())
    assert.equal(provider.provider, true)
    assertSameAnswer(fast, provider, 'private_key_jwt')
    const withClientId = await send(gw, await request({}, { client_id: clientId }))
    assert.equal(withClientId.provider, false)
    assertSameAnswer(withClientId, provider, 'private_key_jwt with client_id')

    // An assertion used on either path is refused on both, by the provider.
    const used = await request()
    assert.equal((await send(gw, used)).provider, false)
    const again = await send(gw, used)
    const againProvider = await viaProvider(gw, used)
    assert.equal(again.provider, true)
    assert.equal(again.status, 401)
    assertSameAnswer(again, againProvider, 'replayed on both paths')
    const usedByProvider = await request()
    assert.equal((await viaProvider(gw, usedByProvider)).status, 200)
    const replayed = await send(gw, usedByProvider)
    assert.equal(replayed.provider, true)
    assertSameAnswer(replayed, againProvider, 'used by the provider, replayed here')
  })

  it('uses an app’s new keys at once: an assertion signed with a removed key goes to the provider, which refuses it', async () => {
    const next = await generateKeyPair('ES256', { extractable: true })
    const jwk = { ...(await exportJWK(next.publicKey)), kid: 'k2', alg: 'ES256', use: 'sig' }
    const app = await createApp(gw, 'keys replaced', {
      jwks: { keys: [{ ...(await exportJWK(otherPublic)), kid: 'k1', alg: 'ES256', use: 'sig' }] },
      mode: 'strict',
    })
    const id: string = app.body.clientId
    const asApp = (key: CryptoKey, kid: string) => request({ iss: id, sub: id, key, kid })
    const before = await send(gw, await asApp(otherKey, 'k1'))
    assert.equal(before.status, 200, JSON.stringify(before.body))
    assert.equal(before.provider, false)
    const replaced = await gw.admin('PUT', `/admin/v1/apps/${id}`, {
      name: 'keys replaced',
      apis: ['device-roaming-status'],
      purposes: [FRAUD],
      grantTypes: ['client_credentials'],
      jwks: { keys: [jwk] },
      mode: 'strict',
    })
    assert.equal(replaced.status, 200, JSON.stringify(replaced.body))
    const old = await send(gw, await asApp(otherKey, 'k1'))
    assert.equal(old.status, 401)
    assert.equal(old.body['error'], 'invalid_client')
    assert.equal(old.provider, true)
    const fresh = await send(gw, await asApp(next.privateKey, 'k2'))
    assert.equal(fresh.status, 200, JSON.stringify(fresh.body))
    assert.equal(fresh.provider, false)
  })

  it('answers every bad assertion as the provider does', async () => {
    const now = Math.floor(Date.now() / 1000)
    const rows: [string, Claims, Record<string, string>?][] = [
      ['expired', { iat: now - 120, exp: now - 60 }],
      ['too long a life', { exp: now + 600 }],
      ['not yet valid', { nbf: now + 120 }],
      ['a life over 300 s from iat', { iat: now - 400, exp: now + 60 }],
      ['another audience', { aud: 'https://elsewhere.example/token' }],
      ['audience list without ours', { aud: ['https://a.example', 'https://b.example'] }],
      ['iss not the client', { iss: 'someone-else' }],
      ['unknown client', { iss: 'no-such-app', sub: 'no-such-app' }],
      ['no jti', { jti: null }],
      ['signed by another key', { key: otherKey }],
      ['client_id mismatch', {}, { client_id: 'another-app' }],
      ['wrong assertion type', {}, { client_assertion_type: 'urn:x' }],
      ['a secret as well', {}, { client_secret: 'x' }],
      ['no scope', {}, { scope: '' }],
      ['scope the app may not use', {}, { scope: `${FRAUD} sim-swap:check` }],
      ['vendor form in strict mode', {}, { scope: `${FRAUD}#device-status-roaming-read` }],
      ['other parameter', {}, { audience: 'x' }],
    ]
    for (const [label, claims, params] of rows) {
      const sent = await send(gw, await request(claims, params))
      const provider = await viaProvider(gw, await request(claims, params))
      assertSameAnswer(sent, provider, label)
      assert.equal(sent.provider, true, `${label}: left to the provider`)
      if (label !== 'other parameter') assert.notEqual(sent.status, 200, label)
    }
  })
})
