/**
 * Errors the SDK throws. Every one extends {@link DeviceStatusError} and carries a stable `code`:
 * a CAMARA error code for {@link ApiError}, and `OAUTH_ERROR`, `NETWORK_ERROR`, `TIMEOUT`,
 * `INVALID_RESPONSE`, `INVALID_NOTIFICATION`, `UNAUTHORIZED_NOTIFICATION`, `INVALID_USAGE` or
 * `DEVICE_MISMATCH` for the others. Nothing they carry includes a secret or a token.
 *
 * @module
 */

/** The base class of every error the SDK throws; `code` is stable and safe to `switch` on. */
export class DeviceStatusError extends Error {
  /** A stable, machine-readable code. */
  readonly code: string
  /**
   * @param code - stable code
   * @param message - human-readable description
   * @param options - the underlying cause, if any
   */
  constructor(code: string, message: string, options?: { cause?: unknown }) {
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
export class ApiError extends DeviceStatusError {
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
    code: string
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
 * The authorization server refused a request (RFC 6749 §5.2 `error` and `error_description`),
 * or its answer did not pass validation. `code` is always `OAUTH_ERROR`.
 */
export class AuthError extends DeviceStatusError {
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
export class NetworkError extends DeviceStatusError {
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
export class TimeoutError extends DeviceStatusError {
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
export class InvalidResponseError extends DeviceStatusError {
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
export class NotificationError extends DeviceStatusError {
  /** `INVALID_NOTIFICATION` or `UNAUTHORIZED_NOTIFICATION`. */
  declare readonly code: 'INVALID_NOTIFICATION' | 'UNAUTHORIZED_NOTIFICATION'
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

/** Any error the SDK throws on purpose; narrow it with `instanceof` or `name`. */
export type AnyDeviceStatusError =
  | ApiError
  | AuthError
  | NetworkError
  | TimeoutError
  | InvalidResponseError
  | NotificationError
  | DeviceStatusError
