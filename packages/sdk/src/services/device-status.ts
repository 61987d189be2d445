import {
  DEVICE_STATUS_SCOPES,
  retrieveConnectedNetworkType,
  retrieveLegacyConnectivityStatus,
  retrieveLegacyRoamingStatus,
  retrieveReachabilityStatus,
  retrieveRoamingStatus,
} from '../apis/device-status.js'
import type {
  ConnectedNetworkTypeStatus,
  Device,
  LegacyConnectivityStatus,
  LegacyRoamingStatus,
  ReachabilityStatus,
  RoamingStatus,
} from '../apis/types.js'
import {
  createSubscription,
  deleteSubscription,
  getSubscription,
  listSubscriptions,
  type ConnectedNetworkTypeEventType,
  type ReachabilityEventType,
  type RoamingEventType,
  type SingleTypeSubscriptionOptions,
  type Subscription,
  type SubscriptionOptions,
} from '../apis/subscriptions.js'
import type { Session } from '../auth/session.js'
import type { ClientCredentials } from '../client-credentials.js'
import type { CallOptions } from '../options.js'
import { phoneNumberAmong, sessionFor, type Authorization } from './authorize.js'

const ROAMING = 'device-roaming-status-subscriptions'
const REACHABILITY = 'device-reachability-status-subscriptions'
const NETWORK_TYPE = 'connected-network-type-subscriptions'

function deviceOf(phoneNumber: string | undefined): Device | undefined {
  return phoneNumber === undefined ? undefined : { phoneNumber }
}

/**
 * Device Status for one subscriber (backend or frontend flow) or, two-legged, one device:
 * roaming, reachability, connected network type, and the legacy v0 roaming and connectivity calls.
 * The token is obtained on the first call (or {@link DeviceStatus.authorize}), cached, and renewed
 * before it expires.
 *
 * @example Backend flow (CIBA)
 * ```ts
 * const credentials = new ClientCredentials({ clientId: 'my-app-id', clientSecret: 'my-app-secret' })
 * const ds = new DeviceStatus(credentials, { phoneNumber: '+34600000002' })
 * const { roaming, countryNames } = await ds.getRoamingStatus()
 * ```
 * @example Frontend flow (callback)
 * ```ts
 * const ds = new DeviceStatus(credentials, { authCode: code, redirectUri, codeVerifier })
 * if (await ds.isRoaming()) { … }
 * ```
 */
export class DeviceStatus {
  /** The authorized session; pass `{ session }` to share it with another service object. */
  readonly session: Session

  /**
   * @param credentials - the app
   * @param authorization - `{ phoneNumber, purpose? }` (CIBA), `{ authCode, redirectUri?, codeVerifier? }`,
   *   `{ device }` (two-legged), `{ session }`; or, as in the vendor samples, the code as a string
   * @param phoneNumber - vendor positional form `new DeviceStatus(credentials, undefined, phoneNumber)` (CIBA)
   */
  constructor(
    credentials: ClientCredentials,
    authorization?: Authorization | string,
    phoneNumber?: string,
  ) {
    this.session = sessionFor(credentials, authorization, phoneNumber, DEVICE_STATUS_SCOPES)
  }

  /**
   * Runs the authorization now (CIBA, code exchange or client credentials) instead of on the
   * first call.
   *
   * @param call - signal, timeout, correlator
   */
  async authorize(call?: CallOptions): Promise<void> {
    await this.session.accessToken(call)
  }

  /**
   * Roaming status (device-roaming-status v1).
   *
   * @param call - signal, timeout, correlator
   * @returns `{ roaming, countryCode, countryNames, lastStatusTime, correlator }`
   * @throws {@link ApiError} e.g. `SERVICE_NOT_APPLICABLE`, `IDENTIFIER_NOT_FOUND`
   */
  getRoamingStatus(call?: CallOptions): Promise<RoamingStatus> {
    return retrieveRoamingStatus(this.session, undefined, call)
  }

  /**
   * Whether the device is roaming (device-roaming-status v1).
   *
   * @param call - signal, timeout, correlator
   * @returns true when roaming
   */
  async isRoaming(call?: CallOptions): Promise<boolean> {
    return (await this.getRoamingStatus(call)).roaming
  }

  /**
   * Reachability status (device-reachability-status v1).
   *
   * @param call - signal, timeout, correlator
   * @returns `{ reachable, connectivity, lastStatusTime, correlator }`
   */
  getReachabilityStatus(call?: CallOptions): Promise<ReachabilityStatus> {
    return retrieveReachabilityStatus(this.session, undefined, call)
  }

  /**
   * Whether the device is reachable for data or SMS (device-reachability-status v1).
   *
   * @param call - signal, timeout, correlator
   * @returns true when reachable
   */
  async isReachable(call?: CallOptions): Promise<boolean> {
    return (await this.getReachabilityStatus(call)).reachable
  }

  /**
   * Network type the device is connected to (connected-network-type v0.2).
   *
   * @param call - signal, timeout, correlator
   * @returns `{ connectedNetworkType, lastStatusTime, correlator }`
   */
  getConnectedNetworkType(call?: CallOptions): Promise<ConnectedNetworkTypeStatus> {
    return retrieveConnectedNetworkType(this.session, undefined, call)
  }

  /**
   * Legacy roaming status (device-status v0 `POST /roaming`).
   *
   * @param call - signal, timeout, correlator
   * @returns `{ roaming, countryCode, countryNames, correlator }`
   */
  getLegacyRoamingStatus(call?: CallOptions): Promise<LegacyRoamingStatus> {
    return retrieveLegacyRoamingStatus(this.session, undefined, call)
  }

  /**
   * Legacy connectivity status (device-status v0 `POST /connectivity`).
   *
   * @param call - signal, timeout, correlator
   * @returns `{ connectivityStatus, correlator }`
   */
  getLegacyConnectivityStatus(call?: CallOptions): Promise<LegacyConnectivityStatus> {
    return retrieveLegacyConnectivityStatus(this.session, undefined, call)
  }

  /**
   * The vendor samples' `roaming(…)`: legacy device-status v0 roaming, as a boolean. Takes the
   * samples' positional forms, `roaming()`, `roaming(phoneNumber)` and
   * `roaming(externalId, msisdn, ipv4Addr, ipv6Addr, uePort)`; a phone number among them (its
   * leading `+` may be left out) must be the session's subscriber (three-legged) or names the
   * device (two-legged).
   *
   * @param identifiers - the samples' positional identifiers
   * @returns true when roaming
   */
  async roaming(...identifiers: unknown[]): Promise<boolean> {
    const device = deviceOf(phoneNumberAmong(identifiers))
    return (await retrieveLegacyRoamingStatus(this.session, device)).roaming
  }

  /**
   * The vendor SDK's `connectivity(…)`: legacy device-status v0 connectivity status.
   *
   * @param identifiers - the samples' positional identifiers (see {@link DeviceStatus.roaming})
   * @returns `CONNECTED_DATA`, `CONNECTED_SMS` or `NOT_CONNECTED`
   */
  async connectivity(
    ...identifiers: unknown[]
  ): Promise<LegacyConnectivityStatus['connectivityStatus']> {
    const device = deviceOf(phoneNumberAmong(identifiers))
    return (await retrieveLegacyConnectivityStatus(this.session, device)).connectivityStatus
  }

  /**
   * Subscribes to a roaming event (device-roaming-status-subscriptions 0.8): `roaming-status`,
   * `roaming-on`, `roaming-off` or `roaming-change-country`. Two-legged, the subscription names the
   * service's device; three-legged, the token's subscriber. The token asks for
   * `device-roaming-status-subscriptions:org.camaraproject.device-roaming-status-subscriptions.v0.<type>:create`
   * (and `:read`, `:delete`) unless the session's scopes already hold them. Not resent after a
   * network failure or a timeout: list the subscriptions to find out whether it was created.
   *
   * @param options - `type`, `sink`, `sinkCredential?`, `expiresAt?`, `maxEvents?`, `initialEvent?`
   * @param call - signal, timeout, correlator
   * @returns the subscription
   * @throws {@link ApiError} e.g. `INVALID_SINK`, `SERVICE_NOT_APPLICABLE`, `PERMISSION_DENIED`
   * @see {@link https://github.com/camaraproject/DeviceStatus | device-roaming-status-subscriptions 0.8}
   * @example
   * ```ts
   * const ds = new DeviceStatus(credentials, { device: { phoneNumber: '+34600000001' } })
   * const subscription = await ds.createRoamingSubscription({
   *   type: 'roaming-on',
   *   sink: 'https://app.example/notifications',
   *   sinkCredential: { accessToken: sinkToken, accessTokenExpiresUtc: tomorrow },
   * })
   * ```
   */
  createRoamingSubscription<TType extends RoamingEventType>(
    options: SubscriptionOptions<TType>,
    call?: CallOptions,
  ): Promise<Subscription<TType>> {
    return createSubscription(this.session, ROAMING, options, call)
  }

  /**
   * The app's active roaming subscriptions (three-legged: the subscriber's only).
   *
   * @param call - signal, timeout, correlator
   * @returns the subscriptions
   */
  listRoamingSubscriptions(call?: CallOptions): Promise<Subscription<RoamingEventType>[]> {
    return listSubscriptions(this.session, ROAMING, call)
  }

  /**
   * One roaming subscription.
   *
   * @param id - the subscription id
   * @param call - signal, timeout, correlator
   * @returns the subscription
   * @throws {@link ApiError} `NOT_FOUND` when it does not exist, ended, or is another app's
   */
  getRoamingSubscription(id: string, call?: CallOptions): Promise<Subscription<RoamingEventType>> {
    return getSubscription(this.session, ROAMING, id, call)
  }

  /**
   * Deletes a roaming subscription; the sink receives `subscription-ended` (`SUBSCRIPTION_DELETED`).
   *
   * @param id - the subscription id
   * @param call - signal, timeout, correlator
   * @throws {@link ApiError} `NOT_FOUND` when it does not exist or already ended
   *   (a `404` after an attempt that got no answer counts as deleted: that attempt did it)
   */
  deleteRoamingSubscription(id: string, call?: CallOptions): Promise<void> {
    return deleteSubscription(this.session, ROAMING, id, call)
  }

  /**
   * Subscribes to a reachability event (device-reachability-status-subscriptions 0.8):
   * `reachability-data`, `reachability-sms` or `reachability-disconnected`. Device and scopes as
   * {@link DeviceStatus.createRoamingSubscription}; not resent after a timeout.
   *
   * @param options - `type`, `sink`, `sinkCredential?`, `expiresAt?`, `maxEvents?`, `initialEvent?`
   * @param call - signal, timeout, correlator
   * @returns the subscription
   * @throws {@link ApiError} e.g. `INVALID_SINK`, `SERVICE_NOT_APPLICABLE`, `PERMISSION_DENIED`
   */
  createReachabilitySubscription<TType extends ReachabilityEventType>(
    options: SubscriptionOptions<TType>,
    call?: CallOptions,
  ): Promise<Subscription<TType>> {
    return createSubscription(this.session, REACHABILITY, options, call)
  }

  /**
   * The app's active reachability subscriptions (three-legged: the subscriber's only).
   *
   * @param call - signal, timeout, correlator
   * @returns the subscriptions
   */
  listReachabilitySubscriptions(
    call?: CallOptions,
  ): Promise<Subscription<ReachabilityEventType>[]> {
    return listSubscriptions(this.session, REACHABILITY, call)
  }

  /**
   * One reachability subscription.
   *
   * @param id - the subscription id
   * @param call - signal, timeout, correlator
   * @returns the subscription
   * @throws {@link ApiError} `NOT_FOUND`
   */
  getReachabilitySubscription(
    id: string,
    call?: CallOptions,
  ): Promise<Subscription<ReachabilityEventType>> {
    return getSubscription(this.session, REACHABILITY, id, call)
  }

  /**
   * Deletes a reachability subscription; the sink receives `subscription-ended`.
   *
   * @param id - the subscription id
   * @param call - signal, timeout, correlator
   * @throws {@link ApiError} `NOT_FOUND`
   *   (a `404` after an attempt that got no answer counts as deleted: that attempt did it)
   */
  deleteReachabilitySubscription(id: string, call?: CallOptions): Promise<void> {
    return deleteSubscription(this.session, REACHABILITY, id, call)
  }

  /**
   * Subscribes to `network-type-changed` (connected-network-type-subscriptions 0.2), the only
   * type (the default). Device and scopes as {@link DeviceStatus.createRoamingSubscription}; not
   * resent after a timeout.
   *
   * @param options - `sink`, `sinkCredential?`, `expiresAt?`, `maxEvents?`, `initialEvent?`
   * @param call - signal, timeout, correlator
   * @returns the subscription
   * @throws {@link ApiError} e.g. `INVALID_SINK`, `SERVICE_NOT_APPLICABLE`, `PERMISSION_DENIED`
   */
  createConnectedNetworkTypeSubscription(
    options: SingleTypeSubscriptionOptions<ConnectedNetworkTypeEventType>,
    call?: CallOptions,
  ): Promise<Subscription<ConnectedNetworkTypeEventType>> {
    return createSubscription(
      this.session,
      NETWORK_TYPE,
      { ...options, type: options.type ?? 'network-type-changed' },
      call,
    )
  }

  /**
   * The app's active connected network type subscriptions (three-legged: the subscriber's only).
   *
   * @param call - signal, timeout, correlator
   * @returns the subscriptions
   */
  listConnectedNetworkTypeSubscriptions(
    call?: CallOptions,
  ): Promise<Subscription<ConnectedNetworkTypeEventType>[]> {
    return listSubscriptions(this.session, NETWORK_TYPE, call)
  }

  /**
   * One connected network type subscription.
   *
   * @param id - the subscription id
   * @param call - signal, timeout, correlator
   * @returns the subscription
   * @throws {@link ApiError} `NOT_FOUND`
   */
  getConnectedNetworkTypeSubscription(
    id: string,
    call?: CallOptions,
  ): Promise<Subscription<ConnectedNetworkTypeEventType>> {
    return getSubscription(this.session, NETWORK_TYPE, id, call)
  }

  /**
   * Deletes a connected network type subscription; the sink receives `subscription-ended`.
   *
   * @param id - the subscription id
   * @param call - signal, timeout, correlator
   * @throws {@link ApiError} `NOT_FOUND`
   *   (a `404` after an attempt that got no answer counts as deleted: that attempt did it)
   */
  deleteConnectedNetworkTypeSubscription(id: string, call?: CallOptions): Promise<void> {
    return deleteSubscription(this.session, NETWORK_TYPE, id, call)
  }
}
