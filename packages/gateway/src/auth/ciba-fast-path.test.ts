/** Issue 13: the CIBA fast path's group commit, on the real embedded store. */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { openStore, type Store } from '../store/store.js'
import { groupCommit } from './ciba-fast-path.js'

const row = (id: string) => ({
  auth_req_id: id,
  flow: 'ciba',
  client_id: 'app',
  device_id: 'device',
  purpose: 'dpv:FraudPreventionAndDetection',
  scopes: '[]',
  created_at: '2026-12-07T00:00:00.000Z',
  expires_at: '2026-12-07T00:02:00.000Z',
  interval: 1,
  last_polled_at: null,
  status: 'approved',
})

describe('groupCommit', () => {
  let store: Store
  before(async () => {
    store = await openStore({ sqliteFile: ':memory:' })
  })
  after(() => store.close())

  it('writes what arrives in one turn of the event loop as one batch; each caller gets its own answer', async () => {
    const batches: string[][] = []
    const save = groupCommit(store, async (s, ids: string[]) => {
      batches.push(ids)
      await s.pendingAuthorizations.insertMany(ids.map(row))
      return ids.map((id) => `saved ${id}`)
    })
    const answers = await Promise.all(['a1', 'a2', 'a3'].map((id) => save(id)))
    assert.deepEqual(answers, ['saved a1', 'saved a2', 'saved a3'])
    assert.deepEqual(batches, [['a1', 'a2', 'a3']])
    assert.equal(await save('a4'), 'saved a4', 'a later call is a batch of its own')
    assert.deepEqual(batches.at(-1), ['a4'])
    for (const id of ['a1', 'a2', 'a3', 'a4'])
      assert.equal((await store.pendingAuthorizations.byId(id))?.status, 'approved', id)
  })

  it('an item that cannot be written fails alone; the rest of its batch is written', async () => {
    const save = groupCommit(store, async (s, ids: string[]) => {
      await s.pendingAuthorizations.insertMany(ids.map(row))
      return ids.map(() => true)
    })
    // b2 is already stored: the batch's insert fails as a whole, then each item is tried alone.
    await store.pendingAuthorizations.insert(row('b2'))
    const settled = await Promise.allSettled(['b1', 'b2', 'b3'].map((id) => save(id)))
    assert.deepEqual(
      settled.map((s) => s.status),
      ['fulfilled', 'rejected', 'fulfilled'],
    )
    assert.ok(await store.pendingAuthorizations.byId('b1'))
    assert.ok(await store.pendingAuthorizations.byId('b3'))
  })

  it('consumes a request once, even when two polls of it share a batch', async () => {
    const rowOf = (id: string) => ({
      model: 'BackchannelAuthenticationRequest',
      id,
      payload: '{}',
      grant_id: null,
      user_code: null,
      uid: null,
      expires_at: null,
      consumed_at: null,
    })
    await store.oidcModels.insertMany([rowOf('c1'), rowOf('c2')])
    const consume = groupCommit(store, async (s, ids: string[]) => {
      const consumed = await s.oidcModels.consumeOnce('BackchannelAuthenticationRequest', ids, 5)
      return ids.map((id) => consumed.delete(id))
    })
    const used = await Promise.all(['c1', 'c1', 'c2', 'c3'].map((id) => consume(id)))
    assert.deepEqual(used, [true, false, true, false])
    assert.equal(await consume('c2'), false, 'a later poll finds it used')
  })
})
