import type { NetworkEventSink } from '../network/port.js'
import type { Store } from '../store/store.js'

export interface IngestDeps {
  store: Store
  /** Wakes the fan-out worker. */
  kick: () => void
}

/**
 * The one door network events come in through (`NetworkEventSink`): in one transaction, the
 * network adapter's own writes, the events recorded and queued for their fan-out; after the
 * commit, the fan-out worker (fan-out.ts) is woken, and it writes the notifications for every
 * subscription they concern, off the request path. A change that fails leaves nothing behind.
 */
export function networkEventSink(deps: IngestDeps): NetworkEventSink<Store> {
  return {
    async ingest(work) {
      const result = await deps.store.transaction(async (store) => {
        const { events, result } = await work(store)
        for (const event of events) await store.networkEvents.append(event)
        if (events.length > 0) await store.networkEvents.queueFanOut(events.map((e) => e.id))
        return result
      })
      deps.kick()
      return result
    },
  }
}
