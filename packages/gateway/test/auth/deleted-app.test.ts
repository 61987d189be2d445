/**
 * Issue 14: a deleted app's tokens end with it. Its access tokens (two- and three-legged) are
 * refused (401) at once on the instance that deleted it and, on the others, once they reload the
 * revocations (every KEY_RELOAD_INTERVAL_MS, 5 s: the bound of a consent revocation); its refresh
 * tokens are gone. An app created again under the same client id with new keys or a new secret
 * (the way an app's private_key_jwt keys are replaced) starts with none of the old tokens, and
 * the removed keys authenticate nothing.
 */
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { after, before, describe, it } from 'node:test'
import { SignJWT, exportJWK, generateKeyPair, type CryptoKey } from 'jose'
import { tokenVerifier } from '../../src/auth/access-token.js'
import { assertError } from '../helpers/device-api-suite.js'
import { startTestGateway, type TestGateway } from '../helpers/gateway.js'
import { FRAUD, form } from './helpers.js'

const ROAMING = 'device-roaming-status:read'
const CIBA = 'urn:openid:params:grant-type:ciba'
const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer'
const READ = '/device-roaming-status/v1/retrieve'

/**
 * `iat` has second precision: a token issued in the second of the deletion is refused with the
 * old ones, so the new app's first tokens are taken in the next second.
 */
const nextSecond = () =>
  new Promise((resolve) => setTimeout(resolve, 1000 - (Date.now() % 1000) + 10))

describe('a deleted app (issue 14)', () => {
  let gw: TestGateway
  before(async () => {
    gw = await startTestGateway()
  })
  after(() => gw.close())

  /** Creates the app; returns its credentials. */
  const secretApp = async (clientId: string): Promise<[string, string]> => {
    const created = await gw.admin('POST', '/admin/v1/apps', {
      clientId,
      name: 'to be deleted',
      apis: ['device-roaming-status'],
      purposes: [FRAUD],
      grantTypes: ['client_credentials', CIBA, 'refresh_token'],
      mode: 'compatible',
    })
    assert.equal(created.status, 201, JSON.stringify(created.body))
    return [clientId, created.body.clientSecret as string]
  }

  it('its access and refresh tokens are refused at once here, and on another instance after a reload', async () => {
    const clientId = `gone-${randomUUID()}`
    const creds = await secretApp(clientId)
    const twoLegged = await form(
      gw,
      '/oauth2/token',
      { grant_type: 'client_credentials', scope: `${FRAUD} ${ROAMING}` },
      creds,
    )
    assert.equal(twoLegged.status, 200, JSON.stringify(twoLegged.body))
    const started = await form(
      gw,
      '/oauth2/bc-authorize',
      { scope: `openid offline_access ${FRAUD} ${ROAMING}`, login_hint: 'tel:+34600000002' },
      creds,
    )
    const threeLegged = await form(
      gw,
      '/oauth2/token',
      { grant_type: CIBA, auth_req_id: started.body.auth_req_id },
      creds,
    )
    assert.equal(threeLegged.status, 200, JSON.stringify(threeLegged.body))
    assert.ok(threeLegged.body.refresh_token)
    const device = { device: { phoneNumber: '+34600000002' } }
    assert.equal((await gw.post(READ, device, twoLegged.body.access_token)).status, 200)
    assert.equal((await gw.post(READ, {}, threeLegged.body.access_token)).status, 200)

    // Another instance on the same store, which has verified (cached) both tokens.
    const elsewhere = tokenVerifier({
      store: gw.store,
      keyring: gw.keyring,
      issuer: gw.config.issuer,
    })
    await elsewhere.verify(twoLegged.body.access_token)
    await elsewhere.verify(threeLegged.body.access_token)

    assert.equal((await gw.admin('DELETE', `/admin/v1/apps/${clientId}`)).status, 204)
    assertError(await gw.post(READ, device, twoLegged.body.access_token), 401, 'UNAUTHENTICATED')
    assertError(await gw.post(READ, {}, threeLegged.body.access_token), 401, 'UNAUTHENTICATED')

    await elsewhere.reloadRevocations()
    await assert.rejects(elsewhere.verify(twoLegged.body.access_token), /revoked/)
    await assert.rejects(elsewhere.verify(threeLegged.body.access_token), /revoked/)

    // Created again under the same client id: the old refresh token and tokens are worth nothing.
    const again = await secretApp(clientId)
    const refreshed = await form(
      gw,
      '/oauth2/token',
      { grant_type: 'refresh_token', refresh_token: threeLegged.body.refresh_token },
      again,
    )
    assert.equal(refreshed.status, 400, JSON.stringify(refreshed.body))
    assert.equal(refreshed.body.error, 'invalid_grant')
    const introspected = await form(
      gw,
      '/oauth2/introspect',
      { token: threeLegged.body.refresh_token },
      again,
    )
    assert.deepEqual(introspected.body, { active: false })
    assertError(await gw.post(READ, device, twoLegged.body.access_token), 401, 'UNAUTHENTICATED')
    // The old secret authenticates nothing; the new app's own tokens work.
    const old = await form(
      gw,
      '/oauth2/token',
      { grant_type: 'client_credentials', scope: `${FRAUD} ${ROAMING}` },
      creds,
    )
    assert.equal(old.status, 401)
    await nextSecond()
    const fresh = await form(
      gw,
      '/oauth2/token',
      { grant_type: 'client_credentials', scope: `${FRAUD} ${ROAMING}` },
      again,
    )
    assert.equal((await gw.post(READ, device, fresh.body.access_token)).status, 200)
  })

  it("private_key_jwt: the removed keys' tokens and assertions are refused, the new keys work", async () => {
    const clientId = `rotated-${randomUUID()}`
    const keyApp = async (kid: string) => {
      const pair = await generateKeyPair('ES256', { extractable: true })
      const created = await gw.admin('POST', '/admin/v1/apps', {
        clientId,
        name: 'backend',
        apis: ['device-roaming-status'],
        purposes: [FRAUD],
        grantTypes: [JWT_BEARER],
        jwks: { keys: [{ ...(await exportJWK(pair.publicKey)), kid, alg: 'ES256' }] },
        mode: 'strict',
      })
      assert.equal(created.status, 201, JSON.stringify(created.body))
      return { key: pair.privateKey, kid }
    }
    const assertion = (signer: { key: CryptoKey; kid: string }) => {
      const now = Math.floor(Date.now() / 1000)
      return new SignJWT({ scope: `${FRAUD} ${ROAMING}` })
        .setProtectedHeader({ alg: 'ES256', kid: signer.kid })
        .setIssuer(clientId)
        .setSubject('tel:+34600000002')
        .setAudience(`${gw.config.issuer}/oauth2/token`)
        .setIssuedAt(now)
        .setExpirationTime(now + 60)
        .setJti(randomUUID())
        .sign(signer.key)
    }
    const grant = async (jwt: string) =>
      form(gw, '/oauth2/token', { grant_type: JWT_BEARER, assertion: jwt })

    const first = await keyApp('k1')
    const token = await grant(await assertion(first))
    assert.equal(token.status, 200, JSON.stringify(token.body))
    assert.equal((await gw.post(READ, {}, token.body.access_token)).status, 200)

    assert.equal((await gw.admin('DELETE', `/admin/v1/apps/${clientId}`)).status, 204)
    const second = await keyApp('k2')
    assertError(await gw.post(READ, {}, token.body.access_token), 401, 'UNAUTHENTICATED')
    const removed = await grant(await assertion(first))
    assert.ok(removed.status === 400 || removed.status === 401, JSON.stringify(removed.body))
    assert.equal(removed.body.access_token, undefined)
    await nextSecond()
    const renewed = await grant(await assertion(second))
    assert.equal(renewed.status, 200, JSON.stringify(renewed.body))
    assert.equal((await gw.post(READ, {}, renewed.body.access_token)).status, 200)
  })

  it("private_key_jwt keys replaced in place (PUT): the removed key's tokens and assertions are refused, the new key works", async () => {
    const clientId = `edited-${randomUUID()}`
    const keyOf = async (kid: string) => {
      const pair = await generateKeyPair('ES256', { extractable: true })
      return {
        key: pair.privateKey,
        kid,
        jwk: { ...(await exportJWK(pair.publicKey)), kid, alg: 'ES256' },
      }
    }
    const app = (jwk: object) => ({
      clientId,
      name: 'backend',
      apis: ['device-roaming-status'],
      purposes: [FRAUD],
      grantTypes: [JWT_BEARER],
      jwks: { keys: [jwk] },
      mode: 'strict',
    })
    const assertion = (signer: { key: CryptoKey; kid: string }) => {
      const now = Math.floor(Date.now() / 1000)
      return new SignJWT({ scope: `${FRAUD} ${ROAMING}` })
        .setProtectedHeader({ alg: 'ES256', kid: signer.kid })
        .setIssuer(clientId)
        .setSubject('tel:+34600000002')
        .setAudience(`${gw.config.issuer}/oauth2/token`)
        .setIssuedAt(now)
        .setExpirationTime(now + 60)
        .setJti(randomUUID())
        .sign(signer.key)
    }
    const grant = async (jwt: string) =>
      form(gw, '/oauth2/token', { grant_type: JWT_BEARER, assertion: jwt })

    const first = await keyOf('k1')
    assert.equal((await gw.admin('POST', '/admin/v1/apps', app(first.jwk))).status, 201)
    const token = await grant(await assertion(first))
    assert.equal(token.status, 200, JSON.stringify(token.body))
    // Editing something else keeps the tokens.
    const renamed = await gw.admin('PUT', `/admin/v1/apps/${clientId}`, {
      ...app(first.jwk),
      name: 'backend, renamed',
    })
    assert.equal(renamed.status, 200, JSON.stringify(renamed.body))
    assert.equal((await gw.post(READ, {}, token.body.access_token)).status, 200)

    const second = await keyOf('k2')
    const replaced = await gw.admin('PUT', `/admin/v1/apps/${clientId}`, app(second.jwk))
    assert.equal(replaced.status, 200, JSON.stringify(replaced.body))
    assertError(await gw.post(READ, {}, token.body.access_token), 401, 'UNAUTHENTICATED')
    // Another instance learns it at its next reload.
    const elsewhere = tokenVerifier({
      store: gw.store,
      keyring: gw.keyring,
      issuer: gw.config.issuer,
    })
    await elsewhere.reloadRevocations()
    await assert.rejects(elsewhere.verify(token.body.access_token))
    const removed = await grant(await assertion(first))
    assert.ok(removed.status === 400 || removed.status === 401, JSON.stringify(removed.body))
    assert.equal(removed.body.access_token, undefined)
    await nextSecond()
    const renewed = await grant(await assertion(second))
    assert.equal(renewed.status, 200, JSON.stringify(renewed.body))
    assert.equal((await gw.post(READ, {}, renewed.body.access_token)).status, 200)
  })
})
