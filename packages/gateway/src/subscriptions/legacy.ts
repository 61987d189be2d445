import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { GuardDeps } from '../http/api-guard.js'
import { registerOperation } from '../http/operation.js'
import { specOperationAt } from '../specs/catalog.js'
import { legacyDeviceStatus as api } from './apis.js'
import {
  createLegacySubscription,
  legacyView,
  type CreateLegacySubscription,
} from './legacy-service.js'
import {
  deleteOwnSubscription,
  ownSubscription,
  visible,
  type SubscriptionDeps,
} from './service.js'

/** The legacy device-status v0.5.1 webhook subscriptions (`/device-status/v0/subscriptions`). */
export function legacySubscriptionRoutes(
  app: FastifyInstance,
  deps: SubscriptionDeps & { guard: GuardDeps },
): void {
  /** A three-legged caller may leave the device out: it is the token's own. */
  const fillFromToken = async (request: FastifyRequest) => {
    const body = request.body as { subscriptionDetail?: { device?: unknown } } | undefined
    const deviceId = request.auth?.deviceId
    if (deviceId === undefined || typeof body !== 'object' || body === null) return
    if (
      typeof body.subscriptionDetail !== 'object' ||
      body.subscriptionDetail === null ||
      body.subscriptionDetail.device !== undefined
    )
      return
    const device = await deps.network.byId(deviceId)
    if (device !== undefined) body.subscriptionDetail.device = { phoneNumber: device.phoneNumber }
  }

  registerOperation<CreateLegacySubscription>(
    app,
    deps.guard,
    specOperationAt('device-status', 'POST', '/subscriptions'),
    ({ auth, body }) => createLegacySubscription(deps, { auth, body }),
    { status: 201, preValidation: fillFromToken },
  )
  registerOperation(
    app,
    deps.guard,
    specOperationAt('device-status', 'GET', '/subscriptions'),
    async ({ auth }) =>
      (
        await deps.store.subscriptions.list({
          clientId: auth.clientId,
          api: api.name,
          status: 'ACTIVE',
        })
      )
        .filter((r) => visible(r, api, auth))
        .map(legacyView),
  )
  registerOperation(
    app,
    deps.guard,
    specOperationAt('device-status', 'GET', '/subscriptions/{subscriptionId}'),
    async ({ auth, request }) =>
      legacyView(
        await ownSubscription(
          deps.store,
          api,
          auth,
          (request.params as { subscriptionId: string }).subscriptionId,
        ),
      ),
  )
  registerOperation(
    app,
    deps.guard,
    specOperationAt('device-status', 'DELETE', '/subscriptions/{subscriptionId}'),
    async ({ auth, request }) => {
      const id = (request.params as { subscriptionId: string }).subscriptionId
      await deps.store.transaction((store) => deleteOwnSubscription(deps, store, api, auth, id))
      await deps.watch?.unwatch(id)
      return undefined
    },
    { status: 204 },
  )
}
