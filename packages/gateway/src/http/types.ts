import type { AuthContext } from '../core/auth-context.js'

declare module 'fastify' {
  interface FastifyRequest {
    /** The request's x-correlator: the client's when valid, else a generated UUID. */
    correlator: string
    /** Set by the API guard on every CAMARA operation. */
    auth: AuthContext | undefined
    /** A live console session (cookie, and CSRF token where needed) authenticated the request. */
    consoleAdmin: boolean
  }
}
