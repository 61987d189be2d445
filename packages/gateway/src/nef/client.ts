import type { Clock } from '../core/clock.js'
import { NetworkError } from '../core/network-error.js'
import type { NefConfig } from './config.js'
import {
  subscriptionsUrl,
  type MonitoringEventSubscription,
  type ProblemDetails,
} from '../network/monitoring-event.js'
import { nefAuthorization } from './token.js'

/** A NEF's answer: status, `Location`, and the JSON body (`undefined` when there is none). */
export interface NefAnswer {
  status: number
  location: string | undefined
  body: unknown
}

/** The Monitoring Event API of one NEF, for one SCS/AS (the gateway). */
export interface NefClient {
  /** `POST {apiRoot}/3gpp-monitoring-event/v1/{scsAsId}/subscriptions`. */
  create(subscription: MonitoringEventSubscription): Promise<NefAnswer>
  /** `GET` of a subscription resource (its `self`). */
  read(self: string): Promise<NefAnswer>
  /** `DELETE` of a subscription resource. */
  remove(self: string): Promise<NefAnswer>
  /** Where `POST` goes: the subscriptions collection. */
  readonly collection: string
}

export interface NefClientDeps {
  config: Pick<NefConfig, 'baseUrl' | 'scsAsId' | 'credentials' | 'timeoutMs'>
  clock: Clock
  /** The HTTP client (default: the global fetch, undici). */
  fetch?: typeof fetch
}

/** What the log may keep of a NEF's error answer: its status and `ProblemDetails`, nothing else. */
export function upstreamOf(answer: NefAnswer, operation: string): Record<string, unknown> {
  const problem =
    typeof answer.body === 'object' && answer.body !== null
      ? (answer.body as ProblemDetails)
      : undefined
  return { operation, status: answer.status, ...(problem === undefined ? {} : { problem }) }
}

/**
 * The `NetworkError` a NEF's non-2xx answer to a request about a UE is (docs/nef.md, Faults):
 * 404 is the UE unknown to the NEF, 403 a refusal, 429 a request to slow down; anything else
 * (5xx, a 4xx the gateway did not expect: a fault on one side or the other) is the network
 * unavailable. The NEF's `ProblemDetails` goes with it, for the log.
 */
export function failureOf(answer: NefAnswer, operation: string): NetworkError {
  const upstream = upstreamOf(answer, operation)
  switch (answer.status) {
    case 404:
      return new NetworkError('UNKNOWN_DEVICE', 'The network does not know this device.', {
        upstream,
      })
    case 403:
      // A NEF that says the monitoring is not available for this UE (nef-sim plays the
      // simulator's notApplicable so): the service does not apply, 422.
      if (
        upstream['problem'] !== undefined &&
        (upstream['problem'] as ProblemDetails).cause === 'SERVICE_NOT_APPLICABLE'
      )
        return new NetworkError(
          'SERVICE_NOT_APPLICABLE',
          'The service is not available for this device.',
          { upstream },
        )
      return new NetworkError('NETWORK_REFUSED', 'The network refused to answer for this device.', {
        upstream,
      })
    case 429:
      return new NetworkError('NETWORK_BUSY', 'The network is busy. Try again later.', {
        upstream,
      })
    default:
      return new NetworkError(
        'NETWORK_UNAVAILABLE',
        'The network could not be reached for this device. Try again later.',
        { upstream },
      )
  }
}

/**
 * The NEF client: fetch with a timeout per request (`NEF_TIMEOUT_MS`, the token request
 * included), the NEF's credentials, and transport failures as `NetworkError`s: no answer in time
 * is `NETWORK_TIMEOUT` (504), no connection `NETWORK_UNAVAILABLE` (503). A 401 drops the cached
 * OAuth token and the request is sent once more with a new one.
 */
export function nefClient(deps: NefClientDeps): NefClient {
  const doFetch = deps.fetch ?? fetch
  const authorization = nefAuthorization(deps.config.credentials, {
    clock: deps.clock,
    ...(deps.fetch === undefined ? {} : { fetch: deps.fetch }),
  })
  const collection = subscriptionsUrl(deps.config.baseUrl, deps.config.scsAsId)

  const once = async (method: string, url: string, body: unknown): Promise<NefAnswer> => {
    const signal = AbortSignal.timeout(deps.config.timeoutMs)
    try {
      const header = await authorization.header(signal)
      const response = await doFetch(url, {
        method,
        signal,
        redirect: 'error',
        headers: {
          accept: 'application/json, application/problem+json',
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...(header === undefined ? {} : { authorization: header }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      })
      const text = await response.text()
      let parsed: unknown
      if (text !== '') {
        try {
          parsed = JSON.parse(text)
        } catch {
          parsed = undefined
        }
      }
      return {
        status: response.status,
        location: response.headers.get('location') ?? undefined,
        body: parsed,
      }
    } catch (error) {
      if (signal.aborted || (error as Error).name === 'TimeoutError') {
        throw new NetworkError('NETWORK_TIMEOUT', 'The network did not answer in time.', {
          cause: error,
          upstream: { operation: `${method} ${url}`, timeoutMs: deps.config.timeoutMs },
        })
      }
      throw new NetworkError(
        'NETWORK_UNAVAILABLE',
        'The network could not be reached for this device. Try again later.',
        { cause: error, upstream: { operation: `${method} ${url}`, error: String(error) } },
      )
    }
  }
  const send = async (method: string, url: string, body?: unknown): Promise<NefAnswer> => {
    const answer = await once(method, url, body)
    if (answer.status !== 401 || deps.config.credentials.kind !== 'client-credentials')
      return answer
    authorization.invalidate()
    return once(method, url, body)
  }
  /** A resource URI as the NEF gave it, absolute (a relative one is resolved on the apiRoot). */
  const absolute = (self: string) => new URL(self, collection + '/').href
  return {
    collection,
    create: (subscription) => send('POST', collection, subscription),
    read: (self) => send('GET', absolute(self)),
    remove: (self) => send('DELETE', absolute(self)),
  }
}
