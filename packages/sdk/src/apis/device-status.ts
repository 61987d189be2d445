import type { Session } from '../auth/session.js'
import type { CallOptions } from '../options.js'
import { booleanField, callApi, dateField, deviceBody, stringField } from './call.js'
import type {
  ConnectedNetworkTypeStatus,
  Device,
  LegacyConnectivityStatus,
  LegacyRoamingStatus,
  ReachabilityStatus,
  RoamingStatus,
} from './types.js'

/** Scopes of the Device Status family: roaming v1, reachability v1, network type v0.2, legacy v0. */
export const DEVICE_STATUS_SCOPES: readonly string[] = [
  'device-roaming-status:read',
  'device-reachability-status:read',
  'connected-network-type:read',
  'device-status:roaming:read',
  'device-status:connectivity:read',
]

function countryNamesOf(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : []
}

function echoedDevice(value: unknown): { device?: Device } {
  return typeof value === 'object' && value !== null ? { device: value } : {}
}

/**
 * `POST /device-roaming-status/v1/retrieve`.
 *
 * @param session - the authorized session
 * @param device - the device, for two-legged sessions (default: the session's)
 * @param call - signal, timeout, correlator
 * @returns the roaming status
 * @throws {@link ApiError}, {@link AuthError}, {@link NetworkError}, {@link TimeoutError}, and
 *   {@link InvalidResponseError} when the answer lacks a required field
 */
export async function retrieveRoamingStatus(
  session: Session,
  device?: Device,
  call?: CallOptions,
): Promise<RoamingStatus> {
  const answer = await callApi(
    session,
    '/device-roaming-status/v1/retrieve',
    deviceBody(session, device),
    call,
  )
  const { body, correlator } = answer
  return {
    roaming: booleanField(answer, 'roaming'),
    ...(typeof body['countryCode'] === 'number' ? { countryCode: body['countryCode'] } : {}),
    countryNames: countryNamesOf(body['countryName']),
    lastStatusTime: dateField(answer, 'lastStatusTime'),
    ...echoedDevice(body['device']),
    correlator,
  }
}

/**
 * `POST /device-reachability-status/v1/retrieve`.
 *
 * @param session - the authorized session
 * @param device - the device, for two-legged sessions (default: the session's)
 * @param call - signal, timeout, correlator
 * @returns the reachability status
 * @throws {@link InvalidResponseError} when the answer lacks a required field
 */
export async function retrieveReachabilityStatus(
  session: Session,
  device?: Device,
  call?: CallOptions,
): Promise<ReachabilityStatus> {
  const answer = await callApi(
    session,
    '/device-reachability-status/v1/retrieve',
    deviceBody(session, device),
    call,
  )
  const { body, correlator } = answer
  return {
    reachable: booleanField(answer, 'reachable'),
    connectivity: Array.isArray(body['connectivity'])
      ? (body['connectivity'] as ('DATA' | 'SMS')[])
      : [],
    lastStatusTime: dateField(answer, 'lastStatusTime'),
    ...echoedDevice(body['device']),
    correlator,
  }
}

/**
 * `POST /connected-network-type/v0.2/retrieve`.
 *
 * @param session - the authorized session
 * @param device - the device, for two-legged sessions (default: the session's)
 * @param call - signal, timeout, correlator
 * @returns the network type
 * @throws {@link InvalidResponseError} when the answer lacks a required field
 */
export async function retrieveConnectedNetworkType(
  session: Session,
  device?: Device,
  call?: CallOptions,
): Promise<ConnectedNetworkTypeStatus> {
  const answer = await callApi(
    session,
    '/connected-network-type/v0.2/retrieve',
    deviceBody(session, device),
    call,
  )
  const { body, correlator } = answer
  return {
    connectedNetworkType: stringField(
      answer,
      'connectedNetworkType',
    ) as ConnectedNetworkTypeStatus['connectedNetworkType'],
    lastStatusTime: dateField(answer, 'lastStatusTime'),
    ...echoedDevice(body['device']),
    correlator,
  }
}

/**
 * Legacy `POST /device-status/v0/roaming` (device-status v0.5.1; the vendor docs' call).
 *
 * @param session - the authorized session
 * @param device - the device, for two-legged sessions (default: the session's)
 * @param call - signal, timeout, correlator
 * @returns the roaming status
 * @throws {@link InvalidResponseError} when the answer lacks a required field
 */
export async function retrieveLegacyRoamingStatus(
  session: Session,
  device?: Device,
  call?: CallOptions,
): Promise<LegacyRoamingStatus> {
  const answer = await callApi(
    session,
    '/device-status/v0/roaming',
    deviceBody(session, device),
    call,
  )
  const { body, correlator } = answer
  return {
    roaming: booleanField(answer, 'roaming'),
    ...(typeof body['countryCode'] === 'number' ? { countryCode: body['countryCode'] } : {}),
    countryNames: countryNamesOf(body['countryName']),
    correlator,
  }
}

/**
 * Legacy `POST /device-status/v0/connectivity` (device-status v0.5.1).
 *
 * @param session - the authorized session
 * @param device - the device, for two-legged sessions (default: the session's)
 * @param call - signal, timeout, correlator
 * @returns the connectivity status
 * @throws {@link InvalidResponseError} when the answer lacks a required field
 */
export async function retrieveLegacyConnectivityStatus(
  session: Session,
  device?: Device,
  call?: CallOptions,
): Promise<LegacyConnectivityStatus> {
  const answer = await callApi(
    session,
    '/device-status/v0/connectivity',
    deviceBody(session, device),
    call,
  )
  const { correlator } = answer
  return {
    connectivityStatus: stringField(
      answer,
      'connectivityStatus',
    ) as LegacyConnectivityStatus['connectivityStatus'],
    correlator,
  }
}
