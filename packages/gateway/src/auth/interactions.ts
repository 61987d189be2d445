import type { Clock } from '../core/clock.js'
import type {
  FastifyError,
  FastifyInstance,
  FastifyReply,
  FastifyRequest,
  RouteShorthandOptions,
} from 'fastify'
import { errors } from 'oidc-provider'
import type Provider from 'oidc-provider'
import { CamaraError } from '../core/camara-error.js'
import type { DeviceIdentity } from '../core/device.js'
import type { NetworkPort, SandboxNetwork } from '../network/port.js'
import { UnstorableTextError } from '../store/text-guard.js'
import type { Store } from '../store/store.js'
import { pairwiseSubject } from './access-token.js'
import { approvedScopes, consentCovers, grantFor, recordConsent, splitScope } from './ciba.js'
import { authenticateByNetwork, type NetworkAuthConfig } from './network-auth.js'
import { errorPage, html, page, PAGE_HEADERS, textOf } from './pages.js'
import { needsConsent, type LegalBasis } from '../core/purpose.js'
import { describePurpose, describeScope } from '../console/wording.js'

export interface InteractionDeps {
  store: Store
  clock: Clock
  network: NetworkPort
  current: () => Provider
  resource: string
  /** The simulated network's sandbox capabilities (the device picker); absent for a real network. */
  sandbox: SandboxNetwork | undefined
  legalBases: Readonly<Record<string, LegalBasis>>
  networkAuth: NetworkAuthConfig
}

type Details = Awaited<ReturnType<Provider['interactionDetails']>>

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
  ) => {
    const clientId = String(details.params['client_id'])
    const accountId = await pairwiseSubject(deps.store, clientId, device.id)
    return finish(request, reply, {
      login: { accountId, amr: ['nba'], acr: 'urn:camara:nba', remember: false },
    })
  }

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
    const clientId = String(details.params['client_id'])
    const sub = details.session?.accountId
    const subject = sub === undefined ? undefined : await deps.store.subjects.bySub(sub)
    if (sub === undefined || subject === undefined) {
      return finish(request, reply, {
        error: 'access_denied',
        error_description: 'the subscriber could not be identified',
      })
    }
    const scope = textOf(details.params['scope'])
    const { purpose, api } = splitScope(scope)
    const basis = purpose === undefined ? undefined : deps.legalBases[purpose]
    const approve = async () => {
      const grant = await grantFor(
        { provider: deps.current(), resource: deps.resource },
        { clientId, accountId: sub, scope },
      )
      return finish(request, reply, { consent: { grantId: grant.jti } })
    }
    if (purpose === undefined || basis === undefined || !needsConsent(basis)) return approve()
    // A consent to this purpose for fewer APIs does not cover the request: ask again.
    const latest = await deps.store.consents.latest(clientId, subject.device_id, purpose)
    if (consentCovers(latest, api)) return approve()
    if (details.params['prompt'] === 'none') {
      return finish(request, reply, {
        error: 'consent_required',
        error_description: 'the subscriber has not consented to this purpose',
      })
    }
    const app = await deps.store.apps.byClientId(clientId)
    return sendPage(
      reply,
      200,
      page(
        'Consent',
        `<h1>${html(app?.name ?? clientId)} asks for your consent</h1>
<p>Purpose: <strong>${html(describePurpose(purpose))}</strong> <span class="note">(${html(purpose)})</span></p>
<p>It will be able to:</p>
<ul class="scopes">${api.map((s) => `<li>${html(describeScope(s))} <code>${html(s)}</code></li>`).join('')}</ul>
<form method="post" action="/interaction/${html(details.uid)}/consent">
<button name="decision" value="approve" type="submit">Allow</button>
<button name="decision" value="deny" type="submit">Deny</button>
</form>
<p class="note">You can withdraw this consent at any time.</p>`,
      ),
    )
  }

  // Whatever fails under /interaction/* is shown to a person: a page, not the API's JSON. The
  // interaction session gone, expired or another browser's; a body that is not the page's form.
  const onError = (error: FastifyError, request: FastifyRequest, reply: FastifyReply): void => {
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
        page(
          'Sandbox network authentication',
          `<h1>Which device is making this request?</h1>
<p class="note">Sandbox: your address (${html(request.socket.remoteAddress ?? '?')}) matches no simulated device, so pick the one the operator network would have recognised.</p>
<form method="post" action="/interaction/${html(details.uid)}/login">
<ul class="devices">${devices
            .map(
              (d) =>
                `<li><button name="phoneNumber" value="${html(d.phoneNumber)}" type="submit">${html(d.phoneNumber)}</button>${d.about === undefined ? '' : ` <span class="about">${html(d.about)}</span>`}</li>`,
            )
            .join('')}</ul>
</form>
<form method="post" action="/interaction/${html(details.uid)}/abort"><button type="submit">Cancel</button></form>`,
        ),
      )
    }
    return consent(request, reply, details)
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
    const clientId = String(details.params['client_id'])
    const sub = details.session?.accountId
    const subject = sub === undefined ? undefined : await deps.store.subjects.bySub(sub)
    const scope = textOf(details.params['scope'])
    const { purpose, api } = splitScope(scope)
    if (
      details.prompt.name !== 'consent' ||
      sub === undefined ||
      subject === undefined ||
      purpose === undefined
    ) {
      return refuse(reply, 400, 'invalid_request', 'This step is not part of this authorization.')
    }
    if (decision === 'deny') {
      await recordConsent(deps, {
        clientId,
        deviceId: subject.device_id,
        purpose,
        scopes: api,
        status: 'denied',
      })
      return finish(request, reply, {
        error: 'access_denied',
        error_description: 'the subscriber refused consent',
      })
    }
    // Approving a wider request keeps what was consented to before.
    const latest = await deps.store.consents.latest(clientId, subject.device_id, purpose)
    await recordConsent(deps, {
      clientId,
      deviceId: subject.device_id,
      purpose,
      scopes: approvedScopes(latest, api),
      status: 'granted',
    })
    const grant = await grantFor(
      { provider: deps.current(), resource: deps.resource },
      { clientId, accountId: sub, scope },
    )
    return finish(request, reply, { consent: { grantId: grant.jti } })
  })

  app.post('/interaction/:uid/abort', options, async (request, reply) =>
    finish(request, reply, {
      error: 'access_denied',
      error_description: 'the authentication was cancelled',
    }),
  )

  // Anything else under /interaction/ is a person's browser gone astray: a page, not JSON.
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
