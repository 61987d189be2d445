import { createServer, type IncomingHttpHeaders, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface Received {
  headers: IncomingHttpHeaders
  body: any
  at: number
}

type Answer = number | { status: number; headers?: Record<string, string> }

/**
 * A notification sink for tests: records every POST, answers with the status `respond` gives
 * (204 by default), and lets a test wait for a number of events.
 */
export class Receiver {
  readonly received: Received[] = []
  /** The answer: a status, or a status with headers (e.g. `Retry-After`). */
  respond: (event: any, count: number) => Answer | Promise<Answer> = () => 204
  private server: Server | undefined
  private waiters: { count: number; resolve: () => void }[] = []
  url = ''

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = []
      req.on('data', (c: Buffer) => chunks.push(c))
      req.on('end', () => {
        let body: unknown
        try {
          body = JSON.parse(Buffer.concat(chunks).toString())
        } catch {
          body = Buffer.concat(chunks).toString()
        }
        void Promise.resolve(this.respond(body, this.received.length + 1)).then((answer) => {
          const { status, headers } = typeof answer === 'number' ? { status: answer } : answer
          if (status >= 200 && status < 300)
            this.received.push({ headers: req.headers, body, at: Date.now() })
          res.writeHead(status, headers).end()
          this.waiters = this.waiters.filter((w) => {
            if (this.received.length >= w.count) w.resolve()
            return this.received.length < w.count
          })
        })
      })
    })
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve))
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/notify`
    return this
  }

  /** Resolves once `count` events in total were accepted; rejects after `ms`. */
  waitFor(count: number, ms = 5000): Promise<Received[]> {
    if (this.received.length >= count) return Promise.resolve(this.received)
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`only ${this.received.length} of ${count} events arrived`)),
        ms,
      )
      this.waiters.push({
        count,
        resolve: () => {
          clearTimeout(timer)
          resolve(this.received)
        },
      })
    })
  }

  types(): string[] {
    return this.received.map((r) => String(r.body?.type).split('.').pop() ?? '')
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server?.close(() => resolve()))
  }
}
