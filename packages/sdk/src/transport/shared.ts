import { untilAborted } from './abort.js'

/**
 * Work several calls wait on (discovery, a token request). It runs with a signal of its own, never
 * a caller's, so one caller's abort fails that caller only: each caller races the work against its
 * own signal. When every caller waiting on it has aborted, the work is aborted too (and
 * {@link SharedWork.abandoned} tells its owner to start afresh for the next caller).
 */
export class SharedWork<T> {
  readonly #controller = new AbortController()
  /** The work itself, for its owner: awaiting it does not count as a caller waiting on it. */
  readonly promise: Promise<T>
  #waiting = 0
  #settled = false

  /**
   * Starts the work.
   *
   * @param run - the work, given the signal that aborts it once nobody waits on it
   */
  constructor(run: (signal: AbortSignal) => Promise<T>) {
    this.promise = run(this.#controller.signal)
    const settle = () => {
      this.#settled = true
    }
    this.promise.then(settle, settle)
  }

  /** True once every caller left before it settled: it was aborted and must not be reused. */
  get abandoned(): boolean {
    return this.#controller.signal.aborted
  }

  /**
   * Waits for the work.
   *
   * @param signal - the caller's signal
   * @returns the work's result; rejects with the signal's reason when it aborts first
   */
  join(signal?: AbortSignal): Promise<T> {
    // Rejects with the signal's reason as it is, like fetch does (whatever abort() was given).
    // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
    if (signal?.aborted === true) return Promise.reject(signal.reason)
    this.#waiting++
    if (signal === undefined) return this.promise
    return untilAborted(this.promise, signal, () => {
      this.#waiting--
      if (this.#waiting === 0 && !this.#settled) this.#controller.abort(signal.reason)
    })
  }
}
