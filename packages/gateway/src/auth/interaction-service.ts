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
  const app = await deps.store.apps.byClientId(clientId)
  return { kind: 'ask', appName: app?.name ?? clientId, purpose, api }
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
  if (decision === 'deny') {
    await recordConsent(deps, { clientId, deviceId, purpose, scopes: api, status: 'denied' })
    return denied('the subscriber refused consent')
  }
  const latest = await deps.store.consents.latest(clientId, deviceId, purpose)
  const scopes = approvedScopes(latest, api)
  await recordConsent(deps, { clientId, deviceId, purpose, scopes, status: 'granted' })
  return approval(deps, details, sub)
}
