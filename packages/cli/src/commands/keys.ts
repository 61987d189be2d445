import type { SigningKey } from '../admin-client.js'
import type { Command } from '../command.js'
import { formatTable, json } from '../output.js'

const JSON_OPTION = {
  json: { type: 'boolean', description: 'print the raw JSON of the admin API' },
} as const

export function formatKeys(keys: readonly SigningKey[]): string {
  return formatTable(
    ['KID', 'ALG', 'CURRENT', 'RETIRED'],
    keys.map((k) => [k.kid, k.alg, k.current ? 'yes' : 'no', k.retired ? 'yes' : 'no']),
  )
}

export const keysList: Command = {
  name: 'keys list',
  args: [],
  summary: 'List the token signing keys the gateway publishes',
  description:
    'The current key signs new tokens; retired keys stay in the JWKS so that tokens they signed still verify.',
  options: JSON_OPTION,
  admin: true,
  examples: ['device-status keys list', 'device-status keys list --json'],
  async run(context) {
    const keys = await context.admin().listKeys()
    context.io.stdout(context.flags.boolean('json') ? json(keys) : formatKeys(keys))
  },
}

export const keysRotate: Command = {
  name: 'keys rotate',
  args: [],
  summary: 'Make a new signing key current and retire the current one',
  options: JSON_OPTION,
  admin: true,
  examples: ['device-status keys rotate'],
  async run(context) {
    const result = await context.admin().rotateKeys()
    context.io.stdout(
      context.flags.boolean('json')
        ? json(result)
        : `New signing key ${result.kid}; the previous key is retired and still verifies the tokens it signed\n`,
    )
  },
}
