import { systemClock, type Clock } from '../core/clock.js'
import { randomUUID } from 'node:crypto'
import { exportJWK, generateKeyPair, importJWK, type CryptoKey, type JWK } from 'jose'
import type { Store } from '../store/store.js'

/** The algorithm of the gateway's token-signing keys (CAMARA ICM: ES256 or RS256; ES256 is smaller and faster). */
export const SIGNING_ALG = 'ES256'

/**
 * How often an instance re-reads the signing keys to notice a rotation made by another instance
 * (docs/deploy.md); the instance that rotates switches at once.
 */
export const KEY_RELOAD_INTERVAL_MS = 5_000

export interface SigningKey {
  kid: string
  alg: string
  privateKey: CryptoKey
  publicKey: CryptoKey
  publicJwk: JWK
  privateJwk: JWK
  retired: boolean
}

/**
 * The gateway's signing keys, kept in the store so that every instance signs and verifies with
 * the same set and a restart keeps them. The newest unretired key signs; every key still held
 * verifies, so tokens signed before a rotation stay valid until they expire.
 */
export interface Keyring {
  current(): SigningKey
  /** Every key held, the current one included. */
  all(): SigningKey[]
  /** Public keys as a JWKS document (`/oauth2/jwks`). */
  jwks(): { keys: JWK[] }
  byKid(kid: string): SigningKey | undefined
  /** Re-reads the keys from the store (another instance may have rotated). */
  reload(): Promise<void>
  /** Creates a new signing key and retires the current one. */
  rotate(): Promise<SigningKey>
}

async function createKey(): Promise<{ kid: string; privateJwk: JWK; publicJwk: JWK }> {
  const { privateKey, publicKey } = await generateKeyPair(SIGNING_ALG, { extractable: true })
  const kid = randomUUID()
  const privateJwk = { ...(await exportJWK(privateKey)), kid, alg: SIGNING_ALG, use: 'sig' }
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg: SIGNING_ALG, use: 'sig' }
  return { kid, privateJwk, publicJwk }
}

export async function openKeyring(store: Store, now: Clock = systemClock): Promise<Keyring> {
  let keys: SigningKey[] = []

  // One query; only keys not held yet are parsed and imported, so reloading often is cheap.
  const load = async () => {
    const rows = await store.signingKeys.list()
    const held = new Map(keys.map((k) => [k.kid, k]))
    keys = await Promise.all(
      rows.map(async (row) => {
        const retired = row.retired_at !== null
        const known = held.get(row.kid)
        if (known !== undefined) return known.retired === retired ? known : { ...known, retired }
        const privateJwk = JSON.parse(row.private_jwk) as JWK
        const publicJwk = JSON.parse(row.public_jwk) as JWK
        return {
          kid: row.kid,
          alg: row.alg,
          privateKey: (await importJWK(privateJwk, row.alg)) as CryptoKey,
          publicKey: (await importJWK(publicJwk, row.alg)) as CryptoKey,
          publicJwk,
          privateJwk,
          retired,
        }
      }),
    )
  }

  const insertNew = async (target: Store = store) => {
    const key = await createKey()
    await target.signingKeys.insert({
      kid: key.kid,
      alg: SIGNING_ALG,
      private_jwk: JSON.stringify(key.privateJwk),
      public_jwk: JSON.stringify(key.publicJwk),
      created_at: now().toISOString(),
      retired_at: null,
    })
    return key.kid
  }

  await load()
  if (!keys.some((k) => !k.retired)) {
    await insertNew()
    await load()
  }

  const keyring: Keyring = {
    current() {
      const key = keys.find((k) => !k.retired)
      if (key === undefined) throw new Error('no active signing key')
      return key
    },
    all: () => [...keys],
    jwks: () => ({ keys: keys.map((k) => k.publicJwk) }),
    byKid: (kid) => keys.find((k) => k.kid === kid),
    reload: load,
    async rotate() {
      const previous = keys.filter((k) => !k.retired).map((k) => k.kid)
      const kid = await store.transaction(async (trx) => {
        const at = now().toISOString()
        for (const old of previous) await trx.signingKeys.retire(old, at)
        return insertNew(trx)
      })
      await load()
      const key = keys.find((k) => k.kid === kid)
      if (key === undefined) throw new Error('rotated key not found')
      return key
    },
  }
  return keyring
}
