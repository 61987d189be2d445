import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import * as client from 'openid-client'
import { createHash, randomUUID } from 'node:crypto'
import { SignJWT, calculateJwkThumbprint, exportJWK } from 'jose'
import { verifyDPoPProof } from '../../src/http/dpop.js'
import { assertError } from '../helpers/device-api-suite.js'
import { startTestGateway, type TestGateway } from '../helpers/gateway.js'
import { FRAUD, demoApp } from './helpers.js'

const ROAMING = 'device-roaming-status:read'

describe('DPoP (RFC 9449)', () => {
  let gw: TestGateway
  let config: client.Configuration
  before(async () => {
    gw = await startTestGateway()
    config = await demoApp(gw)
  })
  after(() => gw.close())

  it('a proof at the token endpoint gives a DPoP-bound token; the API needs a matching proof, never Bearer', async () => {
    const keys = await client.randomDPoPKeyPair('ES256')
    const dpop = client.getDPoPHandle(config, keys)
    const tokens = await client.clientCredentialsGrant(
      config,
      { scope: `${FRAUD} ${ROAMING}` },
      { DPoP: dpop },
    )
    assert.equal(tokens.token_type.toLowerCase(), 'dpop')
    const url = new URL(gw.url + '/device-roaming-status/v1/retrieve')
    const body = JSON.stringify({ device: { phoneNumber: '+34600000002' } })
    const headers = new Headers({ 'content-type': 'application/json' })
    const ok = await client.fetchProtectedResource(
      config,
      tokens.access_token,
      url,
      'POST',
      body,
      headers,
      { DPoP: dpop },
    )
    assert.equal(ok.status, 200)
    assert.equal(((await ok.json()) as { countryCode: number }).countryCode, 262)

    assertError(
      await gw.post(url.pathname, JSON.parse(body), tokens.access_token),
      401,
      'UNAUTHENTICATED',
    )
    const noProof = await gw.post(url.pathname, JSON.parse(body), undefined, {
      authorization: `DPoP ${tokens.access_token}`,
    })
    assertError(noProof, 401, 'UNAUTHENTICATED')
    assert.match(noProof.headers.get('www-authenticate') ?? '', /invalid_dpop_proof/)

    const otherKeys = await client.randomDPoPKeyPair('ES256')
    const wrongKey = await client
      .fetchProtectedResource(
        config,
        tokens.access_token,
        url,
        'POST',
        body,
        new Headers({ 'content-type': 'application/json' }),
        { DPoP: client.getDPoPHandle(config, otherKeys) },
      )
      .catch((e: unknown) => e)
    assert.equal(
      wrongKey instanceof Response
        ? wrongKey.status
        : ((wrongKey as { status?: number }).status ?? 401),
      401,
    )
  })

  it('without a proof the token is an ordinary Bearer token', async () => {
    const tokens = await client.clientCredentialsGrant(config, { scope: `${FRAUD} ${ROAMING}` })
    assert.equal(tokens.token_type.toLowerCase(), 'bearer')
  })

  it('a proof is good once: its replay is refused, and the record is in the shared store', async () => {
    const keys = await client.randomDPoPKeyPair('ES256')
    const tokens = await client.clientCredentialsGrant(
      config,
      { scope: `${FRAUD} ${ROAMING}` },
      { DPoP: client.getDPoPHandle(config, keys) },
    )
    const path = '/device-roaming-status/v1/retrieve'
    const jwk = await exportJWK(keys.publicKey)
    const jti = randomUUID()
    const proof = await new SignJWT({
      htm: 'POST',
      htu: `${gw.config.issuer}${path}`,
      jti,
      ath: createHash('sha256').update(tokens.access_token).digest('base64url'),
    })
      .setProtectedHeader({ typ: 'dpop+jwt', alg: 'ES256', jwk })
      .setIssuedAt()
      .sign(keys.privateKey)
    const call = () =>
      gw.post(path, { device: { phoneNumber: '+34600000002' } }, undefined, {
        authorization: `DPoP ${tokens.access_token}`,
        dpop: proof,
      })
    assert.equal((await call()).status, 200)
    const replayed = await call()
    assertError(replayed, 401, 'UNAUTHENTICATED')
    assert.match(replayed.headers.get('www-authenticate') ?? '', /already used/)
    // Kept in the store that every instance shares, not in this process's memory.
    const record = await gw.store.oidcModels.find(
      'DPoPProof',
      `${await calculateJwkThumbprint(jwk)}:${jti}`,
    )
    assert.ok(record, 'the proof is recorded in the store')
  })

  it('a proof is remembered until iat + 300 s, so one dated ahead cannot be replayed later', async () => {
    const keys = await client.randomDPoPKeyPair('ES256')
    const jwk = await exportJWK(keys.publicKey)
    const now = Date.now()
    const iat = Math.floor(now / 1000) + 290
    const proof = await new SignJWT({
      htm: 'POST',
      htu: 'http://gateway.test/x',
      jti: 'j1',
      ath: createHash('sha256').update('token').digest('base64url'),
      iat,
    })
      .setProtectedHeader({ typ: 'dpop+jwt', alg: 'ES256', jwk })
      .sign(keys.privateKey)
    const recorded: number[] = []
    await verifyDPoPProof({
      proof,
      method: 'POST',
      url: 'http://gateway.test/x',
      accessToken: 'token',
      jkt: await calculateJwkThumbprint(jwk),
      replay: async (_key, expiresAt) => {
        recorded.push(expiresAt)
        return true
      },
      now,
    })
    assert.deepEqual(recorded, [iat + 300])
  })
})
