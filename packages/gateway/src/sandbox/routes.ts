import type { FastifyInstance } from 'fastify'
import { mintAccessToken } from '../auth/access-token.js'
import { needsConsent, type LegalBasis } from '../auth/purpose.js'
import type { Keyring } from '../auth/keys.js'
import { adminGuard } from '../http/admin-guard.js'
import { CamaraError } from '../core/camara-error.js'
import type { Store } from '../store/store.js'

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
  deps: {
    store: Store
    keyring: Keyring
    issuer: string
    adminToken: string
    accessTokenTtl: number
    legalBases: Readonly<Record<string, LegalBasis>>
  },
): void {
  app.post(
    '/sandbox/v1/access-tokens',
    {
      onRequest: adminGuard(deps.adminToken),
      schema: { body: { $ref: TOKEN_REQUEST_SCHEMA.$id } },
    },
    async (request, reply) => {
      const body = request.body as {
        clientId: string
        scope: string
        phoneNumber?: string
        expiresIn?: number
      }
      // As at the token endpoint: a two-legged token only for a purpose that needs no consent.
      const purpose = body.scope.split(' ').find((s) => s.startsWith('dpv:'))
      const basis = purpose === undefined ? undefined : deps.legalBases[purpose]
      if (body.phoneNumber === undefined && basis !== undefined && needsConsent(basis))
        throw new CamaraError(
          'INVALID_ARGUMENT',
          `${purpose} needs the subscriber's consent: name the subscriber (phoneNumber) for a three-legged token`,
        )
      let deviceId: string | undefined
      if (body.phoneNumber !== undefined) {
        const device = await deps.store.devices.byPhoneNumber(body.phoneNumber)
        if (device === undefined)
          throw new CamaraError('IDENTIFIER_NOT_FOUND', `No simulated device ${body.phoneNumber}`)
        deviceId = device.id
      }
      const expiresIn = body.expiresIn ?? deps.accessTokenTtl
      const accessToken = await mintAccessToken(deps, {
        clientId: body.clientId,
        scope: body.scope,
        ttlSeconds: expiresIn,
        ...(deviceId === undefined ? {} : { deviceId }),
      })
      return reply.code(201).send({
        access_token: accessToken,
        token_type: 'Bearer',
        expires_in: expiresIn,
        scope: body.scope,
      })
    },
  )
}
