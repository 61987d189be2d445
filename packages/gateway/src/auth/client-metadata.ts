import type { ClientMetadata } from 'oidc-provider'
import { appJwks, GRANT_TYPES, PROVIDER_GRANT_TYPES, type AppSettings } from './apps.js'

/** Scope values every app may ask for besides its API scopes and purposes. */
export const BASE_SCOPES = ['openid', 'offline_access'] as const

/**
 * An app as oidc-provider's client metadata. `client_secret` holds the secret's scrypt hash:
 * the provider's secret comparison is replaced by a hash check (auth/provider.ts), so the secret
 * itself is never stored.
 */
export function clientMetadata(
  clientId: string,
  secretHash: string | null,
  settings: AppSettings,
  /** The API scopes served; an app's scopes of APIs not offered are left out (oidc-provider refuses a client that names a scope it does not serve). */
  offeredScopes?: ReadonlySet<string>,
): ClientMetadata {
  // oidc-provider refuses grant types it does not serve; the JWT bearer grant is ours.
  const grants = settings.grantTypes.filter((g) => PROVIDER_GRANT_TYPES.includes(g))
  return {
    client_id: clientId,
    ...(secretHash === null ? {} : { client_secret: secretHash }),
    client_name: clientId,
    redirect_uris: settings.redirectUris,
    grant_types: grants,
    response_types: grants.includes(GRANT_TYPES.authorizationCode) ? ['code'] : [],
    token_endpoint_auth_method: settings.tokenEndpointAuthMethod,
    ...(settings.jwks === undefined ? {} : { jwks: appJwks(settings) }),
    id_token_signed_response_alg: 'ES256',
    ...(grants.includes(GRANT_TYPES.ciba) ? { backchannel_token_delivery_mode: 'poll' } : {}),
    scope: [
      ...BASE_SCOPES,
      ...settings.purposes,
      ...settings.scopes.filter((s) => offeredScopes === undefined || offeredScopes.has(s)),
    ].join(' '),
    // Our own metadata, read by the profile checks.
    'x-profile-mode': settings.mode,
  }
}
