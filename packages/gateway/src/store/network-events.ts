import type { Kysely, Selectable, Transaction } from 'kysely'
import type { NetworkEvent, NetworkEventType } from '../core/device.js'
import type { Dialect } from './migrations.js'
import type { Database, NetworkEventTable } from './schema.js'

export interface StoredNetworkEvent extends NetworkEvent {
  seq: number
}

/** A network event whose fan-out is under way, and how far it got. */
export interface FanOutWork {
  event: StoredNetworkEvent
  /** The last subscription id served (in id order); null: none yet. */
  after: string | null
}

export interface NetworkEventRepository {
  /** Records an event; its seq. */
  append(event: NetworkEvent): Promise<number>
  /** Whether an event of the device waits for its fan-out to finish. */
  fanOutQueued(deviceId: string): Promise<boolean>
  /**
   * Queues appended events (their seqs) for the fan-out worker, in the transaction that appended
   * them: their notifications are made after the commit, off the request path.
   */
  queueFanOut(events: readonly { seq: number; deviceId: string }[]): Promise<void>
  /**
   * Up to `limit` queued events, each the oldest queued event of its device (so a device's
   * events are fanned out in order), oldest first. On PostgreSQL their queue rows are locked
   * (`FOR UPDATE SKIP LOCKED`) until the transaction ends: concurrent workers take different
   * devices. Call in a transaction.
   */
  claimFanOut(limit: number): Promise<FanOutWork[]>
  /** Records how far an event's fan-out got: `after` the last subscription served, null when done. */
  advanceFanOut(seq: number, after: string | null): Promise<void>
  /** How many events wait for their fan-out to finish. */
  fanOutWaiting(): Promise<number>
  /** Events after `afterSeq`, oldest first. */
  list(options?: {
    afterSeq?: number
    deviceId?: string
    limit?: number
  }): Promise<StoredNetworkEvent[]>
}

function toEvent(row: Selectable<NetworkEventTable>): StoredNetworkEvent {
  const data = JSON.parse(row.data) as Pick<NetworkEvent, 'before' | 'after'>
  return {
    seq: Number(row.seq),
    id: row.id,
    deviceId: row.device_id,
    phoneNumber: row.phone_number,
    type: row.type as NetworkEventType,
    before: data.before,
    after: data.after,
    occurredAt: row.occurred_at,
  }
}

export function networkEventRepository(
  db: Kysely<Database> | Transaction<Database>,
  dialect: Dialect,
): NetworkEventRepository {
  return {
    async append(event) {
      const row = await db
        .insertInto('network_events')
        .values({
          id: event.id,
          device_id: event.deviceId,
          phone_number: event.phoneNumber,
          type: event.type,
          data: JSON.stringify({ before: event.before, after: event.after }),
          occurred_at: event.occurredAt,
        })
        .returning('seq')
        .executeTakeFirstOrThrow()
      return Number(row.seq)
    },
    async fanOutQueued(deviceId) {
      const row = await db
        .selectFrom('fan_out_queue')
        .select('event_seq')
        .where('device_id', '=', deviceId)
        .limit(1)
        .executeTakeFirst()
      return row !== undefined
    },
    async list(options = {}) {
      let query = db
        .selectFrom('network_events')
        .selectAll()
        .orderBy('seq')
        .limit(options.limit ?? 1000)
      if (options.afterSeq !== undefined) query = query.where('seq', '>', options.afterSeq)
      if (options.deviceId !== undefined) query = query.where('device_id', '=', options.deviceId)
      return (await query.execute()).map(toEvent)
    },
    async queueFanOut(events) {
      for (let i = 0; i < events.length; i += 500) {
        await db
          .insertInto('fan_out_queue')
          .values(
            events.slice(i, i + 500).map((e) => ({ event_seq: e.seq, device_id: e.deviceId })),
          )
          .execute()
      }
    },
    async claimFanOut(limit) {
      let heads = db
        .selectFrom('fan_out_queue as q')
        .select(['q.event_seq', 'q.after_subscription'])
        .where((eb) =>
          eb.not(
            eb.exists(
              eb
                .selectFrom('fan_out_queue as o')
                .select('o.event_seq')
                .whereRef('o.device_id', '=', 'q.device_id')
                .whereRef('o.event_seq', '<', 'q.event_seq'),
            ),
          ),
        )
        .orderBy('q.event_seq')
        .limit(limit)
      if (dialect === 'postgres') heads = heads.forUpdate().skipLocked()
      const claimed = await heads.execute()
      if (claimed.length === 0) return []
      const events = await db
        .selectFrom('network_events')
        .selectAll()
        .where(
          'seq',
          'in',
          claimed.map((c) => c.event_seq),
        )
        .execute()
      const bySeq = new Map(events.map((e) => [Number(e.seq), toEvent(e)]))
      return claimed.flatMap((c) => {
        const event = bySeq.get(Number(c.event_seq))
        return event === undefined ? [] : [{ event, after: c.after_subscription }]
      })
    },
    async advanceFanOut(seq, after) {
      if (after === null)
        await db.deleteFrom('fan_out_queue').where('event_seq', '=', seq).execute()
      else
        await db
          .updateTable('fan_out_queue')
          .set({ after_subscription: after })
          .where('event_seq', '=', seq)
          .execute()
    },
    async fanOutWaiting() {
      const row = await db
        .selectFrom('fan_out_queue')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirst()
      return Number(row?.n ?? 0)
    },
  }
}
