import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { assertError } from '../helpers/device-api-suite.js'
import { startTestGateway, type TestGateway } from '../helpers/gateway.js'
import { Receiver } from '../helpers/receiver.js'
import { eventsOf } from '../helpers/subscription-api-suite.js'

const API = 'device-roaming-status-subscriptions'
const PREFIX = `org.camaraproject.${API}.v0.`
const PATH = `/${API}/v0.8/subscriptions`
const SCOPES = `${API}:${PREFIX}roaming-on:create ${API}:read ${API}:delete`
const ADMIN_TOKEN = 'sink-lifecycle-admin-token-0123'
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

const request = (sink: string, phoneNumber: string, sinkCredential?: Record<string, unknown>) => ({
  protocol: 'HTTP',
  sink,
  ...(sinkCredential === undefined ? {} : { sinkCredential }),
  types: [PREFIX + 'roaming-on'],
  config: { subscriptionDetail: { device: { phoneNumber } } },
})

const bearer = (accessToken: string, expiresInMs: number) => ({
  credentialType: 'ACCESSTOKEN',
  accessToken,
  accessTokenExpiresUtc: new Date(Date.now() + expiresInMs).toISOString(),
  accessTokenType: 'bearer',
})

describe('subscription endings by the sink: token expiry (ACCESS_TOKEN_EXPIRED) and 410 Gone', () => {
  let gw: TestGateway
  let sink: Receiver
  let token: string
  before(async () => {
    gw = await startTestGateway({ NOTIFY_BACKOFF_MS: '50' })
    sink = await new Receiver().start()
    token = await gw.token2(SCOPES)
  })
  after(async () => {
    await gw.close()
    await sink.stop()
  })

  it('a sink token about to expire ends the subscription with subscription-ended ACCESS_TOKEN_EXPIRED, sent with that token', async () => {
    await gw.admin('PUT', '/network/v1/devices/+34612500001', {})
    // The gateway ends a subscription a minute before its sink token expires.
    const expiring = await gw.post(
      PATH,
      request(sink.url, '+34612500001', bearer('short-lived', 30_000)),
      token,
    )
    assert.equal(expiring.status, 201, JSON.stringify(expiring.body))
    const lasting = await gw.post(
      PATH,
      request(sink.url, '+34612500001', bearer('long-lived', 3_600_000)),
      token,
    )
    assert.equal(lasting.status, 201, JSON.stringify(lasting.body))

    // subscription-started, then subscription-ended, both with the sink token of that subscription.
    const [started, ended] = await eventsOf(sink, expiring.body.id, 2)
    assert.equal(started?.body.type, PREFIX + 'subscription-started')
    assert.equal(started?.headers['authorization'], 'Bearer short-lived')
    assert.equal(ended?.body.type, PREFIX + 'subscription-ended')
    assert.deepEqual(ended?.body.data, {
      device: { phoneNumber: '+34612500001' },
      subscriptionId: expiring.body.id,
      terminationReason: 'ACCESS_TOKEN_EXPIRED',
      terminationDescription: 'The access token of the sink is about to expire.',
    })
    assert.equal(ended?.headers['authorization'], 'Bearer short-lived')
    assertError(await gw.request('GET', `${PATH}/${expiring.body.id}`, token), 404, 'NOT_FOUND')
    const row = await gw.store.subscriptions.byId(expiring.body.id)
    assert.deepEqual(
      [row?.status, row?.terminationReason],
      ['EXPIRED', 'ACCESS_TOKEN_EXPIRED'],
      'EXPIRED, as the spec says for ACCESS_TOKEN_EXPIRED',
    )

    // The other one lives on and gets the next event; the ended one gets nothing more.
    assert.equal(
      (await gw.request('GET', `${PATH}/${lasting.body.id}`, token)).body.status,
      'ACTIVE',
    )
    await gw.admin('PATCH', '/network/v1/devices/+34612500001', { roaming: { countryCode: 208 } })
    const [lastingStarted, on] = await eventsOf(sink, lasting.body.id, 2)
    assert.equal(lastingStarted?.body.type, PREFIX + 'subscription-started')
    assert.equal(on?.body.type, PREFIX + 'roaming-on')
    assert.equal(on?.headers['authorization'], 'Bearer long-lived')
    assert.deepEqual(
      sink.received
        .filter((e) => e.body?.data?.subscriptionId === expiring.body.id)
        .map((e) => e.body.type.slice(PREFIX.length)),
      ['subscription-started', 'subscription-ended'],
    )
    await gw.request('DELETE', `${PATH}/${lasting.body.id}`, token)
  })

  it('a 410 to the subscription-ended of an expired subscription leaves its ending as it was', async () => {
    const gone = await new Receiver().start()
    gone.respond = (event) => (event.type === PREFIX + 'subscription-ended' ? 410 : 204)
    try {
      await gw.admin('PUT', '/network/v1/devices/+34612500003', {})
      const created = await gw.post(
        PATH,
        {
          ...request(gone.url, '+34612500003'),
          config: {
            subscriptionDetail: { device: { phoneNumber: '+34612500003' } },
            subscriptionExpireTime: new Date(Date.now() + 1500).toISOString(),
          },
        },
        token,
      )
      assert.equal(created.status, 201, JSON.stringify(created.body))
      const id = created.body.id as string
      let failed: unknown[] = []
      for (let i = 0; i < 200 && failed.length === 0; i++) {
        await sleep(25)
        failed = (await gw.admin('GET', `/admin/v1/deliveries?status=failed&subscriptionId=${id}`))
          .body
      }
      assert.equal(failed.length, 1, 'the subscription-ended was answered 410')
      const row = await gw.store.subscriptions.byId(id)
      assert.deepEqual([row?.status, row?.terminationReason], ['EXPIRED', 'SUBSCRIPTION_EXPIRED'])
    } finally {
      await gone.stop()
    }
  })

  it('a sink answering 429 with Retry-After is left alone that long before the retry', async () => {
    const busy = await new Receiver().start()
    const times: number[] = []
    busy.respond = () => {
      times.push(Date.now())
      return times.length === 1 ? { status: 429, headers: { 'retry-after': '2' } } : 204
    }
    try {
      await gw.admin('PUT', '/network/v1/devices/+34612500004', {})
      const created = await gw.post(PATH, request(busy.url, '+34612500004'), token)
      assert.equal(created.status, 201, JSON.stringify(created.body))
      for (let i = 0; i < 200 && times.length < 2; i++) await sleep(25)
      assert.equal(times.length, 2, 'retried')
      // NOTIFY_BACKOFF_MS is 50 here: only the sink's Retry-After explains the wait.
      assert.ok(
        (times[1] ?? 0) - (times[0] ?? 0) >= 1900,
        `${(times[1] ?? 0) - (times[0] ?? 0)} ms`,
      )
    } finally {
      await busy.stop()
    }
  })

  it('a sink answering 410 Gone ends the subscription at once: no retry, no subscription-ended', async () => {
    const gone = await new Receiver().start()
    let calls = 0
    // The sink takes the subscription-started, then answers the first state event with 410.
    gone.respond = (event) => {
      calls++
      return event.type === PREFIX + 'subscription-started' ? 204 : 410
    }
    try {
      await gw.admin('PUT', '/network/v1/devices/+34612500002', {})
      const created = await gw.post(PATH, request(gone.url, '+34612500002'), token)
      assert.equal(created.status, 201, JSON.stringify(created.body))
      const id = created.body.id as string
      await gw.admin('PATCH', '/network/v1/devices/+34612500002', { roaming: { countryCode: 208 } })
      let failed: { attempts: number; lastError: string }[] = []
      for (let i = 0; i < 100 && failed.length === 0; i++) {
        await sleep(25)
        failed = (await gw.admin('GET', `/admin/v1/deliveries?status=failed&subscriptionId=${id}`))
          .body
      }
      assert.deepEqual(
        failed.map((d) => [d.attempts, d.lastError]),
        [[1, 'sink answered 410']],
      )
      // The subscription ends in the transaction that settled the delivery.
      assertError(await gw.request('GET', `${PATH}/${id}`, token), 404, 'NOT_FOUND')
      const row = await gw.store.subscriptions.byId(id)
      assert.equal(row?.status, 'DELETED')
      // Nothing more is sent to it, not even a subscription-ended.
      await gw.admin('PATCH', '/network/v1/devices/+34612500002', { roaming: false })
      await sleep(300)
      assert.equal(calls, 2)
      assert.deepEqual(
        gone.received.map((e) => e.body.type),
        [PREFIX + 'subscription-started'],
      )
      const all = (await gw.admin('GET', `/admin/v1/deliveries?subscriptionId=${id}`)).body
      assert.deepEqual(
        all.map((d: { type: string; status: string }) => [d.type, d.status]).sort(),
        [
          [PREFIX + 'roaming-on', 'failed'],
          [PREFIX + 'subscription-started', 'delivered'],
        ],
      )
    } finally {
      await gone.stop()
    }
  })
})

describe('sink policy outside the sandbox (SSRF)', () => {
  const gateways: TestGateway[] = []
  after(async () => {
    for (const g of gateways) await g.close()
  })

  /**
   * Accepted sinks are names that resolve to the address under test once, at creation; afterwards
   * (the delivery of their subscription-started) they resolve to loopback, which production
   * refuses at connect time. So nothing is ever sent off this machine.
   */
  const ADDRESSES: Record<string, string> = {
    'public.sink.test': '8.8.8.8',
    'ten.sink.test': '10.1.2.3',
    'one-seven-two.sink.test': '172.20.0.5',
    'link-local.sink.test': '169.254.10.10',
    'ula.sink.test': 'fd00::1',
  }
  async function production(env: Record<string, string> = {}) {
    const resolved = new Set<string>()
    const resolveSinkHost = async (host: string): Promise<string[]> => {
      const address = ADDRESSES[host]
      if (address === undefined || resolved.has(host)) return ['127.0.0.1']
      resolved.add(host)
      return [address]
    }
    const g = await startTestGateway(
      { DS_MODE: 'production', ADMIN_TOKEN, ...env },
      { resolveSinkHost },
    )
    gateways.push(g)
    const put = await g.admin('PUT', '/network/v1/devices/+34612500003', {})
    assert.ok(put.status < 300, JSON.stringify(put.body))
    const t = await g.token2(SCOPES)
    return (sink: string) => g.post(PATH, request(sink, '+34612500003'), t)
  }

  it('production: loopback, private and link-local sinks are refused (400 INVALID_SINK); a public https one is taken', async () => {
    const create = await production()
    for (const sink of [
      'http://127.0.0.1:9/notify',
      'https://127.0.0.1/notify',
      'https://localhost/notify',
      'https://[::1]/notify',
      'https://10.1.2.3/notify',
      'https://192.168.1.10/notify',
      'https://169.254.169.254/latest/meta-data',
      'https://[fe80::1]/notify',
      'https://[fd00::1]/notify',
      'https://[::ffff:10.0.0.1]/notify',
      'http://203.0.113.10/notify',
    ]) {
      assertError(await create(sink), 400, 'INVALID_SINK')
    }
    // A name resolving to a public address (then to loopback, refused at connect: nothing leaves).
    const accepted = await create('https://public.sink.test/notify')
    assert.equal(accepted.status, 201, JSON.stringify(accepted.body))
  })

  it('production with SINK_ALLOW_PRIVATE: private and link-local sinks taken, loopback still refused', async () => {
    const create = await production({ SINK_ALLOW_PRIVATE: 'true' })
    for (const sink of [
      'https://ten.sink.test/notify',
      'https://one-seven-two.sink.test/notify',
      'https://link-local.sink.test/notify',
      'https://ula.sink.test/notify',
    ]) {
      const res = await create(sink)
      assert.equal(res.status, 201, `${sink}: ${JSON.stringify(res.body)}`)
    }
    for (const sink of ['https://127.0.0.1/notify', 'http://10.1.2.3/notify'])
      assertError(await create(sink), 400, 'INVALID_SINK')
  })
})
