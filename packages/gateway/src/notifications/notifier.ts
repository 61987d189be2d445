import { performance } from 'node:perf_hooks'
import { Agent, buildConnector } from 'undici'
import type { SinkCredential } from '../store/subscriptions.js'
import type { AttemptOutcome } from './delivery-policy.js'
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
 * The notifier over undici (Node's own HTTP client, about a third less CPU per POST than
 * node:http's): POSTs the CloudEvent (structured mode) with the sink's bearer token and
 * `x-correlator` set to the event id. Every connection is opened through the sink policy's
 * `lookup` ({@link sinkTarget}), so the address checked is the address connected to; connections
 * are kept alive in an agent of this notifier's own. A redirect is never followed (its status is
 * the answer); the answer's body is drained unread.
 */
export function httpNotifier(options: HttpNotifierOptions): Notifier {
  const agent = new Agent({
    // Idle kept-alive connections close after 4 s, as node:http's agent closed them.
    keepAliveTimeout: 4000,
    connect: policyConnector(options.sinkPolicy, options.timeoutMs),
  })
  return {
    async notify(notice) {
      const started = performance.now()
      const latencyMs = () => Math.round(performance.now() - started)
      const target = sinkTarget(notice.sink, options.sinkPolicy)
      if ('refused' in target)
        return { kind: 'unreachable', error: target.refused, latencyMs: latencyMs() }
      // Connecting, TLS, the answer and the drain all fit in the attempt's timeout.
      const abort = new AbortController()
      const timer = setTimeout(() => {
        const error = new Error(`the sink did not answer within ${options.timeoutMs} ms`)
        error.name = 'TimeoutError'
        abort.abort(error)
      }, options.timeoutMs)
      try {
        const response = await agent.request({
          origin: target.url.origin,
          path: target.url.pathname + target.url.search,
          method: 'POST',
          headers: {
            'content-type': 'application/cloudevents+json',
            'x-correlator': notice.eventId,
            ...(notice.credential === null
              ? {}
              : { authorization: `Bearer ${notice.credential.accessToken}` }),
          },
          body: notice.body,
          signal: abort.signal,
        })
        const retryAfter = response.headers['retry-after']
        // After the answer a failure (a cut drain) changes nothing: the outcome is known.
        await response.body.dump().catch(() => undefined)
        return {
          kind: 'answered',
          statusCode: response.statusCode,
          ...(typeof retryAfter === 'string' ? { retryAfter } : {}),
          latencyMs: latencyMs(),
        }
      } catch (cause) {
        return { kind: 'unreachable', error: describe(cause), latencyMs: latencyMs() }
      } finally {
        clearTimeout(timer)
      }
    },
    close() {
      void agent.destroy()
    },
  }
}

/**
 * undici's connector, with every socket's address lookup done by the sink policy: the origin's
 * host name is resolved and checked where the socket connects, as {@link sinkTarget} does it.
 */
function policyConnector(policy: SinkPolicy, timeoutMs: number): buildConnector.connector {
  return (options, callback) => {
    const target = sinkTarget(`${options.protocol}//${options.host}/`, policy)
    if ('refused' in target) {
      callback(new SinkAddressError(target.refused), null)
      return
    }
    buildConnector({ lookup: target.lookup, timeout: timeoutMs })(options, callback)
  }
}

/** A failed POST as the attempt's record shows it: the policy's reason, or the error's name. */
function describe(cause: unknown): string {
  if (cause instanceof SinkAddressError) return cause.message
  if (cause instanceof Error && cause.cause instanceof SinkAddressError) return cause.cause.message
  return cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause)
}
