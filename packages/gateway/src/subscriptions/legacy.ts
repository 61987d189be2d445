import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { RequestDevice } from '../device/identify.js'
import { legacySubject } from '../device-status-v0/service.js'
import type { GuardDeps } from '../http/api-guard.js'
import { CamaraError } from '../core/camara-error.js'
import { nowMs } from '../core/clock.js'
import { registerOperation } from '../http/operation.js'
import { checkSink } from '../notifications/sink-policy.js'
import { specOperationAt } from '../specs/catalog.js'
import { newId } from '../store/store.js'
import type { Subscription } from '../store/subscriptions.js'
import { legacyDeviceStatus as api } from './apis.js'
import {
  deleteOwnSubscription,
  ensureQuota,
  insertWithinQuota,
  ownSubscription,
  visible,
  type SubscriptionDeps,
} from './service.js'

interface CreateSubscription {
  subscriptionDetail: { device: RequestDevice; type: string }
  subscriptionExpireTime?: string
  webhook: { notificationUrl: string; notificationAuthToken?: string }
}

/**
 * `SubscriptionInfo` of device-status v0.5.1 (the webhook's token is not shown back). The spec
 * requires a top-level `type` besides `subscriptionDetail.type`: both carry the event type.
 */
function legacyView(row: Subscription): Record<string, unknown> {
  return {
    ...row.config,
    type: row.types[0],
    subscriptionId: row.id,
    startsAt: row.startsAt,
    ...(row.expiresAt === null ? {} : { expiresAt: row.expiresAt }),
  }
}

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

  registerOperation<CreateSubscription>(
    app,
    deps.guard,
    specOperationAt('device-status', 'POST', '/subscriptions'),
    async ({ auth, body }) => {
      // v0.5.1 declares no 429, but the quota bounds an app's subscriptions across every API:
      // this one is no way around it (CAMARA's generic 429 QUOTA_EXCEEDED).
      await ensureQuota(deps, deps.store, auth.clientId)
      const problem = await checkSink(body.webhook.notificationUrl, deps.sinkPolicy)
      if (problem !== undefined)
        throw new CamaraError('INVALID_ARGUMENT', `webhook.notificationUrl: ${problem}`)
      if (
        body.subscriptionExpireTime !== undefined &&
        Date.parse(body.subscriptionExpireTime) <= nowMs(deps.clock)
      ) {
        throw new CamaraError('INVALID_ARGUMENT', 'subscriptionExpireTime is in the past')
      }
      const device = await legacySubject(deps, auth, body.subscriptionDetail.device)
      // The network must answer for the device, as the legacy reads do (not applicable: 422,
      // failing: 503).
      await deps.network.reachability(device, 'device-status')
      const requested = body.subscriptionDetail.device
      const kind = (
        ['phoneNumber', 'ipv4Address', 'ipv6Address', 'networkAccessIdentifier'] as const
      ).find((k) => requested[k] !== undefined)
      const now = deps.clock().toISOString()
      const token = body.webhook.notificationAuthToken
      const row: Subscription = {
        id: newId(),
        api: api.name,
        clientId: auth.clientId,
        deviceId: device.id,
        sub: auth.deviceId === undefined ? null : auth.sub,
        types: [body.subscriptionDetail.type],
        protocol: 'HTTP',
        sink: body.webhook.notificationUrl,
        sinkCredential:
          token === undefined
            ? null
            : { credentialType: 'ACCESSTOKEN', accessTokenType: 'bearer', accessToken: token },
        sinkExpiresAt: null,
        config: {
          subscriptionDetail: body.subscriptionDetail,
          ...(body.subscriptionExpireTime === undefined
            ? {}
            : { subscriptionExpireTime: body.subscriptionExpireTime }),
          webhook: { notificationUrl: body.webhook.notificationUrl },
        },
        ...(kind === undefined ? {} : { usedIdentifier: { [kind]: requested[kind] } }),
        expiresAt:
          body.subscriptionExpireTime === undefined
            ? null
            : new Date(body.subscriptionExpireTime).toISOString(),
        maxEvents: null,
        eventsSent: 0,
        status: 'ACTIVE',
        startsAt: now,
        endedAt: null,
        terminationReason: null,
        createdAt: now,
      }
      await deps.store.transaction((store) => insertWithinQuota(deps, store, row))
      return legacyView(row)
    },
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
      await deps.store.transaction((store) =>
        deleteOwnSubscription(
          deps,
          store,
          api,
          auth,
          (request.params as { subscriptionId: string }).subscriptionId,
        ),
      )
      return undefined
    },
    { status: 204 },
  )
}
