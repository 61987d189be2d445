import { sql, type Kysely, type Transaction } from 'kysely'
import type { Database } from './schema.js'

export interface RateLimitRepository {
  /** Adds `count` requests of `key` to the second `window`; returns the cluster's total so far. */
  hit(key: string, window: number, count?: number): Promise<number>
  /** Forgets windows before `window`. */
  prune(window: number): Promise<void>
}

export function rateLimitRepository(
  db: Kysely<Database> | Transaction<Database>,
): RateLimitRepository {
  return {
    async hit(key, window, count = 1) {
      const row = await db
        .insertInto('rate_limit_windows')
        .values({ key, window, count })
        .onConflict((oc) =>
          oc
            .columns(['key', 'window'])
            .doUpdateSet({ count: sql<number>`rate_limit_windows.count + ${count}` }),
        )
        .returning('count')
        .executeTakeFirstOrThrow()
      return Number(row.count)
    },
    async prune(window) {
      await db.deleteFrom('rate_limit_windows').where('window', '<', window).execute()
    },
  }
}
