import type { Clock } from '../core/clock.js'
import type { FastifyInstance } from 'fastify'
import { adminGuard } from '../http/admin-guard.js'
import { CamaraError } from '../core/camara-error.js'
import type { Store } from '../store/store.js'

/** How often an open stream reads the store for new network events. */
export const STREAM_POLL_MS = 250
const BATCH = 500

/**
 * `GET /admin/v1/events/stream`: Server-Sent Events of the network events as they are stored,
 * each with the CloudEvents it produced (`event: network`, `id:` the event's sequence number).
 * It reads the store, not this instance's memory, so it shows what every instance ingests. It
 * starts after `?after=<seq>` or the `Last-Event-ID` a reconnecting EventSource sends, else with
 * the latest `?backlog=` events (default 200).
 */
export function eventStreamRoutes(
  app: FastifyInstance,
  deps: { store: Store; adminToken: string; clock: Clock; pollMs?: number },
): void {
  const onRequest = adminGuard(deps.adminToken)
  const open = new Set<() => void>()
  app.addHook('preClose', async () => {
    for (const end of open) end()
  })

  app.get('/admin/v1/events/stream', { onRequest }, async (request, reply) => {
    const query = request.query as { after?: string; backlog?: string }
    const lastEventId = request.headers['last-event-id']
    const afterText = typeof lastEventId === 'string' ? lastEventId : query.after
    const backlog = query.backlog === undefined ? 200 : Number(query.backlog)
    let after = afterText === undefined ? undefined : Number(afterText)
    if (
      (after !== undefined && !Number.isInteger(after)) ||
      !Number.isInteger(backlog) ||
      backlog < 0 ||
      backlog > 10_000
    )
      throw new CamaraError(
        'INVALID_ARGUMENT',
        'after (or Last-Event-ID) must be an integer and backlog an integer from 0 to 10000',
      )
    if (after === undefined) {
      // The latest `backlog` events: find the newest sequence number, then start below it.
      let newest = 0
      for (;;) {
        const page = await deps.store.networkEvents.list({ afterSeq: newest, limit: 10_000 })
        const last = page.at(-1)
        if (last === undefined) break
        newest = last.seq
        if (page.length < 10_000) break
      }
      after = Math.max(0, newest - backlog)
    }

    reply.hijack()
    const raw = reply.raw
    raw.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    })
    raw.write('retry: 2000\n\n')
    let timer: NodeJS.Timeout | undefined
    let ended = false
    const end = () => {
      ended = true
      clearTimeout(timer)
      open.delete(end)
      raw.end()
    }
    open.add(end)
    request.raw.on('close', end)

    let cursor = after
    let quietSince = deps.clock().getTime()
    const poll = async () => {
      if (ended) return
      try {
        for (;;) {
          const events = await deps.store.networkEvents.list({ afterSeq: cursor, limit: BATCH })
          if (events.length === 0) break
          const caused = await deps.store.notifications.forNetworkEvents(events.map((e) => e.id))
          const byEvent = new Map<string, typeof caused>()
          for (const n of caused) {
            const key = n.networkEventId ?? ''
            byEvent.set(key, [...(byEvent.get(key) ?? []), n])
          }
          let chunk = ''
          for (const event of events) {
            const cloudEvents = (byEvent.get(event.id) ?? []).map((n) => ({
              id: n.id,
              type: n.type,
              subscriptionId: n.subscriptionId,
              status: n.status,
              event: n.event,
            }))
            chunk += `event: network\nid: ${event.seq}\ndata: ${JSON.stringify({ ...event, cloudEvents })}\n\n`
            cursor = event.seq
          }
          if (!ended) raw.write(chunk)
          quietSince = deps.clock().getTime()
          if (events.length < BATCH) break
        }
        // A comment now and then, so that proxies do not end a quiet stream.
        if (!ended && deps.clock().getTime() - quietSince > 15_000) {
          raw.write(': keep-alive\n\n')
          quietSince = deps.clock().getTime()
        }
      } catch (error) {
        request.log.warn({ err: error }, 'event stream: store not read')
      }
      if (!ended) timer = setTimeout(() => void poll(), deps.pollMs ?? STREAM_POLL_MS)
    }
    void poll()
  })
}
