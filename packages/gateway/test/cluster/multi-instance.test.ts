import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { decodeProtectedHeader } from 'jose'
import { KEY_RELOAD_INTERVAL_MS } from '../../src/auth/keys.js'
import { Receiver } from '../helpers/receiver.js'
import { call, startGatewayProcess, type GatewayProcess } from '../helpers/process.js'
import {
  databaseNameFor,
  dropDatabase,
  ensureDatabase,
  postgresReachable,
} from '../helpers/test-store.js'

const ADMIN = 'cluster-admin-token-0123456789abcdef'
const DEMO: [string, string] = ['my-app-id', 'my-app-secret']
const API = 'device-roaming-status-subscriptions'
const PREFIX = `org.camaraproject.${API}.v0.`
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

const reachable = await postgresReachable()

describe(
  'several gateway processes on one PostgreSQL',
  { skip: reachable === true || process.env['CI'] === 'true' ? false : reachable },
  () => {
    const database = databaseNameFor(undefined)
    let gateways: GatewayProcess[] = []
    let env: Record<string, string>
    before(async () => {
      if (reachable !== true) throw new Error(reachable)
      env = {
        DATABASE_URL: await ensureDatabase(database),
        ADMIN_TOKEN: ADMIN,
        ISSUER: 'http://gateway.cluster.test',
        NOTIFY_BACKOFF_MS: '50',
        NOTIFY_TIMEOUT_MS: '500',
        RATE_LIMIT_PER_SECOND: '1000',
      }
      // All three start at once on an empty database: migrations and seeding must not collide.
      gateways = await Promise.all([
        startGatewayProcess(env),
        startGatewayProcess(env),
        startGatewayProcess(env),
      ])
    })
    after(async () => {
      await Promise.all(gateways.map((g) => g.stop('SIGKILL')))
      await dropDatabase(database)
    })
    const at = (i: number) => gateways[i] as GatewayProcess
    const a = () => at(0)
    const b = () => at(1)
    const c = () => at(2)

    it('started together: one schema, one demo app, the same devices everywhere', async () => {
      for (const g of gateways) {
        assert.equal((await call(g.url, 'GET', '/ready')).body.store, 'postgres')
        const devices = await call(g.url, 'GET', '/network/v1/devices', { token: ADMIN })
        assert.equal(devices.body.length, 12)
      }
      assert.equal(
        (await call(a().url, 'GET', '/admin/v1/apps', { token: ADMIN })).body.filter(
          (x: { clientId: string }) => x.clientId === 'my-app-id',
        ).length,
        1,
      )
    })

    it('a CIBA request started on one instance is polled on another; its token works on a third', async () => {
      const started = await call(a().url, 'POST', '/oauth2/bc-authorize', {
        basic: DEMO,
        form: {
          login_hint: 'tel:+34600000002',
          scope: 'openid dpv:FraudPreventionAndDetection device-roaming-status:read',
        },
      })
      assert.equal(started.status, 200, JSON.stringify(started.body))
      await sleep(1100)
      const tokens = await call(b().url, 'POST', '/oauth2/token', {
        basic: DEMO,
        form: {
          grant_type: 'urn:openid:params:grant-type:ciba',
          auth_req_id: started.body.auth_req_id,
        },
      })
      assert.equal(tokens.status, 200, JSON.stringify(tokens.body))
      const read = await call(c().url, 'POST', '/device-roaming-status/v1/retrieve', {
        token: tokens.body.access_token,
        json: {},
      })
      assert.equal(read.body.countryCode, 262)
    })

    it('a consent approved on one instance releases a request pending on another', async () => {
      const started = await call(a().url, 'POST', '/oauth2/bc-authorize', {
        basic: DEMO,
        form: {
          login_hint: 'tel:+34600000005',
          scope: 'openid dpv:Marketing device-roaming-status:read',
        },
      })
      await sleep(1100)
      const pending = await call(a().url, 'POST', '/oauth2/token', {
        basic: DEMO,
        form: {
          grant_type: 'urn:openid:params:grant-type:ciba',
          auth_req_id: started.body.auth_req_id,
        },
      })
      assert.equal(pending.body.error, 'authorization_pending')
      assert.equal(
        (
          await call(
            b().url,
            'POST',
            `/admin/v1/authorizations/${started.body.auth_req_id}/approve`,
            { token: ADMIN },
          )
        ).body.status,
        'approved',
      )
      await sleep(1100)
      const tokens = await call(c().url, 'POST', '/oauth2/token', {
        basic: DEMO,
        form: {
          grant_type: 'urn:openid:params:grant-type:ciba',
          auth_req_id: started.body.auth_req_id,
        },
      })
      assert.equal(tokens.status, 200, JSON.stringify(tokens.body))
    })

    it('rate limits hold across instances', async () => {
      const app = await call(a().url, 'POST', '/admin/v1/apps', {
        token: ADMIN,
        json: {
          name: 'limited',
          apis: ['device-roaming-status'],
          purposes: ['dpv:FraudPreventionAndDetection'],
          grantTypes: ['client_credentials'],
        },
      })
      const token = (
        await call(a().url, 'POST', '/oauth2/token', {
          basic: [app.body.clientId, app.body.clientSecret],
          form: {
            grant_type: 'client_credentials',
            scope: 'dpv:FraudPreventionAndDetection device-roaming-status:read',
          },
        })
      ).body.access_token
      // 1000/s per app across the cluster: 1500 requests spread over three instances within a second or two
      // cannot all pass, while one instance alone would allow 1000 each.
      let limited = 0
      const started = Date.now()
      await Promise.all(
        Array.from({ length: 1500 }, async (_, i) => {
          const res = await call(
            gateways[i % 3]?.url ?? '',
            'POST',
            '/device-roaming-status/v1/retrieve',
            { token, json: { device: { phoneNumber: '+34600000001' } } },
          )
          if (res.status === 429) limited++
        }),
      )
      const seconds = Math.ceil((Date.now() - started) / 1000) + 1
      assert.ok(
        1500 - limited <= 1000 * seconds,
        `${1500 - limited} passed in ≤${seconds} s windows`,
      )
      assert.ok(limited > 0 || seconds > 2, 'the shared limit refused some requests')
    })

    it("an app's rotated secret, then the deleted app's secret, is refused at once by every instance", async () => {
      const created = await call(a().url, 'POST', '/admin/v1/apps', {
        token: ADMIN,
        json: {
          name: 'rotated',
          apis: ['device-roaming-status'],
          purposes: ['dpv:FraudPreventionAndDetection'],
          grantTypes: ['client_credentials'],
        },
      })
      const id = created.body.clientId as string
      const form = {
        grant_type: 'client_credentials',
        scope: 'dpv:FraudPreventionAndDetection device-roaming-status:read',
      }
      const token = (g: GatewayProcess, secret: string) =>
        call(g.url, 'POST', '/oauth2/token', { basic: [id, secret], form })
      // Every instance has verified (and remembered) the first secret.
      for (const g of gateways)
        assert.equal((await token(g, created.body.clientSecret)).status, 200)
      const rotated = await call(b().url, 'POST', `/admin/v1/apps/${id}/secret`, { token: ADMIN })
      assert.equal(rotated.status, 200)
      for (const g of gateways) {
        const old = await token(g, created.body.clientSecret)
        assert.equal(old.status, 401, JSON.stringify(old.body))
        assert.equal(old.body.error, 'invalid_client')
        assert.equal((await token(g, rotated.body.clientSecret)).status, 200)
      }
      assert.equal(
        (await call(c().url, 'DELETE', `/admin/v1/apps/${id}`, { token: ADMIN })).status,
        204,
      )
      for (const g of gateways) {
        const gone = await token(g, rotated.body.clientSecret)
        assert.equal(gone.status, 401, JSON.stringify(gone.body))
        assert.equal(gone.body.error, 'invalid_client')
      }
    })

    it('keys rotated on one instance: the others sign with the new key within the reload interval', async () => {
      const token = async (g: GatewayProcess) => {
        const res = await call(g.url, 'POST', '/oauth2/token', {
          basic: DEMO,
          form: {
            grant_type: 'client_credentials',
            scope: 'dpv:FraudPreventionAndDetection device-roaming-status:read',
          },
        })
        assert.equal(res.status, 200, JSON.stringify(res.body))
        return res.body.access_token as string
      }
      const before = await token(b())
      const rotated = await call(a().url, 'POST', '/admin/v1/keys/rotate', { token: ADMIN })
      assert.equal(rotated.status, 200, JSON.stringify(rotated.body))
      assert.notEqual(decodeProtectedHeader(before).kid, rotated.body.kid)
      assert.equal(decodeProtectedHeader(await token(a())).kid, rotated.body.kid, 'at once on A')
      const started = Date.now()
      let kid = decodeProtectedHeader(await token(b())).kid
      while (kid !== rotated.body.kid && Date.now() - started < KEY_RELOAD_INTERVAL_MS + 3000) {
        await sleep(200)
        kid = decodeProtectedHeader(await token(b())).kid
      }
      assert.equal(kid, rotated.body.kid, `B signs with the new key (${Date.now() - started} ms)`)
      const jwks = await call(b().url, 'GET', '/oauth2/jwks')
      assert.ok(jwks.body.keys.some((k: { kid: string }) => k.kid === rotated.body.kid))
      // Tokens of either key are accepted everywhere.
      for (const t of [before, await token(b())]) {
        const read = await call(c().url, 'POST', '/device-roaming-status/v1/retrieve', {
          token: t,
          json: { device: { phoneNumber: '+34600000002' } },
        })
        assert.equal(read.status, 200, JSON.stringify(read.body))
      }
    })

    it('a network event ingested on one instance is delivered once, with workers on all three', async () => {
      const sink = await new Receiver().start()
      try {
        const token = (
          await call(a().url, 'POST', '/sandbox/v1/access-tokens', {
            token: ADMIN,
            json: { scope: `${API}:${PREFIX}roaming-status:create` },
          })
        ).body.access_token
        await call(a().url, 'PUT', '/network/v1/devices/+34614000001', { token: ADMIN, json: {} })
        const created = await call(b().url, 'POST', `/${API}/v0.8/subscriptions`, {
          token,
          json: {
            protocol: 'HTTP',
            sink: sink.url,
            types: [PREFIX + 'roaming-status'],
            config: { subscriptionDetail: { device: { phoneNumber: '+34614000001' } } },
          },
        })
        assert.equal(created.status, 201, JSON.stringify(created.body))
        const changes = 40
        for (let i = 0; i < changes; i++) {
          await call(gateways[i % 3]?.url ?? '', 'PATCH', '/network/v1/devices/+34614000001', {
            token: ADMIN,
            json: { roaming: i % 2 === 0 ? { countryCode: 262 } : false },
          })
        }
        // subscription-started, then one event per change.
        await sink.waitFor(1 + changes, 15_000)
        await sleep(300)
        const ids = sink.received.map((e) => e.body.id)
        assert.equal(new Set(ids).size, 1 + changes)
        assert.equal(ids.length, 1 + changes, 'no event delivered twice')
        assert.deepEqual(
          sink.received.map((e) =>
            e.body.type === PREFIX + 'subscription-started' ? 'started' : e.body.data.roaming,
          ),
          ['started', ...Array.from({ length: changes }, (_, i) => i % 2 === 0)],
          'in order',
        )
      } finally {
        await sink.stop()
      }
    })

    it('failover: an instance killed mid-deliveries leaves nothing undelivered', async () => {
      const sink = await new Receiver().start()
      sink.respond = () => sleep(30).then(() => 204)
      try {
        const token = (
          await call(a().url, 'POST', '/sandbox/v1/access-tokens', {
            token: ADMIN,
            json: { scope: `${API}:${PREFIX}roaming-status:create` },
          })
        ).body.access_token
        const devices = ['+34614000011', '+34614000012', '+34614000013']
        for (const phone of devices) {
          await call(a().url, 'PUT', `/network/v1/devices/${phone}`, { token: ADMIN, json: {} })
          await call(a().url, 'POST', `/${API}/v0.8/subscriptions`, {
            token,
            json: {
              protocol: 'HTTP',
              sink: sink.url,
              types: [PREFIX + 'roaming-status'],
              config: { subscriptionDetail: { device: { phoneNumber: phone } } },
            },
          })
        }
        const perDevice = 15
        for (let i = 0; i < perDevice; i++) {
          for (const phone of devices) {
            await call(a().url, 'PATCH', `/network/v1/devices/${phone}`, {
              token: ADMIN,
              json: { roaming: i % 2 === 0 ? { countryCode: 208 } : false },
            })
          }
        }
        await sink.waitFor(5, 5000)
        await a().stop('SIGKILL')
        // Each subscription's subscription-started, and its device's changes.
        const expected = devices.length * (1 + perDevice)
        const deadline = Date.now() + 20_000
        while (
          new Set(sink.received.map((e) => e.body.id)).size < expected &&
          Date.now() < deadline
        )
          await sleep(100)
        assert.equal(
          new Set(sink.received.map((e) => e.body.id)).size,
          expected,
          'every event delivered by the survivors',
        )
      } finally {
        await sink.stop()
      }
    })
  },
)
