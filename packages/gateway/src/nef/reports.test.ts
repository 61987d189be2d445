import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { MonitoringEventReport } from '../network/monitoring-event.js'
import type { NefDeviceFacts } from '../store/nef.js'
import { applyImmediate, applyReport, connectivityOf, roamingOf } from './reports.js'

const T0 = '2026-12-06T12:00:00.000Z'
const T1 = '2026-12-06T12:01:00.000Z'
const known: NefDeviceFacts = {
  deviceId: 'msisdn:34600000001',
  roaming: { countryCode: 262, time: T1 },
  connectivity: { connectivity: ['DATA', 'SMS'], time: T1 },
}
const ctx = { reachabilityType: null, now: '2026-12-06T12:02:00.000Z' }

describe('NEF reports → facts', () => {
  it('roamingOf: home, abroad, and what a report does not say', () => {
    const cases: [Partial<MonitoringEventReport>, number | null | undefined][] = [
      [{ roamingStatus: false }, null],
      [{ roamingStatus: true, plmnId: { mcc: '208', mnc: '01' } }, 208],
      [{ roamingStatus: true }, undefined],
      [{ roamingStatus: true, plmnId: { mcc: '2080', mnc: '01' } }, undefined],
      [{}, undefined],
    ]
    for (const [report, expected] of cases)
      assert.equal(roamingOf({ monitoringType: 'ROAMING_STATUS', ...report }), expected)
  })

  it('connectivityOf: loss first, then the types reported reachable', () => {
    const r = (extra: Partial<MonitoringEventReport>) => ({ monitoringType: 'X', ...extra })
    assert.deepEqual(
      connectivityOf({
        data: r({ reachabilityType: 'DATA' }),
        sms: r({ reachabilityType: 'SMS' }),
        loss: r({}),
      }),
      ['DATA', 'SMS'],
    )
    assert.deepEqual(
      connectivityOf({ data: r({}), sms: r({ reachabilityType: 'SMS' }), loss: r({}) }),
      ['SMS'],
    )
    assert.deepEqual(
      connectivityOf({
        data: r({ reachabilityType: 'DATA' }),
        sms: undefined,
        loss: r({ lossOfConnectReason: 7 }),
      }),
      [],
    )
    assert.deepEqual(connectivityOf({ data: undefined, sms: undefined, loss: undefined }), [])
  })

  it('applyReport: a change, the same fact again, an older report, a report of another kind', () => {
    const cases: [
      string,
      MonitoringEventReport,
      NefDeviceFacts['roaming'],
      NefDeviceFacts['connectivity'],
    ][] = [
      [
        'roaming off',
        { monitoringType: 'ROAMING_STATUS', roamingStatus: false },
        { countryCode: null, time: ctx.now },
        known.connectivity,
      ],
      [
        'same country',
        {
          monitoringType: 'ROAMING_STATUS',
          roamingStatus: true,
          plmnId: { mcc: '262', mnc: '01' },
        },
        known.roaming,
        known.connectivity,
      ],
      [
        'older than the fact',
        { monitoringType: 'ROAMING_STATUS', roamingStatus: false, eventTime: T0 },
        known.roaming,
        known.connectivity,
      ],
      [
        'loss',
        { monitoringType: 'LOSS_OF_CONNECTIVITY', lossOfConnectReason: 7 },
        known.roaming,
        { connectivity: [], time: ctx.now },
      ],
      [
        'reachable for what it already is',
        { monitoringType: 'UE_REACHABILITY', reachabilityType: 'SMS' },
        known.roaming,
        known.connectivity,
      ],
      [
        'an unknown type',
        { monitoringType: 'LOCATION_REPORTING' },
        known.roaming,
        known.connectivity,
      ],
    ]
    for (const [name, report, roaming, connectivity] of cases) {
      const after = applyReport(known, report, ctx)
      assert.deepEqual(
        { roaming: after.roaming, connectivity: after.connectivity },
        { roaming, connectivity },
        name,
      )
    }
    const lost = { ...known, connectivity: { connectivity: [], time: T1 } }
    assert.deepEqual(
      applyReport(lost, { monitoringType: 'UE_REACHABILITY', reachabilityType: 'SMS' }, ctx)
        .connectivity,
      { connectivity: ['SMS'], time: ctx.now },
    )
  })

  it('applyImmediate: the current state for its own type only', () => {
    const unknown: NefDeviceFacts = {
      deviceId: known.deviceId,
      roaming: undefined,
      connectivity: undefined,
    }
    const data = applyImmediate(
      unknown,
      { monitoringType: 'UE_REACHABILITY', reachabilityType: 'DATA' },
      { monitoringType: 'UE_REACHABILITY' },
      T0,
    )
    assert.deepEqual(data.connectivity, { connectivity: [], time: T0 })
    const sms = applyImmediate(
      known,
      { monitoringType: 'UE_REACHABILITY', reachabilityType: 'DATA' },
      { monitoringType: 'UE_REACHABILITY' },
      T0,
    )
    assert.deepEqual(sms.connectivity, { connectivity: ['SMS'], time: T0 })
    assert.equal(
      applyImmediate(
        known,
        { monitoringType: 'LOSS_OF_CONNECTIVITY' },
        { monitoringType: 'LOSS_OF_CONNECTIVITY' },
        T0,
      ),
      known,
    )
  })
})
