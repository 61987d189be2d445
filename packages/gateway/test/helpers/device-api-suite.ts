import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import {
  CORRELATOR,
  schemaErrors,
  NOT_APPLICABLE_IS_SIMULATED,
  simulatorOnly,
  startTestGateway,
  type TestGateway,
  type TestResponse,
} from './gateway.js'

export interface DeviceApiCase {
  /** Path of the operation, e.g. `/device-roaming-status/v1/retrieve`. */
  path: string
  scope: string
  file: string
  responseSchema: string
  /** Spec name used in the simulator's `notApplicable`. */
  api: string
}

/** Asserts the whole CAMARA error body. */
export function assertError(res: TestResponse, status: number, code: string): void {
  assert.equal(res.status, status, JSON.stringify(res.body))
  assert.equal(res.headers.get('content-type')?.startsWith('application/json'), true)
  assert.deepEqual(Object.keys(res.body as object).sort(), ['code', 'message', 'status'])
  assert.equal(res.body.status, status)
  assert.equal(res.body.code, code)
  assert.equal(typeof res.body.message, 'string')
  assert.ok(res.body.message.length > 0)
  assert.doesNotMatch(res.body.message, /at .*\.ts:\d+/, 'no stack trace in the message')
}

/**
 * The common scenarios every device-identified retrieve API shares: the C01 device errors of
 * Commonalities r3.4 (as the API's feature file repeats them), 401.1–401.3, 403, x-correlator,
 * and each identifier kind. Feature files add their own happy paths.
 */
export function deviceApiSuite(c: DeviceApiCase): void {
  describe(`${c.path}: common CAMARA scenarios`, () => {
    let gw: TestGateway
    let token: string
    before(async () => {
      gw = await startTestGateway()
      token = await gw.token2(c.scope)
    })
    after(() => gw.close())
    const call = (body: unknown, t: string | null = token, headers: Record<string, string> = {}) =>
      gw.post(c.path, body, t ?? undefined, { 'x-correlator': CORRELATOR, ...headers })

    it('answers each supported identifier kind, echoing the identifier used (DeviceResponse)', async () => {
      const bodies = [
        { phoneNumber: '+34600000001' },
        { ipv4Address: { publicAddress: '84.125.93.10', privateAddress: '10.0.0.1' } },
        { ipv4Address: { publicAddress: '84.125.93.10', publicPort: 59765 } },
        { ipv6Address: '2001:db8:85a3:8d3:1319:8a2e:370:7344' },
        // Any address of the device's /64.
        { ipv6Address: '2001:db8:85a3:8d3::1' },
      ]
      for (const device of bodies) {
        const res = await call({ device })
        assert.equal(res.status, 200, `${JSON.stringify(device)} → ${JSON.stringify(res.body)}`)
        assert.equal(schemaErrors(c.file, c.responseSchema, res.body), '')
        assert.deepEqual(res.body.device, device)
        assert.equal(res.headers.get('x-correlator'), CORRELATOR)
        assert.ok(Date.parse(res.body.lastStatusTime) <= Date.now())
      }
    })

    it('with several identifiers, answers with the single one it used, even when they disagree', async () => {
      const res = await call({
        device: {
          ipv6Address: '2001:db8:85a3:8d3::1',
          phoneNumber: '+34600000002',
          networkAccessIdentifier: 'x@y.z',
        },
      })
      assert.equal(res.status, 200)
      assert.deepEqual(res.body.device, { phoneNumber: '+34600000002' })
    })

    it('C01.01: device {} is 400 INVALID_ARGUMENT', async () => {
      assertError(await call({ device: {} }), 400, 'INVALID_ARGUMENT')
    })

    it('C01.02: identifiers that do not comply with the schema are 400 INVALID_ARGUMENT', async () => {
      const hostile = [
        { phoneNumber: '34600000001' },
        { phoneNumber: '+0123456' },
        { phoneNumber: 34600000001 },
        { phoneNumber: '+346000000011234567' },
        { ipv4Address: { publicAddress: '84.125.93.10' } },
        { ipv4Address: { publicAddress: '999.1.1.1', privateAddress: '10.0.0.1' } },
        { ipv4Address: { publicAddress: '84.125.93.10', publicPort: 70000 } },
        { ipv4Address: '84.125.93.10' },
        { ipv6Address: '2001:db8::zz' },
        { ipv6Address: 42 },
        { networkAccessIdentifier: 123 },
      ]
      for (const device of hostile) assertError(await call({ device }), 400, 'INVALID_ARGUMENT')
    })

    it('C01.03: an unknown device is 404 IDENTIFIER_NOT_FOUND', async () => {
      assertError(
        await call({ device: { phoneNumber: '+99999999999' } }),
        404,
        'IDENTIFIER_NOT_FOUND',
      )
      assertError(
        await call({
          device: { ipv4Address: { publicAddress: '1.2.3.4', privateAddress: '10.0.0.1' } },
        }),
        404,
        'IDENTIFIER_NOT_FOUND',
      )
    })

    it('C01.04: device with a three-legged token is 422 UNNECESSARY_IDENTIFIER, even the same device', async () => {
      const t3 = await gw.token3('+34600000001', c.scope)
      assertError(
        await call({ device: { phoneNumber: '+34600000001' } }, t3),
        422,
        'UNNECESSARY_IDENTIFIER',
      )
      assertError(
        await call({ device: { phoneNumber: '+34600000002' } }, t3),
        422,
        'UNNECESSARY_IDENTIFIER',
      )
    })

    it('a three-legged token without device reads its own device, with no device in the response', async () => {
      const t3 = await gw.token3('+34600000001', c.scope)
      const res = await call({}, t3)
      assert.equal(res.status, 200, JSON.stringify(res.body))
      assert.equal(res.body.device, undefined)
      assert.equal(schemaErrors(c.file, c.responseSchema, res.body), '')
    })

    it('C01.05: no device with a two-legged token is 422 MISSING_IDENTIFIER', async () => {
      assertError(await call({}), 422, 'MISSING_IDENTIFIER')
    })

    it('C01.06: only networkAccessIdentifier (not supported by this version) is 422 UNSUPPORTED_IDENTIFIER', async () => {
      assertError(
        await call({ device: { networkAccessIdentifier: '34600000001@example.net' } }),
        422,
        'UNSUPPORTED_IDENTIFIER',
      )
    })

    it(
      'C01.07: a device the service does not apply to is 422 SERVICE_NOT_APPLICABLE',
      simulatorOnly(NOT_APPLICABLE_IS_SIMULATED),
      async () => {
        assertError(
          await call({ device: { phoneNumber: '+34600000009' } }),
          422,
          'SERVICE_NOT_APPLICABLE',
        )
      },
    )

    it('a network failure is 503 UNAVAILABLE', async () => {
      assertError(await call({ device: { phoneNumber: '+34600000010' } }), 503, 'UNAVAILABLE')
    })

    it('401.1: an expired token is 401 UNAUTHENTICATED', async () => {
      const expired = await gw.token2(c.scope, { ttl: 60, now: new Date(Date.now() - 3_600_000) })
      assertError(
        await call({ device: { phoneNumber: '+34600000001' } }, expired),
        401,
        'UNAUTHENTICATED',
      )
    })

    it('401.2: no Authorization header is 401 UNAUTHENTICATED', async () => {
      assertError(
        await call({ device: { phoneNumber: '+34600000001' } }, null),
        401,
        'UNAUTHENTICATED',
      )
    })

    it('401.3: a malformed or forged token is 401 UNAUTHENTICATED', async () => {
      const forged = token.slice(0, -4) + (token.endsWith('AAAA') ? 'BBBB' : 'AAAA')
      for (const t of ['not-a-jwt', 'a.b.c', forged]) {
        assertError(
          await call({ device: { phoneNumber: '+34600000001' } }, t),
          401,
          'UNAUTHENTICATED',
        )
      }
      const res = await gw.post(c.path, { device: { phoneNumber: '+34600000001' } }, undefined, {
        authorization: 'Basic abc',
      })
      assertError(res, 401, 'UNAUTHENTICATED')
    })

    it('403: a token without the operation scope is 403 PERMISSION_DENIED', async () => {
      const other = await gw.token2('some-other:read')
      assertError(
        await call({ device: { phoneNumber: '+34600000001' } }, other),
        403,
        'PERMISSION_DENIED',
      )
    })

    it('x-correlator: echoed when valid, generated when absent, 400 when not matching the pattern', async () => {
      const body = { device: { phoneNumber: '+34600000001' } }
      const generated = await gw.post(c.path, body, token)
      assert.match(generated.headers.get('x-correlator') ?? '', /^[0-9a-f-]{36}$/)
      const bad = await call(body, token, { 'x-correlator': 'bad correlator with spaces' })
      assertError(bad, 400, 'INVALID_ARGUMENT')
      const error = await call({ device: {} })
      assert.equal(error.headers.get('x-correlator'), CORRELATOR, 'echoed on errors too')
    })

    it('malformed JSON, a wrong content type and a missing body are 400 INVALID_ARGUMENT', async () => {
      assertError(await call('{"device": {'), 400, 'INVALID_ARGUMENT')
      assertError(
        await call('device=1', token, { 'content-type': 'application/x-www-form-urlencoded' }),
        400,
        'INVALID_ARGUMENT',
      )
      assertError(await call('', token), 400, 'INVALID_ARGUMENT')
      assertError(await call('[]', token), 400, 'INVALID_ARGUMENT')
    })
  })
}
