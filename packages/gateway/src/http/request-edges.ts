import type { FastifyInstance, FastifyReply, FastifyServerOptions } from 'fastify'
import { CamaraError } from '../core/camara-error.js'
import { errorPage, PAGE_HEADERS } from '../auth/pages.js'
import { isOAuthPath, sendCamaraError, sendOAuthRefusal } from './error-handler.js'

/**
 * JSON bodies as the gateway can store them: UTF-8 only (a declared `charset=latin1` would be
 * decoded as UTF-8 and stored garbled), no NUL characters (PostgreSQL text cannot hold them), and
 * an empty body is no body for an operation that takes none (a DELETE sent with
 * `Content-Type: application/json`, as the CAMARA test definitions send every request). Parsing
 * itself is fastify's own, with its prototype-poisoning checks.
 */
export function registerJsonParser(app: FastifyInstance): void {
  const parse = app.getDefaultJsonParser('error', 'error')
  app.removeContentTypeParser('application/json')
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const type = request.headers['content-type'] ?? ''
    // `application/json` alone is 16 characters: only a longer header can carry a charset.
    if (type.length > 16) {
      const charset = /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(type)?.[1]?.toLowerCase()
      if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') {
        done(new CamaraError('INVALID_ARGUMENT', `JSON must be UTF-8, not ${charset}`), undefined)
        return
      }
    }
    const text = body as string
    if (text === '') {
      if (request.routeOptions.schema?.body === undefined) done(null, undefined)
      else
        done(
          new CamaraError('INVALID_ARGUMENT', 'Request body is empty; a JSON object is required'),
          undefined,
        )
      return
    }
    if (text.includes('\\u0000')) {
      done(new CamaraError('INVALID_ARGUMENT', 'Request body contains a NUL character'), undefined)
      return
    }
    void parse(request, text, done)
  })
}

/** Whether the app is shutting down: set once `close()` starts. */
export interface ShutdownState {
  closing: boolean
}

/**
 * Shutdown without waiting on keep-alive clients: from `close()` on, connections are closed as
 * soon as they are idle (the one a request is still running on once its response is sent; a
 * proxy's pool would otherwise hold the server open until its idle timeout, 72 s), and requests
 * still arriving on open connections are answered 503 UNAVAILABLE by the correlator hook, which
 * runs on every request anyway (no extra hook on the hot path).
 */
export function registerShutdown(app: FastifyInstance): ShutdownState {
  const state: ShutdownState = { closing: false }
  app.addHook('preClose', (done) => {
    state.closing = true
    const sweep = setInterval(() => app.server.closeIdleConnections(), 50)
    sweep.unref()
    app.server.once('close', () => clearInterval(sweep))
    done()
  })
  return state
}

/**
 * fastify's router refusals (a malformed percent-encoding, an over-long path parameter) as CAMARA
 * bodies rather than fastify's own, with the correlator.
 */
export const frameworkErrors: NonNullable<FastifyServerOptions['frameworkErrors']> = (
  error,
  request,
  reply,
) => {
  reply.header('x-correlator', request.id)
  const camara =
    error.code === 'FST_ERR_BAD_URL'
      ? new CamaraError('INVALID_ARGUMENT', 'The request path is not a valid URL path')
      : new CamaraError('NOT_FOUND', `No route for ${request.method} ${request.url.split('?')[0]}`)
  // Each family of paths answers in its own shape: a page for a person, RFC 6749 for OAuth.
  if (request.url.startsWith('/interaction/')) {
    void (reply as FastifyReply)
      .code(camara.status)
      .headers(PAGE_HEADERS)
      .type('text/html; charset=utf-8')
      .send(errorPage(camara.status === 404 ? 'not_found' : 'invalid_request', camara.message))
    return
  }
  if (isOAuthPath(request.url)) {
    void sendOAuthRefusal(reply, camara)
    return
  }
  void sendCamaraError(reply, camara)
}
