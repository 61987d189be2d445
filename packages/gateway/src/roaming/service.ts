import type { RoamingStatusResponse } from '@device-status/contract'
import type { AuthContext } from '../core/auth-context.js'
import { retrieveFor, type RequestDevice } from '../device/identify.js'
import { countryNamesForMcc } from '../core/mcc.js'
import { after, type MaybePromise } from '../core/maybe-promise.js'
import type { NetworkPort, RoamingFact } from '../network/port.js'

/** `RoamingStatusResponse` of device-roaming-status 1.1.0, the spec's type (from the contract). */
export type { RoamingStatusResponse }

/**
 * `POST /device-roaming-status/v1/retrieve` (getRoamingStatus): the answer itself when the
 * network has the device and its facts in memory, else a promise; never throws.
 */
export function retrieveRoamingStatus(
  deps: { network: NetworkPort },
  input: { auth: AuthContext; body: { device?: RequestDevice } },
): MaybePromise<RoamingStatusResponse> {
  return retrieveFor(deps, input, (device) =>
    after(deps.network.roaming(device, 'device-roaming-status'), roamingResponse),
  )
}

/**
 * Built property by property, in the spec's order: object spreads are a slow path on the hottest
 * call of the gateway (measured in npm run bench).
 */
function roamingResponse(fact: RoamingFact): RoamingStatusResponse {
  const response: RoamingStatusResponse = { lastStatusTime: fact.statusTime, roaming: false }
  const mcc = fact.countryCode
  if (mcc !== null) {
    response.roaming = true
    response.countryCode = mcc
    response.countryName = countryNamesForMcc(mcc)
  }
  return response
}
