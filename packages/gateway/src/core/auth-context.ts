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
