import { NetworkError, TimeoutError } from '../errors.js'
import type { ClientOptions, RequestEvent, RetryOptions } from '../options.js'
import { untilAborted } from './abort.js'

/** The resolved transport settings of a client. */
export interface Transport {
  /** The `fetch` every request goes through. */
  fetch: typeof fetch
  /** The retry policy, defaults filled in (`retries: 0` when disabled). */
  retry: Required<RetryOptions>
  /** Timeout of each HTTP attempt, milliseconds. */
  timeout: number
  /** The logging hook, called after every attempt. */
  onRequest: ((event: RequestEvent) => void) | undefined
}

/** One logical HTTP call; retries send it again with the same correlator. */
export interface HttpRequest {
  method: string
  url: URL | string
  headers?: Headers
  body?: string | URLSearchParams
  /** Safe to send again after a network failure or timeout (reads). */
  idempotent: boolean
  correlator: string
  signal?: AbortSignal | undefined
  timeout?: number | undefined
}

const NO_RETRY: Required<RetryOptions> = { retries: 0, minDelay: 0, maxDelay: 0, maxRetryAfter: 0 }

/** Fills in the defaults of the transport options. */
export function resolveTransport(options: ClientOptions): Transport {
  return {
    fetch: options.fetch ?? ((input, init) => globalThis.fetch(input, init)),
    retry:
      options.retry === false
        ? NO_RETRY
        : {
            retries: options.retry?.retries ?? 2,
            minDelay: options.retry?.minDelay ?? 250,
            maxDelay: options.retry?.maxDelay ?? 10_000,
            maxRetryAfter: options.retry?.maxRetryAfter ?? 60,
          },
    timeout: options.timeout ?? 30_000,
    onRequest: options.onRequest,
  }
}

/** `Retry-After` as seconds (delta-seconds or an HTTP date), or undefined. */
export function retryAfterSeconds(response: Response): number | undefined {
  const value = response.headers.get('retry-after')
  if (value === null) return undefined
  if (/^\d+$/.test(value.trim())) return Number(value)
  const date = Date.parse(value)
  return Number.isNaN(date) ? undefined : Math.max(0, (date - Date.now()) / 1000)
}

/** Waits `ms`, or rejects with the signal's reason when it aborts first. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  // Rejects with the signal's reason as it is, like fetch does (whatever abort() was given).
  return new Promise((resolve, reject) => {
    // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
    if (signal?.aborted === true) return reject(signal.reason)
    const onAbort = () => {
      clearTimeout(timer)
      // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
      reject(signal?.reason)
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}

function report(t: Transport, event: RequestEvent): void {
  try {
    t.onRequest?.(event)
  } catch {
    // a logging hook must not break the call
  }
}

/** The response with its body read in full: what callers read can no longer stall. */
async function buffered(response: Response, signal: AbortSignal): Promise<Response> {
  // No body: an opaque redirect (status 0, which no Response can be built with), a 204, a HEAD.
  if (response.body === null) return response
  const body = await untilAborted(response.arrayBuffer(), signal)
  const nullBody = [101, 204, 205, 304].includes(response.status)
  return new Response(nullBody ? null : body, {
    status: response.status,
    statusText: response.statusText,
    headers: response.headers,
  })
}

/**
 * One attempt: `x-correlator`, timeout and the caller's signal, both guarding until the body has
 * been read (the response returned is read in full). Throws NetworkError/TimeoutError.
 */
async function attempt(t: Transport, req: HttpRequest, n: number): Promise<Response> {
  const timeout = req.timeout ?? t.timeout
  const controller = new AbortController()
  let timedOut = false
  const timer = setTimeout(() => {
    timedOut = true
    controller.abort()
  }, timeout)
  const onAbort = () => controller.abort(req.signal?.reason)
  req.signal?.addEventListener('abort', onAbort, { once: true })
  const headers = new Headers(req.headers)
  headers.set('x-correlator', req.correlator)
  const started = Date.now()
  const url = String(req.url)
  const base = { method: req.method, url, correlator: req.correlator, attempt: n }
  try {
    if (req.signal?.aborted === true) throw req.signal.reason
    const init: RequestInit = {
      method: req.method,
      headers,
      signal: controller.signal,
      redirect: 'manual',
    }
    if (req.body !== undefined) init.body = req.body
    const response = await buffered(
      await untilAborted(t.fetch(url, init), controller.signal),
      controller.signal,
    )
    report(t, { ...base, status: response.status, durationMs: Date.now() - started })
    return response
  } catch (error) {
    const durationMs = Date.now() - started
    if (req.signal?.aborted === true) {
      report(t, { ...base, durationMs, error: 'aborted' })
      throw req.signal.reason
    }
    if (timedOut) {
      report(t, { ...base, durationMs, error: 'timeout' })
      throw new TimeoutError(timeout, { correlator: req.correlator })
    }
    report(t, { ...base, durationMs, error: 'network' })
    throw new NetworkError(`${req.method} ${url} failed: ${(error as Error).message}`, {
      correlator: req.correlator,
      cause: error,
    })
  } finally {
    clearTimeout(timer)
    req.signal?.removeEventListener('abort', onAbort)
  }
}

/** The last response of a request, and what its attempts tell about it. */
export interface HttpOutcome {
  /** The last response, its body read in full. */
  response: Response
  /**
   * An earlier attempt got no answer (a network failure or a timeout): the server may have
   * processed the request before the attempt that answered.
   */
  unanswered: boolean
}

/**
 * Sends a request, retrying with exponential backoff and jitter: on 429 and 503 (honouring
 * `Retry-After`) always, on network failures and timeouts only when the request is idempotent.
 * Never retries other statuses. Resolves with the last response, whatever its status.
 */
export async function send(t: Transport, req: HttpRequest): Promise<Response> {
  return (await sendRequest(t, req)).response
}

/**
 * {@link send}, telling also whether an earlier attempt got no answer.
 */
export async function sendRequest(t: Transport, req: HttpRequest): Promise<HttpOutcome> {
  let unanswered = false
  for (let n = 0; ; n++) {
    const last = n >= t.retry.retries
    const backoff = () => {
      const ceiling = Math.min(t.retry.maxDelay, t.retry.minDelay * 2 ** n)
      return ceiling / 2 + (Math.random() * ceiling) / 2
    }
    let response: Response
    try {
      response = await attempt(t, req, n + 1)
    } catch (error) {
      const retryable = error instanceof NetworkError || error instanceof TimeoutError
      if (!retryable || !req.idempotent || last) throw error
      unanswered = true
      await sleep(backoff(), req.signal)
      continue
    }
    if ((response.status !== 429 && response.status !== 503) || last)
      return { response, unanswered }
    const after = retryAfterSeconds(response)
    if (after !== undefined && after > t.retry.maxRetryAfter) return { response, unanswered }
    await response.body?.cancel().catch(() => undefined)
    await sleep(after !== undefined ? after * 1000 : backoff(), req.signal)
  }
}
