import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { errors } from 'oidc-provider'
import type Provider from 'oidc-provider'
import type { NetworkDevice } from '../network/device.js'
import type { Store } from '../store/store.js'
import { pairwiseSubject } from './access-token.js'
import { grantFor, recordConsent, splitScope } from './ciba.js'
import { authenticateByNetwork, type NetworkAuthConfig } from './network-auth.js'
import { errorPage, html, page, textOf } from './pages.js'
import { needsConsent, type LegalBasis } from './purpose.js'

export interface InteractionDeps {
  store: Store
  current: () => Provider
  resource: string
  sandbox: boolean
  legalBases: Readonly<Record<string, LegalBasis>>
  networkAuth: NetworkAuthConfig
}

type Details = Awaited<ReturnType<Provider['interactionDetails']>>

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
    device: NetworkDevice,
  ) => {
    const clientId = String(details.params['client_id'])
    const accountId = await pairwiseSubject(deps.store, clientId, device.id)
    return finish(request, reply, {
      login: { accountId, amr: ['nba'], acr: 'urn:camara:nba', remember: false },
    })
  }

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
    const latest = await deps.store.consents.latest(clientId, subject.device_id, purpose)
    if (latest?.status === 'granted') return approve()
    if (details.params['prompt'] === 'none') {
      return finish(request, reply, {
        error: 'consent_required',
        error_description: 'the subscriber has not consented to this purpose',
      })
    }
    const app = await deps.store.apps.byClientId(clientId)
    return reply.type('text/html; charset=utf-8').send(
      page(
        'Consent',
        `<h1>${html(app?.name ?? clientId)} asks for your consent</h1>
<p>Purpose: <strong>${html(purpose.slice(4))}</strong> (${html(purpose)})</p>
<p class="scopes">It will be able to: ${api.map((s) => `<code>${html(s)}</code>`).join(' ')}</p>
<form method="post" action="/interaction/${html(details.uid)}/consent">
<button name="decision" value="approve" type="submit">Allow</button>
<button name="decision" value="deny" type="submit">Deny</button>
</form>
<p class="note">You can withdraw this consent at any time.</p>`,
      ),
    )
  }

  // The interaction session is gone, expired or belongs to another browser: a page, not JSON.
  // Anything else goes on to the gateway's error handler.
  const onError = (error: FastifyError, _request: FastifyRequest, reply: FastifyReply): void => {
    if (!(error instanceof errors.OIDCProviderError)) {
      void reply.send(error)
      return
    }
    const described = error as unknown as { error_description?: string }
    void reply
      .code(error.statusCode)
      .type('text/html; charset=utf-8')
      .send(errorPage(error.error, described.error_description))
  }

  app.get('/interaction/:uid', { errorHandler: onError }, async (request, reply) => {
    const details = await deps.current().interactionDetails(request.raw, reply.raw)
    if (details.prompt.name === 'login') {
      const device = await authenticateByNetwork(
        { store: deps.store, config: deps.networkAuth },
        {
          address: request.socket.remoteAddress,
          port: request.socket.remotePort,
          headers: request.headers,
        },
      )
      if (device !== undefined) return login(request, reply, details, device)
      if (!deps.sandbox) {
        return finish(request, reply, {
          error: 'access_denied',
          error_description: 'the subscriber could not be authenticated by the network',
        })
      }
      // Sandbox: the tester stands in for the operator network and picks the device.
      const devices = await deps.store.devices.list()
      return reply.type('text/html; charset=utf-8').send(
        page(
          'Sandbox network authentication',
          `<h1>Which device is making this request?</h1>
<p class="note">Sandbox: your address (${html(request.socket.remoteAddress ?? '?')}) matches no simulated device, so pick the one the operator network would have recognised.</p>
<form method="post" action="/interaction/${html(details.uid)}/login">
<ul class="devices">${devices
            .map(
              (d) =>
                `<li><button name="phoneNumber" value="${html(d.phoneNumber)}" type="submit">${html(d.phoneNumber)}</button></li>`,
            )
            .join('')}</ul>
</form>
<form method="post" action="/interaction/${html(details.uid)}/abort"><button type="submit">Cancel</button></form>`,
        ),
      )
    }
    return consent(request, reply, details)
  })

  app.post('/interaction/:uid/login', { errorHandler: onError }, async (request, reply) => {
    const details = await deps.current().interactionDetails(request.raw, reply.raw)
    if (!deps.sandbox || details.prompt.name !== 'login')
      return reply
        .code(400)
        .type('text/html')
        .send(errorPage('invalid_request', 'This step is not part of this authorization.'))
    const phoneNumber = new URLSearchParams(textOf(request.body)).get('phoneNumber') ?? ''
    const device = await deps.store.devices.byPhoneNumber(phoneNumber)
    if (device === undefined)
      return finish(request, reply, { error: 'access_denied', error_description: 'unknown device' })
    return login(request, reply, details, device)
  })

  app.post('/interaction/:uid/consent', { errorHandler: onError }, async (request, reply) => {
    const details = await deps.current().interactionDetails(request.raw, reply.raw)
    const decision = new URLSearchParams(textOf(request.body)).get('decision')
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
      return reply
        .code(400)
        .type('text/html')
        .send(errorPage('invalid_request', 'This step is not part of this authorization.'))
    }
    if (decision !== 'approve') {
      await recordConsent(deps.store, {
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
    await recordConsent(deps.store, {
      clientId,
      deviceId: subject.device_id,
      purpose,
      scopes: api,
      status: 'granted',
    })
    const grant = await grantFor(
      { provider: deps.current(), resource: deps.resource },
      { clientId, accountId: sub, scope },
    )
    return finish(request, reply, { consent: { grantId: grant.jti } })
  })

  app.post('/interaction/:uid/abort', { errorHandler: onError }, async (request, reply) =>
    finish(request, reply, {
      error: 'access_denied',
      error_description: 'the authentication was cancelled',
    }),
  )
}
