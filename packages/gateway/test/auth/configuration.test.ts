import assert from 'node:assert/strict'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { decodeJwt, decodeProtectedHeader } from 'jose'
import * as client from 'openid-client'
import { APP_SCHEMA } from '@device-status/contract'
import { specAjv } from '../../src/specs/validator.js'
import { removeTestStore, startTestGateway } from '../helpers/gateway.js'
import { UserAgent } from './browser.js'
import { DEMO, FRAUD, MARKETING, discover, form } from './helpers.js'

const ROAMING = 'device-roaming-status:read'
const CIBA = 'urn:openid:params:grant-type:ciba'
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

describe('authorization server settings: ACCESS_TOKEN_TTL, CIBA_INTERVAL, PURPOSE_LEGAL_BASES', () => {
  it('token lifetime, poll interval and the purpose table come from the environment; tokens are RFC 9068 JWTs with pairwise subjects', async () => {
    const gw = await startTestGateway({
      ACCESS_TOKEN_TTL: '120',
      CIBA_INTERVAL: '2',
      PURPOSE_LEGAL_BASES: JSON.stringify({
        'dpv:FraudPreventionAndDetection': 'consent',
        'dpv:Marketing': 'legitimate-interest',
      }),
    })
    try {
      const cc = await form(
        gw,
        '/oauth2/token',
        { grant_type: 'client_credentials', scope: `${MARKETING} ${ROAMING}` },
        DEMO,
      )
      assert.equal(cc.body.expires_in, 120)
      const header = decodeProtectedHeader(cc.body.access_token)
      assert.equal(header.typ, 'at+jwt')
      const claims = decodeJwt(cc.body.access_token)
      assert.equal(claims.iss, gw.config.issuer)
      assert.equal(claims.aud, gw.config.issuer)
      assert.equal(claims['client_id'], 'my-app-id')
      assert.equal(claims['scope'], `${MARKETING} ${ROAMING}`)
      assert.equal((claims.exp ?? 0) - (claims.iat ?? 0), 120)
      assert.ok(typeof claims.jti === 'string')

      // Marketing is now legitimate interest: approved on the first poll.
      const silent = await form(
        gw,
        '/oauth2/bc-authorize',
        { login_hint: 'tel:+34600000002', scope: `openid ${MARKETING} ${ROAMING}` },
        DEMO,
      )
      assert.equal(silent.body.interval, 2)
      await sleep(2050)
      const tokens = await form(
        gw,
        '/oauth2/token',
        { grant_type: CIBA, auth_req_id: silent.body.auth_req_id },
        DEMO,
      )
      assert.equal(tokens.status, 200, JSON.stringify(tokens.body))
      assert.equal(tokens.body.expires_in, 120)
      const demoSub = decodeJwt(tokens.body.access_token).sub ?? ''
      assert.match(demoSub, /^ps-/)
      assert.equal(decodeJwt(tokens.body.id_token).sub, demoSub, 'ID token and access token agree')

      // Fraud prevention now needs consent: the request waits.
      const waits = await form(
        gw,
        '/oauth2/bc-authorize',
        { login_hint: 'tel:+34600000002', scope: `openid ${FRAUD} ${ROAMING}` },
        DEMO,
      )
      await sleep(2050)
      assert.equal(
        (
          await form(
            gw,
            '/oauth2/token',
            { grant_type: CIBA, auth_req_id: waits.body.auth_req_id },
            DEMO,
          )
        ).body.error,
        'authorization_pending',
      )

      // Another app, same device: another pairwise subject.
      const other = await gw.admin('POST', '/admin/v1/apps', {
        name: 'other',
        apis: ['device-roaming-status'],
        purposes: [MARKETING],
        grantTypes: [CIBA],
      })
      const config = await discover(
        gw,
        other.body.clientId,
        client.ClientSecretBasic(other.body.clientSecret),
      )
      const started = await client.initiateBackchannelAuthentication(config, {
        login_hint: 'tel:+34600000002',
        scope: `openid ${MARKETING} ${ROAMING}`,
      })
      const otherTokens = await client.pollBackchannelAuthenticationGrant(config, started)
      const otherSub = otherTokens.claims()?.sub ?? ''
      assert.match(otherSub, /^ps-/)
      assert.notEqual(otherSub, demoSub, 'pairwise: one subject per app')
      for (const token of [tokens.body.access_token, otherTokens.access_token]) {
        const res = await gw.post('/device-roaming-status/v1/retrieve', {}, token)
        assert.equal(res.body.countryCode, 262, 'both name the same device')
      }
    } finally {
      await gw.close()
    }
  })
})

describe('production mode: strict by default, secrets hashed, no sandbox picker', () => {
  it('apps are strict unless created otherwise; the secret is shown once and stored as a hash; no device, no login', async () => {
    const gw = await startTestGateway({
      DS_MODE: 'production',
      ADMIN_TOKEN: 'a-long-enough-admin-token',
    })
    try {
      assert.equal((await gw.admin('GET', '/admin/v1/apps')).body.length, 0, 'no demo app')
      const created = await gw.admin('POST', '/admin/v1/apps', {
        name: 'web',
        redirectUris: ['http://localhost:5000/cb'],
        apis: ['device-roaming-status'],
        purposes: [FRAUD],
        grantTypes: ['authorization_code', 'client_credentials'],
        tokenEndpointAuthMethod: 'client_secret_basic',
      })
      assert.equal(created.status, 201, JSON.stringify(created.body))
      assert.equal(created.body.mode, 'strict')
      const secret = created.body.clientSecret as string
      assert.ok(secret.length >= 32)
      const shown = await gw.admin('GET', `/admin/v1/apps/${created.body.clientId}`)
      assert.equal(shown.body.clientSecret, undefined, 'shown once')
      assert.equal(shown.body.hasSecret, true)
      // The app as the admin API shows it is the contract's App, the CLI's type of it.
      const isApp = specAjv().getSchema(APP_SCHEMA.$id) ?? specAjv().compile(APP_SCHEMA)
      const { clientSecret: _shownOnce, ...view } = created.body
      for (const app of [view, shown.body, ...(await gw.admin('GET', '/admin/v1/apps')).body])
        assert.ok(isApp(app), JSON.stringify(isApp.errors))
      const row = await gw.store.apps.byClientId(created.body.clientId)
      assert.match(row?.secret_hash ?? '', /^scrypt\$/)
      assert.doesNotMatch(row?.secret_hash ?? '', new RegExp(secret))
      // Strict: the secret does not authenticate at the token endpoint.
      const cc = await form(
        gw,
        '/oauth2/token',
        { grant_type: 'client_credentials', scope: `${FRAUD} ${ROAMING}` },
        [created.body.clientId, secret],
      )
      assert.equal(cc.body.error, 'invalid_client')

      // Network-based authentication: 127.0.0.1 is no device, and production has no picker.
      const url = new URL(gw.url + '/oauth2/authorize')
      for (const [k, v] of Object.entries({
        client_id: created.body.clientId,
        response_type: 'code',
        redirect_uri: 'http://localhost:5000/cb',
        scope: `openid ${FRAUD} ${ROAMING}`,
        state: 'prod',
        code_challenge: await client.calculatePKCECodeChallenge(client.randomPKCECodeVerifier()),
        code_challenge_method: 'S256',
      }))
        url.searchParams.set(k, v)
      const res = await new UserAgent(gw.url).follow(url.href)
      assert.ok('url' in res, JSON.stringify(res))
      assert.equal(res.url.searchParams.get('error'), 'access_denied')
      assert.equal(res.url.searchParams.get('state'), 'prod')
    } finally {
      await gw.close()
    }
  })
})

describe('authorization state lives in the store, not in memory', () => {
  it('a CIBA request and a refresh token survive a restart on the same DATA_DIR', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'ds-auth-restart-'))
    try {
      const first = await startTestGateway({ ISSUER: 'http://gateway.test' }, { dataDir })
      let pendingId: string
      let refreshToken: string
      try {
        const offline = await form(
          first,
          '/oauth2/bc-authorize',
          {
            login_hint: 'tel:+34600000002',
            scope: `openid offline_access ${FRAUD} ${ROAMING}`,
          },
          DEMO,
        )
        await sleep(1050)
        const tokens = await form(
          first,
          '/oauth2/token',
          { grant_type: CIBA, auth_req_id: offline.body.auth_req_id },
          DEMO,
        )
        refreshToken = tokens.body.refresh_token as string
        assert.ok(refreshToken)
        const pending = await form(
          first,
          '/oauth2/bc-authorize',
          { login_hint: 'tel:+34600000001', scope: `openid ${MARKETING} ${ROAMING}` },
          DEMO,
        )
        pendingId = pending.body.auth_req_id as string
      } finally {
        await first.close()
      }

      const second = await startTestGateway({ ISSUER: 'http://gateway.test' }, { dataDir })
      try {
        const approved = await second.admin('POST', `/admin/v1/authorizations/${pendingId}/approve`)
        assert.equal(approved.body.status, 'approved', 'the pending request is still there')
        await sleep(1050)
        const tokens = await form(
          second,
          '/oauth2/token',
          { grant_type: CIBA, auth_req_id: pendingId },
          DEMO,
        )
        assert.equal(tokens.status, 200, JSON.stringify(tokens.body))
        const refreshed = await form(
          second,
          '/oauth2/token',
          { grant_type: 'refresh_token', refresh_token: refreshToken },
          DEMO,
        )
        assert.equal(refreshed.status, 200, JSON.stringify(refreshed.body))
        const res = await second.post(
          '/device-roaming-status/v1/retrieve',
          {},
          refreshed.body.access_token,
        )
        assert.equal(res.body.countryCode, 262)
      } finally {
        await second.close()
      }
    } finally {
      await removeTestStore(dataDir)
    }
  })
})
