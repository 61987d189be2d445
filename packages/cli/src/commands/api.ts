import {
  ApiError,
  AuthError,
  ClientCredentials,
  DeviceStatus,
  isDeviceStatusError,
  SimSwap,
  type Authorization,
} from '@device-status/sdk'
import type { Command, CommandContext, OptionSpecs } from '../command.js'
import { CliError, usageError } from '../errors.js'
import { e164PhoneNumber, integer, oneOf } from '../input.js'
import { json } from '../output.js'

/** How the app is authorized: CIBA for the subscriber (three-legged) or client credentials. */
export const FLOWS = ['ciba', 'client-credentials'] as const

const DEFAULT_URL = 'http://127.0.0.1:8080'

/** The options of every API command: the gateway, the app's credentials, the flow. */
const API_OPTIONS: OptionSpecs = {
  url: {
    type: 'string',
    value: 'URL',
    description: `gateway URL (env DEVICE_STATUS_URL, default ${DEFAULT_URL})`,
  },
  flow: {
    type: 'string',
    value: FLOWS.join('|'),
    description:
      'ciba: the subscriber authorizes (three-legged, the default); client-credentials: the app alone (two-legged, the request names the device)',
  },
  'client-id': {
    type: 'string',
    value: 'ID',
    description: 'the app (env CLIENT_ID, default the sandbox demo app my-app-id)',
  },
  'client-secret': {
    type: 'string',
    value: 'SECRET',
    description: 'its secret (env CLIENT_SECRET, default my-app-secret)',
  },
  purpose: {
    type: 'string',
    value: 'PURPOSE',
    description: 'dpv: purpose of the request (default dpv:FraudPreventionAndDetection)',
  },
  json: { type: 'boolean', description: 'print the whole answer as JSON' },
}

interface ApiCall {
  phoneNumber: string
  authorization: Authorization
  credentials: ClientCredentials
  correlator: string
}

/** The app's credentials and authorization from the flags and the environment. */
function apiCall(context: CommandContext, command: string): ApiCall {
  const { flags, io } = context
  const phoneNumber = e164PhoneNumber(context.args[0] ?? '', command)
  const url = flags.string('url') ?? (io.env['DEVICE_STATUS_URL']?.trim() || DEFAULT_URL)
  try {
    const parsed = new URL(url)
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new Error()
  } catch {
    throw usageError(`"${url}" is not an http(s) URL such as ${DEFAULT_URL}`, command)
  }
  const flow = oneOf('flow', FLOWS, flags.string('flow') ?? 'ciba', command)
  const purpose = flags.string('purpose')
  const credentials = new ClientCredentials({
    clientId: flags.string('client-id') ?? (io.env['CLIENT_ID']?.trim() || 'my-app-id'),
    clientSecret:
      flags.string('client-secret') ?? (io.env['CLIENT_SECRET']?.trim() || 'my-app-secret'),
    baseUrl: url,
  })
  const authorization: Authorization =
    flow === 'ciba'
      ? { phoneNumber, ...(purpose === undefined ? {} : { purpose }) }
      : { device: { phoneNumber }, ...(purpose === undefined ? {} : { purpose }) }
  return { phoneNumber, authorization, credentials, correlator: crypto.randomUUID() }
}

/** SDK errors as the CLI prints them: the code, and the correlator of a refused API call. */
function cliErrorOf(error: unknown): unknown {
  if (error instanceof ApiError) {
    return new CliError(
      error.code,
      `${error.message} (status ${error.status}, correlator ${error.correlator})`,
      {
        cause: error,
      },
    )
  }
  if (error instanceof AuthError) {
    return new CliError(error.error.toUpperCase(), `authorization failed: ${error.message}`, {
      cause: error,
      ...(error.error === 'invalid_client'
        ? { hint: 'Check --client-id and --client-secret (or CLIENT_ID and CLIENT_SECRET).' }
        : {}),
    })
  }
  if (isDeviceStatusError(error) && error.code === 'NETWORK_ERROR') {
    return new CliError('GATEWAY_UNREACHABLE', error.message, {
      cause: error,
      hint: 'Is the gateway running? Start it with "device-status start", or pass --url.',
    })
  }
  return error
}

/** `key: value` lines, aligned. */
function lines(rows: readonly (readonly [string, string])[]): string {
  const width = Math.max(...rows.map(([k]) => k.length)) + 1
  return rows.map(([k, v]) => `${`${k}:`.padEnd(width)} ${v}\n`).join('')
}

async function answer<TResult>(
  context: CommandContext,
  command: string,
  ask: (call: ApiCall) => Promise<TResult>,
  show: (result: TResult, call: ApiCall) => (readonly [string, string])[],
): Promise<void> {
  const call = apiCall(context, command)
  let result: TResult
  try {
    result = await ask(call)
  } catch (error) {
    throw cliErrorOf(error)
  }
  if (context.flags.boolean('json')) context.io.stdout(json(result))
  else context.io.stdout(lines([['phone number', call.phoneNumber], ...show(result, call)]))
}

const DESCRIPTION =
  'Calls the API as an app does: the SDK authorizes (CIBA or client credentials), then asks. Prints the answer and the x-correlator of the call.'

const examples = (command: string, extra = ''): string[] => [
  `device-status ${command} +34600000002${extra}`,
  `device-status ${command} +34600000002 --flow client-credentials${extra}`,
]

export const roaming: Command = {
  name: 'roaming',
  args: ['<phoneNumber>'],
  summary: 'Ask device-roaming-status whether a device roams, and where (through the SDK)',
  description: DESCRIPTION,
  options: API_OPTIONS,
  admin: false,
  examples: examples('roaming'),
  async run(context) {
    await answer(
      context,
      'roaming',
      (c) =>
        new DeviceStatus(c.credentials, c.authorization).getRoamingStatus({
          correlator: c.correlator,
        }),
      (r) => [
        ['roaming', String(r.roaming)],
        ...(r.roaming
          ? ([
              [
                'country',
                `${r.countryNames.length === 0 ? '(none)' : r.countryNames.join(', ')} (MCC ${r.countryCode ?? '?'})`,
              ],
            ] as const)
          : []),
        ['last status time', r.lastStatusTime.toISOString()],
        ['correlator', r.correlator],
      ],
    )
  },
}

export const reachability: Command = {
  name: 'reachability',
  args: ['<phoneNumber>'],
  summary: 'Ask device-reachability-status whether a device is reachable, for data or SMS',
  description: DESCRIPTION,
  options: API_OPTIONS,
  admin: false,
  examples: examples('reachability'),
  async run(context) {
    await answer(
      context,
      'reachability',
      (c) =>
        new DeviceStatus(c.credentials, c.authorization).getReachabilityStatus({
          correlator: c.correlator,
        }),
      (r) => [
        ['reachable', String(r.reachable)],
        ['connectivity', r.connectivity.length === 0 ? 'none' : r.connectivity.join(', ')],
        ['last status time', r.lastStatusTime.toISOString()],
        ['correlator', r.correlator],
      ],
    )
  },
}

export const networkType: Command = {
  name: 'network-type',
  args: ['<phoneNumber>'],
  summary: 'Ask connected-network-type which network type (2G to 5G) a device is on',
  description: DESCRIPTION,
  options: API_OPTIONS,
  admin: false,
  examples: examples('network-type'),
  async run(context) {
    await answer(
      context,
      'network-type',
      (c) =>
        new DeviceStatus(c.credentials, c.authorization).getConnectedNetworkType({
          correlator: c.correlator,
        }),
      (r) => [
        ['network type', r.connectedNetworkType],
        ['last status time', r.lastStatusTime.toISOString()],
        ['correlator', r.correlator],
      ],
    )
  },
}

export const simSwapDate: Command = {
  name: 'sim-swap date',
  args: ['<phoneNumber>'],
  summary: 'Ask sim-swap for the date of the latest SIM change (a swap, or the activation)',
  description: DESCRIPTION,
  options: API_OPTIONS,
  admin: false,
  examples: examples('sim-swap date'),
  async run(context) {
    await answer(
      context,
      'sim-swap date',
      (c) =>
        new SimSwap(c.credentials, c.authorization).getSimSwapDate({ correlator: c.correlator }),
      (r) => [
        [
          'latest SIM change',
          r.latestSimChange === null
            ? 'none (no SIM, or older than the operator reveals)'
            : r.latestSimChange.toISOString(),
        ],
        ...(r.monitoredPeriod === undefined
          ? []
          : ([['monitored period', `${r.monitoredPeriod} days`]] as const)),
        ['correlator', r.correlator],
      ],
    )
  },
}

export const simSwapCheck: Command = {
  name: 'sim-swap check',
  args: ['<phoneNumber>'],
  summary: 'Ask sim-swap whether the SIM changed within the last hours',
  description: DESCRIPTION,
  options: {
    'max-age': {
      type: 'string',
      value: 'HOURS',
      description: 'how far back, 1 to 2400 hours (default 240, the API default)',
    },
    ...API_OPTIONS,
  },
  admin: false,
  examples: examples('sim-swap check', ' --max-age 24'),
  async run(context) {
    const maxAgeFlag = context.flags.string('max-age')
    const maxAge =
      maxAgeFlag === undefined
        ? undefined
        : integer('max-age', maxAgeFlag, { min: 1, max: 2400 }, 'sim-swap check')
    await answer(
      context,
      'sim-swap check',
      async (c) => ({
        swapped: await new SimSwap(c.credentials, c.authorization).check(maxAge, {
          correlator: c.correlator,
        }),
        correlator: c.correlator,
      }),
      (r) => [
        [`swapped within ${maxAge ?? 240} h`, String(r.swapped)],
        ['correlator', r.correlator],
      ],
    )
  },
}
