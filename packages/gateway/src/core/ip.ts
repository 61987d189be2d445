import { isIPv4, isIPv6 } from 'node:net'

/**
 * The /64 prefix of an IPv6 address as four expanded, lower-case hextets: CAMARA identifies a
 * device by "any single IPv6 address from within the subnet allocated to the device".
 * Returns `undefined` for text that is not an IPv6 address.
 */
export function ipv6Prefix64(address: string): string | undefined {
  if (!isIPv6(address)) return undefined
  let text = address.toLowerCase()
  // An embedded IPv4 tail (::ffff:1.2.3.4) becomes two hextets.
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text)
  if (v4?.[1] !== undefined && isIPv4(v4[1])) {
    const [a = 0, b = 0, c = 0, d = 0] = v4[1].split('.').map(Number)
    text =
      text.slice(0, -v4[1].length) + `${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`
  }
  const [head = '', tail] = text.split('::')
  const headParts = head === '' ? [] : head.split(':')
  const tailParts = tail === undefined || tail === '' ? [] : tail.split(':')
  const parts =
    tail === undefined
      ? headParts
      : [
          ...headParts,
          ...Array<string>(8 - headParts.length - tailParts.length).fill('0'),
          ...tailParts,
        ]
  return parts
    .slice(0, 4)
    .map((p) => p.padStart(4, '0'))
    .join(':')
}
