import type { AuthContext } from '../core/auth-context.js'
import { selectorFor, type IdentifierKind, type RequestDevice } from '../device/identify.js'
import { CamaraError } from '../core/camara-error.js'
import type { DeviceIdentity } from '../core/device.js'
import type { MaybePromise } from '../core/maybe-promise.js'
import type { NetworkPort } from '../network/port.js'
import { visitedCountry } from '../core/mcc.js'
import { NetworkError } from '../core/network-error.js'

const V0_IDENTIFIERS: readonly IdentifierKind[] = [
  'phoneNumber',
  'ipv4Address',
  'ipv6Address',
  'networkAccessIdentifier',
]

/** v0.5.1 phone numbers may omit the '+' (`^\+?[0-9]{5,15}$`); the network keys them with it. */
function normalise(device: RequestDevice): RequestDevice {
  const phone = device.phoneNumber
  return phone === undefined || phone.startsWith('+')
    ? device
    : { ...device, phoneNumber: `+${phone}` }
}

/**
 * The subject of a v0 call: `device` is required by v0.5.1 (no 422 codes). With a three-legged
 * token it must name the token's own device (else `403 PERMISSION_DENIED`); the route fills it
 * in when a three-legged caller leaves it out. Unknown devices are `404 NOT_FOUND`, as v0.5.1 says.
 */
export async function legacySubject(
  deps: { network: NetworkPort },
  auth: AuthContext,
  requested: RequestDevice,
): Promise<DeviceIdentity> {
  const device = normalise(requested)
  let found: DeviceIdentity | undefined
  for (const kind of V0_IDENTIFIERS) {
    const selector = device[kind] === undefined ? undefined : selectorFor(kind, device)
    if (selector === undefined) continue
    found = await deps.network.find(selector)
    break
  }
  if (found === undefined)
    throw new CamaraError('NOT_FOUND', 'No device matches the identifiers provided.')
  if (auth.deviceId !== undefined && auth.deviceId !== found.id) {
    throw new CamaraError('PERMISSION_DENIED', 'The access token was issued for another device.')
  }
  return found
}

/**
 * A read of the network for a v0 call: a device the network does not know (a NEF finds out only
 * when asked) is `404 NOT_FOUND`, as v0.5.1 says, not the later APIs' IDENTIFIER_NOT_FOUND.
 */
export async function legacyRead<T>(read: () => MaybePromise<T>): Promise<T> {
  try {
    return await read()
  } catch (error) {
    if (error instanceof NetworkError && error.failure === 'UNKNOWN_DEVICE')
      throw new CamaraError('NOT_FOUND', 'No device matches the identifiers provided.')
    throw error
  }
}

/** `POST /device-status/v0/roaming` (v0.5.1 getRoamingStatus). */
export async function legacyRoamingStatus(
  deps: { network: NetworkPort },
  input: { auth: AuthContext; body: { device: RequestDevice } },
): Promise<{ roaming: boolean; countryCode?: number; countryName?: string[] }> {
  const device = await legacySubject(deps, input.auth, input.body.device)
  const country = visitedCountry(
    (await legacyRead(() => deps.network.roaming(device, 'device-status'))).countryCode,
  )
  return { roaming: country !== undefined, ...country }
}

/** `POST /device-status/v0/connectivity` (v0.5.1 getConnectivityStatus). */
export async function legacyConnectivityStatus(
  deps: { network: NetworkPort },
  input: { auth: AuthContext; body: { device: RequestDevice } },
): Promise<{ connectivityStatus: 'CONNECTED_DATA' | 'CONNECTED_SMS' | 'NOT_CONNECTED' }> {
  const device = await legacySubject(deps, input.auth, input.body.device)
  const { connectivity } = await legacyRead(() =>
    deps.network.reachability(device, 'device-status'),
  )
  const status = connectivity.includes('DATA')
    ? 'CONNECTED_DATA'
    : connectivity.includes('SMS')
      ? 'CONNECTED_SMS'
      : 'NOT_CONNECTED'
  return { connectivityStatus: status }
}
