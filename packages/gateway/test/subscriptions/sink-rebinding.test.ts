import assert from 'node:assert/strict'
import type { LookupAddress } from 'node:dns'
import { after, before, describe, it } from 'node:test'
import { SinkAddressError, sinkTarget } from '../../src/notifications/sink-policy.js'
import { startTestGateway, type TestGateway } from '../helpers/gateway.js'
import { Receiver } from '../helpers/receiver.js'

const API = 'device-roaming-status-subscriptions'
const PREFIX = `org.camaraproject.${API}.v0.`
const PATH = `/${API}/v0.8/subscriptions`
const SCOPES = `${API}:${PREFIX}roaming-on:create ${API}:read ${API}:delete`
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

interface Delivery {
  id: string
  status: string
  attempts: number
  lastError: string | null
  history: { statusCode: number | null; error: string | null }[]
}

/**
 * The DNS the gateway sees: each name answers from a queue of answers, the last of which sticks.
 * A name that answers a good address once and a forbidden one afterwards is a rebinding attacker
 * (TTL 0): the creation check sees the first answer, every later lookup the second.
 */
const zone = new Map<string, string[][]>()
async function resolve(host: string): Promise<string[]> {
  const answers = zone.get(host)
  if (answers === undefined || answers.length === 0)
    throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' })
  return (answers.length > 1 ? answers.shift() : answers[0]) ?? []
}

describe('DNS rebinding: the sink policy applies to the address a delivery connects to', () => {
  let gw: TestGateway
  let sink: Receiver
  let token: string
  before(async () => {
    gw = await startTestGateway(
      { NOTIFY_BACKOFF_MS: '10', NOTIFY_MAX_ATTEMPTS: '8' },
      { resolveSinkHost: resolve },
    )
    sink = await new Receiver().start()
    token = await gw.token2(SCOPES)
  })
  after(async () => {
    await gw.close()
    await sink.stop()
  })

  const port = () => new URL(sink.url).port
  const subscribe = async (host: string, phoneNumber: string) => {
    const put = await gw.admin('PUT', `/network/v1/devices/${phoneNumber}`, {})
    assert.ok(put.status < 300, JSON.stringify(put.body))
    const created = await gw.post(
      PATH,
      {
        protocol: 'HTTP',
        sink: `http://${host}:${port()}/notify`,
        sinkCredential: {
          credentialType: 'ACCESSTOKEN',
          accessToken: 'rebind-token',
          accessTokenExpiresUtc: new Date(Date.now() + 3_600_000).toISOString(),
          accessTokenType: 'bearer',
        },
        types: [PREFIX + 'roaming-on'],
        config: { subscriptionDetail: { device: { phoneNumber } } },
      },
      token,
    )
    assert.equal(created.status, 201, 'the sink passed the check at creation')
    await gw.admin('PATCH', `/network/v1/devices/${phoneNumber}`, { roaming: { countryCode: 208 } })
    return created.body.id as string
  }
  const deliveries = async (id: string): Promise<Delivery[]> =>
    (await gw.admin('GET', `/admin/v1/deliveries?subscriptionId=${id}`)).body as Delivery[]
  async function until<T>(what: string, probe: () => Promise<T | undefined>): Promise<T> {
    // A deadline, not a count: eight attempts with backoff take seconds on a busy machine.
    const deadline = Date.now() + 15_000
    while (Date.now() < deadline) {
      const found = await probe()
      if (found !== undefined) return found
      await sleep(50)
    }
    throw new Error(`timed out waiting for ${what}`)
  }

  it('a sink name that resolves to a link-local address at delivery is refused though it passed at creation; the retry goes out once it resolves back', async () => {
    const refused = 'sink refused: 169.254.169.254 is in a private or link-local range'
    zone.set('rebind.test', [['127.0.0.1'], ['169.254.169.254']])
    const id = await subscribe('rebind.test', '+34612600001')

    const first = await until('a refused attempt', async () =>
      (await deliveries(id)).find((d) => d.history.some((h) => h.error === refused)),
    )
    assert.equal(first.status, 'pending', 'retried like any failed attempt')
    assert.equal(first.lastError, refused, 'the admin deliveries API shows why')
    assert.equal(
      sink.received.filter((e) => e.body?.data?.subscriptionId === id).length,
      0,
      'nothing was sent',
    )

    // The name resolves to the listener again: the next attempt connects and delivers.
    zone.set('rebind.test', [['127.0.0.1']])
    const delivered = await until('the delivery', async () =>
      (await deliveries(id)).find((d) => d.id === first.id && d.status === 'delivered'),
    )
    const history = delivered.history.map((h) => [h.statusCode, h.error])
    assert.deepEqual(history.at(-1), [204, null])
    assert.ok(history.length >= 2)
    for (const attempt of history.slice(0, -1)) assert.deepEqual(attempt, [null, refused])
    // The name reached the listener through the policy's resolver (it resolves nowhere else),
    // with the headers of every delivery.
    const received = sink.received.find((e) => e.body?.id === first.id)
    assert.ok(received, 'the listener got the event')
    assert.equal(received.headers['content-type'], 'application/cloudevents+json')
    assert.equal(received.headers['authorization'], 'Bearer rebind-token')
    assert.equal(received.headers['x-correlator'], first.id)
    assert.equal(received.headers['host'], `rebind.test:${port()}`)
  })

  it('every address of the answer is checked: one forbidden address among allowed ones fails the delivery for good after NOTIFY_MAX_ATTEMPTS', async () => {
    const refused = 'sink refused: 10.1.2.3 is in a private or link-local range'
    zone.set('mixed.test', [['127.0.0.1'], ['127.0.0.1', '10.1.2.3']])
    const id = await subscribe('mixed.test', '+34612600002')

    const failed = await until('the failed delivery', async () => {
      const all = await deliveries(id)
      return all.find((d) => d.status === 'failed')
    })
    assert.equal(failed.attempts, 8)
    assert.equal(failed.lastError, refused)
    assert.deepEqual(
      failed.history.map((h) => [h.statusCode, h.error]),
      Array.from({ length: 8 }, () => [null, refused]),
    )
    assert.equal(sink.received.filter((e) => e.body?.data?.subscriptionId === id).length, 0)
  })
})

describe('sinkTarget: the lookup a delivery connects through', () => {
  const policy = (answer: string[]) => ({
    allowLoopback: false,
    allowPrivate: false,
    resolve: async () => answer,
  })
  const lookup = (
    target: ReturnType<typeof sinkTarget>,
    options: { all?: boolean; family?: number },
  ) =>
    new Promise<{ address: string | LookupAddress[]; family?: number | undefined }>(
      (done, fail) => {
        assert.ok('lookup' in target)
        target.lookup('sink.test', options, (error, address, family) =>
          error === null ? done({ address, family }) : fail(error),
        )
      },
    )

  it('hands net.connect the checked addresses, of the family it asks for', async () => {
    const target = sinkTarget(
      'https://sink.test/notify',
      policy(['8.8.8.8', '2606:4700:4700::1111']),
    )
    assert.deepEqual(await lookup(target, { all: true }), {
      address: [
        { address: '8.8.8.8', family: 4 },
        { address: '2606:4700:4700::1111', family: 6 },
      ],
      family: undefined,
    })
    assert.deepEqual(await lookup(target, { family: 6 }), {
      address: '2606:4700:4700::1111',
      family: 6,
    })
    assert.deepEqual(await lookup(target, {}), { address: '8.8.8.8', family: 4 })
  })

  it('refuses the connection when an address is forbidden, or the URL before any lookup', async () => {
    await assert.rejects(
      lookup(sinkTarget('https://sink.test/', policy(['8.8.8.8', '::1'])), { all: true }),
      (error) =>
        error instanceof SinkAddressError &&
        error.message === 'sink refused: ::1 is a loopback address',
    )
    await assert.rejects(
      lookup(sinkTarget('http://sink.test/', policy(['8.8.8.8'])), {}),
      (error) => error instanceof SinkAddressError && error.message === 'sink must be an https URL',
    )
    // Nothing is looked up for an IP literal: it is checked at once.
    assert.deepEqual(sinkTarget('https://[fd00::1]/notify', policy([])), {
      refused: 'sink refused: fd00::1 is in a private or link-local range',
    })
    assert.deepEqual(sinkTarget('https://user:pw@sink.test/', policy([])), {
      refused: 'sink must not carry credentials',
    })
  })
})
