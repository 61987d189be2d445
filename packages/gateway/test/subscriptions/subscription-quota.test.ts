import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { schemaErrors, startTestGateway, type TestGateway } from '../helpers/gateway.js'
import { Receiver } from '../helpers/receiver.js'

const ROAMING = 'device-roaming-status-subscriptions'
const REACHABILITY = 'device-reachability-status-subscriptions'
const prefix = (api: string) => `org.camaraproject.${api}.v0.`
const SCOPES = [
  `${ROAMING}:${prefix(ROAMING)}roaming-on:create ${ROAMING}:read ${ROAMING}:delete`,
  `${REACHABILITY}:${prefix(REACHABILITY)}reachability-data:create ${REACHABILITY}:read`,
].join(' ')

describe('subscription quota (SUBSCRIPTION_QUOTA): 429 QUOTA_EXCEEDED past the live subscriptions an app may hold', () => {
  let gw: TestGateway
  let sink: Receiver
  before(async () => {
    gw = await startTestGateway({ SUBSCRIPTION_QUOTA: '2' })
    sink = await new Receiver().start()
  })
  after(async () => {
    await gw.close()
    await sink.stop()
  })

  const create = (token: string, api: string, type: string) =>
    gw.post(
      `/${api}/v0.8/subscriptions`,
      {
        protocol: 'HTTP',
        sink: sink.url,
        types: [prefix(api) + type],
        config: { subscriptionDetail: { device: { phoneNumber: '+34600000001' } } },
      },
      token,
    )
  const roaming = (token: string) => create(token, ROAMING, 'roaming-on')
  const reachability = (token: string) => create(token, REACHABILITY, 'reachability-data')

  it('counts the live subscriptions of an app across the APIs; a deleted one frees its place; other apps are not affected', async () => {
    const token = await gw.token2(SCOPES, { clientId: 'quota-app' })
    const first = await roaming(token)
    assert.equal(first.status, 201, JSON.stringify(first.body))
    const second = await reachability(token)
    assert.equal(second.status, 201, JSON.stringify(second.body))

    for (const [api, third] of [
      [ROAMING, await roaming(token)],
      [REACHABILITY, await reachability(token)],
    ] as const) {
      assert.equal(third.status, 429)
      assert.deepEqual(third.body, {
        status: 429,
        code: 'QUOTA_EXCEEDED',
        message: 'Out of resource quota: an application may hold at most 2 subscriptions.',
      })
      assert.equal(schemaErrors(`${api}-v0.8.0.yaml`, 'ErrorInfo', third.body), '')
    }

    // An INACTIVE subscription (its service stopped applying to the device) still counts.
    const patched = await gw.admin('PATCH', '/network/v1/devices/+34600000001', {
      notApplicable: [ROAMING.replace('-subscriptions', '')],
    })
    assert.equal(patched.status, 200, JSON.stringify(patched.body))
    assert.equal((await gw.store.subscriptions.byId(first.body.id))?.status, 'INACTIVE')
    assert.equal((await roaming(token)).status, 429)
    await gw.admin('PATCH', '/network/v1/devices/+34600000001', { notApplicable: [] })

    // Another app has a quota of its own.
    const other = await gw.token2(SCOPES, { clientId: 'quota-other-app' })
    assert.equal((await roaming(other)).status, 201)
    assert.equal((await roaming(other)).status, 201)
    assert.equal((await roaming(other)).status, 429)

    // An ended subscription no longer counts.
    const deleted = await gw.request(
      'DELETE',
      `/${ROAMING}/v0.8/subscriptions/${first.body.id}`,
      token,
    )
    assert.equal(deleted.status, 204, JSON.stringify(deleted.body))
    const again = await roaming(token)
    assert.equal(again.status, 201, JSON.stringify(again.body))
    assert.equal((await reachability(token)).status, 429)
  })

  it('concurrent creates cannot pass the cap together', async () => {
    const token = await gw.token2(SCOPES, { clientId: 'quota-race-app' })
    const statuses = (await Promise.all(Array.from({ length: 8 }, () => roaming(token)))).map(
      (r) => r.status,
    )
    assert.deepEqual(
      statuses.toSorted((a, b) => a - b),
      [201, 201, 429, 429, 429, 429, 429, 429],
    )
    assert.equal(await gw.store.subscriptions.countLive('quota-race-app'), 2)
  })

  it('the legacy device-status v0.5.1 subscriptions count against the same quota', async () => {
    const token = await gw.token2(
      `${SCOPES} device-status:subscriptions:create device-status:subscriptions:read`,
      { clientId: 'quota-legacy-app' },
    )
    const legacy = () =>
      gw.post(
        '/device-status/v0/subscriptions',
        {
          subscriptionDetail: {
            device: { phoneNumber: '+34600000001' },
            type: 'org.camaraproject.device-status.v0.roaming-status',
          },
          webhook: { notificationUrl: sink.url },
        },
        token,
      )
    const first = await legacy()
    assert.equal(first.status, 201, JSON.stringify(first.body))
    assert.equal((await roaming(token)).status, 201)
    const refused = await legacy()
    assert.equal(refused.status, 429)
    assert.equal(refused.body.code, 'QUOTA_EXCEEDED')
    assert.equal((await roaming(token)).status, 429)
    const concurrent = await Promise.all([legacy(), legacy(), roaming(token)])
    assert.deepEqual(
      concurrent.map((r) => r.status),
      [429, 429, 429],
    )
  })
})
