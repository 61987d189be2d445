import type { TerminationReason } from '@device-status/contract'
import type { Clock } from '../core/clock.js'
import type { NetworkEvent } from '../core/device.js'
import type { NewNotification } from '../store/notifications.js'
import type { Store } from '../store/store.js'
import { LIVE_STATUSES, type Subscription } from '../store/subscriptions.js'
import { cloudEvent } from '../notifications/cloud-event.js'
import type { ClaimedNotification } from '../notifications/delivery.js'
import { basePath, loadSpec } from '../specs/catalog.js'
import {
  serviceNotApplicable,
  subscriptionApi,
  type EventData,
  type SubscriptionApi,
} from './apis.js'

/** Why a subscription ends (CAMARA ESG `terminationReason`, from the spec files). */
export type { TerminationReason }

const DESCRIPTIONS: Record<TerminationReason, string> = {
  SUBSCRIPTION_EXPIRED: 'The subscription reached its expiry time.',
  MAX_EVENTS_REACHED: 'The subscription delivered its maximum number of events.',
  ACCESS_TOKEN_EXPIRED: 'The access token of the sink is about to expire.',
  SUBSCRIPTION_DELETED: 'The subscription was deleted.',
  NETWORK_TERMINATED: 'The network ended the subscription: the device is no longer served.',
}

/** `device` (or `phoneNumber`) as an event of a two-legged subscription names it; nothing for three-legged ones. */
function subjectOf(api: SubscriptionApi, row: Subscription): EventData {
  if (row.sub !== null && api.alwaysDevice !== true) return {}
  const { usedIdentifier } = row
  if (usedIdentifier === undefined) return {}
  return api.identifier === 'phoneNumber' ? usedIdentifier : { device: usedIdentifier }
}

/** One notification for the outbox: a CloudEvent with an id that stays the same across retries. */
function notification(
  deps: OutboxDeps,
  row: Subscription,
  api: SubscriptionApi,
  type: string,
  data: EventData,
  time?: string,
): NewNotification {
  const now = deps.clock()
  const event = cloudEvent({
    source: deps.source(api),
    type: api.prefix + type,
    time: time ?? now.toISOString(),
    data: { ...subjectOf(api, row), ...data, subscriptionId: row.id },
  })
  return {
    id: event.id,
    subscriptionId: row.id,
    event,
    nextAttemptAt: now.getTime(),
    createdAt: now.toISOString(),
  }
}

export interface OutboxDeps {
  store: Store
  /**
   * When set, the state events that become their lines' heads are written claimed for the
   * caller's delivery worker (leased until `leaseUntil`) and collected in `claimed`, for it to
   * take after the commit.
   */
  claim?: {
    leaseUntil: number
    claimed: ClaimedNotification[]
    /** How many were queued behind a head: the settle of that head promotes and claims them. */
    queued: number
  }
  /** CloudEvent `source` of an API's notifications. */
  source: (api: SubscriptionApi) => string
  /** The time of events, and when their notifications are due. */
  clock: Clock
}

/** The CloudEvent `source` of an API's notifications: the API's base URL on this gateway. */
export function notificationSource(issuer: string): (api: SubscriptionApi) => string {
  return (api) => issuer + basePath(loadSpec(api.file))
}

/**
 * `subscription-started` (SUBSCRIPTION_CREATED), written in the creation transaction before any
 * initial event, so the sink gets it first. Not counted toward `subscriptionMaxEvents` (ESG).
 */
export async function announceStart(deps: OutboxDeps, row: Subscription): Promise<void> {
  const api = subscriptionApi(row.api)
  if (api === undefined || !api.lifecycleEvents) return
  await deps.store.notifications.enqueue([
    notification(deps, row, api, 'subscription-started', {
      initiationReason: 'SUBSCRIPTION_CREATED',
      initiationDescription: 'The subscription was created and is active.',
    }),
  ])
}

/** `subscription-updated` data when a subscription goes ACTIVE or INACTIVE. */
function updatedData(api: SubscriptionApi, status: 'ACTIVE' | 'INACTIVE'): EventData {
  return status === 'INACTIVE'
    ? {
        updateReason: 'SUBSCRIPTION_INACTIVE',
        updateDescription: `The service ${api.serviceApi} no longer applies to the device: no events are sent until it applies again.`,
      }
    : {
        updateReason: 'SUBSCRIPTION_ACTIVE',
        updateDescription: `The service ${api.serviceApi} applies to the device again: events are sent again.`,
      }
}

/**
 * A state event for a subscription: counted toward `subscriptionMaxEvents`; the subscription ends
 * (MAX_EVENTS_REACHED) once it is reached. Call inside the transaction of the change, with a row
 * no other transaction can change before the commit: locked, or (the initial event) inserted by
 * this transaction, so not yet seen by any other.
 */
export async function emitStateEvent(
  deps: OutboxDeps,
  row: Subscription,
  type: string,
  data: EventData,
  time?: string,
): Promise<void> {
  const api = subscriptionApi(row.api)
  if (api === undefined || row.status !== 'ACTIVE') return
  await deps.store.notifications.enqueue([notification(deps, row, api, type, data, time)])
  row.eventsSent += 1
  await deps.store.subscriptions.countEvents([row.id], 1)
  if (row.maxEvents !== null && row.eventsSent >= row.maxEvents) {
    await endSubscription(deps, row, 'MAX_EVENTS_REACHED')
  }
}

/**
 * Ends a live (ACTIVE or INACTIVE) subscription and notifies its sink with `subscription-ended`
 * (not counted toward max events). The row may have been read without a lock: the ending is one
 * conditional update, so of concurrent endings (a DELETE, the expiry sweep, a network change) only
 * the one that changed the row writes the end event. Whether this call ended the subscription.
 */
export async function endSubscription(
  deps: OutboxDeps,
  row: Subscription,
  reason: TerminationReason,
): Promise<boolean> {
  const api = subscriptionApi(row.api)
  if (api === undefined || !LIVE_STATUSES.includes(row.status)) return false
  const status = reason === 'SUBSCRIPTION_DELETED' ? 'DELETED' : 'EXPIRED'
  const ended = await deps.store.subscriptions.endIfLive(row.id, {
    status,
    endedAt: deps.clock().toISOString(),
    terminationReason: reason,
  })
  if (!ended) return false
  row.status = status
  if (api.endReasons !== undefined && !api.endReasons.includes(reason)) return true
  const description =
    api.endEvent === 'subscription-ended' ? { terminationDescription: DESCRIPTIONS[reason] } : {}
  await deps.store.notifications.enqueue([
    notification(deps, row, api, api.endEvent, { terminationReason: reason, ...description }),
  ])
  return true
}

/**
 * An `applicability` event: each subscription with lifecycle events whose service stopped applying
 * to the device goes INACTIVE, each whose service applies again goes ACTIVE, and its sink gets
 * `subscription-updated` (not counted toward max events).
 */
async function applyApplicability(
  deps: OutboxDeps,
  rows: readonly Subscription[],
  event: NetworkEvent,
): Promise<number> {
  const notApplicable = event.after?.notApplicable ?? []
  const batch: NewNotification[] = []
  const moved: Record<'ACTIVE' | 'INACTIVE', string[]> = { ACTIVE: [], INACTIVE: [] }
  for (const row of rows) {
    const api = subscriptionApi(row.api)
    if (api === undefined || !api.lifecycleEvents) continue
    const status = serviceNotApplicable(api, notApplicable) ? 'INACTIVE' : 'ACTIVE'
    if (row.status === status) continue
    row.status = status
    moved[status].push(row.id)
    batch.push({
      ...notification(deps, row, api, 'subscription-updated', updatedData(api, status)),
      networkEventId: event.id,
    })
  }
  // Enqueue first: it locks the subscription rows in id order (PostgreSQL), as a settle does.
  await deps.store.notifications.enqueue(batch)
  for (const status of ['ACTIVE', 'INACTIVE'] as const)
    if (moved[status].length > 0) await deps.store.subscriptions.setStatus(moved[status], status)
  return batch.length
}

/**
 * Turns network events into notifications for every live subscription of their devices, in the
 * caller's transaction (tests; the gateway fans out with the fan-out worker, which calls
 * {@link fanOutTo} chunk by chunk). Only ACTIVE subscriptions get state events; a removed device
 * ends INACTIVE ones too.
 */
export async function fanOut(deps: OutboxDeps, events: readonly NetworkEvent[]): Promise<number> {
  let written = 0
  for (const event of events) {
    // Locked before anything is decided from them (PostgreSQL): a subscription that a concurrent
    // DELETE or sweep is ending is waited for and then left out, and the count of events sent is current.
    const rows = await deps.store.subscriptions.liveForDevice(event.deviceId, { forUpdate: true })
    written += await fanOutTo(deps, event, rows)
  }
  return written
}

/**
 * One network event's notifications for these subscriptions of its device (live, locked by the
 * caller's transaction, in id order): how many were written.
 */
export async function fanOutTo(
  deps: OutboxDeps,
  event: NetworkEvent,
  rows: readonly Subscription[],
): Promise<number> {
  if (event.type === 'device-removed') {
    for (const row of rows) await endSubscription(deps, row, 'NETWORK_TERMINATED')
    return rows.length
  }
  if (event.type === 'applicability') return applyApplicability(deps, rows, event)
  // One change can reach thousands of subscriptions: their notifications go in one batch.
  const batch: NewNotification[] = []
  const counted: { row: Subscription; produced: number }[] = []
  for (const row of rows) {
    const api = subscriptionApi(row.api)
    if (api === undefined || row.status !== 'ACTIVE') continue
    let produced = 0
    for (const type of row.types) {
      const short = type.slice(api.prefix.length)
      for (const { data, time } of api.eventsFor(short, event)) {
        if (row.maxEvents !== null && row.eventsSent + produced >= row.maxEvents) break
        batch.push({
          ...notification(deps, row, api, short, data, time),
          networkEventId: event.id,
        })
        produced++
      }
    }
    if (produced > 0) {
      row.eventsSent += produced
      counted.push({ row, produced })
    }
  }
  if (deps.claim === undefined) await deps.store.notifications.enqueue(batch)
  else {
    const heads = await deps.store.notifications.enqueueClaimed(batch, deps.claim.leaseUntil)
    const byId = new Map(rows.map((row) => [row.id, row]))
    for (const notification of heads)
      deps.claim.claimed.push({ notification, subscription: byId.get(notification.subscriptionId) })
    deps.claim.queued += batch.length - heads.length
  }
  const byIncrement = new Map<number, string[]>()
  for (const { row, produced } of counted) {
    const ids = byIncrement.get(produced)
    if (ids === undefined) byIncrement.set(produced, [row.id])
    else ids.push(row.id)
  }
  for (const [by, ids] of byIncrement) await deps.store.subscriptions.countEvents(ids, by)
  for (const { row } of counted) {
    if (row.maxEvents !== null && row.eventsSent >= row.maxEvents)
      await endSubscription(deps, row, 'MAX_EVENTS_REACHED')
  }
  return batch.length
}
