import type { Worker } from 'node:worker_threads'
import { siblingModule, startModuleThread } from '../core/thread.js'
import { httpNotifier, type Notice, type Notifier, type NoticeResult } from './notifier.js'
import type { SinkPolicy } from './sink-policy.js'

export interface ThreadedNotifierOptions {
  /** The sink policy, with the system resolver (a resolver function cannot cross threads). */
  sinkPolicy: Omit<SinkPolicy, 'resolve'>
  /** Per-attempt timeout, ms. */
  timeoutMs: number
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
 * Should the thread fail (it did not start, or it ended), the notices it held are answered
 * `unreachable` (the delivery policy retries them: at least once holds) and the next ones are
 * POSTed from this thread, by an {@link httpNotifier} with the same policy.
 */
export function threadedNotifier(options: ThreadedNotifierOptions): Notifier {
  let worker: Worker | undefined
  let fallback: Notifier | undefined
  let closed = false
  let next = 0
  const pending = new Map<number, (result: NoticeResult) => void>()
  let outgoing: [number, Notice][] = []

  const failed = (error: Error) => {
    if (fallback !== undefined || closed) return
    fallback = httpNotifier({ sinkPolicy: options.sinkPolicy, timeoutMs: options.timeoutMs })
    options.onError?.(error)
    for (const answer of pending.values())
      answer({
        kind: 'unreachable',
        error: `the notifier thread failed: ${error.message}`,
        latencyMs: 0,
      })
    pending.clear()
  }
  const thread = (): Worker => {
    if (worker !== undefined) return worker
    const started = startModuleThread(
      options.thread ?? siblingModule('notifier-thread', import.meta.url),
      {
        sinkPolicy: {
          allowLoopback: options.sinkPolicy.allowLoopback,
          allowPrivate: options.sinkPolicy.allowPrivate,
        },
        timeoutMs: options.timeoutMs,
      },
    )
    started.on('message', (message: { results: [number, NoticeResult][] }) => {
      for (const [id, result] of message.results) {
        const answer = pending.get(id)
        pending.delete(id)
        answer?.(result)
      }
      if (pending.size === 0) started.unref()
    })
    started.on('error', failed)
    started.on('exit', (code) => {
      if (!closed) failed(new Error(`the notifier thread stopped (exit ${code})`))
    })
    started.unref()
    worker = started
    return started
  }
  // Started now, not with the first notice: that one would wait for the thread to start.
  thread()
  const flush = () => {
    const notices = outgoing
    outgoing = []
    if (fallback !== undefined) return
    const target = thread()
    target.ref()
    target.postMessage({ notices })
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
        const id = ++next
        pending.set(id, resolve)
        if (outgoing.length === 0) queueMicrotask(flush)
        outgoing.push([id, notice])
      })
    },
    close() {
      closed = true
      fallback?.close()
      if (worker !== undefined) {
        worker.postMessage('close')
        worker.unref()
      }
    },
  }
}
