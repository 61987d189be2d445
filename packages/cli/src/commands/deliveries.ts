import { DELIVERY_STATUSES, type Delivery, type DeliveryFilter } from '../admin-client.js'
import type { Command } from '../command.js'
import { integer, oneOf } from '../input.js'
import { formatTable, json } from '../output.js'

/** `roaming-on` of `org.camaraproject.device-roaming-status-subscriptions.v0.roaming-on`. */
export function shortType(type: string): string {
  return type.slice(type.lastIndexOf('.') + 1)
}

export function formatDeliveries(deliveries: readonly Delivery[]): string {
  return formatTable(
    ['ID', 'SUBSCRIPTION', 'TYPE', 'STATUS', 'ATTEMPTS', 'LAST ERROR'],
    deliveries.map((d) => [
      d.id,
      d.subscriptionId,
      shortType(d.type),
      d.status,
      String(d.attempts),
      d.lastError ?? '-',
    ]),
  )
}

export const deliveriesList: Command = {
  name: 'deliveries list',
  args: [],
  summary: 'List the notifications of the outbox and how their delivery went',
  description:
    'Newest first. --json adds every attempt (time, HTTP status, error, duration) and the time of the next one.',
  options: {
    status: {
      type: 'string',
      value: DELIVERY_STATUSES.join('|'),
      description: 'only the deliveries in this status',
    },
    subscription: {
      type: 'string',
      value: 'ID',
      description: 'only the deliveries of this subscription',
    },
    limit: {
      type: 'string',
      value: 'N',
      description: 'at most N deliveries, 1 to 1000 (default 100)',
    },
    json: { type: 'boolean', description: 'print the raw JSON of the admin API' },
  },
  admin: true,
  examples: [
    'device-status deliveries list',
    'device-status deliveries list --status failed --limit 20',
    'device-status deliveries list --subscription 05c6f07b-af11-4025-8296-57d843c16933 --json',
  ],
  async run(context) {
    const { flags } = context
    const filter: DeliveryFilter = {}
    const status = flags.string('status')
    if (status !== undefined)
      filter.status = oneOf('status', DELIVERY_STATUSES, status, 'deliveries list')
    const subscription = flags.string('subscription')
    if (subscription !== undefined) filter.subscriptionId = subscription
    const limit = flags.string('limit')
    if (limit !== undefined)
      filter.limit = integer('limit', limit, { min: 1, max: 1000 }, 'deliveries list')
    const deliveries = await context.admin().listDeliveries(filter)
    if (flags.boolean('json')) context.io.stdout(json(deliveries))
    else if (deliveries.length === 0) context.io.stdout('No deliveries.\n')
    else context.io.stdout(formatDeliveries(deliveries))
  },
}
