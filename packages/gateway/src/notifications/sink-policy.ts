import { lookup } from 'node:dns/promises'
import { BlockList, isIP } from 'node:net'

export interface SinkPolicy {
  /** Sandbox: `http://` sinks and loopback addresses are allowed (local development). */
  allowLoopback: boolean
  /** Private, shared (CGNAT) and link-local ranges; refused unless configured. */
  allowPrivate: boolean
}

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

/**
 * Checks a subscription's sink against SSRF (BRIEF §4): an absolute `https` URL (sandbox also
 * `http` to loopback), whose host resolves only to addresses the policy allows. Checked at
 * creation and again before each delivery (the name may resolve elsewhere later).
 * Returns the reason it is refused, or `undefined`.
 */
export async function checkSink(
  sink: string,
  policy: SinkPolicy,
  resolve: (host: string) => Promise<string[]> = async (host) =>
    (await lookup(host, { all: true })).map((a) => a.address),
): Promise<string | undefined> {
  let url: URL
  try {
    url = new URL(sink)
  } catch {
    return 'sink is not an absolute URL'
  }
  if (url.username !== '' || url.password !== '') return 'sink must not carry credentials'
  const host = url.hostname.replace(/^\[|\]$/g, '')
  let addresses: string[]
  try {
    addresses = isIP(host) !== 0 ? [host] : await resolve(host)
  } catch {
    return `sink host ${host} cannot be resolved`
  }
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
