import { sql, type Kysely, type Selectable, type Transaction } from 'kysely'
import type { Database, OidcModelTable } from './schema.js'

export type OidcModelRow = Selectable<OidcModelTable>

/** Storage of oidc-provider's models; the adapter in auth/ speaks oidc-provider, this speaks SQL. */
export interface OidcModelRepository {
  upsert(row: OidcModelRow): Promise<void>
  /** Inserts new rows (fresh ids) in one statement: a CIBA request and its grant land together. */
  insertMany(rows: OidcModelRow[]): Promise<void>
  /**
   * A row and the `Grant` row its `grant_id` names, read in one statement: `grant` is undefined
   * when the row has no grant or the grant is gone (revoked).
   */
  findWithGrant(
    model: string,
    id: string,
  ): Promise<{ row: OidcModelRow | undefined; grant: OidcModelRow | undefined }>
  /**
   * Marks rows consumed at `at` unless they already are, in one statement; returns the ids this
   * call consumed: each id is consumed by exactly one caller, on every instance at once (a CIBA
   * request is used once).
   */
  consumeOnce(model: string, ids: readonly string[], at: number): Promise<Set<string>>
  /**
   * Records a one-time value (an assertion's or a proof's `jti`) until `expiresAt` (epoch
   * seconds): true the first time, false when it is already recorded, on every instance at once.
   */
  claimOnce(model: string, id: string, expiresAt: number): Promise<boolean>
  find(model: string, id: string): Promise<OidcModelRow | undefined>
  /** The rows of a model that have not expired at `now` (epoch seconds). */
  live(model: string, now: number): Promise<OidcModelRow[]>
  findBy(
    model: string,
    column: 'uid' | 'user_code',
    value: string,
  ): Promise<OidcModelRow | undefined>
  consume(model: string, id: string, at: number): Promise<void>
  destroy(model: string, id: string): Promise<void>
  /**
   * Deletes the rows of one model that belong to a grant. oidc-provider revokes a grant model by
   * model; an Interaction it is about to resume may carry the same grant and must survive.
   */
  revokeByGrantId(model: string, grantId: string): Promise<void>
  /** Deletes every row that belongs to a grant, whatever its model (a revoked consent). */
  revokeAllByGrantId(grantId: string): Promise<void>
  /** Ids of the grants an app holds for an account. */
  grantIds(clientId: string, accountId: string): Promise<string[]>
  /** The ids of every grant of an app (a deleted app). */
  clientGrantIds(clientId: string): Promise<string[]>
  /** Deletes rows that expired before `now` (epoch seconds). */
  prune(now: number): Promise<number>
}

export function oidcModelRepository(
  db: Kysely<Database> | Transaction<Database>,
): OidcModelRepository {
  return {
    async upsert(row) {
      const { model: _m, id: _i, ...update } = row
      await db
        .insertInto('oidc_models')
        .values(row)
        .onConflict((oc) => oc.columns(['model', 'id']).doUpdateSet(update))
        .execute()
    },
    async insertMany(rows) {
      if (rows.length > 0) await db.insertInto('oidc_models').values(rows).execute()
    },
    async findWithGrant(model, id) {
      // No stored id holds a NUL (text-guard.ts refuses them), and a raw query is not rewritten.
      if (id.includes('\u0000')) return { row: undefined, grant: undefined }
      // One statement, both rows by primary key (a raw query: building the equivalent OR with the
      // query builder costs several times the lookups themselves).
      const { rows } = await sql<OidcModelRow>`
        select * from oidc_models where model = ${model} and id = ${id}
        union all
        select * from oidc_models where model = 'Grant' and id = (
          select grant_id from oidc_models where model = ${model} and id = ${id})`.execute(db)
      const row = rows.find((r) => r.model === model && r.id === id)
      const grant = rows.find((r) => r.model === 'Grant' && r.id === row?.grant_id)
      return { row, grant }
    },
    async consumeOnce(model, ids, at) {
      if (ids.length === 0) return new Set()
      const rows = await db
        .updateTable('oidc_models')
        .set({ consumed_at: at })
        .where('model', '=', model)
        .where('id', 'in', [...new Set(ids)])
        .where('consumed_at', 'is', null)
        .returning('id')
        .execute()
      return new Set(rows.map((r) => r.id))
    },
    async claimOnce(model, id, expiresAt) {
      const inserted = await db
        .insertInto('oidc_models')
        .values({
          model,
          id,
          payload: '{}',
          grant_id: null,
          user_code: null,
          uid: null,
          expires_at: expiresAt,
          consumed_at: null,
        })
        .onConflict((oc) => oc.columns(['model', 'id']).doNothing())
        .executeTakeFirst()
      return Number(inserted.numInsertedOrUpdatedRows ?? 0n) > 0
    },
    find: (model, id) =>
      db
        .selectFrom('oidc_models')
        .selectAll()
        .where('model', '=', model)
        .where('id', '=', id)
        .executeTakeFirst(),
    live: (model, now) =>
      db
        .selectFrom('oidc_models')
        .selectAll()
        .where('model', '=', model)
        .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]))
        .execute(),
    findBy: (model, column, value) =>
      db
        .selectFrom('oidc_models')
        .selectAll()
        .where('model', '=', model)
        .where(column, '=', value)
        .executeTakeFirst(),
    async consume(model, id, at) {
      await db
        .updateTable('oidc_models')
        .set({ consumed_at: at })
        .where('model', '=', model)
        .where('id', '=', id)
        .execute()
    },
    async destroy(model, id) {
      await db.deleteFrom('oidc_models').where('model', '=', model).where('id', '=', id).execute()
    },
    async revokeByGrantId(model, grantId) {
      await db
        .deleteFrom('oidc_models')
        .where('model', '=', model)
        .where('grant_id', '=', grantId)
        .execute()
    },
    async revokeAllByGrantId(grantId) {
      await db.deleteFrom('oidc_models').where('grant_id', '=', grantId).execute()
    },
    async grantIds(clientId, accountId) {
      const rows = await db
        .selectFrom('oidc_models')
        .select(['id', 'payload'])
        .where('model', '=', 'Grant')
        .where('payload', 'like', `%${JSON.stringify(accountId).slice(1, -1)}%`)
        .execute()
      return rows
        .filter((r) => {
          const payload = JSON.parse(r.payload) as { clientId?: string; accountId?: string }
          return payload.clientId === clientId && payload.accountId === accountId
        })
        .map((r) => r.id)
    },
    async clientGrantIds(clientId) {
      const rows = await db
        .selectFrom('oidc_models')
        .select(['id', 'payload'])
        .where('model', '=', 'Grant')
        .where('payload', 'like', `%${JSON.stringify(clientId).slice(1, -1)}%`)
        .execute()
      return rows
        .filter((r) => (JSON.parse(r.payload) as { clientId?: string }).clientId === clientId)
        .map((r) => r.id)
    },
    async prune(now) {
      const result = await db
        .deleteFrom('oidc_models')
        .where('expires_at', '<', now)
        .executeTakeFirst()
      return Number(result.numDeletedRows)
    },
  }
}
