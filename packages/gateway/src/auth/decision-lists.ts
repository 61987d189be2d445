import type { Clock } from '../core/clock.js'
import type { NetworkPort } from '../network/port.js'
import type { Store } from '../store/store.js'

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
  const devices = await Promise.all(ids.map((id) => network.byId(id)))
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

// A request still pending past its expiry can no longer be decided: it is shown (and
// filtered) as `expired`, so that `status=pending` lists only what a decision can still reach.
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
    authReqId: r.auth_req_id,
    ...views[i],
    status: statusOf(r),
    expiresAt: r.expires_at,
  }))
}
