import { randomUUID } from 'node:crypto'
import type { IncomingMessage } from 'node:http'
import type { FastifyInstance } from 'fastify'
import { correlatorPattern } from '../specs/catalog.js'
import { CamaraError } from '../core/camara-error.js'
import type { ShutdownState } from './request-edges.js'

const pattern = correlatorPattern()

function header(request: IncomingMessage): string | undefined {
  const value = request.headers['x-correlator']
  return Array.isArray(value) ? value[0] : value
}

/** Whether a client's x-correlator is one the gateway echoes (non-empty, the spec's pattern). */
export function isValidCorrelator(value: string): boolean {
  return value !== '' && pattern.test(value)
}

/** The request id: the client's valid x-correlator, else a new UUID (DG §5.8.5 recommends UUIDs). */
export function correlatorOf(request: IncomingMessage): string {
  const value = header(request)
  return value !== undefined && value !== '' && pattern.test(value) ? value : randomUUID()
}

/**
 * CAMARA DG §5.8.5: a non-empty `x-correlator` that matches the spec's pattern is echoed back on
 * every response; one that does not match is `400 INVALID_ARGUMENT`; when absent a UUID is added.
 * The same value labels the request's log lines. During shutdown every request is answered
 * 503 UNAVAILABLE here (see `registerShutdown`).
 */
export function registerCorrelator(app: FastifyInstance, shutdown: ShutdownState): void {
  app.decorateRequest('correlator', '')
  // A callback hook, not an async one: it runs on every request and never waits.
  app.addHook('onRequest', (request, reply, done) => {
    request.correlator = request.id
    reply.header('x-correlator', request.id)
    if (shutdown.closing) {
      reply.header('retry-after', '1').header('connection', 'close')
      done(new CamaraError('UNAVAILABLE', 'The gateway is shutting down'))
      return
    }
    const value = header(request.raw)
    if (value !== undefined && value !== '' && value !== request.id) {
      done(
        new CamaraError(
          'INVALID_ARGUMENT',
          `x-correlator does not match the pattern ${pattern.source}`,
        ),
      )
      return
    }
    done()
  })
}
