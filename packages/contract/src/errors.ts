/**
 * Every `code` of a CAMARA error response of the Device Status APIs (their OpenAPI files) and the
 * Commonalities codes a gateway may add, with the one HTTP status each maps to. The gateway answers
 * with these codes; the SDK types `ApiError.code` with them (a code outside this list still
 * reaches `ApiError.code` as sent). The gateway's `camara-error.test.ts` checks the list against
 * the spec files.
 */
export const CAMARA_ERROR_STATUS = {
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
} as const

/** A CAMARA error code ({@link CAMARA_ERROR_STATUS}). */
export type CamaraErrorCode = keyof typeof CAMARA_ERROR_STATUS
