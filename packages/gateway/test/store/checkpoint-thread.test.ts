import assert from 'node:assert/strict'
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import SQLite from 'better-sqlite3'
import { startCheckpointThread } from '../../src/store/checkpointer.js'
import { openStore } from '../../src/store/store.js'

/** A database in write-ahead-log mode whose own connection never checkpoints. */
function walDatabase(dir: string) {
  const path = join(dir, 'db.sqlite')
  const database = new SQLite(path)
  database.pragma('journal_mode = WAL')
  database.pragma('wal_autocheckpoint = 0')
  database.exec('create table rows (id integer primary key, body text not null)')
  const insert = database.prepare('insert into rows (body) values (?)')
  const write = (n: number) =>
    database.transaction(() => {
      for (let i = 0; i < n; i++) insert.run('x'.repeat(200))
    })()
  return { path, database, write }
}

const until = async (condition: () => boolean, ms = 5000) => {
  const end = Date.now() + ms
  while (!condition()) {
    if (Date.now() > end) throw new Error('timed out')
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

describe('the SQLite checkpoint thread', () => {
  it('copies the log into the database file on its own, every interval, while the writer goes on', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ds-checkpoint-'))
    const { path, database, write } = walDatabase(dir)
    const errors: Error[] = []
    const thread = startCheckpointThread(path, {
      intervalMs: 20,
      onError: (error) => errors.push(error),
    })
    try {
      const before = statSync(path).size
      write(2000)
      // Nothing but the thread copies: the writer's automatic checkpoint is off.
      await until(() => statSync(path).size > before + 200 * 1000)
      // Writes go on while the thread checkpoints; asked for one, it copies the whole log.
      for (let i = 0; i < 20; i++) {
        write(100)
        await new Promise((resolve) => setTimeout(resolve, 5))
      }
      const result = await thread.checkpoint()
      assert.ok(result.log > 0, 'the log holds frames')
      assert.equal(result.checkpointed, result.log, 'every frame is in the database file')
      assert.deepEqual(database.pragma('integrity_check'), [{ integrity_check: 'ok' }])
      assert.equal(
        (database.prepare('select count(*) as n from rows').get() as { n: number }).n,
        4000,
      )
      assert.deepEqual(errors, [])
    } finally {
      await thread.stop()
      database.close()
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('reports a thread that cannot open the database, and is not asked again once stopped', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ds-checkpoint-'))
    const errors: Error[] = []
    const thread = startCheckpointThread(join(dir, 'missing.sqlite'), {
      onError: (error) => errors.push(error),
    })
    try {
      await until(() => errors.length > 0)
      assert.match(errors[0]?.message ?? '', /unable to open|does not exist|stopped/i)
      assert.equal(existsSync(join(dir, 'missing.sqlite')), false, 'no database is created')
    } finally {
      await thread.stop()
      rmSync(dir, { recursive: true, force: true })
    }
    await assert.rejects(thread.checkpoint(), /stopped/)
  })

  it('runs beside a file store: its log goes into the database, and closing the store leaves no log behind', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'ds-checkpoint-'))
    const errors: Error[] = []
    const store = await openStore({ dataDir, onCheckpointError: (error) => errors.push(error) })
    const path = join(dataDir, 'gateway.sqlite')
    try {
      const before = statSync(path).size
      for (let i = 0; i < 2000; i++) await store.rateLimits.hit(`key-${i}-${'x'.repeat(100)}`, 1)
      await until(() => statSync(path).size > before)
    } finally {
      await store.close()
    }
    // The thread was stopped before the store's own connection closed: that connection was the
    // last, so it checkpointed the rest and removed the log.
    assert.equal(existsSync(`${path}-wal`), false)
    assert.deepEqual(errors, [])
    const reopened = await openStore({ dataDir })
    try {
      assert.equal(await reopened.rateLimits.hit(`key-1999-${'x'.repeat(100)}`, 1), 2)
    } finally {
      await reopened.close()
      rmSync(dataDir, { recursive: true, force: true })
    }
  })
})
