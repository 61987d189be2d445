import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { assertError } from '../helpers/device-api-suite.js'
import { CORRELATOR, schemaErrors, startTestGateway, type TestGateway } from '../helpers/gateway.js'

const FILE = 'sim-swap-v2.1.0.yaml'
const hoursAgo = (h: number) => new Date(Date.now() - h * 3_600_000).toISOString()

describe('sim-swap 2.1.0', () => {
  let gw: TestGateway
  let token: string
  before(async () => {
    gw = await startTestGateway()
    token = await gw.token2('sim-swap:check sim-swap:retrieve-date')
    // A number swapped `h` hours ago for each test row, and one activated long ago, never swapped.
    for (const h of [5, 12, 24, 120, 260, 300]) {
      await gw.admin('PUT', `/network/v1/devices/+3461000${String(h).padStart(4, '0')}`, {
        simActivatedAt: '2020-01-01T00:00:00Z',
        simSwappedAt: hoursAgo(h),
      })
    }
    await gw.admin('PUT', '/network/v1/devices/+34610009999', { simActivatedAt: hoursAgo(1000) })
  })
  after(() => gw.close())
  const check = (body: unknown, t: string | null = token) =>
    gw.post('/sim-swap/v2/check', body, t ?? undefined, { 'x-correlator': CORRELATOR })
  const retrieve = (body: unknown, t = token) =>
    gw.post('/sim-swap/v2/retrieve-date', body, t, { 'x-correlator': CORRELATOR })
  const phone = (h: number) => `+3461000${String(h).padStart(4, '0')}`

  it('check 01/02: a swap within the default 240 hours is swapped true', async () => {
    const res = await check({ phoneNumber: phone(120) })
    assert.equal(res.status, 200)
    assert.equal(res.headers.get('content-type'), 'application/json; charset=utf-8')
    assert.equal(res.headers.get('x-correlator'), CORRELATOR)
    assert.equal(schemaErrors(FILE, 'CheckSimSwapInfo', res.body), '')
    assert.deepEqual(res.body, { swapped: true })
  })

  it('check 03: maxAge equal or greater than the hours since the swap → true', async () => {
    for (const h of [260, 120, 24, 12]) {
      assert.deepEqual(
        (await check({ phoneNumber: phone(h), maxAge: h + 1 })).body,
        { swapped: true },
        `h=${h}`,
      )
    }
  })

  it('check 04: a swap more than 240 hours ago with the default maxAge → false', async () => {
    assert.deepEqual((await check({ phoneNumber: phone(260) })).body, { swapped: false })
  })

  it('check 05: maxAge = hours since the swap minus 1 → false', async () => {
    assert.deepEqual((await check({ phoneNumber: phone(24), maxAge: 23 })).body, { swapped: false })
  })

  it('check 06/07: never swapped, activated 1000 hours ago → false, whatever maxAge', async () => {
    assert.deepEqual((await check({ phoneNumber: '+34610009999' })).body, { swapped: false })
    for (const h of [260, 120, 24, 12]) {
      assert.deepEqual(
        (await check({ phoneNumber: '+34610009999', maxAge: h - 1 })).body,
        { swapped: false },
        `maxAge=${h - 1}`,
      )
    }
  })

  it('check with a three-legged token and no phoneNumber reads the token subscriber', async () => {
    const t3 = await gw.token3(phone(5), 'sim-swap:check')
    assert.deepEqual((await check({ maxAge: 6 }, t3)).body, { swapped: true })
    assertError(await check({ phoneNumber: phone(5) }, t3), 422, 'UNNECESSARY_IDENTIFIER')
  })

  it('a new SIM counts as a swap: activated within maxAge, never swapped → true', async () => {
    // sim-swap 2.1.0: "New subscription is considered as a SIM swap as well".
    await gw.admin('PUT', '/network/v1/devices/+34610008888', { simActivatedAt: hoursAgo(30) })
    assert.deepEqual((await check({ phoneNumber: '+34610008888' })).body, { swapped: true })
    assert.deepEqual((await check({ phoneNumber: '+34610008888', maxAge: 31 })).body, {
      swapped: true,
    })
    assert.deepEqual((await check({ phoneNumber: '+34610008888', maxAge: 29 })).body, {
      swapped: false,
    })
    // A number without a SIM has had no change.
    assert.deepEqual((await check({ phoneNumber: '+34600000008' })).body, { swapped: false })
    // Nor one whose SIM went after a swap: no SIM, no latest change.
    await gw.admin('PUT', '/network/v1/devices/+34610007777', {
      simActivatedAt: hoursAgo(100),
      simSwappedAt: hoursAgo(2),
    })
    await gw.admin('PATCH', '/network/v1/devices/+34610007777', { simActivatedAt: null })
    assert.deepEqual((await check({ phoneNumber: '+34610007777' })).body, { swapped: false })
    assert.deepEqual((await retrieve({ phoneNumber: '+34610007777' })).body, {
      latestSimChange: null,
    })
  })

  it('check 400.1: maxAge not schema-compliant → 400 INVALID_ARGUMENT', async () => {
    // Below the schema's minimum of 1 too: OUT_OF_RANGE is for a maxAge above the limit (400.2).
    for (const maxAge of ['240', 1.5, null, true, 0, -1]) {
      assertError(await check({ phoneNumber: phone(5), maxAge }), 400, 'INVALID_ARGUMENT')
    }
  })

  it('check 400.2: maxAge 100000 (above 2400) → 400 OUT_OF_RANGE', async () => {
    assertError(await check({ phoneNumber: phone(5), maxAge: 100000 }), 400, 'OUT_OF_RANGE')
    assertError(await check({ phoneNumber: phone(5), maxAge: 2401 }), 400, 'OUT_OF_RANGE')
  })

  it('retrieve-date 01/02: the latest swap date', async () => {
    const res = await retrieve({ phoneNumber: phone(5) })
    assert.equal(res.status, 200)
    assert.equal(res.headers.get('content-type'), 'application/json; charset=utf-8')
    assert.equal(res.headers.get('x-correlator'), CORRELATOR)
    assert.equal(schemaErrors(FILE, 'SimSwapInfo', res.body), '')
    assert.ok(
      Math.abs(Date.parse(res.body.latestSimChange) - (Date.now() - 5 * 3_600_000)) < 60_000,
    )
  })

  it('retrieve-date 03: never swapped → the activation date', async () => {
    const device = await gw.admin('GET', '/network/v1/devices/+34610009999')
    assert.deepEqual((await retrieve({ phoneNumber: '+34610009999' })).body, {
      latestSimChange: device.body.simActivatedAt,
    })
  })

  it('retrieve-date 04: a number without SIM → latestSimChange null', async () => {
    const res = await retrieve({ phoneNumber: '+34600000008' })
    assert.deepEqual(res.body, { latestSimChange: null })
    assert.equal(schemaErrors(FILE, 'SimSwapInfo', res.body), '')
  })

  it('check C02: phone number errors (400, 404, 422 MISSING, 422 UNNECESSARY, 422 not applicable)', async () => {
    for (const phoneNumber of ['600000001', '+0123456', '+346000000011234567', 34600000001]) {
      assertError(await check({ phoneNumber }), 400, 'INVALID_ARGUMENT')
    }
    assertError(await check({ phoneNumber: '+99999999999' }), 404, 'IDENTIFIER_NOT_FOUND')
    assertError(await check({}), 422, 'MISSING_IDENTIFIER')
    assertError(await check({ maxAge: 24 }), 422, 'MISSING_IDENTIFIER')
    assertError(await check({ phoneNumber: '+34600000009' }), 422, 'SERVICE_NOT_APPLICABLE')
    const t3 = await gw.token3(phone(5), 'sim-swap:check')
    assertError(await check({ phoneNumber: phone(5) }, t3), 422, 'UNNECESSARY_IDENTIFIER')
    assertError(await check({ phoneNumber: phone(12) }, t3), 422, 'UNNECESSARY_IDENTIFIER')
  })

  it('retrieve-date C02: phone number errors (400, 404, 422 MISSING, 422 UNNECESSARY, 422 not applicable)', async () => {
    assertError(await retrieve({ phoneNumber: '600000001' }), 400, 'INVALID_ARGUMENT')
    assertError(await retrieve({ phoneNumber: '+99999999999' }), 404, 'IDENTIFIER_NOT_FOUND')
    assertError(await retrieve({}), 422, 'MISSING_IDENTIFIER')
    assertError(await retrieve({ phoneNumber: '+34600000009' }), 422, 'SERVICE_NOT_APPLICABLE')
    const t3 = await gw.token3(phone(5), 'sim-swap:retrieve-date')
    assertError(await retrieve({ phoneNumber: phone(5) }, t3), 422, 'UNNECESSARY_IDENTIFIER')
  })

  it('scopes: sim-swap:check, sim-swap:retrieve-date, or the API-wide sim-swap scope', async () => {
    const wide = await gw.token2('sim-swap')
    assert.equal((await check({ phoneNumber: phone(5) }, wide)).status, 200)
    assert.equal((await retrieve({ phoneNumber: phone(5) }, wide)).status, 200)
    const checkOnly = await gw.token2('sim-swap:check')
    assertError(await retrieve({ phoneNumber: phone(5) }, checkOnly), 403, 'PERMISSION_DENIED')
  })

  it('check 401: no token, expired token, malformed token', async () => {
    assertError(await check({ phoneNumber: phone(5) }, null), 401, 'UNAUTHENTICATED')
    const expired = await gw.token2('sim-swap', { ttl: 10, now: new Date(Date.now() - 60_000) })
    assertError(await check({ phoneNumber: phone(5) }, expired), 401, 'UNAUTHENTICATED')
    assertError(await check({ phoneNumber: phone(5) }, 'garbage'), 401, 'UNAUTHENTICATED')
  })

  it('retrieve-date 401: no token, expired token, malformed or forged token', async () => {
    const body = { phoneNumber: phone(5) }
    const send = (t?: string) =>
      gw.post('/sim-swap/v2/retrieve-date', body, t, { 'x-correlator': CORRELATOR })
    assertError(await send(), 401, 'UNAUTHENTICATED')
    const expired = await gw.token2('sim-swap:retrieve-date', {
      ttl: 10,
      now: new Date(Date.now() - 60_000),
    })
    assertError(await send(expired), 401, 'UNAUTHENTICATED')
    const forged = token.slice(0, -4) + (token.endsWith('AAAA') ? 'BBBB' : 'AAAA')
    for (const t of ['garbage', 'a.b.c', forged]) assertError(await send(t), 401, 'UNAUTHENTICATED')
  })
})

describe('sim-swap with a monitored period (SIM_SWAP_MONITORED_PERIOD)', () => {
  let gw: TestGateway
  let token: string
  before(async () => {
    gw = await startTestGateway({ SIM_SWAP_MONITORED_PERIOD: '30' })
    token = await gw.token2('sim-swap')
    await gw.admin('PUT', '/network/v1/devices/+34620000001', {
      simActivatedAt: hoursAgo(24 * 400),
    })
    await gw.admin('PUT', '/network/v1/devices/+34620000002', {
      simActivatedAt: hoursAgo(24 * 400),
      simSwappedAt: hoursAgo(24 * 40),
    })
    await gw.admin('PUT', '/network/v1/devices/+34620000003', {
      simActivatedAt: hoursAgo(24 * 400),
      simSwappedAt: hoursAgo(24 * 3),
    })
  })
  after(() => gw.close())

  it('check 400.3: maxAge above the monitored period → 400 OUT_OF_RANGE', async () => {
    const res = await gw.post(
      '/sim-swap/v2/check',
      { phoneNumber: '+34620000001', maxAge: 721 },
      token,
    )
    assertError(res, 400, 'OUT_OF_RANGE')
    assert.equal(
      (await gw.post('/sim-swap/v2/check', { phoneNumber: '+34620000001', maxAge: 720 }, token))
        .status,
      200,
    )
  })

  it('retrieve-date 05: a change before the window → null with monitoredPeriod', async () => {
    for (const phone of ['+34620000001', '+34620000002']) {
      const res = await gw.post('/sim-swap/v2/retrieve-date', { phoneNumber: phone }, token)
      assert.deepEqual(res.body, { latestSimChange: null, monitoredPeriod: 30 })
      assert.equal(schemaErrors(FILE, 'SimSwapInfo', res.body), '')
    }
    const recent = await gw.post(
      '/sim-swap/v2/retrieve-date',
      { phoneNumber: '+34620000003' },
      token,
    )
    assert.equal(typeof recent.body.latestSimChange, 'string')
  })
})
