import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { Counter, Histogram, Registry } from 'prom-client'
import { requestMetrics } from './metrics.js'

describe('request metrics', () => {
  it("read as prom-client's own Counter and Histogram read, for the same requests", async () => {
    const ours = new Registry()
    const cells = requestMetrics(ours)
    const theirs = new Registry()
    const requests = new Counter({
      name: 'device_status_http_requests_total',
      help: 'HTTP requests by route, method and status',
      labelNames: ['route', 'method', 'status'] as const,
      registers: [theirs],
    })
    const duration = new Histogram({
      name: 'device_status_http_request_duration_seconds',
      help: 'HTTP request duration by route',
      labelNames: ['route'] as const,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
      registers: [theirs],
    })
    assert.equal(await ours.metrics(), await theirs.metrics())
    const calls: [string, string, number, number][] = [
      ['/a', 'POST', 200, 0.0004],
      ['/a', 'POST', 200, 0.001],
      ['/a', 'POST', 429, 0.0025],
      ['/b "quoted"\\', 'GET', 404, 0.3],
      ['/a', 'GET', 200, 1],
      ['/b "quoted"\\', 'GET', 404, 7.5],
      ['/a', 'POST', 200, 0.05],
    ]
    for (const [index, [route, method, status, seconds]] of calls.entries()) {
      cells.cell(route, method, status).record(seconds)
      requests.inc({ route, method, status })
      duration.observe({ route }, seconds)
      // Read in between too: the counts carried over so far must not be counted again.
      if (index % 3 === 0) assert.equal(await ours.metrics(), await theirs.metrics())
    }
    assert.equal(await ours.metrics(), await theirs.metrics())
    assert.equal(cells.cell('/a', 'POST', 200), cells.cell('/a', 'POST', 200))
  })
})
