// Notification figures, on gateways started as `npm start` runs them (sandbox mode: the sink is a
// loopback address, which production mode refuses):
// - idle latency: network event → webhook, one subscription, 100 changes one after the other;
// - steady: 1,000 subscriptions spread over BENCH_NOTIFY_DEVICES devices (default 50: 20 each),
//   changes paced across the devices so that their notifications come at BENCH_NOTIFY_RATE
//   deliveries/s (default 5,000: issue 13's SQLite target; the PostgreSQL run's pace is
//   BENCH_PG_NOTIFY_RATE, default 2,000: its target), a device changed again only once the sink
//   has every notification of its previous change (a gateway slower than the pace gets fewer
//   changes, never a growing backlog), for BENCH_NOTIFY_SECONDS (default 10; 300
//   for the 5-minute memory run): deliveries/s to a local keep-alive sink, latency of every
//   delivery (event time → arrival), order per subscription, gateway CPU per delivery, the
//   gateways' RSS at start, peak and end;
// - burst: 1,000 subscriptions on one device, each change fanned out to all 1,000 at once, at
//   most two changes' notifications in flight, for min(BENCH_NOTIFY_SECONDS, 10) s: the same
//   figures (the last of a change's 1,000 waits 1,000 / rate seconds, so its p99 is no latency
//   target);
// - fan-out: BENCH_FANOUT subscriptions (default 100,000) on one device, and the time of the PATCH
//   that causes their notifications, of the first delivery and of the last (the rows are written
//   through the store module, 10,000 per transaction: creating them through the API would take
//   minutes); it waits BENCH_FANOUT_SECONDS (default 300) for the last.
import { readFileSync } from 'node:fs'
import { createServer } from 'node:http'
import { EVENT_APIS, subscriptionsPath } from '@device-status/contract'
import type { AddressInfo } from 'node:net'

/** The item at `index`, which the caller knows is there. */
function at<T>(items: readonly T[], index: number): T {
  const item = items[index]
  if (item === undefined) throw new Error(`no item at ${index}`)
  return item
}

const API = 'device-roaming-status-subscriptions' as const
const PREFIX = EVENT_APIS[API].prefix
const SECONDS = Number(process.env['BENCH_NOTIFY_SECONDS'] ?? 10)
const BURST_SECONDS = Math.min(SECONDS, 10)
const FANOUT = Number(process.env['BENCH_FANOUT'] ?? 100_000)
const FANOUT_SECONDS = Number(process.env['BENCH_FANOUT_SECONDS'] ?? 300)
const DEVICES = Math.max(1, Number(process.env['BENCH_NOTIFY_DEVICES'] ?? 50))
const RATE = Number(process.env['BENCH_NOTIFY_RATE'] ?? 5000)
const SUBSCRIPTIONS = 1000

export interface NotificationGateway {
  url: string
  pid: number
  adminToken?: string
  dataDir?: string
  /** Where the devices are changed when the network is not the gateway's own simulator (nef-sim). */
  network?: { url: string; adminToken?: string }
}

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
  if (response.status >= 300)
    throw new Error(`${method} ${path}: ${response.status} ${JSON.stringify(body)}`)
  return { status: response.status, body }
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** CPU seconds (user + system) a process used so far (Linux /proc; clock ticks of 10 ms). */
export function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return (Number(fields[11]) + Number(fields[12])) / 100
  } catch {
    return NaN
  }
}

/** Resident set size of a process, MiB (Linux /proc). */
function rssMiB(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8')
    const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN)
    return Math.round(kb / 102.4) / 10
  } catch {
    return NaN
  }
}

interface Arrival {
  at: number
  time: number
  subscriptionId: string
  type: string
}

export async function benchNotifications(options: {
  start: () => Promise<NotificationGateway>
  instances: number
  /** Only the idle latency (one subscription, 100 changes): the NEF path's figure. */
  idleOnly?: boolean
  /** What the idle latency goes through, in its line. */
  label?: string
  /** The gateways' PostgreSQL database (the fan-out's rows are written there); SQLite: unset. */
  databaseUrl?: string
  /** The steady shape's pace, deliveries/s (default BENCH_NOTIFY_RATE). */
  rate?: number
}) {
  const rate = options.rate ?? RATE
  const arrivals: Arrival[] = []
  let started = 0
  // The steady shape's devices: which device a subscription watches, and how many notifications
  // of its device's changes the sink has still to receive.
  const phoneOf = new Map<string, string>()
  const owed = new Map<string, number>()
  const sink = createServer({ keepAlive: true }, (req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const at = Date.now()
      const body = JSON.parse(Buffer.concat(chunks).toString()) as {
        type: string
        time: string
        data: { subscriptionId: string }
      }
      if (body.type === PREFIX + 'subscription-started') started++
      else {
        const phone = phoneOf.get(body.data.subscriptionId)
        if (phone !== undefined) owed.set(phone, (owed.get(phone) ?? 1) - 1)
        arrivals.push({
          at,
          time: Date.parse(body.time),
          subscriptionId: body.data.subscriptionId,
          type: body.type,
        })
      }
      res.writeHead(204).end()
    })
  })
  sink.keepAliveTimeout = 30_000
  await new Promise<void>((r) => sink.listen(0, '127.0.0.1', r))
  const sinkUrl = `http://127.0.0.1:${(sink.address() as AddressInfo).port}/events`
  try {
    const gateways: NotificationGateway[] = []
    for (let i = 0; i < options.instances; i++) gateways.push(await options.start())
    const gateway = at(gateways, 0)
    const admin = gateway.adminToken ?? ''
    const token = (
      await call(gateway.url, 'POST', '/sandbox/v1/access-tokens', admin, {
        scope: `${API}:${PREFIX}roaming-status:create`,
        clientId: 'bench',
      })
    ).body?.['access_token'] as string
    // Subscriptions are spread over the instances, as a load balancer would.
    let next = 0
    const subscribe = (phoneNumber: string) =>
      call(at(gateways, next++ % gateways.length).url, 'POST', subscriptionsPath(API), token, {
        protocol: 'HTTP',
        sink: sinkUrl,
        types: [PREFIX + 'roaming-status'],
        config: { subscriptionDetail: { device: { phoneNumber } } },
      })
    // The devices change where the network is: the gateway's simulator, or nef-sim.
    const network = gateway.network
    const patch = (phoneNumber: string, i: number) =>
      call(
        network?.url ?? at(gateways, i % gateways.length).url,
        'PATCH',
        `/network/v1/devices/${encodeURIComponent(phoneNumber)}`,
        network?.adminToken ?? admin,
        { roaming: i % 2 === 0 ? { countryCode: 262 } : false },
      )
    /** Waits until `count` subscription-started events in all have arrived. */
    const startedAll = async (count: number) => {
      const deadline = Date.now() + 120_000
      while (started < count && Date.now() < deadline) await sleep(5)
    }

    // Idle latency: one subscription, 100 changes one after the other.
    await call(
      network?.url ?? gateway.url,
      'PUT',
      '/network/v1/devices/+34690000001',
      network?.adminToken ?? admin,
      {},
    )
    await subscribe('+34690000001')
    await startedAll(1)
    const idle: number[] = []
    for (let i = 0; i < 100; i++) {
      const before = arrivals.length
      const sent = Date.now()
      await patch('+34690000001', i)
      while (arrivals.length === before) await sleep(1)
      idle.push((arrivals[arrivals.length - 1]?.at ?? sent) - sent)
    }
    idle.sort((a, b) => a - b)
    if (options.idleOnly === true) {
      console.log(
        `notifications ${options.label ?? ''}: idle event → webhook p50 ${percentile(idle, 50)} ms, p99 ${percentile(idle, 99)} ms (one subscription, 100 changes)`,
      )
      return { idleLatencyP50: percentile(idle, 50), idleLatencyP99: percentile(idle, 99) }
    }

    /**
     * 1,000 subscriptions over these devices (a fresh device each, at home); `track`: the sink
     * counts their notifications per device (the steady shape).
     */
    const subscribeAll = async (phones: string[], track = false) => {
      for (const phone of phones)
        await call(
          gateway.url,
          'PUT',
          `/network/v1/devices/${encodeURIComponent(phone)}`,
          admin,
          {},
        )
      const before = started
      for (let i = 0; i < SUBSCRIPTIONS; i += 50) {
        await Promise.all(
          Array.from({ length: Math.min(50, SUBSCRIPTIONS - i) }, async (_, j) => {
            const phone = at(phones, (i + j) % phones.length)
            const id = (await subscribe(phone)).body?.['id']
            if (track && typeof id === 'string') phoneOf.set(id, phone)
          }),
        )
      }
      await startedAll(before + SUBSCRIPTIONS)
    }
    /**
     * Runs `drive` (which sends changes and says how many deliveries they owe), waits for those
     * deliveries (at most 60 s more), and measures the window: deliveries/s, latency, order,
     * CPU and RSS of the gateways.
     */
    const measure = async (
      shape: string,
      drive: () => Promise<{ changes: number; expected: number; seconds: number }>,
    ) => {
      const rss = gateways.map((g) => ({ start: rssMiB(g.pid), peak: rssMiB(g.pid), end: NaN }))
      const sampler = setInterval(() => {
        gateways.forEach((g, i) => (at(rss, i).peak = Math.max(at(rss, i).peak, rssMiB(g.pid))))
      }, 250)
      const first = arrivals.length
      const cpu0 = gateways.map((g) => cpuSeconds(g.pid))
      const t0 = Date.now()
      const { changes, expected, seconds } = await drive()
      const deadline = Date.now() + 60_000
      while (arrivals.length - first < expected && Date.now() < deadline) await sleep(10)
      const lastAt = arrivals[arrivals.length - 1]?.at ?? Date.now()
      clearInterval(sampler)
      gateways.forEach((g, i) => (at(rss, i).end = rssMiB(g.pid)))
      const cpu = gateways.reduce((sum, g, i) => sum + cpuSeconds(g.pid) - (cpu0[i] ?? 0), 0)
      const window = arrivals.slice(first)
      const latencies = window.map((a) => a.at - a.time).sort((a, b) => a - b)
      // In order per subscription: each one's events alternate roaming on and off, as sent, with
      // non-decreasing event times.
      let outOfOrder = 0
      const lastTime = new Map<string, number>()
      for (const a of window) {
        if ((lastTime.get(a.subscriptionId) ?? 0) > a.time) outOfOrder++
        lastTime.set(a.subscriptionId, a.time)
      }
      const figures = {
        shape,
        subscriptions: SUBSCRIPTIONS,
        seconds,
        changes,
        expected,
        delivered: window.length,
        deliveriesPerSecond: Math.round(window.length / ((lastAt - t0) / 1000)),
        /** The gateways' CPU time (user + system) per delivery, µs: steadier than the rate. */
        cpuPerDelivery: Math.round((cpu * 1e6) / Math.max(1, window.length)),
        latencyP50: percentile(latencies, 50),
        latencyP99: percentile(latencies, 99),
        latencyMax: latencies[latencies.length - 1] ?? NaN,
        outOfOrder,
        rssMiB: rss,
      }
      console.log(
        `notifications, ${shape}: ${figures.deliveriesPerSecond} deliveries/s with ${SUBSCRIPTIONS} subscriptions on ${gateways.length} instance(s) ` +
          `(${figures.delivered}/${expected} delivered, ${changes} changes in ${seconds} s, ${figures.cpuPerDelivery} µs gateway CPU each); ` +
          `event → webhook p50 ${figures.latencyP50} ms, p99 ${figures.latencyP99} ms, max ${figures.latencyMax} ms; ` +
          `out of order ${outOfOrder}; RSS MiB start/peak/end ${rss.map((r) => `${r.start}/${r.peak}/${r.end}`).join(', ')}`,
      )
      return figures
    }

    // Steady: 1,000 subscriptions over DEVICES devices, changes paced to `rate` deliveries/s.
    const phones = Array.from(
      { length: DEVICES },
      (_, i) => `+3469100${String(i).padStart(4, '0')}`,
    )
    await subscribeAll(phones, true)
    const steady = await measure(`steady, ${DEVICES} devices at ${rate}/s`, async () => {
      const changesPerSecond = rate / (SUBSCRIPTIONS / DEVICES)
      const flips = new Map<string, number>()
      const busy = new Set<string>()
      let changes = 0
      let expected = 0
      let cursor = 0
      const inFlight = new Set<Promise<void>>()
      const t0 = Date.now()
      while (Date.now() - t0 < SECONDS * 1000) {
        const due = Math.floor(((Date.now() - t0) / 1000) * changesPerSecond)
        // A device is changed again once its last change has answered (its events stay in order)
        // and the sink has all that change's notifications; the next idle device first.
        let sent = false
        for (let k = 0; k < phones.length && changes < due; k++) {
          const phone = at(phones, cursor++ % phones.length)
          if (busy.has(phone) || (owed.get(phone) ?? 0) > 0) continue
          const flip = flips.get(phone) ?? 0
          flips.set(phone, flip + 1)
          busy.add(phone)
          changes++
          // Phone p holds the subscriptions j with j % DEVICES === p.
          const owes = Math.floor((SUBSCRIPTIONS - 1 - phones.indexOf(phone)) / DEVICES) + 1
          expected += owes
          owed.set(phone, (owed.get(phone) ?? 0) + owes)
          const task: Promise<void> = patch(phone, flip)
            .then(() => undefined)
            .finally(() => {
              busy.delete(phone)
              inFlight.delete(task)
            })
          inFlight.add(task)
          sent = true
        }
        if (!sent) await sleep(1)
      }
      await Promise.all([...inFlight])
      return { changes, expected, seconds: SECONDS }
    })

    // Burst: 1,000 subscriptions on one device, two changes' notifications at most in flight.
    await subscribeAll(['+34690000002'])
    const throughput = await measure('burst, 1,000 subscriptions on one device', async () => {
      const first = arrivals.length
      const t0 = Date.now()
      let changes = 0
      while (Date.now() - t0 < BURST_SECONDS * 1000) {
        if (arrivals.length - first >= (changes - 1) * SUBSCRIPTIONS)
          await patch('+34690000002', changes++)
        else await sleep(2)
      }
      return { changes, expected: changes * SUBSCRIPTIONS, seconds: BURST_SECONDS }
    })
    console.log(
      `notifications: idle event → webhook p50 ${percentile(idle, 50)} ms, p99 ${percentile(idle, 99)} ms (one subscription, 100 changes)`,
    )

    const fanout =
      FANOUT > 0
        ? await benchFanOut(gateways, admin, sinkUrl, subscribe, arrivals, options.databaseUrl)
        : undefined
    return {
      idleLatencyP50: percentile(idle, 50),
      idleLatencyP99: percentile(idle, 99),
      steady,
      throughput,
      fanout,
    }
  } finally {
    sink.closeAllConnections()
    sink.close()
  }
}

/**
 * FANOUT subscriptions on one device, written through the store module (one created through the
 * API is the template), then one PATCH of the device: how long it takes to answer, when the first
 * and the last of its notifications arrive (the fan-out worker writes them after the PATCH).
 */
async function benchFanOut(
  gateways: NotificationGateway[],
  admin: string,
  sinkUrl: string,
  subscribe: (phone: string) => Promise<{ body: Record<string, unknown> | undefined }>,
  arrivals: Arrival[],
  databaseUrl: string | undefined,
) {
  const gateway = at(gateways, 0)
  const phone = '+34690000003'
  await call(gateway.url, 'PUT', `/network/v1/devices/${encodeURIComponent(phone)}`, admin, {})
  const created = await subscribe(phone)
  const id = String(created.body?.['id'])
  const { openStore, newId } = await import('../packages/gateway/src/store/store.js')
  const store = await openStore(
    databaseUrl === undefined ? { dataDir: gateway.dataDir ?? '' } : { databaseUrl },
  )
  const t0 = Date.now()
  try {
    const template = await store.subscriptions.byId(id)
    if (template === undefined) throw new Error('template subscription not found')
    // In chunks of 10,000 (one statement per 1,000 rows), each its own transaction.
    for (let i = 1; i < FANOUT; i += 10_000) {
      const rows = Array.from({ length: Math.min(10_000, FANOUT - i) }, () => ({
        ...template,
        id: newId(),
        sink: sinkUrl,
      }))
      await store.transaction((trx) => trx.subscriptions.insertMany(rows))
    }
  } finally {
    await store.close()
  }
  const setup = (Date.now() - t0) / 1000
  console.log(
    `fan-out: ${FANOUT} subscriptions written in ${setup.toFixed(1)} s; PATCH of their device…`,
  )
  const before = arrivals.length
  const sent = Date.now()
  await call(gateway.url, 'PATCH', `/network/v1/devices/${encodeURIComponent(phone)}`, admin, {
    roaming: { countryCode: 262 },
  })
  const patchMs = Date.now() - sent
  const rss = gateways.map((g) => ({ start: rssMiB(g.pid), peak: rssMiB(g.pid) }))
  // All of them, or BENCH_FANOUT_SECONDS (default five minutes); how many had come by each 30 s
  // shows whether the pace holds as the outbox fills with settled rows.
  const deadline = Date.now() + FANOUT_SECONDS * 1000
  const marks: number[] = []
  while (arrivals.length - before < FANOUT && Date.now() < deadline) {
    gateways.forEach((g, i) => (at(rss, i).peak = Math.max(at(rss, i).peak, rssMiB(g.pid))))
    if (Date.now() - sent >= (marks.length + 1) * 30_000) marks.push(arrivals.length - before)
    await sleep(20)
  }
  const delivered = arrivals.length - before
  const firstMs = (arrivals[before]?.at ?? NaN) - sent
  const lastMs = (arrivals[arrivals.length - 1]?.at ?? NaN) - sent
  console.log(
    `fan-out: ${FANOUT} subscriptions on one device (written in ${setup.toFixed(1)} s): the PATCH answered in ${patchMs} ms; ` +
      `first notification after ${firstMs} ms, ${delivered}/${FANOUT} delivered, the last after ${lastMs} ms ` +
      `(${Math.round(delivered / (lastMs / 1000))}/s${marks.length === 0 ? '' : `; by 30 s each: ${marks.join(', ')}`}); RSS MiB start/peak ${rss.map((r) => `${r.start}/${r.peak}`).join(', ')}`,
  )
  return { subscriptions: FANOUT, setupSeconds: setup, patchMs, firstMs, lastMs, delivered, marks }
}
