import * as oauth from 'oauth4webapi'
import { DeviceStatusError } from '../errors.js'
import type { CallOptions } from '../options.js'
import { discover, oauthOptions, toAuthError, type ClientConfig } from './config.js'

/** What {@link ClientCredentials.authorizationUrl} needs. */
export interface AuthorizationUrlOptions {
  /** The registered redirect URI (callback) of the app. */
  redirectUri: string
  /** The `dpv:` purpose; default `dpv:FraudPreventionAndDetection`. A vendor `dpv:X#api` value is sent as is. */
  purpose?: string
  /** Opaque value the callback gets back; a random one is generated when absent. */
  state?: string
  /** API scopes to ask for; default every Device Status and SIM Swap scope. */
  scopes?: readonly string[]
  /** A `login_hint` (`tel:+34…`); CAMARA lets the server ignore it in this flow. */
  loginHint?: string
  /** Ask for a refresh token (`offline_access`). */
  offlineAccess?: boolean
}

/** An authorization request: the URL to send the browser to, and what the callback needs. */
export interface AuthorizationRequest {
  /** `/authorize` URL with the PKCE challenge (S256). */
  url: URL
  /** PKCE verifier: keep it (server side) for the code exchange. */
  codeVerifier: string
  /** The `state` sent. */
  state: string
  /** The redirect URI sent. */
  redirectUri: string
}

/** Default purpose: fraud prevention, whose legal basis needs no consent. */
export const DEFAULT_PURPOSE = 'dpv:FraudPreventionAndDetection'

/** The scope string of a request: `openid`, the purpose and the API scopes (CAMARA ICM). */
export function scopeFor(input: {
  purpose?: string | undefined
  scopes: readonly string[]
  offlineAccess?: boolean | undefined
}): string {
  const purpose = input.purpose ?? DEFAULT_PURPOSE
  // The vendor's `dpv:Purpose#api` form already names the API (vendor-compatible gateways).
  if (purpose.includes('#')) return purpose
  return [
    'openid',
    ...(input.offlineAccess === true ? ['offline_access'] : []),
    purpose,
    ...input.scopes,
  ].join(' ')
}

/**
 * Builds the `/authorize` URL of the frontend flow (OIDC Authorization Code with PKCE S256).
 *
 * @param config - the client
 * @param options - redirect URI, purpose, state, scopes
 * @param defaultScopes - API scopes when `options.scopes` is absent
 * @param call - signal, timeout and correlator of the discovery request
 * @returns the URL, the PKCE verifier and the state
 * @see {@link https://github.com/camaraproject/IdentityAndConsentManagement | CAMARA ICM, Authorization Code flow}
 */
export async function buildAuthorizationUrl(
  config: ClientConfig,
  options: AuthorizationUrlOptions,
  defaultScopes: readonly string[],
  call: CallOptions = {},
): Promise<AuthorizationRequest> {
  const as = await discover(config, call)
  if (as.authorization_endpoint === undefined)
    throw new DeviceStatusError('INVALID_USAGE', 'the gateway announces no authorization endpoint')
  const codeVerifier = oauth.generateRandomCodeVerifier()
  const state = options.state ?? oauth.generateRandomState()
  const url = new URL(as.authorization_endpoint)
  const params: Record<string, string> = {
    client_id: config.client.client_id,
    response_type: 'code',
    redirect_uri: options.redirectUri,
    scope: scopeFor({
      purpose: options.purpose,
      scopes: options.scopes ?? defaultScopes,
      offlineAccess: options.offlineAccess,
    }),
    state,
    code_challenge: await oauth.calculatePKCECodeChallenge(codeVerifier),
    code_challenge_method: 'S256',
    ...(options.loginHint === undefined ? {} : { login_hint: options.loginHint }),
  }
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v)
  return { url, codeVerifier, state, redirectUri: options.redirectUri }
}

/** What the callback received and what the authorization request kept. */
export interface AuthorizationCodeInput {
  /** The `code` the callback received (or give `callbackUrl`). */
  code?: string | undefined
  /** The whole callback URL: then `state` and `iss` are checked as well. */
  callbackUrl?: URL | string | undefined
  /** The redirect URI of the authorization request. */
  redirectUri?: string | undefined
  /** The PKCE verifier of the authorization request. */
  codeVerifier?: string | undefined
  /** The state to expect in `callbackUrl`. */
  state?: string | undefined
}

/**
 * Sends the authorization code token request (RFC 6749 §4.1.3 with PKCE).
 *
 * @param config - the client
 * @param as - discovery document
 * @param input - code or callback URL, redirect URI, PKCE verifier
 * @param call - signal, timeout and correlator
 * @returns the raw response; pass it to `processAuthorizationCodeResponse` of oauth4webapi
 */
export async function authorizationCodeGrantRequest(
  config: ClientConfig,
  as: oauth.AuthorizationServer,
  input: AuthorizationCodeInput,
  call: CallOptions = {},
): Promise<Response> {
  let params: URLSearchParams
  if (input.callbackUrl !== undefined) {
    params = oauth.validateAuthResponse(
      as,
      config.client,
      new URL(input.callbackUrl),
      input.state ?? oauth.skipStateCheck,
    )
  } else {
    // Only the code was handed over (the vendor samples' form): rebuild the callback parameters.
    const raw = new URLSearchParams({ code: input.code ?? '' })
    if (as.authorization_response_iss_parameter_supported === true) raw.set('iss', as.issuer)
    params = oauth.validateAuthResponse(as, config.client, raw, oauth.skipStateCheck)
  }
  const redirectUri = input.redirectUri ?? config.redirectUri
  const options = oauthOptions(config, call, false)
  if (redirectUri === undefined) {
    // Vendor-compatible gateways accept a token request without redirect_uri.
    return oauth.genericTokenEndpointRequest(
      as,
      config.client,
      config.clientAuth,
      'authorization_code',
      {
        code: params.get('code') ?? '',
        ...(input.codeVerifier === undefined ? {} : { code_verifier: input.codeVerifier }),
      },
      options,
    )
  }
  return oauth.authorizationCodeGrantRequest(
    as,
    config.client,
    config.clientAuth,
    params,
    redirectUri,
    input.codeVerifier ?? oauth.nopkce,
    options,
  )
}

/**
 * Exchanges an authorization code for tokens.
 *
 * @param config - the client
 * @param input - code or callback URL, redirect URI, PKCE verifier
 * @param call - signal, timeout and correlator
 * @returns the token response
 * @throws {@link AuthError} `invalid_grant` (used, expired or wrong verifier), …
 */
export async function exchangeAuthorizationCode(
  config: ClientConfig,
  input: AuthorizationCodeInput,
  call: CallOptions = {},
): Promise<oauth.TokenEndpointResponse> {
  const as = await discover(config, call)
  try {
    const response = await authorizationCodeGrantRequest(config, as, input, call)
    return await oauth.processAuthorizationCodeResponse(as, config.client, response)
  } catch (error) {
    throw await toAuthError(error)
  }
}
