import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { manualClock } from '../helpers/clock.js'
import { startTestGateway, type TestGateway } from '../helpers/gateway.js'
import { logLines } from '../helpers/log-lines.js'
import { testStoreKind } from '../helpers/test-store.js'

const RETRIEVE = '/device-roaming-status/v1/retrieve'
const SCOPE = 'device-roaming-status:read'
const DEVICE = { device: { phoneNumber: '+34600000002' } }

/**
 * The retrieve operations' lean path (src/http/lean-path.ts): a call with a token verified before
 * is answered there; every other answer is fastify's. A fresh token's first call goes through
 * fastify (which verifies and caches the token), so the same request with a fresh token and with
 * a cached one compares the two paths. Time stands still: the rate limit's bucket never refills.
 */
describe('lean path of the retrieve operations', () => {
  let gw: TestGateway
  const { stream, lines } = logLines()
  const time = manualClock()
  before(async () => {
    gw = await startTestGateway(
      { RATE_LIMIT_PER_SECOND: '4' },
      { clock: time.clock, logger: { level: 'debug', stream } },
    )
  })
  after(() => gw.close())

  const call = (token: string, body: unknown, correlator?: string) =>
    gw.post(RETRIEVE, body, token, correlator === undefined ? {} : { 'x-correlator': correlator })
  const requestsCounted = async () => {
    const text = await (await fetch(gw.url + '/metrics')).text()
    const line = text
      .split('\n')
      .find((l) =>
        l.startsWith(
          `device_status_http_requests_total{route="${RETRIEVE}",method="POST",status="200"}`,
        ),
      )
    return Number(line?.split(' ').pop() ?? 0)
  }

  it('a cached token is answered as a fresh one is: status, body, headers; counted and logged alike', async () => {
    const token = await gw.token2(SCOPE, { clientId: 'lean-same' })
    const counted = await requestsCounted()
    const fresh = await call(token, DEVICE, 'lean-first')
    const cached = await call(token, DEVICE, 'lean-second')
    const generated = await call(token, DEVICE)
    for (const answer of [fresh, cached, generated]) {
      assert.equal(answer.status, 200)
      assert.deepEqual(answer.body, fresh.body)
      assert.equal(answer.headers.get('content-type'), 'application/json; charset=utf-8')
    }
    assert.equal(fresh.headers.get('x-correlator'), 'lean-first')
    assert.equal(cached.headers.get('x-correlator'), 'lean-second')
    assert.match(generated.headers.get('x-correlator') ?? '', /^[0-9a-f-]{36}$/)
    assert.equal(await requestsCounted(), counted + 3)
    for (const correlator of ['lean-first', 'lean-second']) {
      const line = lines.find((l) => l['correlator'] === correlator && l['msg'] === 'request')
      assert.ok(line, `access line of ${correlator}`)
      assert.deepEqual([line['method'], line['url'], line['status']], ['POST', RETRIEVE, 200])
    }
  })

  const refusals: [string, string, number, string][] = [
    ['not JSON', '{bad', 400, 'INVALID_ARGUMENT'],
    ['against the schema', '{"device":{"phoneNumber":"x"}}', 400, 'INVALID_ARGUMENT'],
    ['no device with a two-legged token', '{}', 422, 'MISSING_IDENTIFIER'],
    ['an unknown device', '{"device":{"phoneNumber":"+34699999999"}}', 404, 'IDENTIFIER_NOT_FOUND'],
    [
      'a prototype key',
      '{"__proto__":{"x":1},"device":{"phoneNumber":"+34600000002"}}',
      400,
      'INVALID_ARGUMENT',
    ],
    [
      'a number out of range',
      '{"device":{"phoneNumber":"+34600000002"},"n":1e400}',
      400,
      'INVALID_ARGUMENT',
    ],
    [
      'a NUL character',
      '{"device":{"phoneNumber":"+34600000002\\u0000"}}',
      400,
      'INVALID_ARGUMENT',
    ],
  ]
  for (const [index, [what, body, status, code]] of refusals.entries()) {
    it(`${what}: the cached token gets fastify's answer, and the call counts once against the rate limit`, async () => {
      const clientId = `lean-refusal-${index}`
      const cached = await gw.token2(SCOPE, { clientId })
      const fresh = await gw.token2(SCOPE, { clientId })
      assert.equal((await call(cached, DEVICE)).status, 200) // 1 of 4; the token is now cached
      const viaFastify = await call(fresh, body, 'lean-refused') // 2 of 4
      const viaLean = await call(cached, body, 'lean-refused') // 3 of 4
      assert.equal(viaFastify.status, status, JSON.stringify(viaFastify.body))
      assert.equal(viaFastify.body.code, code)
      assert.equal(viaLean.status, viaFastify.status)
      assert.deepEqual(viaLean.body, viaFastify.body)
      assert.equal(viaLean.headers.get('x-correlator'), 'lean-refused')
      // The count is exact with one instance's in-memory limiter; PostgreSQL's shared limiter
      // admits give or take what a sync interval lets through (http/rate-limit.ts).
      if (testStoreKind() === 'sqlite') {
        assert.equal((await call(cached, DEVICE)).status, 200, 'the refused call took one token') // 4 of 4
        const limited = await call(cached, DEVICE)
        assert.equal(limited.status, 429)
        assert.equal(limited.body.code, 'TOO_MANY_REQUESTS')
      }
    })
  }
})
