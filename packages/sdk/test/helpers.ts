import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { ClientCredentials, type ClientOptions, type RequestEvent } from '@device-status/sdk'
import type { TestGateway } from '../../gateway/test/helpers/gateway.js'

export { startTestGateway, type TestGateway } from '../../gateway/test/helpers/gateway.js'
export { UserAgent, formOf } from '../../gateway/test/auth/browser.js'

export const REDIRECT = 'http://localhost:3000/callback'

/** The sandbox demo app at a test gateway, with every HTTP attempt recorded. */
export function demoCredentials(
  gw: TestGateway,
  options: ClientOptions = {},
): { credentials: ClientCredentials; events: RequestEvent[] } {
  const events: RequestEvent[] = []
  const credentials = new ClientCredentials({
    clientId: 'my-app-id',
    clientSecret: 'my-app-secret',
    baseUrl: gw.url,
    retry: { minDelay: 10, maxDelay: 50 },
    onRequest: (e) => events.push(e),
    ...options,
  })
  return { credentials, events }
}

/** Paths of the recorded attempts, in order. */
export function pathsOf(events: RequestEvent[]): string[] {
  return events.map((e) => new URL(e.url).pathname)
}
export { Receiver, type Received } from '../../gateway/test/helpers/receiver.js'
export { eventsOf as sinkEventsOf } from '../../gateway/test/helpers/subscription-api-suite.js'

/** A misbehaving server on 127.0.0.1: `handle` answers each request (its body already read). */
export async function startStubServer(
  handle: (req: IncomingMessage, res: ServerResponse, body: string) => void,
): Promise<{ url: string; close: () => Promise<void> }> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => handle(req, res, Buffer.concat(chunks).toString()))
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const { port } = server.address() as { port: number }
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => {
      server.closeAllConnections()
      return new Promise((r) => server.close(() => r()))
    },
  }
}
