import {
  CONSENT_STATUSES,
  type Authorization,
  type Consent,
  type ConsentFilter,
  type Decision,
} from '../admin-client.js'
import type { Command, CommandContext } from '../command.js'
import { CliError, usageError } from '../errors.js'
import { e164PhoneNumber, oneOf } from '../input.js'
import { formatTable, json, plural } from '../output.js'

const JSON_OPTION = {
  json: { type: 'boolean', description: 'print the raw JSON of the admin API' },
} as const

export function formatConsents(consents: readonly Consent[]): string {
  return formatTable(
    ['ID', 'CLIENT ID', 'PHONE NUMBER', 'PURPOSE', 'STATUS', 'UPDATED AT', 'SCOPES'],
    consents.map((c) => [
      c.id,
      c.clientId,
      c.phoneNumber ?? '-',
      c.purpose,
      c.status,
      c.updatedAt,
      c.scopes.join(' '),
    ]),
  )
}

export function formatAuthorizations(requests: readonly Authorization[]): string {
  return formatTable(
    ['ID', 'FLOW', 'CLIENT ID', 'PHONE NUMBER', 'PURPOSE', 'EXPIRES AT', 'SCOPES'],
    requests.map((r) => [
      r.id,
      r.flow,
      r.clientId,
      r.phoneNumber ?? '-',
      r.purpose,
      r.expiresAt,
      r.scopes.join(' '),
    ]),
  )
}

export const consentList: Command = {
  name: 'consent list',
  args: [],
  summary: 'List the consents users gave, refused or revoked',
  options: {
    phone: { type: 'string', value: '+34…', description: 'only the consents of this phone number' },
    client: { type: 'string', value: 'ID', description: 'only the consents given to this app' },
    status: {
      type: 'string',
      value: CONSENT_STATUSES.join('|'),
      description: 'only the consents in this status',
    },
    ...JSON_OPTION,
  },
  admin: true,
  examples: [
    'device-status consent list',
    'device-status consent list --phone +34600000002 --status granted',
    'device-status consent list --client my-app-id --json',
  ],
  async run(context) {
    const { flags } = context
    const filter: ConsentFilter = {}
    const phone = flags.string('phone')
    if (phone !== undefined) filter.phoneNumber = e164PhoneNumber(phone, 'consent list')
    const client = flags.string('client')
    if (client !== undefined) filter.clientId = client
    const status = flags.string('status')
    if (status !== undefined)
      filter.status = oneOf('status', CONSENT_STATUSES, status, 'consent list')
    const consents = await context.admin().listConsents(filter)
    if (flags.boolean('json')) context.io.stdout(json(consents))
    else if (consents.length === 0) context.io.stdout('No consents.\n')
    else context.io.stdout(formatConsents(consents))
  },
}

export const consentRevoke: Command = {
  name: 'consent revoke',
  args: ['<consentId>'],
  summary: 'Revoke a consent; the tokens issued under it are revoked too',
  options: JSON_OPTION,
  admin: true,
  examples: ['device-status consent revoke f63457c2-d3d2-418c-8f5c-ecaa1d6b3b98'],
  async run(context) {
    const result = await context.admin().revokeConsent(context.args[0] ?? '')
    context.io.stdout(
      context.flags.boolean('json') ? json(result) : `Revoked consent ${result.id}\n`,
    )
  },
}

export const consentPending: Command = {
  name: 'consent pending',
  args: [],
  summary:
    'List the authorization requests waiting for a decision (CIBA, and authorization code at the consent page)',
  options: JSON_OPTION,
  admin: true,
  examples: ['device-status consent pending', 'device-status consent pending --json'],
  async run(context) {
    const requests = await context.admin().listAuthorizations({ status: 'pending' })
    if (context.flags.boolean('json')) context.io.stdout(json(requests))
    else if (requests.length === 0) context.io.stdout('No pending authorization requests.\n')
    else context.io.stdout(formatAuthorizations(requests))
  },
}

const DONE = { approve: 'Approved', deny: 'Denied' } as const

async function decideOne(context: CommandContext, decision: Decision): Promise<void> {
  const id = context.args[0]
  if (id === undefined) {
    throw usageError('missing <id> (or --phone <+34…>)', `consent ${decision}`)
  }
  const result = await context.admin().decideAuthorization(id, decision)
  context.io.stdout(
    context.flags.boolean('json')
      ? json(result)
      : `${DONE[decision]} authorization request ${result.id} (${result.status})\n`,
  )
}

/** Approves every pending request of a phone number, skipping those decided or expired meanwhile. */
async function approveAllOf(context: CommandContext, phone: string): Promise<void> {
  const admin = context.admin()
  const pending = (await admin.listAuthorizations({ status: 'pending' })).filter(
    (r) => r.phoneNumber === phone,
  )
  const results: { id: string; status: string }[] = []
  for (const request of pending) {
    try {
      results.push(await admin.decideAuthorization(request.id, 'approve'))
    } catch (error) {
      // Decided, expired or polled away between the list and the approval: nothing to approve.
      if (!(error instanceof CliError) || error.code !== 'NOT_FOUND') throw error
    }
  }
  if (context.flags.boolean('json')) {
    context.io.stdout(json(results))
    return
  }
  for (const r of results) context.io.stdout(`Approved authorization request ${r.id}\n`)
  context.io.stdout(
    `Approved ${plural(results.length, 'pending request')} of ${phone}` +
      (results.length < pending.length
        ? ` (${pending.length - results.length} no longer pending)`
        : '') +
      '\n',
  )
}

export const consentApprove: Command = {
  name: 'consent approve',
  args: ['[<id>]'],
  summary: 'Approve a pending authorization request, as the user would',
  description:
    "Approves one request by its id (`consent pending`: a CIBA request's auth_req_id, or an authorization-code request waiting at the consent page), or with --phone every pending request of that phone number (printing how many). The app polling the token endpoint then gets its tokens; a consent page continues to the app with its code.",
  options: {
    phone: {
      type: 'string',
      value: '+34…',
      description: 'approve every pending request of this phone number',
    },
    ...JSON_OPTION,
  },
  admin: true,
  examples: [
    'device-status consent approve NFUa3OSZIMT08_4u2tvMB4kW63aLnGNz0ZNh7enJDyc',
    'device-status consent approve --phone +34600000002',
  ],
  async run(context) {
    const phone = context.flags.string('phone')
    if (phone === undefined) return decideOne(context, 'approve')
    if (context.args[0] !== undefined) {
      throw usageError('give <id> or --phone, not both', 'consent approve')
    }
    return approveAllOf(context, e164PhoneNumber(phone, 'consent approve'))
  },
}

export const consentDeny: Command = {
  name: 'consent deny',
  args: ['<id>'],
  summary: 'Deny a pending authorization request, as the user would',
  description:
    'The app polling the token endpoint then gets access_denied; a consent page continues to the app with error=access_denied.',
  options: JSON_OPTION,
  admin: true,
  examples: ['device-status consent deny NFUa3OSZIMT08_4u2tvMB4kW63aLnGNz0ZNh7enJDyc'],
  run: (context) => decideOne(context, 'deny'),
}
