/**
 * How the sandbox's stand-in subscriber answers consent requests for a simulated device
 * (`consentPolicy`); `null` on a device: ask and wait. Only the simulator has it.
 */
export const CONSENT_POLICIES = ['approve', 'deny'] as const
export type ConsentPolicy = (typeof CONSENT_POLICIES)[number]
