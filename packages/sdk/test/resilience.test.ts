import assert from 'node:assert/strict'
import { createServer } from 'node:net'
import { after, before, describe, it } from 'node:test'
import {
  ApiError,
  AuthError,
  ClientCredentials,
  DeviceStatus,
  NetworkError,
  TimeoutError,
  type RequestEvent,
} from '@device-status/sdk'
import { demoCredentials, pathsOf, startTestGateway, type TestGateway } from './helpers.js'

const CORRELATOR = 'b4333c46-49c0-4f62-80d7-f0ef930f1c46'
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

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
})
