import assert from 'node:assert/strict'
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { SPECS_DIR, generate, stale } from '../scripts/generate.js'
import { CAMARA_APIS, EVENT_APIS, TERMINATION_REASONS } from '../src/index.js'

describe('the contract is derived from the spec files and the admin schemas', () => {
  it('the committed generated files are what the generator writes today', async () => {
    assert.deepEqual(await stale(), [], 'run npm run generate -w @device-status/contract')
  })

  it('a changed spec file makes the committed contract stale (the check can fail)', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'contract-specs-'))
    t.after(() => rmSync(dir, { recursive: true, force: true }))
    cpSync(SPECS_DIR, dir, { recursive: true })
    const file = join(dir, CAMARA_APIS['device-roaming-status-subscriptions'].file)
    const yaml = readFileSync(file, 'utf8')
    // A new termination reason in the spec, as a later Commonalities release adds them.
    const changed = yaml.replace(
      '        - SUBSCRIPTION_DELETED\n',
      '        - SUBSCRIPTION_DELETED\n        - SUBSCRIPTION_UNPROCESSABLE\n',
    )
    assert.notEqual(changed, yaml)
    writeFileSync(file, changed)
    assert.deepEqual(await stale(dir), [
      'src/generated/camara-apis.ts',
      'src/generated/device-roaming-status-subscriptions.ts',
    ])
    const table = (await generate(dir)).get('src/generated/camara-apis.ts') ?? ''
    assert.match(table, /TERMINATION_REASONS = \[[^\]]*'SUBSCRIPTION_UNPROCESSABLE'/)
  })

  it('an event type outside the API prefix is refused, not carried into the contract', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'contract-specs-'))
    t.after(() => rmSync(dir, { recursive: true, force: true }))
    cpSync(SPECS_DIR, dir, { recursive: true })
    const file = join(dir, CAMARA_APIS['sim-swap-subscriptions'].file)
    const yaml = readFileSync(file, 'utf8')
    writeFileSync(
      file,
      yaml.replace(
        "org.camaraproject.sim-swap-subscriptions.v0.swapped: '#/components/schemas/EventSimSwap'",
        "org.camaraproject.api-name.v0.swapped: '#/components/schemas/EventSimSwap'",
      ),
    )
    await assert.rejects(generate(dir), /sim-swap-subscriptions-v0\.3\.0\.yaml: CloudEvent mapping/)
  })

  it('the table holds what the specs say', () => {
    assert.deepEqual(CAMARA_APIS['device-roaming-status'], {
      file: 'device-roaming-status-v1.1.0.yaml',
      version: '1.1.0',
      basePath: '/device-roaming-status/v1',
    })
    assert.deepEqual(EVENT_APIS['sim-swap-subscriptions'].notificationTypes, [
      'swapped',
      'subscription-started',
      'subscription-updated',
      'subscription-ended',
    ])
    assert.equal(EVENT_APIS['sim-swap-subscriptions'].identifier, 'phoneNumber')
    assert.deepEqual(EVENT_APIS['device-status'].terminationReasons, [
      'SUBSCRIPTION_EXPIRED',
      'NETWORK_TERMINATED',
    ])
    assert.deepEqual([...TERMINATION_REASONS].sort(), [
      'ACCESS_TOKEN_EXPIRED',
      'MAX_EVENTS_REACHED',
      'NETWORK_TERMINATED',
      'SUBSCRIPTION_DELETED',
      'SUBSCRIPTION_EXPIRED',
    ])
  })
})
