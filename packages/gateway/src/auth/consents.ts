import type { Clock } from '../core/clock.js'
import { CamaraError } from '../core/camara-error.js'
import type { Store } from '../store/store.js'
import {
  CONSENT_REVOCATION_MODEL,
  pairwiseSubject,
  revocationKey,
  type TokenVerifier,
} from './access-token.js'

/**
 * Revokes a consent: new tokens for that app, purpose and subscriber are refused until the
 * subscriber consents again, the grants already given (with their refresh tokens) end now, and
 * so do the access tokens issued under it: on this instance at once, on the others within
 * `KEY_RELOAD_INTERVAL_MS` (they reload the revocations with the signing keys).
 */
export async function revokeConsent(
  deps: { store: Store; verifier: TokenVerifier; accessTokenTtl: number; clock: Clock },
  id: string,
): Promise<{ id: string; status: 'revoked' }> {
  const consent = await deps.store.consents.byId(id)
  if (consent === undefined) throw new CamaraError('NOT_FOUND', `No consent ${id}`)
  const at = deps.clock().getTime()
  const revocation = {
    clientId: consent.client_id,
    deviceId: consent.device_id,
    purpose: consent.purpose,
    at,
  }
  await deps.store.transaction(async (store) => {
    await store.consents.setStatus(id, 'revoked', new Date(at).toISOString())
    // Kept until every token issued before it has expired.
    await store.oidcModels.upsert({
      model: CONSENT_REVOCATION_MODEL,
      id: revocationKey(revocation.clientId, revocation.deviceId, revocation.purpose),
      payload: JSON.stringify({ at }),
      grant_id: null,
      user_code: null,
      uid: null,
      expires_at: Math.ceil(at / 1000) + deps.accessTokenTtl + 60,
      consumed_at: null,
    })
    const sub = await pairwiseSubject(store, consent.client_id, consent.device_id)
    for (const grantId of await store.oidcModels.grantIds(consent.client_id, sub)) {
      await store.oidcModels.revokeAllByGrantId(grantId)
      await store.oidcModels.destroy('Grant', grantId)
    }
  })
  deps.verifier.revoke(revocation)
  return { id, status: 'revoked' }
}
