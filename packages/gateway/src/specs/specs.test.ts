import assert from 'node:assert/strict'
import { existsSync, readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { API_FILES, SPECS_DIR, loadSpec, specOperation } from './catalog.js'

const SHARED = join(SPECS_DIR, '..', '..', '..', '..', 'shared', 'specs')

describe('spec files', () => {
  it('are unmodified copies of the shared CAMARA files (when ../shared/specs is present)', (t) => {
    if (!existsSync(SHARED)) return t.skip('no ../shared/specs beside the repository')
    for (const file of readdirSync(SHARED).filter((f) => f.endsWith('.yaml'))) {
      assert.equal(
        readFileSync(join(SPECS_DIR, file), 'utf8'),
        readFileSync(join(SHARED, file), 'utf8'),
        file,
      )
    }
  })

  it('give every served operation a base path, scopes and a body schema', () => {
    const expected: [keyof typeof API_FILES, string, string][] = [
      ['device-roaming-status', 'getRoamingStatus', '/device-roaming-status/v1/retrieve'],
      [
        'device-reachability-status',
        'getReachabilityStatus',
        '/device-reachability-status/v1/retrieve',
      ],
      [
        'connected-network-type',
        'getConnectedNetworkType',
        '/connected-network-type/v0.2/retrieve',
      ],
      ['sim-swap', 'retrieveSimSwapDate', '/sim-swap/v2/retrieve-date'],
      ['sim-swap', 'checkSimSwap', '/sim-swap/v2/check'],
      ['device-status', 'getRoamingStatus', '/device-status/v0/roaming'],
      ['device-status', 'getConnectivityStatus', '/device-status/v0/connectivity'],
    ]
    for (const [api, operationId, url] of expected) {
      const op = specOperation(api, operationId)
      assert.equal(op.url, url)
      assert.equal(op.method, 'POST')
      assert.ok(op.scopes.length > 0)
      assert.ok(op.bodySchemaRef?.startsWith(API_FILES[api]))
    }
    assert.deepEqual(specOperation('sim-swap', 'checkSimSwap').scopes, [
      ['sim-swap:check'],
      ['sim-swap'],
    ])
    assert.equal(loadSpec(API_FILES['device-roaming-status']).info.version, '1.1.0')
  })
})
