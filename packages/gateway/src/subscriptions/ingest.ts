import type { Clock } from '../core/clock.js'
import type { NetworkEventSink } from '../network/port.js'
import type { Store } from '../store/store.js'
import { fanOut, type OutboxDeps } from './outbox.js'

export interface IngestDeps {
  store: Store
  /** Where notifications' CloudEvent `source` comes from (read at each change: it follows the issuer). */
  outbox: Pick<OutboxDeps, 'source'>
  /** Wakes the delivery worker. */
  kick: () => void
  /** The time of the notifications' events, and when they are due. */
  clock: Clock
}

/**
 * The one door network events come in through (`NetworkEventSink`): in one transaction, the
 * network adapter's own writes, the events recorded, and for every subscription they concern the
 * notifications they make (`fanOut`); after the commit, the delivery worker is woken. A change
 * that fails leaves nothing behind.
 */
export function networkEventSink(deps: IngestDeps): NetworkEventSink<Store> {
  return {
    async ingest(work) {
      const result = await deps.store.transaction(async (store) => {
        const { events, result } = await work(store)
        for (const event of events) await store.networkEvents.append(event)
        await fanOut({ store, source: deps.outbox.source, clock: deps.clock }, events)
        return result
      })
      deps.kick()
      return result
    },
  }
}
