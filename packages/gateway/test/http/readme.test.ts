import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { ENVIRONMENT } from '../../src/config.js'
import { demoDevices } from '../../src/network/simulator/seed.js'

const README = readFileSync(join(import.meta.dirname, '..', '..', '..', '..', 'README.md'), 'utf8')

describe('README drift', () => {
  it('the configuration table lists every variable with its default and meaning, and no other', () => {
    const section = README.split('## Configuration')[1]?.split('\n## ')[0] ?? ''
    const rows = [...section.matchAll(/^\| `([A-Z_]+)` \| (.+?) \| (.+) \|$/gm)].map((m) => ({
      name: m[1],
      default: m[2],
      doc: m[3],
    }))
    const expected = Object.entries(ENVIRONMENT).map(([name, v]) => ({
      name,
      default: v.default === '' ? '(unset)' : `\`${v.default}\``,
      doc: v.doc,
    }))
    assert.deepEqual(rows, expected)
  })

  it('lists every demo device', () => {
    for (const { phoneNumber } of demoDevices(() => new Date()))
      assert.ok(README.includes(`\`${phoneNumber}\``), phoneNumber)
  })
})
