/**
 * Issue 13: client secret authentication at wire speed, secrets still hashed at rest. A verified
 * secret is remembered per instance against the stored hash it matched, so a rotated or deleted
 * app's old secret is refused at once on every instance; failed attempts are limited per source
 * address and per app (counted in the store, so across instances) before any scrypt runs; the
 * token and backchannel endpoints are rate limited per authenticated app.
 *
 * The instances here are two gateways on one store (SQLite folder, or with TEST_STORE=postgres one
 * PostgreSQL database), each with its own caches. Failure windows run on a hand-moved clock.
 */
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { mkdtempSync } from 'node:fs'
import { request } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { manualClock } from '../helpers/clock.js'
import { removeTestStore, startTestGateway, type TestGateway } from '../helpers/gateway.js'
import { FRAUD } from './helpers.js'

const ROAMING = 'device-roaming-status:read'
const CIBA = 'urn:openid:params:grant-type:ciba'
const CC = { grant_type: 'client_credentials', scope: `${FRAUD} ${ROAMING}` }
const BC = { scope: `openid ${FRAUD} ${ROAMING}`, login_hint: 'tel:+34600000002' }

interface Answer {
  status: number
  body: any
  retryAfter: string | undefined
}

/**
 * A form POST from a chosen loopback address (127.0.0.0/8 all reach the gateway on 127.0.0.1), so
 * that one test plays several sources. `basic` as HTTP Basic, or `post` as client_secret_post.
 */
function from(
  source: string,
  gw: TestGateway,
  path: string,
  params: Record<string, string>,
  credentials: { basic?: [string, string]; post?: [string, string] },
): Promise<Answer> {
  const form = new URLSearchParams(params)
  if (credentials.post !== undefined) {
    form.set('client_id', credentials.post[0])
    form.set('client_secret', credentials.post[1])
  }
  const body = form.toString()
  const headers: Record<string, string> = {
    'content-type': 'application/x-www-form-urlencoded',
    'content-length': String(Buffer.byteLength(body)),
  }
  if (credentials.basic !== undefined) {
    const [id, secret] = credentials.basic.map((v) => encodeURIComponent(v))
    headers['authorization'] = `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`
  }
  return new Promise((resolve, reject) => {
    const req = request(gw.url + path, { method: 'POST', headers, localAddress: source }, (res) => {
      let text = ''
      res.on('data', (chunk: Buffer) => (text += chunk.toString()))
      res.on('end', () => {
        const retryAfter = res.headers['retry-after']
        resolve({ status: res.statusCode ?? 0, body: JSON.parse(text), retryAfter })
      })
    })
    req.on('error', reject)
    req.end(body)
  })
}

const HOME = '127.0.0.1'

async function createApp(gw: TestGateway, grantTypes = ['client_credentials', CIBA]) {
  const clientId = `auth-${randomUUID()}`
  const created = await gw.admin('POST', '/admin/v1/apps', {
    clientId,
    name: 'client authentication',
    apis: ['device-roaming-status'],
    purposes: [FRAUD],
    grantTypes,
    mode: 'compatible',
  })
  assert.equal(created.status, 201, JSON.stringify(created.body))
  return [clientId, created.body.clientSecret as string] as [string, string]
}

function assertToken(answer: Answer, label: string): void {
  assert.equal(answer.status, 200, `${label}: ${JSON.stringify(answer.body)}`)
  assert.equal(typeof answer.body.access_token, 'string', label)
}

function assertInvalidClient(answer: Answer, label: string): void {
  assert.equal(answer.status, 401, `${label}: ${JSON.stringify(answer.body)}`)
  assert.equal(answer.body.error, 'invalid_client', label)
}

/** RFC 6749 §5.2 shape, 429 (RFC 6585) with a Retry-After of at most `window` seconds. */
function assertLimited(answer: Answer, error: string, window: number, label: string): void {
  assert.equal(answer.status, 429, `${label}: ${JSON.stringify(answer.body)}`)
  assert.equal(answer.body.error, error, label)
  assert.equal(typeof answer.body.error_description, 'string', label)
  const wait = Number(answer.retryAfter)
  assert.ok(Number.isInteger(wait) && wait >= 1 && wait <= window, `${label}: ${answer.retryAfter}`)
}

/** Two gateways on one store, on one hand-moved clock. */
async function twoInstances(env: Record<string, string>) {
  const time = manualClock(new Date())
  const dataDir = mkdtempSync(join(tmpdir(), 'ds-client-auth-'))
  const options = { dataDir, clock: time.clock }
  const a = await startTestGateway(env, options)
  const b = await startTestGateway(env, options)
  return {
    time,
    a,
    b,
    async close() {
      await b.close()
      await a.close()
      await removeTestStore(dataDir)
    },
  }
}

describe('client secret authentication (issue 13)', () => {
  describe('verification, rotation and deletion on two instances', () => {
    let cluster: Awaited<ReturnType<typeof twoInstances>>
    before(async () => {
      cluster = await twoInstances({ CLIENT_AUTH_FAILURES_PER_SOURCE: '1000' })
    })
    after(() => cluster.close())

    it('a correct secret works repeatedly, in Basic and in the form, on both instances', async () => {
      const creds = await createApp(cluster.a)
      for (let i = 0; i < 3; i++) {
        for (const gw of [cluster.a, cluster.b]) {
          assertToken(await from(HOME, gw, '/oauth2/token', CC, { basic: creds }), `basic ${i}`)
          assertToken(await from(HOME, gw, '/oauth2/token', CC, { post: creds }), `post ${i}`)
        }
      }
      const started = await from(HOME, cluster.b, '/oauth2/bc-authorize', BC, { basic: creds })
      assert.equal(started.status, 200, JSON.stringify(started.body))
    })

    it('refuses every class of wrong secret with 401 invalid_client, before and after a success', async () => {
      const creds = await createApp(cluster.a)
      const [id, secret] = creds
      const other = await createApp(cluster.a)
      const wrong: [string, string][] = [
        ['another secret', 'x'.repeat(secret.length)],
        ['one character more', `${secret}x`],
        ['one character less', secret.slice(0, -1)],
        ['upper-cased', secret.toUpperCase()],
        ['another app’s secret', other[1]],
        ['the demo secret', 'my-app-secret'],
        ['a very long secret', secret.repeat(200)],
        ['a space inside', `${secret.slice(0, 10)} ${secret.slice(11)}`],
        ['the client id as secret', id],
      ]
      for (const round of ['cold', 'after a success']) {
        for (const gw of [cluster.a, cluster.b]) {
          for (const [label, value] of wrong) {
            const basic = await from(HOME, gw, '/oauth2/token', CC, { basic: [id, value] })
            assertInvalidClient(basic, `${round}, basic: ${label}`)
            const post = await from(HOME, gw, '/oauth2/token', CC, { post: [id, value] })
            assertInvalidClient(post, `${round}, post: ${label}`)
          }
          // Another app's id with this app's (right) secret.
          assertInvalidClient(
            await from(HOME, gw, '/oauth2/token', CC, { basic: [other[0], secret] }),
            `${round}: another app's id`,
          )
          assertToken(await from(HOME, gw, '/oauth2/token', CC, { basic: creds }), round)
        }
      }
    })

    it("a rotated app's old secret is refused at once on both instances; the new one works on both", async () => {
      const [id, old] = await createApp(cluster.a)
      for (const gw of [cluster.a, cluster.b])
        assertToken(await from(HOME, gw, '/oauth2/token', CC, { basic: [id, old] }), 'old, before')
      const rotated = await cluster.a.admin('POST', `/admin/v1/apps/${id}/secret`)
      assert.equal(rotated.status, 200, JSON.stringify(rotated.body))
      const fresh = rotated.body.clientSecret as string
      for (const [name, gw] of [
        ['rotating instance', cluster.a],
        ['other instance', cluster.b],
      ] as const) {
        assertInvalidClient(
          await from(HOME, gw, '/oauth2/token', CC, { basic: [id, old] }),
          `${name}: old secret`,
        )
        assertInvalidClient(
          await from(HOME, gw, '/oauth2/bc-authorize', BC, { basic: [id, old] }),
          `${name}: old secret at bc-authorize`,
        )
        assertToken(
          await from(HOME, gw, '/oauth2/token', CC, { basic: [id, fresh] }),
          `${name}: new secret`,
        )
      }
    })

    it("a deleted app's secret is refused at once on both instances", async () => {
      const [id, secret] = await createApp(cluster.a)
      for (const gw of [cluster.a, cluster.b])
        assertToken(await from(HOME, gw, '/oauth2/token', CC, { basic: [id, secret] }), 'before')
      assert.equal((await cluster.b.admin('DELETE', `/admin/v1/apps/${id}`)).status, 204)
      for (const gw of [cluster.a, cluster.b]) {
        assertInvalidClient(
          await from(HOME, gw, '/oauth2/token', CC, { basic: [id, secret] }),
          'after deletion',
        )
      }
      // Created again under the same client id: only its new secret authenticates.
      const again = await cluster.b.admin('POST', '/admin/v1/apps', {
        clientId: id,
        name: 'again',
        apis: ['device-roaming-status'],
        purposes: [FRAUD],
        grantTypes: ['client_credentials'],
        mode: 'compatible',
      })
      assert.equal(again.status, 201)
      for (const gw of [cluster.a, cluster.b]) {
        assertInvalidClient(
          await from(HOME, gw, '/oauth2/token', CC, { basic: [id, secret] }),
          'the deleted app’s secret, app created again',
        )
        assertToken(
          await from(HOME, gw, '/oauth2/token', CC, {
            basic: [id, again.body.clientSecret as string],
          }),
          'new app',
        )
      }
    })
  })

  describe('failure limit per source address', () => {
    const WINDOW = 60
    let cluster: Awaited<ReturnType<typeof twoInstances>>
    before(async () => {
      cluster = await twoInstances({
        CLIENT_AUTH_FAILURES_PER_SOURCE: '3',
        CLIENT_AUTH_FAILURES_PER_CLIENT: '1000',
        CLIENT_AUTH_FAILURE_WINDOW: String(WINDOW),
        // Held answers to a source over its limit, briefly here (the default is a second).
        CLIENT_AUTH_REFUSAL_DELAY_MS: '100',
      })
    })
    after(() => cluster.close())

    it('an app whose workers start together, more of them than the limit, is not taken for an attacker', async () => {
      const creds = await createApp(cluster.a)
      for (const gw of [cluster.a, cluster.b]) {
        const answers = await Promise.all(
          Array.from({ length: 16 }, () =>
            from('127.0.0.9', gw, '/oauth2/token', CC, { basic: creds }),
          ),
        )
        answers.forEach((answer, i) => assertToken(answer, `worker ${i}`))
      }
    })

    it('the same wrong secret sent concurrently counts once per request', async () => {
      const [id, secret] = await createApp(cluster.a)
      const answers = await Promise.all(
        Array.from({ length: 8 }, () =>
          from('127.0.0.10', cluster.a, '/oauth2/token', CC, { basic: [id, 'same-guess'] }),
        ),
      )
      for (const answer of answers)
        assert.ok([401, 429].includes(answer.status), JSON.stringify(answer.body))
      assertLimited(
        await from('127.0.0.10', cluster.b, '/oauth2/token', CC, { basic: [id, secret] }),
        'invalid_client',
        WINDOW,
        'after eight failures',
      )
    })

    it('over the limit a source gets 429 invalid_client with Retry-After on every instance; the real client elsewhere keeps getting tokens', async () => {
      const creds = await createApp(cluster.a)
      const [id] = creds
      const attacker = '127.0.0.2'
      const client = '127.0.0.3'
      // Three failures, spread over both instances, use up the attacker's allowance.
      const failures: [
        TestGateway,
        Record<string, string>,
        { basic?: [string, string]; post?: [string, string] },
      ][] = [
        [cluster.a, CC, { basic: [id, 'wrong-1'] }],
        [cluster.b, CC, { post: [id, 'wrong-2'] }],
        [cluster.a, CC, { basic: [id, 'wrong-3'] }],
      ]
      for (const [gw, params, credentials] of failures)
        assertInvalidClient(
          await from(attacker, gw, '/oauth2/token', params, credentials),
          'failure',
        )
      const refused: [string, TestGateway, string, Record<string, string>, [string, string]][] = [
        ['another wrong secret, instance A', cluster.a, '/oauth2/token', CC, [id, 'wrong-4']],
        ['another wrong secret, instance B', cluster.b, '/oauth2/token', CC, [id, 'wrong-5']],
        ['the right secret (no guessing past the limit)', cluster.b, '/oauth2/token', CC, creds],
        ['the right secret at bc-authorize', cluster.a, '/oauth2/bc-authorize', BC, creds],
        ['an unknown client', cluster.a, '/oauth2/token', CC, ['nobody', 'x']],
      ]
      for (const [label, gw, path, params, basic] of refused)
        assertLimited(
          await from(attacker, gw, path, params, { basic }),
          'invalid_client',
          WINDOW,
          label,
        )
      // The real client, from its own address, on both instances.
      for (const gw of [cluster.a, cluster.b]) {
        assertToken(await from(client, gw, '/oauth2/token', CC, { basic: creds }), 'real client')
        const started = await from(client, gw, '/oauth2/bc-authorize', BC, { basic: creds })
        assert.equal(started.status, 200, JSON.stringify(started.body))
      }
      // The window ends: the source may authenticate again (and fail again, up to the limit).
      cluster.time.advance(WINDOW * 1000)
      for (const gw of [cluster.a, cluster.b])
        assertToken(await from(attacker, gw, '/oauth2/token', CC, { basic: creds }), 'next window')
    })
  })

  describe('failure limit per app', () => {
    const WINDOW = 60
    let cluster: Awaited<ReturnType<typeof twoInstances>>
    before(async () => {
      cluster = await twoInstances({
        CLIENT_AUTH_FAILURES_PER_SOURCE: '1000',
        CLIENT_AUTH_FAILURES_PER_CLIENT: '3',
        CLIENT_AUTH_FAILURE_WINDOW: String(WINDOW),
      })
    })
    after(() => cluster.close())

    it('over the limit no new verification runs (429 invalid_client); the real client keeps its verified secret; other apps are untouched', async () => {
      const creds = await createApp(cluster.a)
      const [id] = creds
      const bystander = await createApp(cluster.a)
      // The real client authenticates on instance A first.
      assertToken(await from(HOME, cluster.a, '/oauth2/token', CC, { basic: creds }), 'before')
      // Three sources fail once each, on both instances: the app's allowance is used up.
      const sources = ['127.0.0.4', '127.0.0.5', '127.0.0.6']
      for (const [i, source] of sources.entries()) {
        const gw = i % 2 === 0 ? cluster.a : cluster.b
        assertInvalidClient(
          await from(source, gw, '/oauth2/token', CC, { basic: [id, `wrong-${i}`] }),
          source,
        )
      }
      for (const [label, gw, basic] of [
        ['a fourth source, instance A', cluster.a, [id, 'wrong-x']],
        ['a fourth source, instance B', cluster.b, [id, 'wrong-y']],
        // Instance B never verified the secret: it runs no scrypt for it until the window ends.
        ['the right secret where it was never verified', cluster.b, creds],
      ] as [string, TestGateway, [string, string]][])
        assertLimited(
          await from('127.0.0.7', gw, '/oauth2/token', CC, { basic }),
          'invalid_client',
          WINDOW,
          label,
        )
      // Where it was verified, the real client goes on, from its address or another.
      for (const source of [HOME, '127.0.0.8'])
        assertToken(await from(source, cluster.a, '/oauth2/token', CC, { basic: creds }), source)
      for (const gw of [cluster.a, cluster.b])
        assertToken(await from(HOME, gw, '/oauth2/token', CC, { basic: bystander }), 'other app')
      cluster.time.advance(WINDOW * 1000)
      assertToken(await from(HOME, cluster.b, '/oauth2/token', CC, { basic: creds }), 'next window')
    })
  })

  describe('rate limit of the OAuth endpoints per app', () => {
    let gw: TestGateway
    const time = manualClock(new Date())
    before(async () => {
      gw = await startTestGateway(
        { OAUTH_RATE_LIMIT_PER_SECOND: '2', CLIENT_AUTH_FAILURES_PER_SOURCE: '1000' },
        { clock: time.clock },
      )
    })
    after(() => gw.close())

    it('beyond the allowance: 429 temporarily_unavailable with Retry-After, at token and bc-authorize; failed authentications spend none of it', async () => {
      const creds = await createApp(gw)
      const [id] = creds
      const other = await createApp(gw)
      for (let i = 0; i < 5; i++)
        assertInvalidClient(
          await from(HOME, gw, '/oauth2/token', CC, { basic: [id, `wrong-${i}`] }),
          'unauthenticated',
        )
      assertToken(await from(HOME, gw, '/oauth2/token', CC, { basic: creds }), 'first')
      const started = await from(HOME, gw, '/oauth2/bc-authorize', BC, { basic: creds })
      assert.equal(started.status, 200, JSON.stringify(started.body))
      const cases: [string, string, Record<string, string>][] = [
        ['token', '/oauth2/token', CC],
        ['bc-authorize', '/oauth2/bc-authorize', BC],
        ['CIBA poll', '/oauth2/token', { grant_type: CIBA, auth_req_id: started.body.auth_req_id }],
      ]
      for (const [label, path, params] of cases)
        assertLimited(
          await from(HOME, gw, path, params, { basic: creds }),
          'temporarily_unavailable',
          1,
          label,
        )
      // A wrong secret is still invalid_client (401): the limit applies to the authenticated app.
      assertInvalidClient(
        await from(HOME, gw, '/oauth2/token', CC, { basic: [id, 'wrong'] }),
        'wrong secret',
      )
      assertToken(await from(HOME, gw, '/oauth2/token', CC, { basic: other }), 'another app')
      time.advance(1000)
      assertToken(await from(HOME, gw, '/oauth2/token', CC, { basic: creds }), 'next second')
    })
  })
})
