import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { decodeJwt, decodeProtectedHeader } from 'jose'
import { removeTestStore, startTestGateway, type TestGateway } from '../helpers/gateway.js'
import { dropDatabase, ensureDatabase, postgresReachable } from '../helpers/test-store.js'
import { DEMO, FRAUD, MARKETING, form } from './helpers.js'

// The common case of CIBA is answered in front of oidc-provider (src/auth/ciba-fast-path.ts);
// everything else goes to the provider. These tests hold the two paths to one behaviour.

const ROAMING = 'device-roaming-status:read'
const CIBA = 'urn:openid:params:grant-type:ciba'
const REQUEST_MODEL = 'BackchannelAuthenticationRequest'

type Answer = Awaited<ReturnType<typeof form>>

/**
 * Whether the gateway answered in front of the provider: fastify's hooks add `x-correlator` to
 * what the gateway itself sends; the provider's answers, sent past fastify, carry none.
 */
const answeredInFront = (res: Answer) => res.headers.get('x-correlator') !== null

/** The headers that describe the answer (not the connection, the date, the length, the correlator). */
function answerHeaders(res: Answer): Record<string, string> {
  const skip = new Set(['x-correlator', 'date', 'content-length', 'connection', 'keep-alive'])
  const out: Record<string, string> = {}
  res.headers.forEach((value, name) => {
    if (!skip.has(name)) out[name] = value
  })
  return out
}

/** A JWT's header and claims with the values that differ per token replaced by their kind. */
function shapeOf(jwt: string): { header: unknown; claims: Record<string, unknown> } {
  const claims = decodeJwt(jwt)
  const lifetime = Number(claims.exp) - Number(claims.iat)
  const { jti, iat: _iat, exp: _exp, ...rest } = claims
  return {
    header: decodeProtectedHeader(jwt),
    claims: { ...rest, lifetime, ...(jti === undefined ? {} : { jti: typeof jti }) },
  }
}

function start(gw: TestGateway, params: Record<string, string> = {}, creds = DEMO) {
  return form(
    gw,
    '/oauth2/bc-authorize',
    { login_hint: 'tel:+34600000002', scope: `openid ${FRAUD} ${ROAMING}`, ...params },
    creds,
  )
}

function poll(
  gw: TestGateway,
  authReqId: string,
  creds = DEMO,
  headers: Record<string, string> = {},
) {
  const basic = `Basic ${Buffer.from(`${creds[0]}:${creds[1]}`).toString('base64')}`
  return fetch(gw.url + '/oauth2/token', {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: basic,
      ...headers,
    },
    body: new URLSearchParams({ grant_type: CIBA, auth_req_id: authReqId }).toString(),
  }).then(async (r) => ({ status: r.status, body: await r.json(), headers: r.headers }))
}

/** The stored CIBA request and its grant, with the values that differ per request replaced. */
async function storedShape(gw: TestGateway, authReqId: string) {
  const { row, grant } = await gw.store.oidcModels.findWithGrant(REQUEST_MODEL, authReqId)
  assert.ok(row !== undefined && grant !== undefined, 'the request and its grant are stored')
  const request = JSON.parse(row.payload) as Record<string, unknown>
  const granted = JSON.parse(grant.payload) as Record<string, unknown>
  const pending = await gw.store.pendingAuthorizations.byId(authReqId)
  assert.ok(pending !== undefined, 'the console lists the request')
  return {
    request: {
      ...request,
      iat: 'n',
      exp: Number(request['exp']) - Number(request['iat']),
      jti: request['jti'] === authReqId,
      grantId: request['grantId'] === grant.id,
    },
    row: {
      expiresIn: Number(row.expires_at) - Number(request['iat']),
      grant: row.grant_id === grant.id,
    },
    grant: {
      ...granted,
      iat: 'n',
      exp: Number(granted['exp']) - Number(granted['iat']),
      jti: granted['jti'] === grant.id,
    },
    pending: {
      ...pending,
      auth_req_id: pending.auth_req_id === authReqId,
      created_at: 'n',
      expires_at: Date.parse(pending.expires_at) - Date.parse(pending.created_at),
    },
  }
}

describe('CIBA answered in front of oidc-provider (the common case)', () => {
  it('answers as the provider does: bodies, headers, stored request and grant, token headers and claims', async () => {
    // A fresh instance has verified no secret: its first bc-authorize is the provider's; so is
    // the first poll on another fresh instance of the same deployment (store and issuer). The
    // second flow on that instance is answered in front.
    const dataDir = mkdtempSync(join(tmpdir(), 'ds-ciba-fast-'))
    const env = { ISSUER: 'http://ciba-fast-path.test' }
    type Flow = { started: Answer; polled: Answer; stored: unknown }
    const flows: Flow[] = []
    const first = await startTestGateway(env, { dataDir, keepData: true })
    const startedFirst = await start(first)
    const storedFirst = await storedShape(first, startedFirst.body.auth_req_id)
    await first.close()
    const gw = await startTestGateway(env, { dataDir })
    try {
      await new Promise((r) => setTimeout(r, startedFirst.body.interval * 1000))
      const polledFirst = await poll(gw, startedFirst.body.auth_req_id)
      flows.push({ started: startedFirst, polled: polledFirst, stored: storedFirst })
      const started = await start(gw)
      assert.equal(started.status, 200, JSON.stringify(started.body))
      const stored = await storedShape(gw, started.body.auth_req_id)
      await new Promise((r) => setTimeout(r, started.body.interval * 1000))
      flows.push({ started, polled: await poll(gw, started.body.auth_req_id), stored })
      await compare(gw, flows)
    } finally {
      await gw.close()
      await removeTestStore(dataDir)
    }
  })
})

async function compare(
  gw: TestGateway,
  flows: { started: Answer; polled: Answer; stored: unknown }[],
) {
  for (const f of flows) assert.equal(f.polled.status, 200, JSON.stringify(f.polled.body))
  const [provider, front] = flows as [(typeof flows)[0], (typeof flows)[0]]
  assert.equal(answeredInFront(provider.started), false)
  assert.equal(answeredInFront(provider.polled), false)
  assert.equal(answeredInFront(front.started), true, 'bc-authorize answered in front')
  assert.equal(answeredInFront(front.polled), true, 'the token poll answered in front')

  assert.deepEqual(Object.keys(front.started.body), Object.keys(provider.started.body))
  assert.equal(front.started.body.expires_in, provider.started.body.expires_in)
  assert.equal(front.started.body.interval, provider.started.body.interval)
  assert.match(front.started.body.auth_req_id, /^[\w-]{43}$/)
  assert.deepEqual(answerHeaders(front.started), answerHeaders(provider.started))
  assert.deepEqual(front.stored, provider.stored)

  const { access_token: at, id_token: idt, ...rest } = front.polled.body
  const { access_token: pat, id_token: pidt, ...providerRest } = provider.polled.body
  assert.deepEqual(Object.keys(front.polled.body), Object.keys(provider.polled.body))
  assert.deepEqual(rest, providerRest)
  assert.deepEqual(answerHeaders(front.polled), answerHeaders(provider.polled))
  const accessShape = shapeOf(at)
  assert.deepEqual(
    { ...accessShape, claims: Object.keys(accessShape.claims).sort() },
    { ...shapeOf(pat), claims: Object.keys(shapeOf(pat).claims).sort() },
  )
  for (const claim of ['iss', 'aud', 'sub', 'client_id', 'scope', 'lifetime'])
    assert.deepEqual(accessShape.claims[claim], shapeOf(pat).claims[claim], claim)
  assert.deepEqual(shapeOf(idt), shapeOf(pidt))

  // The token reads the subscriber's device, as the provider's does.
  const res = await gw.post('/device-roaming-status/v1/retrieve', {}, at)
  assert.equal(res.status, 200)
  assert.equal(res.body.countryCode, 262)
}

describe('CIBA answered in front of oidc-provider: refusals and single use', () => {
  let gw: TestGateway
  before(async () => {
    gw = await startTestGateway()
  })
  after(() => gw.close())

  it('an auth_req_id is used once: a second poll of a request answered in front → invalid_grant', async () => {
    const started = await start(gw)
    const id = started.body.auth_req_id as string
    await new Promise((r) => setTimeout(r, 1000))
    const first = await poll(gw, id)
    assert.equal(first.status, 200)
    assert.equal(answeredInFront(first), true)
    const again = await poll(gw, id)
    assert.equal(again.status, 400)
    assert.equal(again.body.error, 'invalid_grant')
  })

  it('concurrent polls of one request: exactly one gets tokens', async () => {
    const started = await start(gw)
    const id = started.body.auth_req_id as string
    await new Promise((r) => setTimeout(r, 1000))
    const answers = await Promise.all(Array.from({ length: 8 }, () => poll(gw, id)))
    assert.deepEqual(answers.map((a) => a.status).sort(), [200, 400, 400, 400, 400, 400, 400, 400])
    for (const a of answers.filter((x) => x.status === 400))
      assert.equal(a.body.error, 'invalid_grant')
  })

  it('anything but the common case is the provider’s to answer, as before', async () => {
    const other = await gw.admin('POST', '/admin/v1/apps', {
      name: 'another CIBA app',
      apis: ['device-roaming-status'],
      purposes: [FRAUD],
      grantTypes: [CIBA],
      mode: 'compatible',
    })
    const otherCreds: [string, string] = [other.body.clientId, other.body.clientSecret]
    // Warm: this instance has verified both secrets.
    assert.equal((await start(gw)).status, 200)
    assert.equal((await start(gw, {}, otherCreds)).status, 200)

    const approved = async () => {
      const started = await start(gw)
      assert.equal(answeredInFront(started), true)
      await new Promise((r) => setTimeout(r, 1000))
      return started.body.auth_req_id as string
    }
    const cases: {
      name: string
      send: () => Promise<Answer>
      status: number
      error?: string
    }[] = [
      {
        name: 'bc-authorize from a browser origin (CORS)',
        send: () =>
          fetch(gw.url + '/oauth2/bc-authorize', {
            method: 'POST',
            headers: {
              'content-type': 'application/x-www-form-urlencoded',
              origin: 'https://app.example',
              authorization: `Basic ${Buffer.from(DEMO.join(':')).toString('base64')}`,
            },
            body: new URLSearchParams({
              login_hint: 'tel:+34600000002',
              scope: `openid ${FRAUD} ${ROAMING}`,
            }).toString(),
          }).then(async (r) => ({ status: r.status, body: await r.json(), headers: r.headers })),
        status: 200,
      },
      {
        name: 'bc-authorize with binding_message',
        send: () => start(gw, { binding_message: 'hi' }),
        status: 200,
      },
      {
        name: 'bc-authorize for an unknown subscriber',
        send: () => start(gw, { login_hint: 'tel:+34699999999' }),
        status: 400,
        error: 'unknown_user_id',
      },
      {
        name: 'bc-authorize with a wrong secret',
        send: () => start(gw, {}, [DEMO[0], 'wrong']),
        status: 401,
        error: 'invalid_client',
      },
      {
        name: 'bc-authorize with a scope the app may not use',
        send: () => start(gw, { scope: `openid ${FRAUD} sim-swap:check` }, otherCreds),
        status: 400,
        error: 'invalid_scope',
      },
      {
        name: 'a purpose that needs consent (the request waits)',
        send: async () => {
          const started = await start(gw, {
            login_hint: 'tel:+34666666666',
            scope: `openid ${MARKETING} ${ROAMING}`,
          })
          assert.equal(started.status, 200)
          assert.equal(answeredInFront(started), false)
          return poll(gw, started.body.auth_req_id)
        },
        status: 400,
        error: 'authorization_pending',
      },
      {
        name: 'a poll with a DPoP header',
        send: async () => poll(gw, await approved(), DEMO, { dpop: 'not-a-proof' }),
        status: 400,
        error: 'invalid_dpop_proof',
      },
      {
        name: 'a poll of an unknown auth_req_id',
        send: () => poll(gw, 'no-such-request'),
        status: 400,
        error: 'invalid_grant',
      },
      {
        name: 'a poll of another app’s request',
        send: async () => poll(gw, await approved(), otherCreds),
        status: 400,
        error: 'invalid_grant',
      },
      {
        name: 'a poll with a wrong secret',
        send: async () => poll(gw, await approved(), [DEMO[0], 'wrong']),
        status: 401,
        error: 'invalid_client',
      },
      {
        name: 'a poll after the request expired',
        send: async () => {
          const id = await approved()
          const row = await gw.store.oidcModels.find(REQUEST_MODEL, id)
          assert.ok(row)
          const payload = JSON.parse(row.payload) as { exp: number }
          payload.exp = Math.floor(Date.now() / 1000) - 1
          await gw.store.oidcModels.upsert({ ...row, payload: JSON.stringify(payload) })
          return poll(gw, id)
        },
        status: 400,
        error: 'expired_token',
      },
      {
        name: 'a poll after the consent behind the grant was revoked (grant gone)',
        send: async () => {
          const id = await approved()
          const row = await gw.store.oidcModels.find(REQUEST_MODEL, id)
          assert.ok(row?.grant_id)
          await gw.store.oidcModels.revokeAllByGrantId(row.grant_id)
          return poll(gw, id)
        },
        status: 400,
        error: 'invalid_grant',
      },
    ]
    for (const c of cases) {
      const res = await c.send()
      assert.equal(res.status, c.status, `${c.name}: ${JSON.stringify(res.body)}`)
      if (c.error !== undefined) assert.equal(res.body.error, c.error, c.name)
      assert.equal(answeredInFront(res), false, `${c.name}: answered by the provider`)
    }
  })
})

const reachable = await postgresReachable()

describe(
  'CIBA across two gateways on one PostgreSQL store',
  { skip: reachable === true || process.env['CI'] === 'true' ? false : reachable },
  () => {
    const database = `ds_ciba_fast_${randomUUID().replaceAll('-', '').slice(0, 12)}`
    let a: TestGateway
    let b: TestGateway
    before(async () => {
      // One deployment: one store and one issuer (the audience of its tokens).
      const env = {
        DATABASE_URL: await ensureDatabase(database),
        ISSUER: 'http://ciba.cluster.test',
      }
      a = await startTestGateway(env)
      b = await startTestGateway(env)
      // Each instance verifies the demo secret once (through the provider).
      for (const gw of [a, b]) assert.equal((await start(gw)).status, 200)
    })
    after(async () => {
      await Promise.all([a?.close(), b?.close()])
      await dropDatabase(database)
    })

    it('bc-authorize on one instance, the poll on the other; the replay refused on the first', async () => {
      const started = await start(a)
      assert.equal(answeredInFront(started), true)
      await new Promise((r) => setTimeout(r, 1000))
      const polled = await poll(b, started.body.auth_req_id)
      assert.equal(polled.status, 200, JSON.stringify(polled.body))
      assert.equal(answeredInFront(polled), true)
      assert.equal(
        (await b.post('/device-roaming-status/v1/retrieve', {}, polled.body.access_token)).status,
        200,
      )
      const again = await poll(a, started.body.auth_req_id)
      assert.equal(again.body.error, 'invalid_grant')
    })

    it('polls of one request on both instances at once: exactly one gets tokens', async () => {
      const started = await start(b)
      await new Promise((r) => setTimeout(r, 1000))
      const answers = await Promise.all(
        [a, b, a, b].map((gw) => poll(gw, started.body.auth_req_id)),
      )
      assert.deepEqual(answers.map((x) => x.status).sort(), [200, 400, 400, 400])
    })

    it('a request the provider decided later (consent approved on the other instance) is answered', async () => {
      const started = await start(a, {
        login_hint: 'tel:+34666666666',
        scope: `openid ${MARKETING} ${ROAMING}`,
      })
      assert.equal(started.status, 200)
      const id = started.body.auth_req_id as string
      assert.equal((await poll(b, id)).body.error, 'authorization_pending')
      assert.equal((await b.admin('POST', `/admin/v1/authorizations/${id}/approve`)).status, 200)
      await new Promise((r) => setTimeout(r, 1000))
      const polled = await poll(a, id)
      assert.equal(polled.status, 200, JSON.stringify(polled.body))
      assert.equal(answeredInFront(polled), true, 'the provider-made grant is read in front')
    })
  },
)
