import { isIPv4, isIPv6 } from 'node:net'
import type { DeviceIdentity } from '../core/device.js'
import type { NetworkPort } from '../network/port.js'

export interface NetworkAuthConfig {
  /** Addresses of proxies whose header enrichment is trusted (`x-msisdn`, `x-forwarded-for`). */
  trustedProxies: readonly string[]
}

export interface RequestOrigin {
  address: string | undefined
  port: number | undefined
  headers: Record<string, string | string[] | undefined>
}

function first(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value
}

/** `::ffff:84.125.93.10` → `84.125.93.10`. */
function plainAddress(address: string): string {
  return address.startsWith('::ffff:') && isIPv4(address.slice(7)) ? address.slice(7) : address
}

/**
 * The client's address in `x-forwarded-for`: the rightmost hop that is not a trusted proxy. Each
 * proxy appends the address it received the request from, so everything left of that hop was
 * written by the client itself and proves nothing.
 */
function clientHop(
  header: string | string[] | undefined,
  trustedProxies: readonly string[],
): string | undefined {
  const hops = (Array.isArray(header) ? header.join(',') : (header ?? ''))
    .split(',')
    .map((hop) => plainAddress(hop.trim()))
    .filter((hop) => hop !== '')
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = hops[i]
    if (hop !== undefined && !trustedProxies.includes(hop)) return hop
  }
  return undefined
}

/**
 * Network-based authentication (CAMARA ICM: the device is the one the request comes from): the
 * source IP and port matched against the network's devices, or, from a trusted proxy, its
 * header enrichment (`x-msisdn` with the subscriber's number, or the client's `x-forwarded-for` hop).
 */
export async function authenticateByNetwork(
  deps: { network: NetworkPort; config: NetworkAuthConfig },
  origin: RequestOrigin,
): Promise<DeviceIdentity | undefined> {
  let address = origin.address === undefined ? undefined : plainAddress(origin.address)
  let port = origin.port
  if (address !== undefined && deps.config.trustedProxies.includes(address)) {
    const msisdn = first(origin.headers['x-msisdn'])?.trim()
    if (msisdn !== undefined && msisdn !== '') {
      return deps.network.find({
        kind: 'phoneNumber',
        phoneNumber: msisdn.startsWith('+') ? msisdn : `+${msisdn}`,
      })
    }
    const forwarded = clientHop(origin.headers['x-forwarded-for'], deps.config.trustedProxies)
    if (forwarded !== undefined) {
      address = forwarded
      port = undefined
    }
  }
  if (address === undefined) return undefined
  if (isIPv6(address)) return deps.network.find({ kind: 'ipv6Address', ipv6Address: address })
  if (!isIPv4(address)) return undefined
  return deps.network.find({
    kind: 'ipv4Address',
    publicAddress: address,
    ...(port === undefined ? {} : { publicPort: port }),
  })
}
