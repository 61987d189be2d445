import type { Kysely, Transaction } from 'kysely'
import type { NetworkEvent, NetworkEventType } from '../core/device.js'
import type { Database } from './schema.js'

export interface StoredNetworkEvent extends NetworkEvent {
  seq: number
}

export interface NetworkEventRepository {
  append(event: NetworkEvent): Promise<void>
  /** Events after `afterSeq`, oldest first. */
  list(options?: {
    afterSeq?: number
    deviceId?: string
    limit?: number
  }): Promise<StoredNetworkEvent[]>
}

export function networkEventRepository(
  db: Kysely<Database> | Transaction<Database>,
): NetworkEventRepository {
  return {
    async append(event) {
      await db
        .insertInto('network_events')
        .values({
          id: event.id,
          device_id: event.deviceId,
          phone_number: event.phoneNumber,
          type: event.type,
          data: JSON.stringify({ before: event.before, after: event.after }),
          occurred_at: event.occurredAt,
        })
        .execute()
    },
    async list(options = {}) {
      let query = db
        .selectFrom('network_events')
        .selectAll()
        .orderBy('seq')
        .limit(options.limit ?? 1000)
      if (options.afterSeq !== undefined) query = query.where('seq', '>', options.afterSeq)
      if (options.deviceId !== undefined) query = query.where('device_id', '=', options.deviceId)
      const rows = await query.execute()
      return rows.map((row) => {
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
      })
    },
  }
}
