/**
 * `store.snapshot`: every read of `work` sees the database as it was at its first read, on the
 * store `TEST_STORE` names (test/postgres.test.ts runs it on PostgreSQL). The admin deliveries
 * view reads a notification and then its attempts; a settle that committed between the two reads
 * showed a refused attempt next to a notification without its error.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { DeliveryAttempt } from '../../src/store/notifications.js'
import { newId } from '../../src/store/store.js'
import { bareStore, subscriptionFixture } from '../helpers/bare-store.js'

describe('store.snapshot: reads of one snapshot', () => {
  const bare = bareStore()

  it("does not see a write committed after the snapshot's first read; a plain read afterwards does", async () => {
    const store = bare.store()
    const subscription = subscriptionFixture(newId())
    await store.subscriptions.insert(subscription)
    const id = newId()
    await store.notifications.enqueue([
      {
        id,
        subscriptionId: subscription.id,
        event: { id, type: 'org.example.test', source: 'test', specversion: '1.0' } as never,
        nextAttemptAt: Date.now(),
        createdAt: new Date().toISOString(),
      },
    ])
    const attempt: DeliveryAttempt = {
      id: newId(),
      notificationId: id,
      attempt: 1,
      at: new Date().toISOString(),
      statusCode: null,
      error: 'sink refused',
      durationMs: 1,
    }
    let write: Promise<void> | undefined
    const seen = await store.snapshot(async (snapshot) => {
      const before = await snapshot.notifications.attempts(id)
      // Another transaction records an attempt. PostgreSQL commits it on another connection
      // while the snapshot is open; SQLite's one connection runs it once the snapshot ends.
      write = store.notifications.insertAttempt(attempt)
      if (store.dialect === 'postgres') await write
      const after = await snapshot.notifications.attempts(id)
      return { before: before.length, after: after.length }
    })
    await write
    assert.deepEqual(seen, { before: 0, after: 0 })
    assert.equal((await store.notifications.attempts(id)).length, 1)
  })

  it('answers what work answers, and a failed work fails the snapshot with its error', async () => {
    const store = bare.store()
    assert.equal(await store.snapshot(async (s) => (await s.notifications.waiting()) >= 0), true)
    await assert.rejects(
      store.snapshot(async () => {
        throw new Error('work failed')
      }),
      /work failed/,
    )
  })
})
