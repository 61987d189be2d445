/**
 * The notifier thread's body (`threaded-notifier.ts` starts it): an {@link httpNotifier} with the
 * sink policy it is given, serving batches of notices and answering their results in batches.
 * Messages: `{ notices: [id, Notice][] }` in, `{ results: [id, NoticeResult][] }` out; `'close'`
 * closes the kept-alive connections and ends the thread.
 */
import { parentPort, workerData } from 'node:worker_threads'
import { httpNotifier, type Notice, type NoticeResult } from './notifier.js'
import type { SinkPolicy } from './sink-policy.js'

interface NotifierThreadData {
  sinkPolicy: Omit<SinkPolicy, 'resolve'>
  timeoutMs: number
}

const { data } = workerData as { data: NotifierThreadData }
const notifier = httpNotifier({ sinkPolicy: data.sinkPolicy, timeoutMs: data.timeoutMs })
const port = parentPort
if (port === null) throw new Error('the notifier thread runs as a worker thread')

// Results that came in one turn of the event loop leave in one message.
let results: [number, NoticeResult][] = []
const flush = () => {
  port.postMessage({ results })
  results = []
}
port.on('message', (message: { notices: [number, Notice][] } | 'close') => {
  if (message === 'close') {
    notifier.close()
    port.close()
    return
  }
  for (const [id, notice] of message.notices)
    void notifier
      .notify(notice)
      // It never throws for the sink's sake; anything else is an attempt that failed.
      .catch((error: unknown): NoticeResult => ({
        kind: 'unreachable',
        error: `notifier failed: ${String(error)}`,
        latencyMs: 0,
      }))
      .then((result) => {
        if (results.length === 0) setImmediate(flush)
        results.push([id, result])
      })
})
