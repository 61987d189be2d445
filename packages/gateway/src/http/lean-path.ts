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
import { isPromise, type MaybePromise } from '../core/maybe-promise.js'
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
  /** The answer, or a promise of it (`MaybePromise`: the value itself when all was in memory). */
  handle: (input: { auth: AuthContext; body: unknown }) => MaybePromise<unknown>
  /** The 200 answer's text: what fastify's serializer writes for it (specs/serializer.ts). */
  serialize: (result: unknown) => string
}

/** Where an answered request is counted: the /metrics cell of a route, method and status. */
export interface LeanCell {
  record(seconds: number): void
}

/** An operation with its /metrics cell, found once. */
interface BoundOperation extends LeanOperation {
  answered: LeanCell
}

/** What the lean path reports per answered request: the metrics and the access log line. */
export interface LeanContext {
  log: FastifyBaseLogger & { isLevelEnabled(level: string): boolean }
  shutdown: ShutdownState
  /** The /metrics cell the onResponse hook counts a routed request of that route and status in. */
  requests: { cell(route: string, method: string, status: number): LeanCell }
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
  readonly #added: [string, LeanOperation][] = []
  readonly #operations = new Map<string, BoundOperation>()
  #context: LeanContext | undefined
  readonly #bodyLimit: number

  constructor(options: { bodyLimit: number }) {
    this.#bodyLimit = options.bodyLimit
  }

  add(url: string, operation: LeanOperation): void {
    this.#added.push([url, operation])
    if (this.#context !== undefined) this.#bindOperation(url, operation, this.#context)
  }

  /** Connects the lean path to the app's logger, shutdown state and metrics (once the app exists). */
  bind(context: LeanContext): void {
    this.#context = context
    for (const [url, operation] of this.#added) this.#bindOperation(url, operation, context)
  }

  #bindOperation(url: string, operation: LeanOperation, context: LeanContext): void {
    const answered = context.requests.cell(operation.route, 'POST', 200)
    this.#operations.set(url, { ...operation, answered })
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
    const headers = leanHeaders(request.rawHeaders)
    if (headers === undefined) return false
    const { correlator, authorization } = headers
    const length = Number(headers.contentLength)
    if (
      headers.contentType !== 'application/json' ||
      headers.chunked ||
      !(length > 0 && length <= this.#bodyLimit)
    )
      return false
    if (correlator !== undefined && !isValidCorrelator(correlator)) return false
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
    let body: Buffer | undefined
    let chunks: Buffer[] | undefined
    request.on('data', (chunk: Buffer) => {
      if (body === undefined) body = chunk
      else (chunks ??= [body]).push(chunk)
    })
    request.on('end', () => {
      const whole = chunks === undefined ? body : Buffer.concat(chunks)
      if (whole === undefined || whole.length !== length)
        return handOver(handler, request, response, whole)
      const text = whole.toString('utf8')
      const parsed = deviceByPhoneNumber(text) ?? plainJson(text)
      if (parsed === undefined || !operation.validate(parsed))
        return handOver(handler, request, response, whole)
      let result: MaybePromise<unknown>
      try {
        result = operation.handle({ auth, body: parsed })
      } catch {
        return handOver(handler, request, response, whole)
      }
      const answered: Answered = { operation, context, response, url, correlator, started }
      // In memory (the simulator on the device cache) the answer is there at once: written now,
      // without a promise or a turn of the microtask queue.
      if (!isPromise(result)) return answer(answered, result)
      result.then(
        (value) => answer(answered, value),
        // Whatever the handler refused or failed with, fastify's error handler answers it.
        () => handOver(handler, request, response, whole),
      )
    })
    request.on('error', () => response.destroy())
    return true
  }
}

/** What the lean path needs to write a 200 answer of an admitted request. */
interface Answered {
  operation: BoundOperation
  context: LeanContext
  response: ServerResponse
  url: string | undefined
  correlator: string | undefined
  started: number
}

/** Writes the 200 answer of `result`, counts it in /metrics and logs it (at debug). */
function answer(answered: Answered, result: unknown): void {
  const { operation, context, response, url, correlator, started } = answered
  const text = operation.serialize(result)
  const id = correlator ?? randomCorrelator()
  response.writeHead(200, {
    'x-correlator': id,
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  })
  response.end(text)
  const ms = performance.now() - started
  operation.answered.record(ms / 1000)
  if (context.log.isLevelEnabled('debug'))
    context.log
      .child({ correlator: id })
      .debug({ method: 'POST', url, status: 200, ms: Math.round(ms) }, 'request')
}

/** Hands a request whose body was read to fastify: a replay of it with that body. */
function handOver(
  handler: RequestListener,
  request: IncomingMessage,
  response: ServerResponse,
  body: Buffer | undefined,
): void {
  handler(replay(request, body ?? Buffer.alloc(0)), response)
}

/** The request headers the lean path decides by, as node would give them in `request.headers`. */
interface LeanHeaders {
  contentType: string | undefined
  contentLength: string | undefined
  chunked: boolean
  correlator: string | undefined
  authorization: string | undefined
}

/**
 * The headers the lean path decides by, read in one pass over `rawHeaders` (node builds
 * `request.headers`, an object of every header, only when it is first read: fastify does, when
 * the request goes there). `undefined` when one of them comes twice: node would join or drop the
 * copies, fastify decides.
 */
function leanHeaders(raw: readonly string[]): LeanHeaders | undefined {
  let contentType: string | undefined
  let contentLength: string | undefined
  let chunked = false
  let correlator: string | undefined
  let authorization: string | undefined
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] as string
    const value = raw[i + 1] as string
    switch (name.length) {
      case 12:
        if (named(name, 'content-type')) {
          if (contentType !== undefined) return undefined
          contentType = value
        } else if (named(name, 'x-correlator')) {
          if (correlator !== undefined) return undefined
          correlator = value
        }
        break
      case 13:
        if (named(name, 'authorization')) {
          if (authorization !== undefined) return undefined
          authorization = value
        }
        break
      case 14:
        if (named(name, 'content-length')) {
          if (contentLength !== undefined) return undefined
          contentLength = value
        }
        break
      case 17:
        if (named(name, 'transfer-encoding')) chunked = true
        break
    }
  }
  return { contentType, contentLength, chunked, correlator, authorization }
}

/**
 * Whether a raw header name of `lower`'s length is `lower` (letters and `-`), in any case. Setting
 * bit 0x20 lowers a letter and keeps `-`; of the characters a header name may hold (an RFC 9110
 * token, which node's parser enforces) no other one becomes a letter or `-` by it.
 */
function named(name: string, lower: string): boolean {
  if (name === lower) return true
  for (let i = 0; i < lower.length; i++)
    if ((name.charCodeAt(i) | 0x20) !== lower.charCodeAt(i)) return false
  return true
}

const PHONE_NUMBER_BODY_START = '{"device":{"phoneNumber":"'
const PHONE_NUMBER_BODY_END = '"}}'

/**
 * The body a two-legged call sends most (`JSON.stringify({ device: { phoneNumber } })`), read
 * without `JSON.parse`: exactly `{"device":{"phoneNumber":"…"}}` whose number is 1 to 64
 * characters, each `+` or a digit, gives the value `JSON.parse` gives; any other text
 * `undefined` (then {@link plainJson} reads it). Such a text has nothing {@link plainJson} turns
 * away (no escape, no key but these two, no exponent, fewer than 300 digits), so both give the
 * same value for it, and the operation's validator (ajv, the spec's schema) still decides whether
 * that value is valid: the phone number's pattern is not checked here.
 */
export function deviceByPhoneNumber(text: string): { device: { phoneNumber: string } } | undefined {
  const start = PHONE_NUMBER_BODY_START.length
  const end = text.length - PHONE_NUMBER_BODY_END.length
  if (
    end <= start ||
    end - start > 64 ||
    !text.startsWith(PHONE_NUMBER_BODY_START) ||
    !text.endsWith(PHONE_NUMBER_BODY_END)
  )
    return undefined
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i)
    if (c !== 43 && (c < 48 || c > 57)) return undefined
  }
  return { device: { phoneNumber: text.slice(start, end) } }
}

/**
 * The body as plain JSON, or `undefined` when fastify's parser must look at it: not JSON, empty, a
 * NUL character, a number that may be out of range, or a key that its prototype-poisoning checks
 * refuse (`__proto__`, `constructor`).
 */
export function plainJson(text: string): unknown {
  if (
    text === '' ||
    text.includes('\\u0000') ||
    text.includes('__proto__') ||
    text.includes('constructor') ||
    maybeHuge(text)
  )
    return undefined
  try {
    const value: unknown = JSON.parse(text)
    return typeof value === 'object' && value !== null ? value : undefined
  } catch {
    return undefined
  }
}

/**
 * Whether `text` may hold a number out of a double's range: an exponent (`\d[eE][+-]?\d`) or a
 * run of 300 digits. A loop over the characters: the regular expression of the same two cases
 * tried a 300-digit match at every digit, a measurable share of the request (bench/README.md).
 */
export function maybeHuge(text: string): boolean {
  let digits = 0
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c >= 48 && c <= 57) {
      if (++digits >= 300) return true
      continue
    }
    if (digits > 0 && (c === 101 || c === 69)) {
      let next = text.charCodeAt(i + 1)
      if (next === 43 || next === 45) next = text.charCodeAt(i + 2)
      if (next >= 48 && next <= 57) return true
    }
    digits = 0
  }
  return false
}

/** The request again, with the body already read, for fastify to read as if it were the original. */
function replay(raw: IncomingMessage, body: Buffer): IncomingMessage {
  return replayRequest(raw, body, { marks: { [ADMITTED]: true } })
}
