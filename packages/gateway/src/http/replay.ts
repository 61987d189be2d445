import type { IncomingHttpHeaders, IncomingMessage } from 'node:http'
import { PassThrough } from 'node:stream'

/**
 * The request again, as a readable stream of `body` (already read from the original), for a
 * handler that reads the body itself (fastify, oidc-provider) to take as if it were the
 * original: same method, URL, headers and socket. `headers` replaces the headers (a body changed
 * in length needs its own `content-length`); `marks` are set on the copy (a symbol that says the
 * request was already counted, say).
 */
export function replayRequest(
  raw: IncomingMessage,
  body: Buffer | string,
  options: { headers?: IncomingHttpHeaders; marks?: Record<symbol, unknown> } = {},
): IncomingMessage {
  const stream = new PassThrough()
  Object.assign(stream, {
    headers: options.headers ?? raw.headers,
    rawHeaders: raw.rawHeaders,
    method: raw.method,
    url: raw.url,
    httpVersion: raw.httpVersion,
    httpVersionMajor: raw.httpVersionMajor,
    httpVersionMinor: raw.httpVersionMinor,
    socket: raw.socket,
    connection: raw.socket,
    complete: true,
    ...options.marks,
  })
  stream.end(body)
  return stream as unknown as IncomingMessage
}
