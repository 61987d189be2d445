import { systemClock, type Clock } from '../core/clock.js'
import { createHmac, randomUUID } from 'node:crypto'
import { decodeProtectedHeader, jwtVerify, type JWTPayload } from 'jose'
import { signJwt, tokenId } from './jws.js'
import type { Store } from '../store/store.js'
import {
  InvalidTokenError,
  TokenNotPermittedError,
  type AccessTokenVerifier,
  type AuthContext,
} from '../core/auth-context.js'
import { needsConsent, type LegalBasis } from '../core/purpose.js'
import type { Keyring } from './keys.js'
import { consentCovers, splitScope } from './consent-scope.js'

/** JWT access token claims (RFC 9068 §2.2) the gateway issues and accepts. */
export interface AccessTokenClaims extends JWTPayload {
  iss: string
  aud: string | string[]
  sub: string
  client_id: string
  scope: string
  exp: number
  iat: number
  jti: string
}

/** What a verified token allows; the resource server's view of the caller. */

export interface MintOptions {
  clientId: string
  scope: string
  /** Three-legged: the device the subscriber authenticated with. */
  deviceId?: string
  ttlSeconds: number
  now?: Date
}

/**
 * The pairwise subject of a device for one app: stable for the pair, different across apps,
 * never the phone number (CAMARA ICM: `sub` is a pairwise pseudonymous identifier). The row in
 * `subjects` is the opaque reference through which the resource server finds the device.
 */
export async function pairwiseSubject(
  store: Store,
  clientId: string,
  deviceId: string,
): Promise<string> {
  const existing = await store.subjects.byPair(clientId, deviceId)
  if (existing !== undefined) return existing.sub
  const sub = `ps-${createHmac('sha256', randomUUID()).update(`${clientId}\n${deviceId}`).digest('base64url').slice(0, 32)}`
  await store.subjects.insert({
    sub,
    client_id: clientId,
    device_id: deviceId,
    created_at: systemClock().toISOString(),
  })
  // A concurrent insert of the same pair wins; read back what was kept.
  return (await store.subjects.byPair(clientId, deviceId))?.sub ?? sub
}

/** Signs an access token with the keyring's current key (`typ: at+jwt`, RFC 9068). */
export async function mintAccessToken(
  deps: { store: Store; keyring: Keyring; issuer: string; clock?: Clock },
  options: MintOptions,
): Promise<string> {
  const key = deps.keyring.current()
  const now = Math.floor((options.now ?? (deps.clock ?? systemClock)()).getTime() / 1000)
  const sub =
    options.deviceId === undefined
      ? options.clientId
      : await pairwiseSubject(deps.store, options.clientId, options.deviceId)
  // The provider's claims, in its order (client-credentials.ts), so every access token reads alike.
  return signJwt(
    key,
    {
      jti: tokenId(),
      sub,
      iat: now,
      exp: now + options.ttlSeconds,
      scope: options.scope,
      client_id: options.clientId,
      iss: deps.issuer,
      aud: deps.issuer,
    },
    'at+jwt',
  )
}

/** Why a token was refused; the HTTP layer answers every kind with `401 UNAUTHENTICATED`. */

export interface TokenVerifierDeps {
  store: Store
  keyring: Keyring
  issuer: string
  /** Purposes and their legal basis: a consent-based purpose is answered only with consent. */
  legalBases?: Readonly<Record<string, LegalBasis>>
}

export interface TokenVerifier extends AccessTokenVerifier {
  /** Refuses from now on the tokens a revoked consent covered (see `ConsentRevocation`). */
  revoke(revocation: ConsentRevocation): void
  /** Refuses from now on every token of a deleted app issued until `at`. */
  revokeApp(revocation: AppRevocation): void
  /** Reads the revocations other instances recorded in the store. */
  reloadRevocations(): Promise<void>
}

/**
 * A revoked consent: the three-legged tokens of that app, device and purpose issued until `at`
 * (epoch milliseconds) are refused, cached or not. Kept in the store (`oidc_models`, model
 * `ConsentRevocation`) until those tokens would have expired anyway.
 */
export interface ConsentRevocation {
  clientId: string
  deviceId: string
  purpose: string
  at: number
}

export const CONSENT_REVOCATION_MODEL = 'ConsentRevocation'

/**
 * A deleted app: every token of that client issued until `at` (epoch milliseconds), two- or
 * three-legged, is refused. Kept in the store (`oidc_models`, model `AppRevocation`, id the
 * client id) until those tokens would have expired anyway; other instances read it with the
 * consent revocations.
 */
export interface AppRevocation {
  clientId: string
  at: number
}

export const APP_REVOCATION_MODEL = 'AppRevocation'

/** The key of a revocation: app, device and purpose. */
export function revocationKey(clientId: string, deviceId: string, purpose: string): string {
  return `${clientId}\n${deviceId}\n${purpose}`
}

/**
 * Verifies bearer tokens: signature against the keyring, `typ`, issuer, audience, expiry, and
 * resolves a three-legged token's subject to its device. A verified token is cached until it
 * expires (bounded), so the signature is checked once per token, not once per call.
 */
export function tokenVerifier(
  deps: TokenVerifierDeps,
  options: { cacheSize?: number; clock?: Clock } = {},
): TokenVerifier {
  const cacheSize = options.cacheSize ?? 10_000
  const clock = options.clock ?? systemClock
  const now = () => clock().getTime()
  const cache = new Map<string, AuthContext>()
  // Keyed by the end of the signature: hashing a fresh 600-character header string on every call
  // costs more than the lookup; the full token is compared on a hit.
  const keyOf = (token: string) => token.slice(-32)
  const revocations = revocationList(deps.store, now)
  const keyFor = signingKeyLookup(deps.keyring, now)

  return {
    cached(token) {
      const hit = cache.get(keyOf(token))
      return hit !== undefined &&
        hit.token === token &&
        hit.expiresAt > now() &&
        !revocations.revoked(hit)
        ? hit
        : undefined
    },
    async verify(token) {
      const cached = cache.get(keyOf(token))
      if (cached !== undefined && cached.token === token) {
        if (cached.expiresAt <= now()) {
          cache.delete(keyOf(token))
          throw new InvalidTokenError('token expired')
        }
        if (revocations.revoked(cached))
          throw new InvalidTokenError('the consent behind the token was revoked')
        return cached
      }
      const context = await verifySignedToken(deps, keyFor, token, now())
      if (revocations.revoked(context))
        throw new InvalidTokenError('the consent behind the token was revoked')
      await requireConsent(deps, context)
      if (cache.size >= cacheSize) {
        // Drop the oldest entry (Map keeps insertion order).
        const oldest = cache.keys().next().value
        if (oldest !== undefined) cache.delete(oldest)
      }
      cache.set(keyOf(token), context)
      return context
    },
    revoke: (revocation) => revocations.revoke(revocation),
    revokeApp: (revocation) => revocations.revokeApp(revocation),
    reloadRevocations: () => revocations.reload(),
  }
}

/** The signing key of a `kid`; an unknown one makes the keyring reload, at most once a second. */
function signingKeyLookup(
  keyring: Keyring,
  now: () => number,
): (kid: string) => Promise<ReturnType<Keyring['byKid']>> {
  let lastReload = 0
  return async (kid) => {
    let key = keyring.byKid(kid)
    if (key === undefined && now() - lastReload > 1000) {
      // Another instance may have rotated keys since we loaded them.
      lastReload = now()
      await keyring.reload()
      key = keyring.byKid(kid)
    }
    return key
  }
}

/**
 * An access token checked from scratch: a known signing key, signature, `typ: at+jwt`, issuer,
 * audience and expiry at `nowMs`, well-formed claims, and for a three-legged token the pairwise
 * subject of its app.
 */
async function verifySignedToken(
  deps: TokenVerifierDeps,
  keyFor: (kid: string) => Promise<ReturnType<Keyring['byKid']>>,
  token: string,
  nowMs: number,
): Promise<AuthContext> {
  let kid: string | undefined
  try {
    kid = decodeProtectedHeader(token).kid
  } catch (cause) {
    throw new InvalidTokenError('malformed token', { cause })
  }
  if (kid === undefined) throw new InvalidTokenError('token has no kid')
  const key = await keyFor(kid)
  if (key === undefined) throw new InvalidTokenError('unknown signing key')
  let payload: JWTPayload
  try {
    ;({ payload } = await jwtVerify(token, key.publicKey, {
      issuer: deps.issuer,
      audience: deps.issuer,
      typ: 'at+jwt',
      algorithms: [key.alg],
      currentDate: new Date(nowMs),
      requiredClaims: ['exp', 'sub', 'client_id'],
    }))
  } catch (cause) {
    throw new InvalidTokenError('token verification failed', { cause })
  }
  const clientId = payload['client_id']
  const sub = payload.sub
  if (typeof clientId !== 'string' || typeof sub !== 'string' || typeof payload.exp !== 'number') {
    throw new InvalidTokenError('token claims are malformed')
  }
  const scope = typeof payload['scope'] === 'string' ? payload['scope'] : ''
  let deviceId: string | undefined
  if (sub !== clientId) {
    const subject = await deps.store.subjects.bySub(sub)
    if (subject === undefined || subject.client_id !== clientId)
      throw new InvalidTokenError('unknown subject')
    deviceId = subject.device_id
  }
  const cnf = payload['cnf'] as { jkt?: unknown } | undefined
  return {
    jkt: typeof cnf?.jkt === 'string' ? cnf.jkt : undefined,
    clientId,
    scopes: new Set(scope.split(' ').filter((s) => s !== '')),
    deviceId,
    sub,
    expiresAt: payload.exp * 1000,
    issuedAt: (payload.iat ?? 0) * 1000,
    token,
  }
}

/**
 * CAMARA ICM P-4 at the resource server: a purpose whose legal basis is consent is answered only
 * for a subscriber who consented to it and to the token's API scopes, whichever grant issued the
 * token (checked once per token; a later revocation is a `ConsentRevocation`).
 */
async function requireConsent(deps: TokenVerifierDeps, context: AuthContext): Promise<void> {
  const { purpose, api } = splitScope([...context.scopes].join(' '))
  const basis = purpose === undefined ? undefined : deps.legalBases?.[purpose]
  if (purpose === undefined || basis === undefined || !needsConsent(basis)) return
  if (context.deviceId === undefined)
    throw new TokenNotPermittedError(
      `the purpose ${purpose} needs the subscriber's consent; a two-legged token cannot carry it`,
    )
  const consent = await deps.store.consents.latest(context.clientId, context.deviceId, purpose)
  if (!consentCovers(consent, api))
    throw new TokenNotPermittedError(
      `the subscriber has not consented to ${purpose} for these APIs and this app`,
    )
}

/**
 * The revoked consents (by app, device and purpose) and deleted apps this instance knows of, each
 * with when: tokens issued until then are refused. Checked on every call (an empty map costs one
 * comparison); reloaded from the store, where every instance records its revocations.
 */
function revocationList(store: Store, now: () => number) {
  const consents = new Map<string, number>()
  const apps = new Map<string, number>()
  const record = (map: Map<string, number>, key: string, at: number) =>
    map.set(key, Math.max(map.get(key) ?? 0, at))
  /** The stored revocations of `model`, and those made here that the store did not show yet. */
  const reloadModel = async (model: string, map: Map<string, number>) => {
    const rows = await store.oidcModels.live(model, Math.floor(now() / 1000))
    const stored = new Map<string, number>()
    for (const row of rows) stored.set(row.id, (JSON.parse(row.payload) as { at: number }).at)
    // A revocation made here while the rows were read is kept until the next reload sees it.
    for (const [key, at] of map) {
      if (!stored.has(key) && now() - at < 60_000) stored.set(key, at)
    }
    map.clear()
    for (const [key, at] of stored) map.set(key, at)
  }
  return {
    revoked(context: AuthContext): boolean {
      if (apps.size > 0) {
        const at = apps.get(context.clientId)
        if (at !== undefined && context.issuedAt <= at) return true
      }
      if (consents.size === 0 || context.deviceId === undefined) return false
      for (const scope of context.scopes) {
        if (!scope.startsWith('dpv:')) continue
        const at = consents.get(revocationKey(context.clientId, context.deviceId, scope))
        if (at !== undefined && context.issuedAt <= at) return true
      }
      return false
    },
    revoke(revocation: ConsentRevocation): void {
      const key = revocationKey(revocation.clientId, revocation.deviceId, revocation.purpose)
      record(consents, key, revocation.at)
    },
    revokeApp(revocation: AppRevocation): void {
      record(apps, revocation.clientId, revocation.at)
    },
    async reload(): Promise<void> {
      await reloadModel(APP_REVOCATION_MODEL, apps)
      await reloadModel(CONSENT_REVOCATION_MODEL, consents)
    },
  }
}
