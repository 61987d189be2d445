import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { AuthContext } from '../../src/core/auth-context.js'
import { CamaraError } from '../../src/core/camara-error.js'
import { isPromise } from '../../src/core/maybe-promise.js'
import { NetworkError } from '../../src/core/network-error.js'
import { retrieveRoamingStatus } from '../../src/roaming/service.js'
import { simulatedNetwork } from '../../src/simulator/network.js'
import { seedDemoDevices } from '../../src/simulator/seed.js'
import { patchDevice, type SimulatorDeps } from '../../src/simulator/simulator.js'
import type { Store } from '../../src/store/store.js'
import { bareStore } from '../helpers/bare-store.js'
import { testStoreKind } from '../helpers/test-store.js'

const auth = (deviceId?: string): AuthContext => ({
  clientId: 'app',
  scopes: new Set(['device-roaming-status:read']),
  deviceId,
  sub: 'app',
  expiresAt: Date.now() + 60_000,
  issuedAt: Date.now(),
  token: 'token',
  jkt: undefined,
})

/**
 * The simulator on SQLite's device cache answers a retrieve without a promise (the lean path then
 * writes the answer at once, src/http/lean-path.ts); a miss, PostgreSQL (no cache) and every
 * refusal are promises, never a throw.
 */
describe('retrieve answers from memory', () => {
  const { store } = bareStore()
  const deps = (): SimulatorDeps => ({
    store: store(),
    clock: () => new Date(),
    // The changes only: no subscriptions here to fan out to.
    events: {
      ingest: (work) => store().transaction(async (unit: Store) => (await work(unit)).result),
    },
  })
  const cached = testStoreKind() === 'sqlite'
  const PHONE = { kind: 'phoneNumber', phoneNumber: '+34600000002' } as const

  it('a device read once is answered as a value, until the device changes', async () => {
    await seedDemoDevices(deps())
    const network = simulatedNetwork(store())
    const first = network.find(PHONE)
    assert.equal(isPromise(first), true, 'the first read loads')
    const device = await first
    assert.ok(device)
    const second = network.find(PHONE)
    assert.equal(isPromise(second), !cached)
    assert.deepEqual(await second, device)
    const byId = network.byId(device.id)
    assert.equal(isPromise(byId), true, 'by id: another cache key, loaded once')
    await byId
    assert.equal(isPromise(network.byId(device.id)), !cached)

    await patchDevice(deps(), PHONE.phoneNumber, { roaming: { countryCode: 208 } })
    const changed = network.find(PHONE)
    assert.equal(isPromise(changed), true, 'a change empties the cache')
    const moved = await changed
    assert.ok(moved)
    assert.equal((await network.roaming(moved, 'device-roaming-status')).countryCode, 208)
    await patchDevice(deps(), PHONE.phoneNumber, { roaming: { countryCode: 262 } })
  })

  it('roaming of a simulated device is a value; a refusal is a rejection, not a throw', async () => {
    const network = simulatedNetwork(store())
    const device = await network.find(PHONE)
    assert.ok(device)
    const fact = network.roaming(device, 'device-roaming-status')
    assert.equal(isPromise(fact), false)
    assert.equal((await fact).countryCode, 262)
    const refused = await network.find({ kind: 'phoneNumber', phoneNumber: '+34600000009' })
    assert.ok(refused)
    let answer: unknown
    assert.doesNotThrow(() => (answer = network.roaming(refused, 'device-roaming-status')))
    await assert.rejects(
      answer as Promise<unknown>,
      (error) => error instanceof NetworkError && error.failure === 'SERVICE_NOT_APPLICABLE',
    )
  })

  it('the roaming retrieve: the answer as a value when in memory; refusals as rejections', async () => {
    const network = simulatedNetwork(store())
    const body = { device: { phoneNumber: PHONE.phoneNumber } }
    await retrieveRoamingStatus({ network }, { auth: auth(), body })
    const now = retrieveRoamingStatus({ network }, { auth: auth(), body })
    assert.equal(isPromise(now), !cached)
    const answer = await now
    assert.deepEqual(
      { ...answer, lastStatusTime: typeof answer.lastStatusTime },
      {
        device: { phoneNumber: '+34600000002' },
        lastStatusTime: 'string',
        roaming: true,
        countryCode: 262,
        countryName: ['DE'],
      },
    )
    assert.deepEqual(Object.keys(answer)[0], 'device')
    const device = await network.find(PHONE)
    assert.ok(device)
    const refusals: [AuthContext, { device?: { phoneNumber: string } }, string][] = [
      [auth(), {}, 'MISSING_IDENTIFIER'],
      [auth(), { device: { phoneNumber: '+34699999999' } }, 'IDENTIFIER_NOT_FOUND'],
      [auth(device.id), body, 'UNNECESSARY_IDENTIFIER'],
      [auth('no-such-device'), {}, 'IDENTIFIER_NOT_FOUND'],
    ]
    for (const [who, input, code] of refusals) {
      let refused: unknown
      assert.doesNotThrow(
        () => (refused = retrieveRoamingStatus({ network }, { auth: who, body: input })),
      )
      await assert.rejects(
        refused as Promise<unknown>,
        (error) => error instanceof CamaraError && error.code === code,
      )
    }
    await retrieveRoamingStatus({ network }, { auth: auth(device.id), body: {} })
    const threeLegged = retrieveRoamingStatus({ network }, { auth: auth(device.id), body: {} })
    assert.equal(isPromise(threeLegged), !cached)
    assert.equal((await threeLegged).device, undefined)
  })
})
