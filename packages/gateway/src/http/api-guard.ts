import type { FastifyReply, FastifyRequest } from 'fastify'
import { InvalidTokenError, type TokenVerifier } from '../auth/access-token.js'
import { CamaraError } from './camara-error.js'
import type { RateLimiter } from './rate-limit.js'

export interface GuardDeps {
  verifier: TokenVerifier
  rateLimiter: RateLimiter
}

const BEARER = /^Bearer ([A-Za-z0-9\-._~+/]+=*)$/

/**
 * The resource-server checks of one operation, in order: a bearer token (401), its signature,
 * issuer, audience and expiry (401), one of the operation's scope sets from the spec's
 * `security` (403), and the app's rate limit (429). No switch turns them off.
 */
export function apiGuard(deps: GuardDeps, scopes: readonly (readonly string[])[]) {
  return async function guard(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const header = request.headers.authorization
    const match = header === undefined ? null : BEARER.exec(header)
    if (match?.[1] === undefined) {
      reply.header('www-authenticate', 'Bearer')
      throw new CamaraError('UNAUTHENTICATED')
    }
    try {
      request.auth = await deps.verifier.verify(match[1])
    } catch (error) {
      if (!(error instanceof InvalidTokenError)) throw error
      request.log.debug({ reason: error.message }, 'token refused')
      reply.header('www-authenticate', 'Bearer error="invalid_token"')
      throw new CamaraError('UNAUTHENTICATED')
    }
    const granted = request.auth.scopes
    if (scopes.length > 0 && !scopes.some((set) => set.every((s) => granted.has(s)))) {
      throw new CamaraError(
        'PERMISSION_DENIED',
        `The access token lacks the scope ${scopes.map((set) => set.join(' ')).join(' or ')}`,
      )
    }
    const wait = deps.rateLimiter.take(request.auth.clientId)
    if (wait > 0) {
      throw new CamaraError('TOO_MANY_REQUESTS', undefined, {
        headers: { 'retry-after': String(wait) },
      })
    }
  }
}
