import type { Clock } from '../core/clock.js'
import { CamaraError } from '../core/camara-error.js'
import type { Store } from '../store/store.js'
import {
  CONSENT_REVOCATION_MODEL,
  pairwiseSubject,
  revocationKey,
  type ConsentRevocation,
  type TokenVerifier,
} from './access-token.js'
import { purposesIn } from '../core/purpose.js'

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
    await storeRevocation(store, revocation, deps.accessTokenTtl)
    const sub = await pairwiseSubject(store, consent.client_id, consent.device_id)
    for (const grantId of await store.oidcModels.grantIds(consent.client_id, sub)) {
      await store.oidcModels.revokeAllByGrantId(grantId)
      await store.oidcModels.destroy('Grant', grantId)
    }
  })
  deps.verifier.revoke(revocation)
  return { id, status: 'revoked' }
}

/** Records a revocation for the other instances, kept until every token it covers has expired. */
async function storeRevocation(
  store: Store,
  revocation: ConsentRevocation,
  accessTokenTtl: number,
): Promise<void> {
  await store.oidcModels.upsert({
    model: CONSENT_REVOCATION_MODEL,
    id: revocationKey(revocation.clientId, revocation.deviceId, revocation.purpose),
    payload: JSON.stringify({ at: revocation.at }),
    grant_id: null,
    user_code: null,
    uid: null,
    expires_at: Math.ceil(revocation.at / 1000) + accessTokenTtl + 60,
    consumed_at: null,
  })
}

/**
 * RFC 6749 §4.1.2: an authorization code used twice is refused (by oidc-provider, which also
 * ends its grant and refresh tokens), and the access tokens issued with its first use are revoked
 * too. They are JWTs the store does not hold, so they are revoked as a consent revocation does:
 * the app's tokens for that subscriber and purpose issued until now, here at once and on the
 * other instances at their next reload. Returns whether `code` was such a replay.
 */
export async function revokeTokensOfReplayedCode(
  deps: { store: Store; verifier: TokenVerifier; accessTokenTtl: number; clock: Clock },
  code: string,
): Promise<boolean> {
  const row = await deps.store.oidcModels.find('AuthorizationCode', code)
  if (row === undefined || row.consumed_at === null) return false
  const payload = JSON.parse(row.payload) as {
    clientId?: string
    accountId?: string
    scope?: string
  }
  if (payload.clientId === undefined || payload.accountId === undefined) return false
  const subject = await deps.store.subjects.bySub(payload.accountId)
  if (subject === undefined) return false
  const at = deps.clock().getTime()
  for (const purpose of purposesIn((payload.scope ?? '').split(' '))) {
    const revocation = { clientId: payload.clientId, deviceId: subject.device_id, purpose, at }
    await storeRevocation(deps.store, revocation, deps.accessTokenTtl)
    deps.verifier.revoke(revocation)
  }
  return true
}
