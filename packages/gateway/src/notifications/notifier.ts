import { Agent as HttpAgent, request as httpRequest } from 'node:http'
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https'
import type { LookupFunction } from 'node:net'
import { performance } from 'node:perf_hooks'
import type { SinkCredential } from '../store/subscriptions.js'
import type { AttemptOutcome, SinkAnswer } from './delivery-policy.js'
import { SinkAddressError, sinkTarget, type SinkPolicy } from './sink-policy.js'

/** One delivery: this CloudEvent to this sink, with this credential. */
export interface Notice {
  sink: string
  /** The CloudEvent's `id` (the `x-correlator`). */
  eventId: string
  /** The CloudEvent as the outbox stores it (JSON text): the POST's body, sent as is. */
  body: string
  /** The sink's bearer token, when the subscription gave one. */
  credential: SinkCredential | null
}

/** How a delivery went, and how long it took (ms, for the attempt's record). */
export type NoticeResult = Exclude<AttemptOutcome, { kind: 'orphaned' }> & { latencyMs: number }

/**
 * The notifier port: delivers one notification to its sink. It never throws for the sink's sake:
 * a refused address, a failed connection or a timeout is an `unreachable` outcome.
 */
export interface Notifier {
  notify(notice: Notice): Promise<NoticeResult>
  /** Closes the kept-alive connections. */
  close(): void
}

export interface HttpNotifierOptions {
  sinkPolicy: SinkPolicy
  /** Per-attempt timeout, ms: connecting, TLS, the answer and the drain all fit in it. */
  timeoutMs: number
}

/**
 * The notifier over node:http(s): POSTs the CloudEvent (structured mode) with the sink's bearer
 * token and `x-correlator` set to the event id. The socket connects through the sink policy's
 * `lookup` ({@link sinkTarget}), so the address checked is the address connected to. Connections
 * are kept alive, in agents of this notifier's own: each was opened through its sink policy.
 */
export function httpNotifier(options: HttpNotifierOptions): Notifier {
  const agents = {
    http: new HttpAgent({ keepAlive: true, timeout: 4000 }),
    https: new HttpsAgent({ keepAlive: true, timeout: 4000 }),
  }
  return {
    async notify(notice) {
      const started = performance.now()
      const latencyMs = () => Math.round(performance.now() - started)
      const target = sinkTarget(notice.sink, options.sinkPolicy)
      if ('refused' in target)
        return { kind: 'unreachable', error: target.refused, latencyMs: latencyMs() }
      try {
        const answer = await postEvent(target, {
          headers: {
            'content-type': 'application/cloudevents+json',
            'x-correlator': notice.eventId,
            ...(notice.credential === null
              ? {}
              : { authorization: `Bearer ${notice.credential.accessToken}` }),
          },
          body: notice.body,
          timeoutMs: options.timeoutMs,
          agents,
        })
        return { kind: 'answered', ...answer, latencyMs: latencyMs() }
      } catch (cause) {
        return { kind: 'unreachable', error: describe(cause), latencyMs: latencyMs() }
      }
    },
    close() {
      agents.http.destroy()
      agents.https.destroy()
    },
  }
}

/** A failed POST as the attempt's record shows it: the policy's reason, or the error's name. */
function describe(cause: unknown): string {
  if (cause instanceof SinkAddressError) return cause.message
  return cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause)
}

/**
 * POSTs one event: a redirect is never followed (its status is the answer). Resolves with the
 * status once the response head arrives; the body is drained, unread, so the connection can be
 * kept alive. After `timeoutMs` the request is destroyed.
 */
function postEvent(
  target: { url: URL; lookup: LookupFunction },
  init: {
    headers: Record<string, string>
    body: string
    timeoutMs: number
    agents: { http: HttpAgent; https: HttpsAgent }
  },
): Promise<SinkAnswer> {
  return new Promise((resolve, reject) => {
    const body = Buffer.from(init.body)
    const https = target.url.protocol === 'https:'
    const request = (https ? httpsRequest : httpRequest)(target.url, {
      method: 'POST',
      headers: { ...init.headers, 'content-length': String(body.length) },
      lookup: target.lookup,
      agent: https ? init.agents.https : init.agents.http,
    })
    const timer = setTimeout(() => {
      const error = new Error(`the sink did not answer within ${init.timeoutMs} ms`)
      error.name = 'TimeoutError'
      request.destroy(error)
    }, init.timeoutMs)
    request.once('close', () => clearTimeout(timer))
    // After the answer a failure (a cut drain) changes nothing: the promise is settled.
    request.on('error', reject)
    request.once('response', (response) => {
      response.on('error', () => undefined)
      response.resume()
      const retryAfter = response.headers['retry-after']
      resolve({
        statusCode: response.statusCode ?? 0,
        ...(retryAfter === undefined ? {} : { retryAfter }),
      })
    })
    request.end(body)
  })
}
