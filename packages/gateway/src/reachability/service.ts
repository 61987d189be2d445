import type { ReachabilityStatusResponse } from '@device-status/contract'
import type { AuthContext } from '../core/auth-context.js'
import { retrieveFor, type RequestDevice } from '../device/identify.js'
import { after, type MaybePromise } from '../core/maybe-promise.js'
import type { NetworkPort, ReachabilityFact } from '../network/port.js'

/** `ReachabilityStatusResponse` of device-reachability-status 1.1.0, the spec's type (from the contract). */
export type { ReachabilityStatusResponse }

/** `POST /device-reachability-status/v1/retrieve` (getReachabilityStatus). */
export function retrieveReachabilityStatus(
  deps: { network: NetworkPort },
  input: { auth: AuthContext; body: { device?: RequestDevice } },
): MaybePromise<ReachabilityStatusResponse> {
  return retrieveFor(deps, input, (device) =>
    after(deps.network.reachability(device, 'device-reachability-status'), reachabilityResponse),
  )
}

function reachabilityResponse(fact: ReachabilityFact): ReachabilityStatusResponse {
  const reachable = fact.connectivity.length > 0
  const response: ReachabilityStatusResponse = { lastStatusTime: fact.statusTime, reachable }
  // The test definitions: an unreachable device has no `connectivity` property.
  if (reachable) response.connectivity = [...fact.connectivity]
  return response
}
