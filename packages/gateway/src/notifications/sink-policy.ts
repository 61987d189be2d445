import { lookup } from 'node:dns/promises'
import { isIP, type LookupFunction } from 'node:net'
import ipaddr from 'ipaddr.js'

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

/**
 * Why an address may not receive notifications, or `undefined` when it may. Addresses are
 * classified by ipaddr.js, which knows the IANA special-purpose ranges and the IPv6 forms that
 * carry an IPv4 address; only global unicast passes, plus loopback (sandbox) and the private,
 * shared and link-local ranges (when allowed).
 */
export function refusedAddress(address: string, policy: SinkPolicy): string | undefined {
  let parsed: ipaddr.IPv4 | ipaddr.IPv6
  try {
    // ipaddr.js reads any dotted IPv6 suffix as IPv4-mapped (`::10.0.0.1` as `::ffff:10.0.0.1`):
    // the WHATWG URL parser's canonical form (`::a00:1`) is read as written.
    parsed = ipaddr.parse(
      isIP(address) === 6 ? new URL(`http://[${address}]/`).hostname.slice(1, -1) : address,
    )
  } catch {
    return `${address} is not an IP address`
  }
  if (parsed.kind() === 'ipv4') return refusedIPv4(parsed as ipaddr.IPv4, policy, address)
  const ipv6 = parsed as ipaddr.IPv6
  // ::ffff:a.b.c.d is the IPv4 address itself on a dual-stack socket.
  if (ipv6.isIPv4MappedAddress()) return refusedIPv4(ipv6.toIPv4Address(), policy, address)
  const embedded = embeddedIPv4(ipv6)
  if (embedded !== undefined) {
    // Reached through a translator (NAT64, 6to4, SIIT): only a public IPv4 address is a public
    // destination; loopback and private ranges there are the translator's, never allowed.
    const range = embedded.range()
    return range === 'unicast'
      ? undefined
      : `${address} embeds ${embedded.toString()}, a ${describe(range)} address`
  }
  const range = ipv6.range()
  if (range === 'loopback')
    return policy.allowLoopback ? undefined : `${address} is a loopback address`
  if (range === 'uniqueLocal' || range === 'linkLocal')
    return policy.allowPrivate ? undefined : `${address} is in a private or link-local range`
  if (range !== 'unicast') return `${address} is a ${describe(range)} address`
  // What ipaddr.js does not name is global unicast only in 2000::/3 (RFC 4291 §2.4; the IANA
  // IPv6 address space reserves the rest).
  if (!ipv6.match(GLOBAL_UNICAST)) return `${address} is not a global unicast address`
  return undefined
}

const GLOBAL_UNICAST = ipaddr.parseCIDR('2000::/3')
const NAT64_WELL_KNOWN = ipaddr.parseCIDR('64:ff9b::/96')

/** ipaddr.js's range names as a reason reads them (`carrierGradeNat` → `carrier grade nat`). */
function describe(range: string): string {
  return range.replace(/([A-Z])/g, ' $1').toLowerCase()
}

function refusedIPv4(ip: ipaddr.IPv4, policy: SinkPolicy, shown: string): string | undefined {
  const range = ip.range()
  if (range === 'unicast') return undefined
  if (range === 'loopback')
    return policy.allowLoopback ? undefined : `${shown} is a loopback address`
  if (range === 'private' || range === 'carrierGradeNat' || range === 'linkLocal')
    return policy.allowPrivate ? undefined : `${shown} is in a private or link-local range`
  // unspecified, broadcast, multicast, reserved (192.0.0.0/24, the documentation ranges,
  // 198.18.0.0/15, 240.0.0.0/4, …), as112, amt: every other special-purpose range is refused.
  return `${shown} is a ${describe(range)} address`
}

/**
 * The IPv4 address an IPv6 address stands for through a translation form: IPv4-translated
 * (`::ffff:0:a.b.c.d`, RFC 6145), the NAT64 well-known prefix (`64:ff9b::/96`, RFC 6052), 6to4
 * (`2002:AABB:CCDD::/48`, RFC 3056) and IPv4-compatible (`::a.b.c.d`, RFC 4291, deprecated). The
 * local-use NAT64 prefix `64:ff9b:1::/48` (RFC 8215) and Teredo are special-purpose ranges,
 * refused as such.
 */
function embeddedIPv4(ip: ipaddr.IPv6): ipaddr.IPv4 | undefined {
  const [p0 = 0, p1 = 0, p2 = 0, p3 = 0, p4 = 0, p5 = 0, p6 = 0, p7 = 0] = ip.parts
  const last32 = () => new ipaddr.IPv4([p6 >> 8, p6 & 0xff, p7 >> 8, p7 & 0xff])
  const range = ip.range()
  if (range === 'rfc6145') return last32()
  if (range === 'rfc6052' && ip.match(NAT64_WELL_KNOWN)) return last32()
  if (range === '6to4') return new ipaddr.IPv4([p1 >> 8, p1 & 0xff, p2 >> 8, p2 & 0xff])
  // ::a.b.c.d; not :: and ::1 (unspecified and loopback have ranges of their own).
  if (p0 === 0 && p1 === 0 && p2 === 0 && p3 === 0 && p4 === 0 && p5 === 0 && p6 !== 0)
    return last32()
  return undefined
}

function isLoopback(address: string): boolean {
  try {
    return ipaddr.process(address).range() === 'loopback'
  } catch {
    return false
  }
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
  // Port 0 names no service; a connection to it goes nowhere or somewhere unintended.
  if (url.port === '0') return 'sink port 0 is not allowed'
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
  if (url.protocol === 'http:' && policy.allowLoopback && addresses.every(isLoopback))
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
