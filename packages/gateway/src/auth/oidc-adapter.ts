import type { Clock } from '../core/clock.js'
import Provider, { type Adapter, type AdapterPayload } from 'oidc-provider'
import type { Store } from '../store/store.js'
import { appSettings } from './apps.js'
import { clientMetadata } from './client-metadata.js'
import type { AppRow } from '../store/apps.js'

/** The app row the profile gate read for a request (auth/routes.ts), by request. */
const appsReadFor = new WeakMap<object, AppRow>()

/**
 * Hands the provider the app row already read for this request: its client lookup uses it
 * instead of reading the row a second time. The row is still read once per request, so a
 * rotated secret or a deleted app is seen at once (auth/client-secrets.ts relies on it).
 */
export function appReadForRequest(request: object, app: AppRow): void {
  appsReadFor.set(request, app)
}

/**
 * Seconds a model is kept past its expiry. oidc-provider checks `exp` itself; a CIBA request
 * must still be found after it expired so that a late poll is answered `expired_token` (CIBA
 * §11, CAMARA ICM) rather than `invalid_grant`.
 */
const RETAINED_AFTER_EXPIRY: Readonly<Record<string, number>> = {
  BackchannelAuthenticationRequest: 3600,
}

/** Seconds a model's row is kept past its expiry (see RETAINED_AFTER_EXPIRY). */
export function retainedAfterExpiry(model: string): number {
  return RETAINED_AFTER_EXPIRY[model] ?? 0
}

/**
 * oidc-provider's storage port on the gateway's store: sessions, interactions, codes, CIBA
 * requests, grants and tokens in `oidc_models`, so that any instance can continue a flow another
 * started; the `Client` model reads the developer hub's apps (registered for scopes of APIs
 * this gateway does not offer, say sim-swap on a NEF, an app keeps working with the others).
 */
export function storeAdapter(
  store: Store,
  clock: Clock,
  /** The API scopes the gateway serves: an app's other API scopes are left out of its metadata. */
  offeredScopes?: ReadonlySet<string>,
): new (model: string) => Adapter {
  const epoch = () => Math.floor(clock().getTime() / 1000)
  return class StoreAdapter implements Adapter {
    readonly model: string
    constructor(model: string) {
      this.model = model
    }

    async upsert(id: string, payload: AdapterPayload, expiresIn: number): Promise<void> {
      await store.oidcModels.upsert({
        model: this.model,
        id,
        payload: JSON.stringify(payload),
        grant_id: payload.grantId ?? null,
        user_code: payload.userCode ?? null,
        uid: payload.uid ?? null,
        expires_at: expiresIn > 0 ? epoch() + expiresIn + retainedAfterExpiry(this.model) : null,
        consumed_at: null,
      })
    }

    async find(id: string): Promise<AdapterPayload | undefined> {
      if (this.model === 'Client') {
        const ctx = Provider.ctx
        const read = ctx === undefined ? undefined : appsReadFor.get(ctx.req)
        const app = read?.client_id === id ? read : await store.apps.byClientId(id)
        return app === undefined
          ? undefined
          : clientMetadata(app.client_id, app.secret_hash, appSettings(app), offeredScopes)
      }
      const row = await store.oidcModels.find(this.model, id)
      return this.payload(row)
    }

    async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
      return this.payload(await store.oidcModels.findBy(this.model, 'user_code', userCode))
    }

    async findByUid(uid: string): Promise<AdapterPayload | undefined> {
      return this.payload(await store.oidcModels.findBy(this.model, 'uid', uid))
    }

    async consume(id: string): Promise<void> {
      await store.oidcModels.consume(this.model, id, epoch())
    }

    async destroy(id: string): Promise<void> {
      await store.oidcModels.destroy(this.model, id)
    }

    // Called once per model: the other models' rows (an Interaction being resumed) stay.
    async revokeByGrantId(grantId: string): Promise<void> {
      await store.oidcModels.revokeByGrantId(this.model, grantId)
    }

    private payload(
      row: Awaited<ReturnType<Store['oidcModels']['find']>>,
    ): AdapterPayload | undefined {
      if (row === undefined) return undefined
      if (row.expires_at !== null && row.expires_at < epoch()) return undefined
      const payload = JSON.parse(row.payload) as AdapterPayload
      return row.consumed_at === null ? payload : { ...payload, consumed: row.consumed_at }
    }
  }
}
