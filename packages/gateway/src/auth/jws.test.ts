import assert from 'node:assert/strict'
import { test } from 'node:test'
import { decodeProtectedHeader, exportJWK, generateKeyPair, jwtVerify } from 'jose'
import type { SigningKey } from './keys.js'
import { signJwt, tokenId } from './jws.js'

async function key(alg = 'ES256'): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true })
  return {
    kid: 'k1',
    alg,
    privateKey,
    publicKey,
    publicJwk: await exportJWK(publicKey),
    privateJwk: await exportJWK(privateKey),
    retired: false,
  }
}

test('signJwt: a JWS that jose verifies, with the header and claims given, in their order', async () => {
  const k = await key()
  const claims = { jti: 'x', sub: 'app', iat: 1, exp: 4102444800, scope: 'a b', iss: 'i', aud: 'i' }
  for (const typ of ['at+jwt', undefined] as const) {
    const jwt = signJwt(k, claims, typ)
    const { payload, protectedHeader } = await jwtVerify(jwt, k.publicKey, { issuer: 'i' })
    assert.deepEqual(payload, claims)
    assert.deepEqual(
      Object.keys(decodeProtectedHeader(jwt)),
      typ === undefined ? ['alg', 'kid'] : ['alg', 'typ', 'kid'],
    )
    assert.deepEqual(protectedHeader, { alg: 'ES256', kid: 'k1', ...(typ ? { typ } : {}) })
    assert.deepEqual(
      Object.keys(JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString())),
      Object.keys(claims),
    )
  }
})

test('signJwt: a tampered token fails verification; a key of another algorithm is refused', async () => {
  const k = await key()
  const [h, , s] = signJwt(k, { sub: 'a' }).split('.')
  const forged = `${h}.${Buffer.from('{"sub":"b"}').toString('base64url')}.${s}`
  await assert.rejects(jwtVerify(forged, k.publicKey))
  assert.throws(() => signJwt({ ...k, alg: 'RS256' }, { sub: 'a' }), /ES256 only/)
})

test('tokenId: 43 characters of the URL-safe alphabet, all distinct', () => {
  const ids = new Set(Array.from({ length: 5000 }, () => tokenId()))
  assert.equal(ids.size, 5000)
  for (const id of ids) assert.match(id, /^[A-Za-z0-9_-]{43}$/)
})
