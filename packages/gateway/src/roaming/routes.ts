import type { FastifyInstance } from 'fastify'
import type { GuardDeps } from '../http/api-guard.js'
import { registerRetrieveOperation } from '../http/operation.js'
import type { NetworkPort } from '../network/port.js'
import { specOperation } from '../specs/catalog.js'
import { retrieveRoamingStatus } from './service.js'

export function roamingRoutes(
  app: FastifyInstance,
  deps: { guard: GuardDeps; network: NetworkPort },
): void {
  registerRetrieveOperation<Parameters<typeof retrieveRoamingStatus>[1]['body']>(
    app,
    deps.guard,
    specOperation('device-roaming-status', 'getRoamingStatus'),
    ({ auth, body }) => retrieveRoamingStatus(deps, { auth, body }),
  )
}
