import {
  CONNECTIVITY_TYPES,
  DEVICE_APIS,
  NETWORK_TYPES,
  type Device,
  type DeviceState,
} from '../admin-client.js'
import type { Command, CommandContext, Flags } from '../command.js'
import { CliError, usageError } from '../errors.js'
import { e164PhoneNumber } from '../input.js'
import { formatTable, json } from '../output.js'

function phoneNumberArg(context: CommandContext, command: string): string {
  return e164PhoneNumber(context.args[0] ?? '', command)
}

/** `262 (DE)`, `340 (BL,GF,GP,MF,MQ)`, `901` (no country), or `no`. */
function roamingCell(device: Device): string {
  if (device.roaming === false) return 'no'
  const names = device.roaming.countryName
  return names.length === 0
    ? String(device.roaming.countryCode)
    : `${device.roaming.countryCode} (${names.join(',')})`
}

/**
 * What makes a device answer differently from its state: `no SIM` (a number without a SIM), `network
 * failure (503)` (every API answers 503 UNAVAILABLE), `not applicable: <apis>` (422
 * SERVICE_NOT_APPLICABLE; `every API` when all), or `-`.
 */
function specialCell(device: Device): string {
  const special: string[] = []
  if (device.simActivatedAt === null) special.push('no SIM')
  if (device.networkUnavailable) special.push('network failure (503)')
  if (device.notApplicable.length > 0) {
    const all = DEVICE_APIS.every((api) => device.notApplicable.includes(api))
    special.push(`not applicable: ${all ? 'every API' : device.notApplicable.join(',')}`)
  }
  return special.length === 0 ? '-' : special.join('; ')
}

export function formatDevices(devices: readonly Device[]): string {
  return formatTable(
    ['PHONE NUMBER', 'ROAMING', 'CONNECTIVITY', 'NETWORK TYPE', 'SIM SWAPPED', 'SPECIAL'],
    devices.map((d) => [
      d.phoneNumber,
      roamingCell(d),
      d.connectivity.length === 0 ? 'none' : d.connectivity.join(','),
      d.networkType ?? 'none',
      d.simSwappedAt ?? '-',
      specialCell(d),
    ]),
  )
}

export const devicesList: Command = {
  name: 'devices list',
  args: [],
  summary: 'List the simulated devices',
  options: { json: { type: 'boolean', description: 'print the raw JSON of the admin API' } },
  admin: true,
  examples: ['device-status devices list', 'device-status devices list --json'],
  async run(context) {
    const devices = await context.admin().listDevices()
    if (context.flags.boolean('json')) context.io.stdout(json(devices))
    else if (devices.length === 0) context.io.stdout('No simulated devices.\n')
    else context.io.stdout(formatDevices(devices))
  },
}

export const devicesGet: Command = {
  name: 'devices get',
  args: ['<phoneNumber>'],
  summary: 'Print one device as JSON',
  options: {},
  admin: true,
  examples: ['device-status devices get +34600000002'],
  async run(context) {
    const phoneNumber = phoneNumberArg(context, 'devices get')
    context.io.stdout(json(await context.admin().getDevice(phoneNumber)))
  },
}

/** Splits `a,b` into trimmed items; `none` is the empty list. */
function list(text: string): string[] {
  const items = text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
  return items.length === 1 && items[0]?.toLowerCase() === 'none' ? [] : items
}

function oneOf<TValue extends string>(
  flag: string,
  allowed: readonly TValue[],
  value: string,
): TValue {
  const found = allowed.find((a) => a.toLowerCase() === value.toLowerCase())
  if (found === undefined) {
    throw usageError(`--${flag} takes ${allowed.join(', ')} or none, not "${value}"`, 'devices set')
  }
  return found
}

/**
 * An RFC 3339 date-time with its zone (`Z` or `±hh:mm`: never the machine's local time) whose
 * calendar fields exist (`Date` would roll 30 February into March).
 */
function isoTime(flag: string, text: string): string {
  const match =
    /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.\d+)?(Z|[+-]\d{2}:\d{2})$/i.exec(text)
  const time = new Date(text)
  const [, year, month, day, hour, minute, second] = match ?? []
  const fieldsExist =
    match !== null &&
    Number(hour) < 24 &&
    Number(minute) < 60 &&
    Number(second) < 60 &&
    new Date(Date.UTC(Number(year), Number(month) - 1, Number(day))).getUTCDate() === Number(day) &&
    Number(month) >= 1 &&
    Number(month) <= 12
  if (!fieldsExist || Number.isNaN(time.getTime())) {
    throw usageError(
      `--${flag} takes an ISO 8601 date-time such as 2026-11-01T10:00:00Z, not "${text}"`,
      'devices set',
    )
  }
  return time.toISOString()
}

function exclusive(flags: Flags, a: string, b: string): void {
  if (flags.has(a) && flags.has(b))
    throw usageError(`use --${a} or --${b}, not both`, 'devices set')
}

/** The state that `devices set` flags describe, over the `--json` state if given. */
export function stateOfFlags(flags: Flags): DeviceState {
  exclusive(flags, 'roaming', 'home')
  exclusive(flags, 'sim-swapped-at', 'sim-swapped-now')
  let state: DeviceState = {}
  const raw = flags.string('json')
  if (raw !== undefined) {
    let parsed: unknown
    try {
      parsed = JSON.parse(raw)
    } catch (error) {
      throw usageError(`--json is not valid JSON: ${(error as Error).message}`, 'devices set')
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw usageError('--json takes a JSON object such as \'{"networkType":"5G"}\'', 'devices set')
    }
    state = { ...(parsed as DeviceState) }
  }
  const roaming = flags.string('roaming')
  if (roaming !== undefined) {
    const countryCode = Number(roaming)
    if (!/^\d{1,3}$/.test(roaming) || countryCode < 1) {
      throw usageError(
        `--roaming takes a Mobile Country Code from 1 to 999 such as 262, not "${roaming}"`,
        'devices set',
      )
    }
    state.roaming = { countryCode }
  }
  if (flags.boolean('home')) state.roaming = false
  const connectivity = flags.string('connectivity')
  if (connectivity !== undefined) {
    state.connectivity = list(connectivity).map((c) => oneOf('connectivity', CONNECTIVITY_TYPES, c))
  }
  const networkType = flags.string('network-type')
  if (networkType !== undefined) {
    state.networkType =
      networkType.toLowerCase() === 'none'
        ? null
        : oneOf('network-type', NETWORK_TYPES, networkType)
  }
  const swappedAt = flags.string('sim-swapped-at')
  if (swappedAt !== undefined) state.simSwappedAt = isoTime('sim-swapped-at', swappedAt)
  if (flags.boolean('sim-swapped-now')) state.simSwappedAt = new Date().toISOString()
  const notApplicable = flags.string('not-applicable')
  if (notApplicable !== undefined) {
    state.notApplicable = list(notApplicable).map((api) =>
      oneOf('not-applicable', DEVICE_APIS, api),
    )
  }
  const unavailable = flags.string('network-unavailable')
  if (unavailable !== undefined) {
    if (unavailable !== 'true' && unavailable !== 'false') {
      throw usageError(
        `--network-unavailable takes true or false, not "${unavailable}"`,
        'devices set',
      )
    }
    state.networkUnavailable = unavailable === 'true'
  }
  return state
}

export const devicesSet: Command = {
  name: 'devices set',
  args: ['<phoneNumber>'],
  summary: 'Change a device, or create it',
  description:
    'Changes only the facts given (PATCH). Creates the device (PUT, other facts take their defaults: at home, DATA and SMS, 4G) when it does not exist, or replaces its whole state with --create. Prints the device as JSON.',
  options: {
    roaming: {
      type: 'string',
      value: 'MCC',
      description: 'roaming in the country of this Mobile Country Code, e.g. 262 (Germany)',
    },
    home: { type: 'boolean', description: 'not roaming' },
    connectivity: {
      type: 'string',
      value: 'DATA,SMS|none',
      description: 'reachable for data and/or SMS; none: not reachable',
    },
    'network-type': {
      type: 'string',
      value: '2G|3G|4G|5G|none',
      description: 'network technology; none: not on a mobile network',
    },
    'sim-swapped-at': {
      type: 'string',
      value: 'ISO',
      description: 'time of the latest SIM change, e.g. 2026-11-01T10:00:00Z',
    },
    'sim-swapped-now': { type: 'boolean', description: 'the SIM changed just now' },
    'not-applicable': {
      type: 'string',
      value: 'api,api|none',
      description: `APIs that answer 422 SERVICE_NOT_APPLICABLE: ${DEVICE_APIS.join(', ')}`,
    },
    'network-unavailable': {
      type: 'string',
      value: 'true|false',
      description: 'true: reading the network fails with 503 UNAVAILABLE',
    },
    json: {
      type: 'string',
      value: 'STATE',
      description: 'a state object as the admin API takes it; the flags above override its fields',
    },
    create: {
      type: 'boolean',
      description: 'replace the whole state (PUT); fields not given take the defaults',
    },
  },
  admin: true,
  examples: [
    'device-status devices set +34600000003 --roaming 208',
    'device-status devices set +34600000003 --home --connectivity none --network-type none',
    'device-status devices set +34699999999 --create --network-type 5G --sim-swapped-now',
    'device-status devices set +34600000001 --json \'{"notApplicable":["sim-swap"]}\'',
  ],
  async run(context) {
    const phoneNumber = phoneNumberArg(context, 'devices set')
    const state = stateOfFlags(context.flags)
    const create = context.flags.boolean('create')
    if (!create && Object.keys(state).length === 0) {
      throw usageError('nothing to set: give at least one of the flags, or --create', 'devices set')
    }
    const admin = context.admin()
    let device: Device
    if (create) device = await admin.putDevice(phoneNumber, state)
    else {
      try {
        device = await admin.patchDevice(phoneNumber, state)
      } catch (error) {
        if (!(error instanceof CliError) || error.code !== 'NOT_FOUND') throw error
        device = await admin.putDevice(phoneNumber, state)
      }
    }
    context.io.stdout(json(device))
  },
}

export const devicesDelete: Command = {
  name: 'devices delete',
  args: ['<phoneNumber>'],
  summary: 'Remove a simulated device',
  options: {},
  admin: true,
  examples: ['device-status devices delete +34699999999'],
  async run(context) {
    const phoneNumber = phoneNumberArg(context, 'devices delete')
    await context.admin().deleteDevice(phoneNumber)
    context.io.stdout(`Deleted ${phoneNumber}\n`)
  },
}
