import type { Clock } from '../core/clock.js'
import { createHash } from 'node:crypto'
import Provider, {
  errors,
  interactionPolicy,
  type Configuration,
  type KoaContextWithOIDC,
} from 'oidc-provider'
import type { Store } from '../store/store.js'
import type { NetworkPort, SandboxNetwork } from '../network/port.js'
import { allApiScopes } from './api-scopes.js'
import type { ApiName } from '../specs/catalog.js'
import { DEMO_APP, type AppSettings } from './apps.js'
import { cibaPollingRate, decideBackchannelRequest } from './ciba.js'
import type { Keyring } from './keys.js'
import { takeHeldProfileError } from './gate.js'
import { parseLoginHint } from './login-hint.js'
import { storeAdapter as storeAdapterFactory } from './oidc-adapter.js'
import { verifyOperatorToken } from './operator-token.js'
import { pairwiseSubject } from './access-token.js'
import { requireOnePurpose, OAuthProfileError } from './profile.js'
import { type LegalBasis } from '../core/purpose.js'
import { ClientAuthLimitedError, type ClientSecretVerifier } from './client-secrets.js'
import { errorPage, PAGE_HEADERS, textOf } from './pages.js'

export interface ProviderDeps {
  store: Store
  clock: Clock
  network: NetworkPort
  /** The sandbox's stand-in subscriber (simulated network only). */
  sandbox: SandboxNetwork | undefined
  keyring: Keyring
  issuer: string
  accessTokenTtl: number
  cibaInterval: number
  legalBases: Readonly<Record<string, LegalBasis>>
  /** Production mode refuses the sandbox's demo secret even if an app was created with it. */
  production: boolean
  /** The APIs this gateway serves (discovery's scopes name only theirs); default all. */
  offeredApis?: readonly ApiName[]
  /** Client secrets checked against their stored hashes, with failure limits (auth/client-secrets.ts). */
  secrets: ClientSecretVerifier
  /**
   * Requests per second per authenticated app at the token and backchannel endpoints: `take`
   * answers 0 when the request may go on, else the seconds to wait (`Retry-After`).
   */
  oauthRateLimiter: { take(key: string): number }
}

/** The origin of a URL, or undefined when it is none. */
export function originOf(uri: string): string | undefined {
  try {
    const origin = new URL(uri).origin
    return origin === 'null' ? undefined : origin
  } catch {
    return undefined
  }
}

/** The one resource server the gateway's APIs form; it is the audience of every access token. */
export function apiResource(issuer: string): string {
  return issuer
}

export const ROUTES = {
  authorization: '/oauth2/authorize',
  backchannel_authentication: '/oauth2/bc-authorize',
  token: '/oauth2/token',
  jwks: '/oauth2/jwks',
  introspection: '/oauth2/introspect',
  revocation: '/oauth2/revoke',
  userinfo: '/oauth2/userinfo',
  end_session: '/oauth2/logout',
  pushed_authorization_request: '/oauth2/par',
  code_verification: '/oauth2/device',
  device_authorization: '/oauth2/device/auth',
} as const

/** The provider's routes where an authenticated app's requests are rate limited. */
const RATE_LIMITED_ROUTES = new Set(['token', 'backchannel_authentication'])

/** The profile mode oidc-provider keeps in the client's extra metadata (`x-profile-mode`). */
export function clientMode(
  client: { metadata(): Record<string, unknown> } | undefined,
): AppSettings['mode'] {
  return client?.metadata()['x-profile-mode'] === 'compatible' ? 'compatible' : 'strict'
}

function toProviderError(error: OAuthProfileError): Error {
  switch (error.error) {
    case 'invalid_scope':
      return new errors.InvalidScope(error.message, '')
    default:
      return new errors.InvalidRequest(error.message)
  }
}

/** A profile error as oidc-provider answers it: the same code, description and status. */
function asProviderError(error: OAuthProfileError): Error {
  const out = new errors.CustomOIDCProviderError(error.error, error.message)
  return Object.assign(out, { status: error.status, statusCode: error.status })
}

/**
 * oidc-provider configured to the CAMARA Security and Interoperability Profile: CIBA (poll),
 * Authorization Code with PKCE and network-based authentication, client credentials, JWT bearer,
 * refresh tokens only with `offline_access` and rotated, DPoP, pairwise subjects, RFC 9068 JWT
 * access tokens signed with the gateway's keys.
 */
/**
 * oidc-provider's interaction policy, plus one login check: accounts are pairwise per app
 * (`findAccount`), so a browser signed in for one app has no account for the next one. That app
 * signs the subscriber in again instead of going on without an account.
 */
function interactionPolicyOf(): interactionPolicy.Prompt[] {
  const policy = interactionPolicy.base()
  policy
    .get('login')
    ?.checks.add(
      new interactionPolicy.Check(
        'account_of_another_app',
        'The signed-in subscriber must be identified again for this app',
        (ctx) => ctx.oidc.session?.accountId !== undefined && ctx.oidc.account === undefined,
      ),
      0,
    )
  return policy
}

export function createProvider(deps: ProviderDeps): Provider {
  const { store, keyring, issuer } = deps
  const resource = apiResource(issuer)
  const purposes = Object.keys(deps.legalBases)
  const resourceScopes = [...allApiScopes(deps.offeredApis), ...purposes].join(' ')
  const privateKeys = [
    keyring.current(),
    ...keyring.all().filter((k) => k.kid !== keyring.current().kid),
  ].map((k) => k.privateJwk)
  // Cookie signing keys follow the signing keys: shared by every instance, stable across
  // restarts. The current one signs; every key still held verifies, so a sign-in in progress
  // survives a rotation.
  const cookieKeys = privateKeys.map((jwk) =>
    createHash('sha256').update(JSON.stringify(jwk)).digest('base64url'),
  )

  const configuration: Configuration = {
    adapter: storeAdapterFactory(store, deps.clock),
    jwks: { keys: privateKeys },
    cookies: { keys: cookieKeys },
    routes: ROUTES,
    scopes: ['openid', 'offline_access', ...allApiScopes(deps.offeredApis), ...purposes],
    claims: { openid: ['sub'] },
    responseTypes: ['code'],
    clientAuthMethods: ['private_key_jwt', 'client_secret_basic', 'client_secret_post'],
    clientDefaults: {
      grant_types: [],
      response_types: [],
      id_token_signed_response_alg: 'ES256',
    },
    extraClientMetadata: { properties: ['x-profile-mode'] },
    enabledJWA: {
      clientAuthSigningAlgValues: ['ES256', 'ES384', 'PS256', 'RS256', 'EdDSA'],
      idTokenSigningAlgValues: ['ES256'],
      requestObjectSigningAlgValues: ['ES256', 'ES384', 'PS256', 'RS256', 'EdDSA'],
      dPoPSigningAlgValues: ['ES256', 'ES384', 'PS256', 'RS256', 'EdDSA'],
    },
    assertJwtClientAuthClaimsAndHeader: clientAssertionLifetime(deps),
    // CAMARA ICM: PKCE is RECOMMENDED. Strict mode requires it; vendor-compatible apps may omit
    // it, as the vendor's published frontend samples do (state and nonce still apply).
    pkce: { required: (_ctx, client) => clientMode(client) === 'strict' },
    interactions: {
      url: async (_ctx, interaction) => `/interaction/${interaction.uid}`,
      policy: interactionPolicyOf(),
    },
    allowOmittingSingleRegisteredRedirectUri: true,
    // CORS at the client-authenticated endpoints: only public clients (browser apps), only from
    // the origins of their redirect URIs (the preflight is answered in auth/routes.ts).
    clientBasedCORS: (_ctx, origin, client) =>
      client.clientAuthMethod === 'none' &&
      (client.redirectUris ?? []).some((uri) => originOf(uri) === origin),
    conformIdTokenClaims: true,
    // Accounts are pairwise subjects: one per app and device (auth/access-token.ts), so every
    // token's and ID token's `sub` is pairwise and never the phone number.
    async findAccount(ctx, sub) {
      const subject = await store.subjects.bySub(sub)
      if (subject === undefined) return undefined
      if (ctx.oidc.client !== undefined && subject.client_id !== ctx.oidc.client.clientId)
        return undefined
      if ((await deps.network.byId(subject.device_id)) === undefined) return undefined
      return { accountId: sub, claims: async () => ({ sub }) }
    },
    ttl: lifetimes(deps),
    issueRefreshToken: async (_ctx, client, code) =>
      client.grantTypeAllowed('refresh_token') && code.scopes.has('offline_access'),
    rotateRefreshToken: true,
    extraParams: purposeParameter(deps),
    features: providerFeatures(deps, resource, resourceScopes, () => provider),
    renderError: async (ctx, out) => {
      ctx.set(PAGE_HEADERS)
      ctx.type = 'html'
      ctx.body = errorPage(String(out['error']), out['error_description'])
    },
  }
  const provider = new Provider(issuer, configuration)
  provider.proxy = false
  provider.use(cibaPollingRate(store))
  adjustDiscovery(provider)

  adjustClientModel(provider, deps)
  return provider
}

/**
 * CIBA in poll mode (CAMARA ICM): a required `login_hint` (phone number, IP and port, operator
 * token) resolved through the network to a pairwise subject, and the decision taken at once
 * when the purpose needs no consent, else left pending for the subscriber.
 */
function cibaFeature(
  deps: ProviderDeps,
  resource: string,
  provider: () => Provider,
): NonNullable<Configuration['features']>['ciba'] {
  const { store } = deps
  return {
    enabled: true,
    deliveryModes: ['poll'],
    async processLoginHint(ctx, loginHint = '') {
      const hint = parseLoginHint(loginHint, {
        compatible: clientMode(ctx.oidc.client) === 'compatible',
      })
      if (typeof hint === 'string') throw new errors.InvalidRequest(hint)
      const clientId = ctx.oidc.client?.clientId ?? ''
      if (hint.kind === 'operatortoken') {
        const deviceId = await verifyOperatorToken(deps, hint.token)
        if (deviceId === undefined)
          throw new errors.UnknownUserId('the operator token is not valid')
        return pairwiseSubject(store, clientId, deviceId)
      }
      const device = await deps.network.find(hint.selector)
      if (device === undefined)
        throw new errors.UnknownUserId('login_hint does not identify a subscriber')
      return pairwiseSubject(store, clientId, device.id)
    },
    // CAMARA ICM: binding_message, user_code and requested_expiry are ignored, not refused.
    validateBindingMessage: async () => undefined,
    validateRequestContext: async () => undefined,
    verifyUserCode: async () => undefined,
    async processLoginHintToken() {
      throw new errors.InvalidRequest('login_hint_token is not supported; send login_hint')
    },
    async triggerAuthenticationDevice(ctx, request, account, client) {
      const body = ctx.body as Record<string, unknown>
      body['interval'] = deps.cibaInterval
      await decideBackchannelRequest(
        {
          store,
          provider: provider(),
          resource,
          legalBases: deps.legalBases,
          interval: deps.cibaInterval,
          sandbox: deps.sandbox,
          clock: deps.clock,
        },
        {
          request,
          sub: account.accountId,
          clientId: client.clientId,
        },
      )
    },
  }
}

/** The `purpose` rules, on /authorize and /bc-authorize once request objects are resolved: one known purpose the app may use. */
function purposeParameter(deps: ProviderDeps): Configuration['extraParams'] {
  return {
    // Runs on /authorize and /bc-authorize after request objects are resolved.
    async purpose(ctx: KoaContextWithOIDC) {
      const client = ctx.oidc.client
      try {
        const purpose = requireOnePurpose(ctx.oidc.params?.['scope'] as string | undefined)
        if (!(purpose in deps.legalBases))
          throw new OAuthProfileError('invalid_scope', `unknown purpose ${purpose}`)
        const allowed = new Set(String(client?.metadata()['scope'] ?? '').split(' '))
        if (!allowed.has(purpose))
          throw new OAuthProfileError(
            'invalid_scope',
            `purpose ${purpose} is not allowed for this app`,
          )
        const scopes = textOf(ctx.oidc.params?.['scope']).split(' ')
        if (clientMode(client) === 'strict' && !scopes.includes('openid')) {
          throw new OAuthProfileError('invalid_scope', 'the openid scope is required')
        }
      } catch (error) {
        if (error instanceof OAuthProfileError) throw toProviderError(error)
        throw error
      }
    },
  }
}

/**
 * The provider's client model, adjusted: secrets are compared against their stored hashes (the
 * demo secret never in production), and a profile refusal held in front of the provider is
 * answered only once the client has authenticated.
 */
function adjustClientModel(provider: Provider, deps: ProviderDeps): void {
  // Client secrets are stored as scrypt hashes (clientMetadata puts the hash in client_secret).
  const Client = provider.Client as unknown as {
    prototype: {
      compareClientSecret(actual: string): Promise<boolean>
      clientSecret?: string
      grantTypeAllowed: (this: { clientId: string }, type: string) => boolean
    }
  }
  // A profile refusal found in front of the provider (auth/gate.ts) is answered only to an
  // authenticated client. The grant type check is the provider's first step after client
  // authentication at the token and backchannel endpoints (actions/token.js, checkClientGrantType),
  // so a caller that failed to authenticate never gets here: it gets invalid_client.
  // It is also where the app's request rate at these endpoints is counted.
  const grantTypeAllowed = Client.prototype.grantTypeAllowed
  Client.prototype.grantTypeAllowed = function (this: { clientId: string }, type: string) {
    const ctx = Provider.ctx
    const refused = ctx === undefined ? undefined : takeHeldProfileError(ctx.req)
    if (refused !== undefined) throw asProviderError(refused)
    if (ctx !== undefined && RATE_LIMITED_ROUTES.has(ctx.oidc.route))
      rateLimitAuthenticatedClient(deps.oauthRateLimiter, ctx, this.clientId)
    return grantTypeAllowed.call(this, type)
  }
  Client.prototype.compareClientSecret = async function (
    this: { clientSecret?: string; clientId: string },
    actual: string,
  ) {
    if (deps.production && actual === DEMO_APP.clientSecret) return false
    if (this.clientSecret === undefined) return false
    const ctx = Provider.ctx
    try {
      return await deps.secrets.verify({
        clientId: this.clientId,
        secret: actual,
        storedHash: this.clientSecret,
        source: ctx?.req.socket?.remoteAddress,
      })
    } catch (error) {
      if (!(error instanceof ClientAuthLimitedError)) throw error
      ctx?.set('retry-after', String(error.retryAfter))
      throw asProviderError(new OAuthProfileError('invalid_client', error.message, 429))
    }
  }
}

/**
 * The per-app rate limit of the token and backchannel endpoints, counted once per request once
 * the client has authenticated (an unauthenticated caller cannot spend an app's allowance; its
 * failures are limited by auth/client-secrets.ts). `429 temporarily_unavailable` with `Retry-After`.
 */
function rateLimitAuthenticatedClient(
  limiter: ProviderDeps['oauthRateLimiter'],
  ctx: KoaContextWithOIDC | undefined,
  clientId: string,
): void {
  if (ctx === undefined || counted.has(ctx.req)) return
  counted.add(ctx.req)
  const wait = limiter.take(`oauth:${clientId}`)
  if (wait === 0) return
  ctx.set('retry-after', String(wait))
  throw asProviderError(
    new OAuthProfileError(
      'temporarily_unavailable',
      'too many requests from this app; retry after the number of seconds in Retry-After',
      429,
    ),
  )
}
const counted = new WeakSet<object>()

/** Discovery as the profile describes the server: pairwise subjects, no user codes, the JWT bearer grant. */
function adjustDiscovery(provider: Provider): void {
  provider.use(async (ctx, next) => {
    await next()
    if (ctx.path === '/.well-known/openid-configuration' && ctx.status === 200) {
      const body = ctx.body as Record<string, unknown>
      // Subjects are pairwise (see findAccount); CIBA user codes are ignored (CAMARA ICM).
      body['subject_types_supported'] = ['pairwise']
      body['backchannel_user_code_parameter_supported'] = false
      // Served in front of the provider (auth/jwt-bearer.ts).
      body['grant_types_supported'] = [
        ...(body['grant_types_supported'] as string[]),
        'urn:ietf:params:oauth:grant-type:jwt-bearer',
      ]
    }
  })
}

/**
 * The provider's features as the profile configures them: client credentials, introspection to
 * the token's own client, revocation, DPoP, request objects (300 s at most), resource
 * indicators for the APIs' audience, CIBA; no dev interactions, userinfo, logout or PAR.
 */
function providerFeatures(
  deps: ProviderDeps,
  resource: string,
  resourceScopes: string,
  provider: () => Provider,
): Configuration['features'] {
  return {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    // RFC 7662 §4: a token is described only to the client it was issued to; any other
    // caller learns nothing of it ({"active": false}).
    introspection: {
      enabled: true,
      allowedPolicy: async (_ctx, client, token) => token.clientId === client.clientId,
    },
    revocation: { enabled: true },
    userinfo: { enabled: false },
    dPoP: { enabled: true },
    requestObjects: {
      enabled: true,
      // CAMARA ICM: request objects carry iss, aud, iat, exp and jti; iat not in the future; exp − iat ≤ 300 s.
      async assertJwtClaimsAndHeader(_ctx, claims) {
        for (const claim of ['iss', 'aud', 'iat', 'exp', 'jti']) {
          if (claims[claim] === undefined)
            throw new errors.InvalidRequestObject(`Request Object is missing the '${claim}' claim`)
        }
        const iat = Number(claims['iat'])
        const exp = Number(claims['exp'])
        if (iat > Math.floor(deps.clock().getTime() / 1000) + 5)
          throw new errors.InvalidRequestObject("Request Object 'iat' is in the future")
        if (exp - iat > 300)
          throw new errors.InvalidRequestObject('Request Object may live at most 300 seconds')
      },
    },
    rpInitiatedLogout: { enabled: false },
    // Not in the CAMARA profile (request_uri is not supported), and it would bypass the
    // profile checks in front of /oauth2/authorize (auth/gate.ts).
    pushedAuthorizationRequests: { enabled: false },
    resourceIndicators: {
      enabled: true,
      defaultResource: async () => resource,
      useGrantedResource: async () => true,
      getResourceServerInfo: async (_ctx, indicator) => {
        if (indicator !== resource) throw new errors.InvalidTarget()
        return {
          scope: resourceScopes,
          audience: resource,
          accessTokenTTL: deps.accessTokenTtl,
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg: 'ES256' } },
        }
      },
    },
    ciba: cibaFeature(deps, resource, provider),
  }
}

/** How long each kind of authorization state lives, in seconds. */
function lifetimes(deps: ProviderDeps): Configuration['ttl'] {
  return {
    AccessToken: deps.accessTokenTtl,
    ClientCredentials: deps.accessTokenTtl,
    AuthorizationCode: 60,
    BackchannelAuthenticationRequest: 120,
    IdToken: deps.accessTokenTtl,
    RefreshToken: 30 * 86_400,
    Grant: 30 * 86_400,
    Interaction: 600,
    Session: 3600,
  }
}

/** CAMARA ICM: client assertions, request objects and JWT-bearer assertions live at most 300 s. */
function clientAssertionLifetime(
  deps: ProviderDeps,
): Configuration['assertJwtClientAuthClaimsAndHeader'] {
  return async (_ctx, claims) => {
    const { exp, iat } = claims as { exp?: number; iat?: number }
    const now = Math.floor(deps.clock().getTime() / 1000)
    if (
      typeof exp !== 'number' ||
      exp > now + 300 ||
      (typeof iat === 'number' && exp - iat > 300)
    ) {
      throw new errors.InvalidClientAuth('client assertions may live at most 300 seconds')
    }
  }
}
