import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { maybeHuge } from './lean-path.js'

describe('maybeHuge', () => {
  it('answers as /\\d[eE][+-]?\\d|\\d{300}/ does', () => {
    const pattern = /\d[eE][+-]?\d|\d{300}/
    const fixed = [
      '',
      '{"n":1e400}',
      '{"n":1E+4}',
      '{"n":1e-4}',
      '{"n":1e}',
      '{"n":1e+}',
      '{"n":"e5"}',
      '{"device":{"phoneNumber":"+34600000002"}}',
      `{"n":${'9'.repeat(299)}}`,
      `{"n":${'9'.repeat(300)}}`,
      `{"n":${'9'.repeat(299)}.9}`,
    ]
    // Random texts over the characters that matter, from a fixed seed (the same every run).
    let seed = 13
    const next = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31)
    const alphabet = '0123456789eE+-."a '
    const random = Array.from({ length: 5000 }, () =>
      Array.from({ length: next() % 40 }, () => alphabet[next() % alphabet.length]).join(''),
    )
    for (const text of [...fixed, ...random])
      assert.equal(maybeHuge(text), pattern.test(text), text)
  })
})
