import type {
  ConnectivityType,
  DeviceApi,
  DeviceFacts,
  DeviceIdentity,
  DeviceSelector,
  NetworkEvent,
  NetworkType,
} from '../core/device.js'
import type { MaybePromise } from '../core/maybe-promise.js'

/** Roaming as the network reports it. */
export interface RoamingFact {
  /** The visited country's MCC; `null` at home. */
  countryCode: number | null
  statusTime: string
}

/** Reachability as the network reports it: `[]` is not reachable. */
export interface ReachabilityFact {
  connectivity: ConnectivityType[]
  statusTime: string
}

/** The technology a device is connected with; `null` when not connected to a mobile network. */
export interface NetworkTypeFact {
  networkType: NetworkType | null
  statusTime: string
}

/** The SIM facts: its latest change and its activation (`null`: the number has no SIM). */
export interface SimFact {
  swappedAt: string | null
  activatedAt: string | null
}

/**
 * Where the network facts come from: the only way from the gateway to the network. The built-in
 * simulator implements it on its own table; the 3GPP NEF adapter (`nef/`) against a core's
 * Monitoring Event API. SIM changes and the connected network type are not facts every network
 * gives (a NEF has neither): they are ports of their own, {@link SimPort} and
 * {@link NetworkTypePort}, and the APIs built on them are offered only where one is configured.
 *
 * Every read may fail with a `NetworkError` (`core/network-error.ts`): an identifier kind the
 * network cannot take, a service that does not apply to the device, a network that cannot be read.
 * The `api` argument names the API asking, so that the network can say its service does not apply.
 * The point reads (`find`, `byId`, `roaming`, `reachability`) may answer with the value itself
 * when they have it in memory (the simulator on SQLite's device cache), else with a promise
 * (`MaybePromise`); they never throw, a failure is a rejected promise.
 */
export interface NetworkPort {
  /** The one device the selector (an API's identifier or a login hint) points at; `undefined` when none. */
  find(selector: DeviceSelector): MaybePromise<DeviceIdentity | undefined>
  /** A device by the id this port gave it (a three-legged token's subject); `undefined` when gone. */
  byId(id: string): MaybePromise<DeviceIdentity | undefined>
  roaming(device: DeviceIdentity, api: DeviceApi): MaybePromise<RoamingFact>
  reachability(device: DeviceIdentity, api: DeviceApi): MaybePromise<ReachabilityFact>
  /**
   * Every fact of the device at once, as a subscription's initial state (throws
   * `SERVICE_NOT_APPLICABLE` when the service of `api`, or of any of the APIs listed, does not
   * apply: a subscription API and the API it watches). `within` is the caller's unit
   * of work (a store transaction): a network that keeps its state in that store reads the device
   * there, locked until the commit, so that no change of the device falls between this read and
   * the subscription; other networks ignore it. `undefined`: the device is gone. A network
   * without a {@link SimPort} or {@link NetworkTypePort} leaves those facts `null`: they are
   * read only by the APIs such a port serves.
   */
  snapshot(
    device: DeviceIdentity,
    api: DeviceApi | readonly DeviceApi[],
    within?: unknown,
  ): Promise<DeviceFacts | undefined>
}

/** Where SIM changes come from (the simulator; an operator's provisioning system). */
export interface SimPort {
  sim(device: DeviceIdentity, api: DeviceApi): Promise<SimFact>
}

/** Where the connected network type comes from (the simulator; a location-reporting source). */
export interface NetworkTypePort {
  /** The connected technology (`null` when not reachable or on no mobile network). */
  networkType(device: DeviceIdentity, api: DeviceApi): Promise<NetworkTypeFact>
}

/**
 * A network that reports changes only while asked to (a NEF): the subscription services tell it
 * which subscriptions need the device watched. A network that reports every change by itself
 * (the simulator) has none.
 */
export interface NetworkWatch {
  /**
   * Starts watching the device for a new subscription, before it is stored: the network reports
   * changes of the facts the subscription's API follows, and the device's current facts are known
   * (its `snapshot`) when this resolves. Throws a `NetworkError` when the network refuses;
   * `undo` withdraws the watch when the subscription is not stored after all.
   */
  watch(request: WatchRequest): Promise<{ undo(): Promise<void> }>
  /** The subscription ended (deleted, expired, ...): the network stops watching for it. */
  unwatch(subscriptionId: string): Promise<void>
}

export interface WatchRequest {
  subscriptionId: string
  device: DeviceIdentity
  /** The API whose facts the subscription follows. */
  api: DeviceApi
  /** The subscription's event types (without prefix), to watch only what they need. */
  types: readonly string[]
  /** When the subscription expires, if it does. */
  expiresAt: string | null
  /** Its maximum number of events, if any. */
  maxEvents: number | null
}

/** One entry of the sandbox's device picker: a device a tester can sign in as, and what it is for. */
export interface PickableDevice {
  id: string
  phoneNumber: string
  about: string | undefined
}

/**
 * What only a simulated network can do, for the sandbox: list its devices for the sign-in picker,
 * and answer consent requests in the subscriber's place. Absent for a real network.
 */
export interface SandboxNetwork {
  pickableDevices(): Promise<PickableDevice[]>
  /** The stand-in answer to a consent request for this device; `null`: ask and wait. */
  consentPolicy(deviceId: string): Promise<'approve' | 'deny' | null>
}

/**
 * The one door network events come in through, from whatever network: records a batch of events,
 * fans them out to the subscriptions they concern, in one transaction, and wakes the delivery
 * worker after the commit. `work` runs first in that transaction, with the transaction's unit
 * of work (a network adapter that keeps state in the store writes it there), and returns the
 * events to record.
 */
export interface NetworkEventSink<Unit = unknown> {
  ingest<T>(work: (unit: Unit) => Promise<{ events: NetworkEvent[]; result: T }>): Promise<T>
}
