import { isAbsolute, resolve } from 'node:path'
import { ConfigError } from '../config.js'
import type { PlmnId } from '../network/monitoring-event.js'

export interface NefSimConfig {
  readonly host: string
  readonly port: number
  readonly dataDir: string
  readonly databaseUrl: string | undefined
  /** The admin API's bearer token; generated and kept in `dataDir` when unset. */
  readonly adminToken: string | undefined
  /** When set, the Monitoring Event API needs `Authorization: Bearer <token>`. */
  readonly token: string | undefined
  /** The apiRoot named in `self`, `Location` and notifications; default the listening URL. */
  readonly apiRoot: string | undefined
  readonly home: PlmnId
  readonly logLevel: string
  readonly notifyTimeoutMs: number
}

/** Every variable `nef-sim` reads, with its default and meaning (README "Connect to a NEF"). */
export const NEF_SIM_ENVIRONMENT = {
  HOST: { default: '127.0.0.1', doc: 'Address nef-sim listens on' },
  PORT: { default: '9090', doc: 'Port nef-sim listens on (`0` picks a free one)' },
  DATA_DIR: {
    default: './.data-nef-sim',
    doc: 'Folder of its embedded SQLite store (`nef-sim.sqlite`) and generated admin token',
  },
  DATABASE_URL: {
    default: '',
    doc: '`postgres://…`: its store on PostgreSQL (a database of its own, not the gateway’s)',
  },
  ADMIN_TOKEN: {
    default: '',
    doc: 'Bearer token of its admin API (`/network/v1/…`); generated and kept in DATA_DIR when unset',
  },
  NEF_SIM_TOKEN: {
    default: '',
    doc: 'When set, the Monitoring Event API needs `Authorization: Bearer <NEF_SIM_TOKEN>`',
  },
  NEF_SIM_API_ROOT: {
    default: '',
    doc: 'The apiRoot its `self` and `Location` URLs and notifications name (default: its own URL)',
  },
  NEF_SIM_HOME_PLMN: {
    default: '214-07',
    doc: 'Home PLMN of the simulated devices, `MCC-MNC`: the serving PLMN reported when not roaming',
  },
  NEF_SIM_NOTIFY_TIMEOUT_MS: {
    default: '5000',
    doc: 'Timeout of one notification attempt, milliseconds',
  },
  LOG_LEVEL: { default: 'info', doc: 'fatal, error, warn, info, debug, trace or silent' },
} as const

const LOG_LEVELS = new Set(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])

/** Reads nef-sim's configuration; every bad variable is named in one `ConfigError`. */
export function loadNefSimConfig(env: Readonly<Record<string, string | undefined>>): NefSimConfig {
  const problems: string[] = []
  const text = (name: keyof typeof NEF_SIM_ENVIRONMENT): string => {
    const value = env[name]?.trim()
    return value === undefined || value === '' ? NEF_SIM_ENVIRONMENT[name].default : value
  }
  const optional = (name: keyof typeof NEF_SIM_ENVIRONMENT): string | undefined => {
    const value = text(name)
    return value === '' ? undefined : value
  }
  const integer = (name: keyof typeof NEF_SIM_ENVIRONMENT, min: number, max: number): number => {
    const raw = text(name)
    const value = Number(raw)
    if (!/^\d+$/.test(raw) || value < min || value > max) {
      problems.push(`${name} must be an integer from ${min} to ${max}, not "${raw}"`)
      return Number(NEF_SIM_ENVIRONMENT[name].default)
    }
    return value
  }
  const port = integer('PORT', 0, 65535)
  const notifyTimeoutMs = integer('NEF_SIM_NOTIFY_TIMEOUT_MS', 1, 600_000)
  const plmn = /^(\d{3})-(\d{2,3})$/.exec(text('NEF_SIM_HOME_PLMN'))
  if (plmn === null)
    problems.push(
      `NEF_SIM_HOME_PLMN must be MCC-MNC (3 digits, a dash, 2 or 3 digits), such as 214-07, not "${text('NEF_SIM_HOME_PLMN')}"`,
    )
  const databaseUrl = optional('DATABASE_URL')
  if (databaseUrl !== undefined && !/^postgres(ql)?:\/\//.test(databaseUrl))
    problems.push('DATABASE_URL must be a postgres:// URL')
  const apiRoot = optional('NEF_SIM_API_ROOT')?.replace(/\/+$/, '')
  if (apiRoot !== undefined) {
    let ok = false
    try {
      ok = ['http:', 'https:'].includes(new URL(apiRoot).protocol)
    } catch {
      ok = false
    }
    if (!ok) problems.push(`NEF_SIM_API_ROOT must be an http(s) URL, not "${apiRoot}"`)
  }
  const logLevel = text('LOG_LEVEL')
  if (!LOG_LEVELS.has(logLevel))
    problems.push(`LOG_LEVEL must be one of ${[...LOG_LEVELS].join(', ')}, not "${logLevel}"`)
  if (problems.length > 0) throw new ConfigError(problems)
  const dir = text('DATA_DIR')
  return Object.freeze({
    host: text('HOST'),
    port,
    dataDir: isAbsolute(dir) ? dir : resolve(dir),
    databaseUrl,
    adminToken: optional('ADMIN_TOKEN'),
    token: optional('NEF_SIM_TOKEN'),
    apiRoot,
    home: { mcc: plmn?.[1] ?? '214', mnc: plmn?.[2] ?? '07' },
    logLevel,
    notifyTimeoutMs,
  })
}
