import type { Clock } from '../core/clock.js'
import type { NetworkEventSink } from '../network/port.js'
import type { DeliveryWorker, ClaimedNotification } from '../notifications/delivery.js'
import type { Store } from '../store/store.js'
import { fanOutTo, type OutboxDeps } from './outbox.js'

/**
 * A change whose device has at most this many live subscriptions is fanned out in its own
 * transaction (when no earlier event of the device still waits for the fan-out worker): the
 * request path stays bounded, and the subscriptions' status (INACTIVE / ACTIVE) is current when
 * the change answers. A larger one is left to the fan-out worker.
 */
export const INLINE_FAN_OUT_MAX = 100

export interface IngestDeps {
  store: Store
  /** Where notifications' CloudEvent `source` comes from (read at each change: it follows the issuer). */
  outbox: Pick<OutboxDeps, 'source'>
  /** Wakes the delivery worker (after a change that wrote notifications). */
  kick: () => void
  /**
   * The delivery worker, when it runs: the notifications a change makes heads of their lines are
   * written claimed for it and handed to it after the commit, with no claim of its own.
   */
  delivery?: Pick<DeliveryWorker, 'leaseUntil' | 'take'>
  /** Wakes the fan-out worker (after a change that queued events for it). */
  queued?: () => void
  /** The time of the notifications' events, and when they are due. */
  clock: Clock
  /** Fans out in the change's transaction up to this many subscriptions (default {@link INLINE_FAN_OUT_MAX}). */
  inlineMax?: number
}

/**
 * The one door network events come in through (`NetworkEventSink`): in one transaction, the
 * network adapter's own writes and the events recorded. An event of a device with few live
 * subscriptions ({@link INLINE_FAN_OUT_MAX}) and nothing queued before it is fanned out there and
 * then; any other is queued for the fan-out worker (fan-out.ts), which writes its notifications
 * after the commit, off the request path, in event order per device. After the commit the
 * notifications that head their lines go to the delivery worker (written claimed for it), and
 * the workers are woken for the rest. A change that fails leaves nothing behind.
 */
export function networkEventSink(deps: IngestDeps): NetworkEventSink<Store> {
  return {
    async ingest(work) {
      const inlineMax = deps.inlineMax ?? INLINE_FAN_OUT_MAX
      const leaseUntil = deps.delivery?.leaseUntil()
      const claimed: ClaimedNotification[] = []
      const claim = { leaseUntil: leaseUntil ?? 0, claimed, queued: 0 }
      const result = await deps.store.transaction(async (store) => {
        claimed.length = 0
        claim.queued = 0
        const { events, result } = await work(store)
        const outbox = {
          store,
          source: deps.outbox.source,
          clock: deps.clock,
          ...(leaseUntil === undefined ? {} : { claim }),
        }
        const queued: { seq: number; deviceId: string }[] = []
        let written = 0
        const queuedDevices = new Set<string>()
        for (const event of events) {
          const seq = await store.networkEvents.append(event)
          const { deviceId } = event
          // Behind a queued event of its device, an event waits its turn.
          if (!queuedDevices.has(deviceId) && !(await store.networkEvents.fanOutQueued(deviceId))) {
            const rows = await store.subscriptions.liveForEvent(
              { seq, deviceId },
              { after: null, limit: inlineMax + 1 },
            )
            if (rows.length <= inlineMax) {
              written += await fanOutTo(outbox, event, rows)
              continue
            }
          }
          queued.push({ seq, deviceId })
          queuedDevices.add(deviceId)
        }
        await store.networkEvents.queueFanOut(queued)
        return { result, written, queued: queued.length }
      })
      if (claimed.length > 0) deps.delivery?.take(claimed)
      // Notifications not handed over (not heads, lifecycle events) wait for a claim.
      // (Those queued behind a head are promoted and claimed by that head's settle.)
      if (result.written > claimed.length + claim.queued) deps.kick()
      if (result.queued > 0) deps.queued?.()
      return result.result
    },
  }
}
