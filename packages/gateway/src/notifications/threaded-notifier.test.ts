/**
 * The threaded notifier when its thread fails (it cannot start, it ends, or it hangs): the notices
 * it held are answered `unreachable` (the delivery policy retries them) and the next ones are
 * POSTed from the calling thread. Its outcomes when the thread works are notifier.test.ts's table.
 */
import assert from 'node:assert/strict'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { after, before, describe, it } from 'node:test'
import { threadedNotifier } from './threaded-notifier.js'

/** A thread module, as a `data:` URL. */
const module = (code: string) => new URL(`data:text/javascript,${encodeURIComponent(code)}`)

describe('threadedNotifier: a thread that fails', () => {
  let server: Server
  let sink: string
  let received = 0
  before(async () => {
    server = createServer((_req, res) => {
      received++
      res.writeHead(204).end()
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    sink = `http://127.0.0.1:${(server.address() as AddressInfo).port}/ok`
  })
  after(() => {
    server.closeAllConnections()
    server.close()
  })
  const notice = { eventId: 'e', body: '{}', credential: null }

  const table: readonly (readonly [string, string])[] = [
    ['a thread that cannot start', 'throw new Error("no such thread")'],
    [
      'a thread that ends while it holds a notice',
      `import { parentPort } from 'node:worker_threads'; parentPort.once('message', () => process.exit(3))`,
    ],
    [
      'a thread that takes notices and never answers (hung)',
      `import { parentPort } from 'node:worker_threads'; parentPort.on('message', () => {})`,
    ],
  ]
  for (const [name, code] of table)
    it(`${name}: its notice fails, the next ones go from this thread`, async () => {
      const errors: Error[] = []
      const notifier = threadedNotifier({
        sinkPolicy: { allowLoopback: true, allowPrivate: false },
        timeoutMs: 300,
        hungAfterMs: 300,
        onError: (error) => errors.push(error),
        thread: module(code),
      })
      const first = await notifier.notify({ ...notice, sink })
      assert.equal(first.kind, 'unreachable')
      assert.match('error' in first ? first.error : '', /the notifier thread failed/)
      assert.equal(errors.length, 1, 'reported once')
      const before = received
      const next = await Promise.all([1, 2, 3].map(() => notifier.notify({ ...notice, sink })))
      for (const result of next) assert.deepEqual(result.kind, 'answered')
      assert.equal(received, before + 3)
      notifier.close()
    })

  it('answers notices after close as unreachable, never hanging', async () => {
    const notifier = threadedNotifier({
      sinkPolicy: { allowLoopback: true, allowPrivate: false },
      timeoutMs: 1000,
    })
    assert.equal((await notifier.notify({ ...notice, sink })).kind, 'answered')
    notifier.close()
    const late = await notifier.notify({ ...notice, sink })
    assert.deepEqual(late, { kind: 'unreachable', error: 'the notifier is closed', latencyMs: 0 })
  })
})
