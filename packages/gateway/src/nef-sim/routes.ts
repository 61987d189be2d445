import { createHash, timingSafeEqual } from 'node:crypto'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { MONITORING_EVENT_BASE } from '../network/monitoring-event.js'
import type { MonitoringEventSubscription } from '../network/monitoring-event.js'
import type { NefSimSubscription } from '../store/nef-sim.js'
import { ProblemError } from './problem.js'
import {
  createSubscription,
  deleteSubscription,
  listSubscriptions,
  readSubscription,
  subscriptionBody,
  type NefSimDeps,
} from './service.js'

const digest = (text: string) => createHash('sha256').update(text).digest()

/** The optional static bearer token of the Monitoring Event API (NEF_SIM_TOKEN). */
function bearerGuard(token: string | undefined) {
  const expected = token === undefined ? undefined : digest(token)
  return async (request: FastifyRequest): Promise<void> => {
    if (expected === undefined) return
    const header = request.headers.authorization ?? ''
    const given = /^bearer /i.test(header) ? header.slice(7) : ''
    if (given === '' || !timingSafeEqual(digest(given), expected))
      throw new ProblemError(401, 'Unauthorized', 'A valid bearer token is required')
  }
}

export interface MonitoringEventRouteDeps extends NefSimDeps {
  token: string | undefined
  /** `{apiRoot}/3gpp-monitoring-event/v1/{scsAsId}/subscriptions/{id}`. */
  selfOf: (subscription: Pick<NefSimSubscription, 'scsAsId' | 'id'>) => string
}

/** TS 29.122 Monitoring Event API: create, read, list and delete subscriptions. */
export function monitoringEventRoutes(app: FastifyInstance, deps: MonitoringEventRouteDeps): void {
  const onRequest = bearerGuard(deps.token)
  const base = `${MONITORING_EVENT_BASE}/:scsAsId/subscriptions`
  const params = (request: FastifyRequest) =>
    request.params as { scsAsId: string; subscriptionId?: string }

  app.get(base, { onRequest }, async (request) => {
    const { scsAsId } = params(request)
    return (await listSubscriptions(deps, scsAsId)).map((s) => subscriptionBody(s, deps.selfOf(s)))
  })

  app.post(
    base,
    { onRequest, schema: { body: { $ref: 'nef-sim-monitoring-event-subscription' } } },
    async (request, reply: FastifyReply) => {
      const { scsAsId } = params(request)
      const result = await createSubscription(
        deps,
        scsAsId,
        request.body as MonitoringEventSubscription,
        (id) => deps.selfOf({ scsAsId, id }),
      )
      if (result.kind === 'reports') return reply.code(200).send(result.body)
      return reply
        .code(201)
        .header('location', deps.selfOf({ scsAsId, id: result.id }))
        .send(result.body)
    },
  )

  app.get(`${base}/:subscriptionId`, { onRequest }, async (request) => {
    const { scsAsId, subscriptionId = '' } = params(request)
    const found = await readSubscription(deps, scsAsId, subscriptionId)
    return subscriptionBody(found, deps.selfOf(found))
  })

  app.delete(`${base}/:subscriptionId`, { onRequest }, async (request, reply) => {
    const { scsAsId, subscriptionId = '' } = params(request)
    await deleteSubscription(deps, scsAsId, subscriptionId)
    return reply.code(204).send()
  })

  // Updates are not served (CAMARA needs none): 405 with the methods that are.
  for (const method of ['PUT', 'PATCH'] as const) {
    app.route({
      method,
      url: `${base}/:subscriptionId`,
      onRequest,
      handler: async (_request, reply) => {
        reply.header('allow', 'GET, DELETE')
        throw new ProblemError(405, 'Method Not Allowed', 'This NEF does not update subscriptions')
      },
    })
  }
}

/**
 * nef-sim's own admin routes (beside the simulator's), behind the admin token: its Monitoring
 * Event subscriptions and notifications not yet delivered, and dropping them all, as a NEF that
 * restarted and lost its state would (for fault tests).
 */
export function nefSimAdminRoutes(
  app: FastifyInstance,
  deps: MonitoringEventRouteDeps & {
    adminGuard: (request: FastifyRequest) => Promise<void>
  },
): void {
  const onRequest = deps.adminGuard
  app.get('/network/v1/nef-subscriptions', { onRequest }, async () =>
    (await deps.store.nefSim.allSubscriptions()).map((s) => ({
      scsAsId: s.scsAsId,
      reportsLeft: s.reportsLeft,
      expiresAt: s.expiresAt,
      ...subscriptionBody(s, deps.selfOf(s)),
    })),
  )
  app.delete('/network/v1/nef-subscriptions', { onRequest }, async () => ({
    dropped: await deps.store.nefSim.dropAll(),
  }))
  app.get('/network/v1/nef-notifications', { onRequest }, async () =>
    (await deps.store.nefSim.pending()).map((n) => ({
      destination: n.destination,
      attempts: n.attempts,
      dueAt: n.dueAt,
      lastError: n.lastError,
      body: n.body,
    })),
  )
}
