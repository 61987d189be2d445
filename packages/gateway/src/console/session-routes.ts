import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { CamaraError } from '../core/camara-error.js'
import type { Clock } from '../core/clock.js'
import type { Store } from '../store/store.js'

/**
 * Console sessions: the admin token, typed once into the sign-in form, is exchanged for a random
 * session id in an HttpOnly, SameSite=Strict cookie (Secure when the gateway is served over
 * https) with an expiry. The store keeps only a hash of the id, with the session's CSRF token and
 * expiry, so every instance knows every session and signing out ends it everywhere. A request
 * that the cookie authenticates may call the admin API as the admin token would; one that changes
 * state must also carry the CSRF token in `x-csrf-token` (the double defence with SameSite).
 */

export const SESSION_COOKIE = 'ds_console'
const MODEL = 'ConsoleSession'
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS'])
/** Where a session may stand in for the admin token; elsewhere (the CAMARA APIs) it means nothing. */
const ADMIN_PATHS = /^\/(admin|network|sandbox|console\/api)\//

export interface ConsoleSession {
  csrfToken: string
  expiresAt: string
}

export interface SessionDeps {
  store: Store
  clock: Clock
  adminToken: string
  /** Session lifetime, seconds. */
  ttl: number
  /** The cookie gets `Secure` (the gateway is reached over https). */
  secure: boolean
}

const sha256 = (text: string) => createHash('sha256').update(text).digest()
const idKey = (id: string) => sha256(id).toString('base64url')

/** Compares a presented admin token with the configured one in constant time. */
export function isAdminToken(presented: string, adminToken: string): boolean {
  return presented !== '' && timingSafeEqual(sha256(presented), sha256(adminToken))
}

export function cookieOf(request: FastifyRequest): string | undefined {
  const header = request.headers.cookie
  if (header === undefined) return undefined
  for (const part of header.split(';')) {
    const eq = part.indexOf('=')
    if (eq > 0 && part.slice(0, eq).trim() === SESSION_COOKIE) return part.slice(eq + 1).trim()
  }
  return undefined
}

function setCookie(reply: FastifyReply, deps: SessionDeps, value: string, maxAge: number): void {
  reply.header(
    'set-cookie',
    `${SESSION_COOKIE}=${value}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAge}` +
      (maxAge === 0 ? '; Expires=Thu, 01 Jan 1970 00:00:00 GMT' : '') +
      (deps.secure ? '; Secure' : ''),
  )
}

/** Starts a session for a correct admin token; sets the cookie; returns what the page keeps. */
export async function signIn(
  deps: SessionDeps,
  reply: FastifyReply,
  token: string,
): Promise<ConsoleSession> {
  if (!isAdminToken(token, deps.adminToken))
    throw new CamaraError(
      'UNAUTHENTICATED',
      'That is not the admin token. The gateway printed where it is when it started (in the sandbox: the file admin-token in its data folder).',
    )
  const id = randomBytes(32).toString('base64url')
  const now = deps.clock()
  const session: ConsoleSession = {
    csrfToken: randomBytes(24).toString('base64url'),
    expiresAt: new Date(now.getTime() + deps.ttl * 1000).toISOString(),
  }
  await deps.store.oidcModels.upsert({
    model: MODEL,
    id: idKey(id),
    payload: JSON.stringify(session),
    grant_id: null,
    user_code: null,
    uid: null,
    expires_at: Math.ceil(now.getTime() / 1000) + deps.ttl,
    consumed_at: null,
  })
  setCookie(reply, deps, id, deps.ttl)
  return session
}

/** The session the request's cookie names, when it exists and has not expired. */
export async function sessionOf(
  deps: SessionDeps,
  request: FastifyRequest,
): Promise<ConsoleSession | undefined> {
  const id = cookieOf(request)
  if (id === undefined || id === '') return undefined
  const row = await deps.store.oidcModels.find(MODEL, idKey(id))
  if (row === undefined) return undefined
  const session = JSON.parse(row.payload) as ConsoleSession
  return Date.parse(session.expiresAt) > deps.clock().getTime() ? session : undefined
}

/** Ends the cookie's session in the store and clears the cookie. */
export async function signOut(
  deps: SessionDeps,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<void> {
  const id = cookieOf(request)
  if (id !== undefined && id !== '') await deps.store.oidcModels.destroy(MODEL, idKey(id))
  setCookie(reply, deps, '', 0)
}

/**
 * Lets a console session stand in for the admin token: a request to the admin API with the
 * session cookie and no bearer token is marked `consoleAdmin` (the admin guard accepts it) when its session is
 * live and, for a state-changing method, its `x-csrf-token` matches the session's. A wrong or
 * missing CSRF token is refused at once (403); an expired session just does not authenticate.
 */
export function registerSessionAuth(app: FastifyInstance, deps: SessionDeps): void {
  app.decorateRequest('consoleAdmin', false)
  const authenticate = async (request: FastifyRequest): Promise<void> => {
    const session = await sessionOf(deps, request)
    if (session === undefined) return
    // Signing in proves the admin token itself.
    const signingIn = request.method === 'POST' && request.url === '/console/api/session'
    if (!SAFE_METHODS.has(request.method) && !signingIn) {
      const presented = request.headers['x-csrf-token']
      if (
        typeof presented !== 'string' ||
        !timingSafeEqual(sha256(presented), sha256(session.csrfToken))
      )
        throw new CamaraError(
          'PERMISSION_DENIED',
          'A console request that changes something must carry the session CSRF token (x-csrf-token)',
        )
    }
    request.consoleAdmin = true
  }
  // A callback hook: the API calls (no cookie, not an admin path) pass without an extra promise.
  app.addHook('onRequest', (request, _reply, done) => {
    if (
      request.headers.cookie === undefined ||
      !ADMIN_PATHS.test(request.url) ||
      // A bearer token is the admin API's own way in; the session does not mix with it.
      /^bearer /i.test(request.headers.authorization ?? '')
    )
      return done()
    authenticate(request).then(() => done(), done)
  })
}
