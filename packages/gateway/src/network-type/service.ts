import type { ConnectedNetworkTypeResponse } from '@device-status/contract'
import type { AuthContext } from '../core/auth-context.js'
import { retrieveFor, type RequestDevice } from '../device/identify.js'
import type { MaybePromise } from '../core/maybe-promise.js'
import type { NetworkPort, NetworkTypePort } from '../network/port.js'

/** `ConnectedNetworkTypeResponse` of connected-network-type 0.2.0, the spec's type (from the contract). */
export type { ConnectedNetworkTypeResponse }

/** `POST /connected-network-type/v0.2/retrieve` (getConnectedNetworkType). */
export function retrieveConnectedNetworkType(
  deps: { network: NetworkPort; networkType: NetworkTypePort },
  input: { auth: AuthContext; body: { device?: RequestDevice } },
): MaybePromise<ConnectedNetworkTypeResponse> {
  return retrieveFor(deps, input, async (device) => {
    const fact = await deps.networkType.networkType(device, 'connected-network-type')
    // UNKNOWN: "the connection technology can not be determined" (not reachable, or not on a
    // mobile network).
    return {
      lastStatusTime: fact.statusTime,
      connectedNetworkType: fact.networkType ?? 'UNKNOWN',
    }
  })
}
