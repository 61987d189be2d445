import type { Clock } from '../../src/core/clock.js'

/** A clock the test moves by hand: time stands still until `advance` or `set`. */
export interface ManualClock {
  clock: Clock
  advance(ms: number): void
  set(time: Date | string): void
}

export function manualClock(start: Date | string = '2026-12-06T12:00:00.000Z'): ManualClock {
  let now = new Date(start).getTime()
  return {
    clock: () => new Date(now),
    advance: (ms) => {
      now += ms
    },
    set: (time) => {
      now = new Date(time).getTime()
    },
  }
}
