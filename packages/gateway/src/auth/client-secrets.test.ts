/** Issue 13: the failure limit's source counter: an IPv4 address, or an IPv6 address's /64. */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { sourceCounter } from './client-secrets.js'

/** Addresses that share one counter, each group apart from the others. */
const GROUPS: readonly (readonly string[])[] = [
  ['127.0.0.1', '::ffff:127.0.0.1', '::FFFF:127.0.0.1'],
  ['127.0.0.2'],
  ['10.0.0.1', '::ffff:10.0.0.1'],
  [
    '2001:db8:1:2::1',
    '2001:db8:1:2:ffff:ffff:ffff:ffff',
    '2001:0db8:0001:0002:0:0:0:9',
    '2001:DB8:1:2::',
  ],
  ['2001:db8:1:3::1'],
  ['2001:db8::1', '2001:db8:0:0:1::', '2001:db8::'],
  ['::1', '::'],
  ['fe80::1%eth0'],
]

describe('sourceCounter', () => {
  it('gives addresses of one IPv4 address or one IPv6 /64 one counter, and others another', () => {
    const counters = GROUPS.map((group) => {
      const first = sourceCounter(group[0] ?? '')
      for (const address of group) assert.equal(sourceCounter(address), first, address)
      return first
    })
    assert.equal(new Set(counters).size, GROUPS.length, counters.join(' '))
  })
})
