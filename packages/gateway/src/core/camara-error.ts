/**
 * The CAMARA error catalog: every `code` the API files under `specs/` declare, with the one HTTP
 * status each maps to (checked against the YAML files by `camara-error.test.ts`), plus the
 * Commonalities codes we answer without a spec declaring them (NOTES.md §3: "Additional CAMARA
 * error responses" MAY be returned).
 */
export const CAMARA_STATUS = {
  INVALID_ARGUMENT: 400,
  OUT_OF_RANGE: 400,
  INVALID_PROTOCOL: 400,
  INVALID_CREDENTIAL: 400,
  INVALID_TOKEN: 400,
  INVALID_SINK: 400,
  UNAUTHENTICATED: 401,
  PERMISSION_DENIED: 403,
  SUBSCRIPTION_MISMATCH: 403,
  INVALID_TOKEN_CONTEXT: 403,
  NOT_FOUND: 404,
  IDENTIFIER_NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  NOT_ACCEPTABLE: 406,
  ABORTED: 409,
  ALREADY_EXISTS: 409,
  CONFLICT: 409,
  GONE: 410,
  UNSUPPORTED_MEDIA_TYPE: 415,
  SERVICE_NOT_APPLICABLE: 422,
  MISSING_IDENTIFIER: 422,
  UNSUPPORTED_IDENTIFIER: 422,
  UNNECESSARY_IDENTIFIER: 422,
  MULTIEVENT_SUBSCRIPTION_NOT_SUPPORTED: 422,
  MULTIEVENT_COMBINATION_TEMPORARILY_NOT_SUPPORTED: 422,
  IDENTIFIER_MISMATCH: 422,
  QUOTA_EXCEEDED: 429,
  TOO_MANY_REQUESTS: 429,
  INTERNAL: 500,
  NOT_IMPLEMENTED: 501,
  BAD_GATEWAY: 502,
  UNAVAILABLE: 503,
  TIMEOUT: 504,
} as const satisfies Record<string, number>

export type CamaraCode = keyof typeof CAMARA_STATUS

/** The messages the specs' examples use; a thrower may give a more precise one. */
export const CAMARA_MESSAGE: Partial<Record<CamaraCode, string>> = {
  INVALID_ARGUMENT: 'Client specified an invalid argument, request body or query param.',
  OUT_OF_RANGE: 'Client specified an invalid range.',
  UNAUTHENTICATED:
    'Request not authenticated due to missing, invalid, or expired credentials. A new authentication is required.',
  PERMISSION_DENIED: 'Client does not have sufficient permissions to perform this action.',
  NOT_FOUND: 'The specified resource is not found.',
  IDENTIFIER_NOT_FOUND: 'Device identifier not found.',
  SERVICE_NOT_APPLICABLE: 'The service is not available for the provided identifier.',
  MISSING_IDENTIFIER: 'The device cannot be identified.',
  UNSUPPORTED_IDENTIFIER: 'The identifier provided is not supported.',
  UNNECESSARY_IDENTIFIER: 'The device is already identified by the access token.',
  TOO_MANY_REQUESTS: 'Rate limit reached.',
  QUOTA_EXCEEDED: 'Out of resource quota.',
  INTERNAL: 'An internal error occurred.',
  UNAVAILABLE: 'Service Unavailable.',
  METHOD_NOT_ALLOWED: 'The requested method is not allowed/supported on the target resource.',
  UNSUPPORTED_MEDIA_TYPE:
    'The server refuses to accept the request because the payload format is in an unsupported format.',
}

/** A failure the client can see, rendered as `{status, code, message}` by the error handler. */
export class CamaraError extends Error {
  readonly code: CamaraCode
  readonly status: number
  /** Extra response headers, e.g. `Retry-After` on 429. */
  readonly headers: Readonly<Record<string, string>>

  constructor(
    code: CamaraCode,
    message?: string,
    options?: { cause?: unknown; headers?: Record<string, string> },
  ) {
    super(message ?? CAMARA_MESSAGE[code] ?? code, options)
    this.name = 'CamaraError'
    this.code = code
    this.status = CAMARA_STATUS[code]
    this.headers = options?.headers ?? {}
  }

  toJSON(): { status: number; code: CamaraCode; message: string } {
    return { status: this.status, code: this.code, message: this.message }
  }
}
