import type Provider from 'oidc-provider'
import type { Clock } from '../core/clock.js'
import type { NetworkPort } from '../network/port.js'
import type { Store } from '../store/store.js'
import { decidePending } from './ciba.js'
import { CODE_FLOW, decideWaitingConsent } from './interaction-service.js'

export interface DecisionListDeps {
  store: Store
  network: NetworkPort
  clock: Clock
}

/** The fields consents and pending authorizations share, with the device's phone number. */
async function decisionViews(
  network: NetworkPort,
  rows: {
    client_id: string
    device_id: string
    purpose: string
    scopes: string
    status: string
    created_at: string
  }[],
) {
  const ids = [...new Set(rows.map((r) => r.device_id))]
  const devices = await Promise.all(ids.map((id) => Promise.resolve(network.byId(id))))
  const phones = new Map(ids.map((id, i) => [id, devices[i]?.phoneNumber]))
  return rows.map((r) => ({
    clientId: r.client_id,
    phoneNumber: phones.get(r.device_id) ?? null,
    purpose: r.purpose,
    scopes: JSON.parse(r.scopes) as string[],
    status: r.status,
    createdAt: r.created_at,
  }))
}

/** The consents recorded, filtered by the device's phone number, app and status. */
export async function listConsents(
  deps: DecisionListDeps,
  query: { phoneNumber?: string; clientId?: string; status?: string },
) {
  let deviceId: string | undefined
  if (query.phoneNumber !== undefined) {
    const device = await deps.network.find({
      kind: 'phoneNumber',
      phoneNumber: query.phoneNumber,
    })
    if (device === undefined) return []
    deviceId = device.id
  }
  const rows = await deps.store.consents.list({
    ...(query.clientId === undefined ? {} : { clientId: query.clientId }),
    ...(deviceId === undefined ? {} : { deviceId }),
    ...(query.status === undefined ? {} : { status: query.status }),
  })
  const views = await decisionViews(deps.network, rows)
  return rows.map((r, i) => ({ id: r.id, ...views[i], updatedAt: r.updated_at }))
}

/**
 * The requests waiting for (or given) the subscriber's decision, of both flows: `id` is what
 * approve and deny take (a CIBA request's `auth_req_id`, also given as `authReqId`; an
 * authorization-code request's interaction uid). A request still pending past its expiry can no
 * longer be decided: it is shown (and filtered) as `expired`, so that `status=pending` lists only
 * what a decision can still reach.
 */
export async function listAuthorizations(deps: DecisionListDeps, wanted: string | undefined) {
  const clock = deps.clock
  const now = clock().getTime()
  const statusOf = (row: { status: string; expires_at: string }) =>
    row.status === 'pending' && Date.parse(row.expires_at) <= now ? 'expired' : row.status
  const stored =
    wanted === undefined || wanted === 'expired' || wanted === 'pending'
      ? { ...(wanted === undefined ? {} : { status: 'pending' }) }
      : { status: wanted }
  const rows = (await deps.store.pendingAuthorizations.list(stored)).filter(
    (row) => wanted === undefined || statusOf(row) === wanted,
  )
  const views = await decisionViews(deps.network, rows)
  return rows.map((r, i) => ({
    id: r.auth_req_id,
    flow: r.flow,
    ...(r.flow === CODE_FLOW ? {} : { authReqId: r.auth_req_id }),
    ...views[i],
    status: statusOf(r),
    expiresAt: r.expires_at,
  }))
}

/**
 * The subscriber's answer to a pending request of either flow: a CIBA request's poll then gets
 * its token (or `access_denied`); an authorization-code request's consent page continues.
 * `undefined` when nothing waits under that id.
 */
export async function decideAuthorization(
  deps: { store: Store; clock: Clock; current: () => Provider; resource: string },
  id: string,
  decision: 'approve' | 'deny',
): Promise<
  { id: string; flow: string; authReqId?: string; status: 'approved' | 'denied' } | undefined
> {
  const row = await deps.store.pendingAuthorizations.byId(id)
  if (row === undefined) return undefined
  if (row.flow === CODE_FLOW) {
    const status = await decideWaitingConsent(deps, id, decision)
    return status === 'not-pending' ? undefined : { id, flow: row.flow, status }
  }
  const status = await decidePending(
    { store: deps.store, clock: deps.clock, provider: deps.current(), resource: deps.resource },
    id,
    decision,
  )
  return status === 'not-pending' ? undefined : { id, flow: row.flow, authReqId: id, status }
}
