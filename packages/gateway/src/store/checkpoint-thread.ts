/**
 * The checkpoint thread's body (`checkpointer.ts` starts it): a connection of its own to the
 * database that copies the write-ahead log back into the database file, with
 * `wal_checkpoint(PASSIVE)` every `intervalMs` and when asked. PASSIVE neither waits for the
 * writer nor blocks it. Messages: a number in (a checkpoint asked for, by id), answered
 * `{ id, log, checkpointed }` or `{ id, error }`; a failed timed checkpoint is reported as
 * `{ error }`; `'stop'` closes the connection and ends the thread.
 */
import { parentPort, workerData } from 'node:worker_threads'
import SQLite from 'better-sqlite3'

interface CheckpointThreadData {
  path: string
  intervalMs: number
}

const { data } = workerData as { data: CheckpointThreadData }
const port = parentPort
if (port === null) throw new Error('the checkpoint thread runs as a worker thread')

let database: SQLite.Database
try {
  database = new SQLite(data.path, { fileMustExist: true })
  database.pragma('busy_timeout = 5000')
  database.pragma('synchronous = NORMAL')
} catch (error) {
  port.postMessage({ error: `cannot open the database: ${(error as Error).message}` })
  process.exit(1)
}

const checkpoint = (id?: number) => {
  try {
    const [row] = database.pragma('wal_checkpoint(PASSIVE)') as {
      log: number
      checkpointed: number
    }[]
    if (id !== undefined) port.postMessage({ id, log: row?.log, checkpointed: row?.checkpointed })
  } catch (error) {
    port.postMessage({ id, error: (error as Error).message })
  }
}
const timer = setInterval(checkpoint, data.intervalMs)
port.on('message', (message: number | 'stop') => {
  if (typeof message === 'number') checkpoint(message)
  else {
    clearInterval(timer)
    database.close()
    port.close()
  }
})
