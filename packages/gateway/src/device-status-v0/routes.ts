import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { GuardDeps } from '../http/api-guard.js'
import { registerOperation } from '../http/operation.js'
import type { NetworkPort } from '../network/port.js'
import { specOperation } from '../specs/catalog.js'
import { legacyRoamingBody } from './legacy-body.js'
import { legacyConnectivityStatus, legacyRoamingStatus } from './service.js'

type Body = Parameters<typeof legacyRoamingStatus>[1]['body']

export function deviceStatusV0Routes(
  app: FastifyInstance,
  deps: { guard: GuardDeps; network: NetworkPort },
): void {
  /** A three-legged caller may leave `device` out: it is the token's own device. */
  const fillFromToken = async (request: FastifyRequest) => {
    const body = request.body
    const deviceId = request.auth?.deviceId
    if (deviceId === undefined || (typeof body === 'object' && body !== null && 'device' in body))
      return
    const own = await deps.network.byId(deviceId)
    if (own !== undefined) {
      request.body = {
        ...(typeof body === 'object' && body !== null ? body : {}),
        device: { phoneNumber: own.phoneNumber },
      }
    }
  }
  registerOperation<Body>(
    app,
    deps.guard,
    specOperation('device-status', 'getRoamingStatus'),
    ({ auth, body }) => legacyRoamingStatus(deps, { auth, body }),
    {
      preValidation: async (request) => {
        const rewritten = legacyRoamingBody(request.body)
        if (rewritten !== undefined) request.body = rewritten
        await fillFromToken(request)
      },
    },
  )
  registerOperation<Body>(
    app,
    deps.guard,
    specOperation('device-status', 'getConnectivityStatus'),
    ({ auth, body }) => legacyConnectivityStatus(deps, { auth, body }),
    { preValidation: fillFromToken },
  )
}
