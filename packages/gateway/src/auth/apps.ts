import { systemClock, type Clock } from '../core/clock.js'
import { randomUUID } from 'node:crypto'
import type { JWK } from 'jose'
import {
  ALL_GRANT_TYPES,
  GRANT_TYPES,
  type App,
  type AppInput as ContractAppInput,
  type GrantType,
  type ProfileMode,
} from '@device-status/contract'
import { CamaraError } from '../core/camara-error.js'
import type { Store } from '../store/store.js'
import type { AppRow } from '../store/apps.js'
import { APP_REVOCATION_MODEL, type TokenVerifier } from './access-token.js'
import { apiScopes } from './api-scopes.js'
import { generateSecret, hashSecret } from './secret.js'
import { API_FILES, type ApiName } from '../specs/catalog.js'

// The grant types, auth methods, modes and the app shapes are the admin API's contract (shared
// with the CLI); the input and view types are generated from its JSON Schemas.
export {
  ALL_GRANT_TYPES,
  AUTH_METHODS,
  GRANT_TYPES,
  type AuthMethod,
  type GrantType,
  type ProfileMode,
} from '@device-status/contract'
/** Grants oidc-provider itself serves; the JWT bearer grant is served in front of it (auth/jwt-bearer.ts). */
export const PROVIDER_GRANT_TYPES: readonly GrantType[] = ALL_GRANT_TYPES.filter(
  (g) => g !== GRANT_TYPES.jwtBearer,
)

/** An app as the admin API shows it: never the secret, only whether it has one. */
export type AppView = App

/** What the developer hub keeps of an app besides its name and secret. */
export type AppSettings = Omit<
  AppView,
  'clientId' | 'name' | 'hasSecret' | 'createdAt' | 'updatedAt'
>

/** The body of `POST /admin/v1/apps`, and for sandbox seeding only, a fixed secret. */
export type AppInput = ContractAppInput & { clientSecret?: string }

/**
 * The app's public keys as the JWK libraries (jose, oidc-provider) type them. The admin schema
 * checks only that each key has a `kty`; the libraries check the rest when they import them.
 */
export function appJwks(settings: AppSettings): { keys: JWK[] } | undefined {
  return settings.jwks as { keys: JWK[] } | undefined
}

export function appView(row: AppRow): AppView {
  const settings = JSON.parse(row.settings) as AppSettings
  return {
    clientId: row.client_id,
    name: row.name,
    ...settings,
    hasSecret: row.secret_hash !== null,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  }
}

export function appSettings(row: AppRow): AppSettings {
  return JSON.parse(row.settings) as AppSettings
}

function settingsOf(input: AppInput, defaults: { mode: ProfileMode }): AppSettings {
  const byApi = apiScopes()
  const scopes = new Set(input.scopes ?? [])
  for (const api of input.apis ?? []) byApi[api].forEach((s) => scopes.add(s))
  const method =
    input.tokenEndpointAuthMethod ??
    (input.jwks === undefined ? 'client_secret_basic' : 'private_key_jwt')
  if (method === 'private_key_jwt' && input.jwks === undefined) {
    throw new CamaraError('INVALID_ARGUMENT', "private_key_jwt needs the app's public keys (jwks)")
  }
  for (const uri of input.redirectUris ?? []) {
    let url: URL
    try {
      url = new URL(uri)
    } catch {
      throw new CamaraError('INVALID_ARGUMENT', `redirect URI "${uri}" is not an absolute URL`)
    }
    if (url.hash !== '')
      throw new CamaraError('INVALID_ARGUMENT', `redirect URI "${uri}" must not have a fragment`)
  }
  const hosts = new Set((input.redirectUris ?? []).map((uri) => new URL(uri).hostname))
  if (hosts.size > 1) {
    throw new CamaraError(
      'INVALID_ARGUMENT',
      'all redirect URIs of an app must share one host (its pairwise subject sector)',
    )
  }
  for (const purpose of input.purposes ?? []) {
    if (!/^dpv:[A-Za-z]+$/.test(purpose))
      throw new CamaraError('INVALID_ARGUMENT', `purpose "${purpose}" is not dpv:<Purpose>`)
  }
  return {
    redirectUris: input.redirectUris ?? [],
    scopes: [...scopes].sort(),
    purposes: input.purposes ?? [],
    grantTypes: input.grantTypes ?? [
      GRANT_TYPES.ciba,
      GRANT_TYPES.authorizationCode,
      GRANT_TYPES.refreshToken,
    ],
    tokenEndpointAuthMethod: method,
    ...(input.jwks === undefined ? {} : { jwks: input.jwks }),
    mode: input.mode ?? defaults.mode,
  }
}

/** Creates an app; returns its view and, when it authenticates with a secret, the secret (shown once). */
export async function createApp(
  deps: { store: Store; clock: () => Date; defaultMode: ProfileMode },
  input: AppInput,
): Promise<{ app: AppView; clientSecret?: string }> {
  const clientId = input.clientId ?? randomUUID()
  const settings = settingsOf(input, { mode: deps.defaultMode })
  const usesSecret = settings.tokenEndpointAuthMethod !== 'private_key_jwt'
  const clientSecret = usesSecret ? (input.clientSecret ?? generateSecret()) : undefined
  const now = deps.clock().toISOString()
  if ((await deps.store.apps.byClientId(clientId)) !== undefined) {
    throw new CamaraError('ALREADY_EXISTS', `An app with client_id ${clientId} already exists`)
  }
  const row: AppRow = {
    client_id: clientId,
    name: input.name,
    settings: JSON.stringify(settings),
    secret_hash: clientSecret === undefined ? null : await hashSecret(clientSecret),
    created_at: now,
    updated_at: now,
  }
  await deps.store.apps.insert(row)
  return { app: appView(row), ...(clientSecret === undefined ? {} : { clientSecret }) }
}

export async function getApp(store: Store, clientId: string): Promise<AppRow> {
  const row = await store.apps.byClientId(clientId)
  if (row === undefined) throw new CamaraError('NOT_FOUND', `No app with client_id ${clientId}`)
  return row
}

/** A new secret replaces the old one at once; returned once. */
export async function rotateSecret(
  deps: { store: Store; clock: () => Date },
  clientId: string,
): Promise<string> {
  const row = await getApp(deps.store, clientId)
  if (appSettings(row).tokenEndpointAuthMethod === 'private_key_jwt') {
    throw new CamaraError(
      'INVALID_ARGUMENT',
      'This app authenticates with private_key_jwt; it has no secret',
    )
  }
  const secret = generateSecret()
  await deps.store.apps.update(clientId, {
    secret_hash: await hashSecret(secret),
    updated_at: deps.clock().toISOString(),
  })
  return secret
}

/**
 * Replaces an app's name and settings (the client id stays). Its secret is kept while it still
 * authenticates with one, dropped when it moves to `private_key_jwt`, and generated (returned
 * once) when it moves to a secret without having one.
 */
export async function updateApp(
  deps: { store: Store; clock: () => Date; defaultMode: ProfileMode },
  clientId: string,
  input: AppInput,
): Promise<{ app: AppView; clientSecret?: string }> {
  const row = await getApp(deps.store, clientId)
  const settings = settingsOf(input, { mode: deps.defaultMode })
  const usesSecret = settings.tokenEndpointAuthMethod !== 'private_key_jwt'
  const clientSecret = usesSecret && row.secret_hash === null ? generateSecret() : undefined
  const changes = {
    name: input.name,
    settings: JSON.stringify(settings),
    secret_hash: !usesSecret
      ? null
      : clientSecret === undefined
        ? row.secret_hash
        : await hashSecret(clientSecret),
    updated_at: deps.clock().toISOString(),
  }
  await deps.store.apps.update(clientId, changes)
  return {
    app: appView({ ...row, ...changes }),
    ...(clientSecret === undefined ? {} : { clientSecret }),
  }
}

/**
 * Deletes an app. With `revoke`, its tokens end with it (issue 14): the grants behind its refresh
 * tokens are destroyed, and its access tokens are refused on this instance at once, on the others
 * once they reload the revocations (`KEY_RELOAD_INTERVAL_MS`), as for a revoked consent. An app
 * created again under the same client id (new keys, new secret) starts with no token.
 */
export async function deleteApp(
  store: Store,
  clientId: string,
  revoke?: { verifier: TokenVerifier; tokenTtl: number; clock: Clock },
): Promise<void> {
  const at = (revoke?.clock ?? systemClock)().getTime()
  const deleted = await store.transaction(async (trx) => {
    if (!(await trx.apps.delete(clientId))) return false
    if (revoke === undefined) return true
    await trx.oidcModels.upsert({
      model: APP_REVOCATION_MODEL,
      id: clientId,
      payload: JSON.stringify({ at }),
      grant_id: null,
      user_code: null,
      uid: null,
      // Kept until the longest-lived token issued before it (the sandbox mints up to a day) expired.
      expires_at: Math.ceil(at / 1000) + Math.max(revoke.tokenTtl, 86_400) + 60,
      consumed_at: null,
    })
    for (const grantId of await trx.oidcModels.clientGrantIds(clientId)) {
      await trx.oidcModels.revokeAllByGrantId(grantId)
      await trx.oidcModels.destroy('Grant', grantId)
    }
    return true
  })
  if (!deleted) throw new CamaraError('NOT_FOUND', `No app with client_id ${clientId}`)
  revoke?.verifier.revokeApp({ clientId, at })
}

/** The sandbox's demo app: exactly the vendor samples' credentials (BRIEF §3). */
export const DEMO_APP = {
  clientId: 'my-app-id',
  clientSecret: 'my-app-secret',
  // One redirect URI: the vendor samples' token requests leave redirect_uri out, which
  // compatible mode allows only when an app has exactly one.
  redirectUris: ['http://localhost:3000/callback'],
} as const

/** Creates the demo app on a sandbox's first start; every API, every known purpose, every grant. */
export async function seedDemoApp(
  deps: { store: Store; clock: () => Date },
  purposes: readonly string[],
): Promise<boolean> {
  if ((await deps.store.apps.byClientId(DEMO_APP.clientId)) !== undefined) return false
  await createApp(
    { ...deps, defaultMode: 'compatible' },
    {
      clientId: DEMO_APP.clientId,
      clientSecret: DEMO_APP.clientSecret,
      name: 'Demo app (vendor samples)',
      redirectUris: [...DEMO_APP.redirectUris],
      apis: Object.keys(API_FILES) as ApiName[],
      purposes: [...purposes],
      grantTypes: [...ALL_GRANT_TYPES],
      tokenEndpointAuthMethod: 'client_secret_basic',
      mode: 'compatible',
    },
  )
  return true
}
