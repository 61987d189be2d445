import { randomUUID } from 'node:crypto'
import type { Duplex } from 'node:stream'
import type { FastifyInstance, FastifyReply, FastifyServerOptions } from 'fastify'
import { CamaraError } from '../core/camara-error.js'
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
    // A number too large for a double parses as Infinity (`1e400`), which JSON cannot carry and
    // a schema's `integer` lets through: refused like any other value that is no number. Only a
    // body with an exponent or a 300-digit run can hold one.
    if (!MAYBE_HUGE.test(text)) {
      void parse(request, text, done)
      return
    }
    void parse(request, text, (error: Error | null, value?: unknown) => {
      if (error === null && hasNonFinite(value)) {
        done(new CamaraError('INVALID_ARGUMENT', 'A number in the body is out of range'), undefined)
        return
      }
      done(error, value)
    })
  })
}

const MAYBE_HUGE = /\d[eE][+-]?\d|\d{300}/

function hasNonFinite(value: unknown): boolean {
  if (typeof value === 'number') return !Number.isFinite(value)
  if (typeof value !== 'object' || value === null) return false
  return Object.values(value).some(hasNonFinite)
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
/** How a refusal is shown to a person on the interaction pages (auth/pages.ts renders it). */
export interface ErrorPage {
  render(error: string, description: string): string
  headers: Readonly<Record<string, string>>
}

export function frameworkErrorsWith(
  page: ErrorPage,
): NonNullable<FastifyServerOptions['frameworkErrors']> {
  return (error, request, reply) => frameworkErrors(page, error, request, reply)
}

function frameworkErrors(
  page: ErrorPage,
  ...[error, request, reply]: Parameters<NonNullable<FastifyServerOptions['frameworkErrors']>>
): void {
  reply.header('x-correlator', request.id)
  const camara =
    error.code === 'FST_ERR_BAD_URL'
      ? new CamaraError('INVALID_ARGUMENT', 'The request path is not a valid URL path')
      : new CamaraError('NOT_FOUND', `No route for ${request.method} ${request.url.split('?')[0]}`)
  // Each family of paths answers in its own shape: a page for a person, RFC 6749 for OAuth.
  if (request.url.startsWith('/interaction/')) {
    void (reply as FastifyReply)
      .code(camara.status)
      .headers(page.headers)
      .type('text/html; charset=utf-8')
      .send(page.render(camara.status === 404 ? 'not_found' : 'invalid_request', camara.message))
    return
  }
  if (isOAuthPath(request.url)) {
    void sendOAuthRefusal(reply, camara)
    return
  }
  void sendCamaraError(reply, camara)
}

/**
 * Requests Node's HTTP parser refuses before fastify sees them (a malformed method, request line
 * or chunk, a path with raw non-ASCII bytes, both Content-Length and Transfer-Encoding, headers or
 * a query string beyond the header limit) answered in the shape of the path they were for, as a
 * routed refusal would be: a CAMARA `400 INVALID_ARGUMENT` with an `x-correlator`, an RFC 6749
 * `invalid_request` on OAuth paths, a page on interaction pages. The connection is then closed:
 * what follows on it cannot be read.
 */
export function clientErrorHandlerWith(
  page: ErrorPage,
): NonNullable<FastifyServerOptions['clientErrorHandler']> {
  return function clientErrorHandler(this: FastifyInstance, error, socket): void {
    refuseUnparsed.call(this, page, error, socket)
  }
}

function refuseUnparsed(
  this: FastifyInstance,
  page: ErrorPage,
  error: NodeJS.ErrnoException & { rawPacket?: unknown },
  socket: Duplex,
): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return
  this.log.debug({ code: error.code }, 'request refused by the HTTP parser')
  if (socket.writable) {
    const correlator = randomUUID()
    const path = requestTarget(Buffer.isBuffer(error.rawPacket) ? error.rawPacket : undefined)
    const reason =
      error.code === 'HPE_HEADER_OVERFLOW'
        ? 'The request headers (or its target) are too large'
        : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
          ? 'The request was not received in time'
          : 'The request is not valid HTTP'
    const camara = new CamaraError('INVALID_ARGUMENT', reason)
    let type = 'application/json'
    let body: string
    let extra = ''
    if (path.startsWith('/interaction/')) {
      type = 'text/html; charset=utf-8'
      body = page.render('invalid_request', reason)
      extra = Object.entries(page.headers)
        .map(([name, value]) => `${name}: ${value}\r\n`)
        .join('')
    } else if (isOAuthPath(path)) {
      body = JSON.stringify({ error: 'invalid_request', error_description: reason })
      extra = 'cache-control: no-store\r\n'
    } else {
      body = JSON.stringify(camara.toJSON())
    }
    socket.write(
      `HTTP/1.1 ${camara.status} Bad Request\r\ncontent-type: ${type}\r\n` +
        `content-length: ${Buffer.byteLength(body)}\r\nx-correlator: ${correlator}\r\n${extra}` +
        `connection: close\r\n\r\n${body}`,
    )
  }
  socket.destroy()
}

/** The path of the request line in the bytes the parser refused, or '' when it is not there. */
function requestTarget(packet: Buffer | undefined): string {
  if (packet === undefined) return ''
  // The method may be the malformed part, and the target may run past the packet's end.
  const start = packet.subarray(0, Math.min(packet.length, 2048)).toString('latin1')
  return /^[^ \r\n]* (\/[^ ?\r\n]*)/.exec(start)?.[1] ?? ''
}
