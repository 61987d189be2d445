import { lookup } from 'node:dns/promises'
import { BlockList, isIP, type LookupFunction } from 'node:net'

/** Resolves a host name to its addresses (all of them, IPv4 and IPv6). */
export type Resolve = (host: string) => Promise<string[]>

export interface SinkPolicy {
  /** Sandbox: `http://` sinks and loopback addresses are allowed (local development). */
  allowLoopback: boolean
  /** Private, shared (CGNAT) and link-local ranges; refused unless configured. */
  allowPrivate: boolean
  /**
   * How sink host names resolve, for the check at creation and for the connection of each
   * delivery alike. Default: the system resolver (`dns.lookup`, as `fetch` would use); tests
   * inject one to play a name that rebinds.
   */
  resolve?: Resolve
}

const systemResolve: Resolve = async (host) =>
  (await lookup(host, { all: true })).map((a) => a.address)

const loopback = new BlockList()
loopback.addSubnet('127.0.0.0', 8, 'ipv4')
loopback.addAddress('::1', 'ipv6')

const privateRanges = new BlockList()
for (const [net, bits] of [
  ['10.0.0.0', 8],
  ['172.16.0.0', 12],
  ['192.168.0.0', 16],
  ['100.64.0.0', 10],
  ['169.254.0.0', 16],
] as const) {
  privateRanges.addSubnet(net, bits, 'ipv4')
}
privateRanges.addSubnet('fc00::', 7, 'ipv6')
privateRanges.addSubnet('fe80::', 10, 'ipv6')

const never = new BlockList()
never.addSubnet('0.0.0.0', 8, 'ipv4')
never.addSubnet('224.0.0.0', 4, 'ipv4')
never.addSubnet('240.0.0.0', 4, 'ipv4')
never.addAddress('::', 'ipv6')
never.addSubnet('ff00::', 8, 'ipv6')

function family(address: string): 'ipv4' | 'ipv6' {
  return isIP(address) === 6 ? 'ipv6' : 'ipv4'
}

/** Why an address may not receive notifications, or `undefined` when it may. */
export function refusedAddress(address: string, policy: SinkPolicy): string | undefined {
  const plain =
    address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address
  const f = family(plain)
  if (never.check(plain, f)) return `${plain} is not a unicast address`
  if (loopback.check(plain, f))
    return policy.allowLoopback ? undefined : `${plain} is a loopback address`
  if (privateRanges.check(plain, f))
    return policy.allowPrivate ? undefined : `${plain} is in a private or link-local range`
  return undefined
}

/** A sink's URL and host (without IPv6 brackets), or why it is refused before any lookup. */
function parseSink(sink: string): { url: URL; host: string } | string {
  let url: URL
  try {
    url = new URL(sink)
  } catch {
    return 'sink is not an absolute URL'
  }
  if (url.username !== '' || url.password !== '') return 'sink must not carry credentials'
  return { url, host: url.hostname.replace(/^\[|\]$/g, '') }
}

/** Why a sink whose host resolved to `addresses` is refused, or `undefined`. */
function refusedAddresses(
  url: URL,
  host: string,
  addresses: readonly string[],
  policy: SinkPolicy,
): string | undefined {
  if (addresses.length === 0) return `sink host ${host} cannot be resolved`
  for (const address of addresses) {
    const reason = refusedAddress(address, policy)
    if (reason !== undefined) return `sink refused: ${reason}`
  }
  if (url.protocol === 'https:') return undefined
  if (
    url.protocol === 'http:' &&
    policy.allowLoopback &&
    addresses.every((a) => loopback.check(a, family(a)))
  )
    return undefined
  return 'sink must be an https URL'
}

/**
 * Checks a subscription's sink against SSRF (BRIEF §4): an absolute `https` URL (sandbox also
 * `http` to loopback), whose host resolves only to addresses the policy allows. Checked at
 * creation; a delivery checks again where it connects ({@link sinkTarget}), since the name may
 * resolve elsewhere later. Returns the reason it is refused, or `undefined`.
 */
export async function checkSink(
  sink: string,
  policy: SinkPolicy,
  resolve: Resolve = policy.resolve ?? systemResolve,
): Promise<string | undefined> {
  const parsed = parseSink(sink)
  if (typeof parsed === 'string') return parsed
  const { url, host } = parsed
  let addresses: string[]
  try {
    addresses = isIP(host) !== 0 ? [host] : await resolve(host)
  } catch {
    return `sink host ${host} cannot be resolved`
  }
  return refusedAddresses(url, host, addresses, policy)
}

/** A connection to a sink refused by the policy (or whose host does not resolve). */
export class SinkAddressError extends Error {
  readonly code = 'ESINKADDRESS'
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'SinkAddressError'
  }
}

/**
 * Where a delivery to a sink connects: its URL and a `lookup` for `net.connect` that resolves
 * the host, applies the policy to every address it resolved to, and refuses the connection
 * (`SinkAddressError`) when one is forbidden. The check thus runs on the answer the socket
 * connects to, so a name that rebinds between the check and the connection (DNS rebinding, a
 * TTL of 0) cannot reach a forbidden address. An IP literal is checked here: nothing is looked
 * up for it. Returns the reason when the URL itself is refused.
 */
export function sinkTarget(
  sink: string,
  policy: SinkPolicy,
): { url: URL; lookup: LookupFunction } | { refused: string } {
  const parsed = parseSink(sink)
  if (typeof parsed === 'string') return { refused: parsed }
  const { url, host } = parsed
  if (isIP(host) !== 0) {
    const refused = refusedAddresses(url, host, [host], policy)
    if (refused !== undefined) return { refused }
  }
  const resolve = policy.resolve ?? systemResolve
  const lookup: LookupFunction = (hostname, options, callback) => {
    resolve(hostname).then(
      (addresses) => {
        const refused = refusedAddresses(url, hostname, addresses, policy)
        if (refused !== undefined) return callback(new SinkAddressError(refused), '')
        // Every address passed; hand over those of the family the socket asks for (0: any).
        const asked =
          options.family === 'IPv4' ? 4 : options.family === 'IPv6' ? 6 : (options.family ?? 0)
        const wanted = addresses
          .map((address) => ({ address, family: isIP(address) }))
          .filter((a) => asked === 0 || a.family === asked)
        const first = wanted[0]
        if (first === undefined)
          return callback(new SinkAddressError(`sink host ${hostname} cannot be resolved`), '')
        if (options.all === true) return callback(null, wanted)
        callback(null, first.address, first.family)
      },
      (cause: unknown) =>
        callback(new SinkAddressError(`sink host ${hostname} cannot be resolved`, { cause }), ''),
    )
  }
  return { url, lookup }
}
