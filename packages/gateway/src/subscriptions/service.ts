import type { AuthContext } from '../core/auth-context.js'
import { nowMs, type Clock } from '../core/clock.js'
import { identifyDevice, V1_IDENTIFIERS, type RequestDevice } from '../device/identify.js'
import { CamaraError } from '../core/camara-error.js'
import {
  DEVICE_APIS,
  type DeviceApi,
  type DeviceFacts,
  type DeviceIdentity,
} from '../core/device.js'
import { NetworkError } from '../core/network-error.js'
import type { NetworkPort, NetworkWatch } from '../network/port.js'
import { checkSink, type SinkPolicy } from '../notifications/sink-policy.js'
import { announceStart, emitStateEvent, endSubscription, type OutboxDeps } from './outbox.js'
import { newId, type Store } from '../store/store.js'
import { LIVE_STATUSES, type SinkCredential, type Subscription } from '../store/subscriptions.js'
import { createScope, type SubscriptionApi } from './apis.js'

export interface SubscriptionDeps {
  store: Store
  network: NetworkPort
  sinkPolicy: SinkPolicy
  source: OutboxDeps['source']
  /** Wakes the delivery worker after a commit that wrote notifications. */
  kick: () => void
  /** Live (not ended) subscriptions one app may hold (`SUBSCRIPTION_QUOTA`). */
  quota: number
  clock: Clock
  /** A network that reports only what it is asked to watch (a NEF): told of each subscription. */
  watch?: NetworkWatch
}

/** `SubscriptionRequest` as the validator leaves it. */
export interface SubscriptionRequest {
  protocol: string
  sink: string
  sinkCredential?: {
    credentialType?: string
    accessToken?: unknown
    accessTokenExpiresUtc?: unknown
    accessTokenType?: unknown
  }
  types: string[]
  config: {
    subscriptionDetail: { device?: RequestDevice; phoneNumber?: string }
    subscriptionExpireTime?: string
    subscriptionMaxEvents?: number
    initialEvent?: boolean
  }
}

/** `Subscription` of the 0.8.0 / 0.2.0 / 0.3.0 specs: never the sink credential. */
export function subscriptionView(row: Subscription): Record<string, unknown> {
  return {
    protocol: row.protocol,
    sink: row.sink,
    types: row.types,
    config: row.config,
    id: row.id,
    startsAt: row.startsAt,
    ...(row.expiresAt === null ? {} : { expiresAt: row.expiresAt }),
    status: row.status,
  }
}

function checkCredential(
  credential: SubscriptionRequest['sinkCredential'],
  now: number,
): SinkCredential | undefined {
  if (credential === undefined) return undefined
  // CAMARA ESG: only ACCESSTOKEN credentials, only bearer tokens, for now.
  if (credential.credentialType !== 'ACCESSTOKEN')
    throw new CamaraError('INVALID_CREDENTIAL', 'Only Access token is supported')
  if (credential.accessTokenType !== 'bearer')
    throw new CamaraError('INVALID_TOKEN', 'Only bearer token is supported')
  const { accessToken, accessTokenExpiresUtc } = credential
  if (
    typeof accessToken !== 'string' ||
    accessToken === '' ||
    typeof accessTokenExpiresUtc !== 'string' ||
    Number.isNaN(Date.parse(accessTokenExpiresUtc))
  ) {
    throw new CamaraError(
      'INVALID_ARGUMENT',
      'sinkCredential needs accessToken and accessTokenExpiresUtc (date-time)',
    )
  }
  if (Date.parse(accessTokenExpiresUtc) <= now) {
    throw new CamaraError('INVALID_ARGUMENT', 'sinkCredential.accessTokenExpiresUtc is in the past')
  }
  return {
    credentialType: 'ACCESSTOKEN',
    accessTokenType: 'bearer',
    accessToken,
    accessTokenExpiresUtc,
  }
}

/** 429 QUOTA_EXCEEDED when the app already holds `quota` live subscriptions. */
export async function ensureQuota(
  deps: Pick<SubscriptionDeps, 'quota'>,
  store: Store,
  clientId: string,
): Promise<void> {
  if ((await store.subscriptions.countLive(clientId)) >= deps.quota) {
    throw new CamaraError(
      'QUOTA_EXCEEDED',
      `Out of resource quota: an application may hold at most ${deps.quota} subscriptions.`,
    )
  }
}

/**
 * Inserts a new subscription in `store`'s transaction if its app is still under the quota, counted
 * under the app's lock: concurrent creates cannot pass the cap together.
 */
export async function insertWithinQuota(
  deps: Pick<SubscriptionDeps, 'quota'>,
  store: Store,
  row: Subscription,
): Promise<void> {
  await store.subscriptions.lockApp(row.clientId)
  await ensureQuota(deps, store, row.clientId)
  await store.subscriptions.insert(row)
}

/**
 * The device's state as the network reports it, refused when the API's service does not apply
 * (sim-swap-subscriptions answers UNSUPPORTED_IDENTIFIER, as its test definitions expect). Read
 * `within` the creation transaction, it is the state there, locked until the commit (see
 * `NetworkPort.snapshot`): a change of the device in flight is waited for, and one that comes
 * later waits for this subscription and then notifies it. The initial event is built from that
 * state, never from a read made before the transaction, so the sink's first word is never older
 * than the change that follows it.
 */
async function applicableState(
  deps: Pick<SubscriptionDeps, 'network'>,
  api: SubscriptionApi,
  device: DeviceIdentity,
  within?: Store,
): Promise<DeviceFacts> {
  try {
    // The switch of the API watched covers its subscriptions; the subscription API's own name
    // covers only them (issue 14).
    const apis: DeviceApi[] = [api.serviceApi]
    if ((DEVICE_APIS as readonly string[]).includes(api.name)) apis.push(api.name)
    const state = await deps.network.snapshot(device, apis, within)
    // Removed meanwhile: as if it had never been found.
    if (state === undefined) throw new CamaraError('IDENTIFIER_NOT_FOUND')
    return state
  } catch (error) {
    if (!(error instanceof NetworkError) || error.failure !== 'SERVICE_NOT_APPLICABLE') throw error
    const subject = api.identifier === 'phoneNumber' ? 'phone number' : 'device'
    throw new CamaraError(
      api.notApplicableCode,
      api.notApplicableCode === 'SERVICE_NOT_APPLICABLE'
        ? `The service ${api.name} is not available for this device.`
        : `The identifier provided is not supported: the service ${api.name} does not apply to this ${subject}.`,
    )
  }
}

/** An expiry time a new subscription asks for must lie ahead (400 INVALID_ARGUMENT). */
export function ensureAhead(
  deps: Pick<SubscriptionDeps, 'clock'>,
  expireTime: string | undefined,
  field: string,
): void {
  if (expireTime !== undefined && Date.parse(expireTime) <= nowMs(deps.clock))
    throw new CamaraError('INVALID_ARGUMENT', `${field} is in the past`)
}

/** What an API's create request decided; the rest of a new subscription is the same for all. */
export interface SubscriptionDraft {
  api: SubscriptionApi
  auth: AuthContext
  device: DeviceIdentity
  types: string[]
  protocol: string
  sink: string
  sinkCredential: SinkCredential | null
  /** `config` as the API shows it back. */
  config: Record<string, unknown>
  /** The single identifier a two-legged request named the device with. */
  usedIdentifier: Record<string, unknown> | undefined
  expireTime: string | undefined
  maxEvents: number | undefined
}

/**
 * A new ACTIVE subscription, for the current and the legacy APIs alike: owned by the token's app
 * (and subscriber, when three-legged), starting now, ending at its expiry or its sink token's.
 */
export function newSubscription(
  deps: Pick<SubscriptionDeps, 'clock'>,
  draft: SubscriptionDraft,
): Subscription {
  const now = deps.clock().toISOString()
  const tokenExpiry = draft.sinkCredential?.accessTokenExpiresUtc
  return {
    id: newId(),
    api: draft.api.name,
    clientId: draft.auth.clientId,
    deviceId: draft.device.id,
    sub: draft.auth.deviceId === undefined ? null : draft.auth.sub,
    types: draft.types,
    protocol: draft.protocol,
    sink: draft.sink,
    sinkCredential: draft.sinkCredential,
    sinkExpiresAt: tokenExpiry === undefined ? null : new Date(tokenExpiry).toISOString(),
    config: draft.config,
    ...(draft.usedIdentifier === undefined ? {} : { usedIdentifier: draft.usedIdentifier }),
    expiresAt: draft.expireTime === undefined ? null : new Date(draft.expireTime).toISOString(),
    // The spec sets no upper bound; more than 2³¹−1 events is as good as no limit, and it is what
    // the column holds on PostgreSQL.
    maxEvents: draft.maxEvents === undefined ? null : Math.min(draft.maxEvents, 2 ** 31 - 1),
    eventsSent: 0,
    status: 'ACTIVE',
    startsAt: now,
    endedAt: null,
    terminationReason: null,
    createdAt: now,
  }
}

/** `POST /subscriptions`: validates, identifies the device, stores, and sends the initial event if asked. */
export async function createSubscription(
  deps: SubscriptionDeps,
  api: SubscriptionApi,
  input: { auth: AuthContext; body: SubscriptionRequest },
): Promise<Record<string, unknown>> {
  const { auth, body } = input
  const fullType = body.types[0] ?? ''
  const type = fullType.slice(api.prefix.length)
  if (!auth.scopes.has(createScope(api, type))) {
    // The guard let through a token holding another type's create scope (CAMARA 403.5).
    throw new CamaraError(
      'SUBSCRIPTION_MISMATCH',
      'Inconsistent access token for requested events subscription',
    )
  }
  // The quota comes first after the scope: an app at its cap learns that before anything else is
  // checked or resolved. It is counted again, under the app's lock, where the row is inserted.
  await ensureQuota(deps, deps.store, auth.clientId)
  if (body.protocol !== 'HTTP') throw new CamaraError('INVALID_PROTOCOL', 'Only HTTP is supported')
  const credential = checkCredential(body.sinkCredential, nowMs(deps.clock))
  const sinkProblem = await checkSink(body.sink, deps.sinkPolicy)
  if (sinkProblem !== undefined) throw new CamaraError(api.sinkCode, sinkProblem)
  const { config } = body
  ensureAhead(deps, config.subscriptionExpireTime, 'config.subscriptionExpireTime')

  const detail = config.subscriptionDetail
  const { device, deviceResponse } = await identifyDevice(deps, {
    auth,
    device:
      api.identifier === 'device'
        ? detail.device
        : detail.phoneNumber === undefined
          ? undefined
          : { phoneNumber: detail.phoneNumber },
    supported: api.identifier === 'device' ? V1_IDENTIFIERS : ['phoneNumber'],
  })
  await applicableState(deps, api, device)

  // Data minimisation (ESG §2.2.2): three-legged subscriptions show no device identifier.
  const shownDetail = auth.deviceId === undefined ? detail : {}
  const shownConfig = {
    subscriptionDetail: shownDetail,
    ...(config.subscriptionExpireTime === undefined
      ? {}
      : { subscriptionExpireTime: config.subscriptionExpireTime }),
    ...(config.subscriptionMaxEvents === undefined
      ? {}
      : { subscriptionMaxEvents: config.subscriptionMaxEvents }),
    ...(config.initialEvent === undefined || !api.supportsInitialEvent
      ? {}
      : { initialEvent: config.initialEvent }),
  }
  const row = newSubscription(deps, {
    api,
    auth,
    device,
    types: [fullType],
    protocol: body.protocol,
    sink: body.sink,
    sinkCredential: credential ?? null,
    config: shownConfig,
    usedIdentifier: deviceResponse,
    expireTime: config.subscriptionExpireTime,
    maxEvents: config.subscriptionMaxEvents,
  })
  // Before the row exists: the network watches the device for it and knows its current state.
  const watched = await watchFor(deps, row, device, api.serviceApi, [type])
  await deps.store
    .transaction(async (store) => {
      const current = await applicableState(deps, api, device, store)
      await insertWithinQuota(deps, store, row)
      // subscription-started first: the sink's line delivers it before the initial event.
      const outbox = { store, source: deps.source, clock: deps.clock }
      await announceStart(outbox, row)
      if (config.initialEvent === true && api.supportsInitialEvent) {
        const data = api.initialEvent(type, current)
        if (data !== undefined) await emitStateEvent(outbox, row, type, data)
      }
    })
    .catch(async (error: unknown) => {
      await watched?.undo()
      throw error
    })
  deps.kick()
  return subscriptionView(row)
}

/** Asks a watching network (a NEF) to watch the device for a new subscription, before it is stored. */
export function watchFor(
  deps: Pick<SubscriptionDeps, 'watch'>,
  row: Subscription,
  device: DeviceIdentity,
  api: DeviceApi,
  types: readonly string[],
): Promise<{ undo(): Promise<void> }> | undefined {
  return deps.watch?.watch({
    subscriptionId: row.id,
    device,
    api,
    types,
    expiresAt: row.expiresAt,
    maxEvents: row.maxEvents,
  })
}

/**
 * The subscriptions a caller may see: its app's live ones (ACTIVE, or INACTIVE while the service
 * does not apply), and for a three-legged token only its subscriber's.
 */
export function visible(row: Subscription, api: SubscriptionApi, auth: AuthContext): boolean {
  return (
    row.api === api.name &&
    row.clientId === auth.clientId &&
    (auth.deviceId === undefined || row.sub === auth.sub) &&
    LIVE_STATUSES.includes(row.status)
  )
}

export async function listSubscriptions(
  deps: Pick<SubscriptionDeps, 'store'>,
  api: SubscriptionApi,
  auth: AuthContext,
): Promise<Record<string, unknown>[]> {
  const rows = await deps.store.subscriptions.list({
    clientId: auth.clientId,
    api: api.name,
    status: LIVE_STATUSES,
  })
  return rows.filter((row) => visible(row, api, auth)).map(subscriptionView)
}

function notFound(): CamaraError {
  return new CamaraError('NOT_FOUND', 'The specified resource is not found.')
}

export async function ownSubscription(
  store: Store,
  api: SubscriptionApi,
  auth: AuthContext,
  id: string,
): Promise<Subscription> {
  const row = await store.subscriptions.byId(id)
  if (row === undefined || !visible(row, api, auth)) throw notFound()
  return row
}

/**
 * Ends the caller's subscription with SUBSCRIPTION_DELETED, in `store`'s transaction. One that a
 * concurrent DELETE, expiry or network change ended first is 404, as an unknown one: it was
 * ended once, and its sink told once.
 */
export async function deleteOwnSubscription(
  deps: Pick<SubscriptionDeps, 'source' | 'clock'>,
  store: Store,
  api: SubscriptionApi,
  auth: AuthContext,
  id: string,
): Promise<void> {
  const row = await ownSubscription(store, api, auth, id)
  const outbox = { store, source: deps.source, clock: deps.clock }
  if (!(await endSubscription(outbox, row, 'SUBSCRIPTION_DELETED'))) throw notFound()
}

export async function getSubscription(
  deps: Pick<SubscriptionDeps, 'store'>,
  api: SubscriptionApi,
  auth: AuthContext,
  id: string,
): Promise<Record<string, unknown>> {
  return subscriptionView(await ownSubscription(deps.store, api, auth, id))
}

/** `DELETE /subscriptions/{id}`: ends it with SUBSCRIPTION_DELETED, notifying the sink. */
export async function deleteSubscription(
  deps: SubscriptionDeps,
  api: SubscriptionApi,
  auth: AuthContext,
  id: string,
): Promise<void> {
  await deps.store.transaction((store) => deleteOwnSubscription(deps, store, api, auth, id))
  deps.kick()
  await deps.watch?.unwatch(id)
}
