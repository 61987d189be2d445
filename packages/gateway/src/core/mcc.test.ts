import assert from 'node:assert/strict'
import { describe, it } from 'node:test'

import { MCC_COUNTRIES, countryNamesForMcc, isKnownMcc } from './mcc.js'

describe('MCC_COUNTRIES', () => {
  it('maps single-country and shared MCCs', () => {
    assert.deepEqual(countryNamesForMcc(262), ['DE'])
    assert.deepEqual(countryNamesForMcc(234), ['GB', 'GG', 'IM', 'JE'])
    assert.deepEqual(countryNamesForMcc(235), ['GB'])
    assert.deepEqual(countryNamesForMcc(340), ['BL', 'GF', 'GP', 'MF', 'MQ'])
    assert.deepEqual(countryNamesForMcc(362), ['BQ', 'CW', 'SX'])
    assert.deepEqual(countryNamesForMcc(647), ['RE', 'YT'])
    assert.deepEqual(countryNamesForMcc(742), ['GF'])
    for (const mcc of [310, 311, 312, 313, 314, 315, 316]) {
      assert.ok(countryNamesForMcc(mcc).includes('US'), `${mcc} serves the US`)
    }
    for (const mcc of [404, 405, 406]) assert.deepEqual(countryNamesForMcc(mcc), ['IN'])
    for (const mcc of [440, 441]) assert.deepEqual(countryNamesForMcc(mcc), ['JP'])
    for (const mcc of [460, 461]) assert.deepEqual(countryNamesForMcc(mcc), ['CN'])
  })

  it('maps the shared international codes to no country', () => {
    for (const mcc of [901, 902, 991, 999]) {
      assert.equal(isKnownMcc(mcc), true, `${mcc} is known`)
      assert.deepEqual(countryNamesForMcc(mcc), [])
    }
  })

  it('returns [] for an MCC that is not in the table', () => {
    for (const mcc of [123, 0, 1, 200, 201, 289, 1000, -262, 262.5, Number.NaN]) {
      assert.equal(isKnownMcc(mcc), false, `${mcc} is unknown`)
      assert.deepEqual(countryNamesForMcc(mcc), [])
    }
    assert.equal(isKnownMcc(262), true)
    assert.deepEqual(countryNamesForMcc(995), ['IO'], 'Diego Garcia, in use though not in ITU list')
  })

  it('has integer keys from 200 to 999 and sorted, unique ISO alpha-2 values', () => {
    const entries = Object.entries(MCC_COUNTRIES)
    assert.ok(entries.length >= 230, `only ${entries.length} MCCs`)
    for (const [key, countries] of entries) {
      const mcc = Number(key)
      assert.ok(Number.isInteger(mcc) && mcc >= 200 && mcc <= 999, `bad key ${key}`)
      assert.equal(String(mcc), key)
      assert.ok(Array.isArray(countries), `${key} maps to an array`)
      for (const code of countries) assert.match(code, /^[A-Z]{2}$/, `${key}: ${code}`)
      assert.deepEqual([...countries].sort(), [...countries], `${key} is sorted`)
      assert.equal(new Set(countries).size, countries.length, `${key} has duplicates`)
    }
  })

  it('gives every inhabited independent country at least one MCC', () => {
    const served = new Set(Object.values(MCC_COUNTRIES).flat())
    // Large and small ones, one or more per region.
    const countries = (
      'AD AE AU BR BT CA CN DE ER FJ FM FR GB IN IS JP KI KN KP LI LY MC ME MH MX NG NR PS PW SM ' +
      'SO SS ST TL TO TV US VA VU WS ZA'
    ).split(' ')
    for (const code of countries) assert.ok(served.has(code), `${code} has no MCC`)
  })

  it('returns copies that do not change the table', () => {
    const first = countryNamesForMcc(340)
    first.push('XX')
    first.sort().reverse()
    assert.deepEqual(countryNamesForMcc(340), ['BL', 'GF', 'GP', 'MF', 'MQ'])
    assert.deepEqual(MCC_COUNTRIES[340], ['BL', 'GF', 'GP', 'MF', 'MQ'])
    assert.notEqual(countryNamesForMcc(262), countryNamesForMcc(262))
    assert.notEqual(countryNamesForMcc(262), MCC_COUNTRIES[262])
    assert.ok(Object.isFrozen(MCC_COUNTRIES) && Object.isFrozen(MCC_COUNTRIES[262]))
    const none = countryNamesForMcc(123)
    none.push('XX')
    assert.deepEqual(countryNamesForMcc(123), [])
  })
})
