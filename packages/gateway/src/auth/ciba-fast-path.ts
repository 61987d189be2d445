import type { IncomingHttpHeaders } from 'node:http'
import { randomBytes } from 'node:crypto'
import { SignJWT } from 'jose'
import { needsConsent, purposesIn } from '../core/purpose.js'
import type { AppRow } from '../store/apps.js'
import type { OidcModelRow } from '../store/oidc-models.js'
import type { Store } from '../store/store.js'
import { mintAccessToken, pairwiseSubject } from './access-token.js'
import { allApiScopes } from './api-scopes.js'
import { appSettings, DEMO_APP, GRANT_TYPES, type AppSettings } from './apps.js'
import { BASE_SCOPES } from './client-metadata.js'
import { basicCredentials } from './client-credentials.js'
import { consentCovers, splitScope } from './consent-scope.js'
import { parseLoginHint } from './login-hint.js'
import { retainedAfterExpiry } from './oidc-adapter.js'
import { verifyOperatorToken } from './operator-token.js'
import type { ProviderDeps } from './provider.js'

/** Seconds a CIBA request lives (the provider's `ttl.BackchannelAuthenticationRequest`). */
export const CIBA_REQUEST_TTL = 120
/** Seconds a grant lives (the provider's `ttl.Grant`). */
export const GRANT_TTL = 30 * 86_400

const REQUEST_MODEL = 'BackchannelAuthenticationRequest'
const GRANT_MODEL = 'Grant'

export type CibaFastPathDeps = Pick<
  ProviderDeps,
  | 'store'
  | 'clock'
  | 'network'
  | 'keyring'
  | 'issuer'
  | 'accessTokenTtl'
  | 'cibaInterval'
  | 'legalBases'
  | 'production'
  | 'offeredApis'
  | 'secrets'
  | 'oauthRateLimiter'
>

/** A request at `/oauth2/bc-authorize` or `/oauth2/token`, its parameters past the profile gate. */
export interface CibaFastPathRequest {
  params: Record<string, string | undefined>
  headers: IncomingHttpHeaders
  source: string | undefined
  /** The app row the gate read for this request. */
  app: AppRow | undefined
}

/** A success answered here: the JSON body and the headers oidc-provider would have sent with it. */
export interface CibaFastPathAnswer {
  body: Record<string, unknown>
  headers: Record<string, string>
}

/**
 * The common case of the CIBA flow, answered in front of oidc-provider with the state the
 * provider itself reads and writes (`oidc_models`: the request, its grant), so that either path
 * can continue a flow the other started, on any instance.
 *
 * Only a request that is certain to succeed is answered here: an app authenticating with
 * `client_secret_basic` whose secret this instance verified before, no `Origin` (CORS) or
 * `DPoP` header, only the parameters listed below, a purpose decided at once, no refresh token.
 * For anything else, every refusal included, these functions return `undefined` before any
 * side effect, and the request goes to the provider as before: its checks, errors, `slow_down`,
 * `authorization_pending`, `expired_token`, `access_denied` and replay handling stay the one
 * implementation. What is saved here is what the provider saves (three upserts of the request and
 * its grant become one insert), and what is answered has the provider's shape: the same body
 * fields, token claims and headers (test/auth/ciba-fast-path.test.ts compares them).
 */
export function cibaFastPath(deps: CibaFastPathDeps) {
  const resource = deps.issuer
  const served = new Set<string>([
    ...BASE_SCOPES,
    ...allApiScopes(deps.offeredApis),
    ...Object.keys(deps.legalBases),
  ])
  const resourceScopes = new Set<string>([
    ...allApiScopes(deps.offeredApis),
    ...Object.keys(deps.legalBases),
  ])
  const epoch = () => Math.floor(deps.clock().getTime() / 1000)
  // The requests' writes, committed together (see groupCommit).
  const saveRequests = groupCommit(
    deps.store,
    async (store, requests: { pending: PendingRow; models: OidcModelRow[] }[]) => {
      await Promise.all([
        store.pendingAuthorizations.insertMany(requests.map((r) => r.pending)),
        store.oidcModels.insertMany(requests.flatMap((r) => r.models)),
      ])
      return requests.map(() => true)
    },
  )
  const consume = groupCommit(deps.store, async (store, ids: { id: string; at: number }[]) => {
    // One statement for the batch; of two polls of one request in it, the first wins.
    const consumed = await store.oidcModels.consumeOnce(
      REQUEST_MODEL,
      ids.map((i) => i.id),
      ids[0]?.at ?? epoch(),
    )
    return ids.map(({ id }) => consumed.delete(id))
  })

  /** The app, when it authenticated with a secret this instance verified and may use CIBA. */
  function authenticatedApp(
    request: CibaFastPathRequest,
  ): { app: AppRow; settings: AppSettings } | undefined {
    const { app, headers } = request
    if (app === undefined || app.secret_hash === null) return undefined
    if (headers.origin !== undefined || headers['dpop'] !== undefined) return undefined
    const credentials = basicCredentials(headers.authorization)
    if (credentials === undefined || credentials.clientId !== app.client_id) return undefined
    if (deps.production && credentials.secret === DEMO_APP.clientSecret) return undefined
    const settings = appSettings(app)
    if (settings.tokenEndpointAuthMethod !== 'client_secret_basic') return undefined
    if (!settings.grantTypes.includes(GRANT_TYPES.ciba)) return undefined
    const verified = deps.secrets.verifiedBefore({
      clientId: app.client_id,
      secret: credentials.secret,
      storedHash: app.secret_hash,
      source: request.source,
    })
    return verified ? { app, settings } : undefined
  }

  /** The app's request allowance (auth/provider.ts counts it the same way); false: over it. */
  const withinRate = (clientId: string) => deps.oauthRateLimiter.take(`oauth:${clientId}`) === 0

  return {
    /**
     * `POST /oauth2/bc-authorize` with `scope` and `login_hint` only, whose purpose needs no
     * consent or is covered by the subscriber's consent: the request is approved at once (as
     * auth/ciba.ts decides it) and saved with its grant, ready for the first poll.
     */
    backchannelRequest: async (
      request: CibaFastPathRequest,
    ): Promise<CibaFastPathAnswer | undefined> => {
      const { params } = request
      if (!Object.keys(params).every((k) => k === 'scope' || k === 'login_hint')) return undefined
      const scope = params['scope']
      const loginHint = params['login_hint']
      if (scope === undefined || loginHint === undefined) return undefined
      const client = authenticatedApp(request)
      if (client === undefined) return undefined
      const { app, settings } = client
      const tokens = scope.split(' ')
      const allowed = new Set<string>([...BASE_SCOPES, ...settings.purposes, ...settings.scopes])
      if (
        new Set(tokens).size !== tokens.length ||
        !tokens.includes('openid') ||
        tokens.includes('offline_access') ||
        !tokens.every((t) => allowed.has(t) && served.has(t))
      )
        return undefined
      const purposes = purposesIn(tokens)
      const purpose = purposes[0]
      if (purposes.length !== 1 || purpose === undefined) return undefined
      const basis = deps.legalBases[purpose]
      if (basis === undefined || !settings.purposes.includes(purpose)) return undefined

      const hint = parseLoginHint(loginHint, { compatible: settings.mode === 'compatible' })
      if (typeof hint === 'string') return undefined
      const deviceId =
        hint.kind === 'operatortoken'
          ? await verifyOperatorToken(deps, hint.token)
          : (await deps.network.find(hint.selector))?.id
      if (deviceId === undefined) return undefined
      const { oidc, api } = splitScope(scope)
      if (needsConsent(basis)) {
        const latest = await deps.store.consents.latest(app.client_id, deviceId, purpose)
        if (!consentCovers(latest, api)) return undefined
      }
      if (!withinRate(app.client_id)) return undefined

      const accountId = await pairwiseSubject(deps.store, app.client_id, deviceId)
      const now = deps.clock()
      const iat = Math.floor(now.getTime() / 1000)
      const authReqId = randomBytes(32).toString('base64url')
      const grantId = randomBytes(32).toString('base64url')
      const resourceScope = [purpose, ...api].join(' ')
      const grant = {
        iat,
        exp: iat + GRANT_TTL,
        clientId: app.client_id,
        accountId,
        kind: GRANT_MODEL,
        jti: grantId,
        openid: { scope: [...oidc, resourceScope].join(' ') },
        resources: { [resource]: resourceScope },
      }
      const backchannelRequest = {
        iat,
        exp: iat + CIBA_REQUEST_TTL,
        accountId,
        claims: {},
        params: { client_id: app.client_id, login_hint: loginHint, scope, resource },
        resource,
        scope,
        kind: REQUEST_MODEL,
        jti: authReqId,
        clientId: app.client_id,
        grantId,
      }
      await saveRequests({
        // The console's list of CIBA requests (auth/decision-lists.ts), as auth/ciba.ts records it.
        pending: {
          auth_req_id: authReqId,
          flow: 'ciba',
          client_id: app.client_id,
          device_id: deviceId,
          purpose,
          scopes: JSON.stringify(api),
          created_at: now.toISOString(),
          expires_at: new Date(now.getTime() + CIBA_REQUEST_TTL * 1000).toISOString(),
          interval: deps.cibaInterval,
          last_polled_at: null,
          status: 'approved',
        },
        models: [
          modelRow(GRANT_MODEL, grantId, grant, null, iat + GRANT_TTL),
          modelRow(
            REQUEST_MODEL,
            authReqId,
            backchannelRequest,
            grantId,
            iat + CIBA_REQUEST_TTL + retainedAfterExpiry(REQUEST_MODEL),
          ),
        ],
      })
      return {
        body: { expires_in: CIBA_REQUEST_TTL, auth_req_id: authReqId, interval: deps.cibaInterval },
        headers: { 'cache-control': 'no-store' },
      }
    },

    /**
     * `POST /oauth2/token` with `grant_type=urn:openid:params:grant-type:ciba` and `auth_req_id`
     * only, for a request that has been approved, has not expired and was not used: it is
     * consumed (once, on every instance) and answered with an access token and an ID token.
     */
    tokenRequest: async (request: CibaFastPathRequest): Promise<CibaFastPathAnswer | undefined> => {
      const { params } = request
      if (!Object.keys(params).every((k) => k === 'grant_type' || k === 'auth_req_id'))
        return undefined
      const authReqId = params['auth_req_id']
      if (params['grant_type'] !== GRANT_TYPES.ciba || !authReqId) return undefined
      const client = authenticatedApp(request)
      if (client === undefined) return undefined
      const clientId = client.app.client_id

      const { row, grant: grantRow } = await deps.store.oidcModels.findWithGrant(
        REQUEST_MODEL,
        authReqId,
      )
      const now = epoch()
      if (row === undefined || grantRow === undefined || row.consumed_at !== null) return undefined
      if (grantRow.expires_at !== null && grantRow.expires_at < now) return undefined
      const source = JSON.parse(row.payload) as Record<string, unknown>
      const grant = JSON.parse(grantRow.payload) as Record<string, unknown>
      const accountId = source['accountId']
      const scope = source['scope']
      // Only what this module and auth/ciba.ts save: anything more (acr, nonce, claims, a
      // session, an error) is for the provider to answer.
      if (
        !onlyKeys(source, REQUEST_KEYS) ||
        !onlyKeys(grant, GRANT_KEYS) ||
        source['clientId'] !== clientId ||
        typeof source['exp'] !== 'number' ||
        source['exp'] <= now ||
        source['grantId'] !== grantRow.id ||
        typeof accountId !== 'string' ||
        typeof scope !== 'string' ||
        source['resource'] !== resource ||
        Object.keys((source['claims'] as object | undefined) ?? {}).length > 0 ||
        grant['clientId'] !== clientId ||
        grant['accountId'] !== accountId ||
        typeof grant['exp'] !== 'number' ||
        grant['exp'] <= now
      )
        return undefined
      const tokens = scope.split(' ')
      const oidcScope = (grant['openid'] as { scope?: unknown } | undefined)?.scope
      const granted = (grant['resources'] as Record<string, unknown> | undefined)?.[resource]
      if (
        !tokens.includes('openid') ||
        tokens.includes('offline_access') ||
        typeof oidcScope !== 'string' ||
        !oidcScope.split(' ').includes('openid') ||
        typeof granted !== 'string'
      )
        return undefined
      const grantedScopes = new Set(granted.split(' '))
      const accessScope = tokens.filter((t) => grantedScopes.has(t) && resourceScopes.has(t))
      if (accessScope.length === 0) return undefined
      const subject = await deps.store.subjects.bySub(accountId)
      if (subject === undefined || subject.client_id !== clientId) return undefined
      if ((await deps.network.byId(subject.device_id)) === undefined) return undefined
      const key = deps.keyring.current()
      if (key.alg !== 'ES256') return undefined
      if (!withinRate(clientId)) return undefined
      // Single use (CIBA §10.1): exactly one poll consumes it; a concurrent one goes to the
      // provider, which finds it consumed and refuses it as a replay.
      if (!(await consume({ id: authReqId, at: now }))) return undefined

      const [accessToken, idToken] = await Promise.all([
        mintAccessToken(deps, {
          clientId,
          scope: accessScope.join(' '),
          deviceId: subject.device_id,
          ttlSeconds: deps.accessTokenTtl,
          now: new Date(now * 1000),
        }),
        // The provider's ID token for this flow: the pairwise sub and the registered claims.
        new SignJWT({ sub: accountId })
          .setProtectedHeader({ alg: key.alg, kid: key.kid })
          .setAudience(clientId)
          .setExpirationTime(now + deps.accessTokenTtl)
          .setIssuedAt(now)
          .setIssuer(deps.issuer)
          .sign(key.privateKey),
      ])
      return {
        body: {
          access_token: accessToken,
          expires_in: deps.accessTokenTtl,
          id_token: idToken,
          scope: accessScope.join(' '),
          token_type: 'Bearer',
        },
        // oidc-provider's CORS answer to a request without Origin (lib/shared/cors.js).
        headers: {
          'cache-control': 'no-store',
          vary: 'Origin',
          'access-control-allow-origin': '*',
          'access-control-expose-headers': 'WWW-Authenticate',
        },
      }
    },
  }
}

export type CibaFastPath = ReturnType<typeof cibaFastPath>

const REQUEST_KEYS = new Set([
  'iat',
  'exp',
  'accountId',
  'claims',
  'params',
  'resource',
  'scope',
  'kind',
  'jti',
  'clientId',
  'grantId',
])
const GRANT_KEYS = new Set([
  'iat',
  'exp',
  'clientId',
  'accountId',
  'kind',
  'jti',
  'openid',
  'resources',
])

type PendingRow = Parameters<Store['pendingAuthorizations']['insert']>[0]

/**
 * Group commit: the items that arrive while the event loop turns are written together, and each
 * caller is answered once they committed (nothing is answered before its write is durable and
 * visible to every instance). SQLite pays for a commit far more than for a row (about 100 µs
 * against 10 µs per CIBA request here), and PostgreSQL pays a round trip per statement. Should a
 * batch fail, its items are written one by one, so that one bad item fails alone.
 */
export function groupCommit<TItem, TResult>(
  store: Store,
  work: (store: Store, items: TItem[]) => Promise<TResult[]>,
): (item: TItem) => Promise<TResult> {
  type Waiting = { item: TItem; resolve: (r: TResult) => void; reject: (e: unknown) => void }
  let queue: Waiting[] = []
  const flush = async () => {
    const batch = queue
    queue = []
    const items = batch.map((w) => w.item)
    try {
      // Several items: one transaction (all or none, so that they can be tried again one by one;
      // on SQLite one commit). One item: its statements alone, without the BEGIN and COMMIT
      // round trips on PostgreSQL.
      const results =
        items.length > 1
          ? await store.transaction((tx) => work(tx, items))
          : await work(store, items)
      batch.forEach((w, i) => w.resolve(results[i] as TResult))
    } catch (error) {
      if (batch.length === 1) return batch[0]?.reject(error)
      for (const w of batch)
        await work(store, [w.item]).then(([result]) => w.resolve(result as TResult), w.reject)
    }
  }
  return (item) =>
    new Promise<TResult>((resolve, reject) => {
      if (queue.length === 0) setImmediate(() => void flush())
      queue.push({ item, resolve, reject })
    })
}

function onlyKeys(payload: Record<string, unknown>, keys: ReadonlySet<string>): boolean {
  return Object.keys(payload).every((k) => keys.has(k))
}

function modelRow(
  model: string,
  id: string,
  payload: object,
  grantId: string | null,
  expiresAt: number,
): OidcModelRow {
  return {
    model,
    id,
    payload: JSON.stringify(payload),
    grant_id: grantId,
    user_code: null,
    uid: null,
    expires_at: expiresAt,
    consumed_at: null,
  }
}
