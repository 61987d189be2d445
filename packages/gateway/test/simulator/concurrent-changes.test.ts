import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { patchDevice, type SimulatorDeps } from '../../src/simulator/simulator.js'
import { startTestGateway, type TestGateway } from '../helpers/gateway.js'
import { networkEventSink } from '../../src/subscriptions/ingest.js'
import { gate, heldOpen, untilLockWait } from '../subscriptions/lock-waits.js'

/**
 * Two changes of one device at once: the first holds its transaction open after fanning out,
 * until the second (an admin API request) waits for a lock (PostgreSQL) or has finished. The
 * second must then start from the state the first left, as if they had run one after the other.
 */
describe('concurrent changes of one device', () => {
  let gw: TestGateway
  before(async () => {
    gw = await startTestGateway()
  })
  after(() => gw.close())

  /** A fresh device at home, reachable for data and SMS. */
  async function freshDevice(phoneNumber: string): Promise<string> {
    const path = `/network/v1/devices/${encodeURIComponent(phoneNumber)}`
    assert.equal((await gw.admin('PUT', path, {})).status, 201)
    return path
  }

  /** PATCH `phoneNumber` with `first` held open while `second` is sent through the admin API. */
  async function interleave(
    phoneNumber: string,
    first: Parameters<typeof patchDevice>[2],
    second: Record<string, unknown>,
  ): Promise<void> {
    const held = gate()
    const deps: SimulatorDeps = {
      store: gw.store,
      clock: () => new Date(),
      // The real door, held open inside its transaction once the change is written.
      events: heldOpen(
        networkEventSink({
          store: gw.store,
          outbox: { source: () => 'http://gateway.test/x' },
          kick: () => undefined,
          clock: () => new Date(),
        }),
        held,
      ),
    }
    const changing = patchDevice(deps, phoneNumber, first)
    await held.reached
    const path = `/network/v1/devices/${encodeURIComponent(phoneNumber)}`
    const request = gw.admin('PATCH', path, second)
    await untilLockWait(gw.config.databaseUrl, request)
    held.open()
    const [, answer] = await Promise.all([changing, request])
    assert.equal(answer.status, 200)
  }

  async function eventsOf(phoneNumber: string) {
    const device = await gw.store.devices.byPhoneNumber(phoneNumber)
    assert.ok(device)
    return (await gw.store.networkEvents.list({ deviceId: device.id })).map((e) => ({
      type: e.type,
      before: e.before,
      after: e.after,
    }))
  }

  it('home to DE, then to FR: the second is a change of country, not a second departure', async () => {
    const phoneNumber = '+34699000301'
    const path = await freshDevice(phoneNumber)
    await interleave(
      phoneNumber,
      { roaming: { countryCode: 262 } },
      { roaming: { countryCode: 208 } },
    )

    assert.deepEqual((await eventsOf(phoneNumber)).slice(1), [
      {
        type: 'roaming',
        before: { roamingCountryCode: null },
        after: { roamingCountryCode: 262 },
      },
      {
        type: 'roaming',
        before: { roamingCountryCode: 262 },
        after: { roamingCountryCode: 208 },
      },
    ])
    assert.equal((await gw.admin('GET', path)).body.roaming.countryCode, 208)
  })

  it('changes of two facts at once: neither is lost', async () => {
    const phoneNumber = '+34699000302'
    const path = await freshDevice(phoneNumber)
    await interleave(phoneNumber, { roaming: { countryCode: 262 } }, { connectivity: [] })

    const device = (await gw.admin('GET', path)).body
    assert.equal(device.roaming.countryCode, 262, 'the first change was overwritten')
    assert.deepEqual(device.connectivity, [])
    const types = (await eventsOf(phoneNumber)).slice(1).map((e) => e.type)
    assert.deepEqual(types, ['roaming', 'connectivity', 'network-type'])
  })

  it('two PUTs creating the same new device: one creates it, the other replaces it, no error', async () => {
    for (let round = 0; round < 5; round++) {
      const path = `/network/v1/devices/${encodeURIComponent(`+3469911000${round}`)}`
      const answers = await Promise.all([
        gw.admin('PUT', path, { networkType: '4G' }),
        gw.admin('PUT', path, { networkType: '5G' }),
      ])
      assert.deepEqual(
        answers.map((a) => a.status).toSorted((a, b) => a - b),
        [200, 201],
        JSON.stringify(answers.map((a) => a.body)),
      )
    }
  })
})
