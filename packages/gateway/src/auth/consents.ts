import { CamaraError } from '../http/camara-error.js'
import type { Store } from '../store/store.js'
import { pairwiseSubject } from './access-token.js'

/**
 * Revokes a consent: new tokens for that app, purpose and subscriber are refused until the
 * subscriber consents again, and the grants already given (with their refresh tokens) end now.
 */
export async function revokeConsent(
  deps: { store: Store },
  id: string,
): Promise<{ id: string; status: 'revoked' }> {
  const consent = await deps.store.consents.byId(id)
  if (consent === undefined) throw new CamaraError('NOT_FOUND', `No consent ${id}`)
  await deps.store.transaction(async (store) => {
    await store.consents.setStatus(id, 'revoked', new Date().toISOString())
    const sub = await pairwiseSubject(store, consent.client_id, consent.device_id)
    for (const grantId of await store.oidcModels.grantIds(consent.client_id, sub)) {
      await store.oidcModels.revokeByGrantId(grantId)
      await store.oidcModels.destroy('Grant', grantId)
    }
  })
  return { id, status: 'revoked' }
}
