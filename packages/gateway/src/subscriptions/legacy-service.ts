import type { AuthContext } from '../core/auth-context.js'
import { CamaraError } from '../core/camara-error.js'
import type { RequestDevice } from '../device/identify.js'
import { legacyRead, legacySubject } from '../device-status-v0/service.js'
import { checkSink } from '../notifications/sink-policy.js'
import type { Subscription } from '../store/subscriptions.js'
import { legacyDeviceStatus as api } from './apis.js'
import {
  ensureAhead,
  ensureQuota,
  insertWithinQuota,
  newSubscription,
  watchFor,
  type SubscriptionDeps,
} from './service.js'

/** `SubscriptionRequest` of device-status v0.5.1, as the validator leaves it. */
export interface CreateLegacySubscription {
  subscriptionDetail: { device: RequestDevice; type: string }
  subscriptionExpireTime?: string
  webhook: { notificationUrl: string; notificationAuthToken?: string }
}

/**
 * `SubscriptionInfo` of device-status v0.5.1 (the webhook's token is not shown back). The spec
 * requires a top-level `type` besides `subscriptionDetail.type`: both carry the event type.
 */
export function legacyView(row: Subscription): Record<string, unknown> {
  return {
    ...row.config,
    type: row.types[0],
    subscriptionId: row.id,
    startsAt: row.startsAt,
    ...(row.expiresAt === null ? {} : { expiresAt: row.expiresAt }),
  }
}

/** `POST /device-status/v0/subscriptions`: a webhook for the device's roaming or connectivity changes. */
export async function createLegacySubscription(
  deps: SubscriptionDeps,
  input: { auth: AuthContext; body: CreateLegacySubscription },
): Promise<Record<string, unknown>> {
  const { auth, body } = input
  // v0.5.1 declares no 429, but the quota bounds an app's subscriptions across every API:
  // this one is no way around it (CAMARA's generic 429 QUOTA_EXCEEDED).
  await ensureQuota(deps, deps.store, auth.clientId)
  const problem = await checkSink(body.webhook.notificationUrl, deps.sinkPolicy)
  if (problem !== undefined)
    throw new CamaraError('INVALID_ARGUMENT', `webhook.notificationUrl: ${problem}`)
  ensureAhead(deps, body.subscriptionExpireTime, 'subscriptionExpireTime')
  const device = await legacySubject(deps, auth, body.subscriptionDetail.device)
  // The network must answer for the device, as the legacy reads do (not applicable: 422,
  // failing: 503).
  await legacyRead(() => deps.network.reachability(device, 'device-status'))
  const requested = body.subscriptionDetail.device
  const kind = (
    ['phoneNumber', 'ipv4Address', 'ipv6Address', 'networkAccessIdentifier'] as const
  ).find((k) => requested[k] !== undefined)
  const token = body.webhook.notificationAuthToken
  const row = newSubscription(deps, {
    api,
    auth,
    device,
    types: [body.subscriptionDetail.type],
    protocol: 'HTTP',
    sink: body.webhook.notificationUrl,
    // The webhook's token has no expiry.
    sinkCredential:
      token === undefined
        ? null
        : { credentialType: 'ACCESSTOKEN', accessTokenType: 'bearer', accessToken: token },
    config: {
      subscriptionDetail: body.subscriptionDetail,
      ...(body.subscriptionExpireTime === undefined
        ? {}
        : { subscriptionExpireTime: body.subscriptionExpireTime }),
      webhook: { notificationUrl: body.webhook.notificationUrl },
    },
    usedIdentifier: kind === undefined ? undefined : { [kind]: requested[kind] },
    expireTime: body.subscriptionExpireTime,
    maxEvents: undefined,
  })
  const watched = await legacyRead(
    () =>
      watchFor(
        deps,
        row,
        device,
        api.serviceApi,
        row.types.map((t) => t.slice(api.prefix.length)),
      ) ?? Promise.resolve(undefined),
  )
  await deps.store
    .transaction((store) => insertWithinQuota(deps, store, row))
    .catch(async (error: unknown) => {
      await watched?.undo()
      throw error
    })
  return legacyView(row)
}
