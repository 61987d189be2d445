import {
  type CAMARA_APIS,
  CONNECTED_NETWORK_TYPES,
  EVENT_APIS,
  INITIATION_REASONS,
  SUBSCRIPTION_STATUSES,
  TERMINATION_REASONS,
  UPDATE_REASONS,
} from './generated/camara-apis.js'

/** Name of a CAMARA API this project serves (a key of `CAMARA_APIS`), e.g. `device-roaming-status`. */
export type ApiName = keyof typeof CAMARA_APIS

/**
 * Name of an API that sends notifications (a key of `EVENT_APIS`): the four subscription APIs and
 * the legacy device-status v0.5.1.
 */
export type EventApiName = keyof typeof EVENT_APIS

/** Name of a subscription API (`<api>-subscriptions`); the legacy device-status v0.5.1 is not one. */
export type SubscriptionApiName = Extract<EventApiName, `${string}-subscriptions`>

/** The subscription APIs, in `EVENT_APIS` order. */
export const SUBSCRIPTION_API_NAMES: readonly SubscriptionApiName[] = /* @__PURE__ */ (
  Object.keys(EVENT_APIS) as EventApiName[]
).filter((name): name is SubscriptionApiName => name.endsWith('-subscriptions'))

/** Event types a subscription of `TApi` may ask for, short names (`'roaming-on'`). */
export type SubscriptionEventType<TApi extends EventApiName> =
  (typeof EVENT_APIS)[TApi]['subscriptionTypes'][number]

/** Every event type a sink of `TApi` may receive, short names, lifecycle events included. */
export type NotificationEventType<TApi extends EventApiName> =
  (typeof EVENT_APIS)[TApi]['notificationTypes'][number]

/** Why a subscription ended (CAMARA ESG `terminationReason`). */
export type TerminationReason = (typeof TERMINATION_REASONS)[number]

/** Why a subscription started (`initiationReason` of `subscription-started`). */
export type InitiationReason = (typeof INITIATION_REASONS)[number]

/** Why a subscription changed status (`updateReason` of `subscription-updated`). */
export type UpdateReason = (typeof UPDATE_REASONS)[number]

/** A network type of connected-network-type: `2G` … `5G`, or `UNKNOWN` off the network. */
export type ConnectedNetworkType = (typeof CONNECTED_NETWORK_TYPES)[number]

/** Status of a subscription (CAMARA ESG). */
export type SubscriptionStatus = (typeof SUBSCRIPTION_STATUSES)[number]

/**
 * The full CloudEvent type of a short event name: `org.camaraproject.<api>.v0.<type>`.
 *
 * @param api - the API that sends it
 * @param type - the short name, e.g. `roaming-on`
 * @returns e.g. `org.camaraproject.device-roaming-status-subscriptions.v0.roaming-on`
 */
export function eventType(api: EventApiName, type: string): string {
  return EVENT_APIS[api].prefix + type
}

/**
 * The path of an API's subscriptions collection, base path included.
 *
 * @param api - the subscription API
 * @returns e.g. `/device-roaming-status-subscriptions/v0.8/subscriptions`
 */
export function subscriptionsPath(api: EventApiName): string {
  return `${EVENT_APIS[api].basePath}/subscriptions`
}
