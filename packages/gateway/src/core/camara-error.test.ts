import assert from 'node:assert/strict'
import { readdirSync } from 'node:fs'
import { describe, it } from 'node:test'
import { SPECS_DIR, loadSpec } from '../specs/catalog.js'
import { CAMARA_STATUS, CamaraError } from './camara-error.js'

/** Every (status, code) pair the API files declare in their error responses. */
function declaredCodes(): Map<string, Set<number>> {
  const codes = new Map<string, Set<number>>()
  const files = readdirSync(SPECS_DIR).filter(
    (f) =>
      f.endsWith('.yaml') &&
      !f.startsWith('CAMARA_common') &&
      !f.startsWith('event-subscription-template'),
  )
  for (const file of files) {
    const responses = (loadSpec(file).components?.['responses'] ?? {}) as Record<string, any>
    for (const response of Object.values(responses)) {
      const schema = response?.content?.['application/json']?.schema
      for (const part of schema?.allOf ?? []) {
        const statuses: number[] = part?.properties?.status?.enum ?? []
        const names: string[] = part?.properties?.code?.enum ?? []
        for (const code of names) {
          const set = codes.get(code) ?? new Set<number>()
          for (const status of statuses) set.add(status)
          codes.set(code, set)
        }
      }
    }
  }
  return codes
}

describe('CAMARA error catalog', () => {
  it('holds every code the spec files declare, with the one status they give it', () => {
    const declared = declaredCodes()
    assert.ok(declared.size >= 20, `found only ${declared.size} codes: is the walk right?`)
    for (const [code, statuses] of declared) {
      assert.ok(code in CAMARA_STATUS, `${code} missing from CAMARA_STATUS`)
      assert.deepEqual([...statuses], [CAMARA_STATUS[code as keyof typeof CAMARA_STATUS]], code)
    }
  })

  it('derives the status from the code and renders {status, code, message}', () => {
    const error = new CamaraError('IDENTIFIER_NOT_FOUND')
    assert.equal(error.status, 404)
    assert.deepEqual(JSON.parse(JSON.stringify(error)), {
      status: 404,
      code: 'IDENTIFIER_NOT_FOUND',
      message: 'Device identifier not found.',
    })
  })
})
