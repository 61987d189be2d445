/**
 * A value now, or a promise of it: what a read answers when it may come from memory (the device
 * cache, the simulator's device) or from a store or a network. A caller that awaits it sees no
 * difference; the hottest call (a retrieve on the lean path, http/lean-path.ts) then answers
 * without a promise or a turn of the microtask queue when everything is in memory.
 *
 * The rule for every function returning one: it never throws; a failure is a rejected promise,
 * as it was when the function was `async`. {@link after} keeps that rule.
 */
export type MaybePromise<T> = T | Promise<T>

/** Whether `value` is a promise (the ports hand out native promises only). */
export function isPromise<T>(value: MaybePromise<T>): value is Promise<T> {
  return value instanceof Promise
}

/**
 * `next` applied to `value`: at once when it is there, after it resolves when it is a promise.
 * What `next` throws becomes a rejected promise, so the result never throws.
 */
export function after<T, U>(
  value: MaybePromise<T>,
  next: (value: T) => MaybePromise<U>,
): MaybePromise<U> {
  if (value instanceof Promise) return value.then(next)
  try {
    return next(value)
  } catch (error) {
    return Promise.reject(error instanceof Error ? error : new Error(String(error)))
  }
}
