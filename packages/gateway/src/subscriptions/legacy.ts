import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { RequestDevice } from '../device/identify.js'
import { legacySubject } from '../device-status-v0/service.js'
import type { GuardDeps } from '../http/api-guard.js'
import { CamaraError } from '../core/camara-error.js'
import { registerOperation } from '../http/operation.js'
import { storedConfig } from '../notifications/outbox.js'
import { checkSink } from '../notifications/sink-policy.js'
import { specOperationAt } from '../specs/catalog.js'
import { newId } from '../store/store.js'
import type { SubscriptionRow } from '../store/subscriptions.js'
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
function legacyView(row: SubscriptionRow): Record<string, unknown> {
  return {
    ...storedConfig(row).config,
    type: (JSON.parse(row.types) as string[])[0],
    subscriptionId: row.id,
    startsAt: row.starts_at,
    ...(row.expires_at === null ? {} : { expiresAt: row.expires_at }),
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
        Date.parse(body.subscriptionExpireTime) <= Date.now()
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
      const now = new Date().toISOString()
      const token = body.webhook.notificationAuthToken
      const row: SubscriptionRow = {
        id: newId(),
        api: api.name,
        client_id: auth.clientId,
        device_id: device.id,
        sub: auth.deviceId === undefined ? null : auth.sub,
        types: JSON.stringify([body.subscriptionDetail.type]),
        protocol: 'HTTP',
        sink: body.webhook.notificationUrl,
        sink_credential:
          token === undefined
            ? null
            : JSON.stringify({
                credentialType: 'ACCESSTOKEN',
                accessTokenType: 'bearer',
                accessToken: token,
              }),
        sink_expires_at: null,
        config: JSON.stringify({
          config: {
            subscriptionDetail: body.subscriptionDetail,
            ...(body.subscriptionExpireTime === undefined
              ? {}
              : { subscriptionExpireTime: body.subscriptionExpireTime }),
            webhook: { notificationUrl: body.webhook.notificationUrl },
          },
          ...(kind === undefined ? {} : { usedIdentifier: { [kind]: requested[kind] } }),
        }),
        expires_at:
          body.subscriptionExpireTime === undefined
            ? null
            : new Date(body.subscriptionExpireTime).toISOString(),
        max_events: null,
        events_sent: 0,
        status: 'ACTIVE',
        starts_at: now,
        ended_at: null,
        termination_reason: null,
        created_at: now,
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
