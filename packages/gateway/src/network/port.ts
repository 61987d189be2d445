import type { DeviceSelector, NetworkDevice } from '../core/device.js'

/**
 * Where the network facts come from. The built-in simulator implements it on the store; a
 * 3GPP NEF adapter (TS 29.522 Monitoring Events) can implement it against a real core.
 */
export interface NetworkPort {
  /** The one device the selector identifies, or `undefined`. */
  findDevice(selector: DeviceSelector): Promise<NetworkDevice | undefined>
  deviceById(id: string): Promise<NetworkDevice | undefined>
}
