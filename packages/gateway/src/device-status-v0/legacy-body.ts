import type { RequestDevice } from '../device/identify.js'

/**
 * device-status v0.4 (`ueId` + `uePort`) and the vendor sandbox's bare `{"phoneNumber"}` bodies,
 * rewritten to the v0.5.1 `{device}` shape, so clients written against them work unchanged.
 * Returns `undefined` when the body is not one of those shapes.
 */
export function legacyRoamingBody(body: unknown): { device: RequestDevice } | undefined {
  if (typeof body !== 'object' || body === null || Array.isArray(body) || 'device' in body)
    return undefined
  const record = body as Record<string, unknown>
  const ueId = record['ueId']
  if (typeof ueId === 'object' && ueId !== null && !Array.isArray(ueId)) {
    const id = ueId as Record<string, unknown>
    const device: Record<string, unknown> = {}
    if (id['msisdn'] !== undefined) device['phoneNumber'] = id['msisdn']
    if (id['externalId'] !== undefined) device['networkAccessIdentifier'] = id['externalId']
    if (id['ipv6Addr'] !== undefined) device['ipv6Address'] = id['ipv6Addr']
    if (id['ipv4Addr'] !== undefined) {
      const port = record['uePort']
      device['ipv4Address'] =
        port === undefined
          ? { publicAddress: id['ipv4Addr'], privateAddress: id['ipv4Addr'] }
          : { publicAddress: id['ipv4Addr'], publicPort: port }
    }
    return { device: device }
  }
  if (record['phoneNumber'] !== undefined)
    return { device: { phoneNumber: record['phoneNumber'] as string } }
  return undefined
}
