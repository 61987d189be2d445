import type { Kysely, Selectable, Transaction } from 'kysely'
import type { Database, SigningKeyTable, SubjectTable } from './schema.js'

export type SigningKeyRow = Selectable<SigningKeyTable>
export type SubjectRow = Selectable<SubjectTable>

export interface SigningKeyRepository {
  /** Every key, newest first. */
  list(): Promise<SigningKeyRow[]>
  insert(key: SigningKeyRow): Promise<void>
  retire(kid: string, at: string): Promise<void>
  /** Removes keys retired before `before` (their tokens have expired). */
  prune(before: string): Promise<number>
}

export interface SubjectRepository {
  bySub(sub: string): Promise<SubjectRow | undefined>
  byPair(clientId: string, deviceId: string): Promise<SubjectRow | undefined>
  insert(row: SubjectRow): Promise<void>
}

export function signingKeyRepository(
  db: Kysely<Database> | Transaction<Database>,
): SigningKeyRepository {
  return {
    list: () => db.selectFrom('signing_keys').selectAll().orderBy('created_at', 'desc').execute(),
    async insert(key) {
      await db.insertInto('signing_keys').values(key).execute()
    },
    async retire(kid, at) {
      await db
        .updateTable('signing_keys')
        .set({ retired_at: at })
        .where('kid', '=', kid)
        .where('retired_at', 'is', null)
        .execute()
    },
    async prune(before) {
      const result = await db
        .deleteFrom('signing_keys')
        .where('retired_at', '<', before)
        .executeTakeFirst()
      return Number(result.numDeletedRows)
    },
  }
}

export function subjectRepository(db: Kysely<Database> | Transaction<Database>): SubjectRepository {
  return {
    bySub: (sub) => db.selectFrom('subjects').selectAll().where('sub', '=', sub).executeTakeFirst(),
    byPair: (clientId, deviceId) =>
      db
        .selectFrom('subjects')
        .selectAll()
        .where('client_id', '=', clientId)
        .where('device_id', '=', deviceId)
        .executeTakeFirst(),
    async insert(row) {
      await db
        .insertInto('subjects')
        .values(row)
        .onConflict((oc) => oc.columns(['client_id', 'device_id']).doNothing())
        .execute()
    },
  }
}
