import { createRequire } from 'node:module'
import { Worker } from 'node:worker_threads'

/**
 * The thread's code, plain CommonJS (a worker does not get the TypeScript loader the gateway
 * may run under): a connection of its own to the database that copies the write-ahead log back
 * into the database file, `wal_checkpoint(PASSIVE)` every `intervalMs` and when asked. PASSIVE
 * neither waits for the writer nor blocks it. A checkpoint asked for (a number) is answered with
 * its figures; a failed one is reported.
 */
const THREAD = `
const { parentPort, workerData } = require('node:worker_threads')
const SQLite = require(workerData.module)
let database
try {
  database = new SQLite(workerData.path, { fileMustExist: true })
  database.pragma('busy_timeout = 5000')
  database.pragma('synchronous = NORMAL')
} catch (error) {
  parentPort.postMessage({ error: 'cannot open the database: ' + String(error && error.message) })
  process.exit(1)
}
const checkpoint = (id) => {
  try {
    const [row] = database.pragma('wal_checkpoint(PASSIVE)')
    if (id !== undefined) parentPort.postMessage({ id, log: row.log, checkpointed: row.checkpointed })
  } catch (error) {
    parentPort.postMessage({ id, error: String(error && error.message) })
  }
}
const timer = setInterval(checkpoint, workerData.intervalMs)
parentPort.on('message', (message) => {
  if (typeof message === 'number') checkpoint(message)
  else if (message === 'stop') {
    clearInterval(timer)
    database.close()
    parentPort.close()
  }
})
`

/** One checkpoint of the thread: the log's frames, and how many of them are in the database. */
export interface CheckpointResult {
  log: number
  checkpointed: number
}

export interface CheckpointThread {
  /** Runs a checkpoint now; resolves with its figures. */
  checkpoint(): Promise<CheckpointResult>
  /** Stops the thread and closes its connection. */
  stop(): Promise<void>
}

export interface CheckpointThreadOptions {
  /** How often the thread checkpoints (default 100 ms). */
  intervalMs?: number
  /** Told when a checkpoint fails or the thread stops by itself. */
  onError?: (error: Error) => void
}

/**
 * Starts a thread that checkpoints an SQLite database in write-ahead-log mode. A commit of the
 * gateway's connection runs SQLite's automatic checkpoint once the log holds
 * `wal_autocheckpoint` frames, on the thread that serves requests: under the notification load
 * each one copied thousands of pages, tens of milliseconds in which nothing else ran. With this
 * thread copying the log every 100 ms on the machine's other core, that automatic checkpoint
 * finds all but the last few frames copied already; it stays on (it is what lets the log start
 * over from its beginning, and it keeps the log bounded should this thread fail).
 */
export function startCheckpointThread(
  path: string,
  options: CheckpointThreadOptions = {},
): CheckpointThread {
  const worker = new Worker(THREAD, {
    eval: true,
    execArgv: [],
    workerData: {
      path,
      intervalMs: options.intervalMs ?? 100,
      module: createRequire(import.meta.url).resolve('better-sqlite3'),
    },
  })
  // The thread keeps the process alive only while it is asked something: a store that is never
  // closed (a script, a crashed test) still lets the process end.
  worker.unref()
  let stopped = false
  let asked = 0
  const waiting = new Map<number, (result: CheckpointResult | Error) => void>()
  worker.on('message', (message: { id?: number; error?: string } & CheckpointResult) => {
    const answer = message.id === undefined ? undefined : waiting.get(message.id)
    if (message.id !== undefined) waiting.delete(message.id)
    if (waiting.size === 0 && !stopped) worker.unref()
    if (message.error !== undefined) {
      const error = new Error(`SQLite checkpoint thread: ${message.error}`)
      if (answer === undefined) options.onError?.(error)
      else answer(error)
    } else answer?.({ log: message.log, checkpointed: message.checkpointed })
  })
  worker.on('error', (error) => options.onError?.(error))
  const exited = new Promise<void>((resolve) => {
    worker.once('exit', (code) => {
      if (!stopped) options.onError?.(new Error(`the checkpoint thread stopped (exit ${code})`))
      resolve()
    })
  })
  return {
    checkpoint() {
      if (stopped) return Promise.reject(new Error('the checkpoint thread is stopped'))
      return new Promise((resolve, reject) => {
        const id = ++asked
        waiting.set(id, (result) => (result instanceof Error ? reject(result) : resolve(result)))
        worker.ref()
        worker.postMessage(id)
      })
    },
    async stop() {
      if (stopped) return exited
      stopped = true
      worker.ref()
      worker.postMessage('stop')
      await exited
    },
  }
}
