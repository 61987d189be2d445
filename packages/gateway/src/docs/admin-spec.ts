/** The JSON Schemas the admin routes validate with, by their `$id`s (the app hands them over). */
export interface AdminSchemas {
  deviceState: { $id: string }
  scenario: { $id: string }
  appInput: { $id: string }
  tokenRequest: { $id: string }
}

/** A route's JSON Schema as an OpenAPI component: no `$id`, references into components. */
const schema = (s: { $id: string }) => {
  const { $id: _id, ...rest } = s as Record<string, unknown> & { $id: string }
  return JSON.parse(
    JSON.stringify(rest).replaceAll(
      '"simulator-device-state"',
      '"#/components/schemas/DeviceState"',
    ),
  ) as Record<string, unknown>
}

type Op = {
  summary: string
  description?: string
  tags: string[]
  body?: string
  example?: unknown
  params?: { name: string; in: 'path' | 'query'; description?: string }[]
  ok?: string
  /** More refusals than 400 and 401, each a CAMARA error body: status → when. */
  errors?: Record<string, string>
}

function operation(op: Op) {
  return {
    summary: op.summary,
    ...(op.description === undefined ? {} : { description: op.description }),
    tags: op.tags,
    ...(op.params === undefined
      ? {}
      : {
          parameters: op.params.map((p) => ({
            name: p.name,
            in: p.in,
            required: p.in === 'path',
            ...(p.description === undefined ? {} : { description: p.description }),
            schema: { type: 'string' },
          })),
        }),
    ...(op.body === undefined
      ? {}
      : {
          requestBody: {
            required: true,
            content: {
              'application/json': {
                schema: { $ref: `#/components/schemas/${op.body}` },
                ...(op.example === undefined ? {} : { example: op.example }),
              },
            },
          },
        }),
    responses: {
      [op.ok ?? '200']: { description: 'Done' },
      '400': { description: 'Invalid input: CAMARA error body' },
      '401': { description: 'No or wrong admin token' },
      ...Object.fromEntries(
        Object.entries(op.errors ?? {}).map(([status, when]) => [
          status,
          { description: `${when}: CAMARA error body` },
        ]),
      ),
    },
  }
}

const phone = { name: 'phoneNumber', in: 'path' as const, description: 'E.164, e.g. +34600000001' }
const sim = ['Network simulator']
const hub = ['Developer hub']
const consent = ['Consent']
const notify = ['Notifications']

/**
 * An OpenAPI 3.1 document of the gateway's own admin API (network simulator, developer hub,
 * consent, notifications, sandbox tokens), built from the JSON Schemas the routes validate with,
 * so that `/docs` documents what the routes accept.
 */
export function adminSpec(
  origin: string,
  sandbox: boolean,
  schemas: AdminSchemas,
): Record<string, unknown> {
  const device = '/network/v1/devices/{phoneNumber}'
  const paths: Record<string, Record<string, unknown>> = {
    '/network/v1/devices': { get: operation({ summary: 'List the simulated devices', tags: sim }) },
    [device]: {
      get: operation({ summary: 'A simulated device', tags: sim, params: [phone] }),
      put: operation({
        summary: 'Create or replace a simulated device',
        tags: sim,
        params: [phone],
        body: 'DeviceState',
        example: { connectivity: ['DATA', 'SMS'], networkType: '5G' },
      }),
      patch: operation({
        summary: 'Change some facts of a device (a network event)',
        tags: sim,
        params: [phone],
        body: 'DeviceState',
        example: { roaming: { countryCode: 208 } },
      }),
      delete: operation({ summary: 'Remove a device', tags: sim, params: [phone], ok: '204' }),
    },
    '/network/v1/events': {
      get: operation({
        summary: 'The stored network events',
        tags: sim,
        params: [
          { name: 'after', in: 'query', description: 'sequence number' },
          { name: 'phoneNumber', in: 'query' },
          { name: 'limit', in: 'query' },
        ],
      }),
    },
    '/network/v1/scenarios': {
      get: operation({ summary: 'Scenarios played since start-up', tags: sim }),
      post: operation({
        summary: 'Play a timeline of changes',
        tags: sim,
        body: 'Scenario',
        ok: '202',
        example: {
          name: 'trip',
          steps: [
            { at: '+2s', phoneNumber: '+34600000003', set: { roaming: { countryCode: 208 } } },
            { at: '+5s', phoneNumber: '+34600000003', set: { roaming: false } },
          ],
        },
      }),
    },
    '/network/v1/scenarios/{id}': {
      get: operation({
        summary: 'Follow a scenario',
        tags: sim,
        params: [{ name: 'id', in: 'path' }],
      }),
      delete: operation({
        summary: 'Cancel a scenario',
        tags: sim,
        params: [{ name: 'id', in: 'path' }],
      }),
    },
    '/admin/v1/apps': {
      get: operation({ summary: 'List the apps', tags: hub }),
      post: operation({
        summary: 'Create an app (its secret is shown once)',
        tags: hub,
        body: 'AppInput',
        ok: '201',
        example: {
          name: 'My app',
          apis: ['device-roaming-status'],
          purposes: ['dpv:FraudPreventionAndDetection'],
          grantTypes: ['client_credentials'],
        },
      }),
    },
    '/admin/v1/apps/{clientId}': {
      get: operation({ summary: 'An app', tags: hub, params: [{ name: 'clientId', in: 'path' }] }),
      put: operation({
        summary: 'Change an app',
        tags: hub,
        params: [{ name: 'clientId', in: 'path' }],
        body: 'AppInput',
      }),
      delete: operation({
        summary: 'Delete an app',
        tags: hub,
        params: [{ name: 'clientId', in: 'path' }],
        ok: '204',
      }),
    },
    '/admin/v1/apps/{clientId}/secret': {
      post: operation({
        summary: 'Rotate the secret (shown once)',
        tags: hub,
        params: [{ name: 'clientId', in: 'path' }],
      }),
    },
    '/admin/v1/keys': { get: operation({ summary: 'Signing keys', tags: hub }) },
    '/admin/v1/keys/rotate': { post: operation({ summary: 'Rotate the signing key', tags: hub }) },
    '/admin/v1/consents': {
      get: operation({
        summary: 'Consents',
        tags: consent,
        params: [
          { name: 'phoneNumber', in: 'query' },
          { name: 'clientId', in: 'query' },
          { name: 'status', in: 'query' },
        ],
      }),
    },
    '/admin/v1/consents/{id}': {
      delete: operation({
        summary: 'Revoke a consent (its tokens stop working)',
        tags: consent,
        params: [{ name: 'id', in: 'path' }],
      }),
    },
    '/admin/v1/authorizations': {
      get: operation({
        summary:
          'Requests waiting for the subscriber: CIBA, and authorization code at its consent page',
        description:
          'Each entry: `id` (what approve and deny take), `flow` (`ciba` or `authorization_code`), `authReqId` (CIBA only), `clientId`, `phoneNumber`, `purpose`, `scopes`, `status` (`pending`, `approved`, `denied`, `expired`), `createdAt`, `expiresAt`. An authorization-code request is listed from the moment its consent page is shown; `id` is its interaction uid.',
        tags: consent,
        params: [
          { name: 'status', in: 'query', description: 'pending, approved, denied, expired' },
        ],
      }),
    },
    '/admin/v1/authorizations/{id}/approve': {
      post: operation({
        summary: 'Approve as the subscriber',
        description:
          'A CIBA request: the next poll gets the token. An authorization-code request: the consent is recorded and the consent page, which polls, continues the flow to the app with its code. Answers `{id, flow, status}` (and `authReqId` for CIBA).',
        tags: consent,
        params: [{ name: 'id', in: 'path', description: "the entry's id (CIBA: its auth_req_id)" }],
        errors: { '404': 'NOT_FOUND: nothing waits under this id (unknown, decided or expired)' },
      }),
    },
    '/admin/v1/authorizations/{id}/deny': {
      post: operation({
        summary: 'Deny as the subscriber',
        description:
          'A CIBA request: the next poll gets access_denied. An authorization-code request: the consent page continues to the app with error=access_denied.',
        tags: consent,
        params: [{ name: 'id', in: 'path', description: "the entry's id (CIBA: its auth_req_id)" }],
        errors: { '404': 'NOT_FOUND: nothing waits under this id (unknown, decided or expired)' },
      }),
    },
    '/admin/v1/subscriptions': {
      get: operation({
        summary: "Every app's subscriptions",
        tags: notify,
        params: [
          { name: 'clientId', in: 'query' },
          { name: 'api', in: 'query' },
          { name: 'phoneNumber', in: 'query' },
          { name: 'status', in: 'query' },
        ],
      }),
    },
    '/admin/v1/deliveries': {
      get: operation({
        summary: 'The outbox: notifications and every delivery attempt',
        tags: notify,
        params: [
          { name: 'subscriptionId', in: 'query' },
          { name: 'status', in: 'query' },
          { name: 'limit', in: 'query' },
        ],
      }),
    },
    '/admin/v1/deliveries/{id}/redeliver': {
      post: operation({
        summary: 'Deliver a notification again',
        tags: notify,
        params: [{ name: 'id', in: 'path' }],
        ok: '202',
      }),
    },
    '/admin/v1/events/stream': {
      get: operation({
        summary: 'Server-Sent Events: network events with the CloudEvents they produced',
        tags: notify,
        params: [
          { name: 'after', in: 'query' },
          { name: 'backlog', in: 'query' },
        ],
      }),
    },
  }
  if (sandbox) {
    paths['/sandbox/v1/access-tokens'] = {
      post: operation({
        summary: 'Mint an access token (sandbox only)',
        tags: ['Sandbox'],
        body: 'TokenRequest',
        ok: '201',
        example: { scope: 'device-roaming-status:read', phoneNumber: '+34600000001' },
      }),
    }
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Gateway admin API (simulator, developer hub, consent, notifications)',
      version: '1',
      description:
        'Authorize with the admin token (the sandbox prints it and keeps it in .data/admin-token).',
    },
    servers: [{ url: origin }],
    security: [{ adminToken: [] }],
    paths,
    components: {
      securitySchemes: {
        adminToken: { type: 'http', scheme: 'bearer', description: 'The admin token' },
      },
      schemas: {
        DeviceState: schema(schemas.deviceState),
        Scenario: schema(schemas.scenario),
        AppInput: schema(schemas.appInput),
        TokenRequest: schema(schemas.tokenRequest),
      },
    },
  }
}
