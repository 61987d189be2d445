import type { IncomingHttpHeaders } from 'node:http'
import type { Clock } from '../core/clock.js'
import { createHash, KeyObject, randomFillSync, sign } from 'node:crypto'
import {
  compactVerify,
  createLocalJWKSet,
  decodeJwt,
  decodeProtectedHeader,
  type JWTPayload,
  type ProtectedHeaderParameters,
} from 'jose'
import type { ApiName } from '../specs/catalog.js'
import { allApiScopes } from './api-scopes.js'
import { appJwks, appSettings, DEMO_APP, GRANT_TYPES, type AppSettings } from './apps.js'
import { BASE_SCOPES } from './client-metadata.js'
import type { ClientSecretVerifier } from './client-secrets.js'
import type { AppRow } from '../store/apps.js'
import { profileChecks, type GateDeps, type Params } from './gate.js'
import type { Keyring, SigningKey } from './keys.js'
import { OAuthProfileError } from './profile.js'

export interface ClientCredentialsDeps extends GateDeps {
  clock: Clock
  keyring: Keyring
  issuer: string
  accessTokenTtl: number
  /** The APIs this gateway serves (default all), as the provider is configured with them. */
  offeredApis?: readonly ApiName[]
  /** Production refuses the sandbox's demo secret (auth/provider.ts, compareClientSecret). */
  production: boolean
  secrets: ClientSecretVerifier
  oauthRateLimiter: { take(key: string): number }
}

/** An answer of the token endpoint: status, headers and JSON body. */
export interface TokenAnswer {
  status: number
  headers: Record<string, string>
  body: Record<string, unknown>
}

/**
 * What oidc-provider's CORS middleware sets at the token endpoint for a request with no `Origin`
 * (shared/cors.js; a request with one goes to the provider, which checks it against the client),
 * and its `no-store` (shared/no_cache.js).
 */
const TOKEN_ENDPOINT_HEADERS = {
  vary: 'Origin',
  'access-control-allow-origin': '*',
  'access-control-expose-headers': 'WWW-Authenticate',
  'cache-control': 'no-store',
} as const

/** The parameters a request on this path may carry, by client authentication; any other goes to the provider. */
const SECRET_PARAMS = new Set(['grant_type', 'scope'])
const ASSERTION_PARAMS = new Set([
  'grant_type',
  'scope',
  'client_assertion',
  'client_assertion_type',
  'client_id',
])
const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer'

/** Headers that ask for more than a bearer token for an authenticated client (DPoP, attestation, CORS). */
const PROVIDER_HEADERS = [
  'dpop',
  'oauth-client-attestation',
  'oauth-client-attestation-pop',
  'origin',
]

/** oidc-provider's scope syntax (helpers/is_valid_scope.js): RFC 6749 §3.3 scope-tokens. */
const SCOPE_SYNTAX = /^[\x21\x23-\x5B\x5D-\x7E]+(?: [\x21\x23-\x5B\x5D-\x7E]+)*$/u

/** An authenticated client, and for an assertion the replay record still to be written. */
interface Authenticated {
  clientId: string
  settings: AppSettings
  /** Records the client assertion's `jti`; false when it was used before. */
  claim?: () => Promise<boolean>
}

/**
 * The client credentials grant served in front of oidc-provider, for the request every
 * two-legged client sends: `grant_type` and `scope`, and the client's id and secret in an HTTP
 * Basic header with a secret this instance has verified before (auth/client-secrets.ts), or a
 * `private_key_jwt` client assertion (production's default). It answers what the provider would
 * (auth/provider.ts): the same client authentication, the same profile checks (auth/gate.ts), the
 * provider's scope rules (a scope the server knows must be one the app may use; the token carries
 * those of the API resource), the same ES256 JWT access token (RFC 9068: header, claims in the
 * provider's order, a 43-character jti, no record stored: the provider stores none for a JWT
 * access token either) and the same response, after counting the request against the app's OAuth
 * rate limit.
 *
 * Returns `undefined` whenever the provider has to answer: anything else in the request (DPoP,
 * client_secret_post, resource indicators, an Origin, other parameters), a secret not verified
 * here yet (the provider runs the full check, with its failure limits, and caches it), an unknown
 * app, and every refusal but the rate limit's (so errors are the provider's, after its client
 * authentication). Nothing changes state before it returns `undefined` (an assertion's `jti` is
 * recorded last, after every check; when it was recorded before, the provider refuses the
 * replay), so the provider sees the request as if this path did not exist.
 */
export async function clientCredentialsGrant(
  deps: ClientCredentialsDeps,
  form: Params,
  headers: IncomingHttpHeaders,
  source: string | undefined,
): Promise<TokenAnswer | undefined> {
  if (form['grant_type'] !== GRANT_TYPES.clientCredentials) return undefined
  for (const header of PROVIDER_HEADERS) if (headers[header] !== undefined) return undefined
  const client =
    headers.authorization === undefined
      ? await assertedClient(deps, form, headers.host)
      : await secretClient(deps, form, headers.authorization, source)
  if (client === undefined) return undefined
  const { clientId, settings } = client

  let params: Params
  try {
    params = profileChecks(deps, 'token', form, headers.authorization, settings)
  } catch (error) {
    if (error instanceof OAuthProfileError) return undefined
    throw error
  }
  const scope = tokenScope(deps, params['scope'], settings)
  if (scope === null) return undefined
  if (client.claim !== undefined && !(await client.claim())) return undefined

  const wait = deps.oauthRateLimiter.take(`oauth:${clientId}`)
  if (wait > 0) {
    return {
      status: 429,
      headers: { ...TOKEN_ENDPOINT_HEADERS, 'retry-after': String(wait) },
      body: {
        error: 'temporarily_unavailable',
        error_description:
          'too many requests from this app; retry after the number of seconds in Retry-After',
      },
    }
  }
  const accessToken = signAccessToken(deps, { clientId, scope })
  return {
    status: 200,
    headers: TOKEN_ENDPOINT_HEADERS,
    body: {
      access_token: accessToken,
      expires_in: deps.accessTokenTtl,
      ...(scope === undefined ? {} : { scope }),
      token_type: 'Bearer',
    },
  }
}

/** `client_secret_basic` with a secret this instance verified before; else `undefined`. */
async function secretClient(
  deps: ClientCredentialsDeps,
  form: Params,
  authorization: string,
  source: string | undefined,
): Promise<Authenticated | undefined> {
  for (const key of Object.keys(form)) if (!SECRET_PARAMS.has(key)) return undefined
  const credentials = basicCredentials(authorization)
  if (credentials === undefined) return undefined
  const { clientId, secret } = credentials
  if (deps.production && secret === DEMO_APP.clientSecret) return undefined

  const app = await deps.store.apps.byClientId(clientId)
  if (app === undefined || app.secret_hash === null) return undefined
  const settings = appSettings(app)
  const method = settings.tokenEndpointAuthMethod as string
  // oidc-provider accepts Basic credentials from an app registered for either secret method.
  if (method !== 'client_secret_basic' && method !== 'client_secret_post') return undefined
  const storedHash = app.secret_hash
  if (!deps.secrets.verifiedBefore({ clientId, secret, storedHash, source })) return undefined
  return { clientId, settings }
}

/** oidc-provider's clock tolerance for client assertions, seconds (its default, not configured). */
const CLOCK_TOLERANCE = 15
/** The client assertion algorithms the provider accepts (auth/provider.ts, `enabledJWA`). */
const ASSERTION_ALGS = new Set(['ES256', 'ES384', 'PS256', 'RS256', 'EdDSA'])
/** The profile's longest client assertion life, seconds (auth/provider.ts, clientAssertionLifetime). */
const MAX_ASSERTION_LIFETIME = 300

/**
 * `private_key_jwt` as oidc-provider checks it (shared/client_auth.js, jwt_client_auth.js,
 * helpers/jwt.js `assertPayload`, the profile's 300 s lifetime): the assertion's `sub` names an
 * app registered for it; `alg` one the provider accepts; `exp`, `jti`, `iss` (the app) and `aud`
 * (the issuer or the token endpoint) present; a signature by one of the app's keys; `nbf`, `iat`
 * and `exp` within the provider's 15 s tolerance; at most 300 s of life. The `jti` is recorded
 * where the provider records it (`ReplayDetection`, under its id), by `claim`, once every other
 * check has passed. `undefined` for anything else: the provider answers it.
 */
async function assertedClient(
  deps: ClientCredentialsDeps,
  form: Params,
  host: string | undefined,
): Promise<Authenticated | undefined> {
  for (const key of Object.keys(form)) if (!ASSERTION_PARAMS.has(key)) return undefined
  const assertion = form['client_assertion']
  if (assertion === undefined || form['client_assertion_type'] !== ASSERTION_TYPE) return undefined
  let header: ProtectedHeaderParameters
  let payload: JWTPayload
  try {
    header = decodeProtectedHeader(assertion)
    payload = decodeJwt(assertion)
  } catch {
    return undefined
  }
  const clientId = payload.sub
  if (typeof clientId !== 'string' || clientId === '') return undefined
  if (form['client_id'] !== undefined && form['client_id'] !== clientId) return undefined
  if (header.alg === undefined || !ASSERTION_ALGS.has(header.alg)) return undefined
  const { exp, jti, iss, aud, nbf, iat } = payload
  if (typeof exp !== 'number' || exp === 0 || typeof jti !== 'string' || jti === '')
    return undefined
  if (iss !== clientId || aud === undefined) return undefined
  const audiences = new Set([deps.issuer, `${deps.issuer}/oauth2/token`])
  // The provider also accepts the token endpoint's URL as this request named it (its Host).
  if (host !== undefined) audiences.add(`http://${host}/oauth2/token`)
  const auds = Array.isArray(aud) ? aud : [aud]
  if (!auds.every((a) => typeof a === 'string') || !auds.some((a) => audiences.has(a)))
    return undefined
  const now = Math.floor(deps.clock().getTime() / 1000)
  if (nbf !== undefined && (typeof nbf !== 'number' || nbf > now + CLOCK_TOLERANCE))
    return undefined
  if (iat !== undefined && typeof iat !== 'number') return undefined
  if (now - CLOCK_TOLERANCE >= exp) return undefined
  if (exp > now + MAX_ASSERTION_LIFETIME) return undefined
  if (iat !== undefined && exp - iat > MAX_ASSERTION_LIFETIME) return undefined

  const app = await deps.store.apps.byClientId(clientId)
  if (app === undefined) return undefined
  const settings = appSettings(app)
  if ((settings.tokenEndpointAuthMethod as string) !== 'private_key_jwt') return undefined
  const keys = appKeys(app)
  if (keys === undefined) return undefined
  try {
    await compactVerify(assertion, keys, {
      algorithms: [...ASSERTION_ALGS],
    })
  } catch {
    return undefined
  }
  const replayId = createHash('sha256').update(`${iss}${jti}`).digest('base64url')
  return {
    clientId,
    settings,
    claim: () =>
      deps.store.oidcModels.claimOnce('ReplayDetection', replayId, exp + CLOCK_TOLERANCE),
  }
}

/**
 * An app's public keys as a jose key set, kept while the app's settings stay the same (the row
 * is still read per request, so changed keys are used at once): importing the keys on every
 * request would cost more than the signature check.
 */
const keySets = new Map<string, { settings: string; keys: ReturnType<typeof createLocalJWKSet> }>()
const KEY_SETS = 1_000
function appKeys(app: AppRow): ReturnType<typeof createLocalJWKSet> | undefined {
  const held = keySets.get(app.client_id)
  if (held !== undefined && held.settings === app.settings) return held.keys
  const jwks = appJwks(appSettings(app))
  if (jwks === undefined) return undefined
  const keys = createLocalJWKSet(jwks)
  keySets.delete(app.client_id)
  keySets.set(app.client_id, { settings: app.settings, keys })
  if (keySets.size > KEY_SETS) {
    const oldest = keySets.keys().next().value
    if (oldest !== undefined) keySets.delete(oldest)
  }
  return keys
}

/**
 * HTTP Basic client credentials as oidc-provider reads them (shared/client_auth.js): one space,
 * canonical base64, `id:secret`, each form-encoded, printable ASCII, the secret not empty.
 * `undefined` for anything else (the provider answers it).
 */
export function basicCredentials(
  authorization: string | undefined,
): { clientId: string; secret: string } | undefined {
  if (authorization === undefined) return undefined
  const parts = authorization.split(' ')
  if (parts.length !== 2 || parts[0]?.toLowerCase() !== 'basic') return undefined
  const encoded = parts[1] ?? ''
  if (!isCanonicalBase64(encoded)) return undefined
  const decoded = Buffer.from(encoded, 'base64').toString('utf8')
  const colon = decoded.indexOf(':')
  if (colon < 0) return undefined
  const clientId = formDecoded(decoded.slice(0, colon))
  const secret = formDecoded(decoded.slice(colon + 1))
  if (clientId === undefined || clientId === '' || secret === undefined || secret === '')
    return undefined
  return { clientId, secret }
}

function formDecoded(value: string): string | undefined {
  try {
    const out = decodeURIComponent(value.replaceAll('+', '%20'))
    return /[^\x20-\x7E]/.test(out) ? undefined : out
  } catch {
    return undefined
  }
}

function isCanonicalBase64(input: string): boolean {
  const match = /^([A-Za-z0-9+/]*)(={0,2})$/.exec(input)
  const body = match?.[1]
  if (body === undefined || body === '') return false
  const padding = match?.[2] ?? ''
  const remainder = body.length % 4
  if (padding === '') return remainder !== 1
  return (body.length + padding.length) % 4 === 0 && padding.length === 4 - remainder
}

/**
 * The token's scope as oidc-provider computes it for this grant (grants/client_credentials.js,
 * validateClientScope, the resource server's scope filter): `null` when the provider would
 * refuse it (its syntax, or a scope it knows that the app may not use); `undefined` when no scope
 * is left.
 */
function tokenScope(
  deps: ClientCredentialsDeps,
  requested: string | undefined,
  settings: AppSettings,
): string | undefined | null {
  if (requested !== undefined && !SCOPE_SYNTAX.test(requested)) return null
  const { known, resource, offered } = scopeSets(deps)
  const allowed = new Set<string>([
    ...BASE_SCOPES,
    ...settings.purposes,
    ...settings.scopes.filter((s) => offered.has(s)),
  ])
  const scopes = new Set(requested?.split(' '))
  for (const scope of scopes) if (known.has(scope) && !allowed.has(scope)) return null
  const granted = [...scopes].filter((scope) => resource.has(scope)).join(' ')
  return granted === '' ? undefined : granted
}

/** The provider's scope sets, as auth/provider.ts configures them: every scope it knows, and the API resource's. */
interface ScopeSets {
  /** Every scope the provider knows (`scopes`). */
  known: Set<string>
  /** The API resource's scopes: the offered APIs' and the purposes. */
  resource: Set<string>
  /** The offered APIs' scopes (an app's others are left out of its client metadata). */
  offered: Set<string>
}
const scopeSetsOf = new WeakMap<object, ScopeSets>()
function scopeSets(deps: ClientCredentialsDeps): ScopeSets {
  let sets = scopeSetsOf.get(deps)
  if (sets === undefined) {
    const offered = allApiScopes(deps.offeredApis)
    const resource = [...offered, ...Object.keys(deps.legalBases)]
    sets = {
      known: new Set([...BASE_SCOPES, ...resource]),
      resource: new Set(resource),
      offered: new Set(offered),
    }
    scopeSetsOf.set(deps, sets)
  }
  return sets
}

/**
 * The provider's JWT access token for a client (formats/jwt.js): header `alg`, `typ: at+jwt`,
 * `kid`; claims `jti`, `sub` (the client), `iat`, `exp`, `scope`, `client_id`, `iss`, `aud` (the
 * API resource, which is the issuer) in that order. Signed with node:crypto (ES256 as JOSE's
 * IEEE P1363 signature): about a third of jose's WebCrypto signing cost per token.
 */
function signAccessToken(
  deps: ClientCredentialsDeps,
  token: { clientId: string; scope: string | undefined },
): string {
  const key = deps.keyring.current()
  const now = Math.floor(deps.clock().getTime() / 1000)
  const header = encodedHeader(key)
  const payload = Buffer.from(
    JSON.stringify({
      jti: tokenId(),
      sub: token.clientId,
      iat: now,
      exp: now + deps.accessTokenTtl,
      scope: token.scope,
      client_id: token.clientId,
      iss: deps.issuer,
      aud: deps.issuer,
    }),
  ).toString('base64url')
  const input = `${header}.${payload}`
  const signature = sign('sha256', Buffer.from(input), {
    key: keyObjectOf(key),
    dsaEncoding: 'ieee-p1363',
  })
  return `${input}.${signature.toString('base64url')}`
}

const headers = new WeakMap<SigningKey, string>()
function encodedHeader(key: SigningKey): string {
  let header = headers.get(key)
  if (header === undefined) {
    header = Buffer.from(JSON.stringify({ alg: key.alg, typ: 'at+jwt', kid: key.kid })).toString(
      'base64url',
    )
    headers.set(key, header)
  }
  return header
}

const keyObjects = new WeakMap<SigningKey, KeyObject>()
function keyObjectOf(key: SigningKey): KeyObject {
  let object = keyObjects.get(key)
  if (object === undefined) {
    object = KeyObject.from(key.privateKey)
    keyObjects.set(key, object)
  }
  return object
}

/** A token id as oidc-provider draws it (helpers/nanoid.js): 43 characters of its URL-safe alphabet. */
const ID_ALPHABET = 'useandom-26T198340PX75pxJACKVERYMINDBUSHWOLF_GQZbfghjklqvwyzrict'
const ID_LENGTH = 43
const pool = Buffer.alloc(4096)
let offset = pool.length
function tokenId(): string {
  if (offset + ID_LENGTH > pool.length) {
    randomFillSync(pool)
    offset = 0
  }
  let id = ''
  for (let i = 0; i < ID_LENGTH; i++) id += ID_ALPHABET[(pool[offset + i] ?? 0) & 63]
  offset += ID_LENGTH
  return id
}
