import type { EventFilter, NetworkEvent } from '../admin-client.js'
import type { Command } from '../command.js'
import { e164PhoneNumber, integer } from '../input.js'
import { formatTable, json } from '../output.js'

/** `roamingCountryCode null → 262`; `added` and `removed` for a whole device. */
export function changeOf(event: NetworkEvent): string {
  if (event.before === null) return 'added'
  if (event.after === null) return 'removed'
  const { before, after } = event
  const fields = [...new Set([...Object.keys(before), ...Object.keys(after)])]
  return fields
    .filter((f) => JSON.stringify(before[f]) !== JSON.stringify(after[f]))
    .map((f) => `${f} ${JSON.stringify(before[f] ?? null)} → ${JSON.stringify(after[f] ?? null)}`)
    .join(', ')
}

export function formatEvents(events: readonly NetworkEvent[]): string {
  return formatTable(
    ['SEQ', 'OCCURRED AT', 'PHONE NUMBER', 'TYPE', 'CHANGE'],
    events.map((e) => [String(e.seq), e.occurredAt, e.phoneNumber, e.type, changeOf(e)]),
  )
}

export const eventsList: Command = {
  name: 'events list',
  args: [],
  summary: 'List the network events (changes of the simulated devices), oldest first',
  description:
    'Each event has a sequence number: "--after <seq>" lists only what happened since. --json adds the states before and after.',
  options: {
    phone: { type: 'string', value: '+34…', description: 'only the events of this phone number' },
    after: {
      type: 'string',
      value: 'SEQ',
      description: 'only the events after this sequence number',
    },
    limit: { type: 'string', value: 'N', description: 'at most N events, 1 to 1000 (default 100)' },
    json: { type: 'boolean', description: 'print the raw JSON of the admin API' },
  },
  admin: true,
  examples: [
    'device-status events list',
    'device-status events list --phone +34600000001 --after 12 --limit 10',
    'device-status events list --json',
  ],
  async run(context) {
    const { flags } = context
    const filter: EventFilter = {}
    const phone = flags.string('phone')
    if (phone !== undefined) filter.phoneNumber = e164PhoneNumber(phone, 'events list')
    const after = flags.string('after')
    if (after !== undefined) filter.after = integer('after', after, { min: 0 }, 'events list')
    const limit = flags.string('limit')
    if (limit !== undefined)
      filter.limit = integer('limit', limit, { min: 1, max: 1000 }, 'events list')
    const events = await context.admin().listEvents(filter)
    if (flags.boolean('json')) context.io.stdout(json(events))
    else if (events.length === 0) context.io.stdout('No events.\n')
    else context.io.stdout(formatEvents(events))
  },
}
