import { createHmac, randomBytes } from 'node:crypto'
import { isIPv4, isIPv6 } from 'node:net'
import type { Clock } from '../core/clock.js'
import type { Store } from '../store/store.js'
import { verifySecret } from './secret.js'

/** The failure limits of client secret authentication (CLIENT_AUTH_FAILURES_*). */
export interface ClientAuthLimits {
  /** Failed authentications one source address may make per window. */
  perSource: number
  /** Failed authentications against one app per window, all sources together. */
  perClient: number
  /** Window of both limits, seconds. */
  windowSeconds: number
}

/**
 * A client authentication refused before any secret was checked: its source, or the app, made too
 * many failed attempts in this window. Answered `429` with `Retry-After` (auth/provider.ts).
 */
export class ClientAuthLimitedError extends Error {
  readonly retryAfter: number
  constructor(retryAfter: number) {
    super('too many failed client authentications; retry later')
    this.name = 'ClientAuthLimitedError'
    this.retryAfter = retryAfter
  }
}

export interface ClientSecretVerifier {
  /**
   * Whether `secret` is the app's secret, `storedHash` being the hash in the app's row as read for
   * this request. Throws {@link ClientAuthLimitedError} when a failure limit refuses the attempt.
   */
  verify(input: {
    clientId: string
    secret: string
    storedHash: string
    source: string | undefined
  }): Promise<boolean>
  /**
   * Seconds until this source may authenticate again, as this instance already knows it (no store
   * read); 0 when it is not known to be over its limit. Lets the routes refuse early.
   */
  sourceBlocked(source: string | undefined): number
  /**
   * Whether `verify` would accept `secret` at once, from its cache: this instance verified it
   * against `storedHash` before and the source is not over its limit. Reads no store and counts
   * nothing; `false` only means "not known here" (then `verify` decides).
   */
  verifiedBefore(input: {
    clientId: string
    secret: string
    storedHash: string
    source: string | undefined
  }): boolean
}

/** Verifications kept at most (the least recently used go first), and how long, milliseconds. */
const CACHE_SIZE = 10_000
const CACHE_TTL_MS = 10 * 60_000

/**
 * Client secret authentication at wire speed, secrets still scrypt-hashed at rest (auth/secret.ts).
 *
 * A successful scrypt verification is remembered in memory, keyed by an HMAC of the client id and
 * the presented secret (under a key this process draws at start and never stores), with the stored
 * hash it matched as value. A later request with the same secret counts as verified only when the
 * app row read for that request still holds that exact hash: a rotated secret (new hash) or a
 * deleted app (no row, so no request reaches here) refuses the old secret at once, on every
 * instance, with no signal between them. Failures are never cached.
 *
 * Before scrypt runs (a cache miss), the attempt is counted as a failure against its source
 * address and against the app, in the store (so the limits hold across instances), and taken back
 * when the secret matches. Over a limit it is refused without running scrypt: failed attempts buy
 * an attacker no CPU beyond `perSource` (per address) and `perClient` (per app) scrypt runs a
 * window. An address over its limit is refused everything, cached secrets included (otherwise it
 * could go on guessing against the cache); an app over its limit still accepts a secret this
 * instance verified before, so its real client keeps working from its own address.
 */
export function clientSecretVerifier(deps: {
  store: Store
  clock: Clock
  limits: ClientAuthLimits
}): ClientSecretVerifier {
  const { store, clock, limits } = deps
  const key = randomBytes(32)
  const verified = new Map<string, { hash: string; expires: number }>()
  // What this instance learnt from the store: counters over their limit, until their window ends (ms).
  const blockedUntil = new Map<string, number>()
  let lastPrune = 0
  // Verifications running now, by cache key and stored hash.
  const inFlight = new Map<string, Promise<boolean>>()

  const cacheKey = (clientId: string, secret: string) =>
    createHmac('sha256', key).update(`${clientId.length}:${clientId}:${secret}`).digest('base64url')

  const blocked = (counter: string, now: number): number => {
    const until = blockedUntil.get(counter)
    if (until === undefined) return 0
    if (until <= now) {
      blockedUntil.delete(counter)
      return 0
    }
    return Math.max(1, Math.ceil((until - now) / 1000))
  }

  const remember = (k: string, hash: string, now: number) => {
    verified.delete(k)
    verified.set(k, { hash, expires: now + CACHE_TTL_MS })
    if (verified.size > CACHE_SIZE) {
      const oldest = verified.keys().next().value
      if (oldest !== undefined) verified.delete(oldest)
    }
  }

  return {
    sourceBlocked(source) {
      return source === undefined ? 0 : blocked(sourceCounter(source), clock().getTime())
    },

    verifiedBefore({ clientId, secret, storedHash, source }) {
      const now = clock().getTime()
      if (source !== undefined && blocked(sourceCounter(source), now) > 0) return false
      const hit = verified.get(cacheKey(clientId, secret))
      return hit !== undefined && hit.hash === storedHash && hit.expires > now
    },

    async verify({ clientId, secret, storedHash, source }) {
      const now = clock().getTime()
      const bySource = source === undefined ? undefined : sourceCounter(source)
      const byClient = `client-auth:client:${clientId}`
      const sourceWait = bySource === undefined ? 0 : blocked(bySource, now)
      if (sourceWait > 0) throw new ClientAuthLimitedError(sourceWait)

      const k = cacheKey(clientId, secret)
      const hit = verified.get(k)
      if (hit !== undefined) {
        if (hit.hash === storedHash && hit.expires > now) return true
        verified.delete(k)
      }

      const clientWait = blocked(byClient, now)
      if (clientWait > 0) throw new ClientAuthLimitedError(clientWait)
      // The same secret presented by concurrent requests from one source (an app's workers
      // starting together) is checked once: one scrypt run, one attempt counted.
      const flight = `${k}:${storedHash}:${bySource ?? ''}`
      const pending = inFlight.get(flight)
      if (pending === undefined) {
        const checked = check({ k, secret, storedHash, bySource, byClient, now }).finally(() =>
          inFlight.delete(flight),
        )
        inFlight.set(flight, checked)
        return checked
      }
      // Only a success is shared: a request that joined a failed check is a failure of its own.
      if (await pending) return true
      await countFailure(bySource, byClient, now)
      return false
    },
  }

  /** A window is named by the second it ends (ms → s), so pruning past windows leaves it alone. */
  function windowOf(now: number): { end: number; window: number } {
    const windowMs = limits.windowSeconds * 1000
    const end = (Math.floor(now / windowMs) + 1) * windowMs
    return { end, window: end / 1000 }
  }

  /** Counts one failed attempt; marks the counters that went over their limit. */
  async function countFailure(bySource: string | undefined, byClient: string, now: number) {
    const { end, window } = windowOf(now)
    const [sourceCount, clientCount] = await Promise.all([
      bySource === undefined ? 0 : store.rateLimits.hit(bySource, window),
      store.rateLimits.hit(byClient, window),
    ])
    if (bySource !== undefined && sourceCount >= limits.perSource) blockedUntil.set(bySource, end)
    if (clientCount >= limits.perClient) blockedUntil.set(byClient, end)
  }

  async function check(attempt: {
    k: string
    secret: string
    storedHash: string
    bySource: string | undefined
    byClient: string
    now: number
  }): Promise<boolean> {
    const { k, secret, storedHash, bySource, byClient, now } = attempt
    // Counted as a failure before scrypt runs (so concurrent attempts cannot all pass the
    // check), taken back on success. A window is named by the second it ends, so the API rate
    // limiter's pruning of past windows (http/rate-limit.ts) leaves a running one alone.
    const { end, window } = windowOf(now)
    if (window - lastPrune >= limits.windowSeconds) {
      lastPrune = window
      void store.rateLimits.prune(Math.floor(now / 1000) - 5).catch(() => undefined)
    }
    const [sourceCount, clientCount] = await Promise.all([
      bySource === undefined ? 0 : store.rateLimits.hit(bySource, window),
      store.rateLimits.hit(byClient, window),
    ])
    if (bySource !== undefined && sourceCount > limits.perSource) {
      blockedUntil.set(bySource, end)
      throw new ClientAuthLimitedError(blocked(bySource, now))
    }
    if (clientCount > limits.perClient) {
      blockedUntil.set(byClient, end)
      throw new ClientAuthLimitedError(blocked(byClient, now))
    }
    const matches = await verifySecret(secret, storedHash)
    if (matches) {
      remember(k, storedHash, clock().getTime())
      await Promise.all([
        bySource === undefined ? 0 : store.rateLimits.hit(bySource, window, -1),
        store.rateLimits.hit(byClient, window, -1),
      ])
    }
    return matches
  }
}

/**
 * The counter of a source address: an IPv4 address as it is; an IPv6 address by its /64 prefix
 * (one subscriber's network usually holds a whole /64, so one counter per address would let it
 * step past the limit); an IPv4-mapped IPv6 address as its IPv4 address.
 */
export function sourceCounter(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)
  if (mapped?.[1] !== undefined) return `client-auth:source:${mapped[1]}`
  if (isIPv4(address) || !isIPv6(address)) return `client-auth:source:${address}`
  const [head = '', tail = ''] = address.toLowerCase().split('::')
  const headGroups = head === '' ? [] : head.split(':')
  const tailGroups = address.includes('::') ? (tail === '' ? [] : tail.split(':')) : []
  const groups = address.includes('::')
    ? [
        ...headGroups,
        ...Array<string>(8 - headGroups.length - tailGroups.length).fill('0'),
        ...tailGroups,
      ]
    : headGroups
  const prefix = groups
    .slice(0, 4)
    .map((g) => g.replace(/^0+(?=.)/, ''))
    .join(':')
  return `client-auth:source:${prefix}::/64`
}
