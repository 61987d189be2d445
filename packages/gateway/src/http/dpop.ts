import { createHash } from 'node:crypto'
import { calculateJwkThumbprint, decodeProtectedHeader, importJWK, jwtVerify, type JWK } from 'jose'

export class DPoPProofError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'DPoPProofError'
  }
}

const ALGS = ['ES256', 'ES384', 'PS256', 'RS256', 'EdDSA']

/** Remembers proof `jti`s for their window, so a proof cannot be replayed (RFC 9449 §11.1). */
export function proofReplayCache(windowMs = 300_000, max = 100_000) {
  const seen = new Map<string, number>()
  return {
    /** False when the jti was already seen within the window. */
    add(jti: string, now: number): boolean {
      for (const [key, at] of seen) {
        if (now - at <= windowMs && seen.size < max) break
        seen.delete(key)
      }
      if (seen.has(jti)) return false
      seen.set(jti, now)
      return true
    },
  }
}

/**
 * Verifies a DPoP proof presented with a DPoP-bound access token (RFC 9449 §4.3, §7.1): a
 * `dpop+jwt` signed by the key in its header, for this method and URL, issued within 300 s
 * (CAMARA ICM), carrying `ath` = the token's hash and a fresh `jti`; its key's thumbprint must be
 * the token's `cnf.jkt`.
 */
export async function verifyDPoPProof(input: {
  proof: string
  method: string
  url: string
  accessToken: string
  jkt: string
  replay: ReturnType<typeof proofReplayCache>
  now?: number
}): Promise<void> {
  const now = input.now ?? Date.now()
  let header: ReturnType<typeof decodeProtectedHeader>
  try {
    header = decodeProtectedHeader(input.proof)
  } catch {
    throw new DPoPProofError('the DPoP proof is not a JWT')
  }
  if (
    header.typ !== 'dpop+jwt' ||
    typeof header.alg !== 'string' ||
    !ALGS.includes(header.alg) ||
    header.jwk === undefined
  ) {
    throw new DPoPProofError(
      'the DPoP proof header must have typ dpop+jwt, an asymmetric alg and a jwk',
    )
  }
  const jwk = header.jwk as JWK
  if ('d' in jwk) throw new DPoPProofError('the DPoP proof jwk must be a public key')
  let payload: Record<string, unknown>
  try {
    ;({ payload } = await jwtVerify(input.proof, await importJWK(jwk, header.alg), {
      typ: 'dpop+jwt',
      algorithms: ALGS,
    }))
  } catch {
    throw new DPoPProofError('the DPoP proof signature is not valid')
  }
  if (payload['htm'] !== input.method)
    throw new DPoPProofError('the DPoP proof htm does not match the request method')
  const htu = typeof payload['htu'] === 'string' ? payload['htu'].split(/[?#]/)[0] : undefined
  if (htu !== input.url)
    throw new DPoPProofError('the DPoP proof htu does not match the request URL')
  const iat = Number(payload['iat'])
  if (!Number.isFinite(iat) || Math.abs(now / 1000 - iat) > 300)
    throw new DPoPProofError('the DPoP proof iat is not recent')
  const ath = createHash('sha256').update(input.accessToken).digest('base64url')
  if (payload['ath'] !== ath)
    throw new DPoPProofError('the DPoP proof ath does not match the access token')
  if ((await calculateJwkThumbprint(jwk)) !== input.jkt)
    throw new DPoPProofError('the DPoP proof key is not the one the token is bound to')
  const jti = payload['jti']
  if (typeof jti !== 'string' || jti === '' || !input.replay.add(`${input.jkt}:${jti}`, now)) {
    throw new DPoPProofError('the DPoP proof jti is missing or was already used')
  }
}
