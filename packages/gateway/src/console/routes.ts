import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { FastifyInstance, FastifyReply } from 'fastify'
import { html, page } from '../auth/pages.js'
import { DEFAULT_LEGAL_BASES, needsConsent, type LegalBasis } from '../core/purpose.js'
import { allApiScopes } from '../auth/api-scopes.js'
import type { ApiName } from '../specs/catalog.js'
import { CONNECTIVITY_TYPES, DEVICE_APIS, NETWORK_TYPES } from '../core/device.js'
import { CamaraError } from '../core/camara-error.js'
import { MCC_COUNTRIES } from '../core/mcc.js'
import { adminGuard } from '../http/admin-guard.js'
import { operationCatalog } from './examples.js'
import {
  registerSessionAuth,
  sessionOf,
  signIn,
  signOut,
  type SessionDeps,
} from './session-routes.js'
import { describePurpose, describeScope } from '../core/wording.js'

/** Where `npm run build -w @device-status/console` writes the console (Vite's `dist`). */
export const CONSOLE_DIST: string = fileURLToPath(
  new URL('../../../console/dist/', import.meta.url),
)

/**
 * The console is a static single-page app: it talks only to this gateway, loads nothing from
 * another host, and runs no inline script or style.
 */
export const CONSOLE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "object-src 'none'",
].join('; ')

const PAGE_SECURITY = {
  'content-security-policy': CONSOLE_CSP,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'same-origin',
  'x-frame-options': 'DENY',
}

/** The landing page: no script at all, its one inline style block. */
const LANDING_SECURITY = {
  ...PAGE_SECURITY,
  'content-security-policy':
    "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
}

const TYPES: Readonly<Record<string, string>> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
  '.json': 'application/json',
}

export interface ConsoleDeps extends SessionDeps {
  mode: 'sandbox' | 'production'
  /** The network is the built-in simulator (device editing, scenarios, consent on behalf of a subscriber). */
  simulator: boolean
  issuer: string
  legalBases: Readonly<Record<string, LegalBasis>>
  /** The APIs this gateway serves (default all). */
  offeredApis?: readonly ApiName[]
  /** Where the built console is; {@link CONSOLE_DIST} by default. */
  distDir?: string
}

const missingBuild = (dir: string) =>
  page(
    'Console not built',
    `<h1>The console has not been built</h1>
<p>The gateway serves the web console from <code>${html(dir)}</code>, which has no <code>index.html</code>.</p>
<p>Build it with <code>npm run build -w @device-status/console</code> (or <code>npm ci</code> / <code>npm run build</code> at the repository root), then reload this page.</p>
<p>The admin API, the CAMARA APIs and <a href="/docs">the API docs</a> work without it.</p>`,
  )

function landing(deps: ConsoleDeps): string {
  const sandbox = deps.mode === 'sandbox'
  return page(
    'Device Status gateway',
    `<h1>Device Status gateway</h1>
<p>CAMARA Device Status, SIM Swap and their subscription APIs, with an OpenID Connect authorization server${sandbox ? ', on a simulated network (sandbox)' : ''}.</p>
<ul>
<li><a href="/console">Web console</a>: ${sandbox ? 'devices, scenarios, ' : ''}events and deliveries, ${sandbox ? 'consent, ' : ''}apps, Try it (sign in with the admin token)</li>
<li><a href="/docs">API docs</a> (Swagger UI, with Authorize)</li>
<li><a href="/.well-known/openid-configuration">OpenID discovery document</a></li>
</ul>
${
  sandbox
    ? `<h2>Sandbox</h2>
<p>Demo app: client id <code>my-app-id</code>, client secret <code>my-app-secret</code> (the vendor samples' credentials).</p>
<p>Demo devices: <code>+34600000001</code> to <code>+34600000010</code>, <code>+34666666666</code>; see them in the console.</p>
<p>Admin token: printed by <code>npm start</code> and kept in the file <code>admin-token</code> of the data folder (<code>.data/admin-token</code> by default), unless <code>ADMIN_TOKEN</code> is set.</p>`
    : ''
}`,
  )
}

/**
 * `/` (landing page), `/console` (the single-page app, its hashed assets cached for a year),
 * `/console/api/session` (sign-in, sign-out) and `/console/api/catalog` (what the console shows
 * in words: countries, purposes, scopes, the nine APIs' operations with example bodies).
 */
export function consoleRoutes(app: FastifyInstance, deps: ConsoleDeps): void {
  registerSessionAuth(app, deps)
  const dist = deps.distDir ?? CONSOLE_DIST
  const onRequest = adminGuard(deps.adminToken)

  app.get('/', async (_request, reply) =>
    reply.type('text/html; charset=utf-8').headers(LANDING_SECURITY).send(landing(deps)),
  )

  const index = async (reply: FastifyReply) => {
    reply.headers(PAGE_SECURITY).header('cache-control', 'no-cache')
    let text: string
    try {
      text = await readFile(join(dist, 'index.html'), 'utf8')
    } catch {
      return reply.code(503).type('text/html; charset=utf-8').send(missingBuild(dist))
    }
    return reply.type('text/html; charset=utf-8').send(text)
  }
  app.get('/console', async (_request, reply) => index(reply))
  app.get('/console/*', async (request, reply) => {
    const rest = (request.params as { '*': string })['*']
    if (rest.startsWith('api/')) return reply.callNotFound()
    if (!rest.startsWith('assets/')) return index(reply)
    const file = rest.slice('assets/'.length)
    const ext = /\.[a-z0-9]+$/.exec(file)?.[0] ?? ''
    if (!/^[A-Za-z0-9._-]+$/.test(file) || TYPES[ext] === undefined) return reply.callNotFound()
    let body: Buffer
    try {
      body = await readFile(join(dist, 'assets', file))
    } catch {
      return reply.callNotFound()
    }
    // Vite names every asset after a hash of its content: a changed file is a new URL.
    return reply
      .headers({
        'cache-control': 'public, max-age=31536000, immutable',
        'x-content-type-options': 'nosniff',
      })
      .type(TYPES[ext] ?? 'application/octet-stream')
      .send(body)
  })

  const sessionView = (session: { csrfToken: string; expiresAt: string }) => ({
    ...session,
    mode: deps.mode,
    simulator: deps.simulator,
  })
  app.post('/console/api/session', async (request, reply) => {
    const token = (request.body as { token?: unknown } | undefined)?.token
    if (typeof token !== 'string' || token === '')
      throw new CamaraError('INVALID_ARGUMENT', 'token (the admin token) is required')
    return reply
      .code(201)
      .header('cache-control', 'no-store')
      .send(sessionView(await signIn(deps, reply, token)))
  })
  app.get('/console/api/session', async (request, reply) => {
    const session = await sessionOf(deps, request)
    if (session === undefined)
      throw new CamaraError('UNAUTHENTICATED', 'No console session: sign in with the admin token')
    return reply.header('cache-control', 'no-store').send(sessionView(session))
  })
  app.delete('/console/api/session', async (request, reply) => {
    await signOut(deps, request, reply)
    return reply.code(204).send()
  })

  // "Try it" runs the SDK in the page, but an authorization server refuses a confidential
  // client's secret from a browser (the request carries an Origin; the secret belongs on a
  // server). The console stands in for the app's backend: the page's SDK sends its token and
  // backchannel requests here (admin session and CSRF token required) and they are passed to
  // the authorization server as a server would send them, without the Origin.
  const RELAYED = new Set(['token', 'bc-authorize', 'par', 'revoke', 'introspect'])
  const RELAYED_HEADERS = [
    'content-type',
    'cache-control',
    'pragma',
    'www-authenticate',
    'dpop-nonce',
  ]
  app.post('/console/api/relay/oauth2/:endpoint', { onRequest }, async (request, reply) => {
    const endpoint = (request.params as { endpoint: string }).endpoint
    if (!RELAYED.has(endpoint)) return reply.callNotFound()
    const headers: Record<string, string> = {
      'content-type': 'application/x-www-form-urlencoded',
    }
    for (const name of ['authorization', 'dpop'] as const) {
      const value = request.headers[name]
      if (typeof value === 'string') headers[name] = value
    }
    const answer = await app.inject({
      method: 'POST',
      url: `/oauth2/${endpoint}`,
      headers,
      payload: typeof request.body === 'string' ? request.body : '',
    })
    reply.code(answer.statusCode)
    for (const name of RELAYED_HEADERS) {
      const value = answer.headers[name]
      if (typeof value === 'string') reply.header(name, value)
    }
    return reply.send(answer.body)
  })

  const purposes = () =>
    Object.entries({ ...DEFAULT_LEGAL_BASES, ...deps.legalBases }).map(([purpose, basis]) => ({
      purpose,
      name: describePurpose(purpose),
      legalBasis: basis,
      needsConsent: needsConsent(basis),
    }))
  app.get('/console/api/catalog', { onRequest }, async () => {
    const operations = operationCatalog()
    const scopes = new Set([...allApiScopes(deps.offeredApis), 'openid', 'offline_access'])
    return {
      mode: deps.mode,
      simulator: deps.simulator,
      issuer: deps.issuer,
      countries: Object.entries(MCC_COUNTRIES).map(([mcc, codes]) => ({
        mcc: Number(mcc),
        codes,
      })),
      purposes: purposes(),
      scopes: Object.fromEntries([...scopes].map((s) => [s, describeScope(s)])),
      operations,
      networkTypes: NETWORK_TYPES,
      connectivityTypes: CONNECTIVITY_TYPES,
      deviceApis: DEVICE_APIS,
    }
  })
}
