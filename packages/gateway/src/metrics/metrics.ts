import type { FastifyInstance } from 'fastify'
import {
  Counter,
  Gauge,
  Registry,
  collectDefaultMetrics,
  type MetricValueWithName,
} from 'prom-client'
import type { Store } from '../store/store.js'

/** The gateway's Prometheus metrics, one registry per app (tests start several in a process). */
export interface Metrics {
  registry: Registry
  /** Counts one answered request: `device_status_http_requests_total` and its duration. */
  requests: RequestMetrics
  deliveries: Counter<'outcome'>
}

/** One route's, method's and status's counts, found once and kept by the caller. */
export interface RequestCell {
  /** One more request of this route, method and status, which took `seconds`. */
  record(seconds: number): void
}

export interface RequestMetrics {
  /** The cell of a route, method and status (the same object every time). */
  cell(route: string, method: string, status: number): RequestCell
}

const DURATION_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1] as const

/** A route's, method's and status's count: what was not yet carried over to the counter. */
interface CountCell extends RequestCell {
  labels: { route: string; method: string; status: number }
  pending: number
}

/** One route's request durations: the histogram's buckets (not cumulative), sum and count. */
interface DurationCell {
  labels: { route: string }
  buckets: Float64Array
  sum: number
  count: number
}

/**
 * `device_status_http_requests_total` and `device_status_http_request_duration_seconds`, counted
 * in cells found once per route, method and status (the lean path keeps its cell): prom-client
 * would build and hash a label key on every call, a measurable share of the hottest request
 * (bench/README.md). The counter is prom-client's, brought up to date from the cells whenever it
 * is read; the histogram is written in prom-client's own value layout, so /metrics reads as it
 * did with prom-client's `Histogram`.
 */
export function requestMetrics(registry: Registry): RequestMetrics {
  const cells = new Map<string, Map<string, Map<number, CountCell>>>()
  const all: CountCell[] = []
  const durations = new Map<string, DurationCell>()
  new Counter({
    name: 'device_status_http_requests_total',
    help: 'HTTP requests by route, method and status',
    labelNames: ['route', 'method', 'status'] as const,
    registers: [registry],
    collect() {
      for (const cell of all) {
        if (cell.pending === 0) continue
        this.inc(cell.labels, cell.pending)
        cell.pending = 0
      }
    },
  })
  const name = 'device_status_http_request_duration_seconds'
  // The registry reads a metric through `get()` (and `reset()`); its type asks for one of
  // prom-client's classes, hence the cast below.
  registry.registerMetric({
    name,
    help: 'HTTP request duration by route',
    type: 'histogram',
    aggregator: 'sum',
    get() {
      const values: MetricValueWithName<string>[] = []
      for (const cell of durations.values()) {
        let cumulative = 0
        DURATION_BUCKETS.forEach((le, index) => {
          cumulative += cell.buckets[index] ?? 0
          values.push(shared({ le }, cumulative, `${name}_bucket`, cell.labels))
        })
        values.push(shared({ le: '+Inf' }, cell.count, `${name}_bucket`, cell.labels))
        values.push(shared({}, cell.sum, `${name}_sum`, cell.labels))
        values.push(shared({}, cell.count, `${name}_count`, cell.labels))
      }
      return {
        name,
        help: 'HTTP request duration by route',
        type: 'histogram',
        values,
        aggregator: 'sum',
      }
    },
    // Zeroed in place: the cells keep their duration cell for good.
    reset() {
      for (const cell of durations.values()) {
        cell.buckets.fill(0)
        cell.sum = 0
        cell.count = 0
      }
    },
  } as never)
  const durationOf = (route: string): DurationCell => {
    let cell = durations.get(route)
    if (cell === undefined) {
      cell = {
        labels: { route },
        buckets: new Float64Array(DURATION_BUCKETS.length),
        sum: 0,
        count: 0,
      }
      durations.set(route, cell)
    }
    return cell
  }
  return {
    cell(route, method, status) {
      let byMethod = cells.get(route)
      if (byMethod === undefined)
        cells.set(route, (byMethod = new Map<string, Map<number, CountCell>>()))
      let byStatus = byMethod.get(method)
      if (byStatus === undefined) byMethod.set(method, (byStatus = new Map<number, CountCell>()))
      let cell = byStatus.get(status)
      if (cell === undefined) {
        const duration = durationOf(route)
        const created: CountCell = {
          labels: { route, method, status },
          pending: 0,
          record(seconds: number) {
            created.pending++
            duration.count++
            duration.sum += seconds
            for (let i = 0; i < DURATION_BUCKETS.length; i++) {
              if (seconds <= (DURATION_BUCKETS[i] as number)) {
                ;(duration.buckets[i] as number)++
                break
              }
            }
          },
        }
        cell = created
        byStatus.set(status, cell)
        all.push(cell)
      }
      return cell
    },
  }
}

/** A value in prom-client's layout: own labels, and the labels shared by the series. */
function shared(
  labels: Record<string, string | number>,
  value: number,
  metricName: string,
  sharedLabels: Record<string, string>,
): MetricValueWithName<string> {
  return { labels, sharedLabels, value, metricName } as MetricValueWithName<string>
}

export function createMetrics(store: Store): Metrics {
  const registry = new Registry()
  collectDefaultMetrics({ register: registry, prefix: 'device_status_' })
  const requests = requestMetrics(registry)
  const deliveries = new Counter({
    name: 'device_status_notification_attempts_total',
    help: 'Notification delivery attempts by outcome (delivered, retry, failed)',
    labelNames: ['outcome'] as const,
    registers: [registry],
  })
  new Gauge({
    name: 'device_status_notifications_waiting',
    help: 'Notifications in the outbox not yet delivered (pending or queued)',
    registers: [registry],
    // A store that cannot be reached keeps the last value: the rest of the scrape still answers
    // (and /ready says what is wrong).
    async collect() {
      try {
        this.set(await store.notifications.waiting())
      } catch {
        // keep the last value
      }
    },
  })
  return { registry, requests, deliveries }
}

/** `GET /metrics` (Prometheus text format) and the per-request counters. */
export function registerMetrics(app: FastifyInstance, metrics: Metrics): void {
  app.addHook('onResponse', (request, reply, done) => {
    metrics.requests
      .cell(request.routeOptions.url ?? 'unknown', request.method, reply.statusCode)
      .record(reply.elapsedTime / 1000)
    done()
  })
  app.get('/metrics', async (_request, reply) => {
    reply.type(metrics.registry.contentType)
    return metrics.registry.metrics()
  })
}
