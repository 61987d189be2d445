import { systemClock } from '../core/clock.js'
import type { FastifyInstance } from 'fastify'
import { adminGuard } from '../http/admin-guard.js'
import { CamaraError } from '../core/camara-error.js'
import type { Clock } from '../core/clock.js'
import type { NetworkPort } from '../network/port.js'
import type { Store } from '../store/store.js'
import type { Notification } from '../store/notifications.js'
import type { Subscription } from '../store/subscriptions.js'

/** A notification as the admin API shows it, with every attempt. */
export async function deliveryView(store: Store, n: Notification) {
  return {
    id: n.id,
    subscriptionId: n.subscriptionId,
    networkEventId: n.networkEventId,
    type: n.type,
    status: n.status,
    attempts: n.attempts,
    lastError: n.lastError,
    createdAt: n.createdAt,
    deliveredAt: n.deliveredAt,
    nextAttemptAt: n.status === 'pending' ? new Date(n.nextAttemptAt).toISOString() : null,
    history: (await store.notifications.attempts(n.id)).map((a) => ({
      attempt: a.attempt,
      at: a.at,
      statusCode: a.statusCode,
      error: a.error,
      durationMs: a.durationMs,
    })),
  }
}

function subscriptionView(row: Subscription, phoneNumber: string | null) {
  return {
    id: row.id,
    api: row.api,
    clientId: row.clientId,
    phoneNumber,
    threeLegged: row.sub !== null,
    types: row.types,
    sink: row.sink,
    status: row.status,
    eventsSent: row.eventsSent,
    maxEvents: row.maxEvents,
    startsAt: row.startsAt,
    expiresAt: row.expiresAt,
    endedAt: row.endedAt,
    terminationReason: row.terminationReason,
    createdAt: row.createdAt,
  }
}

/**
 * The notifications admin API: `GET /admin/v1/deliveries` (the outbox, failed deliveries
 * included, with their attempts), `POST /admin/v1/deliveries/{id}/redeliver` ("deliver again"),
 * and `GET /admin/v1/subscriptions` (every app's subscriptions, by app, API, device, status).
 */
export function deliveryAdminRoutes(
  app: FastifyInstance,
  deps: {
    store: Store
    network: NetworkPort
    adminToken: string
    clock?: Clock
    kick?: () => void
  },
): void {
  const onRequest = adminGuard(deps.adminToken)
  const clock = deps.clock ?? systemClock
  app.get('/admin/v1/deliveries', { onRequest }, async (request) => {
    const query = request.query as { status?: string; subscriptionId?: string; limit?: string }
    const limit = query.limit === undefined ? 100 : Number(query.limit)
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000)
      throw new CamaraError('INVALID_ARGUMENT', 'limit must be an integer from 1 to 1000')
    // The notifications and their attempts from one snapshot: a settle writes a notification's
    // outcome and its attempt together, and the view shows both or neither.
    return deps.store.snapshot(async (store) => {
      const rows = await store.notifications.list({
        limit,
        ...(query.status === undefined ? {} : { status: query.status }),
        ...(query.subscriptionId === undefined ? {} : { subscriptionId: query.subscriptionId }),
      })
      return Promise.all(rows.map((n) => deliveryView(store, n)))
    })
  })

  app.post('/admin/v1/deliveries/:id/redeliver', { onRequest }, async (request, reply) => {
    const id = (request.params as { id: string }).id
    const done = await deps.store.transaction(async (store) => {
      if ((await store.notifications.byId(id)) === undefined)
        throw new CamaraError('NOT_FOUND', `No notification ${id}`)
      return store.notifications.redeliver(id, clock().getTime())
    })
    if (!done)
      throw new CamaraError('CONFLICT', `Notification ${id} is still waiting to be delivered`)
    deps.kick?.()
    const row = await deps.store.notifications.byId(id)
    return reply.code(202).send(row === undefined ? { id } : await deliveryView(deps.store, row))
  })

  app.get('/admin/v1/subscriptions', { onRequest }, async (request) => {
    const query = request.query as {
      clientId?: string
      api?: string
      phoneNumber?: string
      status?: string
    }
    let deviceId: string | undefined
    if (query.phoneNumber !== undefined && query.phoneNumber !== '') {
      const device = await deps.network.find({
        kind: 'phoneNumber',
        phoneNumber: query.phoneNumber,
      })
      if (device === undefined) return []
      deviceId = device.id
    }
    const rows = await deps.store.subscriptions.list({
      ...(query.clientId ? { clientId: query.clientId } : {}),
      ...(query.api ? { api: query.api } : {}),
      ...(query.status ? { status: query.status } : {}),
      ...(deviceId === undefined ? {} : { deviceId }),
    })
    const ids = [...new Set(rows.map((row) => row.deviceId))]
    const devices = await Promise.all(ids.map((id) => Promise.resolve(deps.network.byId(id))))
    const phones = new Map(ids.map((id, i) => [id, devices[i]?.phoneNumber]))
    return rows.map((row) => subscriptionView(row, phones.get(row.deviceId) ?? null))
  })
}
