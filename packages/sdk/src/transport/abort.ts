/**
 * `promise`, or the signal's reason when the signal aborts first. `onAbort` runs just before the
 * rejection (a shared piece of work counts the callers that left).
 *
 * @param promise - the work
 * @param signal - the caller's signal
 * @param onAbort - called once if the signal aborts before the work settles
 * @returns the work's result
 */
export function untilAborted<T>(
  promise: Promise<T>,
  signal: AbortSignal,
  onAbort: () => void = () => undefined,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const abort = () => {
      onAbort()
      // Rejects with the signal's reason as it is, like fetch does (whatever abort() was given).
      // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
      reject(signal.reason)
    }
    if (signal.aborted) return abort()
    signal.addEventListener('abort', abort, { once: true })
    promise.then(
      (value) => {
        signal.removeEventListener('abort', abort)
        resolve(value)
      },
      (error: unknown) => {
        signal.removeEventListener('abort', abort)
        // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
        reject(error)
      },
    )
  })
}
