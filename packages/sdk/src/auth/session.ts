import * as oauth from 'oauth4webapi'
import type { Device } from '../apis/types.js'
import { AuthError } from '../errors.js'
import type { CallOptions } from '../options.js'
import { SharedWork } from '../transport/shared.js'
import { exchangeAuthorizationCode, type AuthorizationCodeInput } from './authorization-code.js'
import {
  backchannelAuthenticationRequest,
  pollBackchannelAuthenticationGrant,
  processBackchannelAuthenticationResponse,
} from './ciba.js'
import { discover, oauthOptions, toAuthError, type ClientConfig } from './config.js'

/** How a session gets its tokens. */
export type Grant =
  | { kind: 'ciba'; loginHint: string; scope: string; phoneNumber?: string | undefined }
  | ({ kind: 'authorization_code' } & AuthorizationCodeInput)
  | { kind: 'client_credentials'; scope: string; device: Device }

/**
 * An authorized session of an app: one subscriber (three-legged) or the app itself (two-legged).
 * It caches the access token and renews it before it expires: with the refresh token when there
 * is one, else by running CIBA or client credentials again. Service objects can share one.
 */
export interface Session {
  /** A token names the subscriber (CIBA, Authorization Code); API bodies then carry no device. */
  readonly threeLegged: boolean
  /** The subscriber's phone number, when the session knows it (CIBA with `tel:`). */
  readonly phoneNumber: string | undefined
  /** The device two-legged calls name. */
  readonly device: Device | undefined
  /** The client configuration. */
  readonly config: ClientConfig
  /**
   * A valid access token: the cached one, or a new one when it is missing, close to expiry or
   * `force` is set. Concurrent calls share one token request, which runs without any caller's
   * signal: `call.signal` ends this caller's wait (rejecting with its reason), and the request is
   * aborted only when every caller waiting on it has aborted.
   */
  accessToken(call?: CallOptions, force?: boolean): Promise<string>
  /**
   * The access token for an API call, as {@link Session.accessToken}, and whether this call waited
   * for a token request to get it (`issued`: a 401 on it is not worth another renewal). With
   * `refused`, a token the API answered 401 to: a new token only when `refused` is still the
   * cached one; when another call renewed it meanwhile, the newer one.
   */
  tokenFor(call?: CallOptions, refused?: string): Promise<{ accessToken: string; issued: boolean }>
  /**
   * A session whose token holds `scopes`: this one when its request already asked for them, else
   * one that asks for them with the same purpose and subscriber (client credentials or CIBA once
   * more; cached). An authorization-code session cannot widen: it returns itself, and the API
   * answers 403 when the code was not granted the scopes.
   */
  withScopes(scopes: readonly string[]): Session
}

/** The scope of `grant` with its API scopes replaced: OIDC scopes and the purpose kept. */
function rescoped(scope: string, scopes: readonly string[]): string {
  const kept = scope
    .split(' ')
    .filter((s) => s === 'openid' || s === 'offline_access' || s.startsWith('dpv:'))
    // The vendor's `dpv:Purpose#api` form names one API: keep the purpose, name the scopes.
    .map((s) => (s.startsWith('dpv:') ? s.replace(/#.*$/, '') : s))
  return [...kept, ...scopes].join(' ')
}

interface Cached {
  accessToken: string
  refreshToken: string | undefined
  expiresAt: number
  lifetime: number
}

type AuthorizationServer = Awaited<ReturnType<typeof discover>>

/** A new access token for a refresh token (rotated by the server). */
async function refreshed(
  config: ClientConfig,
  as: AuthorizationServer,
  refreshToken: string,
  call: CallOptions,
): Promise<oauth.TokenEndpointResponse> {
  const response = await oauth.refreshTokenGrantRequest(
    as,
    config.client,
    config.clientAuth,
    refreshToken,
    oauthOptions(config, call, false),
  )
  return oauth.processRefreshTokenResponse(as, config.client, response)
}

/** CIBA: the backchannel request for the login hint, then polls until the subscriber is done. */
async function cibaToken(
  config: ClientConfig,
  as: AuthorizationServer,
  grant: Extract<Grant, { kind: 'ciba' }>,
  call: CallOptions,
): Promise<oauth.TokenEndpointResponse> {
  const response = await backchannelAuthenticationRequest(
    config,
    as,
    { login_hint: grant.loginHint, scope: grant.scope },
    call,
  )
  const request = await processBackchannelAuthenticationResponse(response)
  return pollBackchannelAuthenticationGrant(config, as, request, call)
}

/** Client credentials: a two-legged token for the grant's scope. */
async function clientCredentialsToken(
  config: ClientConfig,
  as: AuthorizationServer,
  grant: Extract<Grant, { kind: 'client_credentials' }>,
  call: CallOptions,
): Promise<oauth.TokenEndpointResponse> {
  try {
    const response = await oauth.clientCredentialsGrantRequest(
      as,
      config.client,
      config.clientAuth,
      { scope: grant.scope },
      oauthOptions(config, call, false),
    )
    return await oauth.processClientCredentialsResponse(as, config.client, response)
  } catch (error) {
    throw await toAuthError(error)
  }
}

/**
 * Creates a session for a grant; no request is sent before the first token is needed.
 *
 * @param config - the client
 * @param grant - CIBA, authorization code or client credentials
 * @returns the session
 */
export function createSession(config: ClientConfig, grant: Grant): Session {
  let cached: Cached | undefined
  let inflight: SharedWork<string> | undefined
  let codeUsed = false
  // Why the code exchange failed: a code is single-use, so later calls fail the same way.
  let codeFailure: AuthError | undefined

  const store = (t: oauth.TokenEndpointResponse): string => {
    const lifetime = (t.expires_in ?? 3600) * 1000
    cached = {
      accessToken: t.access_token,
      refreshToken: t.refresh_token ?? cached?.refreshToken,
      expiresAt: Date.now() + lifetime,
      lifetime,
    }
    return t.access_token
  }

  const obtain = async (call: CallOptions): Promise<oauth.TokenEndpointResponse | undefined> => {
    const as = await discover(config, call)
    if (cached?.refreshToken !== undefined) {
      try {
        return await refreshed(config, as, cached.refreshToken, call)
      } catch (error) {
        if (grant.kind === 'authorization_code') throw await toAuthError(error)
        // else: start the grant again below
      }
    }
    switch (grant.kind) {
      case 'ciba':
        return cibaToken(config, as, grant, call)
      case 'authorization_code': {
        // A code is single-use: without a refresh token the last access token is all there is.
        if (codeUsed) {
          if (cached !== undefined) return undefined
          throw (
            codeFailure ??
            new AuthError({
              error: 'invalid_grant',
              error_description: 'the authorization code was already used',
            })
          )
        }
        codeUsed = true
        try {
          return await exchangeAuthorizationCode(config, grant, call)
        } catch (error) {
          // Refused: the same answer on every later call. No answer (network, timeout, abort):
          // the code may be unused yet, so the next call tries it again.
          const refused = await toAuthError(error)
          if (refused instanceof AuthError) codeFailure = refused
          else codeUsed = false
          throw error
        }
      }
      case 'client_credentials':
        return clientCredentialsToken(config, as, grant, call)
    }
  }

  const fresh = (): boolean => {
    if (cached === undefined) return false
    // Renew before expiry: a quarter of the lifetime ahead, at most 30 s.
    const skew = Math.min(30_000, cached.lifetime / 4)
    return Date.now() < cached.expiresAt - skew
  }

  /** A token request shared by the calls waiting on it; a new one unless one is under way. */
  const request = (call: CallOptions): Promise<string> => {
    if (inflight === undefined || inflight.abandoned) {
      const work = new SharedWork((signal) =>
        obtain({ ...call, signal }).then(
          (t) => {
            if (t !== undefined) return store(t)
            if (cached !== undefined) return cached.accessToken
            throw new AuthError({ error: 'invalid_grant', error_description: 'no token to renew' })
          },
          async (error: unknown) => {
            throw await toAuthError(error)
          },
        ),
      )
      inflight = work
      const clear = () => {
        if (inflight === work) inflight = undefined
      }
      work.promise.then(clear, clear)
    }
    return inflight.join(call.signal)
  }

  const tokenOf = async (
    call: CallOptions,
    refused: string | undefined,
    force: boolean,
  ): Promise<{ accessToken: string; issued: boolean }> => {
    const renew = force || (refused !== undefined && cached?.accessToken === refused)
    if (!renew && cached !== undefined && fresh())
      return { accessToken: cached.accessToken, issued: false }
    return { accessToken: await request(call), issued: true }
  }

  // Sessions for other API scopes (subscriptions), with the scopes each asked for.
  const derived: { scopes: readonly string[]; session: Session }[] = []

  const session: Session = {
    threeLegged: grant.kind !== 'client_credentials',
    phoneNumber: grant.kind === 'ciba' ? grant.phoneNumber : undefined,
    device: grant.kind === 'client_credentials' ? grant.device : undefined,
    config,
    accessToken(call = {}, force = false) {
      return tokenOf(call, undefined, force).then((t) => t.accessToken)
    },
    tokenFor(call = {}, refused) {
      return tokenOf(call, refused, false)
    },
    withScopes(scopes) {
      if (grant.kind === 'authorization_code') return session
      const covers = (have: readonly string[]) => scopes.every((s) => have.includes(s))
      // The vendor's `dpv:X#api` scope stands for API scopes the SDK cannot list: never "covers".
      if (covers(grant.scope.split(' ')) && !grant.scope.includes('#')) return session
      const known = derived.find((d) => covers(d.scopes))
      if (known !== undefined) return known.session
      const scope = rescoped(grant.scope, scopes)
      const created = createSession(config, { ...grant, scope })
      derived.push({ scopes: scope.split(' '), session: created })
      return created
    },
  }
  return session
}
