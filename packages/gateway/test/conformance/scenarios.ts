/**
 * Where each scenario of the official CAMARA test definitions
 * (`packages/gateway/specs/test-definitions/*.feature`) is covered: its tag (without `@`) → the
 * test file (repo-relative) and its `it()` title, or a unique part of it. Titles of the shared
 * helpers (`device-api-suite.ts`, `subscription-api-suite.ts`) are the same for every API, so
 * those entries also name, in `via`, the suite file that runs the helper for the scenario's API.
 * `note` says where the test's expectation differs from a literal step, and why.
 * `notApplicable` is only for scenarios this implementation cannot meet by design.
 *
 * `scenarios.test.ts` keeps this map, the feature files and the test titles in step.
 */

export type Coverage =
  { file: string; test: string; via?: string; note?: string } | { notApplicable: string }

const DEVICE_SUITE = 'packages/gateway/test/helpers/device-api-suite.ts'
const SUBSCRIPTION_SUITE = 'packages/gateway/test/helpers/subscription-api-suite.ts'
const ROAMING = 'packages/gateway/test/roaming/roaming.test.ts'
const REACHABILITY = 'packages/gateway/test/reachability/reachability.test.ts'
const NETWORK_TYPE = 'packages/gateway/test/network-type/network-type.test.ts'
const SIM_SWAP = 'packages/gateway/test/sim-swap/sim-swap.test.ts'
const ROAMING_SUBSCRIPTIONS = 'packages/gateway/test/subscriptions/roaming-subscriptions.test.ts'
const OTHER_SUBSCRIPTIONS = 'packages/gateway/test/subscriptions/other-subscriptions.test.ts'

const at = (file: string, test: string, note?: string): Coverage =>
  note === undefined ? { file, test } : { file, test, note }
/** A title of `deviceApiSuite`, run for the API by `via`. */
const device = (via: string, test: string, note?: string): Coverage => ({
  ...at(DEVICE_SUITE, test, note),
  via,
})
/** A title of `subscriptionApiSuite`, run for the API by `via`. */
const subscription = (via: string, test: string, note?: string): Coverage => ({
  ...at(SUBSCRIPTION_SUITE, test, note),
  via,
})

/** Titles of `deviceApiSuite`. */
const D = {
  C01_01: 'C01.01: device {} is 400 INVALID_ARGUMENT',
  C01_02: 'C01.02: identifiers that do not comply with the schema are 400 INVALID_ARGUMENT',
  C01_03: 'C01.03: an unknown device is 404 IDENTIFIER_NOT_FOUND',
  C01_04: 'C01.04: device with a three-legged token is 422 UNNECESSARY_IDENTIFIER',
  C01_05: 'C01.05: no device with a two-legged token is 422 MISSING_IDENTIFIER',
  C01_06: 'C01.06: only networkAccessIdentifier (not supported by this version)',
  C01_07: 'C01.07: a device the service does not apply to is 422 SERVICE_NOT_APPLICABLE',
  E401_1: '401.1: an expired token is 401 UNAUTHENTICATED',
  E401_2: '401.2: no Authorization header is 401 UNAUTHENTICATED',
  E401_3: '401.3: a malformed or forged token is 401 UNAUTHENTICATED',
  E403: '403: a token without the operation scope is 403 PERMISSION_DENIED',
  E503: 'a network failure is 503 UNAVAILABLE',
}

/** Titles of `subscriptionApiSuite`. */
const S = {
  create2: '01.1 sync creation, 2-legged, each type',
  create3: '01.2 sync creation, 3-legged, each type',
  get2: 'retrieve by id, 2-legged: 200 Subscription with the identifier',
  get3: 'retrieve by id, 3-legged: 200 Subscription without the identifier',
  list2: 'list, 2-legged: 200, every subscription of the API consumer',
  list3: 'list, 3-legged: 200, only the subscriptions of the token device',
  listEmpty: 'list, 3-legged, no subscription: 200 and an empty array',
  delete: 'delete: 204 without a body, x-correlator echoed; then subscription-ended',
  expired: 'subscriptionExpireTime reached: subscription-ended SUBSCRIPTION_EXPIRED',
  maxEvents: 'subscriptionMaxEvents 1: one event, then subscription-ended MAX_EVENTS_REACHED',
  C01_01: 'C01.01 device {}: 400 INVALID_ARGUMENT',
  C01_02: 'C01.02 identifiers not complying with the schema: 400 INVALID_ARGUMENT',
  C01_03: 'C01.03 unknown device: 404 IDENTIFIER_NOT_FOUND',
  C01_04: 'C01.04 device with a three-legged token',
  C01_05: 'C01.05 no device with a two-legged token: 422 MISSING_IDENTIFIER',
  C01_06: 'C01.06 only networkAccessIdentifier (not supported): 422 UNSUPPORTED_IDENTIFIER',
  C01_07: 'C01.07 a device the service does not apply to: 422 SERVICE_NOT_APPLICABLE',
  phoneUnnecessary: 'phoneNumber with a three-legged token, same or other number',
  phoneMissing: 'no phoneNumber with a two-legged token: 422 MISSING_IDENTIFIER',
  phoneNotApplicable: 'a phone number the service does not apply to',
  E400_1: '400.1 a body not compliant with the schema',
  E400_2: '400.2 subscriptionExpireTime in the past: 400 INVALID_ARGUMENT',
  E400_3: '400.3 an invalid event type: 400 INVALID_ARGUMENT',
  E400_4: '400.4 protocol other than HTTP: 400 INVALID_PROTOCOL',
  E400_5: '400.5 credentialType other than ACCESSTOKEN',
  E400_6: '400.6 accessTokenType other than bearer: 400 INVALID_TOKEN',
  E400_7: '400.7 sink "azerty" (not a URL)',
  create401: 'create 401: no Authorization header, expired token, malformed token',
  get401: 'retrieve by id 401: no Authorization header, expired token, malformed token',
  list401: 'list 401: no Authorization header, expired token, malformed token',
  delete401: 'delete 401: no Authorization header, expired token, malformed token',
  E403: '403 create without the create scope of the type: 403 PERMISSION_DENIED',
  mismatch: '403 a single create scope and another valid type: 403 SUBSCRIPTION_MISMATCH',
  multiEvent: '422 more than one type: 422 MULTIEVENT_SUBSCRIPTION_NOT_SUPPORTED',
  E404: '404 retrieve and delete of an unknown subscription id: 404 NOT_FOUND',
}

const NETWORK_IDENTIFIER =
  'the outline row `$.device.networkIdentifier` is a typo of networkAccessIdentifier (NOTES.md §5): the test sends a networkAccessIdentifier that is not a string'
const ASYNC =
  'asynchronous creation (202) is optional ("some implementations may only support synchronous subscription creation"): the gateway always creates synchronously, 201, as the sync creation scenarios test'

export const SCENARIOS: Record<string, Coverage> = {
  // C01-device-errors-commonalities-r3.4.feature: the template each device API's file repeats,
  // run for every device API by deviceApiSuite (and for subscriptions by subscriptionApiSuite).
  '{feature_identifier}_C01.01_device_empty': at(DEVICE_SUITE, D.C01_01),
  '{feature_identifier}_C01.02_device_identifiers_not_schema_compliant': at(DEVICE_SUITE, D.C01_02),
  '{feature_identifier}_C01.03_device_not_found': at(DEVICE_SUITE, D.C01_03),
  '{feature_identifier}_C01.04_unnecessary_device': at(DEVICE_SUITE, D.C01_04),
  '{feature_identifier}_C01.05_missing_device': at(DEVICE_SUITE, D.C01_05),
  '{feature_identifier}_C01.06_unsupported_device': at(DEVICE_SUITE, D.C01_06),
  '{feature_identifier}_C01.07_device_not_supported': at(DEVICE_SUITE, D.C01_07),

  // C02-phoneNumber-errors-commonalities-r3.4.feature: the template of the SIM swap operations.
  '{feature_identifier}_C02.01_phone_number_not_schema_compliant': at(SIM_SWAP, 'check C02:'),
  '{feature_identifier}_C02.02_phone_number_not_found': at(SIM_SWAP, 'check C02:'),
  '{feature_identifier}_C02.03_unnecessary_phone_number': at(SIM_SWAP, 'check C02:'),
  '{feature_identifier}_C02.04_missing_phone_number': at(SIM_SWAP, 'check C02:'),
  '{feature_identifier}_C02.05_phone_number_not_supported': at(SIM_SWAP, 'check C02:'),

  // device-roaming-status-v1.1.0.feature
  device_roaming_status_01_roaming_status_true_with_country_code: at(
    ROAMING,
    '01: roaming in Germany → roaming true, 262, ["DE"]',
  ),
  device_roaming_status_02_roaming_status_false: at(
    ROAMING,
    '02: at home → roaming false, no countryCode nor countryName',
  ),
  'device_roaming_status_C01.01_device_empty': device(ROAMING, D.C01_01),
  'device_roaming_status_C01.02_device_identifiers_not_schema_compliant': device(
    ROAMING,
    D.C01_02,
    NETWORK_IDENTIFIER,
  ),
  'device_roaming_status_C01.03_device_not_found': device(ROAMING, D.C01_03),
  'device_roaming_status_C01.04_unnecessary_device': device(ROAMING, D.C01_04),
  'device_roaming_status_C01.05_missing_device': device(ROAMING, D.C01_05),
  'device_roaming_status_C01.06_unsupported_device': device(ROAMING, D.C01_06),
  'device_roaming_status_C01.07_device_not_supported': device(ROAMING, D.C01_07),
  'device_roaming_status_401.1_expired_access_token': device(ROAMING, D.E401_1),
  'device_roaming_status_401.2_no_authorization_header': device(ROAMING, D.E401_2),
  'device_roaming_status_401.3_malformed_access_token': device(ROAMING, D.E401_3),
  device_roaming_status_403_permission_denied: device(ROAMING, D.E403),
  device_roaming_status_503_network_error: device(ROAMING, D.E503),

  // device-reachability-status-v1.1.0.feature
  device_reachability_status_01_reachable_and_connected_sms: at(REACHABILITY, '01/02/03:'),
  device_reachability_status_02_reachable_and_connected_data: at(REACHABILITY, '01/02/03:'),
  device_reachability_status_03_reachable_and_connected_data_and_sms: at(REACHABILITY, '01/02/03:'),
  device_reachability_status_04_not_reachable: at(
    REACHABILITY,
    '04: not reachable → reachable false, no connectivity property',
  ),
  'device_reachability_status_C01.01_device_empty': device(REACHABILITY, D.C01_01),
  'device_reachability_status_C01.02_device_identifiers_not_schema_compliant': device(
    REACHABILITY,
    D.C01_02,
    NETWORK_IDENTIFIER,
  ),
  'device_reachability_status_C01.03_device_not_found': device(REACHABILITY, D.C01_03),
  'device_reachability_status_C01.04_unnecessary_device': device(REACHABILITY, D.C01_04),
  'device_reachability_status_C01.05_missing_device': device(REACHABILITY, D.C01_05),
  'device_reachability_status_C01.06_unsupported_device': device(REACHABILITY, D.C01_06),
  'device_reachability_status_C01.07_device_not_supported': device(REACHABILITY, D.C01_07),
  'device_reachability_status_401.1_expired_access_token': device(REACHABILITY, D.E401_1),
  'device_reachability_status_401.2_no_authorization_header': device(REACHABILITY, D.E401_2),
  'device_reachability_status_401.3_malformed_access_token': device(REACHABILITY, D.E401_3),
  device_reachability_status_403_permission_denied: device(REACHABILITY, D.E403),
  device_reachability_status_503_network_error: device(REACHABILITY, D.E503),

  // connected-network-type-v0.2.0.feature
  connected_network_type_01_generic_success_scenario: at(
    NETWORK_TYPE,
    '01: on a mobile network → 2G, 3G, 4G or 5G as the network says',
  ),
  connected_network_type_02_retrieval_undetermined_network: at(
    NETWORK_TYPE,
    '02: not on a mobile network → UNKNOWN',
  ),
  'connected_network_type_C01.01_device_empty': device(NETWORK_TYPE, D.C01_01),
  'connected_network_type_C01.02_device_identifiers_not_schema_compliant': device(
    NETWORK_TYPE,
    D.C01_02,
    NETWORK_IDENTIFIER,
  ),
  'connected_network_type_C01.03_device_not_found': device(NETWORK_TYPE, D.C01_03),
  'connected_network_type_C01.04_unnecessary_device': device(NETWORK_TYPE, D.C01_04),
  'connected_network_type_C01.05_missing_device': device(NETWORK_TYPE, D.C01_05),
  'connected_network_type_C01.06_unsupported_device': device(NETWORK_TYPE, D.C01_06),
  'connected_network_type_C01.07_device_not_supported': device(NETWORK_TYPE, D.C01_07),
  'connected_network_type_401.1_expired_access_token': device(NETWORK_TYPE, D.E401_1),
  'connected_network_type_401.2_no_authorization_header': device(NETWORK_TYPE, D.E401_2),
  'connected_network_type_401.3_malformed_access_token': device(NETWORK_TYPE, D.E401_3),
  connected_network_type_403_permissions_denied: device(NETWORK_TYPE, D.E403),
  connected_network_type_503_network_error: device(
    NETWORK_TYPE,
    D.E503,
    'the connected-network-type 0.2.0 spec does not declare 503; the gateway returns it as the test expects (NOTES.md decision 4)',
  ),

  // device-roaming-status-subscriptions-createDeviceRoamingStatusSubscription-v0.8.0.feature
  'roaming_status_subscriptions_01.1_sync_creation_2legs': subscription(
    ROAMING_SUBSCRIPTIONS,
    S.create2,
  ),
  'roaming_status_subscriptions_01.2_sync_creation_3legs': subscription(
    ROAMING_SUBSCRIPTIONS,
    S.create3,
  ),
  roaming_status_subscriptions_02_async_creation: { notApplicable: ASYNC },
  roaming_status_subscriptions_03_receive_notification_when_roaming_status_changed_to_on: at(
    ROAMING_SUBSCRIPTIONS,
    '03–06: notifications for roaming-on, off, status and change-country',
  ),
  roaming_status_subscriptions_04_receive_notification_when_roaming_status_changed_to_off: at(
    ROAMING_SUBSCRIPTIONS,
    '03–06: notifications for roaming-on, off, status and change-country',
  ),
  roaming_status_subscriptions_05_receive_notification_when_roaming_status_changed: at(
    ROAMING_SUBSCRIPTIONS,
    '03–06: notifications for roaming-on, off, status and change-country',
  ),
  roaming_status_subscriptions_06_receive_notification_when_roaming_change_country: at(
    ROAMING_SUBSCRIPTIONS,
    '03–06: notifications for roaming-on, off, status and change-country',
  ),
  roaming_status_subscriptions_07_subscription_expiry: subscription(
    ROAMING_SUBSCRIPTIONS,
    S.expired,
    'the step names `EventSubscriptionEnds`, renamed EventSubscriptionEnded in 0.8.0; its slip requiring countryCode is forgiven (NOTES.md decision 5)',
  ),
  roaming_status_subscriptions_08_subscription_end_when_max_events: subscription(
    ROAMING_SUBSCRIPTIONS,
    S.maxEvents,
  ),
  'roaming_status_subscriptions_C01.01_device_empty': subscription(ROAMING_SUBSCRIPTIONS, S.C01_01),
  'roaming_status_subscriptions_C01.02_device_identifiers_not_schema_compliant': subscription(
    ROAMING_SUBSCRIPTIONS,
    S.C01_02,
    NETWORK_IDENTIFIER,
  ),
  'roaming_status_subscriptions_C01.03_device_not_found': subscription(
    ROAMING_SUBSCRIPTIONS,
    S.C01_03,
  ),
  'roaming_status_subscriptions_C01.04_unnecessary_device': subscription(
    ROAMING_SUBSCRIPTIONS,
    S.C01_04,
  ),
  'roaming_status_subscriptions_C01.05_missing_device': subscription(
    ROAMING_SUBSCRIPTIONS,
    S.C01_05,
  ),
  'roaming_status_subscriptions_C01.06_unsupported_device': subscription(
    ROAMING_SUBSCRIPTIONS,
    S.C01_06,
  ),
  'roaming_status_subscriptions_C01.07_device_not_supported': subscription(
    ROAMING_SUBSCRIPTIONS,
    S.C01_07,
  ),
  'roaming_status_subscriptions_400.1_create_subscription_with_invalid_parameter': subscription(
    ROAMING_SUBSCRIPTIONS,
    S.E400_1,
  ),
  'roaming_status_subscriptions_400.2_create_subscription_with_invalid_subscription_expire_time':
    subscription(ROAMING_SUBSCRIPTIONS, S.E400_2),
  'roaming_status_subscriptions_400.3_invalid_eventType': subscription(
    ROAMING_SUBSCRIPTIONS,
    S.E400_3,
  ),
  'roaming_status_subscriptions_400.4_invalid_protocol': subscription(
    ROAMING_SUBSCRIPTIONS,
    S.E400_4,
  ),
  'roaming_status_subscriptions_400.5_create_subscription_with_invalid_credential_type':
    subscription(ROAMING_SUBSCRIPTIONS, S.E400_5),
  'roaming_status_subscriptions_400.6_create_subscription_with_invalid_access_token_type':
    subscription(ROAMING_SUBSCRIPTIONS, S.E400_6),
  'roaming_status_subscriptions_400.7_create_subscription_with_invalid_sink_url': subscription(
    ROAMING_SUBSCRIPTIONS,
    S.E400_7,
  ),
  'roaming_status_subscriptions_creation_401.1_no_authorization_header': subscription(
    ROAMING_SUBSCRIPTIONS,
    S.create401,
  ),
  'roaming_status_subscriptions_creation_401.2_expired_access_token': subscription(
    ROAMING_SUBSCRIPTIONS,
    S.create401,
  ),
  'roaming_status_subscriptions_creation_401.3_malformed_access_token': subscription(
    ROAMING_SUBSCRIPTIONS,
    S.create401,
  ),
  'roaming_status_subscriptions_create_403.1_permission_denied': subscription(
    ROAMING_SUBSCRIPTIONS,
    S.E403,
  ),
  'roaming_status_subscriptions_create_403.2_permission_denied': subscription(
    ROAMING_SUBSCRIPTIONS,
    S.E403,
  ),
  'roaming_status_subscriptions_create_403.3_permission_denied': subscription(
    ROAMING_SUBSCRIPTIONS,
    S.E403,
  ),
  'roaming_status_subscriptions_create_403.4_permission_denied': subscription(
    ROAMING_SUBSCRIPTIONS,
    S.E403,
  ),
  'roaming_status_subscriptions_create_403.5_subscription_mismatch_for_requested_events_subscription':
    subscription(ROAMING_SUBSCRIPTIONS, S.mismatch),
  'roaming_status_subscriptions_422.01_multi_event_not_supported': subscription(
    ROAMING_SUBSCRIPTIONS,
    S.multiEvent,
  ),

  // device-roaming-status-subscriptions-deleteDeviceRoamingStatusSubscription-v0.8.0.feature
  'roaming_status_subscriptions_01_delete_subscription_based_on_an_existing_subscription-id':
    subscription(ROAMING_SUBSCRIPTIONS, S.delete),
  roaming_status_subscriptions_02_subscription_delete_event_validation: subscription(
    ROAMING_SUBSCRIPTIONS,
    S.delete,
  ),
  'roaming_status_subscriptions_delete_401.1_no_authorization_header': subscription(
    ROAMING_SUBSCRIPTIONS,
    S.delete401,
  ),
  'roaming_status_subscriptions_delete_401.2_expired_access_token': subscription(
    ROAMING_SUBSCRIPTIONS,
    S.delete401,
  ),
  'roaming_status_subscriptions_delete_401.3_malformed_access_token': subscription(
    ROAMING_SUBSCRIPTIONS,
    S.delete401,
  ),
  'roaming_status_subscriptions_404.1_delete_unknown_subscription_id': subscription(
    ROAMING_SUBSCRIPTIONS,
    S.E404,
  ),

  // device-roaming-status-subscriptions-retrieveDeviceRoamingStatusSubscription-v0.8.0.feature
  roaming_status_subscriptions_01_retrieve_by_id_2legs: subscription(ROAMING_SUBSCRIPTIONS, S.get2),
  roaming_status_subscriptions_02_retrieve_by_id_3legs: subscription(ROAMING_SUBSCRIPTIONS, S.get3),
  'roaming_status_subscriptions_retrieve_401.1_no_authorization_header': subscription(
    ROAMING_SUBSCRIPTIONS,
    S.get401,
  ),
  'roaming_status_subscriptions_retrieve_401.2_expired_access_token': subscription(
    ROAMING_SUBSCRIPTIONS,
    S.get401,
  ),
  'roaming_status_subscriptions_retrieve_401.3_malformed_access_token': subscription(
    ROAMING_SUBSCRIPTIONS,
    S.get401,
  ),
  'roaming_status_subscriptions_404.1_retrieve_unknown_subscription_id': subscription(
    ROAMING_SUBSCRIPTIONS,
    S.E404,
  ),

  // device-roaming-status-subscriptions-retrieveDeviceRoamingStatusSubscriptionList-v0.8.0.feature
  roaming_status_subscriptions_01_retrieve_list_2legs: subscription(ROAMING_SUBSCRIPTIONS, S.list2),
  roaming_status_subscriptions_02_retrieve_list_3legs: subscription(ROAMING_SUBSCRIPTIONS, S.list3),
  roaming_status_subscriptions_03_retrieve_empty_list_3legs: subscription(
    ROAMING_SUBSCRIPTIONS,
    S.listEmpty,
  ),
  'roaming_status_subscriptions_retrieve_list_401.01_no_authorization_header': subscription(
    ROAMING_SUBSCRIPTIONS,
    S.list401,
  ),
  'roaming_status_subscriptions_retrieve_list_401.02_expired_access_token': subscription(
    ROAMING_SUBSCRIPTIONS,
    S.list401,
  ),
  'roaming_status_subscriptions_retrieve_list_401.03_malformed_access_token': subscription(
    ROAMING_SUBSCRIPTIONS,
    S.list401,
  ),

  // device-reachability-status-subscriptions-createDeviceReachabilityStatusSubscription-v0.8.0.feature
  'reachability_status_subscriptions_01.1_sync_creation_2legs': subscription(
    OTHER_SUBSCRIPTIONS,
    S.create2,
  ),
  'reachability_status_subscriptions_01.2_sync_creation_3legs': subscription(
    OTHER_SUBSCRIPTIONS,
    S.create3,
  ),
  reachability_status_subscriptions_02_async_creation: { notApplicable: ASYNC },
  reachability_status_subscriptions_03_receive_notification_when_device_reachability_changed_to_data_usage:
    at(OTHER_SUBSCRIPTIONS, 'reachability: data / sms / disconnected events'),
  reachability_status_subscriptions_04_receive_notification_when_device_reachability_changed_to_sms_usage:
    at(OTHER_SUBSCRIPTIONS, 'reachability: data / sms / disconnected events'),
  reachability_status_subscriptions_05_receive_notification_when_device_reachability_changed_to_disconnected:
    at(OTHER_SUBSCRIPTIONS, 'reachability: data / sms / disconnected events'),
  reachability_status_subscriptions_06_subscription_expiry: subscription(
    OTHER_SUBSCRIPTIONS,
    S.expired,
  ),
  reachability_status_subscriptions_07_subscription_end_when_max_events: subscription(
    OTHER_SUBSCRIPTIONS,
    S.maxEvents,
  ),
  'reachability_status_subscriptions_C01.01_device_empty': subscription(
    OTHER_SUBSCRIPTIONS,
    S.C01_01,
  ),
  'reachability_status_subscriptions_C01.02_device_identifiers_not_schema_compliant': subscription(
    OTHER_SUBSCRIPTIONS,
    S.C01_02,
    NETWORK_IDENTIFIER,
  ),
  'reachability_status_subscriptions_C01.03_device_not_found': subscription(
    OTHER_SUBSCRIPTIONS,
    S.C01_03,
  ),
  'reachability_status_subscriptions_C01.04_unnecessary_device': subscription(
    OTHER_SUBSCRIPTIONS,
    S.C01_04,
  ),
  'reachability_status_subscriptions_C01.05_missing_device': subscription(
    OTHER_SUBSCRIPTIONS,
    S.C01_05,
  ),
  'reachability_status_subscriptions_C01.06_unsupported_device': subscription(
    OTHER_SUBSCRIPTIONS,
    S.C01_06,
  ),
  'reachability_status_subscriptions_C01.07_device_not_supported': subscription(
    OTHER_SUBSCRIPTIONS,
    S.C01_07,
  ),
  'reachability_status_subscriptions_400.1_create_subscription_with_invalid_parameter':
    subscription(OTHER_SUBSCRIPTIONS, S.E400_1),
  'reachability_status_subscriptions_400.2_create_subscription_with_invalid_subscription_expire_time':
    subscription(OTHER_SUBSCRIPTIONS, S.E400_2),
  'reachability_status_subscriptions_400.3_invalid_eventType': subscription(
    OTHER_SUBSCRIPTIONS,
    S.E400_3,
  ),
  'reachability_status_subscriptions_400.4_invalid_protocol': subscription(
    OTHER_SUBSCRIPTIONS,
    S.E400_4,
  ),
  'reachability_status_subscriptions_400.5_create_subscription_with_invalid_credential_type':
    subscription(OTHER_SUBSCRIPTIONS, S.E400_5),
  'reachability_status_subscriptions_400.6_create_subscription_with_invalid_access_token_type':
    subscription(OTHER_SUBSCRIPTIONS, S.E400_6),
  'reachability_status_subscriptions_400.7_create_subscription_with_invalid_sink_url': subscription(
    OTHER_SUBSCRIPTIONS,
    S.E400_7,
  ),
  'reachability_status_subscriptions_creation_401.1_no_authorization_header': subscription(
    OTHER_SUBSCRIPTIONS,
    S.create401,
  ),
  'reachability_status_subscriptions_creation_401.2_expired_access_token': subscription(
    OTHER_SUBSCRIPTIONS,
    S.create401,
  ),
  'reachability_status_subscriptions_creation_401.3_malformed_access_token': subscription(
    OTHER_SUBSCRIPTIONS,
    S.create401,
  ),
  'reachability_status_subscriptions_create_403.1_permission_denied': subscription(
    OTHER_SUBSCRIPTIONS,
    S.E403,
  ),
  'reachability_status_subscriptions_create_403.2_permission_denied': subscription(
    OTHER_SUBSCRIPTIONS,
    S.E403,
  ),
  'reachability_status_subscriptions_create_403.3_permission_denied': subscription(
    OTHER_SUBSCRIPTIONS,
    S.E403,
  ),
  'reachability_status_subscriptions_create_403.4_subscription_mismatch_for_requested_events_subscription':
    subscription(OTHER_SUBSCRIPTIONS, S.mismatch),
  'reachability_status_subscriptions_422.1_multi_event_not_supported': subscription(
    OTHER_SUBSCRIPTIONS,
    S.multiEvent,
  ),

  // device-reachability-status-subscriptions-deleteDeviceReachabilityStatusSubscription-v0.8.0.feature
  'reachability_status_subscriptions_01_delete_subscription_based_on_an_existing_subscription-id':
    subscription(OTHER_SUBSCRIPTIONS, S.delete),
  reachability_status_subscriptions_02_subscription_delete_event_validation: subscription(
    OTHER_SUBSCRIPTIONS,
    S.delete,
  ),
  'reachability_status_subscriptions_delete_401.7_no_authorization_header': subscription(
    OTHER_SUBSCRIPTIONS,
    S.delete401,
  ),
  'reachability_status_subscriptions_delete_401.8_expired_access_token': subscription(
    OTHER_SUBSCRIPTIONS,
    S.delete401,
  ),
  'reachability_status_subscriptions_delete_401.9_malformed_access_token': subscription(
    OTHER_SUBSCRIPTIONS,
    S.delete401,
  ),
  'reachability_status_subscriptions_404.2_delete_unknown_subscription_id': subscription(
    OTHER_SUBSCRIPTIONS,
    S.E404,
  ),

  // device-reachability-status-subscriptions-retrieveDeviceReachabilityStatusSubscription-v0.8.0.feature
  'reachability_status_subscriptions_01.1_retrieve_by_id_2legs': subscription(
    OTHER_SUBSCRIPTIONS,
    S.get2,
  ),
  'reachability_status_subscriptions_01.2_retrieve_by_id_3legs': subscription(
    OTHER_SUBSCRIPTIONS,
    S.get3,
  ),
  'reachability_status_subscriptions_retrieve_401.4_no_authorization_header': subscription(
    OTHER_SUBSCRIPTIONS,
    S.get401,
  ),
  'reachability_status_subscriptions_retrieve_401.5_expired_access_token': subscription(
    OTHER_SUBSCRIPTIONS,
    S.get401,
  ),
  'reachability_status_subscriptions_retrieve_401.6_malformed_access_token': subscription(
    OTHER_SUBSCRIPTIONS,
    S.get401,
  ),
  'reachability_status_subscriptions_404.1_retrieve_unknown_subscription_id': subscription(
    OTHER_SUBSCRIPTIONS,
    S.E404,
  ),

  // device-reachability-status-subscriptions-retrieveDeviceReachabilityStatusSubscriptionList-v0.8.0.feature
  reachability_status_subscriptions_01_retrieve_list_2legs: subscription(
    OTHER_SUBSCRIPTIONS,
    S.list2,
  ),
  reachability_status_subscriptions_02_retrieve_list_3legs: subscription(
    OTHER_SUBSCRIPTIONS,
    S.list3,
  ),
  reachability_status_subscriptions_03_retrieve_empty_list_3legs: subscription(
    OTHER_SUBSCRIPTIONS,
    S.listEmpty,
  ),
  'reachability_status_subscriptions_retrieve_list_401.01_no_authorization_header': subscription(
    OTHER_SUBSCRIPTIONS,
    S.list401,
  ),
  'reachability_status_subscriptions_retrieve_list_401.02_expired_access_token': subscription(
    OTHER_SUBSCRIPTIONS,
    S.list401,
  ),
  'reachability_status_subscriptions_retrieve_list_401.03_malformed_access_token': subscription(
    OTHER_SUBSCRIPTIONS,
    S.list401,
  ),

  // connected-network-type-subscriptions-v0.2.0.feature
  'connected_network_type_subscriptions_01.1_sync_creation_2legs': subscription(
    OTHER_SUBSCRIPTIONS,
    S.create2,
  ),
  'connected_network_type_subscriptions_01.2_sync_creation_3legs': subscription(
    OTHER_SUBSCRIPTIONS,
    S.create3,
  ),
  connected_network_type_subscriptions_02_async_creation: { notApplicable: ASYNC },
  'connected_network_type_subscriptions_03.1_retrieve_by_id_2legs': subscription(
    OTHER_SUBSCRIPTIONS,
    S.get2,
  ),
  'connected_network_type_subscriptions_03.2_retrieve_by_id_3legs': subscription(
    OTHER_SUBSCRIPTIONS,
    S.get3,
  ),
  connected_network_type_subscriptions_04_retrieve_list_2legs: subscription(
    OTHER_SUBSCRIPTIONS,
    S.list2,
  ),
  connected_network_type_subscriptions_05_retrieve_list_3legs: subscription(
    OTHER_SUBSCRIPTIONS,
    S.list3,
  ),
  connected_network_type_subscriptions_06_retrieve_empty_list_3legs: subscription(
    OTHER_SUBSCRIPTIONS,
    S.listEmpty,
  ),
  'connected_network_type_subscriptions_07_delete_subscription_based_on_an_existing_subscription-id':
    subscription(OTHER_SUBSCRIPTIONS, S.delete),
  connected_network_type_subscriptions_08_receive_notification_when_network_type_changed: at(
    OTHER_SUBSCRIPTIONS,
    'connected network type: network-type-changed with the new type',
  ),
  connected_network_type_subscriptions_09_subscription_expiry: subscription(
    OTHER_SUBSCRIPTIONS,
    S.expired,
  ),
  connected_network_type_subscriptions_10_subscription_end_when_max_events: subscription(
    OTHER_SUBSCRIPTIONS,
    S.maxEvents,
  ),
  connected_network_type_subscriptions_11_subscription_delete_event_validation: subscription(
    OTHER_SUBSCRIPTIONS,
    S.delete,
  ),
  'connected_network_type_subscriptions_C01.01_device_empty': subscription(
    OTHER_SUBSCRIPTIONS,
    S.C01_01,
  ),
  'connected_network_type_subscriptions_C01.02_device_identifiers_not_schema_compliant':
    subscription(OTHER_SUBSCRIPTIONS, S.C01_02, NETWORK_IDENTIFIER),
  'connected_network_type_subscriptions_C01.03_device_not_found': subscription(
    OTHER_SUBSCRIPTIONS,
    S.C01_03,
  ),
  'connected_network_type_subscriptions_C01.04_unnecessary_device': subscription(
    OTHER_SUBSCRIPTIONS,
    S.C01_04,
  ),
  'connected_network_type_subscriptions_C01.05_missing_device': subscription(
    OTHER_SUBSCRIPTIONS,
    S.C01_05,
  ),
  'connected_network_type_subscriptions_C01.06_unsupported_device': subscription(
    OTHER_SUBSCRIPTIONS,
    S.C01_06,
  ),
  'connected_network_type_subscriptions_C01.07_device_not_supported': subscription(
    OTHER_SUBSCRIPTIONS,
    S.C01_07,
  ),
  'connected_network_type_subscriptions_400.1_create_subscription_with_invalid_parameter':
    subscription(OTHER_SUBSCRIPTIONS, S.E400_1),
  'connected_network_type_subscriptions_400.2_create_subscription_with_invalid_subscription_expire_time':
    subscription(OTHER_SUBSCRIPTIONS, S.E400_2),
  'connected_network_type_subscriptions_400.3_invalid_eventType': subscription(
    OTHER_SUBSCRIPTIONS,
    S.E400_3,
  ),
  'connected_network_type_subscriptions_400.4_invalid_protocol': subscription(
    OTHER_SUBSCRIPTIONS,
    S.E400_4,
  ),
  'connected_network_type_subscriptions_400.5_create_subscription_with_invalid_credential_type':
    subscription(OTHER_SUBSCRIPTIONS, S.E400_5),
  'connected_network_type_subscriptions_400.6_create_subscription_with_invalid_access_token_type':
    subscription(OTHER_SUBSCRIPTIONS, S.E400_6),
  'connected_network_type_subscriptions_400.7_create_subscription_with_invalid_sink_url':
    subscription(OTHER_SUBSCRIPTIONS, S.E400_7),
  'connected_network_type_subscriptions_creation_401.1_no_authorization_header': subscription(
    OTHER_SUBSCRIPTIONS,
    S.create401,
  ),
  'connected_network_type_subscriptions_creation_401.2_expired_access_token': subscription(
    OTHER_SUBSCRIPTIONS,
    S.create401,
  ),
  'connected_network_type_subscriptions_creation_401.3_malformed_access_token': subscription(
    OTHER_SUBSCRIPTIONS,
    S.create401,
  ),
  'connected_network_type_subscriptions_retrieve_401.4_no_authorization_header': subscription(
    OTHER_SUBSCRIPTIONS,
    S.get401,
  ),
  'connected_network_type_subscriptions_retrieve_401.5_expired_access_token': subscription(
    OTHER_SUBSCRIPTIONS,
    S.get401,
  ),
  'connected_network_type_subscriptions_retrieve_401.6_malformed_access_token': subscription(
    OTHER_SUBSCRIPTIONS,
    S.get401,
  ),
  'connected_network_type_subscriptions_delete_401.7_no_authorization_header': subscription(
    OTHER_SUBSCRIPTIONS,
    S.delete401,
  ),
  'connected_network_type_subscriptions_delete_401.8_expired_access_token': subscription(
    OTHER_SUBSCRIPTIONS,
    S.delete401,
  ),
  'connected_network_type_subscriptions_delete_401.9_malformed_access_token': subscription(
    OTHER_SUBSCRIPTIONS,
    S.delete401,
  ),
  'connected_network_type_subscriptions_retrieve_list_401.10_no_authorization_header': subscription(
    OTHER_SUBSCRIPTIONS,
    S.list401,
  ),
  'connected_network_type_subscriptions_retrieve_list_401.11_expired_access_token': subscription(
    OTHER_SUBSCRIPTIONS,
    S.list401,
  ),
  'connected_network_type_subscriptions_retrieve_list_401.12_malformed_access_token': subscription(
    OTHER_SUBSCRIPTIONS,
    S.list401,
  ),
  'connected_network_type_subscriptions_create_403.1_permission_denied': subscription(
    OTHER_SUBSCRIPTIONS,
    S.E403,
  ),
  'connected_network_type_subscriptions_create_403.2_subscription_mismatch_for_requested_events_subscription':
    {
      notApplicable:
        'needs a valid event type other than the token scope; network-type-changed is the only type of this API, as the scenario itself notes',
    },
  'connected_network_type_subscriptions_404.1_retrieve_unknown_subscription_id': subscription(
    OTHER_SUBSCRIPTIONS,
    S.E404,
  ),
  'connected_network_type_subscriptions_404.2_delete_unknown_subscription_id': subscription(
    OTHER_SUBSCRIPTIONS,
    S.E404,
  ),

  // sim-swap-checkSimSwap-r3.3.feature
  check_sim_swap_1_generic_success_scenario: at(SIM_SWAP, 'check 01/02:'),
  check_sim_swap_2_valid_sim_swap_no_max_age: at(SIM_SWAP, 'check 01/02:'),
  check_sim_swap_3_valid_sim_swap_max_age: at(SIM_SWAP, 'check 03:'),
  check_sim_swap_4_more_than_240_hours: at(SIM_SWAP, 'check 04:'),
  check_sim_swap_5_out_of_max_age: at(SIM_SWAP, 'check 05:'),
  check_sim_swap_6_no_sim_swap_no_max_age: at(SIM_SWAP, 'check 06/07:'),
  check_sim_swap_7_no_sim_swap_with_max_age: at(SIM_SWAP, 'check 06/07:'),
  'check_sim_swap_401.1_no_authorization_header': at(SIM_SWAP, 'check 401:'),
  'check_sim_swap_401.2_expired_access_token': at(SIM_SWAP, 'check 401:'),
  'check_sim_swap_401.3_invalid_access_token': at(SIM_SWAP, 'check 401:'),
  'check_sim_swap_400.1_invalid_max_age': at(SIM_SWAP, 'check 400.1:'),
  'check_sim_swap_400.2_invalid_max_age_value': at(SIM_SWAP, 'check 400.2:'),
  'check_sim_swap_400.3_max_age_out_of_monitored_period': at(SIM_SWAP, 'check 400.3:'),
  'check_sim_swap_C02.01_phone_number_not_schema_compliant': at(SIM_SWAP, 'check C02:'),
  'check_sim_swap_C02.02_phone_number_not_found': at(SIM_SWAP, 'check C02:'),
  'check_sim_swap_C02.03_unnecessary_phone_number': at(SIM_SWAP, 'check C02:'),
  'check_sim_swap_C02.04_missing_phone_number': at(SIM_SWAP, 'check C02:'),
  'check_sim_swap_C02.05_phone_number_not_supported': at(SIM_SWAP, 'check C02:'),

  // sim-swap-retrieveSimSwapDate-r3.3.feature
  retrieve_sim_swap_date_1_generic_success_scenario: at(SIM_SWAP, 'retrieve-date 01/02:'),
  retrieve_sim_swap_date_2_valid_sim_swap: at(SIM_SWAP, 'retrieve-date 01/02:'),
  retrieve_sim_swap_date_3_no_sim_swap_returns_activation_date: at(SIM_SWAP, 'retrieve-date 03:'),
  retrieve_sim_swap_date_4_sim_never_associated: at(SIM_SWAP, 'retrieve-date 04:'),
  retrieve_sim_swap_date_5_no_sim_swap_or_activation_date_due_to_legal_constrain: at(
    SIM_SWAP,
    'retrieve-date 05:',
  ),
  'retrieve_sim_swap_date_401.1_no_authorization_header': at(SIM_SWAP, 'retrieve-date 401:'),
  'retrieve_sim_swap_date_401.2_expired_access_token': at(SIM_SWAP, 'retrieve-date 401:'),
  'retrieve_sim_swap_date_401.3_invalid_access_token': at(SIM_SWAP, 'retrieve-date 401:'),
  'retrieve_sim_swap_date_C02.01_phone_number_not_schema_compliant': at(
    SIM_SWAP,
    'retrieve-date C02:',
  ),
  'retrieve_sim_swap_date_C02.02_phone_number_not_found': at(SIM_SWAP, 'retrieve-date C02:'),
  'retrieve_sim_swap_date_C02.03_unnecessary_phone_number': at(SIM_SWAP, 'retrieve-date C02:'),
  'retrieve_sim_swap_date_C02.04_missing_phone_number': at(SIM_SWAP, 'retrieve-date C02:'),
  'retrieve_sim_swap_date_C02.05_phone_number_not_supported': at(SIM_SWAP, 'retrieve-date C02:'),

  // sim-swap-subscriptions-r3.3.feature
  sim_swap_subscription_creation_01_sync_creation: subscription(OTHER_SUBSCRIPTIONS, S.create2),
  sim_swap_subscription_creation_02_async_creation: { notApplicable: ASYNC },
  sim_swap_subscription_retrieve_03_retrieve_by_id: subscription(OTHER_SUBSCRIPTIONS, S.get2),
  sim_swap_subscription_retrieve_04_retrieve_list_2legs: subscription(OTHER_SUBSCRIPTIONS, S.list2),
  sim_swap_subscription_retrieve_07_retrieve_list_3legs: subscription(OTHER_SUBSCRIPTIONS, S.list3),
  sim_swap_subscription_retrieve_08_retrieve_empty_list_3legs: subscription(
    OTHER_SUBSCRIPTIONS,
    S.listEmpty,
  ),
  sim_swap_subscription_delete_05_delete_subscription: subscription(
    OTHER_SUBSCRIPTIONS,
    S.delete,
    'the steps also want Content-Type application/json and a Subscription body with the 204, which has no body: the test asserts 204 without a body',
  ),
  sim_swap_subscription_creation_06_swapped: at(
    OTHER_SUBSCRIPTIONS,
    'sim swap: swapped with phoneNumber (two-legged) and time = the swap time',
  ),
  sim_swap_subscription_creation_07_subscription_ends_on_max_events: subscription(
    OTHER_SUBSCRIPTIONS,
    S.maxEvents,
  ),
  sim_swap_subscription_creation_20_invalid_protocol: subscription(OTHER_SUBSCRIPTIONS, S.E400_4),
  sim_swap_subscription_creation_21_invalid_credential: subscription(OTHER_SUBSCRIPTIONS, S.E400_5),
  sim_swap_subscription_creation_22_invalid_token: subscription(OTHER_SUBSCRIPTIONS, S.E400_6),
  sim_swap_subscription_creation_23_invalid_eventType: subscription(OTHER_SUBSCRIPTIONS, S.E400_3),
  sim_swap_subscription_creation_24_invalid_subscription_expire_time: subscription(
    OTHER_SUBSCRIPTIONS,
    S.E400_2,
  ),
  sim_swap_subscription_creation_25_require_input_properties_missing: subscription(
    OTHER_SUBSCRIPTIONS,
    S.E400_1,
    'rows $.protocol, $.sink, $.types: 400 INVALID_ARGUMENT as asked; row $.config.subscriptionDetail.phoneNumber contradicts scenario 102 and the spec text (no phoneNumber with a two-legged token is 422 MISSING_IDENTIFIER), which the gateway follows',
  ),
  sim_swap_subscription_creation_26_invalid_sink: subscription(OTHER_SUBSCRIPTIONS, S.E400_7),
  sim_swap_subscription_creation_40_no_authorization_header: subscription(
    OTHER_SUBSCRIPTIONS,
    S.create401,
  ),
  sim_swap_subscription_creation_41_expired_access_token: subscription(
    OTHER_SUBSCRIPTIONS,
    S.create401,
  ),
  sim_swap_subscription_creation_42_invalid_access_token: subscription(
    OTHER_SUBSCRIPTIONS,
    S.create401,
  ),
  sim_swap_subscription_retrieve_80_not_found_retrieve_by_id: subscription(
    OTHER_SUBSCRIPTIONS,
    S.E404,
  ),
  sim_swap_subscription_delete_81_not_found_delete_by_id: subscription(OTHER_SUBSCRIPTIONS, S.E404),
  sim_swap_subscription_creation_101_phone_number_token_mismatch: subscription(
    OTHER_SUBSCRIPTIONS,
    S.phoneUnnecessary,
  ),
  sim_swap_subscription_creation_100_not_applicable: subscription(
    OTHER_SUBSCRIPTIONS,
    S.phoneNotApplicable,
  ),
  sim_swap_subscription_creation_102_missing_identifier: subscription(
    OTHER_SUBSCRIPTIONS,
    S.phoneMissing,
  ),
}
