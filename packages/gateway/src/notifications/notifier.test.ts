/**
 * The HTTP notifier against a real sink on 127.0.0.1: what each kind of answer (or its absence)
 * becomes, what the sink receives, and that the sink policy decides where each connection goes;
 * the same table for the notifier that POSTs from a thread of its own (`NOTIFY_THREAD`).
 */
import assert from 'node:assert/strict'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { after, before, describe, it } from 'node:test'
import { httpNotifier, type Notifier, type NoticeResult } from './notifier.js'
import type { SinkPolicy } from './sink-policy.js'
import { threadedNotifier } from './threaded-notifier.js'

const SANDBOX: SinkPolicy = { allowLoopback: true, allowPrivate: false }

/** The sink's behaviour, by path. */
const ROUTES: Record<string, (req: IncomingMessage, res: ServerResponse) => void> = {
  '/ok': (_req, res) => res.writeHead(204).end(),
  '/accepted': (_req, res) =>
    res.writeHead(202, { 'content-type': 'text/plain' }).end('x'.repeat(70_000)),
  '/redirect': (_req, res) => res.writeHead(307, { location: '/ok' }).end(),
  '/busy': (_req, res) => res.writeHead(429, { 'retry-after': '7' }).end(),
  '/gone': (_req, res) => res.writeHead(410).end(),
  '/broken': (_req, res) => res.writeHead(500).end('boom'),
  '/silent': () => undefined,
  '/cut': (req) => req.socket.destroy(),
}

const NOTIFIERS: readonly (readonly [
  string,
  (policy: SinkPolicy, timeoutMs?: number) => Notifier,
])[] = [
  ['httpNotifier', (sinkPolicy, timeoutMs = 300) => httpNotifier({ sinkPolicy, timeoutMs })],
  [
    'threadedNotifier',
    (sinkPolicy, timeoutMs = 300) => threadedNotifier({ sinkPolicy, timeoutMs }),
  ],
]

for (const [kind, make] of NOTIFIERS)
  describe(`${kind}: one POST per notice, its outcome as the delivery policy reads it`, () => {
    let server: Server
    let base: string
    const received: { path: string; headers: IncomingMessage['headers']; body: string }[] = []
    const notifier = make(SANDBOX)

    before(async () => {
      server = createServer((req, res) => {
        const chunks: Buffer[] = []
        req.on('data', (c: Buffer) => chunks.push(c))
        req.on('end', () => {
          received.push({
            path: req.url ?? '',
            headers: req.headers,
            body: Buffer.concat(chunks).toString(),
          })
          ROUTES[req.url ?? '']?.(req, res)
        })
      })
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
      base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    })
    after(() => {
      notifier.close()
      server.closeAllConnections()
      server.close()
    })

    const notify = (path: string, credential: string | null = null) =>
      notifier.notify({
        sink: base + path,
        eventId: 'event-1',
        body: '{"id":"event-1"}',
        credential:
          credential === null
            ? null
            : { credentialType: 'ACCESSTOKEN', accessTokenType: 'bearer', accessToken: credential },
      })
    const outcome = ({ latencyMs: _, ...rest }: NoticeResult) => rest

    const cases: readonly (readonly [string, string, (result: NoticeResult) => void])[] = [
      [
        'a 2xx without a body',
        '/ok',
        (r) => assert.deepEqual(outcome(r), { kind: 'answered', statusCode: 204 }),
      ],
      [
        'a 2xx with a body, drained unread',
        '/accepted',
        (r) => assert.deepEqual(outcome(r), { kind: 'answered', statusCode: 202 }),
      ],
      [
        'a redirect, not followed',
        '/redirect',
        (r) => assert.deepEqual(outcome(r), { kind: 'answered', statusCode: 307 }),
      ],
      [
        'a 429 with Retry-After',
        '/busy',
        (r) => assert.deepEqual(outcome(r), { kind: 'answered', statusCode: 429, retryAfter: '7' }),
      ],
      [
        'a 410',
        '/gone',
        (r) => assert.deepEqual(outcome(r), { kind: 'answered', statusCode: 410 }),
      ],
      [
        'a 500',
        '/broken',
        (r) => assert.deepEqual(outcome(r), { kind: 'answered', statusCode: 500 }),
      ],
      [
        'no answer within the timeout',
        '/silent',
        (r) =>
          assert.deepEqual(outcome(r), {
            kind: 'unreachable',
            error: 'TimeoutError: the sink did not answer within 300 ms',
          }),
      ],
      [
        'a connection cut before the answer',
        '/cut',
        (r) => {
          assert.equal(r.kind, 'unreachable')
          assert.ok('error' in r && r.error.length > 0)
        },
      ],
    ]
    for (const [name, path, check] of cases)
      it(`${name} (${path})`, async () => check(await notify(path)))

    it('sends the CloudEvent as is, structured mode, with the x-correlator and the bearer token', async () => {
      await notify('/ok', 'sink-token')
      const last = received.at(-1)
      assert.equal(last?.body, '{"id":"event-1"}')
      assert.equal(last?.headers['content-type'], 'application/cloudevents+json')
      assert.equal(last?.headers['x-correlator'], 'event-1')
      assert.equal(last?.headers['authorization'], 'Bearer sink-token')
      await notify('/ok')
      assert.equal(received.at(-1)?.headers['authorization'], undefined)
    })

    it('keeps connections alive between deliveries to one sink', async () => {
      await notify('/ok')
      const sockets = new Set<unknown>()
      const count = (req: IncomingMessage) => sockets.add(req.socket)
      server.on('request', count)
      for (let i = 0; i < 10; i++) await notify('/ok')
      server.off('request', count)
      // Not one connection per delivery (a POST may start before the previous answer's drain has
      // handed its socket back to the agent, so a second may open).
      assert.ok(sockets.size <= 2, `${sockets.size} connections for 10 deliveries`)
    })

    it('answers each of many notices started together with its own outcome', async () => {
      // A timeout a loaded machine cannot reach: this is about which answer goes to which notice.
      const patient = make(SANDBOX, 10_000)
      const paths = Array.from({ length: 60 }, (_, i) => ['/ok', '/gone', '/busy'][i % 3] ?? '/ok')
      const results = await Promise.all(
        paths.map((path) =>
          patient.notify({ sink: base + path, eventId: 'e', body: '{}', credential: null }),
        ),
      )
      patient.close()
      const statuses: Record<string, number> = { '/ok': 204, '/gone': 410, '/busy': 429 }
      results.forEach((result, i) =>
        assert.deepEqual(
          'statusCode' in result ? result.statusCode : result,
          statuses[paths[i] ?? ''],
        ),
      )
    })

    it('refuses a loopback sink outside the sandbox without contacting it', async () => {
      const before = received.length
      const guarded = make({ allowLoopback: false, allowPrivate: false })
      const result = await guarded.notify({
        sink: base.replace('http:', 'https:') + '/ok',
        eventId: 'e',
        body: '{}',
        credential: null,
      })
      guarded.close()
      assert.equal(result.kind, 'unreachable')
      assert.match('error' in result ? result.error : '', /loopback/)
      assert.equal(received.length, before, 'the sink got nothing')
    })

    // Resolvers are functions: they stay on the thread that has them (the gateway never gives one
    // to the threaded notifier), so these two are the in-thread notifier's.
    if (kind === 'httpNotifier')
      it('connects only where the sink policy allows: a sink refused at delivery is not contacted', async () => {
        const table: readonly (readonly [string, SinkPolicy, string, RegExp])[] = [
          [
            'an http sink outside the sandbox',
            {
              allowLoopback: false,
              allowPrivate: true,
              resolve: () => Promise.resolve(['10.1.2.3']),
            },
            base.replace('127.0.0.1', 'sink.test') + '/ok',
            /https/,
          ],
          [
            'a name that now resolves to link-local',
            { ...SANDBOX, resolve: () => Promise.resolve(['169.254.169.254']) },
            base.replace('127.0.0.1', 'sink.test') + '/ok',
            /refused/,
          ],
          [
            'a name that does not resolve',
            { ...SANDBOX, resolve: () => Promise.resolve([]) },
            base.replace('127.0.0.1', 'sink.test') + '/ok',
            /cannot be resolved/,
          ],
        ]
        for (const [name, policy, sink, reason] of table) {
          const before = received.length
          const guarded = httpNotifier({ sinkPolicy: policy, timeoutMs: 300 })
          const result = await guarded.notify({ sink, eventId: 'e', body: '{}', credential: null })
          guarded.close()
          assert.equal(result.kind, 'unreachable', name)
          assert.match('error' in result ? result.error : '', reason, name)
          assert.equal(received.length, before, `${name}: the sink got nothing`)
        }
      })

    if (kind === 'httpNotifier')
      it('a name that resolves to the loopback sink is delivered through the policy', async () => {
        const named = httpNotifier({
          sinkPolicy: { ...SANDBOX, resolve: () => Promise.resolve(['127.0.0.1']) },
          timeoutMs: 300,
        })
        const result = await named.notify({
          sink: base.replace('127.0.0.1', 'sink.test') + '/ok',
          eventId: 'e',
          body: '{}',
          credential: null,
        })
        named.close()
        assert.deepEqual(outcome(result), { kind: 'answered', statusCode: 204 })
        assert.equal(
          received.at(-1)?.headers['host'],
          base.replace('http://127.0.0.1', 'sink.test'),
        )
      })
  })
