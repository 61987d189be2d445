import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { assertError } from '../helpers/device-api-suite.js'
import { startTestGateway, type TestGateway } from '../helpers/gateway.js'

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

async function waitFor(gw: TestGateway, id: string) {
  for (let i = 0; i < 100; i++) {
    const run = await gw.admin('GET', `/network/v1/scenarios/${id}`)
    if (run.body.status !== 'running') return run.body
    await sleep(50)
  }
  throw new Error('scenario did not finish')
}

describe('scenario playback (POST /network/v1/scenarios)', () => {
  let gw: TestGateway
  before(async () => {
    gw = await startTestGateway()
  })
  after(() => gw.close())

  it('plays a timeline in order at its offsets, each step a stored network change', async () => {
    const token = await gw.token2('device-roaming-status:read')
    const started = Date.now()
    const res = await gw.admin('POST', '/network/v1/scenarios', {
      name: 'trip to France and back',
      steps: [
        {
          at: '+1500ms',
          phoneNumber: '+34600000004',
          set: { roaming: false, connectivity: ['DATA'] },
        },
        { at: 0.5, phoneNumber: '+34600000004', set: { roaming: { countryCode: 208 } } },
        { at: '+1s', phoneNumber: '+34600000004', set: { roaming: { countryCode: 262 } } },
      ],
    })
    assert.equal(res.status, 202, JSON.stringify(res.body))
    assert.equal(res.headers.get('location'), `/network/v1/scenarios/${res.body.id}`)
    assert.deepEqual(
      res.body.steps.map((s: { at: number }) => s.at),
      [500, 1000, 1500],
    )
    // The first step is 500 ms away: room for this read even on a loaded machine.
    const midway = await gw.post(
      '/device-roaming-status/v1/retrieve',
      { device: { phoneNumber: '+34600000004' } },
      token,
    )
    assert.equal(midway.body.roaming, false, 'nothing applied before the first offset')
    const run = await waitFor(gw, res.body.id)
    assert.ok(Date.now() - started >= 1500)
    assert.equal(run.status, 'completed')
    assert.deepEqual(
      run.steps.map((s: { status: string }) => s.status),
      ['applied', 'applied', 'applied'],
    )
    const events = (await gw.admin('GET', '/network/v1/events?limit=1000')).body.filter(
      (e: { phoneNumber: string; type: string }) =>
        e.phoneNumber === '+34600000004' && e.type === 'roaming',
    )
    assert.deepEqual(
      events.map(
        (e: { after: { roamingCountryCode: number | null } }) => e.after.roamingCountryCode,
      ),
      [208, 262, null],
    )
  })

  it('a step that fails (unknown device) is reported, and later steps still run', async () => {
    const res = await gw.admin('POST', '/network/v1/scenarios', {
      steps: [
        { at: 0, phoneNumber: '+34699990000', set: { roaming: false } },
        { at: 0.05, phoneNumber: '+34600000005', set: { networkType: '3G' } },
      ],
    })
    const run = await waitFor(gw, res.body.id)
    assert.equal(run.steps[0].status, 'failed')
    assert.match(run.steps[0].error, /No simulated device/)
    assert.equal(run.steps[1].status, 'applied')
  })

  it('can be cancelled; pending steps are not applied', async () => {
    const res = await gw.admin('POST', '/network/v1/scenarios', {
      steps: [{ at: '+10s', phoneNumber: '+34600000005', delete: true }],
    })
    const cancelled = await gw.admin('DELETE', `/network/v1/scenarios/${res.body.id}`)
    assert.equal(cancelled.body.status, 'cancelled')
    assert.equal(cancelled.body.steps[0].status, 'cancelled')
    assert.equal((await gw.admin('GET', '/network/v1/devices/+34600000005')).status, 200)
  })

  it('refuses bad timelines with 400 and unknown scenarios with 404', async () => {
    for (const body of [
      {},
      { steps: [] },
      { steps: [{ at: 'soon', phoneNumber: '+34600000005', set: {} }] },
      { steps: [{ at: 1, phoneNumber: '+34600000005' }] },
      { steps: [{ at: 1, phoneNumber: '+34600000005', set: { networkType: '9G' } }] },
      { steps: [{ at: -1, phoneNumber: '+34600000005', set: {} }] },
      { steps: [{ at: 86_401, phoneNumber: '+34600000005', set: {} }] },
      // Longer than a day in text too (above 2³¹−1 ms Node would run the timer at once).
      { steps: [{ at: '+1000h', phoneNumber: '+34600000005', set: {} }] },
      { steps: [{ at: '+25h', phoneNumber: '+34600000005', set: {} }] },
      // A step may not rename its device.
      { steps: [{ at: 1, phoneNumber: '+34600000005', set: { phoneNumber: '+34600000004' } }] },
    ]) {
      assertError(await gw.admin('POST', '/network/v1/scenarios', body), 400, 'INVALID_ARGUMENT')
    }
    const unreadable = await gw.admin('POST', '/network/v1/scenarios', {
      steps: [
        { at: 0, phoneNumber: '+34600000005', set: {} },
        { at: '+5 s', phoneNumber: '+34600000005', set: {} },
      ],
    })
    assertError(unreadable, 400, 'INVALID_ARGUMENT')
    assert.match(unreadable.body.message, /steps\.1\.at "\+5 s" is neither seconds nor an offset/)
    assert.equal(
      (
        await gw.admin('POST', '/network/v1/scenarios', {
          steps: [{ at: '+24h', phoneNumber: '+34600000005', set: {} }],
        })
      ).status,
      202,
      'a day is the limit, included',
    )
    assertError(await gw.admin('GET', '/network/v1/scenarios/nope'), 404, 'NOT_FOUND')
  })
})
