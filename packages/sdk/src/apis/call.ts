import type { Session } from '../auth/session.js'
import { ApiError, type ApiErrorCode, DeviceStatusError, InvalidResponseError } from '../errors.js'
import type { CallOptions } from '../options.js'
import { newCorrelator } from '../transport/correlator.js'
import { retryAfterSeconds, sendRequest, type HttpOutcome } from '../transport/request.js'
import type { Device } from './types.js'

/** A parsed API answer and the correlator of the call. */
export interface ApiAnswer {
  body: Record<string, unknown>
  correlator: string
  /** HTTP status of the answer. */
  status: number
  /** The operation's path, for messages. */
  path: string
}

/** A parsed API answer of any JSON shape (a list, or nothing for a 204). */
export interface RawApiAnswer {
  body: unknown
  correlator: string
  /** HTTP status of the answer. */
  status: number
  /** The body is there but is not JSON. */
  unparseable: boolean
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
  /**
   * A 404 after an attempt that got no answer means that attempt did it (a DELETE): answer as
   * if that attempt's 2xx had arrived.
   */
  goneIsDone?: boolean
}

/**
 * POSTs a CAMARA API operation (a read: safe to retry) with the session's access token. A 401
 * on a token that was not just issued renews the token and tries once more.
 *
 * @throws {@link ApiError} for a CAMARA error answer
 * @throws {@link InvalidResponseError} when a 2xx answer is not a JSON object
 */
export async function callApi(
  session: Session,
  path: string,
  body: Record<string, unknown>,
  call: CallOptions = {},
): Promise<ApiAnswer> {
  const answer = await requestApi(session, { method: 'POST', path, body, idempotent: true }, call)
  const { correlator, status } = answer
  if (typeof answer.body !== 'object' || answer.body === null || Array.isArray(answer.body))
    throw new InvalidResponseError(
      `POST ${path} answered ${status} with ${answer.unparseable ? 'a body that is not JSON' : 'no JSON object'}`,
      { status, correlator },
    )
  return { body: answer.body as Record<string, unknown>, correlator, status, path }
}

/**
 * Sends a CAMARA API operation with the session's access token. A 401 on a token that was not
 * just issued (by this call) renews the token, unless another call already did, and tries once
 * more with the newer token (the gateway refused the old one before acting).
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
  const first = await session.tokenFor({ ...call, correlator })
  let token = first.accessToken
  let outcome: HttpOutcome
  for (let retried = false; ; retried = true) {
    const headers = new Headers({ authorization: `Bearer ${token}`, accept: 'application/json' })
    if (body !== undefined) headers.set('content-type', 'application/json')
    outcome = await sendRequest(session.config.transport, {
      method,
      url,
      headers,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      idempotent,
      correlator,
      signal: call.signal,
      timeout: call.timeout,
    })
    // A token just issued, or the one this call renewed: the 401 stands.
    if (outcome.response.status !== 401 || first.issued || retried) break
    // Renewed only when the refused token is still the session's; else the newer one is tried.
    const next = await session.tokenFor({ ...call, correlator }, token)
    if (next.accessToken === token) break
    token = next.accessToken
  }
  const { response } = outcome
  const echoed = response.headers.get('x-correlator') ?? correlator
  if (response.status === 404 && outcome.unanswered && operation.goneIsDone === true)
    return { body: undefined, correlator: echoed, status: 204, unparseable: false }
  const text = await response.text()
  let parsed: unknown
  let unparseable = false
  try {
    parsed = text === '' ? undefined : JSON.parse(text)
  } catch {
    parsed = undefined
    unparseable = true
  }
  if (!response.ok) {
    const record =
      typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : {}
    throw new ApiError({
      status: response.status,
      // A gateway's code outside the SDK's catalog still reaches the app as sent.
      code:
        typeof record['code'] === 'string'
          ? (record['code'] as ApiErrorCode)
          : `HTTP_${response.status}`,
      message:
        typeof record['message'] === 'string'
          ? record['message']
          : `${method} ${path} answered ${response.status}`,
      correlator: echoed,
      retryAfter: retryAfterSeconds(response),
      response,
    })
  }
  return { body: parsed, correlator: echoed, status: response.status, unparseable }
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
    if (
      asked !== undefined &&
      session.phoneNumber !== undefined &&
      e164(asked) !== e164(session.phoneNumber)
    )
      throw new DeviceStatusError(
        'DEVICE_MISMATCH',
        `this session is authorized for ${session.phoneNumber}, not ${asked}; create a client for that number`,
      )
    return {}
  }
  const chosen = device ?? session.device
  return chosen === undefined ? {} : { device: chosen }
}

/** A phone number with its leading `+` (the vendor samples' positional forms may omit it). */
function e164(phoneNumber: string): string {
  return phoneNumber.startsWith('+') ? phoneNumber : `+${phoneNumber}`
}

/** A date-time field, as a Date. */
export function dateOf(value: unknown): Date {
  return new Date(typeof value === 'string' ? value : NaN)
}

function invalidField(answer: ApiAnswer, name: string, expected: string): InvalidResponseError {
  const value = answer.body[name]
  return new InvalidResponseError(
    `POST ${answer.path} answered ${answer.status} with ${value === undefined ? 'no' : 'an invalid'} "${name}" (${expected} required)`,
    { status: answer.status, correlator: answer.correlator },
  )
}

/**
 * A required boolean field of a 2xx answer.
 *
 * @throws {@link InvalidResponseError} when it is missing or not a boolean
 */
export function booleanField(answer: ApiAnswer, name: string): boolean {
  const value = answer.body[name]
  if (typeof value !== 'boolean') throw invalidField(answer, name, 'a boolean')
  return value
}

/**
 * A required string field of a 2xx answer.
 *
 * @throws {@link InvalidResponseError} when it is missing or not a string
 */
export function stringField(answer: ApiAnswer, name: string): string {
  const value = answer.body[name]
  if (typeof value !== 'string') throw invalidField(answer, name, 'a string')
  return value
}

/**
 * A required date-time field of a 2xx answer, as a Date.
 *
 * @throws {@link InvalidResponseError} when it is missing or not a date-time
 */
export function dateField(answer: ApiAnswer, name: string): Date {
  const value = answer.body[name]
  const date = dateOf(value)
  if (Number.isNaN(date.getTime())) throw invalidField(answer, name, 'a date-time')
  return date
}
