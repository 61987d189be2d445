/**
 * The gateway's black-box suites of the APIs a NEF can answer, again in NEF mode: one
 * parameterised run, not a copy. Each suite file is imported here with `TEST_NETWORK=nef`, so
 * every gateway it starts runs with NETWORK=nef against a nef-sim of its own (a second process,
 * `device-status nef-sim`, with its own port and store), through Stoplight Prism as a validating proxy of the 3GPP Monitoring Event file
 * (`TEST_PRISM=0` leaves Prism out); a violation Prism sees fails the test that started that
 * gateway. The suites run on SQLite, then on PostgreSQL (skipped with a one-line reason when it
 * cannot be reached, failed in CI). What only the simulator can do is skipped by one rule,
 * `simulatorOnly(why)` (test/helpers/gateway.ts), with its reason in the test output.
 */
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { after, before, describe, it } from 'node:test'
import { postgresReachable } from './helpers/test-store.js'

/** The suites of roaming, reachability, their subscriptions and the legacy v0.5.1 API. */
const SUITES = [
  'roaming/roaming.test.ts',
  'reachability/reachability.test.ts',
  'subscriptions/roaming-subscriptions.test.ts',
  'subscriptions/other-subscriptions.test.ts',
  'device-status-v0/device-status-v0.test.ts',
  'subscriptions/legacy-subscriptions.test.ts',
]

process.env['TEST_NETWORK'] = 'nef'
// nef-sim as a second process, as in production (`TEST_NEF_SIM=inline` runs it in this one).
process.env['TEST_NEF_SIM'] ??= 'process'

/** Imports every suite under a describe whose hooks set the store the gateways run on. */
async function suitesOn(store: 'sqlite' | 'postgres'): Promise<void> {
  let previous: string | undefined
  before(() => {
    previous = process.env['TEST_STORE']
    process.env['TEST_STORE'] = store
  })
  after(() => {
    if (previous === undefined) delete process.env['TEST_STORE']
    else process.env['TEST_STORE'] = previous
  })
  // The query makes each store's import a module of its own (ESM caches by URL).
  for (const suite of SUITES)
    await import(`${pathToFileURL(join(import.meta.dirname, suite)).href}?store=${store}`)
}

await describe('NEF mode (nef-sim process through Prism) on SQLite', () => suitesOn('sqlite'))

const reachable = await postgresReachable()
if (reachable !== true) {
  if (process.env['CI'] === 'true') {
    it('PostgreSQL is reachable in CI', () => {
      throw new Error(reachable)
    })
  } else {
    it('runs the NEF mode suites on PostgreSQL', (t) => t.skip(reachable))
  }
} else {
  await describe('NEF mode (nef-sim process through Prism) on PostgreSQL', () =>
    suitesOn('postgres'))
}
