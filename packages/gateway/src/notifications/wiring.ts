import type { Config } from '../config.js'
import { DEFAULT_DELIVERY, type DeliveryConfig } from './delivery-policy.js'
import type { Resolve, SinkPolicy } from './sink-policy.js'

/**
 * Sandbox mode allows loopback (and http) sinks; private ranges only when configured. `resolve`
 * replaces the system resolver (tests).
 */
export function sinkPolicyOf(config: Config, resolve?: Resolve): SinkPolicy {
  return {
    allowLoopback: config.mode === 'sandbox',
    allowPrivate: config.sinkAllowPrivate,
    ...(resolve === undefined ? {} : { resolve }),
  }
}

export function deliveryConfigOf(config: Config): DeliveryConfig {
  return {
    ...DEFAULT_DELIVERY,
    maxAttempts: config.notifyMaxAttempts,
    timeoutMs: config.notifyTimeoutMs,
    baseBackoffMs: config.notifyBackoffMs,
    // Retries are looked for at the backoff's pace, but never more often than every 50 ms.
    pollMs: Math.max(50, Math.min(DEFAULT_DELIVERY.pollMs, config.notifyBackoffMs)),
    // A claim outlives the attempts of one batch (they run in parallel, each within the timeout);
    // after a crash another worker takes the notifications over once it lapses.
    leaseMs: Math.max(2000, config.notifyTimeoutMs * 3),
  }
}
