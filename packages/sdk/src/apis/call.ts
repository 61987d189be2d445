import type { Session } from '../auth/session.js'
import { ApiError, DeviceStatusError } from '../errors.js'
import type { CallOptions } from '../options.js'
import { newCorrelator } from '../transport/correlator.js'
import { retryAfterSeconds, send } from '../transport/request.js'
import type { Device } from './types.js'

/** A parsed API answer and the correlator of the call. */
export interface ApiAnswer {
  body: Record<string, unknown>
  correlator: string
}

/** A parsed API answer of any JSON shape (a list, or nothing for a 204). */
export interface RawApiAnswer {
  body: unknown
  correlator: string
}

/** One CAMARA API operation. */
export interface ApiOperation {
  method: 'GET' | 'POST' | 'DELETE'
  path: string
  body?: Record<string, unknown>
  /**
   * Safe to send again after a network failure or a timeout. False for a POST that creates
   * state (a subscription): once sent it may have been processed.
   */
  idempotent: boolean
}

/**
 * POSTs a CAMARA API operation (a read: safe to retry) with the session's access token. A 401
 * on a token that was not just issued renews the token and tries once more.
 *
 * @throws {@link ApiError} for a CAMARA error answer
 */
export async function callApi(
  session: Session,
  path: string,
  body: Record<string, unknown>,
  call: CallOptions = {},
): Promise<ApiAnswer> {
  const answer = await requestApi(session, { method: 'POST', path, body, idempotent: true }, call)
  const record =
    typeof answer.body === 'object' && answer.body !== null && !Array.isArray(answer.body)
      ? (answer.body as Record<string, unknown>)
      : {}
  return { body: record, correlator: answer.correlator }
}

/**
 * Sends a CAMARA API operation with the session's access token. A 401 on a token that was not
 * just issued renews the token and tries once more (the gateway refused it before acting).
 *
 * @throws {@link ApiError} for a CAMARA error answer
 */
export async function requestApi(
  session: Session,
  operation: ApiOperation,
  call: CallOptions = {},
): Promise<RawApiAnswer> {
  const { method, path, body, idempotent } = operation
  const correlator = call.correlator ?? newCorrelator()
  const url = new URL(path.replace(/^\//, ''), withSlash(session.config.baseUrl))
  let response: Response | undefined
  for (let renewed = false; ; renewed = true) {
    const token = await session.accessToken({ ...call, correlator }, renewed)
    const headers = new Headers({ authorization: `Bearer ${token}`, accept: 'application/json' })
    if (body !== undefined) headers.set('content-type', 'application/json')
    response = await send(session.config.transport, {
      method,
      url,
      headers,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      idempotent,
      correlator,
      signal: call.signal,
      timeout: call.timeout,
    })
    if (response.status !== 401 || renewed) break
    await response.body?.cancel().catch(() => undefined)
  }
  const echoed = response.headers.get('x-correlator') ?? correlator
  const text = await response.text()
  let parsed: unknown
  try {
    parsed = text === '' ? undefined : JSON.parse(text)
  } catch {
    parsed = undefined
  }
  if (!response.ok) {
    const record =
      typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : {}
    throw new ApiError({
      status: response.status,
      code: typeof record['code'] === 'string' ? record['code'] : `HTTP_${response.status}`,
      message:
        typeof record['message'] === 'string'
          ? record['message']
          : `${method} ${path} answered ${response.status}`,
      correlator: echoed,
      retryAfter: retryAfterSeconds(response),
      response,
    })
  }
  return { body: parsed, correlator: echoed }
}

function withSlash(url: URL): URL {
  return url.href.endsWith('/') ? url : new URL(url.href + '/')
}

/**
 * The `device` part of a request body: none for a three-legged session (the token names the
 * subscriber; CAMARA answers 422 UNNECESSARY_IDENTIFIER otherwise), the given or the session's
 * device for a two-legged one.
 *
 * @throws {@link DeviceStatusError} `DEVICE_MISMATCH` when a phone number other than the
 *   session's subscriber is asked for
 */
export function deviceBody(session: Session, device?: Device): { device?: Device } {
  if (session.threeLegged) {
    const asked = device?.phoneNumber
    if (asked !== undefined && session.phoneNumber !== undefined && asked !== session.phoneNumber)
      throw new DeviceStatusError(
        'DEVICE_MISMATCH',
        `this session is authorized for ${session.phoneNumber}, not ${asked}; create a client for that number`,
      )
    return {}
  }
  const chosen = device ?? session.device
  return chosen === undefined ? {} : { device: chosen }
}

/** A date-time field, as a Date. */
export function dateOf(value: unknown): Date {
  return new Date(typeof value === 'string' ? value : NaN)
}
