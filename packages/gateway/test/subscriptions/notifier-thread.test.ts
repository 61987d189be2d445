/**
 * Where a started gateway's notification POSTs leave from: with `NOTIFY_THREAD` on (the default)
 * from the notifier thread, with it off from the thread that serves requests. Node's HTTP client
 * publishes each request it starts on the `http.client.request.start` channel of its own thread,
 * so this thread (the gateway's) sees only the POSTs it sends itself.
 */
import assert from 'node:assert/strict'
import { subscribe, unsubscribe } from 'node:diagnostics_channel'
import type { ClientRequest } from 'node:http'
import { describe, it } from 'node:test'
import { startTestGateway } from '../helpers/gateway.js'
import { Receiver } from '../helpers/receiver.js'
import {
  ROAMING_API as API,
  ROAMING_PREFIX as PREFIX,
  subscribeToRoaming,
} from '../helpers/roaming-subscription.js'

const table: readonly (readonly [setting: string, fromThisThread: boolean])[] = [
  ['true', false],
  ['false', true],
]

describe('the notifier thread of a started gateway', () => {
  for (const [setting, fromThisThread] of table)
    it(`NOTIFY_THREAD=${setting}: the POSTs leave from ${fromThisThread ? 'the thread that serves requests' : 'the notifier thread'}`, async () => {
      const sink = await new Receiver().start()
      const gw = await startTestGateway({ NOTIFY_THREAD: setting })
      const port = new URL(sink.url).port
      const here: string[] = []
      const seen = (message: unknown) => {
        const request = (message as { request: ClientRequest }).request
        if (String(request.getHeader('host')).endsWith(`:${port}`)) here.push(request.path)
      }
      subscribe('http.client.request.start', seen)
      try {
        const phoneNumber = '+34612000071'
        await gw.admin('PUT', `/network/v1/devices/${phoneNumber}`, {})
        const token = await gw.token2(`${API}:${PREFIX}roaming-status:create`)
        await subscribeToRoaming(gw, token, sink.url, phoneNumber)
        await gw.admin('PATCH', `/network/v1/devices/${phoneNumber}`, {
          roaming: { countryCode: 208 },
        })
        const events = await sink.waitFor(2, 10_000)
        assert.deepEqual(
          events.map((event) => event.body.type),
          [PREFIX + 'subscription-started', PREFIX + 'roaming-status'],
        )
        assert.equal(
          here.length,
          fromThisThread ? 2 : 0,
          `POSTs from this thread: ${here.join(', ')}`,
        )
      } finally {
        unsubscribe('http.client.request.start', seen)
        await gw.close()
        await sink.stop()
      }
    })
})
