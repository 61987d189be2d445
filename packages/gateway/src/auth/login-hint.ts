import { isIPv4, isIPv6 } from 'node:net'
import type { DeviceSelector } from '../core/device.js'

export type LoginHint =
  { kind: 'device'; selector: DeviceSelector } | { kind: 'operatortoken'; token: string }

const E164 = /^\+[1-9][0-9]{4,14}$/

/**
 * CAMARA ICM login_hint formats: `tel:+34666666666`, `ipport:80.90.34.2[:16790]`,
 * `ipport:[2001:db8::1][:8080]`, `operatortoken:<opaque>`; in vendor-compatible mode also the
 * sandbox's `phone_number:+34…`. Returns a reason string when the hint is malformed.
 */
export function parseLoginHint(hint: string, options: { compatible: boolean }): LoginHint | string {
  const colon = hint.indexOf(':')
  const scheme = colon < 0 ? '' : hint.slice(0, colon)
  const value = hint.slice(colon + 1)
  switch (scheme) {
    case 'tel':
      return E164.test(value)
        ? { kind: 'device', selector: { kind: 'phoneNumber', phoneNumber: value } }
        : 'tel: needs an E.164 number such as tel:+34666666666'
    case 'phone_number':
      if (!options.compatible)
        return 'phone_number: hints are not part of the CAMARA profile; use tel:'
      return E164.test(value)
        ? { kind: 'device', selector: { kind: 'phoneNumber', phoneNumber: value } }
        : 'phone_number: needs an E.164 number'
    case 'operatortoken':
      return value.length > 0
        ? { kind: 'operatortoken', token: value }
        : 'operatortoken: needs a token'
    case 'ipport': {
      const v6 = /^\[([^\]]+)\](?::(\d{1,5}))?$/.exec(value)
      if (v6?.[1] !== undefined) {
        if (!isIPv6(v6[1])) return 'ipport: has an invalid IPv6 address'
        // The port is validated as in the IPv4 form (1 to 65535), though only the address
        // identifies an IPv6 device.
        if (v6[2] !== undefined && !validPort(v6[2])) return 'ipport: has an invalid port'
        return { kind: 'device', selector: { kind: 'ipv6Address', ipv6Address: v6[1] } }
      }
      const [address = '', port, extra] = value.split(':')
      if (extra !== undefined || !isIPv4(address))
        return 'ipport: needs IPv4[:port] or [IPv6][:port]'
      if (port === undefined)
        return { kind: 'device', selector: { kind: 'ipv4Address', publicAddress: address } }
      if (!validPort(port)) return 'ipport: has an invalid port'
      const n = Number(port)
      return {
        kind: 'device',
        selector: { kind: 'ipv4Address', publicAddress: address, publicPort: n },
      }
    }
    default:
      return 'login_hint must be tel:, ipport: or operatortoken:'
  }
}

/** A TCP port as a login_hint writes it: 1 to 65535, in decimal. */
function validPort(port: string): boolean {
  const n = Number(port)
  return /^\d{1,5}$/.test(port) && n >= 1 && n <= 65535
}
