import type { Clock } from '../core/clock.js'
import { putDevice, type SimulatorDeps } from './simulator.js'
import type { DeviceStateInput } from './state-schema.js'

/**
 * The sandbox's demo devices (README "Demo devices"), created on the first start of an empty
 * store. Times are relative to the start, so "swapped in the last 24 h" stays true for a day.
 */
export function demoDevices(
  clock: Clock,
): { phoneNumber: string; about: string; state: DeviceStateInput }[] {
  const hoursAgo = (h: number) => new Date(clock().getTime() - h * 3_600_000).toISOString()
  return [
    {
      phoneNumber: '+34600000001',
      about: 'at home, reachable for data and SMS, 5G, all identifier kinds',
      state: {
        connectivity: ['DATA', 'SMS'],
        networkType: '5G',
        simActivatedAt: '2025-01-01T00:00:00.000Z',
        ipv4Address: {
          publicAddress: '84.125.93.10',
          privateAddress: '10.0.0.1',
          publicPort: 59765,
        },
        ipv6Address: '2001:db8:85a3:8d3:1319:8a2e:370:7344',
        networkAccessIdentifier: '34600000001@example.net',
      },
    },
    {
      phoneNumber: '+34600000002',
      about: 'roaming in Germany (MCC 262 → DE), 4G',
      state: {
        roaming: { countryCode: 262 },
        networkType: '4G',
        simActivatedAt: '2024-06-01T00:00:00.000Z',
        ipv4Address: { publicAddress: '84.125.93.20', privateAddress: '10.0.0.2' },
      },
    },
    {
      phoneNumber: '+34600000003',
      about: 'roaming in the French Antilles (MCC 340 → BL, GF, GP, MF, MQ)',
      state: {
        roaming: { countryCode: 340 },
        networkType: '4G',
        simActivatedAt: '2024-03-01T00:00:00.000Z',
      },
    },
    {
      phoneNumber: '+34600000004',
      about: 'not reachable, not attached to a mobile network',
      state: { connectivity: [], networkType: null, simActivatedAt: '2023-09-15T00:00:00.000Z' },
    },
    {
      phoneNumber: '+34600000005',
      about: 'reachable for SMS only, 2G',
      state: {
        connectivity: ['SMS'],
        networkType: '2G',
        simActivatedAt: '2022-01-01T00:00:00.000Z',
      },
    },
    {
      phoneNumber: '+34600000006',
      about: 'SIM swapped 2 hours before the sandbox first started',
      state: {
        simActivatedAt: '2024-01-01T00:00:00.000Z',
        simSwappedAt: hoursAgo(2),
        networkType: '5G',
      },
    },
    {
      phoneNumber: '+34600000007',
      about: 'roaming on an international network (MCC 901 → no country)',
      state: {
        roaming: { countryCode: 901 },
        connectivity: ['DATA'],
        simActivatedAt: '2025-05-01T00:00:00.000Z',
      },
    },
    {
      phoneNumber: '+34600000008',
      about: 'a number without a SIM (SIM swap date null)',
      state: { simActivatedAt: null, connectivity: [], networkType: null },
    },
    {
      phoneNumber: '+34600000009',
      about:
        'every API answers 422 SERVICE_NOT_APPLICABLE (sim-swap subscriptions: UNSUPPORTED_IDENTIFIER)',
      state: {
        notApplicable: [
          'device-roaming-status',
          'device-reachability-status',
          'connected-network-type',
          'sim-swap',
          'device-status',
        ],
      },
    },
    {
      phoneNumber: '+34600000010',
      about: 'the network fails for it: 503 UNAVAILABLE',
      state: { networkUnavailable: true },
    },
    {
      phoneNumber: '+34666666666',
      about: "the vendor docs' sample number: at home, reachable, 4G",
      state: { simActivatedAt: '2024-02-01T00:00:00.000Z' },
    },
    {
      phoneNumber: '+346661113334',
      about: "the SIM Swap spec's sample number: SIM swapped 30 hours before the first start",
      state: { simActivatedAt: '2023-02-01T00:00:00.000Z', simSwappedAt: hoursAgo(30) },
    },
  ]
}

/**
 * Seeds the demo devices on the first start of an empty store; returns how many were created. A
 * store that has had devices keeps its network events, so one whose devices were all deleted is
 * not seeded again.
 */
export async function seedDemoDevices(deps: SimulatorDeps): Promise<number> {
  if ((await deps.store.devices.list()).length > 0) return 0
  if ((await deps.store.networkEvents.list({ limit: 1 })).length > 0) return 0
  const devices = demoDevices(deps.clock)
  try {
    for (const { phoneNumber, state } of devices) await putDevice(deps, phoneNumber, state)
  } catch (error) {
    // Several sandbox instances may start at once on one database: whoever seeds first wins.
    if ((await deps.store.devices.list()).length === 0) throw error
    return 0
  }
  return devices.length
}
