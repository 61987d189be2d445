import { createRequire } from 'node:module'
import { performance } from 'node:perf_hooks'
import { Worker } from 'node:worker_threads'

/**
 * The `--import` preloads this process was started with, from its flags and `NODE_OPTIONS` (the
 * test suite's network guard is one), except tsx's: a worker thread does not run them by itself.
 */
function preloads(): string[] {
  const words = [...process.execArgv, ...(process.env['NODE_OPTIONS'] ?? '').split(/\s+/)]
  const found: string[] = []
  words.forEach((word, i) => {
    const value = word.startsWith('--import=')
      ? word.slice('--import='.length)
      : word === '--import'
        ? words[i + 1]
        : undefined
    if (value !== undefined && value !== '' && value !== 'tsx') found.push(value)
  })
  return found
}

/**
 * The boot code of a thread (CommonJS, evaluated): loads the preloads, then the entry; a
 * TypeScript entry through tsx's CommonJS hooks. A failure ends the thread with its message on
 * stderr and exit code 1 (the parent's `exit` event).
 */
const BOOT = `
const { workerData } = require('node:worker_threads')
;(async () => {
  const boot = workerData.boot
  for (const preload of boot.preloads) await import(preload)
  if (boot.tsx === undefined) await import(boot.entry)
  else {
    require(boot.tsx).register()
    require(require('node:url').fileURLToPath(boot.entry))
  }
})().catch((error) => {
  process.stderr.write('thread ' + workerData.boot.entry + ' failed to start: ' + (error && error.stack) + '\\n')
  process.exit(1)
})
`

/**
 * Starts a module of this package in a worker thread, run as this process runs: with the
 * process's `--import` preloads (threads do not inherit them), and, when the entry is a
 * TypeScript source (the gateway run from its sources, as `npm start` does), through tsx. There
 * it runs through tsx's CommonJS hooks, not its ES module loader: on Node 20 that loader runs
 * its hooks in a thread of its own, which cost each thread about 0.4 s of CPU to start (about
 * 0.15 s this way); such a module must not use top-level `await`. A built (`.js`) module is
 * imported as it is. `data` reaches the module as `workerData.data`.
 */
export function startModuleThread(entry: URL, data: unknown): Worker {
  const typescript = entry.pathname.endsWith('.ts')
  return new Worker(BOOT, {
    eval: true,
    execArgv: typescript ? ['--conditions=source'] : [],
    workerData: {
      data,
      boot: {
        entry: entry.href,
        preloads: preloads(),
        tsx: typescript ? createRequire(import.meta.url).resolve('tsx/cjs/api') : undefined,
      },
    },
  })
}

/**
 * The URL of a module beside `base` (an `import.meta.url`), with the extension `base` has: a
 * `.ts` source beside a source, a `.js` build beside a build.
 */
export function siblingModule(name: string, base: string): URL {
  const extension = base.endsWith('.ts') ? '.ts' : '.js'
  return new URL(`./${name}${extension}`, base)
}

/**
 * The requests sent to a thread and not answered yet, by id, each with the time it was sent.
 * The thread keeps the process alive only while some are open: a thread left running (a store
 * never closed, a test that failed) never holds the process open by itself.
 */
export class OpenRequests<T> {
  #next = 0
  readonly #open = new Map<number, { answer: (value: T) => void; sentAt: number }>()

  readonly #thread: Worker

  constructor(thread: Worker) {
    this.#thread = thread
    thread.unref()
  }

  /** Opens a request that `answer` settles; returns its id, for the message to the thread. */
  open(answer: (value: T) => void): number {
    if (this.#open.size === 0) this.#thread.ref()
    const id = ++this.#next
    this.#open.set(id, { answer, sentAt: performance.now() })
    return id
  }

  /** Answers the request with this id (nothing if it is not open). */
  answer(id: number, value: T): void {
    const request = this.#open.get(id)
    if (request === undefined) return
    this.#open.delete(id)
    if (this.#open.size === 0) this.#thread.unref()
    request.answer(value)
  }

  /** Answers every open request with the same value (the thread failed). */
  answerAll(value: T): void {
    const open = [...this.#open.values()]
    this.#open.clear()
    this.#thread.unref()
    for (const request of open) request.answer(value)
  }

  /** How long the oldest open request has waited, ms (0 when none is open). */
  oldestWaitMs(): number {
    for (const request of this.#open.values()) return performance.now() - request.sentAt
    return 0
  }
}
