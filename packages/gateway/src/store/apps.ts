import type { Kysely, Selectable, Transaction } from 'kysely'
import type { AppTable, Database } from './schema.js'

export type AppRow = Selectable<AppTable>

export interface AppRepository {
  list(): Promise<AppRow[]>
  byClientId(clientId: string): Promise<AppRow | undefined>
  insert(row: AppRow): Promise<void>
  update(
    clientId: string,
    changes: Partial<Omit<AppRow, 'client_id' | 'created_at'>>,
  ): Promise<boolean>
  delete(clientId: string): Promise<boolean>
}

export function appRepository(db: Kysely<Database> | Transaction<Database>): AppRepository {
  return {
    list: () => db.selectFrom('apps').selectAll().orderBy('client_id').execute(),
    byClientId: (clientId) =>
      db.selectFrom('apps').selectAll().where('client_id', '=', clientId).executeTakeFirst(),
    async insert(row) {
      await db.insertInto('apps').values(row).execute()
    },
    async update(clientId, changes) {
      const result = await db
        .updateTable('apps')
        .set(changes)
        .where('client_id', '=', clientId)
        .executeTakeFirst()
      return Number(result.numUpdatedRows) > 0
    },
    async delete(clientId) {
      const result = await db
        .deleteFrom('apps')
        .where('client_id', '=', clientId)
        .executeTakeFirst()
      return Number(result.numDeletedRows) > 0
    },
  }
}
