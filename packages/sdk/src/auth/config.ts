import * as oauth from 'oauth4webapi'
import { AuthError, DeviceStatusError } from '../errors.js'
import type { CallOptions } from '../options.js'
import { newCorrelator } from '../transport/correlator.js'
import { send, type Transport } from '../transport/request.js'
import { SharedWork } from '../transport/shared.js'

/** Everything the flows need about the app and the gateway; built by `ClientCredentials`. */
export interface ClientConfig {
  /** The OAuth client (`client_id`). */
  client: oauth.Client
  /** How the client authenticates: `client_secret_basic` or `private_key_jwt`. */
  clientAuth: oauth.ClientAuth
  /** Base URL of the API paths. */
  baseUrl: URL
  /** Issuer whose discovery document is fetched. */
  issuer: URL
  /** Redirect URI of the code exchange, when the credentials name one. */
  redirectUri: string | undefined
  /** Retries, timeout, `fetch` and logging hook. */
  transport: Transport
  /**
   * Discovery, fetched once per client and base URL; shared by the calls waiting on it.
   *
   * @internal
   */
  metadata: SharedWork<oauth.AuthorizationServer> | undefined
  /** PKCE verifiers of authorization requests built here and not yet exchanged, by state. */
  pendingVerifiers: Map<string, string>
}

/** The `fetch` shape oauth4webapi calls through `customFetch`. */
export type OAuthFetch = (
  url: string,
  init: { method?: string; headers?: ConstructorParameters<typeof Headers>[0]; body?: unknown },
) => Promise<Response>

/** oauth4webapi options routing its HTTP through the SDK transport (correlator, retries, hook). */
export function oauthOptions(
  config: ClientConfig,
  call: CallOptions,
  idempotent: boolean,
): { [oauth.customFetch]: OAuthFetch; [oauth.allowInsecureRequests]: boolean } {
  const correlator = call.correlator ?? newCorrelator()
  return {
    [oauth.allowInsecureRequests]: config.baseUrl.protocol === 'http:',
    [oauth.customFetch]: (url, init) =>
      send(config.transport, {
        method: init.method ?? 'GET',
        url,
        headers: new Headers(init.headers),
        ...(init.body === undefined || init.body === null
          ? {}
          : { body: init.body as string | URLSearchParams }),
        idempotent,
        correlator,
        signal: call.signal,
        timeout: call.timeout,
      }),
  }
}

/** The RFC 6749 error of a JSON body, when the body is one. */
async function oauthBody(
  response: Response,
): Promise<{ error?: string; error_description?: string }> {
  try {
    const body: unknown = await response.clone().json()
    if (typeof body !== 'object' || body === null) return {}
    const { error, error_description } = body as Record<string, unknown>
    return {
      ...(typeof error === 'string' ? { error } : {}),
      ...(typeof error_description === 'string' ? { error_description } : {}),
    }
  } catch {
    return {}
  }
}

/**
 * Turns every error of the OAuth layer into an {@link AuthError}; the SDK's own errors (network,
 * timeout, usage) pass unchanged. oauth4webapi raises `ResponseBodyError` (an RFC 6749 error
 * body), `WWWAuthenticateChallengeError` (a 401 with a `WWW-Authenticate` challenge: a wrong
 * client secret), `AuthorizationResponseError` (an error in the callback),
 * `OperationProcessingError` and `TypeError` (an answer that does not validate),
 * `UnsupportedOperationError`; Web Crypto raises `DOMException`s for a key it cannot sign with.
 * An abort stays what it is: the caller's signal reason (`AbortError`, `TimeoutError`, any value).
 */
export async function toAuthError(error: unknown): Promise<unknown> {
  if (error instanceof DeviceStatusError) return error
  if (error instanceof oauth.ResponseBodyError) {
    return new AuthError(
      { error: error.error, error_description: error.error_description, status: error.status },
      { cause: error },
    )
  }
  if (error instanceof oauth.WWWAuthenticateChallengeError) {
    // The challenge's parameters, else the body's (oidc-provider sends both for a bad client).
    const challenge = error.cause.find((c) => c.parameters.error !== undefined)?.parameters
    const body = await oauthBody(error.response)
    const code = challenge?.error ?? body.error ?? 'invalid_client'
    const description =
      challenge?.error_description ??
      body.error_description ??
      `the server answered ${error.status} with a ${error.cause.map((c) => c.scheme).join(', ')} challenge`
    return new AuthError(
      { error: code, error_description: description, status: error.status },
      { cause: error },
    )
  }
  if (error instanceof oauth.AuthorizationResponseError) {
    return new AuthError(
      { error: error.error, error_description: error.error_description },
      { cause: error },
    )
  }
  if (error instanceof oauth.OperationProcessingError || error instanceof TypeError) {
    return new AuthError(
      { error: 'invalid_response', error_description: error.message },
      { cause: error },
    )
  }
  if (error instanceof oauth.UnsupportedOperationError) {
    return new AuthError(
      { error: 'unsupported_operation', error_description: error.message },
      { cause: error },
    )
  }
  // An abort is the caller's: its reason passes unchanged (a DOMException, or any value).
  if (!(error instanceof Error) || error.name === 'AbortError' || error.name === 'TimeoutError')
    return error
  return new AuthError(
    {
      error: 'client_error',
      error_description: error instanceof Error ? error.message : String(error),
    },
    { cause: error },
  )
}

/**
 * The gateway's discovery document (`/.well-known/openid-configuration`), fetched once. The fetch
 * is shared: it does not run with `call.signal`, which only ends this caller's wait.
 */
export function discover(
  config: ClientConfig,
  call: CallOptions,
): Promise<oauth.AuthorizationServer> {
  if (config.metadata === undefined || config.metadata.abandoned) {
    const work = new SharedWork(async (signal) => {
      try {
        const response = await oauth.discoveryRequest(
          config.issuer,
          oauthOptions(config, { ...call, signal }, true),
        )
        return await oauth.processDiscoveryResponse(config.issuer, response)
      } catch (error) {
        throw await toAuthError(error)
      }
    })
    config.metadata = work
    work.promise.catch(() => {
      if (config.metadata === work) config.metadata = undefined
    })
  }
  return config.metadata.join(call.signal)
}
