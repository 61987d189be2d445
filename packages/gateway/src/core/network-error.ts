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
} as const satisfies Record<string, CamaraCode>

export type NetworkFailure = keyof typeof NETWORK_FAILURES

export class NetworkError extends Error {
  override readonly name = 'NetworkError'
  readonly failure: NetworkFailure

  constructor(failure: NetworkFailure, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.failure = failure
  }
}

/** The CAMARA error an API answers for a network failure. */
export function camaraErrorOf(error: NetworkError): CamaraError {
  return new CamaraError(NETWORK_FAILURES[error.failure], error.message)
}
