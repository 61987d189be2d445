import { createHash } from 'node:crypto'
import { calculateJwkThumbprint, decodeProtectedHeader, importJWK, jwtVerify, type JWK } from 'jose'

export class DPoPProofError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'DPoPProofError'
  }
}

const ALGS = ['ES256', 'ES384', 'PS256', 'RS256', 'EdDSA']

/** How long a proof is accepted around its `iat` (CAMARA ICM: 300 s). */
const PROOF_WINDOW_S = 300

/**
 * Records a proof's `jti` (keyed by the proof key) until `expiresAt`, epoch seconds: true the
 * first time, false for a replay. It must be shared by every instance (the gateway keeps it in the
 * store), or a proof captured on one could be replayed on another.
 */
export type ProofReplay = (key: string, expiresAt: number) => Promise<boolean>

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
  replay: ProofReplay
  /** Epoch milliseconds, from the gateway's clock. */
  now: number
}): Promise<void> {
  const now = input.now
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
  if (!Number.isFinite(iat) || Math.abs(now / 1000 - iat) > PROOF_WINDOW_S)
    throw new DPoPProofError('the DPoP proof iat is not recent')
  const ath = createHash('sha256').update(input.accessToken).digest('base64url')
  if (payload['ath'] !== ath)
    throw new DPoPProofError('the DPoP proof ath does not match the access token')
  if ((await calculateJwkThumbprint(jwk)) !== input.jkt)
    throw new DPoPProofError('the DPoP proof key is not the one the token is bound to')
  // Remembered for as long as the proof is acceptable: until iat + 300 s (an iat up to 300 s
  // ahead keeps it acceptable for up to 600 s from now), RFC 9449 §11.1.
  const jti = payload['jti']
  if (
    typeof jti !== 'string' ||
    jti === '' ||
    !(await input.replay(`${input.jkt}:${jti}`, Math.ceil(iat) + PROOF_WINDOW_S))
  ) {
    throw new DPoPProofError('the DPoP proof jti is missing or was already used')
  }
}
