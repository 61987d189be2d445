import { systemClock, type Clock } from '../core/clock.js'
import type { Store } from '../store/store.js'

/**
 * Requests per second per key (the app's client_id). `take` answers `0` when the request may
 * go on, else the seconds to wait before retrying (`Retry-After`).
 */
export interface RateLimiter {
  take(key: string): number | Promise<number>
}

/** A rate limiter that answers at once (both below do). */
export interface ImmediateRateLimiter extends RateLimiter {
  take(key: string): number
}

/**
 * One instance: a token bucket in memory, `ratePerSecond` tokens a second up to a burst of the
 * same size.
 */
export function rateLimiter(
  ratePerSecond: number,
  clock: Clock = systemClock,
): ImmediateRateLimiter {
  const now = () => clock().getTime()
  const buckets = new Map<string, { tokens: number; at: number }>()
  return {
    take(key) {
      const t = now()
      let bucket = buckets.get(key)
      if (bucket === undefined) {
        bucket = { tokens: ratePerSecond, at: t }
        buckets.set(key, bucket)
      } else {
        bucket.tokens = Math.min(
          ratePerSecond,
          bucket.tokens + ((t - bucket.at) / 1000) * ratePerSecond,
        )
        bucket.at = t
      }
      if (bucket.tokens >= 1) {
        bucket.tokens -= 1
        return 0
      }
      return Math.max(1, Math.ceil((1 - bucket.tokens) / ratePerSecond))
    },
  }
}

/**
 * Several instances on one PostgreSQL: a one-second window per app, counted in the shared
 * store. Each instance admits against the cluster's total as last read plus what it admitted
 * since, and adds its own count to the store every `syncMs` (one write per app and interval,
 * not one per request: a single hot row would serialise every request). The limit holds across
 * instances, give or take what they admit within one interval.
 */
export function sharedRateLimiter(
  store: Store,
  ratePerSecond: number,
  options: { clock?: Clock; syncMs?: number } = {},
): ImmediateRateLimiter {
  const clock = options.clock ?? systemClock
  const now = () => clock().getTime()
  const syncMs = options.syncMs ?? 50
  // `syncing`: taken here, on its way into the store, not yet in `shared` (counted meanwhile).
  const windows = new Map<
    string,
    { window: number; shared: number; local: number; syncing: number }
  >()
  let timer: NodeJS.Timeout | undefined
  let lastPrune = 0

  const sync = async () => {
    timer = undefined
    const window = Math.floor(now() / 1000)
    if (window - lastPrune >= 60) {
      lastPrune = window
      await store.rateLimits.prune(window - 5).catch(() => undefined)
    }
    for (const [key, state] of windows) {
      if (state.window < window) {
        windows.delete(key)
        continue
      }
      if (state.local === 0) continue
      const add = state.local
      state.local = 0
      state.syncing += add
      try {
        state.shared = await store.rateLimits.hit(key, state.window, add)
      } catch {
        state.local += add
      } finally {
        state.syncing -= add
      }
    }
  }

  return {
    take(key) {
      const window = Math.floor(now() / 1000)
      let state = windows.get(key)
      if (state === undefined || state.window !== window) {
        state = { window, shared: 0, local: 0, syncing: 0 }
        windows.set(key, state)
      }
      if (state.shared + state.syncing + state.local >= ratePerSecond) return 1
      state.local++
      if (timer === undefined) {
        timer = setTimeout(() => void sync(), syncMs)
        timer.unref()
      }
      return 0
    },
  }
}
