/** The sandbox gateway `npm start` runs. */
export const DEFAULT_BASE_URL = 'http://127.0.0.1:8080'

/** Retries of one call: on 429 and 503 (honouring `Retry-After`), and on network failures of safe calls. */
export interface RetryOptions {
  /** Retries after the first attempt; default 2. `0` disables retrying. */
  retries?: number
  /** First backoff delay, milliseconds; doubles per retry, with jitter. Default 250. */
  minDelay?: number
  /** Longest backoff delay, milliseconds. Default 10 000. */
  maxDelay?: number
  /** Longest `Retry-After` honoured, seconds; a longer one ends the retries. Default 60. */
  maxRetryAfter?: number
}

/** What the {@link ClientOptions.onRequest} hook sees of each HTTP attempt; never a secret or token. */
export interface RequestEvent {
  /** HTTP method. */
  method: string
  /** Request URL. */
  url: string
  /** The `x-correlator` the call was sent with (the same on every retry of one call). */
  correlator: string
  /** 1 for the first attempt, 2 for the first retry, … */
  attempt: number
  /** HTTP status, when a response arrived. */
  status?: number
  /** Milliseconds the attempt took. */
  durationMs: number
  /** What went wrong when no response arrived (`network`, `timeout`, `aborted`). */
  error?: 'network' | 'timeout' | 'aborted'
}

/** Where and how the SDK talks to the gateway; shared by every service object of a credential. */
export interface ClientOptions {
  /**
   * Base URL of the gateway or aggregator: its issuer, where
   * `/.well-known/openid-configuration` is found, and the base of the API paths.
   * Default `http://127.0.0.1:8080` (the sandbox).
   */
  baseUrl?: string | URL
  /** The issuer identifier to expect in discovery, when it differs from `baseUrl`. */
  issuer?: string | URL
  /** Registered redirect URI used when exchanging an authorization code (frontend flow). */
  redirectUri?: string
  /** A `fetch` to use instead of the global one. */
  fetch?: typeof fetch
  /** Retry policy; `false` disables retries. */
  retry?: RetryOptions | false
  /** Timeout of each HTTP attempt, milliseconds. Default 30 000. */
  timeout?: number
  /** Called after every HTTP attempt, e.g. for logging. Exceptions it throws are ignored. */
  onRequest?: (event: RequestEvent) => void
}

/** Options of one API call. */
export interface CallOptions {
  /** Aborts the call (and its retries); the call rejects with the signal's reason. */
  signal?: AbortSignal
  /** Timeout of each HTTP attempt of this call, milliseconds. */
  timeout?: number
  /** The `x-correlator` to send; a UUID is generated when absent. */
  correlator?: string
}
