import assert from 'node:assert/strict'
import { Agent, request as httpRequest } from 'node:http'
import { after, before, describe, it } from 'node:test'
import { assertError } from '../helpers/device-api-suite.js'
import { startTestGateway, type TestGateway } from '../helpers/gateway.js'

const ROAMING = '/device-roaming-status/v1/retrieve'
const SUBSCRIPTIONS = '/device-roaming-status-subscriptions/v0.8/subscriptions'
const PREFIX = 'org.camaraproject.device-roaming-status-subscriptions.v0.'

describe('request edges: every refusal a CAMARA body, nothing stored garbled', () => {
  let gw: TestGateway
  let token: string
  before(async () => {
    gw = await startTestGateway()
    token = await gw.token2(
      `device-roaming-status:read device-roaming-status-subscriptions:${PREFIX}roaming-on:create ` +
        'device-roaming-status-subscriptions:read device-roaming-status-subscriptions:delete',
    )
  })
  after(() => gw.close())

  const raw = async (
    method: string,
    path: string,
    headers: Record<string, string>,
    body?: string,
  ) => {
    const res = await fetch(gw.url + path, {
      method,
      headers: { authorization: `Bearer ${token}`, ...headers },
      ...(body === undefined ? {} : { body }),
    })
    const text = await res.text()
    return {
      status: res.status,
      headers: res.headers,
      body: text === '' ? undefined : JSON.parse(text),
    }
  }

  it('a DELETE sent with Content-Type: application/json and no body is a DELETE (test definitions)', async () => {
    const created = await gw.post(
      SUBSCRIPTIONS,
      {
        protocol: 'HTTP',
        sink: 'http://127.0.0.1:9/sink',
        types: [PREFIX + 'roaming-on'],
        config: { subscriptionDetail: { device: { phoneNumber: '+34600000001' } } },
      },
      token,
    )
    assert.equal(created.status, 201, JSON.stringify(created.body))
    const deleted = await raw('DELETE', `${SUBSCRIPTIONS}/${created.body.id}`, {
      'content-type': 'application/json',
    })
    assert.equal(deleted.status, 204, JSON.stringify(deleted.body))
    // An operation that takes a body still needs one.
    const empty = await raw('POST', ROAMING, { 'content-type': 'application/json' }, '')
    assertError(empty, 400, 'INVALID_ARGUMENT')
  })

  it('JSON in another charset is refused, not stored garbled', async () => {
    const latin1 = await raw(
      'POST',
      '/admin/v1/apps',
      {
        'content-type': 'application/json; charset=iso-8859-1',
        authorization: `Bearer ${gw.adminToken}`,
      },
      JSON.stringify({ name: 'Café' }),
    )
    assertError(latin1, 400, 'INVALID_ARGUMENT')
    assert.match(latin1.body.message, /UTF-8/)
    const utf8 = await raw(
      'POST',
      ROAMING,
      { 'content-type': 'application/json; charset=UTF-8' },
      JSON.stringify({ device: { phoneNumber: '+34600000002' } }),
    )
    assert.equal(utf8.status, 200)
  })

  it('a NUL character, a leap second, a huge subscriptionMaxEvents: never a 500', async () => {
    const nul = await raw(
      'POST',
      '/admin/v1/apps',
      { 'content-type': 'application/json', authorization: `Bearer ${gw.adminToken}` },
      '{"name":"a\\u0000b"}',
    )
    assertError(nul, 400, 'INVALID_ARGUMENT')
    const subscription = (config: Record<string, unknown>) =>
      gw.post(
        SUBSCRIPTIONS,
        {
          protocol: 'HTTP',
          sink: 'http://127.0.0.1:9/sink',
          types: [PREFIX + 'roaming-on'],
          config: { subscriptionDetail: { device: { phoneNumber: '+34600000001' } }, ...config },
        },
        token,
      )
    assertError(
      await subscription({ subscriptionExpireTime: '2030-12-31T23:59:60Z' }),
      400,
      'INVALID_ARGUMENT',
    )
    // No upper bound in the spec: a count beyond what a column holds is as good as no limit.
    for (const max of [2 ** 31, 1e300]) {
      const huge = await subscription({ subscriptionMaxEvents: max })
      assert.equal(huge.status, 201, JSON.stringify(huge.body))
    }
  })

  it("the router's own refusals are CAMARA bodies with the correlator", async () => {
    const bad = await raw('GET', `${SUBSCRIPTIONS}/%zz`, { 'x-correlator': 'edge-1' })
    assertError(bad, 400, 'INVALID_ARGUMENT')
    assert.equal(bad.headers.get('x-correlator'), 'edge-1')
    const long = await raw('GET', `${SUBSCRIPTIONS}/${'x'.repeat(5000)}`, {})
    assert.equal(long.body.code, 'NOT_FOUND')
  })

  it('/metrics answers while the store is down (the outbox gauge keeps its last value)', async () => {
    assert.equal((await fetch(gw.url + '/metrics')).status, 200)
    // The store stops answering (the gauge's query fails), the scrape does not.
    const notifications = gw.store.notifications as { waiting: () => Promise<number> }
    const waiting = notifications.waiting
    notifications.waiting = () => Promise.reject(new Error('the store is down'))
    try {
      const res = await fetch(gw.url + '/metrics')
      assert.equal(res.status, 200)
      assert.match(await res.text(), /device_status_notifications_waiting \d+/)
    } finally {
      notifications.waiting = waiting
    }
  })

  it('on shutdown, the request in flight is answered and its keep-alive connection does not hold the close', async () => {
    const other = await startTestGateway()
    const other2Token = await other.token2('device-roaming-status:read')
    const { port } = new URL(other.url)
    // Headers and half a body, then close() starts, then the rest of the body. close() waits
    // until the server has the request (its headers): on a loaded machine a fixed wait was not
    // always enough, and a request that arrives once close() has begun is answered 503.
    const arrived = new Promise<void>((resolve) =>
      other.app.server.once('request', () => resolve()),
    )
    const answered = new Promise<{ status: number; connection: string | undefined }>(
      (resolve, reject) => {
        const req = httpRequest(
          {
            host: '127.0.0.1',
            port,
            method: 'POST',
            path: ROAMING,
            agent: new Agent({ keepAlive: true }),
            headers: {
              authorization: `Bearer ${other2Token}`,
              'content-type': 'application/json',
              'content-length': String(
                JSON.stringify({ device: { phoneNumber: '+34600000002' } }).length,
              ),
            },
          },
          (res) => {
            res.resume()
            resolve({ status: res.statusCode ?? 0, connection: res.headers.connection })
          },
        )
        req.on('error', reject)
        const body = JSON.stringify({ device: { phoneNumber: '+34600000002' } })
        req.write(body.slice(0, 10))
        setTimeout(() => req.end(body.slice(10)), 300)
      },
    )
    await arrived
    const started = Date.now()
    const closed = other.close()
    const answer = await answered
    await closed
    assert.equal(answer.status, 200, 'the request in flight is answered')
    // Its keep-alive connection is closed once idle, instead of holding close() for 72 s.
    assert.ok(Date.now() - started < 5000, `closed in ${Date.now() - started} ms`)
  })
})
