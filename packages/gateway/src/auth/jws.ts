import { KeyObject, randomFillSync, sign } from 'node:crypto'
import type { SigningKey } from './keys.js'

/**
 * Signs a JWT with one of the keyring's keys: the compact JWS (RFC 7515 §7.1) of `claims`, in
 * their own order, under a protected header `{alg, typ?, kid}`. The keyring's keys are ES256
 * (`SIGNING_ALG`), whose JWS signature is the ECDSA P-256 SHA-256 signature in its IEEE P1363
 * form (RFC 7518 §3.4), as node:crypto gives it with `dsaEncoding: 'ieee-p1363'`. Synchronous,
 * and about a third of jose's WebCrypto signing cost per token (bench/README.md): the token
 * endpoint signs one or two per answer. Tokens are verified with jose, everywhere.
 */
export function signJwt(
  key: SigningKey,
  claims: Readonly<Record<string, unknown>>,
  typ?: 'at+jwt',
): string {
  if (key.alg !== 'ES256') throw new Error(`signJwt signs ES256 only, not ${key.alg}`)
  const input = `${encodedHeader(key, typ)}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`
  const signature = sign('sha256', Buffer.from(input), {
    key: keyObjectOf(key),
    dsaEncoding: 'ieee-p1363',
  })
  return `${input}.${signature.toString('base64url')}`
}

// Per key: its encoded headers (by typ) and its private key as a KeyObject, made once.
const headers = new WeakMap<SigningKey, Map<string, string>>()
function encodedHeader(key: SigningKey, typ: string | undefined): string {
  let byTyp = headers.get(key)
  if (byTyp === undefined) headers.set(key, (byTyp = new Map<string, string>()))
  let header = byTyp.get(typ ?? '')
  if (header === undefined) {
    const fields =
      typ === undefined ? { alg: key.alg, kid: key.kid } : { alg: key.alg, typ, kid: key.kid }
    header = Buffer.from(JSON.stringify(fields)).toString('base64url')
    byTyp.set(typ ?? '', header)
  }
  return header
}

const keyObjects = new WeakMap<SigningKey, KeyObject>()
function keyObjectOf(key: SigningKey): KeyObject {
  let object = keyObjects.get(key)
  if (object === undefined) {
    object = KeyObject.from(key.privateKey)
    keyObjects.set(key, object)
  }
  return object
}

/** A token id as oidc-provider draws it (helpers/nanoid.js): 43 characters of its URL-safe alphabet. */
const ID_ALPHABET = 'useandom-26T198340PX75pxJACKVERYMINDBUSHWOLF_GQZbfghjklqvwyzrict'
const ID_LENGTH = 43
const pool = Buffer.alloc(4096)
let offset = pool.length
export function tokenId(): string {
  if (offset + ID_LENGTH > pool.length) {
    randomFillSync(pool)
    offset = 0
  }
  let id = ''
  for (let i = 0; i < ID_LENGTH; i++) id += ID_ALPHABET[(pool[offset + i] ?? 0) & 63]
  offset += ID_LENGTH
  return id
}
