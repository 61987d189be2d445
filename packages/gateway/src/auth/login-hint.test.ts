/** Issue 14: the port of an `ipport:` hint is validated alike in its IPv4 and IPv6 forms. */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { parseLoginHint } from './login-hint.js'

const PORTS: readonly (readonly [string, boolean])[] = [
  ['1', true],
  ['8080', true],
  ['65535', true],
  ['0', false],
  ['65536', false],
  ['70000', false],
  ['99999', false],
  ['123456', false],
  ['-1', false],
  ['+80', false],
  ['8o', false],
  ['', false],
]

describe('ipport: login_hint ports (issue 14)', () => {
  for (const [form, hint] of [
    ['IPv4', (port: string) => `ipport:84.125.93.10:${port}`],
    ['IPv6', (port: string) => `ipport:[2001:db8::1]:${port}`],
  ] as const) {
    it(`${form}: 1 to 65535 is a port, anything else is refused`, () => {
      for (const [port, valid] of PORTS) {
        const parsed = parseLoginHint(hint(port), { compatible: false })
        assert.equal(typeof parsed !== 'string', valid, `${hint(port)}: ${JSON.stringify(parsed)}`)
      }
    })
  }
})
