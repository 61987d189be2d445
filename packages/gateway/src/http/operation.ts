import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { AuthContext } from '../core/auth-context.js'
import type { SpecOperation } from '../specs/catalog.js'
import { apiGuard, type GuardDeps } from './api-guard.js'
import { CamaraError, type CamaraCode } from '../core/camara-error.js'
import type { MaybePromise } from '../core/maybe-promise.js'
import { serializerFor } from '../specs/serializer.js'
import { validatorFor } from '../specs/validator.js'

export interface OperationOptions {
  validationCode?: (error: FastifyError) => CamaraCode | undefined
  /** Success status (200 unless given). */
  status?: number
  /** Runs after the guard and body parsing, before validation (e.g. legacy body shapes). */
  preValidation?: (request: FastifyRequest, reply: FastifyReply) => Promise<void>
}

/**
 * Mounts one CAMARA operation exactly where its spec puts it: the guard with the spec's scopes,
 * the request body validated against the spec's schema, then `handle`, whose result (or what it
 * resolves to) is the 200 body.
 */
export function registerOperation<TBody>(
  app: FastifyInstance,
  guard: GuardDeps,
  op: SpecOperation,
  handle: (input: {
    auth: AuthContext
    body: TBody
    request: FastifyRequest
  }) => MaybePromise<unknown>,
  options: OperationOptions = {},
): void {
  // Spec paths use {name}; fastify uses :name.
  const url = op.url.replace(/\{([^}]+)\}/g, ':$1')
  app.route({
    method: op.method,
    url,
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

/**
 * A retrieve operation: a POST with a body and no path parameter, whose handler answers 200 from
 * the token and the body alone. Registered as any operation, and also on the lean path (when the
 * app has one, see lean-path.ts), which answers its common case without fastify.
 */
export function registerRetrieveOperation<TBody>(
  app: FastifyInstance,
  guard: GuardDeps,
  op: SpecOperation,
  handle: (input: { auth: AuthContext; body: TBody }) => MaybePromise<unknown>,
): void {
  if (
    guard.lean !== undefined &&
    op.method === 'POST' &&
    !op.url.includes('{') &&
    op.bodySchemaRef !== undefined
  ) {
    const validate = validatorFor(op.bodySchemaRef)
    guard.lean.add(op.url, {
      route: op.url,
      verifier: guard.verifier,
      rateLimiter: guard.rateLimiter,
      scopes: op.scopes,
      validate: (body) => validate(body) === true,
      handle: ({ auth, body }) => handle({ auth, body: body as TBody }),
      serialize: op.okSchemaRef === undefined ? JSON.stringify : serializerFor(op.okSchemaRef),
    })
  }
  registerOperation(app, guard, op, handle)
}
