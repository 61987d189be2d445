import { CliError } from './errors.js'

import type { DeviceStateInput } from '@device-status/contract'
import type { DeviceView, ScenarioRun } from '@device-status/gateway/admin'

// The admin API's bodies, value lists and app shapes are the contract shared with the gateway;
// the simulator's views come from the gateway's light `admin` entry point (no server code).
export type { ScenarioRun, ScenarioStep } from '@device-status/gateway/admin'
export {
  APP_MODES,
  AUTH_METHODS,
  CONNECTIVITY_TYPES,
  DEVICE_APIS,
  GRANT_TYPES,
  NETWORK_TYPES,
  type App,
  type AppInput,
  type AuthMethod,
  type GrantType,
  type Jwk,
  type ProfileMode as AppMode,
} from '@device-status/contract'
import type { App, AppInput } from '@device-status/contract'

/** A device's state as PUT and PATCH take it; every field optional. */
export type DeviceState = DeviceStateInput

/** A device as the admin API shows it. */
export type Device = DeviceView

/** A created app; `clientSecret` when the gateway generated one (shown this once). */
export type CreatedApp = App & { clientSecret?: string }

export const CONSENT_STATUSES = ['granted', 'denied', 'revoked'] as const
export type ConsentStatus = (typeof CONSENT_STATUSES)[number]

export interface Consent {
  id: string
  clientId: string
  /** `null` when the device was removed since. */
  phoneNumber: string | null
  purpose: string
  scopes: string[]
  status: ConsentStatus
  createdAt: string
  updatedAt: string
}

export interface ConsentFilter {
  phoneNumber?: string
  clientId?: string
  status?: ConsentStatus
}

/**
 * An authorization request waiting for (or past) the user's decision: a CIBA request, or an
 * authorization-code request at the gateway's consent page.
 */
export interface Authorization {
  /** What approve and deny take: the CIBA `auth_req_id`, or the authorization's interaction uid. */
  id: string
  flow: 'ciba' | 'authorization_code'
  /** CIBA only. */
  authReqId?: string
  clientId: string
  phoneNumber: string | null
  purpose: string
  scopes: string[]
  status: string
  createdAt: string
  expiresAt: string
}

export type Decision = 'approve' | 'deny'

export interface SigningKey {
  kid: string
  alg: string
  current: boolean
  retired: boolean
}

/** `pending`: the head of its subscription's line (being delivered, or retried); `queued`: behind it. */
export const DELIVERY_STATUSES = ['pending', 'queued', 'delivered', 'failed', 'cancelled'] as const
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number]

export interface Delivery {
  id: string
  subscriptionId: string
  /** The CloudEvent type, e.g. `org.camaraproject.device-roaming-status-subscriptions.v0.roaming-on`. */
  type: string
  status: DeliveryStatus
  attempts: number
  lastError: string | null
  createdAt: string
  deliveredAt: string | null
  nextAttemptAt: string | null
  history: {
    attempt: number
    at: string
    statusCode: number | null
    error: string | null
    durationMs: number
  }[]
}

export interface DeliveryFilter {
  status?: DeliveryStatus
  subscriptionId?: string
  limit?: number
}

/** A change of a simulated device, as `GET /network/v1/events` lists them. */
export interface NetworkEvent {
  seq: number
  id: string
  deviceId: string
  phoneNumber: string
  type: string
  before: Record<string, unknown> | null
  after: Record<string, unknown> | null
  occurredAt: string
}

export interface EventFilter {
  phoneNumber?: string
  after?: number
  limit?: number
}

export interface AdminClientOptions {
  /** Base URL of the gateway, e.g. `http://127.0.0.1:8080`. */
  url: string
  adminToken: string
  fetch?: typeof fetch
}

export interface AdminClient {
  listDevices(): Promise<Device[]>
  getDevice(phoneNumber: string): Promise<Device>
  putDevice(phoneNumber: string, state: DeviceState): Promise<Device>
  patchDevice(phoneNumber: string, state: DeviceState): Promise<Device>
  deleteDevice(phoneNumber: string): Promise<void>
  startScenario(scenario: unknown): Promise<ScenarioRun>
  getScenario(id: string): Promise<ScenarioRun>
  listScenarios(): Promise<ScenarioRun[]>
  cancelScenario(id: string): Promise<ScenarioRun>
  listEvents(filter?: EventFilter): Promise<NetworkEvent[]>
  listApps(): Promise<App[]>
  getApp(clientId: string): Promise<App>
  createApp(input: AppInput): Promise<CreatedApp>
  rotateSecret(clientId: string): Promise<{ clientId: string; clientSecret: string }>
  deleteApp(clientId: string): Promise<void>
  listConsents(filter?: ConsentFilter): Promise<Consent[]>
  revokeConsent(id: string): Promise<{ id: string; status: 'revoked' }>
  listAuthorizations(filter?: { status?: string }): Promise<Authorization[]>
  decideAuthorization(
    id: string,
    decision: Decision,
  ): Promise<{ id: string; flow: string; authReqId?: string; status: string }>
  listKeys(): Promise<SigningKey[]>
  rotateKeys(): Promise<{ kid: string }>
  listDeliveries(filter?: DeliveryFilter): Promise<Delivery[]>
}

/** `?a=1&b=x` of the fields that are set, or `''`. */
function query(params: Readonly<Record<string, string | number | undefined>>): string {
  const search = new URLSearchParams()
  for (const [name, value] of Object.entries(params)) {
    if (value !== undefined) search.set(name, String(value))
  }
  const text = search.toString()
  return text === '' ? '' : `?${text}`
}

/**
 * A client of the gateway's admin APIs: the simulator (`/network/v1/…`) and the developer hub and
 * consents (`/admin/v1/…`), with `Authorization: Bearer $ADMIN_TOKEN`.
 */
export function adminClient(options: AdminClientOptions): AdminClient {
  const base = options.url.replace(/\/+$/, '')
  const request = async <TBody>(method: string, path: string, body?: unknown): Promise<TBody> => {
    const response = await send(options, base, method, path, body)
    const text = await response.text()
    const parsed = parseJson(text)
    if (!response.ok) throw apiError(method, path, response.status, parsed, text)
    return parsed as TBody
  }
  const device = (phoneNumber: string) => `/network/v1/devices/${encodeURIComponent(phoneNumber)}`
  const app = (clientId: string) => `/admin/v1/apps/${encodeURIComponent(clientId)}`
  return {
    listDevices: () => request('GET', '/network/v1/devices'),
    getDevice: (phoneNumber) => request('GET', device(phoneNumber)),
    putDevice: (phoneNumber, state) => request('PUT', device(phoneNumber), state),
    patchDevice: (phoneNumber, state) => request('PATCH', device(phoneNumber), state),
    deleteDevice: (phoneNumber) => request('DELETE', device(phoneNumber)),
    startScenario: (scenario) => request('POST', '/network/v1/scenarios', scenario),
    getScenario: (id) => request('GET', `/network/v1/scenarios/${encodeURIComponent(id)}`),
    listScenarios: () => request('GET', '/network/v1/scenarios'),
    cancelScenario: (id) => request('DELETE', `/network/v1/scenarios/${encodeURIComponent(id)}`),
    listEvents: (filter = {}) =>
      request(
        'GET',
        `/network/v1/events${query({ phoneNumber: filter.phoneNumber, after: filter.after, limit: filter.limit })}`,
      ),
    listApps: () => request('GET', '/admin/v1/apps'),
    getApp: (clientId) => request('GET', app(clientId)),
    createApp: (input) => request('POST', '/admin/v1/apps', input),
    rotateSecret: (clientId) => request('POST', `${app(clientId)}/secret`),
    deleteApp: (clientId) => request('DELETE', app(clientId)),
    listConsents: (filter = {}) =>
      request(
        'GET',
        `/admin/v1/consents${query({ phoneNumber: filter.phoneNumber, clientId: filter.clientId, status: filter.status })}`,
      ),
    revokeConsent: (id) => request('DELETE', `/admin/v1/consents/${encodeURIComponent(id)}`),
    listAuthorizations: (filter = {}) =>
      request('GET', `/admin/v1/authorizations${query({ status: filter.status })}`),
    decideAuthorization: (id, decision) =>
      request('POST', `/admin/v1/authorizations/${encodeURIComponent(id)}/${decision}`),
    listKeys: () => request('GET', '/admin/v1/keys'),
    rotateKeys: () => request('POST', '/admin/v1/keys/rotate'),
    listDeliveries: (filter = {}) =>
      request(
        'GET',
        `/admin/v1/deliveries${query({ status: filter.status, subscriptionId: filter.subscriptionId, limit: filter.limit })}`,
      ),
  }
}

async function send(
  options: AdminClientOptions,
  base: string,
  method: string,
  path: string,
  body: unknown,
): Promise<Response> {
  const doFetch = options.fetch ?? fetch
  try {
    return await doFetch(base + path, {
      method,
      headers: {
        accept: 'application/json',
        authorization: `Bearer ${options.adminToken}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    })
  } catch (error) {
    throw unreachable(base, error)
  }
}

/** fetch rejects with `TypeError: fetch failed`; the reason is in its cause (`ECONNREFUSED`, …). */
function unreachable(base: string, error: unknown): CliError {
  const cause = error instanceof Error ? error.cause : undefined
  const code =
    typeof cause === 'object' && cause !== null && 'code' in cause ? String(cause.code) : undefined
  if (code === 'ECONNREFUSED') {
    return new CliError('GATEWAY_UNREACHABLE', `the gateway is not running at ${base}`, {
      cause: error,
      hint: 'Start it with "device-status start" (or "npm start"), or point at another one with --url or DEVICE_STATUS_URL.',
    })
  }
  const reason =
    cause instanceof Error ? cause.message : error instanceof Error ? error.message : String(error)
  return new CliError('GATEWAY_UNREACHABLE', `cannot reach the gateway at ${base}: ${reason}`, {
    cause: error,
    hint: 'Check --url or DEVICE_STATUS_URL.',
  })
}

function parseJson(text: string): unknown {
  if (text === '') return undefined
  try {
    return JSON.parse(text) as unknown
  } catch {
    return undefined
  }
}

/** A CAMARA error body `{status, code, message}` becomes a CliError with that code and message. */
function apiError(
  method: string,
  path: string,
  status: number,
  body: unknown,
  text: string,
): CliError {
  if (typeof body === 'object' && body !== null && 'code' in body && 'message' in body) {
    const { code, message } = body
    if (typeof code === 'string' && typeof message === 'string') {
      const hint =
        code === 'UNAUTHENTICATED'
          ? 'Pass the admin token the gateway printed with --admin-token or ADMIN_TOKEN.'
          : undefined
      return new CliError(code, message, hint === undefined ? {} : { hint })
    }
  }
  const snippet = text.length > 200 ? `${text.slice(0, 200)}…` : text
  return new CliError(
    `HTTP_${status}`,
    `${method} ${path} answered ${status}${snippet === '' ? '' : `: ${snippet}`}`,
  )
}
