import type { Clock } from '../core/clock.js'
import type { FastifyReply, FastifyRequest } from 'fastify'
import {
  InvalidTokenError,
  TokenNotPermittedError,
  type AccessTokenVerifier,
} from '../core/auth-context.js'
import { CamaraError } from '../core/camara-error.js'
import { DPoPProofError, verifyDPoPProof, type ProofReplay } from './dpop.js'
import type { RateLimiter } from './rate-limit.js'
import { ADMITTED, scopesAllow, type LeanPath } from './lean-path.js'

export interface GuardDeps {
  verifier: AccessTokenVerifier
  rateLimiter: RateLimiter
  /** Base URL the gateway is reached at, for DPoP `htu` checks. */
  issuer: string
  /** Shared record of DPoP proofs seen (replays are refused on every instance). */
  dpopReplay: ProofReplay
  clock: Clock
  /** Where the retrieve operations' common case is answered without fastify (when given). */
  lean?: LeanPath
}

/** A request the lean path admitted (its rate limit taken) before handing it over. */
function admitted(request: FastifyRequest): boolean {
  return (request.raw as unknown as Record<symbol, unknown>)[ADMITTED] === true
}

const AUTHORIZATION = /^(Bearer|DPoP) ([A-Za-z0-9\-._~+/]+=*)$/i

/** RFC 9449 §7: a DPoP-bound token needs the DPoP scheme and a valid proof; Bearer is refused. */
async function checkDPoP(
  deps: GuardDeps,
  request: FastifyRequest,
  reply: FastifyReply,
  token: { value: string; scheme: string; jkt: string | undefined },
): Promise<void> {
  const { jkt } = token
  const proof = request.headers['dpop']
  try {
    if (jkt === undefined || token.scheme !== 'dpop' || typeof proof !== 'string') {
      throw new DPoPProofError('a DPoP-bound token needs Authorization: DPoP and a DPoP proof')
    }
    await verifyDPoPProof({
      proof,
      method: request.method,
      url: deps.issuer + request.url.split('?')[0],
      accessToken: token.value,
      jkt,
      now: deps.clock().getTime(),
      replay: deps.dpopReplay,
    })
  } catch (error) {
    if (!(error instanceof DPoPProofError)) throw error
    reply.header(
      'www-authenticate',
      `DPoP error="invalid_dpop_proof", error_description="${error.message}"`,
    )
    throw new CamaraError('UNAUTHENTICATED', error.message)
  }
}

/**
 * The resource-server checks of one operation, in order: a bearer token (401), its signature,
 * issuer, audience and expiry (401), one of the operation's scope sets from the spec's
 * `security` (403), and the app's rate limit (429). No switch turns them off.
 */
export function apiGuard(deps: GuardDeps, scopes: readonly (readonly string[])[]) {
  const checkScope = (granted: ReadonlySet<string>) => {
    if (!scopesAllow(scopes, granted)) {
      return new CamaraError(
        'PERMISSION_DENIED',
        `The access token lacks the scope ${scopes.map((set) => set.join(' ')).join(' or ')}`,
      )
    }
    return undefined
  }
  const limited = (wait: number) =>
    wait > 0
      ? new CamaraError('TOO_MANY_REQUESTS', undefined, {
          headers: { 'retry-after': String(wait) },
        })
      : undefined

  const full = async function guard(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const header = request.headers.authorization
    const match = header === undefined ? null : AUTHORIZATION.exec(header)
    const scheme = match?.[1]?.toLowerCase()
    const token = match?.[2]
    if (scheme === undefined || token === undefined) {
      reply.header('www-authenticate', 'Bearer, DPoP')
      throw new CamaraError('UNAUTHENTICATED')
    }
    try {
      request.auth = await deps.verifier.verify(token)
    } catch (error) {
      if (error instanceof TokenNotPermittedError)
        throw new CamaraError('PERMISSION_DENIED', error.message)
      if (!(error instanceof InvalidTokenError)) throw error
      request.log.debug({ reason: error.message }, 'token refused')
      reply.header('www-authenticate', 'Bearer error="invalid_token"')
      throw new CamaraError('UNAUTHENTICATED')
    }
    const { jkt } = request.auth
    if (jkt !== undefined || scheme === 'dpop')
      await checkDPoP(deps, request, reply, { value: token, scheme, jkt })
    const denied = checkScope(request.auth.scopes)
    if (denied !== undefined) throw denied
    if (admitted(request)) return
    const tooMany = limited(await deps.rateLimiter.take(request.auth.clientId))
    if (tooMany !== undefined) throw tooMany
  }

  /**
   * The common case without waiting: a Bearer token verified before (cached), not DPoP-bound,
   * and an in-memory rate limit. Anything else takes the full path above.
   */
  return function guard(
    request: FastifyRequest,
    reply: FastifyReply,
    done: (error?: Error) => void,
  ): void {
    const header = request.headers.authorization
    const token = header !== undefined && header.startsWith('Bearer ') ? header.slice(7) : undefined
    const cached = token === undefined ? undefined : deps.verifier.cached(token)
    if (cached !== undefined && cached.jkt === undefined) {
      request.auth = cached
      const denied = checkScope(cached.scopes)
      if (denied !== undefined) return done(denied)
      if (admitted(request)) return done()
      const wait = deps.rateLimiter.take(cached.clientId)
      if (typeof wait === 'number') return done(limited(wait))
      wait.then((w) => done(limited(w)), done)
      return
    }
    full(request, reply).then(() => done(), done)
  }
}
