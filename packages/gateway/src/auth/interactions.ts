import type {
  FastifyError,
  FastifyInstance,
  FastifyReply,
  FastifyRequest,
  RouteShorthandOptions,
} from 'fastify'
import { errors } from 'oidc-provider'
import { CamaraError } from '../core/camara-error.js'
import type { DeviceIdentity } from '../core/device.js'
import type { NetworkPort, SandboxNetwork } from '../network/port.js'
import { UnstorableTextError } from '../store/text-guard.js'
import {
  consentStep,
  decideConsent,
  loginResult,
  waitingStatus,
  type Details,
  type InteractionServiceDeps,
} from './interaction-service.js'
import { authenticateByNetwork, type NetworkAuthConfig } from './network-auth.js'
import { consentPage, errorPage, pickerPage, PAGE_HEADERS } from './pages.js'

export interface InteractionDeps extends InteractionServiceDeps {
  network: NetworkPort
  /** The simulated network's sandbox capabilities (the device picker); absent for a real network. */
  sandbox: SandboxNetwork | undefined
  networkAuth: NetworkAuthConfig
}

/** The steps a page posts to (`/interaction/:uid/<action>`). */
const ACTIONS: readonly string[] = ['login', 'consent', 'abort']

/** An HTML page for a person, with the headers every interaction page carries. */
function sendPage(reply: FastifyReply, status: number, body: string): FastifyReply {
  return reply.code(status).headers(PAGE_HEADERS).type('text/html; charset=utf-8').send(body)
}

/** A refusal as a page: a person is at the other end, not an API client. */
function refuse(
  reply: FastifyReply,
  status: number,
  error: string,
  description: string,
): FastifyReply {
  return sendPage(reply, status, errorPage(error, description))
}

/** What a page's form posted; undefined when the body is not a form (JSON, text, none). */
function formFields(request: FastifyRequest): URLSearchParams | undefined {
  const type = request.headers['content-type']?.split(';')[0]?.trim().toLowerCase()
  if (type !== 'application/x-www-form-urlencoded' || typeof request.body !== 'string')
    return undefined
  return new URLSearchParams(request.body)
}

/** The description of a request the interaction routes could not take, by its status. */
function describeFailure(status: number): string {
  if (status === 413) return 'The submitted form is too large.'
  if (status === 415) return 'This step accepts only the form of its page.'
  if (status < 500) return 'The request could not be read.'
  return 'Something went wrong. Start again from the application.'
}

// Whatever fails under /interaction/* is shown to a person: a page, not the API's JSON. The
// interaction session gone, expired or another browser's; a body that is not the page's form.
function onError(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  if (error instanceof errors.OIDCProviderError) {
    const described = error as unknown as { error_description?: string }
    void refuse(reply, error.statusCode, error.error, described.error_description ?? '')
    return
  }
  // A refusal of the request itself (an invalid x-correlator, a value the store cannot hold):
  // the person gets its reason on a page; nothing failed, nothing to log as an error.
  if (error instanceof CamaraError) {
    // 503 while shutting down (http/correlator.ts) is no failure either.
    for (const [name, value] of Object.entries(error.headers)) reply.header(name, value)
    const code = error.status >= 500 ? 'temporarily_unavailable' : 'invalid_request'
    void refuse(reply, error.status, code, error.message)
    return
  }
  if (error instanceof UnstorableTextError) {
    void refuse(reply, 400, 'invalid_request', 'The request carries a NUL character.')
    return
  }
  const status =
    error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500
      ? error.statusCode
      : 500
  if (status >= 500) request.log.error({ err: error }, 'interaction failed')
  void refuse(
    reply,
    status,
    status >= 500 ? 'server_error' : 'invalid_request',
    describeFailure(status),
  )
}

/**
 * The Authorization Code flow's interactions (`/interaction/:uid`): network-based
 * authentication (the sandbox shows a device picker when the request's address matches no
 * device), then consent, asked in band only when the purpose's legal basis needs it.
 */
export function interactionRoutes(app: FastifyInstance, deps: InteractionDeps): void {
  const finish = async (
    request: FastifyRequest,
    reply: FastifyReply,
    result: Record<string, unknown>,
  ) => {
    const returnTo = await deps
      .current()
      .interactionResult(request.raw, reply.raw, result, { mergeWithLastSubmission: true })
    return reply.code(303).header('location', returnTo).send()
  }

  const login = async (
    request: FastifyRequest,
    reply: FastifyReply,
    details: Details,
    device: DeviceIdentity,
  ) => finish(request, reply, await loginResult(deps, details, device))

  /** The device the network identifies the request's origin as, if any. */
  const networkDevice = (request: FastifyRequest) =>
    authenticateByNetwork(
      { network: deps.network, config: deps.networkAuth },
      {
        address: request.socket.remoteAddress,
        port: request.socket.remotePort,
        headers: request.headers,
      },
    )

  /** Decides consent for the logged-in subscriber, or shows the consent page. */
  const consent = async (request: FastifyRequest, reply: FastifyReply, details: Details) => {
    const step = await consentStep(deps, details)
    if (step.kind === 'done') return finish(request, reply, step.result)
    return sendPage(reply, 200, consentPage(details.uid, step, deps.sandbox !== undefined))
  }

  // Redirects too: a framed or cached step is as harmful as a framed or cached page.
  const options: RouteShorthandOptions = {
    errorHandler: onError,
    onSend: async (_request, reply, payload) => {
      reply.headers(PAGE_HEADERS)
      return payload
    },
  }

  app.get('/interaction/:uid', options, async (request, reply) => {
    const details = await deps.current().interactionDetails(request.raw, reply.raw)
    if (details.prompt.name === 'login') {
      const device = await networkDevice(request)
      if (device !== undefined) return login(request, reply, details, device)
      if (!deps.sandbox) {
        return finish(request, reply, {
          error: 'access_denied',
          error_description: 'the subscriber could not be authenticated by the network',
        })
      }
      // Sandbox: the tester stands in for the operator network and picks the device.
      const devices = await deps.sandbox.pickableDevices()
      return sendPage(
        reply,
        200,
        pickerPage(details.uid, request.socket.remoteAddress ?? '?', devices),
      )
    }
    return consent(request, reply, details)
  })

  // The consent page's question, answered by its own browser only (the interaction cookie): was
  // the request decided elsewhere? `{"status":"pending"|"approved"|"denied"}`.
  app.get('/interaction/:uid/status', options, async (request, reply) => {
    const details = await deps.current().interactionDetails(request.raw, reply.raw)
    return reply.type('application/json').send({ status: await waitingStatus(deps, details) })
  })

  app.post('/interaction/:uid/login', options, async (request, reply) => {
    const details = await deps.current().interactionDetails(request.raw, reply.raw)
    if (!deps.sandbox || details.prompt.name !== 'login')
      return refuse(reply, 400, 'invalid_request', 'This step is not part of this authorization.')
    const form = formFields(request)
    if (form === undefined)
      return refuse(reply, 400, 'invalid_request', 'This step accepts only the form of its page.')
    const phoneNumber = form.get('phoneNumber') ?? ''
    // The picker stands in for the network only where the network knows nothing: a request the
    // network identifies is that device's, whatever was posted (else any client picks any device).
    const identified = await networkDevice(request)
    if (identified !== undefined) {
      if (phoneNumber !== '' && phoneNumber !== identified.phoneNumber)
        return refuse(
          reply,
          400,
          'invalid_request',
          'The network identifies this request as coming from another device.',
        )
      return login(request, reply, details, identified)
    }
    const device = await deps.network.find({ kind: 'phoneNumber', phoneNumber })
    if (device === undefined)
      return finish(request, reply, { error: 'access_denied', error_description: 'unknown device' })
    return login(request, reply, details, device)
  })

  app.post('/interaction/:uid/consent', options, async (request, reply) => {
    const details = await deps.current().interactionDetails(request.raw, reply.raw)
    // Only the page's two buttons decide; anything else records nothing (a missing decision is
    // not a refusal).
    const decision = formFields(request)?.get('decision')
    if (decision !== 'approve' && decision !== 'deny')
      return refuse(reply, 400, 'invalid_request', 'The decision is either Allow or Deny.')
    const result = await decideConsent(deps, details, decision)
    if (result === undefined)
      return refuse(reply, 400, 'invalid_request', 'This step is not part of this authorization.')
    return finish(request, reply, result)
  })

  app.post('/interaction/:uid/abort', options, async (request, reply) =>
    finish(request, reply, {
      error: 'access_denied',
      error_description: 'the authentication was cancelled',
    }),
  )
  strayInteractionRoutes(app, options)
}

/** Anything else under /interaction/ is a person's browser gone astray: a page, not JSON. */
function strayInteractionRoutes(app: FastifyInstance, options: RouteShorthandOptions): void {
  app.route({
    method: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'],
    url: '/interaction/*',
    ...options,
    handler: async (request, reply) => {
      const action = /^\/interaction\/[^/]+\/([^/?]+)$/.exec(request.url)?.[1]
      if (action !== undefined && ACTIONS.includes(action))
        return refuse(
          reply.header('allow', 'POST'),
          405,
          'invalid_request',
          'This step is reached through its page.',
        )
      return refuse(reply, 404, 'not_found', 'There is no such page.')
    },
  })
}
