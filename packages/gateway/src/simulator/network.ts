import { connectedNetworkType, type DeviceApi, type DeviceIdentity } from '../core/device.js'
import type { Clock } from '../core/clock.js'
import { after, type MaybePromise } from '../core/maybe-promise.js'
import { NetworkError } from '../core/network-error.js'
import type { NetworkPort, NetworkTypePort, SandboxNetwork, SimPort } from '../network/port.js'
import type { SimulatedDevice } from '../store/devices.js'
import type { Store } from '../store/store.js'
import { demoDevices } from './seed.js'

/** Whether `device` is a whole simulated device (this adapter hands those out as identities). */
function isSimulated(device: DeviceIdentity): device is SimulatedDevice {
  return 'notApplicable' in device && 'statusTime' in device
}

/**
 * The simulator's answers for one API: its per-device switches make the service not applicable
 * (`notApplicable`) or the network fail (`networkUnavailable`).
 */
function answering(device: SimulatedDevice, api: DeviceApi): SimulatedDevice {
  if (device.notApplicable.includes(api)) {
    throw new NetworkError(
      'SERVICE_NOT_APPLICABLE',
      `The service ${api} is not available for this device.`,
    )
  }
  if (device.networkUnavailable) {
    throw new NetworkError(
      'NETWORK_UNAVAILABLE',
      'The network could not be reached for this device. Try again later.',
    )
  }
  return device
}

/**
 * The built-in simulator as the gateway's network: facts from its table in the store, SIM changes
 * and the connected network type included.
 */
export function simulatedNetwork(store: Store): NetworkPort & SimPort & NetworkTypePort {
  // The identity handed out is the whole device (read once per call, from memory on SQLite);
  // one that came from elsewhere is read again.
  const reread = async (device: DeviceIdentity): Promise<SimulatedDevice> => {
    const found = await store.devices.byId(device.id)
    if (found === undefined)
      throw new NetworkError('UNKNOWN_DEVICE', 'The device is no longer known.')
    return found
  }
  // The point reads answer a whole device's facts at once, without a promise (the hot call's
  // case); an identity from elsewhere is read again first. A refusal is a rejection (port.ts).
  const whole = (device: DeviceIdentity): MaybePromise<SimulatedDevice> =>
    isSimulated(device) ? device : reread(device)
  return {
    find: (selector) => store.devices.find(selector),
    byId: (id) => store.devices.byId(id),
    roaming: (device, api) =>
      after(whole(device), (found) => {
        const d = answering(found, api)
        return { countryCode: d.roamingCountryCode, statusTime: d.statusTime.roaming }
      }),
    reachability: (device, api) =>
      after(whole(device), (found) => {
        const d = answering(found, api)
        return { connectivity: d.connectivity, statusTime: d.statusTime.connectivity }
      }),
    async networkType(device, api) {
      const d = answering(isSimulated(device) ? device : await reread(device), api)
      return { networkType: connectedNetworkType(d), statusTime: d.statusTime.networkType }
    },
    async sim(device, api) {
      const d = answering(isSimulated(device) ? device : await reread(device), api)
      return { activatedAt: d.simActivatedAt, swappedAt: d.simSwappedAt }
    },
    async snapshot(device, api, within) {
      // Inside the caller's transaction, locked until its commit (see SimulatedDevice changes).
      const unit = (within as Store | undefined) ?? store
      const found = await unit.devices.byId(device.id, { forUpdate: within !== undefined })
      if (found === undefined) return undefined
      const apis: readonly DeviceApi[] = typeof api === 'string' ? [api] : api
      const refused = apis.find((a) => found.notApplicable.includes(a))
      if (refused !== undefined) {
        throw new NetworkError(
          'SERVICE_NOT_APPLICABLE',
          `The service ${refused} is not available for this device.`,
        )
      }
      return found
    },
  }
}

/** The sandbox capabilities of the simulator: the device picker and the consent stand-in. */
export function simulatedSandbox(store: Store, clock: Clock): SandboxNetwork {
  return {
    async pickableDevices() {
      const about = new Map(demoDevices(clock).map((d) => [d.phoneNumber, d.about]))
      return (await store.devices.list()).map((d) => ({
        id: d.id,
        phoneNumber: d.phoneNumber,
        about: about.get(d.phoneNumber),
      }))
    },
    async consentPolicy(deviceId) {
      return (await store.devices.byId(deviceId))?.consentPolicy ?? null
    },
  }
}
