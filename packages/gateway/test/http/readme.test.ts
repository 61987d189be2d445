import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { ENVIRONMENT } from '../../src/config.js'
import { demoDevices } from '../../src/simulator/seed.js'

const README = readFileSync(join(import.meta.dirname, '..', '..', '..', '..', 'README.md'), 'utf8')

describe('README drift', () => {
  it('the configuration table lists every variable with its default and meaning, and no other', () => {
    const section = README.split('## Configuration')[1]?.split('\n## ')[0] ?? ''
    const rows = section
      .split('\n')
      .filter((line) => /^\| `[A-Z_]+` /.test(line))
      .map((line) => {
        const [name = '', def = '', doc = ''] = line
          .slice(1, -1)
          .split(' | ')
          .map((cell) => cell.trim())
        return { name: name.replaceAll('`', ''), default: def, doc }
      })
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
