import type { DeviceIdentity, DeviceSelector } from '../core/device.js'
import type { NefIdentifierKind } from './config.js'
import type { MonitoringEventSubscription } from '../network/monitoring-event.js'

/** The UE identifier members of a Monitoring Event request: exactly one of them. */
export type UeIdentifier = Pick<
  MonitoringEventSubscription,
  'msisdn' | 'externalId' | 'ipv4Addr' | 'ipv6Addr'
>

const PREFIX = {
  msisdn: 'msisdn:',
  externalId: 'extid:',
  ipv4Addr: 'ipv4:',
  ipv6Addr: 'ipv6:',
} as const satisfies Record<NefIdentifierKind, string>

/** The Monitoring Event identifier kind a CAMARA selector is sent as. */
export function nefKindOf(selector: DeviceSelector): NefIdentifierKind {
  switch (selector.kind) {
    case 'phoneNumber':
      return 'msisdn'
    case 'networkAccessIdentifier':
      return 'externalId'
    case 'ipv4Address':
      return 'ipv4Addr'
    case 'ipv6Address':
      return 'ipv6Addr'
  }
}

/**
 * The device id in NEF mode (what `NetworkPort.find` returns as `DeviceIdentity.id` and a
 * three-legged token's subject holds): `msisdn:<E.164 digits without +>`,
 * `extid:<local@domain>`, `ipv4:<public address>`, `ipv6:<address>` (docs/nef.md). A NEF knows a
 * UE by the identifier it is asked with; the id is that identifier, so it needs no table.
 */
export function nefDeviceId(selector: DeviceSelector): string {
  switch (selector.kind) {
    case 'phoneNumber':
      return PREFIX.msisdn + selector.phoneNumber.replace(/^\+/, '')
    case 'networkAccessIdentifier':
      return PREFIX.externalId + selector.networkAccessIdentifier
    case 'ipv4Address':
      return PREFIX.ipv4Addr + selector.publicAddress
    case 'ipv6Address':
      return PREFIX.ipv6Addr + selector.ipv6Address
  }
}

/** The identifier of a NEF device id; `undefined` for a string that is not one. */
export function ueIdentifierOf(
  id: string,
): { kind: NefIdentifierKind; identifier: UeIdentifier } | undefined {
  for (const [kind, prefix] of Object.entries(PREFIX) as [NefIdentifierKind, string][]) {
    if (!id.startsWith(prefix)) continue
    const value = id.slice(prefix.length)
    if (value === '') return undefined
    if (kind === 'msisdn' && !/^[0-9]{5,15}$/.test(value)) return undefined
    return { kind, identifier: { [kind]: value } }
  }
  return undefined
}

/** The identity the NEF adapter hands out for a device id (what the id tells of it). */
export function nefIdentity(id: string): DeviceIdentity | undefined {
  const parsed = ueIdentifierOf(id)
  if (parsed === undefined) return undefined
  const { identifier } = parsed
  return {
    id,
    // A device named otherwise has no phone number the gateway knows (the NEF does not say).
    phoneNumber: identifier.msisdn === undefined ? '' : `+${identifier.msisdn}`,
    networkAccessIdentifier: identifier.externalId ?? null,
    ipv4Address:
      identifier.ipv4Addr === undefined
        ? null
        : { publicAddress: identifier.ipv4Addr, privateAddress: null, publicPort: null },
    ipv6Address: identifier.ipv6Addr ?? null,
  }
}
