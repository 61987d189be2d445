import type { Insertable, Kysely, Selectable, Transaction } from 'kysely'
import type { ConsentTable, Database, PendingAuthorizationTable } from './schema.js'

export type ConsentRow = Selectable<ConsentTable>
export type PendingAuthorizationRow = Selectable<PendingAuthorizationTable>

export interface ConsentRepository {
  list(filter?: { clientId?: string; deviceId?: string; status?: string }): Promise<ConsentRow[]>
  byId(id: string): Promise<ConsentRow | undefined>
  /** The latest decision of a subscriber for an app and a purpose. */
  latest(clientId: string, deviceId: string, purpose: string): Promise<ConsentRow | undefined>
  insert(row: ConsentRow): Promise<void>
  setStatus(id: string, status: string, at: string): Promise<boolean>
}

export interface PendingAuthorizationRepository {
  list(filter?: { deviceId?: string; status?: string }): Promise<PendingAuthorizationRow[]>
  byId(authReqId: string): Promise<PendingAuthorizationRow | undefined>
  insert(row: Insertable<PendingAuthorizationTable>): Promise<void>
  /** Inserts several rows in one statement. */
  insertMany(rows: Insertable<PendingAuthorizationTable>[]): Promise<void>
  /** Inserts the row unless one with its id exists (two loads of one consent page). */
  insertIfAbsent(row: Insertable<PendingAuthorizationTable>): Promise<void>
  /** Moves a pending request to `status`; false when it was not pending any more. */
  decide(authReqId: string, status: string): Promise<boolean>
  polled(authReqId: string, at: number, interval: number): Promise<void>
}

export function consentRepository(db: Kysely<Database> | Transaction<Database>): ConsentRepository {
  return {
    async list(filter = {}) {
      let query = db.selectFrom('consents').selectAll().orderBy('created_at', 'desc')
      if (filter.clientId !== undefined) query = query.where('client_id', '=', filter.clientId)
      if (filter.deviceId !== undefined) query = query.where('device_id', '=', filter.deviceId)
      if (filter.status !== undefined) query = query.where('status', '=', filter.status)
      return query.execute()
    },
    byId: (id) => db.selectFrom('consents').selectAll().where('id', '=', id).executeTakeFirst(),
    latest: (clientId, deviceId, purpose) =>
      db
        .selectFrom('consents')
        .selectAll()
        .where('client_id', '=', clientId)
        .where('device_id', '=', deviceId)
        .where('purpose', '=', purpose)
        .orderBy('updated_at', 'desc')
        .limit(1)
        .executeTakeFirst(),
    async insert(row) {
      await db.insertInto('consents').values(row).execute()
    },
    async setStatus(id, status, at) {
      const result = await db
        .updateTable('consents')
        .set({ status, updated_at: at })
        .where('id', '=', id)
        .executeTakeFirst()
      return Number(result.numUpdatedRows) > 0
    },
  }
}

export function pendingAuthorizationRepository(
  db: Kysely<Database> | Transaction<Database>,
): PendingAuthorizationRepository {
  return {
    async list(filter = {}) {
      let query = db.selectFrom('pending_authorizations').selectAll().orderBy('created_at')
      if (filter.deviceId !== undefined) query = query.where('device_id', '=', filter.deviceId)
      if (filter.status !== undefined) query = query.where('status', '=', filter.status)
      return query.execute()
    },
    byId: (id) =>
      db
        .selectFrom('pending_authorizations')
        .selectAll()
        .where('auth_req_id', '=', id)
        .executeTakeFirst(),
    async insert(row) {
      await db.insertInto('pending_authorizations').values(row).execute()
    },
    async insertMany(rows) {
      if (rows.length > 0) await db.insertInto('pending_authorizations').values(rows).execute()
    },
    async insertIfAbsent(row) {
      await db
        .insertInto('pending_authorizations')
        .values(row)
        .onConflict((c) => c.column('auth_req_id').doNothing())
        .execute()
    },
    async decide(authReqId, status) {
      const result = await db
        .updateTable('pending_authorizations')
        .set({ status })
        .where('auth_req_id', '=', authReqId)
        .where('status', '=', 'pending')
        .executeTakeFirst()
      return Number(result.numUpdatedRows) > 0
    },
    async polled(authReqId, at, interval) {
      await db
        .updateTable('pending_authorizations')
        .set({ last_polled_at: at, interval })
        .where('auth_req_id', '=', authReqId)
        .execute()
    },
  }
}
