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
  const correlator = call.correlator ?? newCorrelator()
  const url = new URL(path.replace(/^\//, ''), withSlash(session.config.baseUrl))
  let response: Response | undefined
  for (let renewed = false; ; renewed = true) {
    const token = await session.accessToken({ ...call, correlator }, renewed)
    response = await send(session.config.transport, {
      method: 'POST',
      url,
      headers: new Headers({
        authorization: `Bearer ${token}`,
        'content-type': 'application/json',
        accept: 'application/json',
      }),
      body: JSON.stringify(body),
      idempotent: true,
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
    parsed = text === '' ? {} : JSON.parse(text)
  } catch {
    parsed = undefined
  }
  const record =
    typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : {}
  if (!response.ok) {
    throw new ApiError({
      status: response.status,
      code: typeof record['code'] === 'string' ? record['code'] : `HTTP_${response.status}`,
      message:
        typeof record['message'] === 'string'
          ? record['message']
          : `${path} answered ${response.status}`,
      correlator: echoed,
      retryAfter: retryAfterSeconds(response),
      response,
    })
  }
  return { body: record, correlator: echoed }
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
