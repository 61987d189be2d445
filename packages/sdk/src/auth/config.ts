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

/** Turns oauth4webapi's errors into {@link AuthError}; the SDK's own errors pass unchanged. */
export function toAuthError(error: unknown): unknown {
  if (error instanceof DeviceStatusError) return error
  if (error instanceof oauth.ResponseBodyError) {
    return new AuthError(
      { error: error.error, error_description: error.error_description, status: error.status },
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
  return error
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
        throw toAuthError(error)
      }
    })
    config.metadata = work
    work.promise.catch(() => {
      if (config.metadata === work) config.metadata = undefined
    })
  }
  return config.metadata.join(call.signal)
}
