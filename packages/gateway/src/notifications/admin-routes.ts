import type { FastifyInstance } from 'fastify'
import { adminGuard } from '../http/admin-guard.js'
import { CamaraError } from '../core/camara-error.js'
import type { Store } from '../store/store.js'

/** `GET /admin/v1/deliveries`: the outbox, failed deliveries included, with their attempts. */
export function deliveryAdminRoutes(
  app: FastifyInstance,
  deps: { store: Store; adminToken: string },
): void {
  const onRequest = adminGuard(deps.adminToken)
  app.get('/admin/v1/deliveries', { onRequest }, async (request) => {
    const query = request.query as { status?: string; subscriptionId?: string; limit?: string }
    const limit = query.limit === undefined ? 100 : Number(query.limit)
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000)
      throw new CamaraError('INVALID_ARGUMENT', 'limit must be an integer from 1 to 1000')
    const rows = await deps.store.notifications.list({
      limit,
      ...(query.status === undefined ? {} : { status: query.status }),
      ...(query.subscriptionId === undefined ? {} : { subscriptionId: query.subscriptionId }),
    })
    return Promise.all(
      rows.map(async (n) => ({
        id: n.id,
        subscriptionId: n.subscriptionId,
        type: n.type,
        status: n.status,
        attempts: n.attempts,
        lastError: n.lastError,
        createdAt: n.createdAt,
        deliveredAt: n.deliveredAt,
        nextAttemptAt: n.status === 'pending' ? new Date(n.nextAttemptAt).toISOString() : null,
        history: (await deps.store.notifications.attempts(n.id)).map((a) => ({
          attempt: a.attempt,
          at: a.at,
          statusCode: a.statusCode,
          error: a.error,
          durationMs: a.durationMs,
        })),
      })),
    )
  })
}
