import { randomBytes } from 'node:crypto'

/**
 * A random secret of `bytes` random bytes, base64url, that never starts with `-`: a token that did
 * would read as an option when pasted after `--admin-token` or `--client-secret` on a command
 * line. Drawing again in that case (one draw in 64) leaves the other 63 first characters equally
 * likely, so the secret keeps all but a fraction of a bit of its entropy.
 */
export function randomToken(bytes: number): string {
  for (;;) {
    const token = randomBytes(bytes).toString('base64url')
    if (!token.startsWith('-')) return token
  }
}
