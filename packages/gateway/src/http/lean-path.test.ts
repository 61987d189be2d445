import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { deviceByPhoneNumber, maybeHuge, plainJson } from './lean-path.js'
import { specOperation } from '../specs/catalog.js'
import { validatorFor } from '../specs/validator.js'

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

describe('deviceByPhoneNumber', () => {
  const canonical = (phoneNumber: string) => JSON.stringify({ device: { phoneNumber } })

  it('reads the two-legged body as JSON.stringify writes it, whatever the number, and nothing else', () => {
    for (const phoneNumber of ['+34600000002', '+1', '34600000002', '+0', '++', '1'.repeat(64)])
      assert.deepEqual(deviceByPhoneNumber(canonical(phoneNumber)), { device: { phoneNumber } })
    const others = [
      '',
      '{}',
      canonical(''),
      canonical('1'.repeat(65)),
      canonical('+34 600000002'),
      canonical('+3460000000e2'),
      canonical('+346000000\u0000'),
      canonical('+34600000002"'),
      '{"device":{"phoneNumber":"+34600000002\\u0032"}}',
      '{ "device": { "phoneNumber": "+34600000002" } }',
      '{"device":{"phoneNumber":"+34600000002"},"x":1}',
      '{"device":{"phoneNumber":"+34600000002","ipv6Address":"::1"}}',
      '{"device":{"phoneNumber":+34600000002}}',
      '{"device":{"phoneNumber":"+34600000002"}} ',
      '{"device":{"networkAccessIdentifier":"+34600000002"}}',
      '{"phoneNumber":"+34600000002"}',
    ]
    for (const text of others) assert.equal(deviceByPhoneNumber(text), undefined, text)
  })

  it('gives what plainJson gives whenever it reads a text, and the validator the same verdict', () => {
    const op = specOperation('device-roaming-status', 'getRoamingStatus')
    assert.ok(op.bodySchemaRef)
    const validate = validatorFor(op.bodySchemaRef)
    // Texts near the shape, from a fixed seed (the same every run): the number's characters, the
    // characters that would change its meaning as JSON, and cut or grown ends.
    let seed = 7
    // xorshift32: every bit varies.
    const next = () => {
      seed ^= seed << 13
      seed ^= seed >>> 17
      seed ^= seed << 5
      return seed >>> 0
    }
    const digits = '+0123456789'
    const alphabet = digits + '"\\e ,u}'
    const texts = Array.from({ length: 5000 }, () => {
      const number = Array.from(
        { length: next() % 4 === 0 ? 60 + (next() % 10) : next() % 20 },
        // Mostly the number's own characters, so that many texts are read.
        () =>
          next() % 24 === 0 ? alphabet[next() % alphabet.length] : digits[next() % digits.length],
      ).join('')
      const text = `{"device":{"phoneNumber":"${number}"}}`
      switch (next() % 4) {
        case 0:
          return text.slice(0, text.length - 1 - (next() % 3))
        case 1:
          return text + alphabet[next() % alphabet.length]
        default:
          return text
      }
    })
    let read = 0
    for (const text of texts) {
      const value = deviceByPhoneNumber(text)
      if (value === undefined) continue
      read++
      assert.deepEqual(value, plainJson(text), text)
      assert.deepEqual(value, JSON.parse(text), text)
      assert.equal(validate(value), validate(JSON.parse(text)), text)
    }
    assert.ok(read > 100, `only ${read} texts read`)
  })
})
