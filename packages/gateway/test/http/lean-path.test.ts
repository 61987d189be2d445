import assert from 'node:assert/strict'
import { request as httpRequest } from 'node:http'
import { after, before, describe, it } from 'node:test'
import { specOperation } from '../../src/specs/catalog.js'
import { serializerFor } from '../../src/specs/serializer.js'
import { manualClock } from '../helpers/clock.js'
import { startTestGateway, type TestGateway } from '../helpers/gateway.js'
import { logLines } from '../helpers/log-lines.js'
import { testStoreKind } from '../helpers/test-store.js'

const RETRIEVE = '/device-roaming-status/v1/retrieve'
const SCOPE = 'device-roaming-status:read'
const DEVICE = { device: { phoneNumber: '+34600000002' } }
const DEVICE_TEXT = JSON.stringify(DEVICE)

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

  /** A POST through node:http, which sends header names as given and a header twice when told. */
  const rawPost = (headers: Record<string, string | string[]>, body: string) =>
    new Promise<{ status: number; correlator: string | undefined; body: string }>(
      (resolve, reject) => {
        const url = new URL(gw.url + RETRIEVE)
        const request = httpRequest(
          { host: url.hostname, port: url.port, path: url.pathname, method: 'POST' },
          (response) => {
            let text = ''
            response.setEncoding('utf8')
            response.on('data', (chunk: string) => (text += chunk))
            response.on('end', () => {
              const correlator = response.headers['x-correlator']
              resolve({
                status: response.statusCode ?? 0,
                correlator: typeof correlator === 'string' ? correlator : undefined,
                body: text,
              })
            })
          },
        )
        request.on('error', reject)
        for (const [name, value] of Object.entries(headers)) request.setHeader(name, value)
        request.end(body)
      },
    )

  it('reads header names in any case, and leaves a header sent twice to fastify', async () => {
    const token = await gw.token2(SCOPE, { clientId: 'lean-raw-headers' })
    assert.equal((await call(token, DEVICE)).status, 200) // the token is now cached
    const body = JSON.stringify(DEVICE)
    const mixed = await rawPost(
      {
        'Content-Type': 'application/json',
        AUTHORIZATION: `Bearer ${token}`,
        'X-Correlator': 'lean-mixed-case',
        'Content-Length': String(body.length),
      },
      body,
    )
    assert.equal(mixed.status, 200, mixed.body)
    assert.equal(mixed.correlator, 'lean-mixed-case')
    // node joins a repeated x-correlator ("a, b"), which fastify refuses as not matching the
    // pattern; the lean path must not answer with either copy.
    const twice = await rawPost(
      {
        'content-type': 'application/json',
        authorization: `Bearer ${token}`,
        'x-correlator': ['lean-one', 'lean-two'],
      },
      body,
    )
    assert.equal(twice.status, 400, twice.body)
    assert.equal((JSON.parse(twice.body) as { code: string }).code, 'INVALID_ARGUMENT')
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
    // The two-legged body as JSON.stringify writes it is read without JSON.parse; the schema
    // still decides (src/http/lean-path.ts, deviceByPhoneNumber).
    ['a number without +', '{"device":{"phoneNumber":"34600000002"}}', 400, 'INVALID_ARGUMENT'],
    ['a number starting 0', '{"device":{"phoneNumber":"+0123456789"}}', 400, 'INVALID_ARGUMENT'],
    ['a number too short', '{"device":{"phoneNumber":"+1234"}}', 400, 'INVALID_ARGUMENT'],
    [
      'a number too long',
      '{"device":{"phoneNumber":"+3460000000212345"}}',
      400,
      'INVALID_ARGUMENT',
    ],
    ['an empty number', '{"device":{"phoneNumber":""}}', 400, 'INVALID_ARGUMENT'],
    ['a number of + alone', '{"device":{"phoneNumber":"++"}}', 400, 'INVALID_ARGUMENT'],
    [
      'a number of 65 digits',
      `{"device":{"phoneNumber":"+${'1'.repeat(64)}"}}`,
      400,
      'INVALID_ARGUMENT',
    ],
    [
      'a number of 300 digits',
      `{"device":{"phoneNumber":"${'1'.repeat(300)}"}}`,
      400,
      'INVALID_ARGUMENT',
    ],
    [
      'a number as a JSON number',
      '{"device":{"phoneNumber":34600000002}}',
      400,
      'INVALID_ARGUMENT',
    ],
    ['an empty device', '{"device":{}}', 400, 'INVALID_ARGUMENT'],
    [
      'an unknown property next to the number',
      '{"device":{"phoneNumber":"+34600000002","imei":"1"}}',
      200,
      '',
    ],
    ['an escaped number', '{"device":{"phoneNumber":"\\u002b34600000002"}}', 200, ''],
    [
      'the number with spaces around the JSON',
      ' { "device" : { "phoneNumber" : "+34600000002" } } ',
      200,
      '',
    ],
    // Refusals of the network, answered at once in memory: a rejection all the same.
    [
      'a device whose service does not apply',
      '{"device":{"phoneNumber":"+34600000009"}}',
      422,
      'SERVICE_NOT_APPLICABLE',
    ],
    [
      'a device the network fails for',
      '{"device":{"phoneNumber":"+34600000010"}}',
      503,
      'UNAVAILABLE',
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
      if (status !== 200) assert.equal(viaFastify.body.code, code)
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

describe('lean path of the retrieve operations: three-legged refusals', () => {
  let gw: TestGateway
  before(async () => {
    gw = await startTestGateway()
  })
  after(() => gw.close())

  const cases: [string, string, string, number, string][] = [
    ['another device in the body', '+34600000003', DEVICE_TEXT, 422, 'UNNECESSARY_IDENTIFIER'],
    ['the same device in the body', '+34600000002', DEVICE_TEXT, 422, 'UNNECESSARY_IDENTIFIER'],
    ['a device whose service does not apply', '+34600000009', '{}', 422, 'SERVICE_NOT_APPLICABLE'],
    ['a device the network fails for', '+34600000010', '{}', 503, 'UNAVAILABLE'],
  ]
  for (const [what, subscriber, body, status, code] of cases) {
    it(`${what}: the cached token gets fastify's answer`, async () => {
      const cached = await gw.token3(subscriber, SCOPE)
      // A first call verifies and caches the token (through fastify).
      const first = await gw.post(RETRIEVE, JSON.parse(body), cached)
      const viaFastify = await gw.post(
        RETRIEVE,
        JSON.parse(body),
        await gw.token3(subscriber, SCOPE),
        {
          'x-correlator': 'lean-3l',
        },
      )
      const viaLean = await gw.post(RETRIEVE, JSON.parse(body), cached, {
        'x-correlator': 'lean-3l',
      })
      assert.equal(viaFastify.status, status, JSON.stringify(viaFastify.body))
      assert.equal(viaFastify.body.code, code)
      for (const answer of [first, viaLean]) {
        assert.equal(answer.status, viaFastify.status)
        assert.deepEqual(answer.body, viaFastify.body)
      }
      assert.equal(viaLean.headers.get('x-correlator'), 'lean-3l')
    })
  }
})

/**
 * The lean path writes its 200 answers with a serializer compiled from each operation's answer
 * schema (src/specs/serializer.ts); fastify writes the same answers with `JSON.stringify`. Every
 * retrieve operation, every answer shape (device echoed by each identifier kind, an ipv4Address
 * in the client's own order, roaming and not, nulls, lists), byte for byte, headers included.
 */
describe('lean path answers: the same bytes as fastify', () => {
  let gw: TestGateway
  before(async () => {
    gw = await startTestGateway()
  })
  after(() => gw.close())

  const raw = async (path: string, token: string, body: string) => {
    const response = await fetch(gw.url + path, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${token}`,
        'x-correlator': 'same-bytes',
      },
      body,
    })
    const headers: [string, string][] = []
    response.headers.forEach((value, name) => {
      if (name !== 'date') headers.push([name, value])
    })
    return { status: response.status, headers, text: await response.text() }
  }
  const serializers = new Map(
    (
      [
        ['device-roaming-status', 'getRoamingStatus'],
        ['device-reachability-status', 'getReachabilityStatus'],
        ['connected-network-type', 'getConnectedNetworkType'],
        ['sim-swap', 'retrieveSimSwapDate'],
      ] as const
    ).map(([api, id]) => {
      const op = specOperation(api, id)
      assert.ok(op.okSchemaRef)
      return [op.url, serializerFor(op.okSchemaRef)]
    }),
  )
  const ipv4 = (fields: string) => `{"device":{"ipv4Address":{${fields}}}}`
  const cases: [string, string, string, string | undefined][] = [
    [RETRIEVE, SCOPE, DEVICE_TEXT, undefined],
    [RETRIEVE, SCOPE, '{"device":{"phoneNumber":"+34600000003"}}', undefined],
    [RETRIEVE, SCOPE, '{"device":{"phoneNumber":"+34600000004"}}', undefined],
    [RETRIEVE, SCOPE, '{}', '+34600000003'],
    [
      RETRIEVE,
      SCOPE,
      '{"device":{"ipv6Address":"2001:db8:85a3:8d3:1319:8a2e:370:7344"}}',
      undefined,
    ],
    [
      RETRIEVE,
      SCOPE,
      ipv4('"publicPort":59765,"privateAddress":"10.0.0.1","publicAddress":"84.125.93.10"'),
      undefined,
    ],
    [
      RETRIEVE,
      SCOPE,
      ipv4('"publicAddress":"84.125.93.20","privateAddress":"10.0.0.2"'),
      undefined,
    ],
    [
      RETRIEVE,
      SCOPE,
      '{"device":{"phoneNumber":"+34600000001","ipv6Address":"2001:db8:85a3:8d3:1319:8a2e:370:7344"}}',
      undefined,
    ],
    [
      '/device-reachability-status/v1/retrieve',
      'device-reachability-status:read',
      '{"device":{"phoneNumber":"+34600000001"}}',
      undefined,
    ],
    [
      '/device-reachability-status/v1/retrieve',
      'device-reachability-status:read',
      '{"device":{"phoneNumber":"+34600000004"}}',
      undefined,
    ],
    [
      '/device-reachability-status/v1/retrieve',
      'device-reachability-status:read',
      '{}',
      '+34600000005',
    ],
    [
      '/connected-network-type/v0.2/retrieve',
      'connected-network-type:read',
      '{"device":{"phoneNumber":"+34600000001"}}',
      undefined,
    ],
    [
      '/connected-network-type/v0.2/retrieve',
      'connected-network-type:read',
      '{"device":{"phoneNumber":"+34600000004"}}',
      undefined,
    ],
    [
      '/sim-swap/v2/retrieve-date',
      'sim-swap:retrieve-date',
      '{"phoneNumber":"+34600000006"}',
      undefined,
    ],
    [
      '/sim-swap/v2/retrieve-date',
      'sim-swap:retrieve-date',
      '{"phoneNumber":"+34600000001"}',
      undefined,
    ],
    ['/sim-swap/v2/retrieve-date', 'sim-swap:retrieve-date', '{}', '+34600000006'],
  ]
  for (const [path, scope, body, subscriber] of cases) {
    it(`${path} ${body}${subscriber === undefined ? '' : ` (three-legged, ${subscriber})`}`, async () => {
      const token = () =>
        subscriber === undefined ? gw.token2(scope) : gw.token3(subscriber, scope)
      const cached = await token()
      const warm = await raw(path, cached, body) // fastify verifies and caches the token
      const viaFastify = await raw(path, await token(), body)
      const viaLean = await raw(path, cached, body)
      assert.equal(viaFastify.status, 200, viaFastify.text)
      assert.deepEqual(viaLean, viaFastify)
      assert.deepEqual(warm, viaFastify)
      // The serializer on its own: fastify's text, parsed (order kept) and written again.
      const serialize = serializers.get(path)
      assert.ok(serialize, path)
      assert.equal(serialize(JSON.parse(viaFastify.text)), viaFastify.text)
    })
  }
})
