import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { assertError } from '../helpers/device-api-suite.js'
import { schemaErrors, startTestGateway, type TestGateway } from '../helpers/gateway.js'
import { Receiver } from '../helpers/receiver.js'

const FILE = 'device-status-v0.5.1.yaml'
const PATH = '/device-status/v0/subscriptions'
const PREFIX = 'org.camaraproject.device-status.v0.'
const SCOPES =
  'device-status:subscriptions:create device-status:subscriptions:read device-status:subscriptions:delete'

describe('device-status 0.5.1 webhook subscriptions (legacy)', () => {
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
  const body = (
    type: string,
    device: unknown = { phoneNumber: '+34600000004' },
    extra: Record<string, unknown> = {},
  ) => ({
    subscriptionDetail: { device, type: PREFIX + type },
    webhook: { notificationUrl: sink.url, notificationAuthToken: 'legacy-token' },
    ...extra,
  })

  it('creates (201 SubscriptionInfo), lists, reads, notifies connectivity changes with device, deletes (204)', async () => {
    const created = await gw.post(PATH, body('connectivity-data'), token)
    assert.equal(created.status, 201, JSON.stringify(created.body))
    assert.equal(schemaErrors(FILE, 'SubscriptionInfo', created.body), '')
    assert.equal(
      created.body.webhook.notificationAuthToken,
      undefined,
      'the token is not shown back',
    )
    const id = created.body.subscriptionId
    assert.deepEqual((await gw.request('GET', `${PATH}/${id}`, token)).body, created.body)
    assert.ok(
      (await gw.request('GET', PATH, token)).body.some(
        (s: { subscriptionId: string }) => s.subscriptionId === id,
      ),
    )
    const base = sink.received.length
    await gw.admin('PATCH', '/network/v1/devices/+34600000004', { connectivity: ['DATA'] })
    const [event] = (await sink.waitFor(base + 1)).slice(base)
    assert.equal(event?.body.type, PREFIX + 'connectivity-data')
    assert.deepEqual(event?.body.data, {
      device: { phoneNumber: '+34600000004' },
      subscriptionId: id,
    })
    assert.equal(event?.headers['authorization'], 'Bearer legacy-token')
    assert.equal(schemaErrors(FILE, 'CloudEvent', event?.body), '')
    assert.equal((await gw.request('DELETE', `${PATH}/${id}`, token)).status, 204)
    assertError(await gw.request('GET', `${PATH}/${id}`, token), 404, 'NOT_FOUND')
  })

  it('expiry ends it with subscription-ends SUBSCRIPTION_EXPIRED; errors', async () => {
    const base = sink.received.length
    const created = await gw.post(
      PATH,
      body(
        'roaming-on',
        { phoneNumber: '+34600000004' },
        { subscriptionExpireTime: new Date(Date.now() + 500).toISOString() },
      ),
      token,
    )
    assert.equal(created.status, 201)
    const [ended] = (await sink.waitFor(base + 1)).slice(base)
    assert.deepEqual(ended?.body.data, {
      device: { phoneNumber: '+34600000004' },
      terminationReason: 'SUBSCRIPTION_EXPIRED',
      subscriptionId: created.body.subscriptionId,
    })
    assert.equal(ended?.body.type, PREFIX + 'subscription-ends')
    assertError(
      await gw.post(PATH, body('roaming-on', { phoneNumber: '+34699999999' }), token),
      404,
      'NOT_FOUND',
    )
    assertError(await gw.post(PATH, body('roaming-sideways'), token), 400, 'INVALID_ARGUMENT')
    assertError(
      await gw.post(
        PATH,
        { ...body('roaming-on'), webhook: { notificationUrl: 'https://10.0.0.1/x' } },
        token,
      ),
      400,
      'INVALID_ARGUMENT',
    )
    assertError(
      await gw.post(PATH, body('roaming-on'), await gw.token2('device-status:subscriptions:read')),
      403,
      'PERMISSION_DENIED',
    )
  })
})
