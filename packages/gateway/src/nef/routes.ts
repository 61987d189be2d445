import type { FastifyInstance, FastifyReply } from 'fastify'
import type { MonitoringEventReport, ProblemDetails } from '../network/monitoring-event.js'
import type { Store } from '../store/store.js'
import { tokenHash, type NefLog, type NefNetwork } from './network.js'
import { isReport } from './reports.js'

/** The callback path of the gateway; a NEF subscription's notificationDestination is `{path}/{token}`. */
export const CALLBACK_PATH = '/nef/v1/notifications'

export interface NefCallbackDeps {
  network: NefNetwork
  store: Store
  /** Ends a CAMARA subscription the network ended (`cancelInd`): `subscription-ended`, NETWORK_TERMINATED. */
  endSubscription: (subscriptionId: string) => Promise<void>
  log: NefLog
}

function problem(reply: FastifyReply, details: ProblemDetails & { status: number }) {
  return reply.code(details.status).type('application/problem+json').send(details)
}

/** The `MonitoringNotification` members used, checked; a reason string when malformed. */
function malformed(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return 'not an object'
  const b = body as Record<string, unknown>
  if (typeof b['subscription'] !== 'string') return 'subscription'
  const reports = b['monitoringEventReports']
  if (
    reports !== undefined &&
    (!Array.isArray(reports) || reports.length === 0 || !reports.every(isReport))
  )
    return 'monitoringEventReports'
  if (b['cancelInd'] !== undefined && typeof b['cancelInd'] !== 'boolean') return 'cancelInd'
  return undefined
}

/**
 * `POST /nef/v1/notifications/{token}`: the NEF's Monitoring Event notifications (TS 29.122
 * clause 5.3.3.3.2). The token is the unguessable one of the NEF subscription (32 random bytes,
 * stored as its SHA-256): an unknown one is 404 and changes nothing. The reports come in through
 * the one network event door as the device's new facts, so a replayed report, which changes
 * nothing, makes no event; `cancelInd` ends the CAMARA subscription. Success is 204.
 */
export function nefCallbackRoutes(app: FastifyInstance, deps: NefCallbackDeps): void {
  app.post<{ Params: { token: string } }>(`${CALLBACK_PATH}/:token`, async (request, reply) => {
    const watch = await deps.store.nef.watchByToken(tokenHash(request.params.token))
    if (watch === undefined) {
      return problem(reply, {
        status: 404,
        title: 'Not Found',
        detail: 'No subscription of this gateway has this notification destination.',
      })
    }
    const reason = malformed(request.body)
    if (reason !== undefined) {
      return problem(reply, {
        status: 400,
        title: 'Bad Request',
        detail: 'The body is not a valid MonitoringNotification.',
        cause: 'INVALID_MSG_FORMAT',
        invalidParams: [{ param: reason }],
      })
    }
    const body = request.body as {
      subscription: string
      monitoringEventReports?: MonitoringEventReport[]
      cancelInd?: boolean
    }
    if (body.monitoringEventReports !== undefined)
      await deps.network.ingestReports(watch.deviceId, body.monitoringEventReports, {
        reachabilityType: watch.reachabilityType,
      })
    if (body.cancelInd === true) {
      deps.log.info(
        { subscriptionId: watch.subscriptionId, nefSubscription: body.subscription },
        'NEF cancelled a subscription: the CAMARA subscription ends',
      )
      await deps.endSubscription(watch.subscriptionId)
      // Its other NEF subscriptions go too; the cancelled one is gone already (404 is fine).
      await deps.network.unwatch(watch.subscriptionId)
    }
    return reply.code(204).send()
  })
}
