import assert from 'node:assert/strict'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { removeTestStore, startTestGateway } from '../helpers/gateway.js'

describe('durability: everything survives a restart on the same DATA_DIR', () => {
  it('keeps devices, their changes, network events, signing keys and the admin token', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'ds-restart-'))
    try {
      const first = await startTestGateway({ ISSUER: 'http://gateway.test' }, { dataDir })
      await first.admin('PATCH', '/network/v1/devices/+34600000001', {
        roaming: { countryCode: 262 },
      })
      await first.admin('PUT', '/network/v1/devices/+34688000001', { connectivity: ['SMS'] })
      const token = await first.token2('device-roaming-status:read')
      const token3 = await first.token3('+34600000001', 'device-roaming-status:read')
      const events = (await first.admin('GET', '/network/v1/events?limit=1000')).body.length
      const adminToken = first.adminToken
      await first.close()

      const second = await startTestGateway({ ISSUER: 'http://gateway.test' }, { dataDir })
      try {
        assert.equal(second.adminToken, adminToken)
        const res = await second.post(
          '/device-roaming-status/v1/retrieve',
          { device: { phoneNumber: '+34600000001' } },
          token,
        )
        assert.equal(res.status, 200, 'a token signed before the restart still verifies')
        assert.equal(res.body.countryCode, 262)
        const own = await second.post('/device-roaming-status/v1/retrieve', {}, token3)
        assert.equal(own.body.countryCode, 262, 'the three-legged subject still resolves')
        assert.deepEqual(
          (await second.admin('GET', '/network/v1/devices/+34688000001')).body.connectivity,
          ['SMS'],
        )
        assert.equal(
          (await second.admin('GET', '/network/v1/events?limit=1000')).body.length,
          events,
          'no re-seeding',
        )
      } finally {
        await second.close()
      }
    } finally {
      await removeTestStore(dataDir)
    }
  })

  it('devices all deleted stay deleted: the demo devices are seeded on the first start only', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'ds-reseed-'))
    try {
      const first = await startTestGateway({}, { dataDir })
      const seeded = (await first.admin('GET', '/network/v1/devices')).body as {
        phoneNumber: string
      }[]
      assert.ok(seeded.length > 0, 'seeded on the first start')
      for (const { phoneNumber } of seeded) {
        const path = `/network/v1/devices/${encodeURIComponent(phoneNumber)}`
        assert.equal((await first.admin('DELETE', path)).status, 204)
      }
      await first.close()
      const second = await startTestGateway({}, { dataDir })
      try {
        assert.deepEqual((await second.admin('GET', '/network/v1/devices')).body, [])
      } finally {
        await second.close()
      }
    } finally {
      await removeTestStore(dataDir)
    }
  })
})
