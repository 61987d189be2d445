/**
 * Device Status SDK: the CAMARA Device Status and SIM Swap APIs behind the vendor samples'
 * `ClientCredentials`, `DeviceStatus` and `SimSwap`, with real OIDC flows (CIBA, Authorization Code
 * with PKCE, client credentials), typed results, retries and errors with stable codes; event
 * subscriptions and `parseNotification` for the CloudEvents a sink receives.
 * `fetch` and Web Crypto only: Node 20+, browsers, Deno, Bun.
 *
 * @packageDocumentation
 */
export { ClientCredentials, authorizationUrl } from './client-credentials.js'
export type {
  ClientCredentialsInit,
  PrivateJwk,
  PrivateKeyCredentials,
  WebCryptoKey,
  SecretCredentials,
} from './client-credentials.js'
export { DeviceStatus } from './services/device-status.js'
export { SimSwap, SIMSwap } from './services/sim-swap.js'
export type {
  Authorization,
  BackendAuthorization,
  FrontendAuthorization,
  SharedAuthorization,
  TwoLeggedAuthorization,
} from './services/authorize.js'
export type { Session } from './auth/session.js'
export type { ClientConfig } from './auth/config.js'
export type { Transport } from './transport/request.js'
export type { AuthorizationRequest, AuthorizationUrlOptions } from './auth/authorization-code.js'
export { DEFAULT_PURPOSE } from './auth/authorization-code.js'
export {
  ApiError,
  AuthError,
  CAMARA_ERROR_STATUS,
  DeviceStatusError,
  InvalidResponseError,
  isDeviceStatusError,
  NetworkError,
  NotificationError,
  TimeoutError,
  type AnyDeviceStatusError,
  type ApiErrorCode,
  type CamaraErrorCode,
  type UsageErrorCode,
} from './errors.js'
export {
  DEFAULT_BASE_URL,
  type CallOptions,
  type ClientOptions,
  type RequestEvent,
  type RetryOptions,
} from './options.js'
export type {
  ConnectedNetworkTypeStatus,
  Device,
  LegacyConnectivityStatus,
  LegacyRoamingStatus,
  ReachabilityStatus,
  RoamingStatus,
  SimSwapCheck,
  SimSwapDate,
} from './apis/types.js'
export {
  subscriptionScopes,
  type ConnectedNetworkTypeEventType,
  type ReachabilityEventType,
  type RoamingEventType,
  type SimSwapEventType,
  type SimSwapSubscriptionOptions,
  type SingleTypeSubscriptionOptions,
  type SinkCredential,
  type Subscription,
  type SubscriptionApiName,
  type SubscriptionOptions,
  type SubscriptionStatus,
} from './apis/subscriptions.js'
export {
  parseNotification,
  type CloudEvent,
  type ConnectivityNotification,
  type InitiationReason,
  type NetworkTypeChangedNotification,
  type Notification,
  type NotificationApi,
  type NotificationBase,
  type NotificationType,
  type ParseNotificationOptions,
  type ReachabilityNotification,
  type RoamingChangeCountryNotification,
  type RoamingOnOffNotification,
  type RoamingStatusNotification,
  type SimSwappedNotification,
  type SubscriptionEndedNotification,
  type SubscriptionEndsNotification,
  type SubscriptionStartedNotification,
  type SubscriptionUpdatedNotification,
  type TerminationReason,
  type UpdateReason,
} from './notifications.js'
