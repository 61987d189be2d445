import { CamaraError, type CamaraCode } from './camara-error.js'

/**
 * How reading the network can fail, whatever the network is (the simulator, a NEF). Adapters
 * throw these; `camaraErrorOf` is the one place they become CAMARA errors.
 */
export const NETWORK_FAILURES = {
  /** No device matches the identifier. */
  UNKNOWN_DEVICE: 'IDENTIFIER_NOT_FOUND',
  /** The API's service does not apply to this device. */
  SERVICE_NOT_APPLICABLE: 'SERVICE_NOT_APPLICABLE',
  /** This network cannot take that kind of identifier. */
  UNSUPPORTED_IDENTIFIER: 'UNSUPPORTED_IDENTIFIER',
  /** The network could not be read (down, or failing). */
  NETWORK_UNAVAILABLE: 'UNAVAILABLE',
  /** The network did not answer in time. */
  NETWORK_TIMEOUT: 'TIMEOUT',
  /** The network refused to answer for this device or this caller. */
  NETWORK_REFUSED: 'PERMISSION_DENIED',
  /** The network asked the gateway to slow down. */
  NETWORK_BUSY: 'TOO_MANY_REQUESTS',
} as const satisfies Record<string, CamaraCode>

export type NetworkFailure = keyof typeof NETWORK_FAILURES

export class NetworkError extends Error {
  override readonly name = 'NetworkError'
  readonly failure: NetworkFailure
  /**
   * What the network said, for the log only (a NEF's `ProblemDetails`, its status): the error
   * handler logs it with the request's correlator; it never reaches the client.
   */
  readonly upstream: Readonly<Record<string, unknown>> | undefined

  constructor(
    failure: NetworkFailure,
    message: string,
    options?: { cause?: unknown; upstream?: Readonly<Record<string, unknown>> },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause })
    this.failure = failure
    this.upstream = options?.upstream
  }
}

/** The CAMARA error an API answers for a network failure. */
export function camaraErrorOf(error: NetworkError): CamaraError {
  return new CamaraError(NETWORK_FAILURES[error.failure], error.message)
}
