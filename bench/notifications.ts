// Notification figures: network event → webhook latency (p50, p99), and deliveries per second
// with 1,000 subscriptions on one device (one network change fans out to all of them).
import { createServer } from 'node:http'
import { EVENT_APIS, subscriptionsPath } from '@device-status/contract'
import type { AddressInfo } from 'node:net'

const API = 'device-roaming-status-subscriptions' as const
const PREFIX = EVENT_APIS[API].prefix

async function call(url: string, method: string, path: string, token: string, json?: unknown) {
  const response = await fetch(url + path, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(json === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(json === undefined ? {} : { body: JSON.stringify(json) }),
  })
  const body = (await response.json().catch(() => undefined)) as Record<string, unknown> | undefined
  return { status: response.status, body }
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

export async function benchNotifications(gateway: { url: string; adminToken: string }) {
  // State events (roaming-status) only: each subscription's subscription-started is counted apart.
  const arrivals: { at: number; body: unknown }[] = []
  let startedEvents = 0
  const sink = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString()) as { type?: unknown }
      if (body.type === PREFIX + 'subscription-started') startedEvents++
      else arrivals.push({ at: Date.now(), body })
      res.writeHead(204).end()
    })
  })
  await new Promise<void>((r) => sink.listen(0, '127.0.0.1', r))
  const sinkUrl = `http://127.0.0.1:${(sink.address() as AddressInfo).port}/events`
  try {
    const token = (
      await call(gateway.url, 'POST', '/sandbox/v1/access-tokens', gateway.adminToken, {
        scope: `${API}:${PREFIX}roaming-status:create`,
        clientId: 'bench',
      })
    )?.body?.['access_token'] as string
    const subscribe = (phoneNumber: string) =>
      call(gateway.url, 'POST', subscriptionsPath(API), token, {
        protocol: 'HTTP',
        sink: sinkUrl,
        types: [PREFIX + 'roaming-status'],
        config: { subscriptionDetail: { device: { phoneNumber } } },
      })

    /** Waits until `count` subscription-started events in all have arrived. */
    const startedAll = async (count: number) => {
      const deadline = Date.now() + 120_000
      while (startedEvents < count && Date.now() < deadline) await sleep(5)
    }

    // Latency: one subscription, 100 changes one after the other.
    await call(gateway.url, 'PUT', '/network/v1/devices/+34690000001', gateway.adminToken, {})
    await subscribe('+34690000001')
    await startedAll(1)
    const latencies: number[] = []
    for (let i = 0; i < 100; i++) {
      const before = arrivals.length
      const sent = Date.now()
      await call(gateway.url, 'PATCH', '/network/v1/devices/+34690000001', gateway.adminToken, {
        roaming: i % 2 === 0 ? { countryCode: 262 } : false,
      })
      while (arrivals.length === before) await sleep(1)
      latencies.push((arrivals[arrivals.length - 1]?.at ?? sent) - sent)
    }
    latencies.sort((a, b) => a - b)

    // Throughput: 1,000 subscriptions on one device, 5 changes → 5,000 deliveries.
    const subscriptions = 1000
    await call(gateway.url, 'PUT', '/network/v1/devices/+34690000002', gateway.adminToken, {})
    for (let i = 0; i < subscriptions; i += 50) {
      await Promise.all(
        Array.from({ length: Math.min(50, subscriptions - i) }, () => subscribe('+34690000002')),
      )
    }
    // Their subscription-started events are delivered before the clock starts.
    await startedAll(1 + subscriptions)
    const before = arrivals.length
    const started = Date.now()
    for (let i = 0; i < 5; i++) {
      await call(gateway.url, 'PATCH', '/network/v1/devices/+34690000002', gateway.adminToken, {
        roaming: i % 2 === 0 ? { countryCode: 262 } : false,
      })
    }
    const expected = before + subscriptions * 5
    const deadline = Date.now() + 120_000
    while (arrivals.length < expected && Date.now() < deadline) await sleep(20)
    const seconds = (Date.now() - started) / 1000
    return {
      latencyP50: percentile(latencies, 50),
      latencyP99: percentile(latencies, 99),
      subscriptions,
      delivered: arrivals.length - before,
      deliveriesPerSecond: Math.round((arrivals.length - before) / seconds),
    }
  } finally {
    sink.close()
  }
}
