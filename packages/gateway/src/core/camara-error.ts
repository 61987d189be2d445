import { CAMARA_ERROR_STATUS, type CamaraErrorCode } from '@device-status/contract'

/**
 * The CAMARA error catalog: every `code` the API files under `specs/` declare, with the one HTTP
 * status each maps to (checked against the YAML files by `camara-error.test.ts`), plus the
 * Commonalities codes we answer without a spec declaring them (NOTES.md §3: "Additional CAMARA
 * error responses" MAY be returned).
 */
export const CAMARA_STATUS = CAMARA_ERROR_STATUS

export type CamaraCode = CamaraErrorCode

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
