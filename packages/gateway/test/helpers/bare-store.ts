import { after, before } from 'node:test'
import { openStore, type Store } from '../../src/store/store.js'
import type { Subscription } from '../../src/store/subscriptions.js'
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

/** A live two-legged roaming-on subscription of app `app` for `device-1`, to insert directly. */
export function subscriptionFixture(id: string, changes: Partial<Subscription> = {}): Subscription {
  const now = new Date().toISOString()
  return {
    id,
    api: 'device-roaming-status-subscriptions',
    clientId: 'app',
    deviceId: 'device-1',
    sub: null,
    types: ['org.camaraproject.device-roaming-status-subscriptions.v0.roaming-on'],
    protocol: 'HTTP',
    sink: 'https://example.com/sink',
    sinkCredential: null,
    sinkExpiresAt: null,
    config: { subscriptionDetail: {} },
    expiresAt: null,
    maxEvents: null,
    eventsSent: 0,
    status: 'ACTIVE',
    startsAt: now,
    endedAt: null,
    terminationReason: null,
    createdAt: now,
    ...changes,
  }
}
