import type { IncomingMessage } from 'node:http'
import { parse as parseQuery, stringify as stringifyQuery } from 'node:querystring'
import { replayRequest } from '../http/replay.js'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type Provider from 'oidc-provider'
import providerContext from 'oidc-provider/lib/helpers/als.js'
import { appSettings, GRANT_TYPES } from './apps.js'
import {
  gateAuthorizationRequest,
  holdUntilClientAuthenticated,
  type GateDeps,
  type Params,
} from './gate.js'
import type { TokenVerifier } from './access-token.js'
import type { ClientSecretVerifier } from './client-secrets.js'
import { revokeTokensOfReplayedCode } from './consents.js'
import { jwtBearerGrant, type JwtBearerDeps } from './jwt-bearer.js'
import { cibaFastPath, type CibaFastPath, type CibaFastPathDeps } from './ciba-fast-path.js'
import { clientCredentialsGrant, type ClientCredentialsDeps } from './client-credentials.js'
import { appReadForRequest } from './oidc-adapter.js'
import type { AppRow } from '../store/apps.js'
import { originOf } from './provider.js'
import { errorPage, PAGE_HEADERS } from './pages.js'
import { OAuthProfileError } from './profile.js'

/** A copy of the incoming request whose body is `body`, for oidc-provider to read as if it were the original. */
function replay(raw: IncomingMessage, body: string): IncomingMessage {
  const buffer = Buffer.from(body)
  return replayRequest(raw, buffer, {
    headers: { ...raw.headers, 'content-length': String(buffer.length) },
  })
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value
}

/** RFC 6749 §3.1: request parameters must not be included more than once. */
function toParams(parsed: Record<string, string | string[] | undefined>): Params {
  const out: Params = {}
  for (const [key, value] of Object.entries(parsed)) {
    if (Array.isArray(value) && key !== 'resource')
      throw new OAuthProfileError(
        'invalid_request',
        `'${key}' parameter must only be provided once`,
      )
    out[key] = single(value)
  }
  return out
}

/**
 * CAMARA ICM Appendix A at the authorization endpoint: an error is sent back to the app's
 * redirect URI (with `state`, and `iss` per RFC 9207 as the provider does) when the client and
 * the redirect URI are valid; otherwise an error page, never a redirect.
 */
async function sendAuthorizeError(
  deps: GateDeps & { issuer: string },
  reply: FastifyReply,
  params: Params,
  error: OAuthProfileError,
): Promise<FastifyReply> {
  const clientId = params['client_id']
  const app = clientId === undefined ? undefined : await deps.store.apps.byClientId(clientId)
  const registered = app === undefined ? [] : appSettings(app).redirectUris
  const redirectUri =
    params['redirect_uri'] ?? (registered.length === 1 ? registered[0] : undefined)
  if (redirectUri !== undefined && registered.includes(redirectUri)) {
    const target = new URL(redirectUri)
    target.searchParams.set('error', error.error)
    target.searchParams.set('error_description', error.message)
    if (params['state'] !== undefined) target.searchParams.set('state', params['state'])
    target.searchParams.set('iss', deps.issuer)
    return reply.code(303).header('location', target.href).send()
  }
  return reply
    .code(400)
    .headers(PAGE_HEADERS)
    .type('text/html; charset=utf-8')
    .send(errorPage(error.error, error.message))
}

/** A source over its client authentication failure limit: 429 `invalid_client` with `Retry-After`. */
class ClientAuthRefused extends OAuthProfileError {
  readonly retryAfter: number
  constructor(retryAfter: number) {
    super('invalid_client', 'too many failed client authentications; retry later', 429)
    this.retryAfter = retryAfter
  }
}

/** The endpoints a client authenticates at: CORS there depends on the client. */
const CLIENT_CORS_PATHS = new Set([
  '/oauth2/token',
  '/oauth2/bc-authorize',
  '/oauth2/introspect',
  '/oauth2/revoke',
])

/**
 * The origins of the redirect URIs of the apps that are public clients (no client
 * authentication): the only origins a browser may call the token endpoint from.
 */
async function publicClientOrigins(store: GateDeps['store']): Promise<Set<string>> {
  const origins = new Set<string>()
  for (const row of await store.apps.list()) {
    const settings = appSettings(row)
    if ((settings.tokenEndpointAuthMethod as string) !== 'none') continue
    for (const uri of settings.redirectUris) {
      const origin = originOf(uri)
      if (origin !== undefined) origins.add(origin)
    }
  }
  return origins
}

/**
 * RFC 6749 §2.3.1, §5.2: HTTP Basic client credentials are the form-encoded client_id and
 * client_secret; a header that does not decode to both, non-empty and free of control
 * characters, is a failed client authentication: 401 `invalid_client`.
 */
function refusedBasic(authorization: string | undefined): string | undefined {
  const [scheme, credentials = ''] = authorization?.split(' ') ?? []
  if (scheme?.toLowerCase() !== 'basic') return undefined
  const decoded = Buffer.from(credentials, 'base64').toString()
  const colon = decoded.indexOf(':')
  let id = ''
  let secret = ''
  try {
    const form = (v: string) => decodeURIComponent(v.replaceAll('+', ' '))
    id = form(decoded.slice(0, Math.max(colon, 0)))
    secret = colon < 0 ? '' : form(decoded.slice(colon + 1))
  } catch {
    return 'the Basic credentials are not form-encoded'
  }

  const control = /[\u0000-\u001f\u007f]/
  if (id === '' || control.test(id)) return 'client authentication failed'
  if (secret === '' || control.test(secret)) return 'client authentication failed'
  return undefined
}

function sendOAuthError(reply: FastifyReply, error: OAuthProfileError): FastifyReply {
  if (error instanceof ClientAuthRefused) reply.header('retry-after', String(error.retryAfter))
  if (error.status === 401) reply.header('www-authenticate', 'Basic realm="oauth2"')
  return reply
    .code(error.status)
    .header('cache-control', 'no-store')
    .send({ error: error.error, error_description: error.message })
}

/**
 * Mounts oidc-provider under the gateway's origin: discovery and `/oauth2/*`. Requests pass the
 * profile gate first (auth/gate.ts), then reach the provider untouched but for the rewritten
 * parameters; a refusal at the token or backchannel endpoint waits for the provider's client
 * authentication. `current()` returns the provider in use (it is rebuilt when keys rotate).
 */
export function providerRoutes(
  app: FastifyInstance,
  deps: GateDeps &
    JwtBearerDeps &
    ClientCredentialsDeps &
    CibaFastPathDeps & {
      current: () => Provider
      verifier: TokenVerifier
      secrets: ClientSecretVerifier
      refusalDelayMs: number
    },
): void {
  const gateDeps = { ...deps, cibaFast: cibaFastPath(deps) }
  const handOver = async (request: FastifyRequest, reply: FastifyReply) => {
    const path = request.url.split('?')[0] ?? ''
    const endpoint =
      path === '/oauth2/token'
        ? 'token'
        : path === '/oauth2/bc-authorize'
          ? 'bc-authorize'
          : path === '/oauth2/authorize'
            ? 'authorize'
            : undefined
    const refusal = await earlyRefusal(deps, request, reply, path)
    if (refusal !== undefined) return refusal.answered
    const gated = await gatedRequest(gateDeps, request, reply, { path, endpoint })
    if (gated.answered !== undefined) return gated.answered
    reply.hijack()
    inProvider++
    reply.raw.once('close', leftProvider)
    void deps.current().callback()(gated.raw, reply.raw)
  }
  const methods: ('GET' | 'POST' | 'OPTIONS' | 'HEAD')[] = ['GET', 'POST', 'OPTIONS']
  app.route({ method: methods, url: '/oauth2/*', handler: handOver })
  app.route({ method: methods, url: '/.well-known/openid-configuration', handler: handOver })
  app.route({ method: methods, url: '/.well-known/oauth-authorization-server', handler: handOver })
}

/**
 * oidc-provider runs each request in its AsyncLocalStorage (`als.run`), which on Node 20 and 22
 * switches async hooks on for the whole process, and leaves them on: every promise of every
 * request then runs a promise hook, about a sixth of an API call's instructions (bench/README.md).
 * The gateway reads nothing from that storage (it is for a provider feature it does not enable),
 * so once no provider request is in flight it is disabled again: the hooks run only while the
 * authorization server works. The next provider request switches them on again.
 */
let inProvider = 0
function leftProvider(): void {
  inProvider--
  if (inProvider === 0) providerContext.disable()
}

/**
 * What is refused before the gate and the provider: a body that is not a form, a CORS preflight
 * from an origin no public client registered (answered without CORS headers), malformed Basic
 * credentials. `undefined`: the request goes on. The reply comes wrapped: a reply is thenable
 * (it resolves once sent, to nothing), so an async function returning it would resolve to
 * `undefined`, and the refused request would go on to the provider too.
 */
async function earlyRefusal(
  deps: { store: GateDeps['store']; secrets: ClientSecretVerifier; refusalDelayMs: number },
  request: FastifyRequest,
  reply: FastifyReply,
  path: string,
): Promise<{ answered: FastifyReply } | undefined> {
  // RFC 6749 §3.2, §4.1.3: OAuth requests are forms; a JSON body was parsed by fastify and
  // cannot be handed on.
  if (request.method === 'POST' && request.body !== undefined && typeof request.body !== 'string')
    return {
      answered: sendOAuthError(
        reply,
        new OAuthProfileError(
          'invalid_request',
          'the request body must be application/x-www-form-urlencoded',
        ),
      ),
    }
  if (request.method === 'OPTIONS' && CLIENT_CORS_PATHS.has(path)) {
    // A preflight names no client: CORS is granted only to an origin that a public client
    // registered (its redirect URIs' origins); the request itself is checked against its
    // client (clientBasedCORS, auth/provider.ts). Anything else gets no CORS headers.
    const origin = request.headers.origin
    if (origin === undefined || !(await publicClientOrigins(deps.store)).has(origin))
      return { answered: reply.code(204).header('vary', 'Origin').send() }
  }
  if (request.method === 'POST' && CLIENT_CORS_PATHS.has(path)) {
    // A source this instance knows to be over its failure limit is refused before the store, the
    // gate or the provider see the request (auth/client-secrets.ts has the authoritative check).
    // The answer is held for a while (no CPU, one timer): each of the source's connections then
    // costs the gateway one request a second instead of as many as it can answer, which would
    // queue a valid client's requests behind them.
    const wait = deps.secrets.sourceBlocked(request.socket.remoteAddress)
    if (wait > 0) {
      // Jittered (between half and all of it), so that the source's connections do not come
      // back together, a burst a valid request would wait behind.
      const delay = Math.min(deps.refusalDelayMs, wait * 1000) * (0.5 + Math.random() / 2)
      if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay))
      return { answered: sendOAuthError(reply, new ClientAuthRefused(wait)) }
    }
  }
  if (request.method === 'POST') {
    const refused = refusedBasic(request.headers.authorization)
    if (refused !== undefined)
      return {
        answered: sendOAuthError(reply, new OAuthProfileError('invalid_client', refused, 401)),
      }
  }
  return undefined
}

/**
 * The request as the provider gets it: the JWT bearer grant answered here; a replayed code's
 * tokens revoked; the CAMARA profile applied to the parameters (a refusal at the token or
 * backchannel endpoint held until the provider has authenticated the client); an authorization
 * request's refusal sent back to its redirect URI.
 */
async function gatedRequest(
  deps: GateDeps &
    JwtBearerDeps &
    ClientCredentialsDeps & { verifier: TokenVerifier; cibaFast: CibaFastPath },
  request: FastifyRequest,
  reply: FastifyReply,
  at: { path: string; endpoint: 'token' | 'bc-authorize' | 'authorize' | undefined },
): Promise<{ raw: FastifyRequest['raw']; answered?: FastifyReply }> {
  const { path, endpoint } = at
  let raw = request.raw
  // The authorization request as sent, for an error to go back to its redirect URI.
  const sent: Params = {}
  try {
    if (endpoint === 'token' && request.method === 'POST' && typeof request.body === 'string') {
      const form = toParams(parseQuery(request.body))
      if (form['grant_type'] === GRANT_TYPES.jwtBearer) {
        return {
          raw,
          answered: reply
            .header('cache-control', 'no-store')
            .send(await jwtBearerGrant(deps, form)),
        }
      }
      // The common client credentials request is answered here; anything else it leaves to the provider.
      const issued = await clientCredentialsGrant(
        deps,
        form,
        request.headers,
        request.socket.remoteAddress,
      )
      if (issued !== undefined)
        return {
          raw,
          answered: reply.code(issued.status).headers(issued.headers).send(issued.body),
        }
      // A code used before: the provider refuses it; its first use's access tokens end here.
      if (form['grant_type'] === GRANT_TYPES.authorizationCode && form['code'] !== undefined)
        await revokeTokensOfReplayedCode(deps, form['code'])
    }
    if (endpoint !== undefined && request.method === 'POST' && typeof request.body === 'string') {
      const form = toParams(parseQuery(request.body))
      let refused: OAuthProfileError | undefined
      let params = form
      let app: AppRow | undefined
      try {
        params = await gateAuthorizationRequest(
          deps,
          endpoint,
          form,
          request.headers.authorization,
          (row) => (app = row),
        )
      } catch (error) {
        if (!(error instanceof OAuthProfileError) || endpoint === 'authorize') throw error
        refused = error
      }
      if (refused === undefined) {
        // The CIBA flow's common case is answered here (auth/ciba-fast-path.ts); anything else
        // goes on to the provider.
        const fast =
          endpoint === 'bc-authorize'
            ? deps.cibaFast.backchannelRequest
            : params['grant_type'] === GRANT_TYPES.ciba
              ? deps.cibaFast.tokenRequest
              : undefined
        const answer = await fast?.({
          params,
          headers: request.headers,
          source: request.socket.remoteAddress,
          app,
        })
        if (answer !== undefined)
          return { raw, answered: reply.headers(answer.headers).send(answer.body) }
        raw = replay(request.raw, stringifyQuery(params))
      } else {
        // Answered once the provider has authenticated the client; until then it is the
        // request as sent, so an unauthenticated caller gets invalid_client and nothing more.
        raw = replay(request.raw, request.body)
        holdUntilClientAuthenticated(raw, refused)
      }
      if (app !== undefined) appReadForRequest(raw, app)
    } else if (endpoint === 'authorize' && request.method === 'GET') {
      const query = request.url.includes('?') ? (request.url.split('?')[1] ?? '') : ''
      const parsed = parseQuery(query)
      for (const [key, value] of Object.entries(parsed)) sent[key] = single(value)
      const gated = await gateAuthorizationRequest(deps, endpoint, toParams(parsed), undefined)
      raw.url = `${path}?${stringifyQuery(gated)}`
    } else if (request.method === 'POST' && typeof request.body === 'string') {
      raw = replay(request.raw, request.body)
    }
  } catch (error) {
    if (error instanceof OAuthProfileError && endpoint === 'authorize' && request.method === 'GET')
      return { raw, answered: await sendAuthorizeError(deps, reply, sent, error) }
    if (error instanceof OAuthProfileError) return { raw, answered: sendOAuthError(reply, error) }
    throw error
  }
  return { raw }
}
