import type { FastifyInstance } from 'fastify'
import type { GuardDeps } from '../http/api-guard.js'
import { registerRetrieveOperation } from '../http/operation.js'
import type { NetworkPort, NetworkTypePort } from '../network/port.js'
import { specOperation } from '../specs/catalog.js'
import { retrieveConnectedNetworkType } from './service.js'

export function networkTypeRoutes(
  app: FastifyInstance,
  deps: { guard: GuardDeps; network: NetworkPort; networkType: NetworkTypePort },
): void {
  registerRetrieveOperation<Parameters<typeof retrieveConnectedNetworkType>[1]['body']>(
    app,
    deps.guard,
    specOperation('connected-network-type', 'getConnectedNetworkType'),
    ({ auth, body }) => retrieveConnectedNetworkType(deps, { auth, body }),
  )
}
