import { EVENT_APIS, type EventApiName, type SubscriptionApiName } from './generated/camara-apis.js'

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
