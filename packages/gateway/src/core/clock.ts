/**
 * The gateway's clock. Everything that decides by the current time (token and CIBA expiry, poll
 * intervals, leases, backoff, subscription expiry, status times, rate limits) asks the clock it
 * was given, never `Date.now()`: the process passes {@link systemClock}, tests a controlled one.
 */
export type Clock = () => Date

/** The real time. The only place in the gateway that reads it. */
export const systemClock: Clock = () => new Date()

/** Epoch milliseconds of the clock's now. */
export function nowMs(clock: Clock): number {
  return clock().getTime()
}
