import { APP_INPUT_SCHEMA } from '@device-status/contract'
import type { Clock } from '../core/clock.js'
import type { FastifyInstance } from 'fastify'
import type Provider from 'oidc-provider'
import { adminGuard } from '../http/admin-guard.js'
import { CamaraError } from '../core/camara-error.js'
import type { Store } from '../store/store.js'
import type { NetworkPort } from '../network/port.js'
import {
  appView,
  createApp,
  deleteApp,
  getApp,
  rotateSecret,
  updateApp,
  type AppInput,
  type ProfileMode,
} from './apps.js'
import type { TokenVerifier } from './access-token.js'
import { revokeConsent } from './consents.js'
import { decideAuthorization, listAuthorizations, listConsents } from './decision-lists.js'
import type { Keyring } from './keys.js'
import { issueOperatorToken } from './operator-token.js'

// The app input schema and its type are the admin API's contract, shared with the CLI.
export { APP_INPUT_SCHEMA }

export interface AuthAdminDeps {
  store: Store
  clock: Clock
  network: NetworkPort
  keyring: Keyring
  issuer: string
  adminToken: string
  defaultMode: ProfileMode
  current: () => Provider
  /** Rebuilds the provider after a key rotation. */
  rotateKeys: () => Promise<{ kid: string }>
  /** The API's token verifier: a revoked consent's tokens are refused at once. */
  verifier: TokenVerifier
  accessTokenTtl: number
}

const param = (request: { params: unknown }, name: string) =>
  (request.params as Record<string, string>)[name] ?? ''

/** The developer hub and consent admin API (`/admin/v1/…`), behind the admin token. */
export function authAdminRoutes(app: FastifyInstance, deps: AuthAdminDeps): void {
  const onRequest = adminGuard(deps.adminToken)
  appAdminRoutes(app, deps, onRequest)
  decisionAdminRoutes(app, deps, onRequest)
  keyAdminRoutes(app, deps, onRequest)
}

type Guard = ReturnType<typeof adminGuard>

/** Apps of the developer hub: list, create, read, edit, delete, rotate the secret. */
function appAdminRoutes(app: FastifyInstance, deps: AuthAdminDeps, onRequest: Guard): void {
  const clock = deps.clock

  app.get('/admin/v1/apps', { onRequest }, async () => (await deps.store.apps.list()).map(appView))
  app.post(
    '/admin/v1/apps',
    { onRequest, schema: { body: { $ref: APP_INPUT_SCHEMA.$id } } },
    async (request, reply) => {
      const result = await createApp(
        { store: deps.store, clock, defaultMode: deps.defaultMode },
        request.body as AppInput,
      )
      return reply.code(201).send({
        ...result.app,
        ...(result.clientSecret === undefined ? {} : { clientSecret: result.clientSecret }),
      })
    },
  )
  app.get('/admin/v1/apps/:clientId', { onRequest }, async (request) =>
    appView(await getApp(deps.store, param(request, 'clientId'))),
  )
  app.put(
    '/admin/v1/apps/:clientId',
    { onRequest, schema: { body: { $ref: APP_INPUT_SCHEMA.$id } } },
    async (request) => {
      const body = request.body as AppInput
      const clientId = param(request, 'clientId')
      if (body.clientId !== undefined && body.clientId !== clientId)
        throw new CamaraError('INVALID_ARGUMENT', 'clientId cannot be changed')
      const result = await updateApp(
        { store: deps.store, clock, defaultMode: deps.defaultMode },
        clientId,
        body,
        { verifier: deps.verifier, tokenTtl: deps.accessTokenTtl },
      )
      return {
        ...result.app,
        ...(result.clientSecret === undefined ? {} : { clientSecret: result.clientSecret }),
      }
    },
  )
  app.delete('/admin/v1/apps/:clientId', { onRequest }, async (request, reply) => {
    await deleteApp(deps.store, param(request, 'clientId'), {
      verifier: deps.verifier,
      tokenTtl: deps.accessTokenTtl,
      clock: deps.clock,
    })
    return reply.code(204).send()
  })
  app.post('/admin/v1/apps/:clientId/secret', { onRequest }, async (request) => ({
    clientId: param(request, 'clientId'),
    clientSecret: await rotateSecret({ store: deps.store, clock }, param(request, 'clientId')),
  }))
}

/**
 * The subscriber's decisions: consents (revocable) and pending requests (approve, deny), CIBA and
 * authorization-code requests at their consent page.
 */
function decisionAdminRoutes(app: FastifyInstance, deps: AuthAdminDeps, onRequest: Guard): void {
  app.get('/admin/v1/consents', { onRequest }, async (request) =>
    listConsents(
      deps,
      request.query as { phoneNumber?: string; clientId?: string; status?: string },
    ),
  )
  app.delete('/admin/v1/consents/:id', { onRequest }, async (request) =>
    revokeConsent(deps, param(request, 'id')),
  )

  app.get('/admin/v1/authorizations', { onRequest }, async (request) =>
    listAuthorizations(deps, (request.query as { status?: string }).status),
  )
  for (const decision of ['approve', 'deny'] as const) {
    app.post(`/admin/v1/authorizations/:id/${decision}`, { onRequest }, async (request) => {
      const id = param(request, 'id')
      const result = await decideAuthorization(
        { store: deps.store, clock: deps.clock, current: deps.current, resource: deps.issuer },
        id,
        decision,
      )
      if (result === undefined) throw new CamaraError('NOT_FOUND', `No pending authorization ${id}`)
      return result
    })
  }
}

/** Signing keys (list, rotate) and the sandbox's operator tokens. */
function keyAdminRoutes(app: FastifyInstance, deps: AuthAdminDeps, onRequest: Guard): void {
  app.post('/admin/v1/keys/rotate', { onRequest }, async () => deps.rotateKeys())
  app.get('/admin/v1/keys', { onRequest }, async () =>
    deps.keyring.all().map((k) => ({
      kid: k.kid,
      alg: k.alg,
      current: k.kid === deps.keyring.current().kid,
      retired: k.retired,
    })),
  )

  app.post('/sandbox/v1/operator-tokens', { onRequest }, async (request, reply) => {
    const phoneNumber = (request.body as { phoneNumber?: unknown } | undefined)?.phoneNumber
    if (typeof phoneNumber !== 'string')
      throw new CamaraError('INVALID_ARGUMENT', 'phoneNumber is required')
    const device = await deps.network.find({ kind: 'phoneNumber', phoneNumber })
    if (device === undefined)
      throw new CamaraError('IDENTIFIER_NOT_FOUND', `No simulated device ${phoneNumber}`)
    return reply.code(201).send({ operatorToken: await issueOperatorToken(deps, device.id) })
  })
}
