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

/** Subjects kept in memory per store, at most (the least recently used go first). */
const SUBJECT_CACHE_SIZE = 50_000

/** A store's subjects cache, shared by its transactions' repositories (by the root Kysely). */
const subjectCaches = new WeakMap<object, Map<string, SubjectRow>>()

/**
 * Pairwise subjects. A subject row never changes and is never deleted (it maps an app and a
 * device to their pseudonym for good), so a row once read outside a transaction is kept in
 * memory, on every instance alike: a CIBA flow looks its subject up three or four times. Rows
 * read inside a transaction (which may roll back) and absent rows are not kept.
 */
export function subjectRepository(
  db: Kysely<Database> | Transaction<Database>,
  root: object = db,
): SubjectRepository {
  let cache = subjectCaches.get(root)
  if (cache === undefined) {
    cache = new Map()
    subjectCaches.set(root, cache)
  }
  const subjects = cache
  const keep = (key: string, row: SubjectRow | undefined) => {
    if (row === undefined || db.isTransaction) return row
    subjects.delete(key)
    subjects.set(key, row)
    if (subjects.size > SUBJECT_CACHE_SIZE) {
      const oldest = subjects.keys().next().value
      if (oldest !== undefined) subjects.delete(oldest)
    }
    return row
  }
  return {
    async bySub(sub) {
      const key = `s:${sub}`
      return (
        subjects.get(key) ??
        keep(
          key,
          await db.selectFrom('subjects').selectAll().where('sub', '=', sub).executeTakeFirst(),
        )
      )
    },
    async byPair(clientId, deviceId) {
      const key = `p:${clientId.length}:${clientId}:${deviceId}`
      return (
        subjects.get(key) ??
        keep(
          key,
          await db
            .selectFrom('subjects')
            .selectAll()
            .where('client_id', '=', clientId)
            .where('device_id', '=', deviceId)
            .executeTakeFirst(),
        )
      )
    },
    async insert(row) {
      await db
        .insertInto('subjects')
        .values(row)
        .onConflict((oc) => oc.columns(['client_id', 'device_id']).doNothing())
        .execute()
    },
  }
}
