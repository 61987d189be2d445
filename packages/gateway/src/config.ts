import { isAbsolute, resolve } from 'node:path'
import { DEFAULT_LEGAL_BASES, LEGAL_BASES, type LegalBasis } from './core/purpose.js'
import {
  NEF_IDENTIFIER_KINDS,
  type NefConfig,
  type NefCredentials,
  type NefIdentifierKind,
} from './nef/config.js'

export type { NefConfig, NefCredentials, NefIdentifierKind }

/** The two ways the gateway runs (BRIEF §3). */
export type Mode = 'sandbox' | 'production'

/** Where the network facts come from: the built-in simulator, or a 3GPP NEF (docs/nef.md). */
export type NetworkKind = 'simulator' | 'nef'

export interface Config {
  readonly mode: Mode
  /** `simulator` (default) or `nef`. */
  readonly network: NetworkKind
  /** Set when `network` is `nef`. */
  readonly nef: NefConfig | undefined
  readonly host: string
  readonly port: number
  /** Folder of the embedded SQLite store (ignored when `databaseUrl` is set). */
  readonly dataDir: string
  /** `postgres://…` switches the store to PostgreSQL. */
  readonly databaseUrl: string | undefined
  /** Bearer token of the admin API; in sandbox mode generated and kept in `dataDir` when unset. */
  readonly adminToken: string | undefined
  /** Issuer of access tokens; also the audience base of the APIs. */
  readonly issuer: string
  readonly accessTokenTtl: number
  readonly cibaInterval: number
  readonly logLevel: string
  /** Requests per second one app may send to the APIs (a token bucket with the same burst). */
  readonly rateLimitPerSecond: number
  /** Requests per second one authenticated app may send to `/oauth2/token` and `/oauth2/bc-authorize`. */
  readonly oauthRateLimitPerSecond: number
  /** Failed client authentications (secret) one source address may make per window before 429. */
  readonly clientAuthFailuresPerSource: number
  /** Failed client authentications (secret) against one app per window, from all sources together. */
  readonly clientAuthFailuresPerClient: number
  /** The window of both failure limits, seconds. */
  readonly clientAuthFailureWindow: number
  /** How long a source over its failure limit waits for its 429, milliseconds. */
  readonly clientAuthRefusalDelayMs: number
  /** Days of SIM history the operator may reveal; `undefined` = unlimited. */
  readonly simSwapMonitoredPeriod: number | undefined
  /** Profile mode of apps created without one: `compatible` in sandbox mode, `strict` in production. */
  readonly defaultAppMode: 'strict' | 'compatible'
  /** Purpose → legal basis; a purpose not in it is `invalid_scope`. */
  readonly legalBases: Readonly<Record<string, LegalBasis>>
  /** Proxies whose header enrichment (`x-msisdn`, `x-forwarded-for`) network authentication trusts. */
  readonly trustedProxies: readonly string[]
  /** Notification sinks on private and link-local ranges are refused unless this is set. */
  readonly sinkAllowPrivate: boolean
  readonly notifyMaxAttempts: number
  readonly notifyTimeoutMs: number
  readonly notifyBackoffMs: number
  readonly notifyThread: boolean
  /** Live (not ended) subscriptions one app may hold; one more is `429 QUOTA_EXCEEDED`. */
  readonly subscriptionQuota: number
  /** Lifetime of a web console session, seconds. */
  readonly consoleSessionTtl: number
}

/**
 * Every environment variable the gateway reads, with its default and meaning. The README's
 * configuration table is checked against this list by a test.
 */
export const ENVIRONMENT = {
  DS_MODE: {
    default: 'sandbox',
    doc: '`sandbox` (seeds demo devices and the demo app) or `production` (seeds nothing, refuses demo credentials)',
  },
  HOST: { default: '127.0.0.1', doc: 'Address the HTTP server listens on' },
  PORT: { default: '8080', doc: 'Port the HTTP server listens on (`0` picks a free one)' },
  DATA_DIR: { default: './.data', doc: 'Folder of the embedded SQLite store' },
  DATABASE_URL: {
    default: '',
    doc: '`postgres://…` runs the store on PostgreSQL instead of SQLite',
  },
  ADMIN_TOKEN: {
    default: '',
    doc: 'Bearer token of the admin API (`/network/v1/…`); required in production, generated and kept in `DATA_DIR/admin-token` in sandbox mode',
  },
  ISSUER: {
    default: 'http://HOST:PORT',
    doc: 'Issuer of access tokens and base URL the gateway announces',
  },
  ACCESS_TOKEN_TTL: { default: '3600', doc: 'Access token lifetime, seconds' },
  CIBA_INTERVAL: { default: '1 (sandbox), 5 (production)', doc: 'CIBA poll interval, seconds' },
  LOG_LEVEL: {
    default: 'info',
    doc: 'pino log level: `fatal`, `error`, `warn`, `info`, `debug`, `trace` or `silent`',
  },
  RATE_LIMIT_PER_SECOND: {
    default: '100',
    doc: 'API requests per second allowed per app (burst of the same size); over it: `429 TOO_MANY_REQUESTS` with `Retry-After`',
  },
  OAUTH_RATE_LIMIT_PER_SECOND: {
    default: '100',
    doc: 'Requests per second one app may send to `/oauth2/token` and `/oauth2/bc-authorize`, counted once it has authenticated; over it: `429` with `Retry-After` and the OAuth error `temporarily_unavailable`',
  },
  CLIENT_AUTH_FAILURES_PER_SOURCE: {
    default: '10',
    doc: 'Failed client secret authentications one source address may make per window (`CLIENT_AUTH_FAILURE_WINDOW`); then every client authentication from it is `429` `invalid_client` with `Retry-After` until the window ends, before any secret is checked',
  },
  CLIENT_AUTH_FAILURES_PER_CLIENT: {
    default: '100',
    doc: 'Failed client secret authentications against one app per window, all sources together; then its secret is accepted only where this instance verified it before (no new scrypt run) until the window ends, others get `429` `invalid_client`',
  },
  CLIENT_AUTH_FAILURE_WINDOW: {
    default: '60',
    doc: 'Window of the client authentication failure limits, seconds; counted in the store, so the limits hold across instances',
  },
  CLIENT_AUTH_REFUSAL_DELAY_MS: {
    default: '1000',
    doc: 'How long a source over `CLIENT_AUTH_FAILURES_PER_SOURCE` waits for each `429`, milliseconds (between half and all of it, jittered, at most its `Retry-After`): its connections then send a request a second each instead of as fast as the gateway answers',
  },
  PROFILE_MODE: {
    default: 'compatible (sandbox), strict (production)',
    doc: 'Profile mode of apps created without one: `strict` (the CAMARA profile only) or `compatible` (also what the vendor sandbox and samples send)',
  },
  PURPOSE_LEGAL_BASES: {
    default: '',
    doc: 'JSON object adding or overriding purposes and their legal basis (`consent`, `legitimate-interest`, `contract`, `legal-obligation`), e.g. `{"dpv:Marketing":"consent"}`',
  },
  TRUSTED_PROXIES: {
    default: '',
    doc: 'Comma-separated addresses of proxies whose header enrichment (`x-msisdn`, `x-forwarded-for`) network-based authentication trusts',
  },
  SINK_ALLOW_PRIVATE: {
    default: 'false',
    doc: 'Allow notification sinks in private and link-local ranges (loopback is allowed in sandbox mode only)',
  },
  NOTIFY_MAX_ATTEMPTS: {
    default: '8',
    doc: 'Delivery attempts per notification before it is marked failed',
  },
  NOTIFY_TIMEOUT_MS: { default: '5000', doc: 'Timeout of one delivery attempt, milliseconds' },
  NOTIFY_BACKOFF_MS: {
    default: '1000',
    doc: 'First retry delay, milliseconds; doubles per attempt, with jitter, up to 5 minutes',
  },
  NOTIFY_THREAD: {
    default: 'true',
    doc: "POST notifications from a worker thread of their own, so that the HTTP client's work runs beside the thread that serves requests, on another core (`false`: on that thread)",
  },
  SUBSCRIPTION_QUOTA: {
    default: '10000',
    doc: 'Live (not ended) subscriptions one app may hold, all subscription APIs together; creating one more is `429 QUOTA_EXCEEDED`, on the legacy v0.5.1 API too (it declares no 429, but it is no way around the cap); counted under a per-app lock, so concurrent creates cannot pass it',
  },
  CONSOLE_SESSION_TTL: {
    default: '28800',
    doc: 'Lifetime of a web console session (signed in with the admin token), seconds; then the console asks to sign in again',
  },
  NETWORK: {
    default: 'simulator',
    doc: 'Where the network facts come from: `simulator` (the built-in network simulator) or `nef` (a 3GPP NEF through the Monitoring Event API, docs/nef.md; SIM swap and connected network type are then not offered)',
  },
  NEF_BASE_URL: {
    default: '',
    doc: "With `NETWORK=nef`, required: the NEF's apiRoot (`http(s)://…`); the gateway calls `{NEF_BASE_URL}/3gpp-monitoring-event/v1/{NEF_SCS_AS_ID}/subscriptions`",
  },
  NEF_SCS_AS_ID: {
    default: '',
    doc: "With `NETWORK=nef`, required: the gateway's SCS/AS identifier at the NEF",
  },
  NEF_TOKEN_URL: {
    default: '',
    doc: "OAuth 2.0 token endpoint of the NEF's authorization server; with `NEF_CLIENT_ID` and `NEF_CLIENT_SECRET` the gateway gets its NEF access token by the client credentials grant (cached until it expires)",
  },
  NEF_CLIENT_ID: { default: '', doc: 'Client id at `NEF_TOKEN_URL`' },
  NEF_CLIENT_SECRET: {
    default: '',
    doc: 'Client secret at `NEF_TOKEN_URL` (sent with HTTP Basic authentication)',
  },
  NEF_TOKEN: {
    default: '',
    doc: 'A static bearer token for the NEF, instead of `NEF_TOKEN_URL`; with neither, requests carry no credentials (a lab NEF)',
  },
  NEF_CALLBACK_URL: {
    default: 'ISSUER/nef/v1/notifications',
    doc: 'Where the NEF sends Monitoring Event notifications; the gateway appends one unguessable token per NEF subscription (`…/{token}`)',
  },
  NEF_TIMEOUT_MS: {
    default: '5000',
    doc: 'Timeout of one request to the NEF, milliseconds; a NEF that does not answer in time is `504 TIMEOUT`',
  },
  NEF_IDENTIFIERS: {
    default: 'msisdn,externalId,ipv4Addr,ipv6Addr',
    doc: 'Comma-separated identifier kinds the NEF takes (`msisdn`, `externalId`, `ipv4Addr`, `ipv6Addr`); a device named by another kind is `422 UNSUPPORTED_IDENTIFIER`',
  },
  NEF_CHECK_INTERVAL_MS: {
    default: '60000',
    doc: 'How often the gateway reads back each of its NEF subscriptions, milliseconds; one the NEF lost (404) is created again',
  },
  SIM_SWAP_MONITORED_PERIOD: {
    default: '',
    doc: 'Days of SIM history the operator may reveal (empty: unlimited); a larger `maxAge` is `400 OUT_OF_RANGE`',
  },
} as const satisfies Record<string, { default: string; doc: string }>

export type EnvironmentVariable = keyof typeof ENVIRONMENT

/** Thrown by {@link loadConfig} with every bad variable named. */
export class ConfigError extends Error {
  readonly problems: readonly string[]
  constructor(problems: readonly string[]) {
    super(`invalid configuration: ${problems.join('; ')}`)
    this.name = 'ConfigError'
    this.problems = problems
  }
}

const LOG_LEVELS = new Set(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])

/** Typed reads of the environment; each bad value is added to `problems` and the fallback used. */
function environmentReader(env: Readonly<Record<string, string | undefined>>, problems: string[]) {
  const text = (name: EnvironmentVariable): string | undefined => {
    const value = env[name]?.trim()
    return value === undefined || value === '' ? undefined : value
  }
  const integer = (name: EnvironmentVariable, fallback: number, min: number, max: number) => {
    const value = text(name)
    if (value === undefined) return fallback
    const n = Number(value)
    if (!Number.isInteger(n) || n < min || n > max) {
      problems.push(`${name} must be an integer from ${min} to ${max}, got "${value}"`)
      return fallback
    }
    return n
  }

  const bool = (name: EnvironmentVariable, fallback: boolean) => {
    const value = text(name)
    if (value === undefined) return fallback
    if (value === 'true' || value === '1') return true
    if (value === 'false' || value === '0') return false
    problems.push(`${name} must be true or false, got "${value}"`)
    return fallback
  }
  return { text, integer, bool }
}

type EnvironmentText = (name: EnvironmentVariable) => string | undefined

/** `PURPOSE_LEGAL_BASES` over the defaults: which purposes need the subscriber's consent. */
function legalBasesOf(text: EnvironmentText, problems: string[]): Record<string, LegalBasis> {
  const legalBases: Record<string, LegalBasis> = { ...DEFAULT_LEGAL_BASES }
  const bases = text('PURPOSE_LEGAL_BASES')
  if (bases === undefined) return legalBases
  try {
    const parsed = JSON.parse(bases) as unknown
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
      throw new Error('not an object')
    for (const [purpose, basis] of Object.entries(parsed)) {
      if (!/^dpv:[A-Za-z]+$/.test(purpose) || !LEGAL_BASES.includes(basis as LegalBasis)) {
        problems.push(
          `PURPOSE_LEGAL_BASES: "${purpose}": "${String(basis)}" is not dpv:<Purpose> → ${LEGAL_BASES.join('|')}`,
        )
      } else legalBases[purpose] = basis as LegalBasis
    }
  } catch {
    problems.push('PURPOSE_LEGAL_BASES must be a JSON object such as {"dpv:Marketing":"consent"}')
  }
  return legalBases
}

/** `ISSUER`, by default the URL the gateway listens on. */
function issuerOf(text: EnvironmentText, host: string, port: number, problems: string[]): string {
  const urlHost =
    host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host
  const issuer = (text('ISSUER') ?? `http://${urlHost}:${port}`).replace(/\/+$/, '')
  try {
    new URL(issuer)
  } catch {
    problems.push(`ISSUER must be an absolute URL, got "${issuer}"`)
  }
  return issuer
}

function httpUrl(
  text: EnvironmentText,
  name: EnvironmentVariable,
  problems: string[],
): string | undefined {
  const value = text(name)
  if (value === undefined) return undefined
  try {
    const url = new URL(value)
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('not http')
    if (url.search !== '' || url.hash !== '') throw new Error('query')
  } catch {
    problems.push(
      `${name} must be an absolute http(s) URL without query or fragment, got "${value}"`,
    )
    return undefined
  }
  return value.replace(/\/+$/, '')
}

/** The `NEF_*` variables, read only with `NETWORK=nef`; each missing or bad one is a problem. */
function nefOf(
  reader: ReturnType<typeof environmentReader>,
  problems: string[],
): NefConfig | undefined {
  const { text, integer } = reader
  const baseUrl = httpUrl(text, 'NEF_BASE_URL', problems)
  if (text('NEF_BASE_URL') === undefined)
    problems.push(
      "NEF_BASE_URL is required with NETWORK=nef (the NEF's apiRoot, e.g. http://nef:8080)",
    )
  const scsAsId = text('NEF_SCS_AS_ID')
  if (scsAsId === undefined)
    problems.push("NEF_SCS_AS_ID is required with NETWORK=nef (the gateway's SCS/AS id at the NEF)")
  const tokenUrl = httpUrl(text, 'NEF_TOKEN_URL', problems)
  const clientId = text('NEF_CLIENT_ID')
  const clientSecret = text('NEF_CLIENT_SECRET')
  const token = text('NEF_TOKEN')
  let credentials: NefCredentials = { kind: 'none' }
  const oauth = [text('NEF_TOKEN_URL'), clientId, clientSecret]
  if (oauth.some((v) => v !== undefined)) {
    if (oauth.some((v) => v === undefined))
      problems.push('NEF_TOKEN_URL, NEF_CLIENT_ID and NEF_CLIENT_SECRET go together: set all three')
    if (token !== undefined)
      problems.push('NEF_TOKEN and NEF_TOKEN_URL exclude each other: a static token or OAuth 2.0')
    if (tokenUrl !== undefined && clientId !== undefined && clientSecret !== undefined)
      credentials = { kind: 'client-credentials', tokenUrl, clientId, clientSecret }
  } else if (token !== undefined) credentials = { kind: 'static', token }
  const identifiers = (text('NEF_IDENTIFIERS') ?? NEF_IDENTIFIER_KINDS.join(','))
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
  const unknown = identifiers.filter(
    (k) => !(NEF_IDENTIFIER_KINDS as readonly string[]).includes(k),
  )
  if (unknown.length > 0 || identifiers.length === 0)
    problems.push(
      `NEF_IDENTIFIERS must list some of ${NEF_IDENTIFIER_KINDS.join(', ')}, got "${text('NEF_IDENTIFIERS') ?? ''}"`,
    )
  const callbackUrl = httpUrl(text, 'NEF_CALLBACK_URL', problems)
  const config = {
    baseUrl: baseUrl ?? '',
    scsAsId: scsAsId ?? '',
    credentials,
    callbackUrl,
    timeoutMs: integer('NEF_TIMEOUT_MS', 5000, 100, 120_000),
    identifiers: [...new Set(identifiers)] as NefIdentifierKind[],
    checkIntervalMs: integer('NEF_CHECK_INTERVAL_MS', 60_000, 1000, 86_400_000),
  }
  return config
}

/** Reads and validates the configuration once; pure apart from resolving `DATA_DIR`. */
export function loadConfig(env: Readonly<Record<string, string | undefined>>): Readonly<Config> {
  const problems: string[] = []
  const { text, integer, bool } = environmentReader(env, problems)
  const modeText = text('DS_MODE') ?? 'sandbox'
  if (modeText !== 'sandbox' && modeText !== 'production') {
    problems.push(`DS_MODE must be "sandbox" or "production", got "${modeText}"`)
  }
  const mode: Mode = modeText === 'production' ? 'production' : 'sandbox'
  const host = text('HOST') ?? '127.0.0.1'
  const port = integer('PORT', 8080, 0, 65535)
  const databaseUrl = text('DATABASE_URL')
  if (databaseUrl !== undefined && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    problems.push('DATABASE_URL must start with postgres:// or postgresql://')
  }
  const adminToken = text('ADMIN_TOKEN')
  if (adminToken !== undefined && adminToken.length < 16) {
    problems.push('ADMIN_TOKEN must be at least 16 characters')
  }
  if (mode === 'production' && adminToken === undefined) {
    problems.push('ADMIN_TOKEN is required in production mode')
  }
  const issuer = issuerOf(text, host, port, problems)
  const logLevel = text('LOG_LEVEL') ?? 'info'
  if (!LOG_LEVELS.has(logLevel))
    problems.push(`LOG_LEVEL must be one of ${[...LOG_LEVELS].join(', ')}`)
  const monitored = text('SIM_SWAP_MONITORED_PERIOD')
  const profileMode = text('PROFILE_MODE') ?? (mode === 'sandbox' ? 'compatible' : 'strict')
  if (profileMode !== 'strict' && profileMode !== 'compatible')
    problems.push('PROFILE_MODE must be "strict" or "compatible"')
  const legalBases = legalBasesOf(text, problems)
  const networkText = text('NETWORK') ?? 'simulator'
  if (networkText !== 'simulator' && networkText !== 'nef')
    problems.push(`NETWORK must be "simulator" or "nef", got "${networkText}"`)
  const network: NetworkKind = networkText === 'nef' ? 'nef' : 'simulator'
  const reader = { text, integer, bool }
  const nef = network === 'nef' ? nefOf(reader, problems) : undefined

  const config: Config = {
    mode,
    network,
    nef,
    host,
    port,
    dataDir: resolvePath(text('DATA_DIR') ?? './.data'),
    databaseUrl,
    adminToken,
    issuer,
    accessTokenTtl: integer('ACCESS_TOKEN_TTL', 3600, 1, 86_400),
    cibaInterval: integer('CIBA_INTERVAL', mode === 'sandbox' ? 1 : 5, 1, 60),
    logLevel,
    rateLimitPerSecond: integer('RATE_LIMIT_PER_SECOND', 100, 1, 10_000_000),
    oauthRateLimitPerSecond: integer('OAUTH_RATE_LIMIT_PER_SECOND', 100, 1, 10_000_000),
    clientAuthFailuresPerSource: integer('CLIENT_AUTH_FAILURES_PER_SOURCE', 10, 1, 1_000_000),
    clientAuthFailuresPerClient: integer('CLIENT_AUTH_FAILURES_PER_CLIENT', 100, 1, 10_000_000),
    clientAuthFailureWindow: integer('CLIENT_AUTH_FAILURE_WINDOW', 60, 1, 86_400),
    clientAuthRefusalDelayMs: integer('CLIENT_AUTH_REFUSAL_DELAY_MS', 1000, 0, 60_000),
    simSwapMonitoredPeriod:
      monitored === undefined ? undefined : integer('SIM_SWAP_MONITORED_PERIOD', 0, 1, 36_500),
    defaultAppMode: profileMode === 'strict' ? 'strict' : 'compatible',
    legalBases,
    sinkAllowPrivate: bool('SINK_ALLOW_PRIVATE', false),
    notifyMaxAttempts: integer('NOTIFY_MAX_ATTEMPTS', 8, 1, 100),
    notifyTimeoutMs: integer('NOTIFY_TIMEOUT_MS', 5000, 100, 120_000),
    notifyBackoffMs: integer('NOTIFY_BACKOFF_MS', 1000, 1, 3_600_000),
    notifyThread: bool('NOTIFY_THREAD', true),
    subscriptionQuota: integer('SUBSCRIPTION_QUOTA', 10_000, 1, 100_000_000),
    consoleSessionTtl: integer('CONSOLE_SESSION_TTL', 28_800, 1, 604_800),
    trustedProxies: (text('TRUSTED_PROXIES') ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== ''),
  }
  if (problems.length > 0) throw new ConfigError(problems)
  return Object.freeze(config)
}

function resolvePath(path: string): string {
  return isAbsolute(path) ? path : resolve(process.cwd(), path)
}
