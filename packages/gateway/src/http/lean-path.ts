import { randomUUID as randomCorrelator } from 'node:crypto'
import {
  createServer,
  type IncomingMessage,
  type RequestListener,
  type Server,
  type ServerOptions,
  type ServerResponse,
} from 'node:http'
import { performance } from 'node:perf_hooks'
import { replayRequest } from './replay.js'
import type { FastifyBaseLogger } from 'fastify'
import type { AccessTokenVerifier, AuthContext } from '../core/auth-context.js'
import { isValidCorrelator } from './correlator.js'
import type { RateLimiter } from './rate-limit.js'
import type { ShutdownState } from './request-edges.js'

/**
 * Set on a request the lean path admitted (rate limit taken) and then handed to fastify: the API
 * guard does not take the rate limit a second time.
 */
export const ADMITTED = Symbol('admitted by the lean path')

/** Whether `granted` covers one of an operation's scope sets (none: any token will do). */
export function scopesAllow(
  scopes: readonly (readonly string[])[],
  granted: ReadonlySet<string>,
): boolean {
  return scopes.length === 0 || scopes.some((set) => set.every((s) => granted.has(s)))
}

/** One retrieve operation as the lean path runs it: what the fastify route runs, minus fastify. */
export interface LeanOperation {
  /** The route as the metrics label it (the fastify route's URL). */
  route: string
  /** The API guard's verifier and rate limiter. */
  verifier: Pick<AccessTokenVerifier, 'cached'>
  rateLimiter: RateLimiter
  scopes: readonly (readonly string[])[]
  /** The request body's validator: the same compiled schema the fastify route validates with. */
  validate: (body: unknown) => boolean
  handle: (input: { auth: AuthContext; body: unknown }) => Promise<unknown>
}

/** What the lean path reports per answered request: the metrics and the access log line. */
export interface LeanContext {
  log: FastifyBaseLogger & { isLevelEnabled(level: string): boolean }
  shutdown: ShutdownState
  /** Counts the request in /metrics, as the onResponse hook does for routed requests. */
  answered(route: string, status: number, seconds: number): void
}

/**
 * The lean path of the retrieve operations (`POST /…/retrieve` and the like): the common case of
 * a hot call answered without fastify's per-request machinery (request and reply objects, hook
 * chains, content-type parser, reply pipeline), which measured at about three quarters of a bare
 * node:http handler on its own (bench/README.md). It answers only a request that fastify would
 * answer 200 without doing anything else: a POST to the exact path, `Content-Type:
 * application/json`, a Content-Length within the body limit, a valid or absent x-correlator, a
 * Bearer token verified before (cached; not DPoP-bound) with the operation's scopes, the app's
 * rate limit not reached, a body that parses plainly and passes the same compiled schema, and a
 * handler that answers. Anything else goes to fastify: at once when the headers show it (the
 * request untouched), or, once the body was read, as a replay of the same request with that body
 * (marked {@link ADMITTED}, so its rate limit is not taken twice). Every refusal, its body, status,
 * headers and log line, is therefore fastify's, as before; what the lean path writes itself is the
 * 200 with the same headers (content type, length, x-correlator), the same /metrics counts and the
 * same access log line (debug).
 */
export class LeanPath {
  readonly #operations = new Map<string, LeanOperation>()
  #context: LeanContext | undefined
  readonly #bodyLimit: number

  constructor(options: { bodyLimit: number }) {
    this.#bodyLimit = options.bodyLimit
  }

  add(url: string, operation: LeanOperation): void {
    this.#operations.set(url, operation)
  }

  /** Connects the lean path to the app's logger, shutdown state and metrics (once the app exists). */
  bind(context: LeanContext): void {
    this.#context = context
  }

  /**
   * fastify's `serverFactory`: node's HTTP server, configured as fastify configures its own, whose
   * requests go to the lean path first.
   */
  serverFactory(
    handler: RequestListener,
    options: ServerOptions & {
      keepAliveTimeout?: number
      requestTimeout?: number
      connectionTimeout?: number
      maxRequestsPerSocket?: number
      http?: ServerOptions
    },
  ): Server {
    const server = createServer(options.http ?? {}, (request, response) => {
      if (!this.#take(request, response, handler)) handler(request, response)
    })
    if (options.keepAliveTimeout !== undefined) server.keepAliveTimeout = options.keepAliveTimeout
    if (options.requestTimeout !== undefined) server.requestTimeout = options.requestTimeout
    server.setTimeout(options.connectionTimeout ?? 0)
    if (options.maxRequestsPerSocket !== undefined && options.maxRequestsPerSocket > 0)
      server.maxRequestsPerSocket = options.maxRequestsPerSocket
    return server
  }

  /** Whether the lean path took the request (then it answers it, or hands it to fastify itself). */
  #take(request: IncomingMessage, response: ServerResponse, handler: RequestListener): boolean {
    const context = this.#context
    if (request.method !== 'POST' || context === undefined || context.shutdown.closing) return false
    const url = request.url
    const operation = url === undefined ? undefined : this.#operations.get(url)
    if (operation === undefined) return false
    const headers = request.headers
    const length = Number(headers['content-length'])
    if (
      headers['content-type'] !== 'application/json' ||
      headers['transfer-encoding'] !== undefined ||
      !(length > 0 && length <= this.#bodyLimit)
    )
      return false
    const correlator = headers['x-correlator']
    if (
      correlator !== undefined &&
      (typeof correlator !== 'string' || !isValidCorrelator(correlator))
    )
      return false
    const authorization = headers.authorization
    if (authorization === undefined || !authorization.startsWith('Bearer ')) return false
    const auth = operation.verifier.cached(authorization.slice(7))
    if (auth === undefined || auth.jkt !== undefined || !scopesAllow(operation.scopes, auth.scopes))
      return false
    const wait = operation.rateLimiter.take(auth.clientId)
    // A refusal takes nothing: fastify's guard asks again and answers 429.
    if (typeof wait !== 'number' || wait > 0) {
      if (typeof wait !== 'number') void wait.catch(() => undefined)
      return false
    }
    const started = performance.now()
    const chunks: Buffer[] = []
    let received = 0
    request.on('data', (chunk: Buffer) => {
      received += chunk.length
      chunks.push(chunk)
    })
    request.once('end', () => {
      const body = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks)
      const fallBack = () => handler(replay(request, body), response)
      if (received !== length) return fallBack()
      const parsed = plainJson(body.toString('utf8'))
      if (parsed === undefined || !operation.validate(parsed)) return fallBack()
      operation.handle({ auth, body: parsed }).then(
        (result) => {
          const text = JSON.stringify(result)
          const id = correlator ?? randomCorrelator()
          response.writeHead(200, {
            'x-correlator': id,
            'content-type': 'application/json; charset=utf-8',
            'content-length': Buffer.byteLength(text),
          })
          response.end(text)
          const ms = performance.now() - started
          context.answered(operation.route, 200, ms / 1000)
          if (context.log.isLevelEnabled('debug'))
            context.log
              .child({ correlator: id })
              .debug({ method: 'POST', url, status: 200, ms: Math.round(ms) }, 'request')
        },
        // Whatever the handler refused or failed with, fastify's error handler answers it.
        fallBack,
      )
    })
    request.once('error', () => response.destroy())
    return true
  }
}

/**
 * The body as plain JSON, or `undefined` when fastify's parser must look at it: not JSON, empty, a
 * NUL character, a number that may be out of range, or a key that its prototype-poisoning checks
 * refuse (`__proto__`, `constructor`).
 */
function plainJson(text: string): unknown {
  if (
    text === '' ||
    text.includes('\\u0000') ||
    text.includes('__proto__') ||
    text.includes('constructor') ||
    MAYBE_HUGE.test(text)
  )
    return undefined
  try {
    const value: unknown = JSON.parse(text)
    return typeof value === 'object' && value !== null ? value : undefined
  } catch {
    return undefined
  }
}

const MAYBE_HUGE = /\d[eE][+-]?\d|\d{300}/

/** The request again, with the body already read, for fastify to read as if it were the original. */
function replay(raw: IncomingMessage, body: Buffer): IncomingMessage {
  return replayRequest(raw, body, { marks: { [ADMITTED]: true } })
}
