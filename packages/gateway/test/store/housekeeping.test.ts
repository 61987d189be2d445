import assert from 'node:assert/strict'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { DEMO, FRAUD, form } from '../auth/helpers.js'
import { removeTestStore, startTestGateway } from '../helpers/gateway.js'

const epoch = () => Math.floor(Date.now() / 1000)

const session = (id: string, expiresAt: number) => ({
  model: 'Session',
  id,
  payload: '{}',
  grant_id: null,
  user_code: null,
  uid: null,
  expires_at: expiresAt,
  consumed_at: null,
})

describe('housekeeping: expired authorization state is swept, live state is kept', () => {
  it('a started gateway sweeps what expired, and keeps a pending CIBA request answerable', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'ds-housekeeping-'))
    try {
      const first = await startTestGateway({ ISSUER: 'http://gateway.test' }, { dataDir })
      const started = await form(
        first,
        '/oauth2/bc-authorize',
        { scope: `openid ${FRAUD} device-roaming-status:read`, login_hint: 'tel:+34600000001' },
        DEMO,
      )
      assert.equal(started.status, 200, JSON.stringify(started.body))
      const authReqId = started.body.auth_req_id as string
      await first.store.oidcModels.upsert(session('expired', epoch() - 10))
      await first.store.oidcModels.upsert(session('live', epoch() + 600))
      await first.close()

      // The sweep runs at start-up (and every ten minutes): the restarted gateway does it. The
      // issuer is fixed, so tokens of the first start stay valid after the restart.
      const second = await startTestGateway({ ISSUER: 'http://gateway.test' }, { dataDir })
      try {
        const deadline = Date.now() + 10_000
        while ((await second.store.oidcModels.find('Session', 'expired')) !== undefined) {
          assert.ok(Date.now() < deadline, 'the expired session was not swept')
          await new Promise((resolve) => setTimeout(resolve, 50))
        }
        assert.ok(await second.store.oidcModels.find('Session', 'live'))
        const poll = await form(
          second,
          '/oauth2/token',
          { grant_type: 'urn:openid:params:grant-type:ciba', auth_req_id: authReqId },
          DEMO,
        )
        assert.equal(poll.status, 200, JSON.stringify(poll.body))
        assert.equal(typeof poll.body.access_token, 'string')
      } finally {
        await second.close()
      }
    } finally {
      await removeTestStore(dataDir)
    }
  })
})
