import { CONSENT_POLICIES } from '../core/consent-policy.js'
import { CONNECTIVITY_TYPES, DEVICE_APIS, NETWORK_TYPES } from '../core/device.js'

const nullable = (schema: Record<string, unknown>) => ({ anyOf: [schema, { type: 'null' }] })
const dateTime = { type: 'string', format: 'date-time' }

/**
 * JSON Schema of a simulated device's state (BRIEF §3 admin API). Every field is optional: PUT
 * fills the missing ones with defaults, PATCH changes only those given. Unknown fields are
 * refused so that a typo never passes silently.
 */
export const DEVICE_STATE_SCHEMA = {
  $id: 'simulator-device-state',
  type: 'object',
  additionalProperties: false,
  properties: {
    phoneNumber: { type: 'string', pattern: '^\\+[1-9][0-9]{4,14}$' },
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
    connectivity: { type: 'array', uniqueItems: true, items: { enum: [...CONNECTIVITY_TYPES] } },
    networkType: nullable({ enum: [...NETWORK_TYPES] }),
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
    notApplicable: { type: 'array', uniqueItems: true, items: { enum: [...DEVICE_APIS] } },
    networkUnavailable: { type: 'boolean' },
    /** How the simulated subscriber answers consent requests: approve, deny, or null (wait for a decision). */
    consentPolicy: nullable({ enum: [...CONSENT_POLICIES] }),
  },
} as const

export type DeviceStateInput = {
  phoneNumber?: string
  roaming?: false | { countryCode: number }
  connectivity?: ('DATA' | 'SMS')[]
  networkType?: (typeof NETWORK_TYPES)[number] | null
  simSwappedAt?: string | null
  simActivatedAt?: string | null
  ipv4Address?: { publicAddress: string; privateAddress?: string; publicPort?: number } | null
  ipv6Address?: string | null
  networkAccessIdentifier?: string | null
  notApplicable?: (typeof DEVICE_APIS)[number][]
  networkUnavailable?: boolean
  consentPolicy?: (typeof CONSENT_POLICIES)[number] | null
}

/** A scenario: a timeline of state changes played from the moment it is posted. */
export const SCENARIO_SCHEMA = {
  $id: 'simulator-scenario',
  type: 'object',
  additionalProperties: false,
  required: ['steps'],
  properties: {
    name: { type: 'string', maxLength: 200 },
    steps: {
      type: 'array',
      minItems: 1,
      maxItems: 10_000,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['at', 'phoneNumber'],
        properties: {
          /** Seconds after the start, or text such as `+5s`, `+500ms`, `+2m`. */
          // Its form and range are checked where it is read (scenarios.ts parseOffset), with a
          // message naming both forms.
          at: { type: ['number', 'string'] },
          phoneNumber: { type: 'string', pattern: '^\\+[1-9][0-9]{4,14}$' },
          set: { $ref: 'simulator-device-state' },
          delete: { const: true },
        },
        oneOf: [{ required: ['set'] }, { required: ['delete'] }],
      },
    },
  },
} as const

export interface ScenarioInput {
  name?: string
  steps: { at: number | string; phoneNumber: string; set?: DeviceStateInput; delete?: true }[]
}
