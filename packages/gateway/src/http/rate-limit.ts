import type { Store } from '../store/store.js'

/**
 * Requests per second per key (the app's client_id). `take` answers `0` when the request may
 * go on, else the seconds to wait before retrying (`Retry-After`).
 */
export interface RateLimiter {
  take(key: string): number | Promise<number>
}

/**
 * One instance: a token bucket in memory, `ratePerSecond` tokens a second up to a burst of the
 * same size.
 */
export function rateLimiter(
  ratePerSecond: number,
  now: () => number = () => Date.now(),
): RateLimiter {
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
 * Several instances on one PostgreSQL: a fixed one-second window per app, counted in the shared
 * store, so the limit holds whichever instance a request reaches.
 */
export function sharedRateLimiter(
  store: Store,
  ratePerSecond: number,
  now: () => number = () => Date.now(),
): RateLimiter {
  let lastPrune = 0
  return {
    async take(key) {
      const window = Math.floor(now() / 1000)
      if (window - lastPrune >= 60) {
        lastPrune = window
        void store.rateLimits.prune(window - 5).catch(() => undefined)
      }
      const count = await store.rateLimits.hit(key, window)
      return count > ratePerSecond ? 1 : 0
    },
  }
}
