import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { describeValidationError } from '../specs/validator.js'
import { CamaraError, type CamaraCode } from '../core/camara-error.js'
import { UnstorableTextError } from '../store/text-guard.js'
import { NetworkError, camaraErrorOf } from '../core/network-error.js'

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Maps a schema violation of this route to a code other than INVALID_ARGUMENT (NOTES.md §5). */
    validationCode?: (error: FastifyError) => CamaraCode | undefined
  }
}

/** Turns whatever went wrong into the one CAMARA error body the client sees. */
export function toCamaraError(error: unknown, request: FastifyRequest): CamaraError {
  if (error instanceof CamaraError) return error
  if (error instanceof UnstorableTextError)
    return new CamaraError('INVALID_ARGUMENT', 'A value contains a NUL character')
  if (error instanceof NetworkError) return camaraErrorOf(error)
  const e = error as FastifyError
  if (Array.isArray(e.validation)) {
    const code = request.routeOptions.config.validationCode?.(e) ?? 'INVALID_ARGUMENT'
    return new CamaraError(code, describeValidationError(e.validation as never))
  }
  switch (e.code) {
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new CamaraError('INVALID_ARGUMENT', `Content-Type must be application/json`)
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new CamaraError('INVALID_ARGUMENT', 'Request body is empty; a JSON object is required')
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return new CamaraError('INVALID_ARGUMENT', 'Request body is not valid JSON')
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new CamaraError('INVALID_ARGUMENT', 'Request body is too large')
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new CamaraError('INVALID_ARGUMENT', 'Content-Length does not match the body')
    default:
      break
  }
  if (e instanceof SyntaxError || e.statusCode === 400 || e.statusCode === 415) {
    return new CamaraError('INVALID_ARGUMENT', 'Request body is not valid JSON')
  }
  if (e.statusCode === 404) return new CamaraError('NOT_FOUND')
  if (e.statusCode === 405) return new CamaraError('METHOD_NOT_ALLOWED')
  return new CamaraError('INTERNAL', undefined, { cause: error })
}

/** The only place that writes an error body (STYLE: one catalog, one renderer). */
export function registerErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler(async (error: unknown, request: FastifyRequest, reply: FastifyReply) => {
    const camara = toCamaraError(error, request)
    // What the network said (a NEF's ProblemDetails): logged here, with the correlator, and
    // never sent to the client.
    if (error instanceof NetworkError && error.upstream !== undefined)
      request.log.warn({ code: camara.code, upstream: error.upstream }, 'network refused or failed')
    const meant =
      (error === camara && camara.cause === undefined) ||
      (error instanceof NetworkError && error.cause === undefined)
    if (camara.status >= 500 && meant) {
      // A failure the gateway means to answer (the network port's "network unavailable", as the
      // simulator plays it): one warning line, no stack; a person acts on it, not on its trace.
      request.log.warn({ code: camara.code }, camara.message)
    } else if (camara.status >= 500) {
      request.log.error({ err: error }, 'request failed')
    } else {
      request.log.debug({ code: camara.code, message: camara.message }, 'request refused')
    }
    if (isOAuthPath(request.url)) return sendOAuthRefusal(reply, camara)
    return sendCamaraError(reply, camara)
  })
  app.setNotFoundHandler(async (request, reply) =>
    sendCamaraError(
      reply,
      new CamaraError('NOT_FOUND', `No route for ${request.method} ${request.url.split('?')[0]}`),
    ),
  )
}

export function sendCamaraError(reply: FastifyReply, error: CamaraError): FastifyReply {
  for (const [name, value] of Object.entries(error.headers)) reply.header(name, value)
  return reply.code(error.status).type('application/json').send(error.toJSON())
}

/** The authorization server's endpoints answer RFC 6749 error bodies, not CAMARA ones. */
export function isOAuthPath(url: string): boolean {
  return url.startsWith('/oauth2/') || url.startsWith('/.well-known/')
}

/**
 * A request refused before oidc-provider saw it (an unreadable or oversized body, an invalid
 * x-correlator, a value the store cannot hold), as RFC 6749 §5.2 shapes errors: a client error is
 * `invalid_request` with the status it had; a failure is `server_error`.
 */
export function sendOAuthRefusal(reply: FastifyReply, error: CamaraError): FastifyReply {
  for (const [name, value] of Object.entries(error.headers)) reply.header(name, value)
  const status = error.status >= 500 ? error.status : error.status === 401 ? 401 : 400
  return reply
    .code(status)
    .header('cache-control', 'no-store')
    .type('application/json')
    .send({
      error: error.status >= 500 ? 'server_error' : 'invalid_request',
      error_description: error.message,
    })
}
