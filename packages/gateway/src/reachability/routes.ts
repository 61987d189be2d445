import type { FastifyInstance } from 'fastify'
import type { GuardDeps } from '../http/api-guard.js'
import { registerRetrieveOperation } from '../http/operation.js'
import type { NetworkPort } from '../network/port.js'
import { specOperation } from '../specs/catalog.js'
import { retrieveReachabilityStatus } from './service.js'

export function reachabilityRoutes(
  app: FastifyInstance,
  deps: { guard: GuardDeps; network: NetworkPort },
): void {
  registerRetrieveOperation<Parameters<typeof retrieveReachabilityStatus>[1]['body']>(
    app,
    deps.guard,
    specOperation('device-reachability-status', 'getReachabilityStatus'),
    ({ auth, body }) => retrieveReachabilityStatus(deps, { auth, body }),
  )
}
