#!/usr/bin/env node
import { existsSync, readFileSync, realpathSync } from 'node:fs'
import { resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { adminClient, type AdminClient } from './admin-client.js'
import type { Command, CommandContext, Flags, Io, OptionSpecs } from './command.js'
import { networkType, reachability, roaming, simSwapCheck, simSwapDate } from './commands/api.js'
import { appsCreate, appsDelete, appsList, appsRotateSecret, appsShow } from './commands/apps.js'
import {
  consentApprove,
  consentDeny,
  consentList,
  consentPending,
  consentRevoke,
} from './commands/consent.js'
import { deliveriesList } from './commands/deliveries.js'
import { devicesDelete, devicesGet, devicesList, devicesSet } from './commands/devices.js'
import { eventsList } from './commands/events.js'
import { keysList, keysRotate } from './commands/keys.js'
import { scenarioCancel, scenarioList, scenarioRun } from './commands/scenario.js'
import { start } from './commands/start.js'
import { nefSim } from './commands/nef-sim.js'
import { CliError, EXIT, usageError } from './errors.js'

export const COMMANDS: readonly Command[] = [
  start,
  nefSim,
  roaming,
  reachability,
  networkType,
  simSwapDate,
  simSwapCheck,
  devicesList,
  devicesGet,
  devicesSet,
  devicesDelete,
  eventsList,
  scenarioRun,
  scenarioList,
  scenarioCancel,
  appsList,
  appsShow,
  appsCreate,
  appsRotateSecret,
  appsDelete,
  consentList,
  consentRevoke,
  consentPending,
  consentApprove,
  consentDeny,
  keysList,
  keysRotate,
  deliveriesList,
]

/** Command groups and what they are about, for `device-status <group> --help`. */
const GROUPS: Readonly<Record<string, string>> = {
  'sim-swap': 'Ask the SIM Swap API about a line, through the SDK as an app does',
  devices: 'Manage the simulated devices (the network simulator admin API)',
  events: 'Read the network events of the simulated devices',
  scenario: 'Play timelines of device changes',
  apps: 'Manage the apps (OAuth clients) of the developer hub',
  consent: 'Review consents and decide pending authorization requests',
  keys: "Inspect and rotate the gateway's token signing keys",
  deliveries: 'Inspect the notification outbox',
}

export const DEFAULT_URL = 'http://127.0.0.1:8080'

const GLOBAL_OPTIONS: OptionSpecs = {
  debug: { type: 'boolean', description: 'print stack traces of errors' },
  help: { type: 'boolean', short: 'h', description: 'show help' },
}

const ADMIN_OPTIONS: OptionSpecs = {
  url: {
    type: 'string',
    value: 'URL',
    description: `gateway URL (env DEVICE_STATUS_URL, default ${DEFAULT_URL})`,
  },
  'admin-token': {
    type: 'string',
    value: 'TOKEN',
    description:
      'admin API token (env ADMIN_TOKEN, else the file ${DATA_DIR:-./.data}/admin-token)',
  },
}

export function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
    version: string
  }
  return pkg.version
}

function optionLines(options: OptionSpecs): string[] {
  const rows = Object.entries(options).map(([name, o]) => [
    `${o.short === undefined ? '    ' : `-${o.short}, `}--${name}${o.value === undefined ? '' : ` <${o.value}>`}${o.multiple === true ? ' …' : ''}`,
    o.multiple === true ? `${o.description} (repeatable)` : o.description,
  ])
  const width = Math.max(...rows.map(([flag]) => flag?.length ?? 0))
  return rows.map(([flag = '', description = '']) => `  ${flag.padEnd(width)}  ${description}`)
}

export function mainHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => usageOf(c).length))
  return [
    'Usage: device-status <command> [options]',
    '',
    'Run the CAMARA Device Status sandbox gateway, manage its simulated network, and call its APIs.',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${usageOf(c).padEnd(width)}  ${c.summary}`),
    '',
    'Options:',
    ...optionLines({
      ...GLOBAL_OPTIONS,
      version: { type: 'boolean', description: 'print the version' },
    }),
    '',
    'Admin options (every command but start, nef-sim and the API commands):',
    ...optionLines(ADMIN_OPTIONS),
    '',
    'Run "device-status <command> --help" for the options of a command.',
    '',
  ].join('\n')
}

function usageOf(command: Command): string {
  return [command.name, ...command.args].join(' ')
}

export function commandHelp(command: Command): string {
  const options =
    Object.keys(command.options).length === 0
      ? []
      : ['', 'Options:', ...optionLines(command.options)]
  return [
    `Usage: device-status ${usageOf(command)} [options]`,
    '',
    command.summary + '.',
    ...(command.description === undefined ? [] : ['', command.description]),
    ...options,
    '',
    'Global options:',
    ...optionLines({ ...(command.admin ? ADMIN_OPTIONS : {}), ...GLOBAL_OPTIONS }),
    '',
    'Examples:',
    ...command.examples.map((e) => `  ${e}`),
    '',
  ].join('\n')
}

function groupHelp(group: string): string {
  const commands = COMMANDS.filter((c) => c.name.startsWith(group + ' '))
  const width = Math.max(...commands.map((c) => usageOf(c).length))
  return [
    `Usage: device-status ${group} <command> [options]`,
    '',
    `${GROUPS[group] ?? ''}.`,
    '',
    'Commands:',
    ...commands.map((c) => `  ${usageOf(c).padEnd(width)}  ${c.summary}`),
    '',
    `Run "device-status ${group} <command> --help" for the options of a command.`,
    '',
  ].join('\n')
}

/** Options that take a value anywhere on the line, so that their value is not a command word. */
const VALUE_OPTIONS = new Set([
  '--url',
  '--admin-token',
  '--flow',
  '--client-id',
  '--client-secret',
  '--purpose',
  '--max-age',
])

/** Finds the command words (`devices set`) and returns them with the rest of the line. */
function splitCommand(argv: readonly string[]): { words: string[]; rest: string[] } {
  const words: string[] = []
  const rest: string[] = []
  let skipValue = false
  let done = false
  for (const token of argv) {
    if (done || skipValue || token.startsWith('-')) {
      rest.push(token)
      if (token === '--') done = true
      skipValue = !skipValue && VALUE_OPTIONS.has(token)
      continue
    }
    words.push(token)
    // A command is complete after a leaf (`start`) or a group and its subcommand (`devices list`).
    if (!(words.length === 1 && token in GROUPS)) done = true
  }
  return { words, rest }
}

function flagsOf(
  values: Record<string, string | boolean | (string | boolean)[] | undefined>,
): Flags {
  return {
    string: (name) => {
      const value = values[name]
      return typeof value === 'string' ? value : undefined
    },
    strings: (name) => {
      const value = values[name]
      if (typeof value === 'string') return [value]
      return Array.isArray(value) ? value.filter((v) => typeof v === 'string') : []
    },
    boolean: (name) => values[name] === true,
    has: (name) => values[name] !== undefined,
  }
}

function parseFlags(
  args: readonly string[],
  options: OptionSpecs,
  command: string,
): { positionals: string[]; flags: Flags } {
  // The gateway's identifiers are base64url (an `auth_req_id`, 43 characters) and may start
  // with "-": a single-dash argument of 16 characters or more is such an id, never a cluster of
  // short flags, and is read as the positional it is.
  const ids = new Map<string, string>()
  const read = args.map((arg, i) => {
    if (arg.length < 16 || !arg.startsWith('-') || arg.startsWith('--')) return arg
    const stand = `\u0000${i}`
    ids.set(stand, arg)
    return stand
  })
  try {
    const parsed = parseArgs({
      args: read,
      options: Object.fromEntries(
        Object.entries(options).map(([name, o]) => [
          name,
          {
            type: o.type,
            ...(o.short === undefined ? {} : { short: o.short }),
            ...(o.multiple === true ? { multiple: true } : {}),
          },
        ]),
      ),
      strict: true,
      allowPositionals: true,
    })
    // Every stand-in back to its argument, a flag's value too (`--name -an-app-name-with-dash`).
    const back = <T>(v: T): T => (typeof v === 'string' ? ((ids.get(v) ?? v) as T) : v)
    const values = Object.fromEntries(
      Object.entries(parsed.values).map(([name, v]) => [
        name,
        Array.isArray(v) ? v.map(back) : back(v),
      ]),
    )
    return { positionals: parsed.positionals.map(back), flags: flagsOf(values) }
  } catch (error) {
    throw usageError(parseArgsMessage(error, command), command === '' ? undefined : command)
  }
}

/** Node's parseArgs messages, shortened to one line. */
function parseArgsMessage(error: unknown, command: string): string {
  const message = error instanceof Error ? error.message : String(error)
  const where = command === '' ? '' : ` of "device-status ${command}"`
  const unknown = /Unknown option '([^']+)'/.exec(message)
  if (unknown?.[1] !== undefined) return `unknown option ${unknown[1]}${where}`
  const missing = /Option '(?:-\w, )?(--[\w-]+) <value>' argument missing/.exec(message)
  if (missing?.[1] !== undefined) return `${missing[1]} needs a value`
  // `--after -1` or `--name --url …`: a value that starts with a dash, or none at all.
  const ambiguous = /Option '(?:-\w, )?(--[\w-]+)' argument is ambiguous/.exec(message)
  if (ambiguous?.[1] !== undefined) {
    return `${ambiguous[1]} needs a value (write ${ambiguous[1]}=<value> for one that starts with "-")`
  }
  const noValue = /Option '(?:-\w, )?(--[\w-]+)' does not take an argument/.exec(message)
  if (noValue?.[1] !== undefined) return `${noValue[1]} takes no value`
  return message.split('\n')[0] ?? message
}

/** `--admin-token`, else `ADMIN_TOKEN`, else the token file the sandbox gateway writes. */
export function resolveAdminToken(flag: string | undefined, io: Io): string {
  if (flag !== undefined && flag !== '') return flag
  const fromEnv = io.env['ADMIN_TOKEN']?.trim()
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv
  const dataDir = io.env['DATA_DIR']?.trim() || './.data'
  const file = resolve(io.cwd, dataDir, 'admin-token')
  if (existsSync(file)) {
    const token = readFileSync(file, 'utf8').trim()
    if (token !== '') return token
  }
  throw new CliError('MISSING_ADMIN_TOKEN', `no admin token (looked for ${file})`, {
    hint: 'Pass --admin-token or set ADMIN_TOKEN to the token "device-status start" printed, or set DATA_DIR to the gateway\'s data folder.',
  })
}

function resolveUrl(flag: string | undefined, io: Io, command: string): string {
  const url = flag ?? (io.env['DEVICE_STATUS_URL']?.trim() || DEFAULT_URL)
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    throw usageError(`"${url}" is not a URL such as ${DEFAULT_URL}`, command)
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw usageError(`"${url}" is not an http(s) URL`, command)
  }
  return url.replace(/\/+$/, '')
}

/** Runs one command line; returns the exit status. Never throws. */
export async function main(argv: readonly string[], io: Io): Promise<number> {
  const debug = argv.includes('--debug')
  try {
    return await dispatch(argv, io)
  } catch (error) {
    return report(error, io, debug)
  }
}

async function dispatch(argv: readonly string[], io: Io): Promise<number> {
  const { words, rest } = splitCommand(argv)
  const [first, second] = words
  if (first === 'help') {
    // `device-status help devices set` is `device-status devices set --help`.
    const at = argv.indexOf('help')
    return dispatch([...argv.slice(0, at), ...argv.slice(at + 1), '--help'], io)
  }
  if (first === undefined) {
    const { flags } = parseFlags(
      rest,
      { ...GLOBAL_OPTIONS, version: { type: 'boolean', description: '' } },
      '',
    )
    if (flags.boolean('version')) {
      io.stdout(`device-status ${version()}\n`)
      return EXIT.ok
    }
    if (flags.boolean('help')) {
      io.stdout(mainHelp())
      return EXIT.ok
    }
    io.stderr(mainHelp())
    return EXIT.usage
  }
  if (first in GROUPS && second === undefined) {
    const { flags } = parseFlags(rest, { ...ADMIN_OPTIONS, ...GLOBAL_OPTIONS }, first)
    if (flags.boolean('help')) {
      io.stdout(groupHelp(first))
      return EXIT.ok
    }
    const names = COMMANDS.filter((c) => c.name.startsWith(first + ' ')).map(
      (c) => c.name.split(' ')[1],
    )
    throw usageError(`"${first}" needs a command: ${names.join(', ')}`, first)
  }
  const name = words.join(' ')
  const command = COMMANDS.find((c) => c.name === name)
  if (command === undefined) {
    throw usageError(`unknown command "${name}"`, first in GROUPS ? first : undefined)
  }
  const options = { ...command.options, ...(command.admin ? ADMIN_OPTIONS : {}), ...GLOBAL_OPTIONS }
  const { positionals, flags } = parseFlags(rest, options, command.name)
  if (flags.boolean('help')) {
    io.stdout(commandHelp(command))
    return EXIT.ok
  }
  const required = command.args.filter((a) => !a.startsWith('['))
  if (positionals.length < required.length) {
    throw usageError(`missing ${required.slice(positionals.length).join(' ')}`, command.name)
  }
  if (positionals.length > command.args.length) {
    throw usageError(
      `unexpected argument "${positionals[command.args.length] ?? ''}"`,
      command.name,
    )
  }
  let client: AdminClient | undefined
  const context: CommandContext = {
    args: positionals,
    flags,
    io,
    admin: () =>
      (client ??= adminClient({
        url: resolveUrl(flags.string('url'), io, command.name),
        adminToken: resolveAdminToken(flags.string('admin-token'), io),
      })),
  }
  return (await command.run(context)) ?? EXIT.ok
}

/** The one place that prints an error: `device-status: <message> (<code>)`. */
function report(error: unknown, io: Io, debug: boolean): number {
  if (error instanceof CliError) {
    io.stderr(`device-status: ${error.message} (${error.code})\n`)
    if (error.hint !== undefined) io.stderr(`${error.hint}\n`)
  } else {
    const code =
      error instanceof Error && typeof (error as NodeJS.ErrnoException).code === 'string'
        ? (error as NodeJS.ErrnoException).code
        : 'INTERNAL'
    const message = error instanceof Error ? error.message : String(error)
    io.stderr(`device-status: ${message} (${code})\n`)
  }
  if (debug && error instanceof Error) io.stderr(`${stackOf(error)}\n`)
  return error instanceof CliError ? error.exitStatus : EXIT.failure
}

function stackOf(error: Error): string {
  let text = error.stack ?? String(error)
  let cause = error.cause
  while (cause instanceof Error) {
    text += `\nCaused by: ${cause.stack ?? String(cause)}`
    cause = cause.cause
  }
  return text
}

/** The process's streams and environment. */
export function processIo(): Io {
  return {
    stdout: (text) => void process.stdout.write(text),
    stderr: (text) => void process.stderr.write(text),
    env: process.env,
    cwd: process.cwd(),
  }
}

/** Runs the command line of this process and sets its exit status. */
export async function runProcess(argv: readonly string[] = process.argv.slice(2)): Promise<void> {
  // `device-status devices list | head` closes stdout early: not an error.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(EXIT.ok)
    throw error
  })
  process.exitCode = await main(argv, processIo())
}

function isEntryPoint(): boolean {
  const script = process.argv[1]
  if (script === undefined) return false
  try {
    return realpathSync(script) === realpathSync(fileURLToPath(import.meta.url))
  } catch {
    return false
  }
}

if (isEntryPoint()) await runProcess()
