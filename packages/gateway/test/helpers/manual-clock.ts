import type { Clock } from '../../src/core/clock.js'

/** A clock that stands still until the test moves it: time-driven behaviour without sleeping. */
export interface ManualClock {
  clock: Clock
  /** Epoch ms now. */
  now(): number
  advance(ms: number): void
}

export function manualClock(start: number): ManualClock {
  let now = start
  return {
    clock: () => new Date(now),
    now: () => now,
    advance: (ms) => {
      now += ms
    },
  }
}
