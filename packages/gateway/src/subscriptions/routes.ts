import type { FastifyError, FastifyInstance } from 'fastify'
import type { GuardDeps } from '../http/api-guard.js'
import type { CamaraCode } from '../core/camara-error.js'
import { registerOperation } from '../http/operation.js'
import type { ApiName } from '../specs/catalog.js'
import { specOperationAt } from '../specs/catalog.js'
import { createScope, SUBSCRIPTION_APIS, type SubscriptionApi } from './apis.js'
import {
  createSubscription,
  deleteSubscription,
  getSubscription,
  listSubscriptions,
  type SubscriptionDeps,
  type SubscriptionRequest,
} from './service.js'

/** NOTES.md §5 "Validator-to-code mapping": schema errors that have their own code. */
function createValidationCode(api: SubscriptionApi) {
  return (error: FastifyError): CamaraCode | undefined => {
    const first = (
      error.validation as { instancePath?: string; keyword?: string }[] | undefined
    )?.[0]
    if (first?.instancePath === '/types' && first.keyword === 'maxItems') return api.multiEventCode
    if (first?.instancePath === '/sink') return api.sinkCode
    if (first?.instancePath === '/sinkCredential/credentialType' && first.keyword === 'enum')
      return 'INVALID_CREDENTIAL'
    if (first?.instancePath === '/protocol' && first.keyword === 'enum') return 'INVALID_PROTOCOL'
    return undefined
  }
}

/** Mounts the four operations of each subscription API where its spec puts them. */
export function subscriptionRoutes(
  app: FastifyInstance,
  deps: SubscriptionDeps & { guard: GuardDeps },
  offered?: readonly ApiName[],
): void {
  for (const api of SUBSCRIPTION_APIS) {
    const name = api.name as ApiName
    // Not offered: its facts have no source on this gateway (app.ts offeredApis).
    if (offered !== undefined && !offered.includes(name)) continue
    const create = specOperationAt(name, 'POST', '/subscriptions')
    // The spec lists every type's create scope in one entry; a token needs the one of the
    // requested type (CAMARA ESG §4.1), checked in the service. The guard needs any one.
    const anyCreate = { ...create, scopes: api.types.map((t) => [createScope(api, t)]) }
    registerOperation<SubscriptionRequest>(
      app,
      deps.guard,
      anyCreate,
      async ({ auth, body, request }) => {
        const created = await createSubscription(deps, api, { auth, body })
        request.server.log.debug({ subscription: created['id'] }, 'subscription created')
        return created
      },
      { validationCode: createValidationCode(api), status: 201 },
    )
    registerOperation(app, deps.guard, specOperationAt(name, 'GET', '/subscriptions'), ({ auth }) =>
      listSubscriptions(deps, api, auth),
    )
    registerOperation(
      app,
      deps.guard,
      specOperationAt(name, 'GET', '/subscriptions/{subscriptionId}'),
      ({ auth, request }) =>
        getSubscription(
          deps,
          api,
          auth,
          (request.params as { subscriptionId: string }).subscriptionId,
        ),
    )
    registerOperation(
      app,
      deps.guard,
      specOperationAt(name, 'DELETE', '/subscriptions/{subscriptionId}'),
      async ({ auth, request }) => {
        await deleteSubscription(
          deps,
          api,
          auth,
          (request.params as { subscriptionId: string }).subscriptionId,
        )
        return undefined
      },
      { status: 204 },
    )
  }
}
