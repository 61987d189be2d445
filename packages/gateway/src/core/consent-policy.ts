/**
 * How the sandbox's stand-in subscriber answers consent requests for a simulated device
 * (`consentPolicy`); `null` on a device: ask and wait. Only the simulator has it. The values are
 * the admin API's contract (its device-state schema), shared with the CLI.
 */
export { CONSENT_POLICIES, type ConsentPolicy } from '@device-status/contract'
