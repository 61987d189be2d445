import { API_NAMES } from './generated/camara-apis.js'

/** Network technologies a device can be attached with (BRIEF §3; absent = not on a mobile network). */
export const NETWORK_TYPES = ['2G', '3G', '4G', '5G'] as const
/** One of {@link NETWORK_TYPES}. */
export type NetworkType = (typeof NETWORK_TYPES)[number]

/** How a device can be reached: for data, for SMS. */
export const CONNECTIVITY_TYPES = ['DATA', 'SMS'] as const
/** One of {@link CONNECTIVITY_TYPES}. */
export type ConnectivityType = (typeof CONNECTIVITY_TYPES)[number]

/**
 * The APIs a device can be marked "not applicable" for (`422 SERVICE_NOT_APPLICABLE`): every API
 * the gateway serves. A device API's name covers its subscriptions too; a subscription API's name
 * (`device-roaming-status-subscriptions`) covers only its subscriptions.
 */
export const DEVICE_APIS = [
  'device-roaming-status',
  'device-reachability-status',
  'connected-network-type',
  'sim-swap',
  'device-status',
  'device-roaming-status-subscriptions',
  'device-reachability-status-subscriptions',
  'connected-network-type-subscriptions',
  'sim-swap-subscriptions',
] as const satisfies readonly (typeof API_NAMES)[number][]
/** One of {@link DEVICE_APIS}. */
export type DeviceApi = (typeof DEVICE_APIS)[number]

/** How the simulated subscriber answers consent requests (sandbox only). */
export const CONSENT_POLICIES = ['approve', 'deny'] as const
/** One of {@link CONSENT_POLICIES}. */
export type ConsentPolicy = (typeof CONSENT_POLICIES)[number]

/** The OAuth grant types an app may use, as the developer hub stores them. */
export const GRANT_TYPES = {
  authorizationCode: 'authorization_code',
  ciba: 'urn:openid:params:grant-type:ciba',
  clientCredentials: 'client_credentials',
  jwtBearer: 'urn:ietf:params:oauth:grant-type:jwt-bearer',
  refreshToken: 'refresh_token',
} as const
/** One of the values of {@link GRANT_TYPES}. */
export type GrantType = (typeof GRANT_TYPES)[keyof typeof GRANT_TYPES]
/** Every value of {@link GRANT_TYPES}. */
export const ALL_GRANT_TYPES: readonly GrantType[] = /* @__PURE__ */ Object.values(GRANT_TYPES)

/** How an app authenticates at the token endpoint. */
export const AUTH_METHODS = [
  'client_secret_basic',
  'client_secret_post',
  'private_key_jwt',
] as const
/** One of {@link AUTH_METHODS}. */
export type AuthMethod = (typeof AUTH_METHODS)[number]

/**
 * An app's profile. `strict`: the CAMARA profile only. `compatible`: also what the vendor sandbox
 * and its samples send (client secrets, `dpv:X#api` scopes, `purpose=`, `phone_number:` hints, no
 * `openid`, token requests without `redirect_uri`).
 */
export const APP_MODES = ['strict', 'compatible'] as const
/** One of {@link APP_MODES}. */
export type ProfileMode = (typeof APP_MODES)[number]

const PHONE_NUMBER = { type: 'string', pattern: '^\\+[1-9][0-9]{4,14}$' } as const
const nullable = <TSchema extends object>(schema: TSchema) =>
  ({ anyOf: [schema, { type: 'null' }] }) as const
const dateTime = { type: 'string', format: 'date-time' } as const

/**
 * JSON Schema of a simulated device's state, the body of `PUT` and `PATCH
 * /network/v1/devices/{phoneNumber}` (BRIEF §3 admin API). Every field is optional: PUT fills the
 * missing ones with defaults, PATCH changes only those given. Unknown fields are refused so that a
 * typo never passes silently. Its type is {@link DeviceStateInput}.
 */
export const DEVICE_STATE_SCHEMA = {
  $id: 'simulator-device-state',
  type: 'object',
  additionalProperties: false,
  properties: {
    phoneNumber: PHONE_NUMBER,
    roaming: {
      anyOf: [
        { const: false },
        {
          type: 'object',
          additionalProperties: false,
          required: ['countryCode'],
          properties: { countryCode: { type: 'integer', minimum: 1, maximum: 999 } },
        },
      ],
    },
    connectivity: { type: 'array', uniqueItems: true, items: { enum: CONNECTIVITY_TYPES } },
    networkType: nullable({ enum: NETWORK_TYPES }),
    simSwappedAt: nullable(dateTime),
    simActivatedAt: nullable(dateTime),
    ipv4Address: nullable({
      type: 'object',
      additionalProperties: false,
      required: ['publicAddress'],
      properties: {
        publicAddress: { type: 'string', format: 'ipv4' },
        privateAddress: { type: 'string', format: 'ipv4' },
        publicPort: { type: 'integer', minimum: 0, maximum: 65535 },
      },
    }),
    ipv6Address: nullable({ type: 'string', format: 'ipv6' }),
    networkAccessIdentifier: nullable({
      type: 'string',
      minLength: 3,
      maxLength: 253,
      pattern: '^[^@\\s]+@[^@\\s]+$',
    }),
    notApplicable: { type: 'array', uniqueItems: true, items: { enum: DEVICE_APIS } },
    networkUnavailable: { type: 'boolean' },
    consentPolicy: {
      ...nullable({ enum: CONSENT_POLICIES }),
      description:
        'How the simulated subscriber answers consent requests: approve, deny, or null (wait for a decision).',
    },
  },
} as const

// A public JSON Web Key set; the key fields are the JWK's own (RFC 7517), unchecked here.
// `additionalProperties: true` is JSON Schema's default, spelled out for the generated types.
const JWKS = {
  type: 'object',
  required: ['keys'],
  additionalProperties: true,
  properties: {
    keys: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        required: ['kty'],
        additionalProperties: true,
        properties: { kty: {} },
      },
    },
  },
} as const

/**
 * JSON Schema of the body of `POST /admin/v1/apps`: a new app (OAuth client) of the developer hub.
 * Its type is {@link AppInput}.
 */
export const APP_INPUT_SCHEMA = {
  $id: 'admin-app-input',
  type: 'object',
  additionalProperties: false,
  required: ['name'],
  properties: {
    clientId: { type: 'string', pattern: '^[A-Za-z0-9._~-]{3,100}$' },
    name: { type: 'string', minLength: 1, maxLength: 200 },
    redirectUris: { type: 'array', items: { type: 'string', format: 'uri' }, maxItems: 20 },
    apis: {
      type: 'array',
      items: { enum: API_NAMES },
      uniqueItems: true,
      description: 'API names (`device-roaming-status`, …): every scope of each is allowed.',
    },
    scopes: { type: 'array', items: { type: 'string', pattern: '^\\S+$' }, uniqueItems: true },
    purposes: { type: 'array', items: { type: 'string' }, uniqueItems: true },
    grantTypes: {
      type: 'array',
      items: { enum: Object.values(GRANT_TYPES) },
      uniqueItems: true,
      minItems: 1,
    },
    tokenEndpointAuthMethod: { enum: AUTH_METHODS },
    jwks: JWKS,
    mode: { enum: APP_MODES },
  },
} as const

/**
 * JSON Schema of an app as `GET /admin/v1/apps` shows it: never its secret, only whether it has
 * one. Its type is {@link App}.
 */
export const APP_SCHEMA = {
  $id: 'admin-app',
  type: 'object',
  additionalProperties: false,
  required: [
    'clientId',
    'name',
    'redirectUris',
    'scopes',
    'purposes',
    'grantTypes',
    'tokenEndpointAuthMethod',
    'mode',
    'hasSecret',
    'createdAt',
    'updatedAt',
  ],
  properties: {
    clientId: { type: 'string' },
    name: { type: 'string' },
    redirectUris: { type: 'array', items: { type: 'string' } },
    scopes: {
      type: 'array',
      items: { type: 'string' },
      description: 'API scopes it may be granted.',
    },
    purposes: {
      type: 'array',
      items: { type: 'string' },
      description: '`dpv:` purposes it may declare.',
    },
    grantTypes: { type: 'array', items: { enum: Object.values(GRANT_TYPES) } },
    tokenEndpointAuthMethod: { enum: AUTH_METHODS },
    jwks: JWKS,
    mode: { enum: APP_MODES },
    hasSecret: { type: 'boolean' },
    createdAt: dateTime,
    updatedAt: dateTime,
  },
} as const

export type { App, AppInput, DeviceStateInput, Jwk } from './generated/admin-types.js'
