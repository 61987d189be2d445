import { performance } from 'node:perf_hooks'
import type { Worker } from 'node:worker_threads'
import { OpenRequests, siblingModule, startModuleThread } from '../core/thread.js'
import { httpNotifier, type Notice, type Notifier, type NoticeResult } from './notifier.js'
import type { SinkPolicy } from './sink-policy.js'

export interface ThreadedNotifierOptions {
  /** The sink policy, with the system resolver (a resolver function cannot cross threads). */
  sinkPolicy: Omit<SinkPolicy, 'resolve'>
  /** Per-attempt timeout, ms. */
  timeoutMs: number
  /**
   * How much longer than `timeoutMs` a notice may go unanswered before the thread counts as hung
   * (default 10 s): it ends the attempt itself after `timeoutMs`, so a later answer means its
   * event loop stopped.
   */
  hungAfterMs?: number
  /** Told when the thread fails; its notices then go through an in-thread notifier. */
  onError?: (error: Error) => void
  /** The thread's module (default `notifier-thread`; tests give one that fails). */
  thread?: URL
}

/**
 * A {@link Notifier} whose POSTs run in a thread of their own (`notifier-thread.ts`, an
 * {@link httpNotifier} with the same policy): the HTTP client's work per delivery (the request,
 * its socket writes, the answer's parsing), about a fifth of a delivery's CPU on the thread that
 * serves requests, moves to the machine's other core. Notices started in one turn of the event
 * loop go to the thread in one message, and results come back likewise. The thread starts at
 * once (the first notice would otherwise wait for it), and keeps the process alive only while
 * notices are out.
 *
 * Should the thread fail (it did not start, it ended, or it left a notice unanswered for
 * `timeoutMs + hungAfterMs`, when it is ended), the notices it held are answered `unreachable`
 * (the delivery policy retries them: at least once holds) and the next ones are POSTed from this
 * thread, by an {@link httpNotifier} with the same policy.
 */
export function threadedNotifier(options: ThreadedNotifierOptions): Notifier {
  let fallback: Notifier | undefined
  let closed = false
  let outgoing: [number, Notice][] = []

  const worker: Worker = startModuleThread(
    options.thread ?? siblingModule('notifier-thread', import.meta.url),
    {
      sinkPolicy: {
        allowLoopback: options.sinkPolicy.allowLoopback,
        allowPrivate: options.sinkPolicy.allowPrivate,
      },
      timeoutMs: options.timeoutMs,
    },
  )
  const requests = new OpenRequests<NoticeResult>(worker)
  const failed = (error: Error) => {
    if (fallback !== undefined || closed) return
    fallback = httpNotifier({ sinkPolicy: options.sinkPolicy, timeoutMs: options.timeoutMs })
    clearInterval(watchdog)
    options.onError?.(error)
    requests.answerAll({
      kind: 'unreachable',
      error: `the notifier thread failed: ${error.message}`,
      latencyMs: 0,
    })
    void worker.terminate()
  }
  worker.on('message', (message: { results: [number, NoticeResult][] }) => {
    for (const [id, result] of message.results) requests.answer(id, result)
  })
  worker.on('error', failed)
  worker.on('exit', (code) => {
    if (!closed) failed(new Error(`the notifier thread stopped (exit ${code})`))
  })

  // A hung thread: a notice unanswered well past its timeout. A check that comes late (this
  // thread was busy, and the answers may be waiting in its queue) judges nothing.
  const deadlineMs = options.timeoutMs + (options.hungAfterMs ?? 10_000)
  const every = Math.min(1000, deadlineMs / 4)
  let lastCheck = performance.now()
  const watchdog = setInterval(() => {
    const now = performance.now()
    const late = now - lastCheck > every + 500
    lastCheck = now
    if (!late && requests.oldestWaitMs() > deadlineMs)
      failed(new Error(`it answered no notice for ${Math.round(deadlineMs)} ms`))
  }, every)
  watchdog.unref()

  const flush = () => {
    const notices = outgoing
    outgoing = []
    if (fallback === undefined) worker.postMessage({ notices })
  }

  return {
    notify(notice) {
      if (fallback !== undefined) return fallback.notify(notice)
      if (closed)
        return Promise.resolve({
          kind: 'unreachable',
          error: 'the notifier is closed',
          latencyMs: 0,
        })
      return new Promise((resolve) => {
        const id = requests.open(resolve)
        if (outgoing.length === 0) queueMicrotask(flush)
        outgoing.push([id, notice])
      })
    },
    close() {
      closed = true
      clearInterval(watchdog)
      fallback?.close()
      requests.answerAll({ kind: 'unreachable', error: 'the notifier is closed', latencyMs: 0 })
      worker.postMessage('close')
      worker.unref()
    },
  }
}
