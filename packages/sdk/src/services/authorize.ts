import type { Device } from '../apis/types.js'
import { scopeFor } from '../auth/authorization-code.js'
import { createSession, type Session } from '../auth/session.js'
import { clientConfigOf, type ClientCredentials } from '../client-credentials.js'
import { DeviceStatusError } from '../errors.js'

/** Backend flow: CIBA for the subscriber of this phone number. */
export interface BackendAuthorization {
  /** The subscriber's phone number, E.164 (`+34…`); sent as `login_hint=tel:…`. */
  phoneNumber: string
  /** The `dpv:` purpose; default `dpv:FraudPreventionAndDetection`. */
  purpose?: string
  /** API scopes to ask for; default every scope of the service. */
  scopes?: readonly string[]
  /** Another `login_hint` (`ipport:…`, `operatortoken:…`) instead of `tel:<phoneNumber>`. */
  loginHint?: string
}

/** Frontend flow: the authorization code the callback received. */
export interface FrontendAuthorization {
  /** The `code` query parameter of the callback. */
  authCode: string
  /** The redirect URI of the authorization request (default: the credentials' `redirectUri`). */
  redirectUri?: string
  /**
   * The PKCE verifier of the authorization request. When absent, the one
   * {@link ClientCredentials.authorizationUrl} made for `state` is used (or the only one pending).
   */
  codeVerifier?: string
  /** The `state` of the callback: finds the verifier `authorizationUrl()` made for it. */
  state?: string
}

/** Two-legged: client credentials, the calls name the device. Only where the gateway allows it. */
export interface TwoLeggedAuthorization {
  /** The device the calls are about. */
  device: Device
  /** The `dpv:` purpose; default `dpv:FraudPreventionAndDetection`. */
  purpose?: string
  /** API scopes to ask for; default every scope of the service. */
  scopes?: readonly string[]
}

/** Reuse the session (token) of another service object, e.g. one code for two services. */
export interface SharedAuthorization {
  /** The session to share. */
  session: Session
}

/** How a service object is authorized. */
export type Authorization =
  BackendAuthorization | FrontendAuthorization | TwoLeggedAuthorization | SharedAuthorization

/**
 * Resolves a service constructor's arguments, object or vendor positional form
 * (`(credentials, code)`, `(credentials, undefined, phoneNumber)`), into a session.
 */
export function sessionFor(
  credentials: ClientCredentials,
  auth: Authorization | string | undefined,
  phoneNumber: string | undefined,
  scopes: readonly string[],
): Session {
  const config = clientConfigOf(credentials)
  if (typeof auth === 'string') auth = { authCode: auth }
  if (auth === undefined && phoneNumber !== undefined) auth = { phoneNumber }
  if (auth === undefined)
    throw new DeviceStatusError(
      'INVALID_USAGE',
      'give { phoneNumber } (backend), { authCode } (frontend) or { device } (two-legged)',
    )
  if ('session' in auth) return auth.session
  if ('authCode' in auth) {
    const pending = config.pendingVerifiers
    let codeVerifier = auth.codeVerifier
    if (codeVerifier === undefined && auth.state !== undefined)
      codeVerifier = pending.get(auth.state)
    if (codeVerifier === undefined && pending.size === 1) codeVerifier = [...pending.values()][0]
    for (const [state, verifier] of pending) if (verifier === codeVerifier) pending.delete(state)
    return createSession(config, {
      kind: 'authorization_code',
      code: auth.authCode,
      redirectUri: auth.redirectUri,
      codeVerifier,
    })
  }
  if ('device' in auth) {
    return createSession(config, {
      kind: 'client_credentials',
      scope: scopeFor({ purpose: auth.purpose, scopes: auth.scopes ?? scopes }).replace(
        /^openid /,
        '',
      ),
      device: auth.device,
    })
  }
  if (typeof auth.phoneNumber !== 'string' || !/^\+[1-9][0-9]{4,14}$/.test(auth.phoneNumber))
    throw new DeviceStatusError(
      'INVALID_USAGE',
      `phoneNumber must be E.164 with a leading + (got ${String(auth.phoneNumber)})`,
    )
  return createSession(config, {
    kind: 'ciba',
    loginHint: auth.loginHint ?? `tel:${auth.phoneNumber}`,
    scope: scopeFor({ purpose: auth.purpose, scopes: auth.scopes ?? scopes }),
    phoneNumber: auth.phoneNumber,
  })
}

/** A phone number among vendor positional arguments: the first E.164-looking string. */
export function phoneNumberAmong(args: readonly unknown[]): string | undefined {
  return args.find((a): a is string => typeof a === 'string' && /^\+?[0-9]{5,15}$/.test(a))
}
