import type { FastifyInstance } from 'fastify'
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'
import type { Store } from '../store/store.js'

/** The gateway's Prometheus metrics, one registry per app (tests start several in a process). */
export interface Metrics {
  registry: Registry
  requests: Counter<'route' | 'method' | 'status'>
  duration: Histogram<'route'>
  deliveries: Counter<'outcome'>
}

export function createMetrics(store: Store): Metrics {
  const registry = new Registry()
  collectDefaultMetrics({ register: registry, prefix: 'device_status_' })
  const requests = new Counter({
    name: 'device_status_http_requests_total',
    help: 'HTTP requests by route, method and status',
    labelNames: ['route', 'method', 'status'] as const,
    registers: [registry],
  })
  const duration = new Histogram({
    name: 'device_status_http_request_duration_seconds',
    help: 'HTTP request duration by route',
    labelNames: ['route'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
    registers: [registry],
  })
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
  return { registry, requests, duration, deliveries }
}

/** `GET /metrics` (Prometheus text format) and the per-request counters. */
export function registerMetrics(app: FastifyInstance, metrics: Metrics): void {
  app.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? 'unknown'
    metrics.requests.inc({ route, method: request.method, status: reply.statusCode })
    metrics.duration.observe({ route }, reply.elapsedTime / 1000)
    done()
  })
  app.get('/metrics', async (_request, reply) => {
    reply.type(metrics.registry.contentType)
    return metrics.registry.metrics()
  })
}
