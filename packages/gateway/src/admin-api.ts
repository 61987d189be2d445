/**
 * The admin API's wire shapes and value lists, for clients such as the CLI: a light entry point
 * (`@device-status/gateway/admin`) that loads no server code.
 */
export { CONNECTIVITY_TYPES, DEVICE_APIS, NETWORK_TYPES } from './core/device.js'
export { CONSENT_POLICIES } from './core/consent-policy.js'
export type { DeviceView } from './simulator/simulator.js'
export type { DeviceStateInput, ScenarioInput } from './simulator/state-schema.js'
export type { ScenarioRun, ScenarioStep } from './simulator/scenarios.js'
