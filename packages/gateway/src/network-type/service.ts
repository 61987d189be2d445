import type { ConnectedNetworkTypeResponse } from '@device-status/contract'
import type { AuthContext } from '../core/auth-context.js'
import {
  ensureServiceAvailable,
  identifyDevice,
  withDevice,
  V1_IDENTIFIERS,
  type RequestDevice,
} from '../device/identify.js'
import { connectedNetworkType } from '../core/device.js'
import type { NetworkPort } from '../network/port.js'

/** `ConnectedNetworkTypeResponse` of connected-network-type 0.2.0, the spec's type (from the contract). */
export type { ConnectedNetworkTypeResponse }

/** `POST /connected-network-type/v0.2/retrieve` (getConnectedNetworkType). */
export async function retrieveConnectedNetworkType(
  deps: { network: NetworkPort },
  input: { auth: AuthContext; body: { device?: RequestDevice } },
): Promise<ConnectedNetworkTypeResponse> {
  const { device, deviceResponse } = await identifyDevice(deps, {
    auth: input.auth,
    device: input.body.device,
    supported: V1_IDENTIFIERS,
  })
  ensureServiceAvailable(device, 'connected-network-type')
  const response: ConnectedNetworkTypeResponse = {
    lastStatusTime: device.statusTime.networkType,
    // UNKNOWN: "the connection technology can not be determined" (not reachable, or not on a
    // mobile network).
    connectedNetworkType: connectedNetworkType(device) ?? 'UNKNOWN',
  }
  return deviceResponse === undefined ? response : withDevice(deviceResponse, response)
}
