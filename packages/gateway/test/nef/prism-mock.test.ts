import assert from 'node:assert/strict'
import { Writable } from 'node:stream'
import { after, before, describe, it } from 'node:test'
import { schemaErrors, startTestGateway, type TestGateway } from '../helpers/gateway.js'
import { startPrismMock, type RunningPrism } from './prism.js'

/**
 * Issue 11 item 4b: Stoplight Prism as a mock NEF over the 3GPP file. Its answers are shaped by
 * the file, not by us (a static mock: the first enumeration value, placeholder strings); the
 * adapter must answer every CAMARA call with a valid answer or a CAMARA error of its catalog,
 * never a 500, and Prism must take every request the adapter sends (it answers a request that
 * violates the file with 400/422, which the adapter logs as the NEF's status).
 */
describe('NEF adapter against Prism mocking the 3GPP Monitoring Event API', () => {
  let prism: RunningPrism
  let gw: TestGateway
  const logs: Record<string, unknown>[] = []
  before(async () => {
    prism = await startPrismMock()
    const stream = new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString().split('\n').filter(Boolean))
          logs.push(JSON.parse(line) as Record<string, unknown>)
        done()
      },
    })
    gw = await startTestGateway(
      {
        NETWORK: 'nef',
        NEF_BASE_URL: prism.url,
        NEF_SCS_AS_ID: 'gw-prism',
        NEF_TIMEOUT_MS: '20000',
      },
      { logger: { level: 'info', stream } },
    )
  })
  after(async () => {
    await gw?.close()
    await prism?.stop()
  })

  const refusedRequests = () =>
    logs.filter((l) => {
      const status = (l['upstream'] as { status?: number } | undefined)?.status
      return status === 400 || status === 422
    })

  it('roaming and reachability retrieve: a valid CAMARA answer or 503 UNAVAILABLE, never a 500; every request valid for Prism', async () => {
    const token = await gw.token2('device-roaming-status:read device-reachability-status:read')
    const cases = [
      [
        '/device-roaming-status/v1/retrieve',
        'device-roaming-status-v1.1.0.yaml',
        'RoamingStatusResponse',
      ],
      [
        '/device-reachability-status/v1/retrieve',
        'device-reachability-status-v1.1.0.yaml',
        'ReachabilityStatusResponse',
      ],
    ] as const
    for (const device of [
      { phoneNumber: '+34600000001' },
      { ipv4Address: { publicAddress: '84.125.93.10', publicPort: 59765 } },
      { ipv6Address: '2001:db8:85a3:8d3:1319:8a2e:370:7344' },
    ]) {
      for (const [path, file, schema] of cases) {
        const res = await gw.post(path, { device }, token)
        if (res.status === 200) assert.equal(schemaErrors(file, schema, res.body), '', path)
        else
          assert.deepEqual(
            res.body,
            {
              status: 503,
              code: 'UNAVAILABLE',
              message: res.body.message,
            },
            `${path}: ${JSON.stringify(res.body)}`,
          )
      }
    }
    assert.deepEqual(refusedRequests(), [], prism.output())
  })

  it('a subscription: 201 when the NEF made one, 503 when its answer is no subscription; nothing left behind on failure', async () => {
    const prefix = 'org.camaraproject.device-roaming-status-subscriptions.v0.'
    const token = await gw.token2(
      `device-roaming-status-subscriptions:${prefix}roaming-on:create device-roaming-status-subscriptions:read`,
    )
    const res = await gw.post(
      '/device-roaming-status-subscriptions/v0.8/subscriptions',
      {
        protocol: 'HTTP',
        sink: 'http://127.0.0.1:9/sink',
        types: [prefix + 'roaming-on'],
        config: {
          subscriptionDetail: { device: { phoneNumber: '+34600000001' } },
          subscriptionExpireTime: new Date(Date.now() + 3_600_000).toISOString(),
        },
      },
      token,
    )
    assert.ok([201, 503].includes(res.status), JSON.stringify(res.body))
    const list = await gw.request(
      'GET',
      '/device-roaming-status-subscriptions/v0.8/subscriptions',
      token,
    )
    assert.equal(list.body.length, res.status === 201 ? 1 : 0)
    assert.deepEqual(refusedRequests(), [], prism.output())
  })
})
