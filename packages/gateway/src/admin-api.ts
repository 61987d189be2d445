/**
 * The admin API's wire shapes and value lists, for clients such as the CLI: a light entry point
 * (`@device-status/gateway/admin`) that loads no server code.
 */
export {
  CONNECTIVITY_TYPES,
  CONSENT_POLICIES,
  DEVICE_APIS,
  NETWORK_TYPES,
  type DeviceStateInput,
} from '@device-status/contract'
export type { DeviceView } from './simulator/simulator.js'
export type { ScenarioInput } from './simulator/state-schema.js'
export type { ScenarioRun, ScenarioStep } from './simulator/scenarios.js'
