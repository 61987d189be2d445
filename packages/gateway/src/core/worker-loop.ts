/** A background worker's loop: one cycle at a time, run when asked and every `pollMs`. */
export interface WorkerLoop {
  /** Runs a cycle now, or once more right after the cycle in flight. */
  run: () => void
  /** Stops asking for cycles and waits for the one in flight. */
  stop: () => Promise<void>
}

/**
 * Runs `cycle` one at a time: again at once while it answers `true` (more work waits) or while a
 * `run()` came during it; every `pollMs` as well (work that no `run()` announced, e.g. another
 * instance's). A failed cycle goes to `onError`; the next poll tries again.
 */
export function workerLoop(
  cycle: () => Promise<boolean>,
  options: { pollMs: number; onError: (error: unknown) => void },
): WorkerLoop {
  let stopped = false
  let running: Promise<void> | undefined
  let again = false

  const cycles = async () => {
    do {
      again = false
      if (await cycle()) again = true
    } while (again && !stopped)
  }

  const run = () => {
    if (stopped) return
    if (running !== undefined) {
      again = true
      return
    }
    running = cycles()
      .catch(options.onError)
      .finally(() => {
        running = undefined
        if (again && !stopped) run()
      })
  }

  const timer = setInterval(run, options.pollMs)
  timer.unref()
  run()

  return {
    run,
    async stop() {
      stopped = true
      clearInterval(timer)
      await running
    },
  }
}
