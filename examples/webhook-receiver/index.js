// A webhook receiver: subscribes to roaming-on and roaming-off for a sandbox device (two-legged),
// receives the CloudEvents at /notifications, validates each with parseNotification and prints one
// line per event. Delivery is at least once: events are deduplicated by their id.
import { createServer } from 'node:http'
import {
  ClientCredentials,
  DeviceStatus,
  NotificationError,
  parseNotification,
} from '@device-status/sdk'

const PHONE_NUMBER = process.env.PHONE_NUMBER ?? '+34600000001'
const PORT = Number(process.env.PORT ?? 9000)
// The bearer token the gateway sends with each notification; one per run unless given.
const SINK_TOKEN = process.env.SINK_TOKEN ?? crypto.randomUUID()

const credentials = new ClientCredentials({
  clientId: process.env.CLIENT_ID ?? 'my-app-id',
  clientSecret: process.env.CLIENT_SECRET ?? 'my-app-secret',
  baseUrl: process.env.GATEWAY_URL ?? 'http://127.0.0.1:8080',
})
const deviceStatus = new DeviceStatus(credentials, { device: { phoneNumber: PHONE_NUMBER } })

// Event ids already handled (a real app keeps them in its database, with the event).
const seen = new Set()

// The reason a lifecycle event carries: SUBSCRIPTION_CREATED, SUBSCRIPTION_INACTIVE, …
function reasonOf(event) {
  if (event.type === 'subscription-started') return event.initiationReason
  if (event.type === 'subscription-updated') return event.updateReason
  if (event.type === 'subscription-ended') return event.terminationReason
  return undefined
}

function describe(event) {
  const who = event.device?.phoneNumber ?? event.phoneNumber ?? '-'
  const reason = reasonOf(event)
  const extra = reason === undefined ? '' : ` ${reason}`
  return `${event.time.toISOString()} ${event.type} ${who}${extra} subscription=${event.subscriptionId} id=${event.id}`
}

const server = createServer((req, res) => {
  if (req.method !== 'POST' || req.url !== '/notifications') {
    res.writeHead(404).end()
    return
  }
  const chunks = []
  req.on('data', (chunk) => chunks.push(chunk))
  req.on('end', () => {
    let event
    try {
      event = parseNotification(Buffer.concat(chunks).toString('utf8'), req.headers, {
        expectedToken: SINK_TOKEN,
      })
    } catch (error) {
      if (!(error instanceof NotificationError)) throw error
      console.error(`refused a notification: ${error.message} (${error.code})`)
      res.writeHead(error.status).end() // 400, or 401 for a wrong token
      return
    }
    if (!seen.has(event.id)) {
      seen.add(event.id)
      console.log(describe(event))
    }
    res.writeHead(204).end()
  })
})

await new Promise((resolve) => server.listen(PORT, '127.0.0.1', resolve))
const sink = `http://127.0.0.1:${server.address().port}/notifications`
console.log(`listening on ${sink}`)

const subscriptions = []
for (const type of ['roaming-on', 'roaming-off']) {
  const subscription = await deviceStatus.createRoamingSubscription({
    type,
    sink,
    sinkCredential: {
      accessToken: SINK_TOKEN,
      accessTokenExpiresUtc: new Date(Date.now() + 86_400_000),
    },
  })
  subscriptions.push(subscription)
  console.log(`subscribed ${type} for ${PHONE_NUMBER}: ${subscription.id}`)
}

// Ctrl-C: delete the subscriptions (their subscription-ended events still arrive), then stop.
let stopping = false
async function stop() {
  if (stopping) return
  stopping = true
  for (const { id } of subscriptions) await deviceStatus.deleteRoamingSubscription(id)
  console.log('unsubscribed')
  setTimeout(() => {
    server.close(() => process.exit(0))
    server.closeAllConnections()
  }, 500)
}
process.on('SIGINT', () => void stop())
process.on('SIGTERM', () => void stop())
