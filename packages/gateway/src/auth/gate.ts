import { decodeJwt } from 'jose'
import type { Store } from '../store/store.js'
import type { AppRow } from '../store/apps.js'
import { ALL_GRANT_TYPES, appSettings, GRANT_TYPES, type AppSettings } from './apps.js'
import { OAuthProfileError, requireOnePurpose, rewriteVendorScopes } from './profile.js'
import { needsConsent, type LegalBasis } from '../core/purpose.js'

export type Params = Record<string, string | undefined>

export interface GateDeps {
  store: Store
  legalBases: Readonly<Record<string, LegalBasis>>
}

/**
 * The credentials of an HTTP Basic `Authorization` header; the scheme is case-insensitive (RFC
 * 9110 §11.1), as oidc-provider reads it.
 */
function basicCredentials(authorization: string | undefined): string | undefined {
  const [scheme, credentials] = authorization?.split(' ') ?? []
  return scheme?.toLowerCase() === 'basic' ? (credentials ?? '') : undefined
}

/** The client a token or backchannel request comes from, without authenticating it (the provider does). */
export function claimedClientId(
  params: Params,
  authorization: string | undefined,
): string | undefined {
  if (params['client_id'] !== undefined) return params['client_id']
  const basic = basicCredentials(authorization)
  if (basic !== undefined) {
    const decoded = Buffer.from(basic, 'base64').toString()
    const colon = decoded.indexOf(':')
    if (colon > 0) {
      try {
        return decodeURIComponent(decoded.slice(0, colon))
      } catch {
        // malformed: the provider answers it
        return undefined
      }
    }
  }
  for (const jwt of [params['client_assertion'], params['assertion']]) {
    if (jwt === undefined) continue
    try {
      const iss = decodeJwt(jwt).iss
      if (typeof iss === 'string') return iss
    } catch {
      // malformed: the provider answers it
    }
  }
  return undefined
}

/** Profile errors held until oidc-provider has authenticated the client, by request. */
const held = new WeakMap<object, OAuthProfileError>()

/**
 * Holds a profile error found in front of the token or backchannel endpoint until oidc-provider
 * has authenticated the client (`takeHeldProfileError`, auth/provider.ts). An unauthenticated
 * caller gets the provider's `invalid_client` and learns nothing of the app's grants, purposes,
 * scopes or mode (RFC 6749 §5.2).
 */
export function holdUntilClientAuthenticated(request: object, error: OAuthProfileError): void {
  held.set(request, error)
}

/** The profile error held for this request, once: the client has authenticated. */
export function takeHeldProfileError(request: object): OAuthProfileError | undefined {
  const error = held.get(request)
  held.delete(request)
  return error
}

function usesSecret(params: Params, authorization: string | undefined): boolean {
  return params['client_secret'] !== undefined || basicCredentials(authorization) !== undefined
}

/**
 * The CAMARA profile checks and the vendor-compatible rewrites that sit in front of
 * oidc-provider, on the plain request parameters of `/oauth2/authorize`, `/oauth2/bc-authorize`
 * and `/oauth2/token`. Returns the parameters to hand on, or throws an OAuth error. At the token
 * and backchannel endpoints the error reveals the app's settings, so it is answered only to an
 * authenticated client (`holdUntilClientAuthenticated`).
 */
export async function gateAuthorizationRequest(
  deps: GateDeps,
  endpoint: 'authorize' | 'bc-authorize' | 'token',
  params: Params,
  authorization: string | undefined,
  /** Told the app row read for this request (the provider's client lookup reuses it). */
  onApp?: (app: AppRow) => void,
): Promise<Params> {
  const clientId = claimedClientId(params, authorization)
  const app = clientId === undefined ? undefined : await deps.store.apps.byClientId(clientId)
  if (app === undefined) return params
  onApp?.(app)
  return profileChecks(deps, endpoint, params, authorization, appSettings(app))
}

/**
 * The profile checks of {@link gateAuthorizationRequest} for an app already read: the parameters
 * to hand on, or an OAuth error.
 */
export function profileChecks(
  deps: Pick<GateDeps, 'legalBases'>,
  endpoint: 'authorize' | 'bc-authorize' | 'token',
  params: Params,
  authorization: string | undefined,
  settings: AppSettings,
): Params {
  const compatible = settings.mode === 'compatible'

  if (endpoint !== 'authorize' && usesSecret(params, authorization) && !compatible) {
    throw new OAuthProfileError(
      'invalid_client',
      'this app must authenticate with private_key_jwt (CAMARA profile)',
      401,
    )
  }
  const grantType = params['grant_type']
  // RFC 6749 §5.2 / CAMARA ICM Appendix A: a grant the app may not use is unauthorized_client;
  // a grant type the server does not know is left to the provider (unsupported_grant_type).
  if (endpoint !== 'authorize') {
    const wanted = endpoint === 'token' ? grantType : GRANT_TYPES.ciba
    if (
      wanted !== undefined &&
      (ALL_GRANT_TYPES as readonly string[]).includes(wanted) &&
      !(settings.grantTypes as string[]).includes(wanted)
    ) {
      throw new OAuthProfileError('unauthorized_client', `this app may not use the ${wanted} grant`)
    }
  }
  if (
    endpoint === 'token' &&
    grantType === GRANT_TYPES.authorizationCode &&
    params['redirect_uri'] === undefined &&
    !compatible
  ) {
    throw new OAuthProfileError('invalid_request', 'redirect_uri is required')
  }
  if (endpoint === 'token' && grantType !== GRANT_TYPES.clientCredentials) return params

  const rewritten = rewriteVendorScopes(params, compatible)
  if (
    endpoint === 'bc-authorize' &&
    compatible &&
    rewritten['scope'] !== undefined &&
    !rewritten['scope'].split(' ').includes('openid')
  ) {
    // CIBA is an OpenID Connect flow: vendor-compatible requests without openid get it added.
    rewritten['scope'] = `openid ${rewritten['scope']}`
  }
  if (endpoint === 'token') {
    // Client credentials: scope is required (CAMARA ICM) and carries exactly one known, allowed purpose.
    if (rewritten['scope'] === undefined)
      throw new OAuthProfileError('invalid_scope', 'scope is required')
    const purpose = requireOnePurpose(rewritten['scope'])
    if (!(purpose in deps.legalBases))
      throw new OAuthProfileError('invalid_scope', `unknown purpose ${purpose}`)
    if (!settings.purposes.includes(purpose))
      throw new OAuthProfileError('invalid_scope', `purpose ${purpose} is not allowed for this app`)
    // CAMARA ICM (AUTH-NOTES CC-1, P-4): a two-legged token has no subscriber to consent, so it is
    // only for purposes whose legal basis needs no consent.
    const basis = deps.legalBases[purpose]
    if (basis !== undefined && needsConsent(basis))
      throw new OAuthProfileError(
        'invalid_scope',
        `purpose ${purpose} needs the subscriber's consent; a client credentials token cannot carry it (use CIBA, the authorization code flow or the JWT bearer grant)`,
      )
    const notAllowed = rewritten['scope']
      .split(' ')
      .filter((s) => !s.startsWith('dpv:') && !settings.scopes.includes(s))
    if (notAllowed.length > 0)
      throw new OAuthProfileError(
        'invalid_scope',
        `scope not allowed for this app: ${notAllowed.join(' ')}`,
      )
  }
  return rewritten
}
