/**
 * The `MonitoringEventSubscription` members nef-sim reads, with the types, formats and required
 * members TS 29.122 gives them (`../shared/specs/3gpp/TS29122_MonitoringEvent.bundled.yaml`; the
 * file itself is a reference kept for tests, not shipped). Other members are allowed and kept as
 * sent. The enumerations are extensible in the file (any string), so `monitoringType` and
 * `reachabilityType` are strings here; the service says which values it serves.
 */
export const MONITORING_EVENT_SUBSCRIPTION_SCHEMA = {
  $id: 'nef-sim-monitoring-event-subscription',
  type: 'object',
  required: ['notificationDestination', 'monitoringType'],
  anyOf: [{ required: ['maximumNumberOfReports'] }, { required: ['monitorExpireTime'] }],
  properties: {
    self: { type: 'string' },
    supportedFeatures: { type: 'string', pattern: '^[A-Fa-f0-9]*$' },
    msisdn: { type: 'string' },
    externalId: { type: 'string' },
    ipv4Addr: { type: 'string', format: 'ipv4' },
    ipv6Addr: { type: 'string', format: 'ipv6' },
    notificationDestination: { type: 'string', minLength: 1 },
    requestTestNotification: { type: 'boolean' },
    monitoringType: { type: 'string' },
    maximumNumberOfReports: { type: 'integer', minimum: 1 },
    monitorExpireTime: { type: 'string', format: 'date-time' },
    reachabilityType: { type: 'string' },
    maximumLatency: { type: 'integer', minimum: 0 },
    maximumResponseTime: { type: 'integer', minimum: 0 },
    plmnIndication: { type: 'boolean' },
    immediateRep: { type: 'boolean' },
    addnMonTypes: { type: 'array', items: { type: 'string' } },
  },
} as const
