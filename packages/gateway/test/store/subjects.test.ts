/**
 * Pairwise subjects are kept in memory once read (issue 13: a CIBA flow looked its subject up
 * three or four times): only rows that exist outside a transaction, so a subject inserted in a
 * transaction that rolled back is never found, and an absent subject is read again.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { bareStore } from '../helpers/bare-store.js'

const row = (sub: string, clientId: string, deviceId: string) => ({
  sub,
  client_id: clientId,
  device_id: deviceId,
  created_at: '2026-12-07T00:00:00.000Z',
})

describe('subjects', () => {
  const { store } = bareStore()

  it('a subject not there yet is found once inserted, by its sub and by its pair', async () => {
    assert.equal(await store().subjects.bySub('sub-1'), undefined)
    assert.equal(await store().subjects.byPair('app-1', 'device-1'), undefined)
    await store().subjects.insert(row('sub-1', 'app-1', 'device-1'))
    assert.equal((await store().subjects.bySub('sub-1'))?.device_id, 'device-1')
    assert.equal((await store().subjects.byPair('app-1', 'device-1'))?.sub, 'sub-1')
    // Read again (now from memory): the same row.
    assert.deepEqual(await store().subjects.bySub('sub-1'), row('sub-1', 'app-1', 'device-1'))
  })

  it('a subject read inside a transaction that rolled back is not found afterwards', async () => {
    await assert.rejects(
      store().transaction(async (trx) => {
        await trx.subjects.insert(row('sub-2', 'app-2', 'device-2'))
        assert.equal((await trx.subjects.bySub('sub-2'))?.client_id, 'app-2')
        assert.equal((await trx.subjects.byPair('app-2', 'device-2'))?.sub, 'sub-2')
        throw new Error('roll back')
      }),
      /roll back/,
    )
    assert.equal(await store().subjects.bySub('sub-2'), undefined)
    assert.equal(await store().subjects.byPair('app-2', 'device-2'), undefined)
  })

  it('pairs whose parts could run together stay apart', async () => {
    await store().subjects.insert(row('sub-3', 'ab', 'c'))
    await store().subjects.insert(row('sub-4', 'a', 'bc'))
    assert.equal((await store().subjects.byPair('ab', 'c'))?.sub, 'sub-3')
    assert.equal((await store().subjects.byPair('a', 'bc'))?.sub, 'sub-4')
  })
})
