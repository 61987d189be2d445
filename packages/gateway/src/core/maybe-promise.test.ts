import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { after, isPromise } from './maybe-promise.js'

describe('after', () => {
  it('applies next at once to a value, and after it resolves to a promise', async () => {
    const now = after(2, (n) => n * 10)
    assert.equal(isPromise(now), false)
    assert.equal(now, 20)
    const later = after(Promise.resolve(3), (n) => n * 10)
    assert.equal(isPromise(later), true)
    assert.equal(await later, 30)
    // next may itself answer a promise.
    assert.equal(await after(4, (n) => Promise.resolve(n + 1)), 5)
  })

  it('never throws: what next throws is a rejected promise, as from an async function', async () => {
    const failing = () =>
      after(1, () => {
        throw new RangeError('refused')
      })
    let result: unknown
    assert.doesNotThrow(() => (result = failing()))
    assert.ok(result instanceof Promise)
    await assert.rejects(result, RangeError)
    await assert.rejects(
      after(Promise.resolve(1), () => {
        throw new RangeError('refused later')
      }),
      /refused later/,
    )
    const rejected = after(Promise.reject(new TypeError('before')), () => 1)
    assert.ok(isPromise(rejected))
    await assert.rejects(rejected, TypeError)
  })
})
