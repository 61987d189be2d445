import type { AuthContext } from '../core/auth-context.js'
import { CamaraError, type CamaraCode } from '../core/camara-error.js'
import type { DeviceIdentity, DeviceSelector } from '../core/device.js'
import { after, type MaybePromise } from '../core/maybe-promise.js'
import type { NetworkPort } from '../network/port.js'

/** The `device` object of a CAMARA request (Commonalities `Device`), already schema-valid. */
export interface RequestDevice {
  phoneNumber?: string
  networkAccessIdentifier?: string
  ipv4Address?: { publicAddress: string; privateAddress?: string; publicPort?: number }
  ipv6Address?: string
}

export type IdentifierKind = keyof RequestDevice

/** The order in which a request's identifiers are tried; the first supported one is used. */
const PRIORITY: readonly IdentifierKind[] = [
  'phoneNumber',
  'ipv4Address',
  'ipv6Address',
  'networkAccessIdentifier',
]

/** The 1.1.0 / 0.2.0 APIs: "Network Access Identifier … will not be supported with this version". */
export const V1_IDENTIFIERS: readonly IdentifierKind[] = [
  'phoneNumber',
  'ipv4Address',
  'ipv6Address',
]

export interface Identified {
  device: DeviceIdentity
  /** `DeviceResponse`: the single identifier used, echoed only when the request named the device. */
  deviceResponse: Partial<RequestDevice> | undefined
}

export function selectorFor(
  kind: IdentifierKind,
  device: RequestDevice,
): DeviceSelector | undefined {
  switch (kind) {
    case 'phoneNumber':
      return device.phoneNumber === undefined
        ? undefined
        : { kind, phoneNumber: device.phoneNumber }
    case 'networkAccessIdentifier':
      return device.networkAccessIdentifier === undefined
        ? undefined
        : { kind, networkAccessIdentifier: device.networkAccessIdentifier }
    case 'ipv6Address':
      return device.ipv6Address === undefined
        ? undefined
        : { kind, ipv6Address: device.ipv6Address }
    case 'ipv4Address': {
      const ip = device.ipv4Address
      if (ip === undefined) return undefined
      return {
        kind,
        publicAddress: ip.publicAddress,
        ...(ip.privateAddress === undefined ? {} : { privateAddress: ip.privateAddress }),
        ...(ip.publicPort === undefined ? {} : { publicPort: ip.publicPort }),
      }
    }
  }
}

/**
 * Finds the subject device of a call (CAMARA DG §3.2 and Appendix A): a three-legged token
 * names it, and then any `device` in the body is `422 UNNECESSARY_IDENTIFIER`, even the same
 * one; a two-legged token needs `device` (`422 MISSING_IDENTIFIER`); identifiers of kinds the
 * API does not support are `422 UNSUPPORTED_IDENTIFIER`; no match is `404 IDENTIFIER_NOT_FOUND`.
 * The device itself when the network has it in memory, else a promise (`MaybePromise`); never
 * throws: a refusal is a rejected promise.
 */
export function identifyDevice(
  deps: { network: NetworkPort },
  input: {
    auth: AuthContext
    device: RequestDevice | undefined
    supported: readonly IdentifierKind[]
  },
): MaybePromise<Identified> {
  const { auth, device, supported } = input
  if (auth.deviceId !== undefined) {
    if (device !== undefined) {
      return refused(
        'UNNECESSARY_IDENTIFIER',
        'The device is already identified by the access token; do not send device with a three-legged token.',
      )
    }
    return after(deps.network.byId(auth.deviceId), (found) =>
      found === undefined
        ? refused('IDENTIFIER_NOT_FOUND', 'The device of the access token is no longer known.')
        : { device: found, deviceResponse: undefined },
    )
  }
  if (device === undefined) {
    return refused(
      'MISSING_IDENTIFIER',
      'The device cannot be identified: send device with a two-legged access token.',
    )
  }
  const kind = PRIORITY.find((k) => supported.includes(k) && device[k] !== undefined)
  const selector = kind === undefined ? undefined : selectorFor(kind, device)
  if (kind === undefined || selector === undefined) {
    return refused(
      'UNSUPPORTED_IDENTIFIER',
      `The identifier provided is not supported; use one of ${supported.join(', ')}.`,
    )
  }
  return after(deps.network.find(selector), (found) =>
    found === undefined
      ? refused('IDENTIFIER_NOT_FOUND', `No device matches the ${kind} provided.`)
      : { device: found, deviceResponse: { [kind]: device[kind] } },
  )
}

/** A refusal of {@link identifyDevice}, as the rejection an `async` function would give. */
function refused(code: CamaraCode, message: string): Promise<never> {
  return Promise.reject(new CamaraError(code, message))
}

/** A response with the DeviceResponse first, as the specs list it (no object spread: hot path). */
export function withDevice<T extends object>(
  device: Partial<RequestDevice>,
  rest: T,
): T & { device: Partial<RequestDevice> } {
  return Object.assign({ device }, rest)
}

/**
 * The shape of the retrieve operations of the 1.1.0 / 0.2.0 APIs: identify the device (the
 * token's, or the body's first supported identifier), read the facts `answer` needs from the
 * network, and put the identifier used first when the request named the device. The answer
 * itself when every read had its value at hand (the simulator on the device cache: the hot
 * call's case), else a promise; never throws.
 */
export function retrieveFor<T extends object>(
  deps: { network: NetworkPort },
  input: { auth: AuthContext; body: { device?: RequestDevice } },
  answer: (device: DeviceIdentity) => MaybePromise<T>,
): MaybePromise<T & { device?: Partial<RequestDevice> }> {
  return after(
    identifyDevice(deps, {
      auth: input.auth,
      device: input.body.device,
      supported: V1_IDENTIFIERS,
    }),
    ({ device, deviceResponse }) =>
      after(answer(device), (response) =>
        deviceResponse === undefined ? response : withDevice(deviceResponse, response),
      ),
  )
}
