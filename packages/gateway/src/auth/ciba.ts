import { GRANT_TYPES } from '@device-status/contract'
import type { Clock } from '../core/clock.js'
import type Provider from 'oidc-provider'
import {
  errors,
  type BackchannelAuthenticationRequest,
  type KoaContextWithOIDC,
} from 'oidc-provider'
import type { ConsentRow } from '../store/consents.js'
import { newId, type Store } from '../store/store.js'
import type { SandboxNetwork } from '../network/port.js'
import { pairwiseSubject } from './access-token.js'
import { consentCovers, consentedScopes, splitScope } from './consent-scope.js'

export { consentCovers, consentedScopes, splitScope }
import { needsConsent, type LegalBasis } from '../core/purpose.js'
import { textOf } from './pages.js'

export interface DecisionDeps {
  store: Store
  clock: Clock
  /** The sandbox's stand-in subscriber (simulated network only). */
  sandbox: SandboxNetwork | undefined
  provider: Provider
  resource: string
  legalBases: Readonly<Record<string, LegalBasis>>
  interval: number
}

/** Grants what a request asked for: OIDC scopes, and the purpose and API scopes on the API resource. */
export async function grantFor(
  deps: Pick<DecisionDeps, 'provider' | 'resource'>,
  input: { clientId: string; accountId: string; scope: string },
): Promise<InstanceType<Provider['Grant']> & { jti: string }> {
  const { oidc, purpose, api } = splitScope(input.scope)
  const grant = new deps.provider.Grant({ clientId: input.clientId, accountId: input.accountId })
  // The API scopes and purposes are listed in the provider's scopes (so discovery and each app's
  // allow-list cover them); the provider then asks for them as OP scopes too.
  grant.addOIDCScope([...oidc, ...(purpose === undefined ? [] : [purpose]), ...api].join(' '))
  grant.addResourceScope(
    deps.resource,
    [...(purpose === undefined ? [] : [purpose]), ...api].join(' '),
  )
  const grantId = await grant.save()
  return Object.assign(grant, { jti: grantId })
}

/** Records the subscriber's decision for an app and purpose. */
export async function recordConsent(
  deps: { store: Store; clock: Clock },
  input: {
    clientId: string
    deviceId: string
    purpose: string
    scopes: string[]
    status: 'granted' | 'denied'
  },
): Promise<void> {
  const { store } = deps
  const now = deps.clock().toISOString()
  await store.consents.insert({
    id: newId(),
    client_id: input.clientId,
    device_id: input.deviceId,
    purpose: input.purpose,
    scopes: JSON.stringify(input.scopes),
    status: input.status,
    created_at: now,
    updated_at: now,
  })
}

/**
 * The scopes to record when the subscriber approves a request: those asked for plus those already
 * consented to, so that approving a wider request keeps the narrower consent covered.
 */
export function approvedScopes(latest: ConsentRow | undefined, api: readonly string[]): string[] {
  return [...new Set([...consentedScopes(latest), ...api])]
}

/**
 * CIBA §8 on a simulated network: a purpose whose legal basis needs no consent, or one the
 * subscriber already consented to, is approved at once (the token comes on the first poll) when that consent covers the
 * request's API scopes;
 * otherwise the request waits for the subscriber, whom the sandbox stands in for with the
 * device's consent policy, the admin API or `device-status consent approve|deny`.
 */
export async function decideBackchannelRequest(
  deps: DecisionDeps,
  input: { request: BackchannelAuthenticationRequest; sub: string; clientId: string },
): Promise<void> {
  const { request, sub, clientId } = input
  const subject = await deps.store.subjects.bySub(sub)
  if (subject === undefined) throw new errors.UnknownUserId('unknown subscriber')
  const deviceId = subject.device_id
  const scope = textOf(request.params?.['scope']) || textOf(request.scope)
  const { purpose, api } = splitScope(scope)
  if (purpose === undefined) throw new errors.InvalidScope('a purpose is required', '')
  const authReqId = request.jti
  const now = deps.clock()
  const expiresAt = new Date(now.getTime() + (request.expiration ?? 120) * 1000).toISOString()
  const row = {
    auth_req_id: authReqId,
    flow: 'ciba',
    client_id: clientId,
    device_id: deviceId,
    purpose,
    scopes: JSON.stringify(api),
    created_at: now.toISOString(),
    expires_at: expiresAt,
    interval: deps.interval,
    last_polled_at: null,
  }
  const approve = async () => {
    await deps.store.pendingAuthorizations.insert({ ...row, status: 'approved' })
    const grant = await grantFor(deps, { clientId, accountId: sub, scope })
    await deps.provider.backchannelResult(request, grant)
  }
  const basis = deps.legalBases[purpose]
  if (basis === undefined || !needsConsent(basis)) return approve()

  const latest = await deps.store.consents.latest(clientId, deviceId, purpose)
  if (consentCovers(latest, api)) return approve()
  const policy = (await deps.sandbox?.consentPolicy(deviceId)) ?? null
  if (policy === 'approve') {
    const scopes = approvedScopes(latest, api)
    await recordConsent(deps, { clientId, deviceId, purpose, scopes, status: 'granted' })
    return approve()
  }
  if (policy === 'deny') {
    await recordConsent(deps, { clientId, deviceId, purpose, scopes: api, status: 'denied' })
    await deps.store.pendingAuthorizations.insert({ ...row, status: 'denied' })
    await deps.provider.backchannelResult(
      request,
      new errors.AccessDenied('the subscriber refused consent'),
    )
    return
  }
  await deps.store.pendingAuthorizations.insert({ ...row, status: 'pending' })
}

/** The subscriber's answer to a pending CIBA request (admin API, CLI). */
export async function decidePending(
  deps: Omit<DecisionDeps, 'legalBases' | 'interval' | 'sandbox'>,
  authReqId: string,
  decision: 'approve' | 'deny',
): Promise<'approved' | 'denied' | 'not-pending'> {
  const pending = await deps.store.pendingAuthorizations.byId(authReqId)
  if (pending === undefined || pending.status !== 'pending') return 'not-pending'
  const request = await deps.provider.BackchannelAuthenticationRequest.find(authReqId)
  // find() allows for clock skew; a request past its exp is answered expired_token, not decided.
  if (request === undefined || request.isExpired) return 'not-pending'
  const status = decision === 'approve' ? 'approved' : 'denied'
  if (!(await deps.store.pendingAuthorizations.decide(authReqId, status))) return 'not-pending'
  const scopes = JSON.parse(pending.scopes) as string[]
  const latest = await deps.store.consents.latest(
    pending.client_id,
    pending.device_id,
    pending.purpose,
  )
  await recordConsent(deps, {
    clientId: pending.client_id,
    deviceId: pending.device_id,
    purpose: pending.purpose,
    scopes: decision === 'approve' ? approvedScopes(latest, scopes) : scopes,
    status: decision === 'approve' ? 'granted' : 'denied',
  })
  if (decision === 'approve') {
    const grant = await grantFor(deps, {
      clientId: pending.client_id,
      accountId: await pairwiseSubject(deps.store, pending.client_id, pending.device_id),
      scope: textOf(request.params?.['scope']),
    })
    await deps.provider.backchannelResult(request, grant)
  } else {
    await deps.provider.backchannelResult(
      request,
      new errors.AccessDenied('the subscriber refused consent'),
    )
  }
  return status
}

const CIBA_GRANT = GRANT_TYPES.ciba

/**
 * CIBA §11 `slow_down`, as koa middleware around oidc-provider: a poll that comes sooner than the
 * request's `interval` after the previous one is answered `slow_down`, and the interval grows by
 * 5 s for every later poll. Only polls the provider answered `authorization_pending` count: such
 * an answer means the client authenticated and the request is its own, still pending and not
 * expired. A caller that fails client authentication, or polls someone else's request, changes
 * nothing.
 */
export function cibaPollingRate(
  store: Store,
  now: () => number = Date.now,
): (ctx: KoaContextWithOIDC, next: () => Promise<void>) => Promise<void> {
  return async (ctx, next) => {
    await next()
    const params = ctx.oidc?.params
    const body = ctx.body as { error?: unknown } | undefined
    if (
      ctx.oidc?.route !== 'token' ||
      params?.['grant_type'] !== CIBA_GRANT ||
      typeof params['auth_req_id'] !== 'string' ||
      ctx.status !== 400 ||
      body?.error !== 'authorization_pending'
    )
      return
    const authReqId = params['auth_req_id']
    const pending = await store.pendingAuthorizations.byId(authReqId)
    if (pending === undefined) return
    const at = now()
    const tooSoon =
      pending.last_polled_at !== null &&
      at - Number(pending.last_polled_at) < pending.interval * 1000
    const interval = tooSoon ? pending.interval + 5 : pending.interval
    await store.pendingAuthorizations.polled(authReqId, at, interval)
    if (tooSoon) {
      ctx.body = {
        error: 'slow_down',
        error_description: `poll at most every ${interval} seconds`,
      }
    }
  }
}
