import type { ReachabilityStatusResponse } from '@device-status/contract'
import type { AuthContext } from '../core/auth-context.js'
import {
  ensureServiceAvailable,
  identifyDevice,
  withDevice,
  V1_IDENTIFIERS,
  type RequestDevice,
} from '../device/identify.js'
import type { NetworkPort } from '../network/port.js'

/** `ReachabilityStatusResponse` of device-reachability-status 1.1.0, the spec's type (from the contract). */
export type { ReachabilityStatusResponse }

/** `POST /device-reachability-status/v1/retrieve` (getReachabilityStatus). */
export async function retrieveReachabilityStatus(
  deps: { network: NetworkPort },
  input: { auth: AuthContext; body: { device?: RequestDevice } },
): Promise<ReachabilityStatusResponse> {
  const { device, deviceResponse } = await identifyDevice(deps, {
    auth: input.auth,
    device: input.body.device,
    supported: V1_IDENTIFIERS,
  })
  ensureServiceAvailable(device, 'device-reachability-status')
  const reachable = device.connectivity.length > 0
  const response: ReachabilityStatusResponse = {
    lastStatusTime: device.statusTime.connectivity,
    reachable,
  }
  // The test definitions: an unreachable device has no `connectivity` property.
  if (reachable) response.connectivity = [...device.connectivity]
  return deviceResponse === undefined ? response : withDevice(deviceResponse, response)
}
