import { after, before } from 'node:test'
import { openStore, type Store } from '../../src/store/store.js'
import { databaseNameFor, dropDatabase, ensureDatabase, testStoreKind } from './test-store.js'

/**
 * A bare store for the current describe block (no gateway, no delivery worker): in-memory SQLite,
 * or a throwaway PostgreSQL database when TEST_STORE=postgres. `url` is that database's.
 */
export function bareStore(): { store: () => Store; url: () => string | undefined } {
  let store: Store | undefined
  let url: string | undefined
  let database: string | undefined
  before(async () => {
    if (testStoreKind() === 'postgres') {
      database = databaseNameFor(undefined)
      url = await ensureDatabase(database)
    }
    store = await openStore(url === undefined ? { sqliteFile: ':memory:' } : { databaseUrl: url })
  })
  after(async () => {
    await store?.close()
    if (database !== undefined) await dropDatabase(database)
  })
  return {
    store: () => {
      if (store === undefined) throw new Error('the store opens in before()')
      return store
    },
    url: () => url,
  }
}
