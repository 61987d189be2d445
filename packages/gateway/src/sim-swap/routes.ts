import type { FastifyError, FastifyInstance } from 'fastify'
import type { GuardDeps } from '../http/api-guard.js'
import type { CamaraCode } from '../core/camara-error.js'
import { registerOperation, registerRetrieveOperation } from '../http/operation.js'
import { specOperation } from '../specs/catalog.js'
import { checkSimSwap, retrieveSimSwapDate, type SimSwapDeps } from './service.js'

/**
 * sim-swap tests 400.1 and 400.2: `maxAge` above 2400 is OUT_OF_RANGE; any other schema error,
 * a `maxAge` below 1 included, is INVALID_ARGUMENT.
 */
function maxAgeRange(error: FastifyError): CamaraCode | undefined {
  const first = (error.validation as { instancePath?: string; keyword?: string }[] | undefined)?.[0]
  return first?.instancePath === '/maxAge' && first.keyword === 'maximum'
    ? 'OUT_OF_RANGE'
    : undefined
}

export function simSwapRoutes(
  app: FastifyInstance,
  deps: SimSwapDeps & { guard: GuardDeps },
): void {
  registerRetrieveOperation<Parameters<typeof retrieveSimSwapDate>[1]['body']>(
    app,
    deps.guard,
    specOperation('sim-swap', 'retrieveSimSwapDate'),
    ({ auth, body }) => retrieveSimSwapDate(deps, { auth, body }),
  )
  // A maxAge out of range is its own code (validationCode): fastify's route answers every call.
  registerOperation<Parameters<typeof checkSimSwap>[1]['body']>(
    app,
    deps.guard,
    specOperation('sim-swap', 'checkSimSwap'),
    ({ auth, body }) => checkSimSwap(deps, { auth, body }),
    { validationCode: maxAgeRange },
  )
}
