/**
 * Errors the SDK throws. Every one extends {@link DeviceStatusError} and carries a stable `code`:
 * a CAMARA error code ({@link CamaraErrorCode}) for {@link ApiError}, and `OAUTH_ERROR`,
 * `NETWORK_ERROR`, `TIMEOUT`, `INVALID_RESPONSE`, `INVALID_NOTIFICATION`,
 * `UNAUTHORIZED_NOTIFICATION`, `INVALID_USAGE` or `DEVICE_MISMATCH` for the others. Errors of the
 * OAuth layer (discovery, token endpoint, CIBA, code exchange, client authentication) are
 * {@link AuthError}s, whatever oauth4webapi raised. Nothing they carry includes a secret or a token.
 *
 * `code` is typed: narrow a caught value with {@link isDeviceStatusError}, then
 * `switch (error.code)` gives each case its class.
 *
 * @example
 * ```ts
 * try {
 *   await deviceStatus.getRoamingStatus()
 * } catch (error) {
 *   if (!isDeviceStatusError(error)) throw error
 *   switch (error.code) {
 *     case 'OAUTH_ERROR': // AuthError
 *       console.log(error.error, error.error_description)
 *       break
 *     case 'IDENTIFIER_NOT_FOUND': // ApiError
 *       console.log(error.status, error.correlator)
 *       break
 *   }
 * }
 * ```
 *
 * @module
 */

import type { CamaraErrorCode } from '@device-status/contract'

/** Every CAMARA error code with its HTTP status, and the codes' type: see the contract. */
export { CAMARA_ERROR_STATUS, type CamaraErrorCode } from '@device-status/contract'

/**
 * The `code` of an {@link ApiError}: the CAMARA code of the answer, or `HTTP_<status>` when its
 * body carried none (a proxy's error page, say).
 */
export type ApiErrorCode = CamaraErrorCode | `HTTP_${number}`

/** Codes of the errors the SDK raises for a call it refuses to make as asked. */
export type UsageErrorCode = 'INVALID_USAGE' | 'DEVICE_MISMATCH'

/**
 * The base class of every error the SDK throws; `code` is stable and safe to `switch` on. The SDK
 * throws it as is for `INVALID_USAGE` (a call it cannot make as asked) and `DEVICE_MISMATCH` (a
 * number other than the session's subscriber).
 */
export class DeviceStatusError<TCode extends string = string> extends Error {
  /** A stable, machine-readable code. */
  readonly code: TCode
  /**
   * @param code - stable code
   * @param message - human-readable description
   * @param options - the underlying cause, if any
   */
  constructor(code: TCode, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'DeviceStatusError'
    this.code = code
  }
}

/**
 * A CAMARA API answered with an error: `{status, code, message}` plus the call's `x-correlator`.
 *
 * @see {@link https://github.com/camaraproject/Commonalities | CAMARA Commonalities, error responses}
 */
export class ApiError extends DeviceStatusError<ApiErrorCode> {
  /** HTTP status (400, 401, 403, 404, 422, 429, 503, …). */
  readonly status: number
  /** The `x-correlator` of the call (the gateway's echo, or the one the SDK sent). */
  readonly correlator: string
  /** Seconds the gateway asked to wait (`Retry-After`), when it sent one. */
  readonly retryAfter: number | undefined
  /** The raw response (its body already read); not enumerable, so it stays out of logs. */
  declare readonly response: Response
  /**
   * @param input - the parsed error and its context
   */
  constructor(input: {
    status: number
    code: ApiErrorCode
    message: string
    correlator: string
    retryAfter?: number | undefined
    response: Response
  }) {
    super(input.code, input.message)
    this.name = 'ApiError'
    this.status = input.status
    this.correlator = input.correlator
    this.retryAfter = input.retryAfter
    Object.defineProperty(this, 'response', { value: input.response, enumerable: false })
  }
}

/**
 * The authorization server refused a request (RFC 6749 §5.2 `error` and `error_description`, in
 * the body or in a `WWW-Authenticate` challenge, e.g. `invalid_client` for a wrong secret), or
 * its answer did not pass validation (`invalid_response`), or the OAuth step could not be run
 * (`client_error`: e.g. a private key Web Crypto cannot sign with). Discovery, the token
 * endpoint, CIBA and the code exchange all raise it. `code` is always `OAUTH_ERROR`.
 */
export class AuthError extends DeviceStatusError<'OAUTH_ERROR'> {
  /** The OAuth error (`invalid_grant`, `access_denied`, `expired_token`, `invalid_client`, …). */
  readonly error: string
  /** The server's description, when it gave one. */
  readonly error_description: string | undefined
  /** HTTP status of the answer, when there was one. */
  readonly status: number | undefined
  /**
   * @param input - the OAuth error
   * @param options - the underlying cause, if any
   */
  constructor(
    input: { error: string; error_description?: string | undefined; status?: number | undefined },
    options?: { cause?: unknown },
  ) {
    super(
      'OAUTH_ERROR',
      input.error_description === undefined
        ? input.error
        : `${input.error}: ${input.error_description}`,
      options,
    )
    this.name = 'AuthError'
    this.error = input.error
    this.error_description = input.error_description
    this.status = input.status
  }
}

/** The request did not reach the server, or its answer did not arrive (DNS, refused, reset). */
export class NetworkError extends DeviceStatusError<'NETWORK_ERROR'> {
  /** The `x-correlator` the call was sent with. */
  readonly correlator: string | undefined
  /**
   * @param message - what failed
   * @param options - the correlator and the runtime's error
   */
  constructor(message: string, options: { correlator?: string | undefined; cause?: unknown } = {}) {
    super('NETWORK_ERROR', message, { cause: options.cause })
    this.name = 'NetworkError'
    this.correlator = options.correlator
  }
}

/** A call took longer than its `timeout`. */
export class TimeoutError extends DeviceStatusError<'TIMEOUT'> {
  /** The `x-correlator` the call was sent with. */
  readonly correlator: string | undefined
  /** The timeout that expired, milliseconds. */
  readonly timeout: number
  /**
   * @param timeout - the timeout, milliseconds
   * @param options - the correlator of the call
   */
  constructor(timeout: number, options: { correlator?: string | undefined } = {}) {
    super('TIMEOUT', `no answer within ${timeout} ms`)
    this.name = 'TimeoutError'
    this.timeout = timeout
    this.correlator = options.correlator
  }
}

/**
 * A 2xx answer of a CAMARA API that does not match the API's schema: not a JSON object, or a
 * required field missing or of the wrong type. `code` is always `INVALID_RESPONSE`; the call's
 * result would otherwise be a guess (a missing `swapped` is not "not swapped").
 */
export class InvalidResponseError extends DeviceStatusError<'INVALID_RESPONSE'> {
  /** HTTP status of the answer. */
  readonly status: number
  /** The `x-correlator` of the call (the gateway's echo, or the one the SDK sent). */
  readonly correlator: string
  /**
   * @param message - what is wrong with the answer
   * @param input - the status and correlator of the call
   */
  constructor(message: string, input: { status: number; correlator: string }) {
    super('INVALID_RESPONSE', message)
    this.name = 'InvalidResponseError'
    this.status = input.status
    this.correlator = input.correlator
  }
}

/**
 * A notification a sink received did not pass {@link parseNotification}: `INVALID_NOTIFICATION`
 * (not a CAMARA CloudEvent: answer 400) or `UNAUTHORIZED_NOTIFICATION` (the `Authorization`
 * header does not carry the subscription's sink token: answer 401). The message never shows a token.
 */
export class NotificationError extends DeviceStatusError<
  'INVALID_NOTIFICATION' | 'UNAUTHORIZED_NOTIFICATION'
> {
  /** The HTTP status a sink should answer with: 400 or 401. */
  readonly status: 400 | 401
  /**
   * @param code - `INVALID_NOTIFICATION` or `UNAUTHORIZED_NOTIFICATION`
   * @param message - what is wrong
   */
  constructor(code: 'INVALID_NOTIFICATION' | 'UNAUTHORIZED_NOTIFICATION', message: string) {
    super(code, message)
    this.name = 'NotificationError'
    this.status = code === 'UNAUTHORIZED_NOTIFICATION' ? 401 : 400
  }
}

/**
 * Any error the SDK throws, as a union discriminated by `code`: after
 * {@link isDeviceStatusError}, `switch (error.code)` narrows to the class of each case.
 * (`TIMEOUT` is both a client-side {@link TimeoutError} and a gateway's `504` {@link ApiError}:
 * `status` tells them apart.)
 */
export type AnyDeviceStatusError =
  | ApiError
  | AuthError
  | NetworkError
  | TimeoutError
  | InvalidResponseError
  | NotificationError
  | DeviceStatusError<UsageErrorCode>

/**
 * Whether `error` is one the SDK threw, typed as the union {@link AnyDeviceStatusError}.
 *
 * @param error - a caught value
 * @returns true for every {@link DeviceStatusError}
 */
export function isDeviceStatusError(error: unknown): error is AnyDeviceStatusError {
  return error instanceof DeviceStatusError
}
