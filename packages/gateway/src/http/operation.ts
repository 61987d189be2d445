import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { AuthContext } from '../core/auth-context.js'
import type { SpecOperation } from '../specs/catalog.js'
import { apiGuard, type GuardDeps } from './api-guard.js'
import { CamaraError, type CamaraCode } from '../core/camara-error.js'

export interface OperationOptions {
  validationCode?: (error: FastifyError) => CamaraCode | undefined
  /** Success status (200 unless given). */
  status?: number
  /** Runs after the guard and body parsing, before validation (e.g. legacy body shapes). */
  preValidation?: (request: FastifyRequest, reply: FastifyReply) => Promise<void>
}

/**
 * Mounts one CAMARA operation exactly where its spec puts it: the guard with the spec's scopes,
 * the request body validated against the spec's schema, then `handle`, whose result is the
 * 200 body.
 */
export function registerOperation<TBody>(
  app: FastifyInstance,
  guard: GuardDeps,
  op: SpecOperation,
  handle: (input: { auth: AuthContext; body: TBody; request: FastifyRequest }) => Promise<unknown>,
  options: OperationOptions = {},
): void {
  app.route({
    method: op.method,
    // Spec paths use {name}; fastify uses :name.
    url: op.url.replace(/\{([^}]+)\}/g, ':$1'),
    schema: op.bodySchemaRef === undefined ? {} : { body: { $ref: op.bodySchemaRef } },
    config: options.validationCode === undefined ? {} : { validationCode: options.validationCode },
    onRequest: apiGuard(guard, op.scopes),
    ...(options.preValidation === undefined ? {} : { preValidation: options.preValidation }),
    handler: async (request, reply) => {
      const auth = request.auth
      if (auth === undefined) throw new CamaraError('UNAUTHENTICATED')
      const result = await handle({ auth, body: request.body as TBody, request })
      if (options.status !== undefined) reply.code(options.status)
      return options.status === 204 ? reply.send() : result
    },
  })
}
