import type Provider from 'oidc-provider'
import type { Clock } from '../core/clock.js'
import type { DeviceIdentity } from '../core/device.js'
import { needsConsent, type LegalBasis } from '../core/purpose.js'
import type { Store } from '../store/store.js'
import { pairwiseSubject } from './access-token.js'
import { approvedScopes, consentCovers, grantFor, recordConsent, splitScope } from './ciba.js'
import { textOf } from './pages.js'

export interface InteractionServiceDeps {
  store: Store
  clock: Clock
  current: () => Provider
  resource: string
  legalBases: Readonly<Record<string, LegalBasis>>
}

export type Details = Awaited<ReturnType<Provider['interactionDetails']>>

/** What the provider is told at the end of a step (oidc-provider's interaction result). */
export type InteractionResult = Record<string, unknown>

/** The consent step: answered at once, or a question for the subscriber. */
export type ConsentStep =
  | { kind: 'done'; result: InteractionResult }
  | { kind: 'ask'; appName: string; purpose: string; api: string[] }

/** The `flow` of an authorization-code request waiting at its consent page. */
export const CODE_FLOW = 'authorization_code'

/**
 * An authorization-code request at its consent page waits among the pending authorizations (with
 * the CIBA requests; its id is the interaction's uid), so that the subscriber's answer can also
 * come from elsewhere (the console, the admin API, the CLI). Returns what was decided there, if
 * anything: the page follows that answer.
 */
async function waitingDecision(
  deps: InteractionServiceDeps,
  details: Details,
  input: { clientId: string; deviceId: string; purpose: string; api: string[] },
): Promise<string> {
  const waiting = await deps.store.pendingAuthorizations.byId(details.uid)
  if (waiting !== undefined) return waiting.status
  const now = deps.clock()
  await deps.store.pendingAuthorizations.insertIfAbsent({
    auth_req_id: details.uid,
    flow: CODE_FLOW,
    client_id: input.clientId,
    device_id: input.deviceId,
    purpose: input.purpose,
    scopes: JSON.stringify(input.api),
    status: 'pending',
    created_at: now.toISOString(),
    // The interaction's own expiry: past it, the page's session is gone and nothing can be decided.
    expires_at: new Date(details.exp * 1000).toISOString(),
    interval: 0,
    last_polled_at: null,
  })
  return 'pending'
}

/** The answer to a waiting request as the consent step's result (a refusal ends the flow). */
const answered = (
  deps: InteractionServiceDeps,
  details: Details,
  sub: string,
  status: string,
): Promise<InteractionResult> | undefined => {
  if (status === 'approved') return approval(deps, details, sub)
  if (status === 'denied') return Promise.resolve(denied('the subscriber refused consent'))
  return undefined
}

const denied = (description: string): InteractionResult => ({
  error: 'access_denied',
  error_description: description,
})

/** The subscriber signed in by network-based authentication: the app's pairwise account. */
export async function loginResult(
  deps: InteractionServiceDeps,
  details: Details,
  device: DeviceIdentity,
): Promise<InteractionResult> {
  const clientId = String(details.params['client_id'])
  const accountId = await pairwiseSubject(deps.store, clientId, device.id)
  return { login: { accountId, amr: ['nba'], acr: 'urn:camara:nba', remember: false } }
}

/** A grant of the request's scope to the signed-in subscriber, as the consent step's result. */
async function approval(
  deps: InteractionServiceDeps,
  details: Details,
  accountId: string,
): Promise<InteractionResult> {
  const grant = await grantFor(
    { provider: deps.current(), resource: deps.resource },
    {
      clientId: String(details.params['client_id']),
      accountId,
      scope: textOf(details.params['scope']),
    },
  )
  return { consent: { grantId: grant.jti } }
}

/**
 * Consent, asked in band only when the purpose's legal basis needs it and no consent the
 * subscriber gave covers every API asked for; `prompt=none` then fails with `consent_required`.
 */
export async function consentStep(
  deps: InteractionServiceDeps,
  details: Details,
): Promise<ConsentStep> {
  const clientId = String(details.params['client_id'])
  const sub = details.session?.accountId
  const subject = sub === undefined ? undefined : await deps.store.subjects.bySub(sub)
  if (sub === undefined || subject === undefined)
    return { kind: 'done', result: denied('the subscriber could not be identified') }
  const { purpose, api } = splitScope(textOf(details.params['scope']))
  const basis = purpose === undefined ? undefined : deps.legalBases[purpose]
  if (purpose === undefined || basis === undefined || !needsConsent(basis))
    return { kind: 'done', result: await approval(deps, details, sub) }
  // A consent to this purpose for fewer APIs does not cover the request: ask again.
  const latest = await deps.store.consents.latest(clientId, subject.device_id, purpose)
  if (consentCovers(latest, api))
    return { kind: 'done', result: await approval(deps, details, sub) }
  if (details.params['prompt'] === 'none') {
    return {
      kind: 'done',
      result: {
        error: 'consent_required',
        error_description: 'the subscriber has not consented to this purpose',
      },
    }
  }
  const decided = answered(
    deps,
    details,
    sub,
    await waitingDecision(deps, details, { clientId, deviceId: subject.device_id, purpose, api }),
  )
  if (decided !== undefined) return { kind: 'done', result: await decided }
  const app = await deps.store.apps.byClientId(clientId)
  return { kind: 'ask', appName: app?.name ?? clientId, purpose, api }
}

/**
 * Whether the consent page's request was answered elsewhere (the page polls this, then reloads
 * to continue): `pending` while it waits, `approved` or `denied` once decided.
 */
export async function waitingStatus(
  deps: Pick<InteractionServiceDeps, 'store'>,
  details: Details,
): Promise<string> {
  if (details.prompt.name !== 'consent') return 'pending'
  return (await deps.store.pendingAuthorizations.byId(details.uid))?.status ?? 'pending'
}

/**
 * The subscriber's answer on the consent page, recorded: a refusal ends the flow with
 * `access_denied`; an approval keeps what was consented to before and grants the request.
 * `undefined`: the interaction is not at its consent step.
 */
export async function decideConsent(
  deps: InteractionServiceDeps,
  details: Details,
  decision: 'approve' | 'deny',
): Promise<InteractionResult | undefined> {
  const clientId = String(details.params['client_id'])
  const sub = details.session?.accountId
  const subject = sub === undefined ? undefined : await deps.store.subjects.bySub(sub)
  const { purpose, api } = splitScope(textOf(details.params['scope']))
  if (
    details.prompt.name !== 'consent' ||
    sub === undefined ||
    subject === undefined ||
    purpose === undefined
  )
    return undefined
  const deviceId = subject.device_id
  // The first answer wins: one given elsewhere while the page was open stands (and is recorded
  // once); otherwise the page's answer settles the waiting request.
  const waiting = await deps.store.pendingAuthorizations.byId(details.uid)
  if (waiting !== undefined) {
    const status = decision === 'approve' ? 'approved' : 'denied'
    const won =
      waiting.status === 'pending' &&
      (await deps.store.pendingAuthorizations.decide(details.uid, status))
    if (!won) {
      const settled = (await deps.store.pendingAuthorizations.byId(details.uid))?.status ?? ''
      const result = answered(deps, details, sub, settled)
      if (result !== undefined) return result
    }
  }
  return recordAndAnswer(deps, details, { clientId, deviceId, sub, purpose, api }, decision)
}

/** Records the subscriber's answer as a consent and gives the interaction's result. */
async function recordAndAnswer(
  deps: InteractionServiceDeps,
  details: Details,
  input: { clientId: string; deviceId: string; sub: string; purpose: string; api: string[] },
  decision: 'approve' | 'deny',
): Promise<InteractionResult> {
  const { clientId, deviceId, sub, purpose, api } = input
  if (decision === 'deny') {
    await recordConsent(deps, { clientId, deviceId, purpose, scopes: api, status: 'denied' })
    return denied('the subscriber refused consent')
  }
  const latest = await deps.store.consents.latest(clientId, deviceId, purpose)
  const scopes = approvedScopes(latest, api)
  await recordConsent(deps, { clientId, deviceId, purpose, scopes, status: 'granted' })
  return approval(deps, details, sub)
}

/**
 * The subscriber's answer, given elsewhere (the console, the admin API, the CLI), to an
 * authorization-code request waiting at its consent page: recorded as a consent; the page, which
 * polls, then continues the flow (an approval ends with the app's code, a refusal with
 * `access_denied`). `not-pending` when nothing waits under that id: unknown, decided, expired, or
 * an interaction no longer at its consent step.
 */
export async function decideWaitingConsent(
  deps: Pick<InteractionServiceDeps, 'store' | 'clock' | 'current'>,
  uid: string,
  decision: 'approve' | 'deny',
): Promise<'approved' | 'denied' | 'not-pending'> {
  const waiting = await deps.store.pendingAuthorizations.byId(uid)
  if (
    waiting === undefined ||
    waiting.flow !== CODE_FLOW ||
    waiting.status !== 'pending' ||
    Date.parse(waiting.expires_at) <= deps.clock().getTime()
  )
    return 'not-pending'
  const interaction = await deps.current().Interaction.find(uid)
  if (interaction?.prompt.name !== 'consent' || interaction.result !== undefined)
    return 'not-pending'
  const status = decision === 'approve' ? 'approved' : 'denied'
  if (!(await deps.store.pendingAuthorizations.decide(uid, status))) return 'not-pending'
  const { client_id: clientId, device_id: deviceId, purpose } = waiting
  const api = JSON.parse(waiting.scopes) as string[]
  const latest = await deps.store.consents.latest(clientId, deviceId, purpose)
  await recordConsent(deps, {
    clientId,
    deviceId,
    purpose,
    scopes: decision === 'approve' ? approvedScopes(latest, api) : api,
    status: status === 'approved' ? 'granted' : 'denied',
  })
  return status
}
