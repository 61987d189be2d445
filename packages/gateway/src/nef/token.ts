import * as oauth from 'oauth4webapi'
import { nowMs, type Clock } from '../core/clock.js'
import type { NefCredentials } from './config.js'

/** Gives the `Authorization` header value for the NEF; `undefined`: none (a lab NEF). */
export interface NefAuthorization {
  header(signal: AbortSignal): Promise<string | undefined>
  /** The NEF refused the token (401): the next call gets a new one. */
  invalidate(): void
}

/** Renewed this long before it expires, so that a token is not sent as it runs out. */
const EARLY_MS = 30_000

/**
 * The NEF's credentials: a static bearer token, or an OAuth 2.0 access token got by the client
 * credentials grant (RFC 6749 §4.4) through oauth4webapi and kept until shortly before
 * `expires_in` runs out (a token without `expires_in` is kept until the NEF refuses it). Concurrent
 * calls share one token request.
 */
export function nefAuthorization(
  credentials: NefCredentials,
  deps: { clock: Clock; fetch?: typeof fetch },
): NefAuthorization {
  if (credentials.kind === 'none')
    return { header: () => Promise.resolve(undefined), invalidate: () => undefined }
  if (credentials.kind === 'static') {
    const header = `Bearer ${credentials.token}`
    return { header: () => Promise.resolve(header), invalidate: () => undefined }
  }
  const url = new URL(credentials.tokenUrl)
  // Only the token endpoint is used; oauth4webapi wants an issuer to name the server by.
  const as: oauth.AuthorizationServer = { issuer: url.origin, token_endpoint: url.href }
  const client: oauth.Client = { client_id: credentials.clientId }
  const auth = oauth.ClientSecretBasic(credentials.clientSecret)
  let cached: { header: string; until: number } | undefined
  let pending: Promise<string> | undefined
  const fetchToken = async (signal: AbortSignal): Promise<string> => {
    const response = await oauth.clientCredentialsGrantRequest(
      as,
      client,
      auth,
      {},
      {
        signal,
        // A lab NEF's authorization server may be plain http.
        [oauth.allowInsecureRequests]: url.protocol === 'http:',
        ...(deps.fetch === undefined ? {} : { [oauth.customFetch]: deps.fetch }),
      },
    )
    const result = await oauth.processClientCredentialsResponse(as, client, response)
    if (result.token_type.toLowerCase() !== 'bearer')
      throw new Error(`NEF token endpoint issued a ${result.token_type} token, not a bearer token`)
    const header = `Bearer ${result.access_token}`
    cached = {
      header,
      until:
        result.expires_in === undefined
          ? Number.POSITIVE_INFINITY
          : nowMs(deps.clock) + result.expires_in * 1000 - EARLY_MS,
    }
    return header
  }
  return {
    async header(signal) {
      if (cached !== undefined && nowMs(deps.clock) < cached.until) return cached.header
      pending ??= fetchToken(signal).finally(() => {
        pending = undefined
      })
      return pending
    },
    invalidate() {
      cached = undefined
    },
  }
}
