/**
 * A token bucket per key (the app's client_id): `ratePerSecond` tokens refill every second, up
 * to a burst of the same size. In-process; the PostgreSQL issue moves it to the shared store.
 */
export interface RateLimiter {
  /** `0` when allowed, else the seconds to wait before a token is free (for `Retry-After`). */
  take(key: string): number
}

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
