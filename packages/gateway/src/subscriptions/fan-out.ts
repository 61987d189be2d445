import type { Clock } from '../core/clock.js'
import { workerLoop } from '../core/worker-loop.js'
import type { ClaimedNotification, DeliveryWorker } from '../notifications/delivery.js'
import type { Store } from '../store/store.js'
import { fanOutTo, type OutboxDeps } from './outbox.js'

export interface FanOutWorker {
  /** Look for recorded events now (after a commit that recorded some). */
  kick(): void
  /** Finishes the chunk in flight and stops. */
  stop(): Promise<void>
}

export interface FanOutWorkerDeps {
  store: Store
  /** Where notifications' CloudEvent `source` comes from (read at each chunk: it follows the issuer). */
  outbox: Pick<OutboxDeps, 'source'>
  clock: Clock
  log: { error(details: object, message: string): void }
  /** Looks for queued events this often even when not kicked (another instance recorded them). */
  pollMs: number
  /** Called after a chunk that wrote notifications committed: wakes the delivery worker. */
  wrote: () => void
  /**
   * The delivery worker, when it runs: the notifications a chunk makes heads of their lines are
   * written claimed for it and handed to it after the commit.
   */
  delivery?: Pick<DeliveryWorker, 'leaseUntil' | 'take'>
  /** Subscriptions served per transaction (default 1,000). */
  chunk?: number
}

/** Queued events looked at per transaction: each is the oldest of its own device. */
const EVENTS_PER_CHUNK = 64

/**
 * One transaction of fan-out: claims the oldest queued event of up to {@link EVENTS_PER_CHUNK}
 * devices, serves up to `chunk` of their subscriptions (in id order, after where the last chunk
 * stopped) and records how far each got, in the same transaction: a crash resumes where the last
 * commit left off, with no notification written twice or missed. The notifications that head
 * their lines are written claimed for the delivery worker, when it takes more, and handed to it
 * after the commit. How many events it claimed, and how many notifications it wrote that wait
 * for a claim.
 */
export async function fanOutChunk(
  deps: Pick<FanOutWorkerDeps, 'store' | 'outbox' | 'clock' | 'delivery'>,
  chunk = 1000,
): Promise<{ claimed: number; written: number }> {
  const leaseUntil = deps.delivery?.leaseUntil()
  const handed: ClaimedNotification[] = []
  const done = await deps.store.transaction(async (store) => {
    handed.length = 0
    const work = await store.networkEvents.claimFanOut(EVENTS_PER_CHUNK)
    const outbox = {
      store,
      source: deps.outbox.source,
      clock: deps.clock,
      ...(leaseUntil === undefined ? {} : { claim: { leaseUntil, claimed: handed, queued: 0 } }),
    }
    let budget = chunk
    let written = 0
    for (const { event, after } of work) {
      if (budget <= 0) break
      const limit = budget
      const rows = await store.subscriptions.liveForEvent(event, { after, limit })
      written += await fanOutTo(outbox, event, rows)
      budget -= rows.length
      // A short chunk was the last: the event is done. A full one may have more after it.
      const last = rows.length < limit ? undefined : rows.at(-1)
      await store.networkEvents.advanceFanOut(event.seq, last?.id ?? null)
    }
    return { claimed: work.length, written }
  })
  if (handed.length > 0) deps.delivery?.take(handed)
  return { claimed: done.claimed, written: done.written - handed.length }
}

/**
 * The fan-out worker of one gateway instance: turns the network events that changes recorded
 * (`networkEvents.queueFanOut`) into notifications, off the request path. Per device, events are
 * fanned out in the order they were recorded (only the oldest queued event of a device is claimed),
 * so each subscription's notifications follow event order; on PostgreSQL several instances work
 * side by side on different devices (the queue rows are claimed with `SKIP LOCKED`). Kicked by
 * the change's commit in this instance, polled for the others'.
 */
export function startFanOutWorker(deps: FanOutWorkerDeps): FanOutWorker {
  const loop = workerLoop(
    async () => {
      // `written`: the notifications not handed to the delivery worker claimed.
      const { claimed, written } = await fanOutChunk(deps, deps.chunk)
      if (written > 0) deps.wrote()
      if (claimed === 0) return false
      // Between chunks the delivery worker gets its turn at the store (one SQLite connection).
      await new Promise((resolve) => setImmediate(resolve))
      return true
    },
    { pollMs: deps.pollMs, onError: (error) => deps.log.error({ err: error }, 'fan-out failed') },
  )
  return { kick: loop.run, stop: loop.stop }
}
