/** Who is calling an API: what the API guard learned from a verified access token. */
export interface AuthContext {
  clientId: string
  scopes: ReadonlySet<string>
  /** The device a three-legged token was issued for; `undefined` for a two-legged token. */
  deviceId: string | undefined
  sub: string
  expiresAt: number
  /** When the token was issued (`iat`), epoch milliseconds. */
  issuedAt: number
  token: string
  /** RFC 9449: the thumbprint of the key a DPoP-bound token is bound to. */
  jkt: string | undefined
}

/** A bearer token that is not a valid access token of this gateway (401 on the APIs). */
export class InvalidTokenError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'InvalidTokenError'
  }
}

/**
 * A valid token that may not be used: its purpose needs the subscriber's consent and no consent
 * covers it (a two-legged token, or a subscriber who never consented). 403 on the APIs.
 */
export class TokenNotPermittedError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'TokenNotPermittedError'
  }
}

/** What the API guard needs of the authorization server: a verified token's context. */
export interface AccessTokenVerifier {
  /** Throws `InvalidTokenError` for a token that is not valid. */
  verify(token: string): Promise<AuthContext>
  /** The context of a token verified before and not yet expired, without waiting; else `undefined`. */
  cached(token: string): AuthContext | undefined
}
