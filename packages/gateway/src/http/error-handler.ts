import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { describeValidationError } from '../specs/validator.js'
import { CamaraError, type CamaraCode } from '../core/camara-error.js'
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
    if (camara.status >= 500) {
      request.log.error({ err: error }, 'request failed')
    } else {
      request.log.debug({ code: camara.code, message: camara.message }, 'request refused')
    }
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
