import type { Generated } from 'kysely'

/**
 * Table shapes of the store, shared by SQLite and PostgreSQL. Portable types only: times are
 * ISO-8601 UTC text (they sort as text), booleans are 0/1 integers, lists and objects are JSON
 * text, so that no query depends on one dialect.
 */
export interface Database {
  devices: DeviceTable
  network_events: NetworkEventTable
  signing_keys: SigningKeyTable
  subjects: SubjectTable
  apps: AppTable
  oidc_models: OidcModelTable
  consents: ConsentTable
  pending_authorizations: PendingAuthorizationTable
  subscriptions: SubscriptionTable
  notifications: NotificationTable
  fan_out_queue: FanOutQueueTable
  delivery_attempts: DeliveryAttemptTable
  rate_limit_windows: RateLimitWindowTable
  nef_sim_subscriptions: NefSimSubscriptionTable
  nef_sim_notifications: NefSimNotificationTable
  nef_devices: NefDeviceTable
  nef_subscriptions: NefSubscriptionTable
}

/** The last facts a NEF reported of a device (nef/; null: not reported yet). */
export interface NefDeviceTable {
  device_id: string
  /** JSON: the visited country's MCC, or null at home. */
  roaming: string | null
  roaming_time: string | null
  /** JSON list of DATA / SMS. */
  connectivity: string | null
  connectivity_time: string | null
  updated_at: string
}

/** A Monitoring Event subscription the gateway holds at the NEF for a CAMARA subscription. */
export interface NefSubscriptionTable {
  /** SHA-256 (base64url) of the callback token in its notificationDestination. */
  token_hash: string
  subscription_id: string
  device_id: string
  monitoring_type: string
  reachability_type: string | null
  self: string | null
  monitor_expire_time: string | null
  maximum_number_of_reports: number | null
  created_at: string
  checked_at: string | null
}

/** nef-sim: a continuous Monitoring Event subscription (TS 29.122) it serves. */
export interface NefSimSubscriptionTable {
  id: string
  scs_as_id: string
  /** The simulated device the subscription's identifier named at creation. */
  device_id: string
  monitoring_type: string
  /** JSON `MonitoringEventSubscription` as the SCS/AS sent it (without `self`). */
  request: string
  /** Reports still to send (`maximumNumberOfReports` minus those sent); null: unlimited. */
  reports_left: number | null
  /** `monitorExpireTime`, ISO-8601 UTC; null: none. */
  expires_at: string | null
  created_at: string
}

/** nef-sim: a `MonitoringNotification` to POST to a subscription's `notificationDestination`. */
export interface NefSimNotificationTable {
  seq: Generated<number>
  subscription_id: string
  destination: string
  /** JSON `MonitoringNotification`. */
  body: string
  attempts: number
  due_at: string
  last_error: string | null
  created_at: string
}

/** Requests per app and second, shared by every instance on PostgreSQL. */
export interface RateLimitWindowTable {
  key: string
  /** Epoch second. */
  window: number
  count: number
}

export interface DeviceTable {
  id: string
  phone_number: string
  network_access_identifier: string | null
  ipv4_public_address: string | null
  ipv4_private_address: string | null
  ipv4_public_port: number | null
  ipv6_address: string | null
  /** First 64 bits of `ipv6_address`, expanded: what a device is matched by (CAMARA: any address in its /64). */
  ipv6_prefix: string | null
  roaming_country_code: number | null
  /** JSON array of `DATA` / `SMS`. */
  connectivity: string
  network_type: string | null
  sim_swapped_at: string | null
  sim_activated_at: string | null
  /** JSON array of API names whose service does not apply to the device. */
  not_applicable: string
  network_unavailable: number
  /** Sandbox stand-in for the subscriber: `approve`, `deny`, or null (ask, wait for a decision). */
  consent_policy: string | null
  roaming_status_time: string
  connectivity_status_time: string
  network_type_status_time: string
  created_at: string
  updated_at: string
}

export interface NetworkEventTable {
  /** Ingestion order; the notifications issue reads events by it. */
  seq: Generated<number>
  id: string
  device_id: string
  phone_number: string
  type: string
  /** JSON `{ before, after }` of the changed facts. */
  data: string
  occurred_at: string
}

export interface SigningKeyTable {
  kid: string
  alg: string
  private_jwk: string
  public_jwk: string
  created_at: string
  /** Set when a newer key takes over signing; the key still verifies until tokens expire. */
  retired_at: string | null
}

export interface SubjectTable {
  /** Pairwise pseudonymous subject identifier (never the phone number). */
  sub: string
  client_id: string
  device_id: string
  created_at: string
}

/** An app of the developer hub: an OAuth client of the authorization server. */
export interface AppTable {
  client_id: string
  name: string
  /** JSON `AppSettings` (redirect URIs, APIs, scopes, purposes, grants, auth method, JWKS, mode). */
  settings: string
  /** `scrypt$<salt>$<hash>` of the client secret; never the secret itself. */
  secret_hash: string | null
  created_at: string
  updated_at: string
}

/** oidc-provider's state (sessions, codes, CIBA requests, grants, tokens), one row per model and id. */
export interface OidcModelTable {
  model: string
  id: string
  payload: string
  grant_id: string | null
  user_code: string | null
  uid: string | null
  /** Epoch seconds; `null` = no expiry. */
  expires_at: number | null
  consumed_at: number | null
}

/** A subscriber's consent for one app and one purpose. */
export interface ConsentTable {
  id: string
  client_id: string
  device_id: string
  purpose: string
  /** JSON array of the API scopes consented to. */
  scopes: string
  status: string
  created_at: string
  updated_at: string
}

/** A CIBA request waiting for the subscriber's decision. */
/**
 * A request waiting for the subscriber's decision: a CIBA request (`auth_req_id` is its id), or an
 * authorization-code request at its consent page (`auth_req_id` is the interaction's uid).
 */
export interface PendingAuthorizationTable {
  auth_req_id: string
  /** `ciba` or `authorization_code`. */
  flow: Generated<string>
  client_id: string
  device_id: string
  purpose: string
  scopes: string
  status: string
  created_at: string
  expires_at: string
  /** Seconds the client must wait between polls; grows by 5 on each `slow_down`. */
  interval: number
  /** Epoch milliseconds of the last token request for it. */
  last_polled_at: number | null
}

/** An event subscription of one of the subscription APIs. */
export interface SubscriptionTable {
  id: string
  /** Subscription API name, e.g. `device-roaming-status-subscriptions`. */
  api: string
  client_id: string
  device_id: string
  /** Pairwise subject of a three-legged subscription; `null` when two-legged. */
  sub: string | null
  /** JSON array of subscribed event types. */
  types: string
  protocol: string
  sink: string
  /** JSON `{ credentialType, accessToken, accessTokenExpiresUtc, accessTokenType }` or null. */
  sink_credential: string | null
  /** When the sink's access token expires (the subscription ends just before, ACCESS_TOKEN_EXPIRED). */
  sink_expires_at: string | null
  /** JSON `config` as the response shows it (subscriptionDetail, expire time, max events, initialEvent). */
  config: string
  expires_at: string | null
  max_events: number | null
  events_sent: number
  status: string
  starts_at: string
  ended_at: string | null
  termination_reason: string | null
  created_at: string
  /**
   * The newest network event seq when the subscription was stored: only later events are fanned
   * out to it (an event recorded before it, fanned out after, is left out).
   */
  events_after: Generated<number>
}

/**
 * Network events whose fan-out is not finished (the fan-out worker, subscriptions/fan-out.ts):
 * one row per event, deleted when its last subscription was served.
 */
export interface FanOutQueueTable {
  /** The network event's seq. */
  event_seq: number
  device_id: string
  /** The last subscription id already served (they are served in id order); null: none yet. */
  after_subscription: string | null
}

/** The outbox: one CloudEvent to deliver to one subscription's sink. */
export interface NotificationTable {
  /** The CloudEvent `id`: stable across retries so receivers can deduplicate. */
  /** Insertion order (auto-increment): orders a subscription's notifications. */
  seq: Generated<number>
  id: string
  subscription_id: string
  type: string
  /** JSON CloudEvent. */
  event: string
  status: string
  attempts: number
  /** Epoch ms at which the next attempt is due. */
  next_attempt_at: number
  /** Epoch ms until which a worker holds the claim. */
  locked_until: number | null
  last_error: string | null
  created_at: string
  delivered_at: string | null
  /** The network event that caused it; null for lifecycle events (started, ended, …). */
  network_event_id: Generated<string | null>
}

export interface DeliveryAttemptTable {
  id: string
  notification_id: string
  attempt: number
  at: string
  /** HTTP status, or null when the sink could not be reached. */
  status_code: number | null
  error: string | null
  duration_ms: number
}
