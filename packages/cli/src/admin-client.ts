import { CliError } from './errors.js'

import type { DeviceStateInput, DeviceView, ScenarioRun } from '@device-status/gateway/admin'

// The admin API's shapes come from the gateway's light `admin` entry point (no server code).
export type { ScenarioRun, ScenarioStep } from '@device-status/gateway/admin'
export { CONNECTIVITY_TYPES, DEVICE_APIS, NETWORK_TYPES } from '@device-status/gateway/admin'

/** A device's state as PUT and PATCH take it; every field optional. */
export type DeviceState = DeviceStateInput

/** A device as the admin API shows it. */
export type Device = DeviceView

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
}

/** A client of the simulator's admin API (`/network/v1/…`, `Authorization: Bearer $ADMIN_TOKEN`). */
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
  return {
    listDevices: () => request('GET', '/network/v1/devices'),
    getDevice: (phoneNumber) => request('GET', device(phoneNumber)),
    putDevice: (phoneNumber, state) => request('PUT', device(phoneNumber), state),
    patchDevice: (phoneNumber, state) => request('PATCH', device(phoneNumber), state),
    deleteDevice: (phoneNumber) => request('DELETE', device(phoneNumber)),
    startScenario: (scenario) => request('POST', '/network/v1/scenarios', scenario),
    getScenario: (id) => request('GET', `/network/v1/scenarios/${encodeURIComponent(id)}`),
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
