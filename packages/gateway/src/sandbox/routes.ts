import type { FastifyInstance } from 'fastify'
import { adminGuard } from '../http/admin-guard.js'
import { mintTrialToken, type TrialTokenDeps, type TrialTokenRequest } from './service.js'

const TOKEN_REQUEST_SCHEMA = {
  $id: 'sandbox-token-request',
  type: 'object',
  additionalProperties: false,
  required: ['scope'],
  properties: {
    clientId: { type: 'string', minLength: 1, maxLength: 200, default: 'sandbox-tester' },
    scope: { type: 'string', minLength: 1, maxLength: 2000, pattern: '^\\S+( \\S+)*$' },
    /** Three-legged: the token identifies this device. */
    phoneNumber: { type: 'string', pattern: '^\\+[1-9][0-9]{4,14}$' },
    expiresIn: { type: 'integer', minimum: 1, maximum: 86_400 },
  },
} as const

export { TOKEN_REQUEST_SCHEMA }

/**
 * Sandbox only, admin only: `POST /sandbox/v1/access-tokens` mints an access token exactly as
 * the authorization server signs them, so the APIs can be tried with curl before an app is set
 * up. Not mounted in production mode.
 */
export function sandboxRoutes(
  app: FastifyInstance,
  deps: TrialTokenDeps & { adminToken: string },
): void {
  app.post(
    '/sandbox/v1/access-tokens',
    {
      onRequest: adminGuard(deps.adminToken),
      schema: { body: { $ref: TOKEN_REQUEST_SCHEMA.$id } },
    },
    async (request, reply) =>
      reply.code(201).send(await mintTrialToken(deps, request.body as TrialTokenRequest)),
  )
}
