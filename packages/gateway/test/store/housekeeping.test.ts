import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { sweepExpired } from '../../src/store/housekeeping.js'
import { startTestGateway, type TestGateway } from '../helpers/gateway.js'

const epoch = () => Math.floor(Date.now() / 1000)

describe('housekeeping: expired authorization state is swept, live state is kept', () => {
  let gw: TestGateway
  before(async () => {
    gw = await startTestGateway()
  })
  after(() => gw.close())

  it('deletes rows past their expiry and nothing else', async () => {
    // A live CIBA request, written by oidc-provider through the store adapter.
    const started = await fetch(`${gw.url}/oauth2/bc-authorize`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from('my-app-id:my-app-secret').toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({
        scope: 'openid dpv:FraudPreventionAndDetection device-roaming-status:read',
        login_hint: 'tel:+34600000001',
      }),
    })
    assert.equal(started.status, 200)
    const { auth_req_id } = (await started.json()) as { auth_req_id: string }

    const row = (id: string, expiresAt: number | null) => ({
      model: 'Session',
      id,
      payload: '{}',
      grant_id: null,
      user_code: null,
      uid: null,
      expires_at: expiresAt,
      consumed_at: null,
    })
    await gw.store.oidcModels.upsert(row('expired', epoch() - 10))
    await gw.store.oidcModels.upsert(row('live', epoch() + 600))

    assert.ok((await sweepExpired(gw.store)) >= 1)
    assert.equal(await gw.store.oidcModels.find('Session', 'expired'), undefined)
    assert.ok(await gw.store.oidcModels.find('Session', 'live'))
    assert.ok(await gw.store.oidcModels.find('BackchannelAuthenticationRequest', auth_req_id))
    // The CIBA request is still answered after the sweep.
    const poll = await fetch(`${gw.url}/oauth2/token`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from('my-app-id:my-app-secret').toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({ grant_type: 'urn:openid:params:grant-type:ciba', auth_req_id }),
    })
    assert.equal(poll.status, 200, await poll.clone().text())
  })
})
