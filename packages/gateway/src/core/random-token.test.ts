import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { randomToken } from './random-token.js'

describe('randomToken', () => {
  it('is base64url of the asked length and never starts with "-" (one plain draw in 64 would)', () => {
    const tokens = Array.from({ length: 4000 }, () => randomToken(24))
    for (const token of tokens) {
      assert.match(token, /^[A-Za-z0-9_][A-Za-z0-9_-]{31}$/)
    }
    assert.equal(new Set(tokens).size, tokens.length)
  })
})
