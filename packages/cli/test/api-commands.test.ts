// Issue 15: CLI commands that call the APIs through the SDK, as an app does (CIBA or client
// credentials), and print the answer and the correlator.
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { startTestGateway, type TestGateway } from '../../gateway/test/helpers/gateway.js'

const ROOT = join(import.meta.dirname, '..', '..', '..')
const MAIN = ['--conditions=source', '--import', 'tsx', 'packages/cli/src/main.ts']
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

interface Run {
  status: number | null
  stdout: string
  stderr: string
}

function run(args: readonly string[]): Promise<Run> {
  const env: Record<string, string> = {}
  for (const [name, value] of Object.entries(process.env)) {
    if (
      value !== undefined &&
      !['CLIENT_ID', 'CLIENT_SECRET', 'DEVICE_STATUS_URL', 'ADMIN_TOKEN'].includes(name)
    )
      env[name] = value
  }
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...MAIN, ...args], {
      cwd: ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    child.once('error', reject)
    child.once('close', (status) => resolve({ status, stdout, stderr }))
  })
}

/** `key: value` lines as an object. */
function fields(stdout: string): Record<string, string> {
  return Object.fromEntries(
    stdout
      .trimEnd()
      .split('\n')
      .map((line) => {
        const at = line.indexOf(':')
        return [line.slice(0, at), line.slice(at + 1).trim()]
      }),
  )
}

describe('device-status API commands (through the SDK)', () => {
  let gw: TestGateway
  let started: number
  before(async () => {
    started = Date.now()
    gw = await startTestGateway({ CIBA_INTERVAL: '1' })
  })
  after(() => gw.close())

  const cli = (...args: string[]) => run([...args, '--url', gw.url])

  it('answers with the SDK, CIBA by default or client credentials by --flow, and prints the correlator', async () => {
    const cases: [string[], Record<string, string | RegExp>][] = [
      [
        ['roaming', '+34600000002'],
        { 'phone number': '+34600000002', roaming: 'true', country: 'DE (MCC 262)' },
      ],
      [
        ['roaming', '+34600000003', '--flow', 'client-credentials'],
        { roaming: 'true', country: 'BL, GF, GP, MF, MQ (MCC 340)' },
      ],
      [['roaming', '+34600000001', '--flow', 'client-credentials'], { roaming: 'false' }],
      [['reachability', '+34600000005'], { reachable: 'true', connectivity: 'SMS' }],
      [
        ['reachability', '+34600000004', '--flow', 'client-credentials'],
        { reachable: 'false', connectivity: 'none' },
      ],
      [['network-type', '+34600000001'], { 'network type': '5G' }],
      [
        ['network-type', '+34600000004', '--flow', 'client-credentials'],
        { 'network type': 'UNKNOWN' },
      ],
      [['sim-swap', 'date', '+34600000006'], { 'latest SIM change': /^\d{4}-\d\d-\d\dT/ }],
      [
        ['sim-swap', 'date', '+34600000008', '--flow', 'client-credentials'],
        { 'latest SIM change': 'none (no SIM, or older than the operator reveals)' },
      ],
      [['sim-swap', 'check', '+34600000006', '--max-age', '24'], { 'swapped within 24 h': 'true' }],
      [
        ['sim-swap', 'check', '+34600000006', '--max-age', '1', '--flow', 'client-credentials'],
        { 'swapped within 1 h': 'false' },
      ],
    ]
    await Promise.all(
      cases.map(async ([args, expected]) => {
        const result = await cli(...args)
        assert.equal(result.status, 0, `${args.join(' ')}: ${result.stderr}`)
        const got = fields(result.stdout)
        assert.equal(
          got['phone number'],
          args.find((a) => a.startsWith('+')),
        )
        for (const [key, value] of Object.entries(expected)) {
          if (typeof value === 'string') assert.equal(got[key], value, args.join(' '))
          else assert.match(got[key] ?? '', value, args.join(' '))
        }
        assert.match(got['correlator'] ?? '', UUID, result.stdout)
      }),
    )
  })

  it('sim-swap date is the swap of two hours before the start; --json prints the whole answer', async () => {
    const result = await cli('sim-swap', 'date', '+34600000006', '--json')
    assert.equal(result.status, 0, result.stderr)
    const body = JSON.parse(result.stdout) as { latestSimChange: string; correlator: string }
    assert.ok(Math.abs(Date.parse(body.latestSimChange) - (started - 2 * 3_600_000)) < 120_000)
    assert.match(body.correlator, UUID)
  })

  it('failures: one line with the code (and the correlator of an API answer), exit 1; bad usage exit 2', async () => {
    const failures: [string[], RegExp][] = [
      [
        ['roaming', '+34600000010', '--flow', 'client-credentials'],
        /^device-status: The network could not be reached for this device\. Try again later\. \(status 503, correlator [0-9a-f-]{36}\) \(UNAVAILABLE\)$/m,
      ],
      [
        ['reachability', '+34600000009'],
        /^device-status: .* \(status 422, correlator [0-9a-f-]{36}\) \(SERVICE_NOT_APPLICABLE\)$/m,
      ],
      [
        ['roaming', '+34699999999', '--flow', 'client-credentials'],
        /\(status 404, correlator [0-9a-f-]{36}\) \(IDENTIFIER_NOT_FOUND\)$/m,
      ],
      [
        ['roaming', '+34600000002', '--client-secret', 'wrong'],
        /^device-status: authorization failed: invalid_client: .* \(INVALID_CLIENT\)\nCheck --client-id and --client-secret/m,
      ],
      [
        ['roaming', '+34699999999'],
        /^device-status: authorization failed: unknown_user_id.* \(UNKNOWN_USER_ID\)$/m,
      ],
    ]
    const usage: [string[], string][] = [
      [
        ['roaming', '+34600000002', '--flow', 'three-legged'],
        '--flow takes ciba, client-credentials, not "three-legged"',
      ],
      [['roaming', '600000002'], '"600000002" is not an E.164 phone number such as +34600000001'],
      [
        ['sim-swap', 'check', '+34600000006', '--max-age', '0'],
        '--max-age takes an integer from 1 to 2400, not "0"',
      ],
      [['roaming'], 'missing <phoneNumber>'],
    ]
    await Promise.all([
      ...failures.map(async ([args, message]) => {
        const result = await cli(...args)
        assert.equal(result.status, 1, `${args.join(' ')}: ${result.stdout}${result.stderr}`)
        assert.equal(result.stdout, '')
        assert.match(result.stderr, message)
      }),
      ...usage.map(async ([args, message]) => {
        const result = await cli(...args)
        assert.equal(result.status, 2, `${args.join(' ')}: ${result.stderr}`)
        const command = args[0] === 'sim-swap' ? `sim-swap ${args[1]}` : args[0]
        assert.equal(
          result.stderr,
          `device-status: ${message} (USAGE)\nSee "device-status ${command} --help".\n`,
        )
      }),
    ])
  })

  it('a gateway that is not there: GATEWAY_UNREACHABLE, exit 1', async () => {
    const result = await run(['roaming', '+34600000002', '--url', 'http://127.0.0.1:1'])
    assert.equal(result.status, 1)
    assert.match(result.stderr, /\(GATEWAY_UNREACHABLE\)\nIs the gateway running\?/)
  })
})
