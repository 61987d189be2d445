import {
  APP_MODES,
  AUTH_METHODS,
  GRANT_TYPES,
  type App,
  type AppInput,
  type GrantType,
  type Jwk,
} from '../admin-client.js'
import type { ApiName } from '@device-status/contract'
import type { Command, Flags } from '../command.js'
import { CliError, usageError } from '../errors.js'
import { listValues, oneOf, readJsonFile } from '../input.js'
import { formatFields, formatTable, json } from '../output.js'

const JSON_OPTION = {
  json: { type: 'boolean', description: 'print the raw JSON of the admin API' },
} as const

/** The name `--grant` takes for each grant type of the contract, in the order the help lists them. */
const GRANT_NAMES = {
  [GRANT_TYPES.ciba]: 'ciba',
  [GRANT_TYPES.authorizationCode]: 'authorization_code',
  [GRANT_TYPES.clientCredentials]: 'client_credentials',
  [GRANT_TYPES.jwtBearer]: 'jwt-bearer',
  [GRANT_TYPES.refreshToken]: 'refresh_token',
} as const satisfies Record<GrantType, string>
const GRANTS = Object.entries(GRANT_NAMES) as [GrantType, string][]

/** `ciba` for `urn:openid:params:grant-type:ciba`; other grants keep their name. */
export function shortGrant(grant: string): string {
  return GRANTS.find(([full]) => full === grant)?.[1] ?? grant
}

/** A grant type by its short name (`ciba`, `jwt-bearer`, …) or its full name. */
export function grantType(name: string): GrantType {
  const grant =
    GRANTS.find(([full]) => full === name) ??
    GRANTS.find(([, short]) => short.toLowerCase() === name.toLowerCase())
  if (grant === undefined) {
    throw usageError(
      `--grant takes ${GRANTS.map(([, short]) => short).join(', ')} (or their full names), not "${name}"`,
      'apps create',
    )
  }
  return grant[0]
}

export function formatApps(apps: readonly App[]): string {
  return formatTable(
    ['CLIENT ID', 'NAME', 'MODE', 'AUTH METHOD', 'GRANTS'],
    apps.map((a) => [
      a.clientId,
      a.name,
      a.mode,
      a.tokenEndpointAuthMethod,
      a.grantTypes.map(shortGrant).join(','),
    ]),
  )
}

export function formatApp(app: App): string {
  return formatFields([
    ['Client id', app.clientId],
    ['Name', app.name],
    ['Mode', app.mode],
    ['Auth method', app.tokenEndpointAuthMethod],
    ['Has secret', app.hasSecret ? 'yes' : 'no'],
    ['Grants', app.grantTypes.map(shortGrant)],
    ['Redirect URIs', app.redirectUris],
    ['Purposes', app.purposes],
    ['Scopes', app.scopes],
    [
      'Keys (JWKS)',
      (app.jwks?.keys ?? []).map((k) => {
        const kid = k['kid']
        const shown = typeof kid === 'string' ? kid : JSON.stringify(kid)
        return `${String(k.kty)}${kid === undefined ? '' : ` ${shown}`}`
      }),
    ],
    ['Created at', app.createdAt],
    ['Updated at', app.updatedAt],
  ])
}

export const appsList: Command = {
  name: 'apps list',
  args: [],
  summary: 'List the apps (OAuth clients)',
  options: JSON_OPTION,
  admin: true,
  examples: ['device-status apps list', 'device-status apps list --json'],
  async run(context) {
    const apps = await context.admin().listApps()
    if (context.flags.boolean('json')) context.io.stdout(json(apps))
    else if (apps.length === 0) context.io.stdout('No apps.\n')
    else context.io.stdout(formatApps(apps))
  },
}

export const appsShow: Command = {
  name: 'apps show',
  args: ['<clientId>'],
  summary: 'Show one app: grants, redirect URIs, purposes, scopes, keys',
  options: JSON_OPTION,
  admin: true,
  examples: ['device-status apps show my-app-id', 'device-status apps show my-app-id --json'],
  async run(context) {
    const app = await context.admin().getApp(context.args[0] ?? '')
    context.io.stdout(context.flags.boolean('json') ? json(app) : formatApp(app))
  },
}

/** The public keys of `--jwks`: a JWK Set `{"keys": […]}` or one JWK. */
async function readJwks(path: string, cwd: string): Promise<{ keys: Jwk[] }> {
  const parsed = await readJsonFile(path, cwd)
  const isObject = (v: unknown): v is Record<string, unknown> =>
    typeof v === 'object' && v !== null && !Array.isArray(v)
  const keys = isObject(parsed) ? (Array.isArray(parsed['keys']) ? parsed['keys'] : [parsed]) : []
  if (keys.length === 0 || !keys.every((k) => isObject(k) && typeof k['kty'] === 'string')) {
    throw new CliError(
      'INVALID_JWKS',
      `${path} is neither a JWK Set {"keys": [...]} nor a JWK with "kty"`,
    )
  }
  // Private key members (RFC 7518 §6): the gateway needs the public keys only.
  const secret = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k']
  if (keys.some((k) => secret.some((member) => member in (k as Record<string, unknown>)))) {
    throw new CliError(
      'INVALID_JWKS',
      `${path} holds a private or secret key; give the app's public keys only`,
    )
  }
  return { keys: keys as Jwk[] }
}

async function appInputOf(flags: Flags, cwd: string): Promise<AppInput> {
  const name = flags.string('name')
  if (name === undefined || name.trim() === '') throw usageError('missing --name', 'apps create')
  const input: AppInput = { name }
  const clientId = flags.string('client-id')
  if (clientId !== undefined) input.clientId = clientId
  const redirectUris = flags.strings('redirect-uri')
  if (redirectUris.length > 0) input.redirectUris = redirectUris
  const apis = listValues(flags.strings('api'))
  // The gateway checks the names, and its answer names the one it does not know.
  if (apis.length > 0) input.apis = [...new Set(apis)] as ApiName[]
  const scopes = listValues(flags.strings('scope'))
  if (scopes.length > 0) input.scopes = [...new Set(scopes)]
  const purposes = listValues(flags.strings('purpose'))
  for (const purpose of purposes) {
    if (!/^dpv:[A-Za-z]+$/.test(purpose)) {
      throw usageError(
        `--purpose takes a dpv: purpose such as dpv:FraudPreventionAndDetection, not "${purpose}"`,
        'apps create',
      )
    }
  }
  if (purposes.length > 0) input.purposes = [...new Set(purposes)]
  const grants = listValues(flags.strings('grant')).map(grantType)
  if (grants.length > 0) input.grantTypes = [...new Set(grants)]
  const method = flags.string('auth-method')
  if (method !== undefined)
    input.tokenEndpointAuthMethod = oneOf('auth-method', AUTH_METHODS, method, 'apps create')
  const mode = flags.string('mode')
  if (mode !== undefined) input.mode = oneOf('mode', APP_MODES, mode, 'apps create')
  const jwks = flags.string('jwks')
  if (jwks !== undefined) input.jwks = await readJwks(jwks, cwd)
  return input
}

export const appsCreate: Command = {
  name: 'apps create',
  args: [],
  summary: 'Register an app; prints its client id and secret',
  description:
    'The secret is generated by the gateway and shown this once (apps rotate-secret makes a new one). Without --grant the app gets ciba, authorization_code and refresh_token; without --auth-method it uses client_secret_basic, or private_key_jwt when --jwks is given (then it has no secret).',
  options: {
    name: { type: 'string', value: 'NAME', description: 'name shown to users (required)' },
    'client-id': {
      type: 'string',
      value: 'ID',
      description: 'client id to use (3 to 100 of A-Z a-z 0-9 . _ ~ -); default: a random UUID',
    },
    'redirect-uri': {
      type: 'string',
      value: 'URI',
      multiple: true,
      description: 'redirect URI of the authorization code flow; all on one host',
    },
    api: {
      type: 'string',
      value: 'NAME',
      multiple: true,
      description: 'allow every scope of this API, e.g. device-roaming-status',
    },
    scope: { type: 'string', value: 'SCOPE', multiple: true, description: 'allow this scope' },
    purpose: {
      type: 'string',
      value: 'dpv:X',
      multiple: true,
      description: 'a purpose the app may declare, e.g. dpv:FraudPreventionAndDetection',
    },
    grant: {
      type: 'string',
      value: 'TYPE',
      multiple: true,
      description: `a grant type: ${Object.values(GRANT_NAMES).join(', ')} (or the full name)`,
    },
    'auth-method': {
      type: 'string',
      value: 'METHOD',
      description: `how the app authenticates at the token endpoint: ${AUTH_METHODS.join(', ')}`,
    },
    jwks: {
      type: 'string',
      value: 'FILE',
      description: "JSON file of the app's public keys (a JWK Set or one JWK), for private_key_jwt",
    },
    mode: {
      type: 'string',
      value: APP_MODES.join('|'),
      description: 'strict: the CAMARA profile only; compatible: also what vendor samples send',
    },
    ...JSON_OPTION,
  },
  admin: true,
  examples: [
    'device-status apps create --name "Fraud checker" --api device-roaming-status --purpose dpv:FraudPreventionAndDetection --grant client_credentials',
    'device-status apps create --name Shop --client-id shop --redirect-uri https://shop.example/callback --grant authorization_code --grant refresh_token --api sim-swap --mode strict',
    'device-status apps create --name Backend --grant ciba --api device-reachability-status --jwks keys.json',
  ],
  async run(context) {
    const input = await appInputOf(context.flags, context.io.cwd)
    const created = await context.admin().createApp(input)
    const { stdout } = context.io
    if (context.flags.boolean('json')) {
      stdout(json(created))
      return
    }
    stdout(`Created app "${created.name}"\n`)
    const fields: [string, string][] = [['Client id', created.clientId]]
    if (created.clientSecret !== undefined) fields.push(['Client secret', created.clientSecret])
    stdout(formatFields(fields))
    stdout(
      created.clientSecret === undefined
        ? `No client secret: the app authenticates with ${created.tokenEndpointAuthMethod}.\n`
        : 'The client secret is shown only once: keep it now ("apps rotate-secret" makes a new one).\n',
    )
  },
}

export const appsRotateSecret: Command = {
  name: 'apps rotate-secret',
  args: ['<clientId>'],
  summary: "Replace an app's client secret; the old one stops working at once",
  options: JSON_OPTION,
  admin: true,
  examples: ['device-status apps rotate-secret my-app-id'],
  async run(context) {
    const result = await context.admin().rotateSecret(context.args[0] ?? '')
    if (context.flags.boolean('json')) {
      context.io.stdout(json(result))
      return
    }
    context.io.stdout(
      formatFields([
        ['Client id', result.clientId],
        ['Client secret', result.clientSecret],
      ]) + 'The new client secret is shown only once; the old one no longer works.\n',
    )
  },
}

export const appsDelete: Command = {
  name: 'apps delete',
  args: ['<clientId>'],
  summary: 'Remove an app',
  options: {},
  admin: true,
  examples: ['device-status apps delete shop'],
  async run(context) {
    const clientId = context.args[0] ?? ''
    await context.admin().deleteApp(clientId)
    context.io.stdout(`Deleted app ${clientId}\n`)
  },
}
