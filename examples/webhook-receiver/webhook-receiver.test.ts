import assert from 'node:assert/strict'
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'
import { after, before, describe, it } from 'node:test'
import { startTestGateway, type TestGateway } from '../../packages/gateway/test/helpers/gateway.js'

const script = fileURLToPath(new URL('./index.js', import.meta.url))
const PHONE = '+34600000001'
const TOKEN = 'example-sink-token'

/** The example as a child process, with its stdout split in lines as they come. */
class Example {
  readonly lines: string[] = []
  readonly errors: string[] = []
  private waiters: { test: (l: string[]) => boolean; resolve: () => void }[] = []
  readonly child: ChildProcessWithoutNullStreams
  constructor(env: Record<string, string>) {
    this.child = spawn(process.execPath, [script], {
      env: { ...process.env, ...env },
    })
    const collect = (into: string[]) => {
      let rest = ''
      return (chunk: Buffer) => {
        const parts = (rest + chunk.toString()).split('\n')
        rest = parts.pop() ?? ''
        into.push(...parts)
        this.waiters = this.waiters.filter((w) => !(w.test(this.lines) && (w.resolve(), true)))
      }
    }
    this.child.stdout.on('data', collect(this.lines))
    this.child.stderr.on('data', collect(this.errors))
  }
  /** Resolves once the printed lines pass `test`; rejects after 10 s. */
  until(test: (lines: string[]) => boolean, what: string): Promise<void> {
    if (test(this.lines)) return Promise.resolve()
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(new Error(`${what}: got ${JSON.stringify(this.lines)} ${this.errors.join('\n')}`)),
        10_000,
      )
      this.waiters.push({
        test,
        resolve: () => {
          clearTimeout(timer)
          resolve()
        },
      })
    })
  }
  events(): string[] {
    return this.lines.filter((l) => /^\d{4}-\d{2}-\d{2}T/.test(l))
  }
}

describe('examples/webhook-receiver', () => {
  let gw: TestGateway
  let example: Example
  before(async () => {
    gw = await startTestGateway({ NOTIFY_BACKOFF_MS: '50' })
    example = new Example({
      GATEWAY_URL: gw.url,
      PORT: '0',
      SINK_TOKEN: TOKEN,
      PHONE_NUMBER: PHONE,
    })
  })
  after(async () => {
    if (example.child.exitCode === null) {
      example.child.kill('SIGKILL')
      await once(example.child, 'exit')
    }
    await gw.close()
  })

  it('subscribes, prints one line per roaming change, refuses bad notifications, deduplicates', async () => {
    const subscribed = () => example.lines.filter((l) => l.startsWith('subscribed'))
    await example.until(() => subscribed().length === 2, 'subscribed')
    const sink = /^listening on (\S+)$/.exec(example.lines[0] ?? '')?.[1]
    assert.ok(sink, example.lines[0])
    const ids = subscribed().map((l) => /: (\S+)$/.exec(l)?.[1])
    assert.match(subscribed()[0] ?? '', new RegExp(`^subscribed roaming-on for \\${PHONE}: `))
    assert.match(subscribed()[1] ?? '', new RegExp(`^subscribed roaming-off for \\${PHONE}: `))
    // Each subscription begins with subscription-started (the two may arrive in either order).
    await example.until(() => example.events().length === 2, 'subscription-started printed')
    assert.deepEqual(
      example
        .events()
        .map((l) => /^\S+Z (\S+) (\S+) (\S+) subscription=(\S+) id=\S+$/.exec(l)?.slice(1))
        .sort(),
      ids.map((id) => ['subscription-started', PHONE, 'SUBSCRIPTION_CREATED', id]).sort(),
    )

    await gw.admin('PATCH', `/network/v1/devices/${PHONE}`, { roaming: { countryCode: 208 } })
    await example.until(() => example.events().length === 3, 'roaming-on printed')
    await gw.admin('PATCH', `/network/v1/devices/${PHONE}`, { roaming: false })
    await example.until(() => example.events().length === 4, 'roaming-off printed')
    const events = example.events().slice(2)
    assert.equal(events.length, 2, events.join('\n'))
    assert.match(
      events[0] ?? '',
      new RegExp(`^\\S+Z roaming-on \\${PHONE} subscription=${ids[0]} id=\\S+$`),
    )
    assert.match(
      events[1] ?? '',
      new RegExp(`^\\S+Z roaming-off \\${PHONE} subscription=${ids[1]} id=\\S+$`),
    )

    // Sent again (at-least-once delivery): 204, not printed twice. Wrong token: 401. Junk: 400.
    const replay = {
      id: /id=(\S+)$/.exec(events[0] ?? '')?.[1],
      source: `${gw.url}/device-roaming-status-subscriptions/v0.8`,
      type: 'org.camaraproject.device-roaming-status-subscriptions.v0.roaming-on',
      specversion: '1.0',
      datacontenttype: 'application/json',
      time: new Date().toISOString(),
      data: { subscriptionId: ids[0], device: { phoneNumber: PHONE } },
    }
    const post = (body: unknown, token = TOKEN) =>
      fetch(sink, {
        method: 'POST',
        headers: {
          'content-type': 'application/cloudevents+json',
          authorization: `Bearer ${token}`,
        },
        body: JSON.stringify(body),
      })
    assert.equal((await post(replay)).status, 204)
    assert.equal((await post(replay, 'not-the-token')).status, 401)
    assert.equal((await post({ ...replay, specversion: '0.3' })).status, 400)
    assert.equal((await post({ ...replay, id: 'a-new-id' })).status, 204)
    await example.until((l) => l.some((x) => x.endsWith('id=a-new-id')), 'new event printed')
    assert.equal(example.events().length, 5)
    assert.equal(example.errors.filter((l) => l.startsWith('refused')).length, 2)

    // SIGTERM: unsubscribes (the subscription-ended events arrive before it stops), exits 0.
    example.child.kill('SIGTERM')
    const [code] = (await once(example.child, 'exit')) as [number | null]
    assert.equal(code, 0, example.errors.join('\n'))
    assert.ok(example.lines.includes('unsubscribed'))
    const ended = example.events().filter((l) => l.includes(' subscription-ended '))
    assert.deepEqual(
      ended.map((l) => /subscription-ended \S+ (\S+) subscription=(\S+)/.exec(l)?.slice(1)).sort(),
      ids.map((id) => ['SUBSCRIPTION_DELETED', id]).sort(),
    )
  })
})
