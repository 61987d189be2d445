import { OpenRequests, siblingModule, startModuleThread } from '../core/thread.js'

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
  const worker = startModuleThread(siblingModule('checkpoint-thread', import.meta.url), {
    path,
    intervalMs: options.intervalMs ?? 100,
  })
  const requests = new OpenRequests<CheckpointResult | Error>(worker)
  let stopped = false
  worker.on('message', (message: { id?: number; error?: string } & CheckpointResult) => {
    const result =
      message.error === undefined
        ? { log: message.log, checkpointed: message.checkpointed }
        : new Error(`SQLite checkpoint thread: ${message.error}`)
    if (message.id !== undefined) requests.answer(message.id, result)
    else if (result instanceof Error) options.onError?.(result)
  })
  worker.on('error', (error) => options.onError?.(error))
  const exited = new Promise<void>((resolve) => {
    worker.once('exit', (code) => {
      if (!stopped) options.onError?.(new Error(`the checkpoint thread stopped (exit ${code})`))
      requests.answerAll(new Error('the checkpoint thread stopped'))
      resolve()
    })
  })
  return {
    checkpoint() {
      if (stopped) return Promise.reject(new Error('the checkpoint thread is stopped'))
      return new Promise((resolve, reject) => {
        const id = requests.open((result) =>
          result instanceof Error ? reject(result) : resolve(result),
        )
        worker.postMessage(id)
      })
    },
    async stop() {
      if (stopped) return exited
      stopped = true
      // A checkpoint still asked for is not answered now: its answer would let the thread go
      // (unref) before it closed its connection.
      requests.answerAll(new Error('the checkpoint thread is stopped'))
      worker.ref()
      worker.postMessage('stop')
      await exited
    },
  }
}
