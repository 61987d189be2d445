import { purposesIn } from '../core/purpose.js'
import type { ConsentRow } from '../store/consents.js'

/** Splits a request's scope into its OIDC scopes, its purpose and its API scopes. */
export function splitScope(scope: string): {
  oidc: string[]
  purpose: string | undefined
  api: string[]
} {
  const tokens = scope.split(' ').filter((s) => s !== '')
  return {
    oidc: tokens.filter((s) => s === 'openid' || s === 'offline_access'),
    purpose: purposesIn(tokens)[0],
    api: tokens.filter((s) => s !== 'openid' && s !== 'offline_access' && !s.startsWith('dpv:')),
  }
}

/**
 * The API scopes a subscriber's latest decision for an app and purpose consented to; none unless
 * it is a grant. Consent is per app, purpose and scope (AUTH-NOTES P-4): a purpose consented to
 * for some APIs does not cover others.
 */
export function consentedScopes(latest: ConsentRow | undefined): string[] {
  if (latest?.status !== 'granted') return []
  const scopes: unknown = JSON.parse(latest.scopes)
  return Array.isArray(scopes) ? scopes.filter((s): s is string => typeof s === 'string') : []
}

/** Whether the subscriber's latest decision already covers every API scope a request asks for. */
export function consentCovers(latest: ConsentRow | undefined, api: readonly string[]): boolean {
  const consented = new Set(consentedScopes(latest))
  return latest?.status === 'granted' && api.every((s) => consented.has(s))
}
