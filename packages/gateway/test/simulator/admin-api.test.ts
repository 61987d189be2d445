import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { assertError } from '../helpers/device-api-suite.js'
import { startTestGateway, type TestGateway } from '../helpers/gateway.js'

describe('network simulator admin API', () => {
  let gw: TestGateway
  before(async () => {
    gw = await startTestGateway()
  })
  after(() => gw.close())

  it('needs the admin token: none, wrong, or an API access token are 401', async () => {
    const none = await fetch(gw.url + '/network/v1/devices')
    assert.equal(none.status, 401)
    assertError(
      await gw.admin('GET', '/network/v1/devices', undefined, 'wrong-token'),
      401,
      'UNAUTHENTICATED',
    )
    const apiToken = await gw.token2('device-roaming-status:read')
    assertError(
      await gw.admin('GET', '/network/v1/devices', undefined, apiToken),
      401,
      'UNAUTHENTICATED',
    )
    assertError(
      await gw.admin('PATCH', '/network/v1/devices/+34600000001', { roaming: false }, 'x'),
      401,
      'UNAUTHENTICATED',
    )
    // The scheme is case-insensitive.
    const lower = await fetch(gw.url + '/network/v1/devices', {
      headers: { authorization: `bearer ${gw.adminToken}` },
    })
    assert.equal(lower.status, 200)
  })

  it('lists the seeded demo devices', async () => {
    const res = await gw.admin('GET', '/network/v1/devices')
    assert.equal(res.status, 200)
    const phones = res.body.map((d: { phoneNumber: string }) => d.phoneNumber)
    for (const p of [
      '+34600000001',
      '+34600000002',
      '+34600000003',
      '+34600000004',
      '+34600000005',
      '+34600000006',
    ]) {
      assert.ok(phones.includes(p), p)
    }
    const de = res.body.find((d: { phoneNumber: string }) => d.phoneNumber === '+34600000002')
    assert.deepEqual(de.roaming, { countryCode: 262, countryName: ['DE'] })
  })

  it('PUT creates (201) and replaces (200) a device; GET reads it back', async () => {
    const state = {
      roaming: { countryCode: 208 },
      connectivity: ['SMS'],
      networkType: '3G',
      simActivatedAt: '2025-01-01T00:00:00Z',
      ipv4Address: { publicAddress: '203.0.113.5', publicPort: 4000 },
      ipv6Address: '2001:db8:1::5',
      networkAccessIdentifier: 'put-test@example.net',
    }
    const created = await gw.admin('PUT', '/network/v1/devices/+34699000001', state)
    assert.equal(created.status, 201, JSON.stringify(created.body))
    assert.equal(created.body.phoneNumber, '+34699000001')
    assert.deepEqual(created.body.roaming, { countryCode: 208, countryName: ['FR'] })
    assert.equal(created.body.simActivatedAt, '2025-01-01T00:00:00.000Z')
    const replaced = await gw.admin('PUT', '/network/v1/devices/+34699000001', { connectivity: [] })
    assert.equal(replaced.status, 200)
    assert.equal(replaced.body.roaming, false, 'PUT replaces: fields left out take their defaults')
    assert.equal(replaced.body.ipv4Address, undefined)
    const read = await gw.admin('GET', '/network/v1/devices/+34699000001')
    assert.deepEqual(read.body, replaced.body)
  })

  it('PATCH changes only the given fields and moves only the status time of the changed fact', async () => {
    const before = (await gw.admin('GET', '/network/v1/devices/+34600000001')).body
    await new Promise((r) => setTimeout(r, 5))
    const res = await gw.admin('PATCH', '/network/v1/devices/+34600000001', {
      connectivity: ['DATA'],
    })
    assert.equal(res.status, 200)
    assert.deepEqual(res.body.connectivity, ['DATA'])
    assert.deepEqual(res.body.roaming, before.roaming)
    assert.equal(res.body.networkType, before.networkType)
    assert.equal(res.body.lastStatusTime.roaming, before.lastStatusTime.roaming)
    assert.ok(res.body.lastStatusTime.connectivity > before.lastStatusTime.connectivity)
    const cleared = await gw.admin('PATCH', '/network/v1/devices/+34600000001', {
      networkType: null,
    })
    assert.equal(cleared.body.networkType, undefined)
  })

  it('every change is stored as a network event', async () => {
    await gw.admin('PUT', '/network/v1/devices/+34699000002', {})
    await gw.admin('PATCH', '/network/v1/devices/+34699000002', {
      roaming: { countryCode: 262 },
      connectivity: ['DATA'],
      networkType: '5G',
      simSwappedAt: new Date().toISOString(),
    })
    await gw.admin('DELETE', '/network/v1/devices/+34699000002')
    const res = await gw.admin('GET', '/network/v1/events?phoneNumber=%2B34699000002')
    assert.equal(res.status, 200)
    assert.deepEqual(
      res.body.map((e: { type: string }) => e.type),
      [],
      'a deleted device has no id to filter by any more',
    )
    const all = await gw.admin('GET', '/network/v1/events?limit=1000')
    const mine = all.body.filter((e: { phoneNumber: string }) => e.phoneNumber === '+34699000002')
    assert.deepEqual(
      mine.map((e: { type: string }) => e.type),
      ['device-added', 'roaming', 'connectivity', 'network-type', 'sim-swap', 'device-removed'],
    )
    const roaming = mine[1]
    assert.deepEqual(
      [roaming.before, roaming.after],
      [{ roamingCountryCode: null }, { roamingCountryCode: 262 }],
    )
    assert.ok(mine.every((e: { seq: number }, i: number) => i === 0 || e.seq > mine[i - 1].seq))
  })

  it('bad input is 400 INVALID_ARGUMENT with a clear message, and changes nothing', async () => {
    const before = (await gw.admin('GET', '/network/v1/devices/+34600000003')).body
    const hostile: unknown[] = [
      { roaming: { countryCode: 'DE' } },
      { roaming: true },
      { connectivity: ['WIFI'] },
      { connectivity: 'DATA' },
      { networkType: '6G' },
      { simSwappedAt: 'yesterday' },
      // A leap second passes the date-time format but is no storable time.
      { simSwappedAt: '2026-12-31T23:59:60Z' },
      { ipv4Address: { publicAddress: '300.1.1.1' } },
      { ipv6Address: 'not-an-ip' },
      { notApplicable: ['teleportation'] },
      { networkUnavailable: 'yes' },
      { roamin: false },
      [],
    ]
    for (const body of hostile) {
      const res = await gw.admin('PATCH', '/network/v1/devices/+34600000003', body)
      assertError(res, 400, 'INVALID_ARGUMENT')
    }
    const wrongPath = await gw.admin('GET', '/network/v1/devices/34600000003')
    assertError(wrongPath, 400, 'INVALID_ARGUMENT')
    assert.deepEqual((await gw.admin('GET', '/network/v1/devices/+34600000003')).body, before)
  })

  it('unknown devices are 404 NOT_FOUND on GET, PATCH and DELETE', async () => {
    assertError(await gw.admin('GET', '/network/v1/devices/+34699999999'), 404, 'NOT_FOUND')
    assertError(
      await gw.admin('PATCH', '/network/v1/devices/+34699999999', { roaming: false }),
      404,
      'NOT_FOUND',
    )
    assertError(await gw.admin('DELETE', '/network/v1/devices/+34699999999'), 404, 'NOT_FOUND')
  })

  it('identifiers held by another device are 409 ALREADY_EXISTS', async () => {
    const res = await gw.admin('PUT', '/network/v1/devices/+34699000003', {
      networkAccessIdentifier: '34600000001@example.net',
    })
    assertError(res, 409, 'ALREADY_EXISTS')
    const ip6 = await gw.admin('PUT', '/network/v1/devices/+34699000003', {
      ipv6Address: '2001:db8:85a3:8d3::42',
    })
    assertError(ip6, 409, 'ALREADY_EXISTS')
    assertError(await gw.admin('GET', '/network/v1/devices/+34699000003'), 404, 'NOT_FOUND')
  })

  it('devices behind one public IPv4 address must stay distinguishable (409 otherwise)', async () => {
    const put = (phone: string, ipv4Address: Record<string, unknown>) =>
      gw.admin('PUT', `/network/v1/devices/${encodeURIComponent(phone)}`, { ipv4Address })
    const address = '203.0.113.50'
    // Different private addresses (a carrier-grade NAT): both fine.
    assert.equal(
      (await put('+34699100001', { publicAddress: address, privateAddress: '10.1.0.1' })).status,
      201,
    )
    assert.equal(
      (await put('+34699100002', { publicAddress: address, privateAddress: '10.1.0.2' })).status,
      201,
    )
    // The same private address, or none at all while nobody has a port: refused, either order.
    assertError(
      await put('+34699100003', { publicAddress: address, privateAddress: '10.1.0.1' }),
      409,
      'ALREADY_EXISTS',
    )
    assertError(await put('+34699100003', { publicAddress: address }), 409, 'ALREADY_EXISTS')
    // Ports tell devices apart; the same port twice does not.
    const other = '203.0.113.51'
    assert.equal((await put('+34699100004', { publicAddress: other })).status, 201)
    assertError(
      await put('+34699100005', { publicAddress: other, privateAddress: '10.2.0.1' }),
      409,
      'ALREADY_EXISTS',
    )
    assert.equal(
      (await put('+34699100005', { publicAddress: other, publicPort: 4000 })).status,
      201,
    )
    assertError(
      await put('+34699100006', { publicAddress: other, publicPort: 4000 }),
      409,
      'ALREADY_EXISTS',
    )
    // Each stays reachable through the API: the device without a port by any other port.
    const token = await gw.token2('device-roaming-status:read')
    const who = async (ipv4Address: Record<string, unknown>) =>
      (await gw.post('/device-roaming-status/v1/retrieve', { device: { ipv4Address } }, token))
        .status
    assert.equal(await who({ publicAddress: address, privateAddress: '10.1.0.2' }), 200)
    assert.equal(await who({ publicAddress: other, publicPort: 4000 }), 200)
    assert.equal(await who({ publicAddress: other, publicPort: 5000 }), 200)
  })

  it('DELETE removes the device: the APIs then answer 404 IDENTIFIER_NOT_FOUND', async () => {
    await gw.admin('PUT', '/network/v1/devices/+34699000004', {})
    assert.equal((await gw.admin('DELETE', '/network/v1/devices/+34699000004')).status, 204)
    const token = await gw.token2('device-roaming-status:read')
    const res = await gw.post(
      '/device-roaming-status/v1/retrieve',
      { device: { phoneNumber: '+34699000004' } },
      token,
    )
    assertError(res, 404, 'IDENTIFIER_NOT_FOUND')
  })
})
