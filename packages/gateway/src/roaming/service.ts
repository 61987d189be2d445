import type { RoamingStatusResponse } from '@device-status/contract'
import type { AuthContext } from '../core/auth-context.js'
import {
  ensureServiceAvailable,
  identifyDevice,
  withDevice,
  V1_IDENTIFIERS,
  type RequestDevice,
} from '../device/identify.js'
import { countryNamesForMcc } from '../core/mcc.js'
import type { NetworkDevice } from '../core/device.js'
import type { NetworkPort } from '../network/port.js'

/** `RoamingStatusResponse` of device-roaming-status 1.1.0, the spec's type (from the contract). */
export type { RoamingStatusResponse }

/** Visited country of a roaming device; `undefined` at home. */
export function visitedCountry(
  device: NetworkDevice,
): { countryCode: number; countryName: string[] } | undefined {
  const mcc = device.roamingCountryCode
  return mcc === null ? undefined : { countryCode: mcc, countryName: countryNamesForMcc(mcc) }
}

/** `POST /device-roaming-status/v1/retrieve` (getRoamingStatus). */
export async function retrieveRoamingStatus(
  deps: { network: NetworkPort },
  input: { auth: AuthContext; body: { device?: RequestDevice } },
): Promise<RoamingStatusResponse> {
  const { device, deviceResponse } = await identifyDevice(deps, {
    auth: input.auth,
    device: input.body.device,
    supported: V1_IDENTIFIERS,
  })
  ensureServiceAvailable(device, 'device-roaming-status')
  // Built property by property, in the spec's order: object spreads are a slow path on the
  // hottest call of the gateway (measured in npm run bench).
  const response: RoamingStatusResponse = {
    lastStatusTime: device.statusTime.roaming,
    roaming: false,
  }
  if (deviceResponse !== undefined) {
    return withDevice(deviceResponse, fillRoaming(response, device))
  }
  return fillRoaming(response, device)
}

function fillRoaming(
  response: RoamingStatusResponse,
  device: NetworkDevice,
): RoamingStatusResponse {
  const mcc = device.roamingCountryCode
  if (mcc !== null) {
    response.roaming = true
    response.countryCode = mcc
    response.countryName = countryNamesForMcc(mcc)
  }
  return response
}
