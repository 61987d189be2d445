import assert from 'node:assert/strict'
import { Writable } from 'node:stream'
import { after, before, beforeEach, describe, it } from 'node:test'
import { ConfigError, loadConfig } from '../../src/config.js'
import { CORRELATOR, startTestGateway, type TestGateway } from '../helpers/gateway.js'
import { FakeNef, nefEnv } from './fake-nef.js'

const ROAMING = '/device-roaming-status/v1/retrieve'
const REACHABILITY = '/device-reachability-status/v1/retrieve'
const SCOPES = 'device-roaming-status:read device-reachability-status:read'

describe('NEF configuration: every bad NEF_* variable named at start', () => {
  const base = { NETWORK: 'nef', NEF_BASE_URL: 'http://127.0.0.1:1', NEF_SCS_AS_ID: 'gw' }
  const cases: [string, Record<string, string | undefined>, RegExp][] = [
    ['unknown network', { NETWORK: 'core' }, /NETWORK must be "simulator" or "nef"/],
    ['no base URL', { NEF_BASE_URL: undefined }, /NEF_BASE_URL is required with NETWORK=nef/],
    [
      'base URL not http',
      { NEF_BASE_URL: 'ftp://nef' },
      /NEF_BASE_URL must be an absolute http\(s\) URL/,
    ],
    ['base URL with a query', { NEF_BASE_URL: 'http://nef/?a=1' }, /NEF_BASE_URL must be/],
    ['no SCS/AS id', { NEF_SCS_AS_ID: undefined }, /NEF_SCS_AS_ID is required/],
    [
      'token URL without client',
      { NEF_TOKEN_URL: 'http://as/token' },
      /NEF_TOKEN_URL, NEF_CLIENT_ID and NEF_CLIENT_SECRET go together/,
    ],
    [
      'static token and OAuth',
      {
        NEF_TOKEN_URL: 'http://as/token',
        NEF_CLIENT_ID: 'a',
        NEF_CLIENT_SECRET: 'b',
        NEF_TOKEN: 't',
      },
      /NEF_TOKEN and NEF_TOKEN_URL exclude each other/,
    ],
    ['timeout out of range', { NEF_TIMEOUT_MS: '5' }, /NEF_TIMEOUT_MS must be an integer from 100/],
    [
      'unknown identifier kind',
      { NEF_IDENTIFIERS: 'msisdn,imsi' },
      /NEF_IDENTIFIERS must list some of/,
    ],
    [
      'callback URL not absolute',
      { NEF_CALLBACK_URL: '/nef' },
      /NEF_CALLBACK_URL must be an absolute/,
    ],
  ]
  for (const [name, env, message] of cases) {
    it(name, () => {
      assert.throws(
        () => loadConfig({ ...base, ...env }),
        (error: unknown) => error instanceof ConfigError && message.test(error.message),
      )
    })
  }

  it('a valid NEF configuration, with defaults', () => {
    const config = loadConfig(base)
    assert.equal(config.network, 'nef')
    assert.deepEqual(config.nef, {
      baseUrl: 'http://127.0.0.1:1',
      scsAsId: 'gw',
      credentials: { kind: 'none' },
      callbackUrl: undefined,
      timeoutMs: 5000,
      identifiers: ['msisdn', 'externalId', 'ipv4Addr', 'ipv6Addr'],
      checkIntervalMs: 60_000,
    })
    assert.equal(loadConfig({}).nef, undefined)
  })
})

describe('NEF mode: retrieve through a NEF', () => {
  let nef: FakeNef
  let gw: TestGateway
  let token: string
  const logs: Record<string, unknown>[] = []
  before(async () => {
    nef = await new FakeNef().start()
    const stream = new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString().split('\n').filter(Boolean))
          logs.push(JSON.parse(line) as Record<string, unknown>)
        done()
      },
    })
    gw = await startTestGateway(
      nefEnv(nef, { NEF_TIMEOUT_MS: '1500', NEF_TOKEN: 'static-nef-token' }),
      {
        logger: { level: 'info', stream },
      },
    )
    token = await gw.token2(SCOPES)
  })
  after(async () => {
    await gw.close()
    await nef.stop()
  })
  beforeEach(() => {
    nef.fault = { kind: 'none' }
    nef.ues.clear()
  })

  const roaming = (device: unknown = { phoneNumber: '+34600000001' }) =>
    gw.post(ROAMING, { device }, token, { 'x-correlator': CORRELATOR })
  const reachability = (device: unknown = { phoneNumber: '+34600000001' }) =>
    gw.post(REACHABILITY, { device }, token, { 'x-correlator': CORRELATOR })

  it('roaming: a one-time ROAMING_STATUS request with plmnIndication; the MCC names the country', async () => {
    nef.ues.set('34600000001', { roamingMcc: '262', reachable: ['DATA'] })
    const res = await roaming()
    assert.equal(res.status, 200, JSON.stringify(res.body))
    assert.equal(res.body.roaming, true)
    assert.equal(res.body.countryCode, 262)
    assert.deepEqual(res.body.countryName, ['DE'])
    assert.deepEqual(res.body.device, { phoneNumber: '+34600000001' })
    const sent = nef.calls('POST').at(-1)
    assert.equal(sent?.path, '/3gpp-monitoring-event/v1/gw-test/subscriptions')
    assert.equal(sent?.headers.authorization, 'Bearer static-nef-token')
    assert.deepEqual(
      { ...sent?.body, notificationDestination: undefined },
      {
        msisdn: '34600000001',
        notificationDestination: undefined,
        monitoringType: 'ROAMING_STATUS',
        plmnIndication: true,
        maximumNumberOfReports: 1,
      },
    )
  })

  it('roaming: at home', async () => {
    nef.ues.set('34600000001', { roamingMcc: null, reachable: [] })
    const res = await roaming()
    assert.equal(res.status, 200)
    assert.equal(res.body.roaming, false)
    assert.equal(res.body.countryCode, undefined)
  })

  const reachabilityCases: [FakeUeReach, { reachable: boolean; connectivity?: string[] }][] = [
    [['DATA', 'SMS'], { reachable: true, connectivity: ['DATA', 'SMS'] }],
    [['SMS'], { reachable: true, connectivity: ['SMS'] }],
    [['DATA'], { reachable: true, connectivity: ['DATA'] }],
    [[], { reachable: false }],
  ]
  for (const [reachable, expected] of reachabilityCases) {
    it(`reachability: UE reachable for [${reachable.join(', ')}]`, async () => {
      nef.ues.set('34600000001', { roamingMcc: null, reachable })
      const res = await reachability()
      assert.equal(res.status, 200, JSON.stringify(res.body))
      assert.equal(res.body.reachable, expected.reachable)
      assert.deepEqual(res.body.connectivity, expected.connectivity)
      const asked = nef
        .calls('POST')
        .slice(-3)
        .map((r) => `${r.body.monitoringType}/${r.body.reachabilityType ?? ''}`)
        .sort()
      assert.deepEqual(asked, [
        'LOSS_OF_CONNECTIVITY/',
        'UE_REACHABILITY/DATA',
        'UE_REACHABILITY/SMS',
      ])
    })
  }

  it('identifiers go as the NEF takes them: ipv4Addr, ipv6Addr', async () => {
    nef.fault = { kind: 'status', status: 404 }
    await roaming({ ipv4Address: { publicAddress: '84.125.93.10', publicPort: 59765 } })
    assert.equal(nef.calls('POST').at(-1)?.body.ipv4Addr, '84.125.93.10')
    await roaming({ ipv6Address: '2001:db8:85a3:8d3:1319:8a2e:370:7344' })
    assert.equal(nef.calls('POST').at(-1)?.body.ipv6Addr, '2001:db8:85a3:8d3:1319:8a2e:370:7344')
  })

  const faults: [string, () => void, number, string][] = [
    [
      'NEF 404 for the UE',
      () => (nef.fault = { kind: 'status', status: 404, problem: { cause: 'UE_NOT_FOUND' } }),
      404,
      'IDENTIFIER_NOT_FOUND',
    ],
    [
      'NEF 403',
      () =>
        (nef.fault = { kind: 'status', status: 403, problem: { cause: 'REQUEST_NOT_AUTHORIZED' } }),
      403,
      'PERMISSION_DENIED',
    ],
    ['NEF 429', () => (nef.fault = { kind: 'status', status: 429 }), 429, 'TOO_MANY_REQUESTS'],
    ['NEF 500', () => (nef.fault = { kind: 'status', status: 500 }), 503, 'UNAVAILABLE'],
    ['NEF 503', () => (nef.fault = { kind: 'status', status: 503 }), 503, 'UNAVAILABLE'],
    [
      'NEF 400 (a request it does not take)',
      () => (nef.fault = { kind: 'status', status: 400 }),
      503,
      'UNAVAILABLE',
    ],
    [
      'NEF slower than NEF_TIMEOUT_MS',
      () => (nef.fault = { kind: 'slow', ms: 6000 }),
      504,
      'TIMEOUT',
    ],
  ]
  for (const [name, arrange, status, code] of faults) {
    it(`fault: ${name} → ${status} ${code}, the NEF's ProblemDetails only in the log, with the correlator`, async () => {
      nef.ues.set('34600000001', { roamingMcc: '262', reachable: ['DATA'] })
      arrange()
      logs.length = 0
      for (const call of [roaming, reachability]) {
        const res = await call()
        assert.equal(res.status, status, JSON.stringify(res.body))
        assert.deepEqual(Object.keys(res.body).sort(), ['code', 'message', 'status'])
        assert.equal(res.body.code, code)
        assert.equal(res.headers.get('x-correlator'), CORRELATOR)
        assert.ok(!JSON.stringify(res.body).includes('secret NEF internals'))
      }
      const logged = logs.filter((l) => l['upstream'] !== undefined)
      assert.ok(logged.length >= 2, JSON.stringify(logs))
      assert.ok(logged.every((l) => l['correlator'] === CORRELATOR))
      if (status !== 504) assert.ok(JSON.stringify(logged).includes('secret NEF internals'))
    })
  }

  it('a NEF that says roaming without the serving PLMN: 503 UNAVAILABLE, no invented country', async () => {
    nef.ues.set('34600000001', { roamingMcc: 'x', reachable: [] })
    const res = await roaming()
    assert.equal(res.status, 503)
    assert.equal(res.body.code, 'UNAVAILABLE')
  })

  it('fault: NEF down → 503 UNAVAILABLE', async () => {
    const down = await startTestGateway({
      NETWORK: 'nef',
      NEF_BASE_URL: 'http://127.0.0.1:9',
      NEF_SCS_AS_ID: 'gw',
    })
    try {
      const t = await down.token2(SCOPES)
      const res = await down.post(ROAMING, { device: { phoneNumber: '+34600000001' } }, t)
      assert.deepEqual(res.body, {
        status: 503,
        code: 'UNAVAILABLE',
        message: 'The network could not be reached for this device. Try again later.',
      })
    } finally {
      await down.close()
    }
  })
})

type FakeUeReach = ('DATA' | 'SMS')[]

describe('NEF mode: OAuth 2.0 client credentials for the NEF', () => {
  let nef: FakeNef
  let gw: TestGateway
  before(async () => {
    nef = await new FakeNef().start()
    nef.ues.set('34600000001', { roamingMcc: null, reachable: ['DATA'] })
    gw = await startTestGateway(
      nefEnv(nef, {
        NEF_TOKEN_URL: `${nef.url}/token`,
        NEF_CLIENT_ID: 'gateway',
        NEF_CLIENT_SECRET: 's3cret',
      }),
    )
  })
  after(async () => {
    await gw.close()
    await nef.stop()
  })

  it('the token is fetched once (client_secret_basic), cached until it expires, and sent as a bearer token', async () => {
    const token = await gw.token2(SCOPES)
    for (let i = 0; i < 3; i++) {
      const res = await gw.post(ROAMING, { device: { phoneNumber: '+34600000001' } }, token)
      assert.equal(res.status, 200, JSON.stringify(res.body))
    }
    const tokenRequests = nef.requests.filter((r) => r.path === '/token')
    assert.equal(tokenRequests.length, 1)
    assert.equal(
      tokenRequests[0]?.headers.authorization,
      `Basic ${Buffer.from('gateway:s3cret').toString('base64')}`,
    )
    assert.equal(tokenRequests[0]?.body, 'grant_type=client_credentials')
    assert.ok(nef.calls('POST').every((r) => r.headers.authorization === 'Bearer nef-token-1'))
  })

  it('a NEF that refuses the token (401): a new token, and the request again', async () => {
    const token = await gw.token2(SCOPES)
    nef.fault = { kind: 'status', status: 401 }
    const res = await gw.post(ROAMING, { device: { phoneNumber: '+34600000001' } }, token)
    nef.fault = { kind: 'none' }
    assert.equal(res.status, 503)
    assert.equal(nef.requests.filter((r) => r.path === '/token').length, 2)
    const ok = await gw.post(ROAMING, { device: { phoneNumber: '+34600000001' } }, token)
    assert.equal(ok.status, 200)
    assert.equal(nef.calls('POST').at(-1)?.headers.authorization, 'Bearer nef-token-2')
  })
})

describe('NEF mode: identifiers the NEF does not take, and what a NEF cannot answer', () => {
  let nef: FakeNef
  let gw: TestGateway
  before(async () => {
    nef = await new FakeNef().start()
    gw = await startTestGateway(nefEnv(nef, { NEF_IDENTIFIERS: 'msisdn' }))
  })
  after(async () => {
    await gw.close()
    await nef.stop()
  })

  it('an identifier kind not in NEF_IDENTIFIERS is 422 UNSUPPORTED_IDENTIFIER, and the NEF is not asked', async () => {
    const token = await gw.token2(SCOPES)
    const before = nef.requests.length
    for (const device of [
      { ipv4Address: { publicAddress: '84.125.93.10', publicPort: 59765 } },
      { ipv6Address: '2001:db8::1' },
    ]) {
      const res = await gw.post(ROAMING, { device }, token)
      assert.equal(res.status, 422)
      assert.equal(res.body.code, 'UNSUPPORTED_IDENTIFIER')
    }
    assert.equal(nef.requests.length, before)
  })

  it('sim-swap and connected-network-type are not offered: 404 on their routes, not in /docs, their scopes not in discovery', async () => {
    const token = await gw.token2('sim-swap:retrieve-date connected-network-type:read')
    for (const path of [
      '/sim-swap/v2/retrieve-date',
      '/connected-network-type/v0.2/retrieve',
      '/sim-swap-subscriptions/v0.3/subscriptions',
      '/connected-network-type-subscriptions/v0.2/subscriptions',
    ]) {
      const res = await gw.post(path, { phoneNumber: '+34600000001' }, token)
      assert.equal(res.status, 404, path)
      assert.equal(res.body.code, 'NOT_FOUND')
    }
    const specs = (await gw.request('GET', '/docs/specs')).body as { url: string }[]
    assert.ok(
      specs.every((s) => !/sim-swap|connected-network-type/.test(s.url)),
      JSON.stringify(specs),
    )
    assert.ok(specs.some((s) => s.url.includes('device-roaming-status')))
    const discovery = (await gw.request('GET', '/.well-known/openid-configuration')).body
    const scopes = discovery.scopes_supported as string[]
    assert.ok(scopes.includes('device-roaming-status:read'))
    assert.ok(!scopes.some((s) => /sim-swap|connected-network-type/.test(s)), scopes.join(' '))
    // No simulator either: its admin API is not there, nor in the admin API's document.
    const devices = await gw.admin('GET', '/network/v1/devices')
    assert.equal(devices.status, 404)
    const admin = (await gw.request('GET', '/docs/specs/admin.json')).body as {
      paths: Record<string, unknown>
    }
    assert.ok(Object.keys(admin.paths).every((p) => !p.startsWith('/network/v1/')))
    assert.ok(Object.keys(admin.paths).some((p) => p.startsWith('/admin/v1/')))
  })
})
