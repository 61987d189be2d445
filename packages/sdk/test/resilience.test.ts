import assert from 'node:assert/strict'
import { createServer } from 'node:net'
import { after, before, describe, it } from 'node:test'
import {
  ApiError,
  AuthError,
  ClientCredentials,
  DeviceStatus,
  DeviceStatusError,
  InvalidResponseError,
  NetworkError,
  SimSwap,
  TimeoutError,
  type RequestEvent,
} from '@device-status/sdk'
import {
  REDIRECT,
  demoCredentials,
  pathsOf,
  startStubServer,
  startTestGateway,
  type TestGateway,
} from './helpers.js'

const CORRELATOR = 'b4333c46-49c0-4f62-80d7-f0ef930f1c46'
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** `promise`, or a rejection when it is still pending after `ms` (a hang fails, not stalls, a test). */
function within<T>(ms: number, promise: Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const pending = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`still pending after ${ms} ms`)), ms)
  })
  return Promise.race([promise, pending]).finally(() => clearTimeout(timer))
}

/** A CAMARA 401 answer, as a gateway refusing a token sends it. */
const unauthenticated = () =>
  new Response(JSON.stringify({ status: 401, code: 'UNAUTHENTICATED', message: 'revoked' }), {
    status: 401,
    headers: { 'content-type': 'application/json' },
  })

const urlOf = (input: string | URL | Request) =>
  new URL(input instanceof Request ? input.url : input.toString())

describe('SDK errors, retries, timeouts and token renewal', () => {
  let gw: TestGateway
  before(async () => {
    gw = await startTestGateway({ CIBA_INTERVAL: '1' })
  })
  after(() => gw.close())

  it('ApiError: status, CAMARA code, message and the call correlator', async () => {
    const { credentials } = demoCredentials(gw)
    const ds = new DeviceStatus(credentials, { device: { phoneNumber: '+34600000009' } })
    await assert.rejects(ds.getRoamingStatus({ correlator: CORRELATOR }), (e: unknown) => {
      assert.ok(e instanceof ApiError)
      assert.equal(e.status, 422)
      assert.equal(e.code, 'SERVICE_NOT_APPLICABLE')
      assert.equal(typeof e.message, 'string')
      assert.equal(e.correlator, CORRELATOR)
      assert.equal(Object.keys(e).includes('response'), false, 'response is not enumerable')
      return true
    })
    const unknown = new DeviceStatus(credentials, { device: { phoneNumber: '+34699999999' } })
    await assert.rejects(unknown.isRoaming(), {
      name: 'ApiError',
      status: 404,
      code: 'IDENTIFIER_NOT_FOUND',
    })
  })

  it('AuthError: a wrong secret is invalid_client; an unknown subscriber is unknown_user_id', async () => {
    const wrong = new ClientCredentials({
      clientId: 'my-app-id',
      clientSecret: 'nope',
      baseUrl: gw.url,
    })
    await assert.rejects(
      new DeviceStatus(wrong, { phoneNumber: '+34600000002' }).isRoaming(),
      (e: unknown) => {
        assert.ok(e instanceof AuthError)
        assert.equal(e.error, 'invalid_client')
        assert.equal(e.status, 401)
        assert.doesNotMatch(JSON.stringify(e) + e.message, /nope/)
        return true
      },
    )
    const { credentials } = demoCredentials(gw)
    await assert.rejects(
      new DeviceStatus(credentials, { phoneNumber: '+34699999999' }).authorize(),
      {
        name: 'AuthError',
        error: 'unknown_user_id',
      },
    )
  })

  it('NetworkError: nothing listens at the base URL', async () => {
    const server = createServer()
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    const { port } = server.address() as { port: number }
    await new Promise((r) => server.close(r))
    const { credentials } = demoCredentials(gw, { baseUrl: `http://127.0.0.1:${port}` })
    await assert.rejects(
      new DeviceStatus(credentials, { phoneNumber: '+34600000002' }).isRoaming(),
      (e: unknown) => {
        assert.ok(e instanceof NetworkError)
        assert.equal(e.code, 'NETWORK_ERROR')
        return true
      },
    )
  })

  it('TimeoutError per call, and AbortSignal', async () => {
    // A slow network in front of the real gateway.
    let delay = 0
    const slow: typeof fetch = async (input, init) => {
      await new Promise((resolve, reject) => {
        const t = setTimeout(resolve, delay)
        init?.signal?.addEventListener('abort', () => {
          clearTimeout(t)
          reject(init.signal?.reason as Error)
        })
      })
      return fetch(input, init)
    }
    const { credentials, events } = demoCredentials(gw, { fetch: slow, retry: false })
    const ds = new DeviceStatus(credentials, { device: { phoneNumber: '+34600000002' } })
    await ds.authorize()
    delay = 300
    await assert.rejects(ds.isRoaming({ timeout: 50, correlator: CORRELATOR }), (e: unknown) => {
      assert.ok(e instanceof TimeoutError)
      assert.equal(e.timeout, 50)
      assert.equal(e.correlator, CORRELATOR)
      return true
    })
    assert.equal(events.at(-1)?.error, 'timeout')
    const controller = new AbortController()
    const call = ds.isRoaming({ signal: controller.signal })
    controller.abort(new Error('user went away'))
    await assert.rejects(call, { message: 'user went away' })
    delay = 0
    assert.equal(await ds.isRoaming({ timeout: 5000 }), true)
  })

  it('retries 503 with backoff, same correlator, then ApiError UNAVAILABLE', async () => {
    const { credentials, events } = demoCredentials(gw, { retry: { retries: 2, minDelay: 10 } })
    const ds = new DeviceStatus(credentials, { device: { phoneNumber: '+34600000010' } })
    await assert.rejects(ds.getRoamingStatus({ correlator: CORRELATOR }), {
      name: 'ApiError',
      status: 503,
      code: 'UNAVAILABLE',
    })
    const api = events.filter((e) => e.url.endsWith('/device-roaming-status/v1/retrieve'))
    assert.deepEqual(
      api.map((e) => [e.attempt, e.status, e.correlator]),
      [
        [1, 503, CORRELATOR],
        [2, 503, CORRELATOR],
        [3, 503, CORRELATOR],
      ],
    )
  })

  it('retries network failures of safe calls, not of token requests', async () => {
    let failNext = ''
    const flaky: typeof fetch = async (input, init) => {
      if (
        failNext !== '' &&
        (input instanceof Request ? input.url : input.toString()).includes(failNext)
      ) {
        failNext = ''
        throw new TypeError('fetch failed')
      }
      return fetch(input, init)
    }
    const { credentials, events } = demoCredentials(gw, { fetch: flaky })
    const ds = new DeviceStatus(credentials, { device: { phoneNumber: '+34600000002' } })
    await ds.authorize()
    failNext = '/device-roaming-status/'
    assert.equal(await ds.isRoaming(), true)
    assert.deepEqual(
      events
        .filter((e) => e.url.includes('/device-roaming-status/'))
        .map((e) => e.error ?? e.status),
      ['network', 200],
    )
    const other = new DeviceStatus(credentials, { device: { phoneNumber: '+34600000002' } })
    failNext = '/oauth2/token'
    await assert.rejects(other.authorize(), { name: 'NetworkError' })
  })

  it('429 TOO_MANY_REQUESTS: waits Retry-After and succeeds', async () => {
    const limited = await startTestGateway({ RATE_LIMIT_PER_SECOND: '2' })
    try {
      const timed: (RequestEvent & { at: number })[] = []
      const { credentials } = demoCredentials(limited, {
        retry: { retries: 5, minDelay: 10 },
        onRequest: (e) => timed.push({ ...e, at: Date.now() }),
      })
      const ds = new DeviceStatus(credentials, { device: { phoneNumber: '+34600000002' } })
      const results = await Promise.all([1, 2, 3, 4, 5].map(() => ds.isRoaming()))
      assert.deepEqual(results, [true, true, true, true, true])
      const limitedOnes = timed.filter((e) => e.status === 429)
      assert.ok(limitedOnes.length > 0, 'some calls were limited')
      // The gateway asks for Retry-After: 1; the backoff alone would retry after ~10 ms.
      for (const e of limitedOnes) {
        const next = timed.find(
          (n) => n.correlator === e.correlator && n.url === e.url && n.attempt === e.attempt + 1,
        )
        assert.ok(next, 'retried')
        const waited = next.at - next.durationMs - e.at
        assert.ok(waited >= 950, `retried after ${waited} ms, not Retry-After`)
      }
      // Without retries the 429 surfaces as an ApiError.
      const { credentials: once } = demoCredentials(limited, { retry: false })
      const single = new DeviceStatus(once, { device: { phoneNumber: '+34600000002' } })
      await single.authorize()
      const settled = await Promise.allSettled([1, 2, 3, 4, 5].map(() => single.isRoaming()))
      const rejected = settled.filter((s) => s.status === 'rejected')
      assert.ok(rejected.length > 0)
      const reason = (rejected[0] as PromiseRejectedResult).reason as ApiError
      assert.equal(reason.code, 'TOO_MANY_REQUESTS')
      assert.equal(reason.status, 429)
      assert.ok((reason.retryAfter ?? 0) >= 1)
    } finally {
      await limited.close()
    }
  })

  it('a 401 on a cached token renews it once and repeats the call', async () => {
    // A gateway restarted on the same address with a new store: its signing keys are new, so the
    // token the SDK holds (still fresh by its expiry) is refused.
    const first = await startTestGateway()
    const port = new URL(first.url).port
    const { credentials, events } = demoCredentials(first)
    const ds = new DeviceStatus(credentials, { device: { phoneNumber: '+34600000002' } })
    assert.equal(await ds.isRoaming(), true)
    await first.close()
    const second = await startTestGateway({ PORT: port })
    try {
      assert.equal(second.url, first.url)
      const before = events.length
      assert.equal(await ds.isRoaming({ correlator: CORRELATOR }), true)
      const later = events.slice(before).filter((e) => e.status !== undefined)
      assert.deepEqual(
        later.map((e) => [new URL(e.url).pathname, e.status, e.correlator]),
        [
          ['/device-roaming-status/v1/retrieve', 401, CORRELATOR],
          ['/oauth2/token', 200, CORRELATOR],
          ['/device-roaming-status/v1/retrieve', 200, CORRELATOR],
        ],
      )
    } finally {
      await second.close()
    }
  })

  it('renews the token before it expires: CIBA again, client credentials again', async () => {
    const short = await startTestGateway({ CIBA_INTERVAL: '1', ACCESS_TOKEN_TTL: '2' })
    try {
      const { credentials, events } = demoCredentials(short)
      const ds = new DeviceStatus(credentials, { phoneNumber: '+34600000002' })
      assert.equal(await ds.isRoaming(), true)
      assert.equal(await ds.isRoaming(), true)
      await sleep(1600) // past three quarters of the 2 s lifetime
      assert.equal(await ds.isRoaming(), true)
      const paths = pathsOf(events)
      assert.equal(paths.filter((p) => p === '/oauth2/bc-authorize').length, 2)
      assert.equal(events.filter((e) => e.status === 401).length, 0, 'never sent an expired token')

      const two = new DeviceStatus(credentials, { device: { phoneNumber: '+34600000002' } })
      const before = pathsOf(events).filter((p) => p === '/oauth2/token').length
      await two.isRoaming()
      await sleep(1600)
      await two.isRoaming()
      assert.equal(pathsOf(events).filter((p) => p === '/oauth2/token').length - before, 2)
    } finally {
      await short.close()
    }
  })
  it('a body that stalls after the headers: the timeout and the signal still end the call', async () => {
    // The API answers its headers and the start of a body, then nothing (token and discovery
    // come from the real gateway, the issuer).
    const stalled = await startStubServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' })
      res.write('{"roaming":')
    })
    try {
      const { credentials, events } = demoCredentials(gw, {
        baseUrl: stalled.url,
        issuer: gw.url,
        retry: false,
      })
      const ds = new DeviceStatus(credentials, { device: { phoneNumber: '+34600000002' } })
      await ds.authorize()
      await assert.rejects(
        within(3000, ds.isRoaming({ timeout: 200, correlator: CORRELATOR })),
        (e: unknown) => {
          assert.ok(e instanceof TimeoutError, String(e))
          assert.equal(e.correlator, CORRELATOR)
          return true
        },
      )
      assert.equal(events.at(-1)?.error, 'timeout')
      const controller = new AbortController()
      setTimeout(() => controller.abort(new Error('user went away')), 200)
      await assert.rejects(
        within(3000, ds.isRoaming({ timeout: 60_000, signal: controller.signal })),
        { message: 'user went away' },
      )
      assert.equal(events.at(-1)?.error, 'aborted')
    } finally {
      await stalled.close()
    }
  })

  it("one caller's abort fails that caller only, not the others sharing its token request", async () => {
    // CIBA takes about a second (interval 1): both calls wait on the same token request.
    const { credentials, events } = demoCredentials(gw)
    const ds = new DeviceStatus(credentials, { phoneNumber: '+34600000002' })
    const controller = new AbortController()
    const aborted = ds.isRoaming({ signal: controller.signal })
    const other = ds.isReachable()
    setTimeout(() => controller.abort(new Error('caller A went away')), 300)
    await assert.rejects(aborted, { message: 'caller A went away' })
    assert.equal(await other, true)
    assert.equal(pathsOf(events).filter((p) => p === '/oauth2/bc-authorize').length, 1)

    // When every caller waiting on it has left, the token request stops (no more CIBA polls);
    // the next call starts a new one.
    const alone = new DeviceStatus(credentials, { phoneNumber: '+34600000002' })
    const before = events.length
    const last = new AbortController()
    const gone = alone.isRoaming({ signal: last.signal })
    setTimeout(() => last.abort(new Error('everyone left')), 300)
    await assert.rejects(gone, { message: 'everyone left' })
    await sleep(1500)
    assert.deepEqual(pathsOf(events.slice(before)), ['/oauth2/bc-authorize'])
    assert.equal(await alone.isRoaming(), true)
  })

  it("one caller's abort does not fail the other sessions waiting on the same discovery", async () => {
    // Discovery is shared by every session of the credentials: a slow one, two sessions.
    const slow: typeof fetch = async (input, init) => {
      if (urlOf(input).pathname.startsWith('/.well-known/')) await sleep(500)
      return fetch(input, init)
    }
    const { credentials: slowly } = demoCredentials(gw, { fetch: slow })
    const one = new DeviceStatus(slowly, { device: { phoneNumber: '+34600000002' } })
    const two = new DeviceStatus(slowly, { device: { phoneNumber: '+34600000002' } })
    const leaving = new AbortController()
    const left = one.isRoaming({ signal: leaving.signal })
    const staying = two.isRoaming()
    setTimeout(() => leaving.abort(new Error('caller B went away')), 100)
    await assert.rejects(left, { message: 'caller B went away' })
    assert.equal(await staying, true)
  })

  it('a 401 on a token just issued is thrown, not renewed', async () => {
    // The first API call is refused although its token was just issued: renewing would not help.
    let refuseNext = true
    const { credentials, events } = demoCredentials(gw, {
      fetch: async (input, init) => {
        if (refuseNext && urlOf(input).pathname.endsWith('/retrieve')) {
          refuseNext = false
          return unauthenticated()
        }
        return fetch(input, init)
      },
    })
    const ds = new DeviceStatus(credentials, { device: { phoneNumber: '+34600000002' } })
    await assert.rejects(ds.isRoaming(), { name: 'ApiError', status: 401, code: 'UNAUTHENTICATED' })
    assert.equal(pathsOf(events).filter((p) => p === '/oauth2/token').length, 1)
  })

  it('concurrent 401s on one cached token share one renewal (one CIBA run), then use the new token', async () => {
    // Two concurrent calls on a cached token the gateway now refuses (revoked): one renewal (one
    // CIBA run), though the second 401 arrives after the renewal is over; both calls then succeed.
    let refused = ''
    let refusals = 0
    const { credentials, events } = demoCredentials(gw, {
      fetch: async (input, init) => {
        const authorization = new Headers(init?.headers).get('authorization')
        if (refused !== '' && authorization === `Bearer ${refused}`) {
          await sleep(++refusals === 1 ? 0 : 2500)
          return unauthenticated()
        }
        return fetch(input, init)
      },
    })
    const ciba = new DeviceStatus(credentials, { phoneNumber: '+34600000002' })
    refused = await ciba.session.accessToken()
    const before = events.length
    assert.deepEqual(await Promise.all([ciba.isRoaming(), ciba.isReachable()]), [true, true])
    const later = pathsOf(events.slice(before))
    assert.equal(later.filter((p) => p === '/oauth2/bc-authorize').length, 1)
    assert.equal(refusals, 2)
    // Each call: refused once, then answered with the one new token.
    for (const path of [
      '/device-roaming-status/v1/retrieve',
      '/device-reachability-status/v1/retrieve',
    ])
      assert.deepEqual(
        events
          .slice(before)
          .filter((e) => new URL(e.url).pathname === path)
          .map((e) => e.status),
        [401, 200],
      )
  })

  it('a refused authorization code: every later call throws the same AuthError, not resent', async () => {
    const { credentials, events } = demoCredentials(gw, { redirectUri: REDIRECT })
    const ds = new DeviceStatus(credentials, {
      authCode: 'not-a-valid-code',
      codeVerifier: 'a'.repeat(43),
    })
    for (const call of [1, 2, 3]) {
      await assert.rejects(ds.isRoaming(), (e: unknown) => {
        assert.ok(e instanceof AuthError, `call ${call}: ${String(e)}`)
        assert.ok(e instanceof DeviceStatusError)
        assert.equal(e.code, 'OAUTH_ERROR')
        assert.equal(e.error, 'invalid_grant')
        return true
      })
    }
    assert.equal(pathsOf(events).filter((p) => p === '/oauth2/token').length, 1)
  })

  it('INVALID_RESPONSE: a 2xx answer that is not a JSON object or lacks a required field', async () => {
    // The API answers 200 with whatever the test sets for its path; token and discovery come
    // from the real gateway.
    const answers = new Map<string, [string, string]>()
    const api = await startStubServer((req, res) => {
      const [type, body] = answers.get(req.url ?? '') ?? ['application/json', '{}']
      res.writeHead(200, { 'content-type': type, 'x-correlator': req.headers['x-correlator'] })
      res.end(body)
    })
    try {
      const { credentials } = demoCredentials(gw, { baseUrl: api.url, issuer: gw.url })
      const invalid = (e: unknown) => {
        assert.ok(e instanceof InvalidResponseError, String(e))
        assert.ok(e instanceof DeviceStatusError)
        assert.equal(e.name, 'InvalidResponseError')
        assert.equal(e.code, 'INVALID_RESPONSE')
        assert.equal(e.status, 200)
        assert.equal(e.correlator, CORRELATOR)
        return true
      }
      const call = { correlator: CORRELATOR }
      const sims = new SimSwap(credentials, { device: { phoneNumber: '+34600000006' } })
      answers.set('/sim-swap/v2/check', ['text/html', '<html>maintenance</html>'])
      await assert.rejects(sims.check(24, call), invalid)
      answers.set('/sim-swap/v2/check', ['application/json', '{"swapped":"true"}'])
      await assert.rejects(sims.check(24, call), invalid)
      answers.set('/sim-swap/v2/check', ['application/json', '{"swapped":false}'])
      assert.equal(await sims.check(24, call), false)
      answers.set('/sim-swap/v2/retrieve-date', ['application/json', '{}'])
      await assert.rejects(sims.retrieveDate(call), invalid)
      answers.set('/sim-swap/v2/retrieve-date', ['application/json', '{"latestSimChange":"soon"}'])
      await assert.rejects(sims.retrieveDate(call), invalid)
      answers.set('/sim-swap/v2/retrieve-date', ['application/json', '{"latestSimChange":null}'])
      assert.equal(await sims.retrieveDate(call), null)

      const ds = new DeviceStatus(credentials, { device: { phoneNumber: '+34600000002' } })
      const at = '"lastStatusTime":"2024-01-01T00:00:00Z"'
      const set = (path: string, body: string) => answers.set(path, ['application/json', body])
      set('/device-roaming-status/v1/retrieve', `{"roaming":"false",${at}}`)
      await assert.rejects(ds.getRoamingStatus(call), invalid)
      set('/device-roaming-status/v1/retrieve', '{"roaming":false}')
      await assert.rejects(ds.getRoamingStatus(call), invalid)
      set('/device-reachability-status/v1/retrieve', `{${at}}`)
      await assert.rejects(ds.getReachabilityStatus(call), invalid)
      set('/connected-network-type/v0.2/retrieve', '[]')
      await assert.rejects(ds.getConnectedNetworkType(call), invalid)
      set('/device-status/v0/roaming', '{"countryCode":262}')
      await assert.rejects(ds.getLegacyRoamingStatus(call), invalid)
      set('/device-status/v0/connectivity', '')
      await assert.rejects(ds.getLegacyConnectivityStatus(call), invalid)
      set('/device-roaming-status/v1/retrieve', `{"roaming":false,${at}}`)
      const status = await ds.getRoamingStatus(call)
      assert.deepEqual(
        [status.roaming, status.lastStatusTime.toISOString()],
        [false, '2024-01-01T00:00:00.000Z'],
      )
    } finally {
      await api.close()
    }
  })
})
