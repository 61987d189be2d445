import { createHash, timingSafeEqual } from 'node:crypto'
import type { FastifyRequest } from 'fastify'
import { CamaraError } from '../core/camara-error.js'

const digest = (text: string) => createHash('sha256').update(text).digest()

/** `Authorization: Bearer $ADMIN_TOKEN`, compared in constant time, or a console session. */
export function adminGuard(adminToken: string) {
  const expected = digest(adminToken)
  return async function guard(request: FastifyRequest): Promise<void> {
    // A console session (console/session-routes.ts) stands in for the token.
    if (request.consoleAdmin) return
    const header = request.headers.authorization ?? ''
    // The scheme is case-insensitive (RFC 9110 §11.1).
    const token = /^bearer /i.test(header) ? header.slice(7) : ''
    if (token === '' || !timingSafeEqual(digest(token), expected)) {
      throw new CamaraError(
        'UNAUTHENTICATED',
        'The admin API needs Authorization: Bearer <ADMIN_TOKEN>',
      )
    }
  }
}
