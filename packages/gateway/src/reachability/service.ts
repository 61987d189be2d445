import type { ReachabilityStatusResponse } from '@device-status/contract'
import type { AuthContext } from '../core/auth-context.js'
import { retrieveFor, type RequestDevice } from '../device/identify.js'
import type { NetworkPort } from '../network/port.js'

/** `ReachabilityStatusResponse` of device-reachability-status 1.1.0, the spec's type (from the contract). */
export type { ReachabilityStatusResponse }

/** `POST /device-reachability-status/v1/retrieve` (getReachabilityStatus). */
export function retrieveReachabilityStatus(
  deps: { network: NetworkPort },
  input: { auth: AuthContext; body: { device?: RequestDevice } },
): Promise<ReachabilityStatusResponse> {
  return retrieveFor(deps, input, async (device) => {
    const fact = await deps.network.reachability(device, 'device-reachability-status')
    const reachable = fact.connectivity.length > 0
    const response: ReachabilityStatusResponse = { lastStatusTime: fact.statusTime, reachable }
    // The test definitions: an unreachable device has no `connectivity` property.
    if (reachable) response.connectivity = [...fact.connectivity]
    return response
  })
}
