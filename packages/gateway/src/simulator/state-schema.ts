import type { DeviceStateInput } from '@device-status/contract'

// The device state schema and its type are the admin API's contract, shared with the CLI.
export { DEVICE_STATE_SCHEMA, type DeviceStateInput } from '@device-status/contract'

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
