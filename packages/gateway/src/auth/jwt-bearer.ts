import type { Clock } from '../core/clock.js'
import { createLocalJWKSet, decodeJwt, jwtVerify } from 'jose'
import type { Store } from '../store/store.js'
import type { NetworkPort } from '../network/port.js'
import { mintAccessToken, pairwiseSubject } from './access-token.js'
import { appJwks, appSettings, GRANT_TYPES, type AppSettings } from './apps.js'
import { consentCovers, splitScope } from './ciba.js'
import type { Keyring } from './keys.js'
import { parseLoginHint } from './login-hint.js'
import { verifyOperatorToken } from './operator-token.js'
import { OAuthProfileError, requireOnePurpose, rewriteVendorScopes } from './profile.js'
import { needsConsent, type LegalBasis } from '../core/purpose.js'

export interface JwtBearerDeps {
  store: Store
  clock: Clock
  network: NetworkPort
  keyring: Keyring
  issuer: string
  accessTokenTtl: number
  legalBases: Readonly<Record<string, LegalBasis>>
}

const MAX_LIFETIME = 300

/**
 * The JWT Bearer grant (RFC 7523 §2.1) as the CAMARA profile shapes it: the signed assertion is
 * the client authentication; `iss` is the app, `sub` a login_hint form (`tel:+…`,
 * `operatortoken:…`), `aud` the token endpoint (or the issuer), `exp`/`iat`/`jti` mandatory with
 * at most 300 s of life; the purpose and API scopes ride in the `scope` claim, never a parameter;
 * consent is checked when the purpose needs it; no refresh token.
 */
export async function jwtBearerGrant(
  deps: JwtBearerDeps,
  params: Record<string, string | undefined>,
): Promise<Record<string, unknown>> {
  const assertion = params['assertion']
  if (assertion === undefined)
    throw new OAuthProfileError('invalid_request', 'assertion is required')
  if (params['scope'] !== undefined) {
    throw new OAuthProfileError(
      'invalid_request',
      "the scope parameter must not be sent; put the scopes in the assertion's scope claim",
    )
  }
  const { iss, settings, payload } = await verifiedAssertion(deps, assertion)

  const { purpose, basis, api } = grantedScopes(deps, settings, payload)

  const deviceId = await subscriberOf(deps, settings, payload)

  if (needsConsent(basis)) {
    // Consent is per app, purpose and API scopes (AUTH-NOTES P-4): it must cover every scope asked.
    const consent = await deps.store.consents.latest(iss, deviceId, purpose)
    if (!consentCovers(consent, api)) {
      throw new OAuthProfileError(
        'invalid_grant',
        'the subscriber has not consented to this purpose and these APIs for this app',
      )
    }
  }
  const tokenScope = [purpose, ...api].join(' ')
  const accessToken = await mintAccessToken(deps, {
    clientId: iss,
    scope: tokenScope,
    deviceId,
    ttlSeconds: deps.accessTokenTtl,
  })
  await pairwiseSubject(deps.store, iss, deviceId)
  return {
    access_token: accessToken,
    token_type: 'Bearer',
    expires_in: deps.accessTokenTtl,
    scope: tokenScope,
  }
}

/**
 * The assertion as client authentication and as a grant: the app its `iss` names signed it with
 * a registered key, for this token endpoint, within its lifetime, once; the app may use the grant.
 */
async function verifiedAssertion(
  deps: JwtBearerDeps,
  assertion: string,
): Promise<{ iss: string; settings: AppSettings; payload: Record<string, unknown> }> {
  let iss: string | undefined
  try {
    iss = decodeJwt(assertion).iss
  } catch {
    throw new OAuthProfileError('invalid_grant', 'the assertion is not a JWT')
  }
  const app = iss === undefined ? undefined : await deps.store.apps.byClientId(iss)
  const settings = app === undefined ? undefined : appSettings(app)
  const jwks = settings === undefined ? undefined : appJwks(settings)
  // The assertion is the client authentication: nothing about the app is told before its
  // signature is verified; an unknown app and one without keys look alike (RFC 6749 §5.2).
  if (iss === undefined || settings === undefined || jwks === undefined)
    throw new OAuthProfileError('invalid_client', 'client authentication failed', 401)
  let payload: Record<string, unknown>
  try {
    ;({ payload } = await jwtVerify(assertion, createLocalJWKSet({ keys: jwks.keys }), {
      issuer: iss,
      audience: [`${deps.issuer}/oauth2/token`, deps.issuer],
      requiredClaims: ['exp', 'iat', 'jti', 'sub'],
      clockTolerance: 5,
    }))
  } catch (cause) {
    throw new OAuthProfileError(
      'invalid_grant',
      `the assertion is not valid: ${(cause as Error).message}`,
    )
  }
  if (!settings.grantTypes.includes(GRANT_TYPES.jwtBearer)) {
    throw new OAuthProfileError('unauthorized_client', 'this app may not use the JWT bearer grant')
  }
  const now = Math.floor(deps.clock().getTime() / 1000)
  const exp = Number(payload['exp'])
  const iat = Number(payload['iat'])
  if (exp > now + MAX_LIFETIME || exp - iat > MAX_LIFETIME || iat > now + 5) {
    throw new OAuthProfileError(
      'invalid_grant',
      'the assertion may live at most 300 seconds and not be issued in the future',
    )
  }
  const jti = String(payload['jti'])
  // Recorded in one statement, so that two instances cannot both accept the same assertion.
  if (!(await deps.store.oidcModels.claimOnce('JwtBearerAssertion', `${iss}:${jti}`, exp + 60))) {
    throw new OAuthProfileError('invalid_grant', 'the assertion was already used')
  }
  return { iss, settings, payload }
}

/** The assertion's `scope` claim: exactly one purpose the app may use, and API scopes it may use. */
function grantedScopes(
  deps: JwtBearerDeps,
  settings: AppSettings,
  payload: Record<string, unknown>,
): { purpose: string; basis: LegalBasis; api: string[] } {
  const scopeClaim = typeof payload['scope'] === 'string' ? payload['scope'] : undefined
  const scope = rewriteVendorScopes({ scope: scopeClaim }, settings.mode === 'compatible')['scope']
  const purpose = requireOnePurpose(scope)
  const basis = deps.legalBases[purpose]
  if (basis === undefined || !settings.purposes.includes(purpose)) {
    throw new OAuthProfileError('invalid_scope', `purpose ${purpose} is not allowed for this app`)
  }
  const { api } = splitScope(scope ?? '')
  const notAllowed = api.filter((s) => !settings.scopes.includes(s))
  if (api.length === 0 || notAllowed.length > 0) {
    throw new OAuthProfileError(
      'invalid_scope',
      api.length === 0
        ? 'no API scope requested'
        : `scope not allowed for this app: ${notAllowed.join(' ')}`,
    )
  }
  return { purpose, basis, api }
}

/** The subscriber the assertion's `sub` names (`tel:` or `operatortoken:`), through the network. */
async function subscriberOf(
  deps: JwtBearerDeps,
  settings: AppSettings,
  payload: Record<string, unknown>,
): Promise<string> {
  const hint = parseLoginHint(String(payload['sub']), {
    compatible: settings.mode === 'compatible',
  })
  if (typeof hint === 'string') throw new OAuthProfileError('invalid_grant', `sub: ${hint}`)
  let deviceId: string | undefined
  if (hint.kind === 'operatortoken') deviceId = await verifyOperatorToken(deps, hint.token)
  else if (hint.selector.kind === 'phoneNumber')
    deviceId = (await deps.network.find(hint.selector))?.id
  else throw new OAuthProfileError('invalid_grant', 'sub must be tel: or operatortoken:')
  if (deviceId === undefined)
    throw new OAuthProfileError('invalid_grant', 'sub does not identify a subscriber')
  return deviceId
}
