import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { startGateway } from '../../gateway/src/gateway.js'
import { startNefSim } from '../../gateway/src/nef-sim/server.js'
import { startTestGateway, type TestGateway } from '../../gateway/test/helpers/gateway.js'
import type { GatewayModule } from '../src/commands/start.js'

const ROOT = join(import.meta.dirname, '..', '..', '..')
const MAIN = ['--conditions=source', '--import', 'tsx', 'packages/cli/src/main.ts']
const LAUNCHER = join(ROOT, 'packages', 'cli', 'bin', 'device-status.js')

// Compile-time check: what `start` expects of the gateway module is what the gateway exports.
const gatewayModule: GatewayModule = { startGateway, startNefSim }

/** The environment of a child CLI, without the variables that would point it at another gateway. */
function cleanEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {}
  for (const [name, value] of Object.entries(process.env)) {
    if (
      value !== undefined &&
      !['ADMIN_TOKEN', 'DATA_DIR', 'DEVICE_STATUS_URL', 'PORT', 'HOST'].includes(name)
    )
      env[name] = value
  }
  return { ...env, ...extra }
}

interface Run {
  status: number | null
  stdout: string
  stderr: string
}

function run(
  args: readonly string[],
  options: { env?: Record<string, string>; cwd?: string; node?: readonly string[] } = {},
): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...(options.node ?? MAIN), ...args], {
      cwd: options.cwd ?? ROOT,
      env: cleanEnv(options.env),
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

/** Starts `device-status start` and resolves with the URL its banner prints. */
function startChild(
  args: readonly string[],
  options: { cwd?: string; node?: readonly string[] } = {},
) {
  const child = spawn(process.execPath, [...(options.node ?? MAIN), 'start', ...args], {
    cwd: options.cwd ?? ROOT,
    env: cleanEnv({ LOG_LEVEL: 'silent' }),
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()))
  const url = new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString()
      const match = /listening on (http:\/\/\S+)/.exec(output)
      if (match?.[1] !== undefined) resolve(match[1])
    })
    child.once('exit', (code) => reject(new Error(`start exited ${code}: ${output}`)))
  })
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve))
  return { child, url, exited, output: () => output }
}

async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  await new Promise<void>((resolve) => server.close(() => resolve()))
  assert.ok(typeof address === 'object' && address !== null)
  return address.port
}

describe('device-status against a running gateway', () => {
  let gw: TestGateway
  let admin: string[]
  const cli = (...args: string[]) => run([...args, ...admin])

  before(async () => {
    gw = await startTestGateway()
    admin = ['--url', gw.url, '--admin-token', gw.adminToken]
  })
  after(() => gw.close())

  it('devices list prints a table of every device', async () => {
    const result = await cli('devices', 'list')
    assert.equal(result.status, 0, result.stderr)
    const lines = result.stdout.trimEnd().split('\n')
    assert.match(
      lines[0] ?? '',
      /^PHONE NUMBER\s+ROAMING\s+CONNECTIVITY\s+NETWORK TYPE\s+SIM SWAPPED\s+SPECIAL$/,
    )
    const devices = (await gw.admin('GET', '/network/v1/devices')).body as unknown[]
    assert.equal(lines.length, devices.length + 1)
    assert.ok(
      lines.some((l) => /^\+34600000002\s+262 \(DE\)\s+DATA,SMS\s+4G\s+-\s+-$/.test(l)),
      result.stdout,
    )
    assert.ok(
      lines.some((l) => /^\+34600000004\s+no\s+none\s+none\s+-\s+-$/.test(l)),
      result.stdout,
    )
    assert.ok(
      lines.some((l) => /^\+34600000005\s+no\s+SMS\s+2G\s+-\s+-$/.test(l)),
      result.stdout,
    )
    assert.ok(
      lines.some((l) =>
        /^\+34600000006\s+no\s+DATA,SMS\s+5G\s+\d{4}-\d\d-\d\dT[\d:.]+Z\s+-$/.test(l),
      ),
      result.stdout,
    )
    // The special states (issue 15): no SIM, the network failing, APIs that do not apply.
    for (const [phone, special] of [
      ['+34600000008', 'no SIM'],
      [
        '+34600000009',
        'not applicable: device-roaming-status,device-reachability-status,connected-network-type,sim-swap,device-status',
      ],
      ['+34600000010', 'network failure (503)'],
    ] as const) {
      const line = lines.find((l) => l.startsWith(phone + ' '))
      assert.ok(line?.endsWith(`  ${special}`), `${phone}: ${line}`)
    }
  })

  it('devices list --json prints what the admin API answers', async () => {
    const result = await cli('devices', 'list', '--json')
    assert.equal(result.status, 0, result.stderr)
    assert.deepEqual(JSON.parse(result.stdout), (await gw.admin('GET', '/network/v1/devices')).body)
  })

  it('devices get prints one device as JSON; an unknown one is NOT_FOUND', async () => {
    const result = await cli('devices', 'get', '+34600000003')
    assert.equal(result.status, 0, result.stderr)
    const device = JSON.parse(result.stdout)
    assert.deepEqual(device, (await gw.admin('GET', '/network/v1/devices/+34600000003')).body)
    assert.deepEqual(device.roaming, {
      countryCode: 340,
      countryName: ['BL', 'GF', 'GP', 'MF', 'MQ'],
    })

    const missing = await cli('devices', 'get', '+34699999990')
    assert.equal(missing.status, 1)
    assert.equal(missing.stdout, '')
    assert.equal(missing.stderr, 'device-status: No simulated device +34699999990 (NOT_FOUND)\n')
  })

  it('devices set --roaming puts a device abroad, and changes nothing else', async () => {
    const before = (await gw.admin('GET', '/network/v1/devices/+34600000001')).body
    const result = await cli('devices', 'set', '+34600000001', '--roaming', '262')
    assert.equal(result.status, 0, result.stderr)
    const printed = JSON.parse(result.stdout)
    const stored = (await gw.admin('GET', '/network/v1/devices/+34600000001')).body
    assert.deepEqual(printed, stored)
    assert.deepEqual(stored.roaming, { countryCode: 262, countryName: ['DE'] })
    assert.deepEqual(stored.connectivity, before.connectivity)
    assert.equal(stored.networkType, before.networkType)
  })

  it('devices set --home --connectivity none --network-type 3G', async () => {
    const result = await cli(
      'devices',
      'set',
      '+34600000002',
      '--home',
      '--connectivity',
      'none',
      '--network-type',
      '3G',
    )
    assert.equal(result.status, 0, result.stderr)
    const stored = (await gw.admin('GET', '/network/v1/devices/+34600000002')).body
    assert.equal(stored.roaming, false)
    assert.deepEqual(stored.connectivity, [])
    assert.equal(stored.networkType, '3G')

    const off = await cli(
      'devices',
      'set',
      '+34600000002',
      '--network-type',
      'none',
      '--connectivity',
      'sms',
    )
    assert.equal(off.status, 0, off.stderr)
    const after = (await gw.admin('GET', '/network/v1/devices/+34600000002')).body
    assert.equal('networkType' in after, false)
    assert.deepEqual(after.connectivity, ['SMS'])
  })

  it('devices set --sim-swapped-at, --not-applicable, --network-unavailable and --json', async () => {
    const result = await cli(
      'devices',
      'set',
      '+34600000007',
      '--sim-swapped-at',
      '2026-11-01T10:00:00Z',
      '--not-applicable',
      'sim-swap,device-status',
      '--network-unavailable',
      'true',
      '--json',
      '{"consentPolicy":"approve","networkType":"2G"}',
      '--network-type',
      '5G',
    )
    assert.equal(result.status, 0, result.stderr)
    const stored = (await gw.admin('GET', '/network/v1/devices/+34600000007')).body
    assert.equal(stored.simSwappedAt, '2026-11-01T10:00:00.000Z')
    assert.deepEqual(stored.notApplicable, ['sim-swap', 'device-status'])
    assert.equal(stored.networkUnavailable, true)
    assert.equal(stored.consentPolicy, 'approve')
    assert.equal(stored.networkType, '5G', 'a flag overrides the same field of --json')
  })

  it('devices set creates a device that does not exist (PATCH 404 → PUT), and --create replaces', async () => {
    assert.equal((await gw.admin('GET', '/network/v1/devices/+34699999901')).status, 404)
    const created = await cli(
      'devices',
      'set',
      '+34699999901',
      '--network-type',
      '5G',
      '--sim-swapped-now',
    )
    assert.equal(created.status, 0, created.stderr)
    const stored = (await gw.admin('GET', '/network/v1/devices/+34699999901')).body
    assert.equal(stored.phoneNumber, '+34699999901')
    assert.equal(stored.networkType, '5G')
    assert.deepEqual(stored.connectivity, ['DATA', 'SMS'], 'defaults of a new device')
    assert.ok(Math.abs(Date.parse(stored.simSwappedAt) - Date.now()) < 60_000)

    const replaced = await cli(
      'devices',
      'set',
      '+34699999901',
      '--create',
      '--connectivity',
      'DATA',
    )
    assert.equal(replaced.status, 0, replaced.stderr)
    const after = (await gw.admin('GET', '/network/v1/devices/+34699999901')).body
    assert.equal(after.networkType, '4G', 'PUT resets what is not given')
    assert.equal('simSwappedAt' in after, false)
    assert.deepEqual(after.connectivity, ['DATA'])
  })

  it('devices set refuses bad values before calling the gateway (exit 2)', async () => {
    const cases: [string[], RegExp][] = [
      [['--network-type', '6G'], /--network-type takes 2G, 3G, 4G, 5G or none, not "6G"/],
      [['--roaming', 'DE'], /--roaming takes a Mobile Country Code/],
      [['--roaming', '262', '--home'], /use --roaming or --home, not both/],
      [['--connectivity', 'DATA,VOICE'], /--connectivity takes DATA, SMS or none/],
      [['--sim-swapped-at', 'yesterday'], /--sim-swapped-at takes an ISO 8601 date-time/],
      // A day that does not exist, and a time without its zone (never the machine's local time).
      [['--sim-swapped-at', '2026-02-30T10:00:00Z'], /--sim-swapped-at takes an ISO 8601/],
      [['--sim-swapped-at', '2026-11-01T10:00:00'], /--sim-swapped-at takes an ISO 8601/],
      [['--network-unavailable', 'yes'], /--network-unavailable takes true or false/],
      [['--json', '{oops'], /--json is not valid JSON/],
      [[], /nothing to set/],
    ]
    for (const [flags, message] of cases) {
      const result = await cli('devices', 'set', '+34600000008', ...flags)
      assert.equal(result.status, 2, `${flags.join(' ')}: ${result.stderr}`)
      assert.match(result.stderr, message)
      assert.match(result.stderr, /\(USAGE\)\nSee "device-status devices set --help"\.\n$/)
    }
    const stored = (await gw.admin('GET', '/network/v1/devices/+34600000008')).body
    assert.equal(stored.roaming, false)
    assert.equal(stored.networkUnavailable, false)
  })

  it('the gateway refusing a state is reported with its CAMARA code', async () => {
    const result = await cli('devices', 'set', '+34600000008', '--json', '{"colour":"blue"}')
    assert.equal(result.status, 1)
    assert.match(result.stderr, /^device-status: .+ \(INVALID_ARGUMENT\)\n$/)
  })

  it('devices delete removes a device; deleting it again is NOT_FOUND', async () => {
    assert.equal((await gw.admin('PUT', '/network/v1/devices/+34699999902', {})).status, 201)
    const result = await cli('devices', 'delete', '+34699999902')
    assert.equal(result.status, 0, result.stderr)
    assert.equal(result.stdout, 'Deleted +34699999902\n')
    assert.equal((await gw.admin('GET', '/network/v1/devices/+34699999902')).status, 404)

    const again = await cli('devices', 'delete', '+34699999902')
    assert.equal(again.status, 1)
    assert.equal(again.stderr, 'device-status: No simulated device +34699999902 (NOT_FOUND)\n')
  })

  describe('scenario run', () => {
    let dir: string
    before(() => {
      dir = mkdtempSync(join(tmpdir(), 'ds-cli-scenario-'))
    })
    after(() => rmSync(dir, { recursive: true, force: true }))

    const scenarioFile = (name: string, scenario: unknown) => {
      const file = join(dir, name)
      writeFileSync(file, JSON.stringify(scenario))
      return file
    }

    it('--wait follows a two-step scenario to its end and the device ends in its last state', async () => {
      assert.equal((await gw.admin('PUT', '/network/v1/devices/+34699999903', {})).status, 201)
      const file = scenarioFile('trip.json', {
        name: 'trip',
        steps: [
          { at: 0, phoneNumber: '+34699999903', set: { roaming: { countryCode: 208 } } },
          {
            at: 0.1,
            phoneNumber: '+34699999903',
            set: { connectivity: ['SMS'], networkType: '2G' },
          },
        ],
      })
      const result = await cli('scenario', 'run', file, '--wait')
      assert.equal(result.status, 0, result.stderr)
      const id = /^Scenario ([0-9a-f-]{36}) "trip": 2 steps$/m.exec(result.stdout)?.[1]
      assert.ok(id !== undefined, result.stdout)
      const lines = result.stdout.split('\n')
      assert.equal(
        lines.filter((l) =>
          /^\s+\+0\.000s\s+\+34699999903\s+set \{"roaming":\{"countryCode":208\}\}$/.test(l),
        ).length,
        1,
        result.stdout,
      )
      assert.ok(
        lines.some((l) =>
          /^applied\s+\+0\.000s\s+\+34699999903\s+set \{"roaming":\{"countryCode":208\}\}$/.test(l),
        ),
        result.stdout,
      )
      assert.ok(
        lines.some((l) =>
          /^applied\s+\+0\.100s\s+\+34699999903\s+set \{"connectivity":\["SMS"\],"networkType":"2G"\}$/.test(
            l,
          ),
        ),
        result.stdout,
      )
      assert.match(
        result.stdout,
        new RegExp(`^Scenario ${id} completed: 2 applied, 0 failed$`, 'm'),
      )
      const run = (await gw.admin('GET', `/network/v1/scenarios/${id}`)).body
      assert.equal(run.status, 'completed')

      const device = (await gw.admin('GET', '/network/v1/devices/+34699999903')).body
      assert.deepEqual(device.roaming, { countryCode: 208, countryName: ['FR'] })
      assert.deepEqual(device.connectivity, ['SMS'])
      assert.equal(device.networkType, '2G')
    })

    it('without --wait prints the id and the steps and returns at once', async () => {
      const file = scenarioFile('later.json', {
        steps: [{ at: '+2s', phoneNumber: '+34699999904', delete: true }],
      })
      const result = await cli('scenario', 'run', file)
      assert.equal(result.status, 0, result.stderr)
      const id = /^Scenario ([0-9a-f-]{36}): 1 step$/m.exec(result.stdout)?.[1]
      assert.ok(id !== undefined, result.stdout)
      assert.match(result.stdout, /^\s+\+2\.000s\s+\+34699999904\s+delete$/m)
      const run = (await gw.admin('GET', `/network/v1/scenarios/${id}`)).body
      assert.equal(run.status, 'running')
      await gw.admin('DELETE', `/network/v1/scenarios/${id}`)
    })

    it('--wait exits 1 when a step fails (unknown device)', async () => {
      const file = scenarioFile('broken.json', {
        steps: [{ at: '+50ms', phoneNumber: '+34699999977', set: { networkType: '5G' } }],
      })
      const result = await cli('scenario', 'run', file, '--wait')
      assert.equal(result.status, 1, result.stdout)
      assert.match(
        result.stdout,
        /^failed\s+\+0\.050s\s+\+34699999977\s+set \{"networkType":"5G"\}\n\s+No simulated device \+34699999977$/m,
      )
      assert.match(result.stdout, /completed: 0 applied, 1 failed/)
      assert.equal(result.stderr, 'device-status: 1 of 1 step failed (SCENARIO_STEP_FAILED)\n')
      assert.equal((await gw.admin('GET', '/network/v1/devices/+34699999977')).status, 404)
    })

    it('a missing file, bad JSON and an invalid scenario are errors', async () => {
      const missing = await cli('scenario', 'run', join(dir, 'nope.json'))
      assert.equal(missing.status, 1)
      assert.match(missing.stderr, /no such file: .*nope\.json \(FILE_UNREADABLE\)/)

      const badJson = join(dir, 'bad.json')
      writeFileSync(badJson, '{ "steps": [')
      const bad = await cli('scenario', 'run', badJson)
      assert.equal(bad.status, 1)
      assert.match(bad.stderr, /bad\.json is not valid JSON: .* \(INVALID_JSON\)/)

      const invalid = await cli('scenario', 'run', scenarioFile('empty.json', { steps: [] }))
      assert.equal(invalid.status, 1)
      assert.match(invalid.stderr, /^device-status: .+ \(INVALID_ARGUMENT\)\n$/)
    })
  })

  it('a wrong admin token is UNAUTHENTICATED (exit 1)', async () => {
    const result = await run(['devices', 'list', '--url', gw.url, '--admin-token', 'not-the-token'])
    assert.equal(result.status, 1)
    assert.equal(result.stdout, '')
    assert.match(
      result.stderr,
      /^device-status: The admin API needs Authorization: Bearer <ADMIN_TOKEN> \(UNAUTHENTICATED\)\n/,
    )
  })

  it('DEVICE_STATUS_URL and ADMIN_TOKEN replace --url and --admin-token', async () => {
    const result = await run(['devices', 'get', '+34600000009'], {
      env: { DEVICE_STATUS_URL: gw.url, ADMIN_TOKEN: gw.adminToken },
    })
    assert.equal(result.status, 0, result.stderr)
    assert.equal(JSON.parse(result.stdout).phoneNumber, '+34600000009')
  })
})

describe('device-status usage', () => {
  it('--help exits 0 for every command and group', async () => {
    const commands = [
      [[], 'device-status <command>'],
      [['start'], 'device-status start'],
      [['devices'], 'device-status devices <command>'],
      [['devices', 'list'], 'device-status devices list'],
      [['devices', 'get'], 'device-status devices get <phoneNumber>'],
      [['devices', 'set'], 'device-status devices set <phoneNumber>'],
      [['devices', 'delete'], 'device-status devices delete <phoneNumber>'],
      [['scenario'], 'device-status scenario <command>'],
      [['scenario', 'run'], 'device-status scenario run <FILE>'],
    ] as const
    await Promise.all(
      commands.map(async ([words, usage]) => {
        const result = await run([...words, '--help'])
        assert.equal(result.status, 0, `${words.join(' ')}: ${result.stderr}`)
        assert.equal(result.stderr, '')
        assert.ok(result.stdout.startsWith(`Usage: ${usage} [options]\n`), result.stdout)
      }),
    )
    const top = await run(['--help'])
    for (const name of ['start', 'devices list', 'devices set', 'scenario run'])
      assert.match(top.stdout, new RegExp(`^  ${name}\\b`, 'm'))
    const viaHelp = await run(['help', 'devices', 'set'])
    assert.equal(viaHelp.status, 0)
    assert.ok(
      viaHelp.stdout.startsWith('Usage: device-status devices set <phoneNumber> [options]\n'),
    )
    const setHelp = await run(['devices', 'set', '-h'])
    for (const flag of [
      '--roaming <MCC>',
      '--home',
      '--connectivity',
      '--network-type',
      '--sim-swapped-at',
      '--sim-swapped-now',
      '--not-applicable',
      '--network-unavailable',
      '--json',
      '--create',
      '--url',
      '--admin-token',
    ])
      assert.ok(setHelp.stdout.includes(flag), flag)
  })

  it('--version prints the package version', async () => {
    const { version } = JSON.parse(
      readFileSync(join(ROOT, 'packages', 'cli', 'package.json'), 'utf8'),
    )
    const result = await run(['--version'])
    assert.equal(result.status, 0)
    assert.equal(result.stdout, `device-status ${version}\n`)
  })

  it('bad usage exits 2 with one line and a hint to --help', async () => {
    const cases: [string[], string][] = [
      [
        ['frobnicate'],
        'device-status: unknown command "frobnicate" (USAGE)\nSee "device-status --help".\n',
      ],
      [
        ['devices', 'frob'],
        'device-status: unknown command "devices frob" (USAGE)\nSee "device-status devices --help".\n',
      ],
      [
        ['devices'],
        'device-status: "devices" needs a command: list, get, set, delete (USAGE)\nSee "device-status devices --help".\n',
      ],
      [
        ['--url', 'http://127.0.0.1:1', 'devices'],
        'device-status: "devices" needs a command: list, get, set, delete (USAGE)\nSee "device-status devices --help".\n',
      ],
      [
        ['devices', 'list', '--colour'],
        'device-status: unknown option --colour of "device-status devices list" (USAGE)\nSee "device-status devices list --help".\n',
      ],
      [
        ['devices', 'get'],
        'device-status: missing <phoneNumber> (USAGE)\nSee "device-status devices get --help".\n',
      ],
      [
        ['devices', 'get', '600000001'],
        'device-status: "600000001" is not an E.164 phone number such as +34600000001 (USAGE)\nSee "device-status devices get --help".\n',
      ],
      [
        ['devices', 'get', '+34600000001', 'extra'],
        'device-status: unexpected argument "extra" (USAGE)\nSee "device-status devices get --help".\n',
      ],
      [
        ['devices', 'set', '+34600000001', '--roaming'],
        'device-status: --roaming needs a value (USAGE)\nSee "device-status devices set --help".\n',
      ],
      [
        ['scenario', 'run'],
        'device-status: missing <FILE> (USAGE)\nSee "device-status scenario run --help".\n',
      ],
      [
        ['start', '--port', 'http'],
        'device-status: --port takes a port from 0 to 65535, not "http" (USAGE)\nSee "device-status start --help".\n',
      ],
      [
        ['start', '--url', 'http://x'],
        'device-status: unknown option --url of "device-status start" (USAGE)\nSee "device-status start --help".\n',
      ],
    ]
    await Promise.all(
      cases.map(async ([args, stderr]) => {
        const result = await run(args)
        assert.equal(result.status, 2, `${args.join(' ')}: ${result.stderr}`)
        assert.equal(result.stderr, stderr)
        assert.equal(result.stdout, '')
      }),
    )
    const bare = await run([])
    assert.equal(bare.status, 2)
    assert.match(bare.stderr, /^Usage: device-status <command>/)
  })

  it('a gateway that is not running is named, with how to start it; --debug adds the stack', async () => {
    const url = `http://127.0.0.1:${await freePort()}`
    const result = await run(['devices', 'list', '--url', url, '--admin-token', 'x'.repeat(20)])
    assert.equal(result.status, 1)
    assert.equal(result.stdout, '')
    const [first, hint] = result.stderr.split('\n')
    assert.equal(first, `device-status: the gateway is not running at ${url} (GATEWAY_UNREACHABLE)`)
    assert.match(hint ?? '', /device-status start/)
    assert.doesNotMatch(result.stderr, /^\s+at /m, 'no stack trace without --debug')

    const debug = await run([
      'devices',
      'list',
      '--url',
      url,
      '--admin-token',
      'x'.repeat(20),
      '--debug',
    ])
    assert.equal(debug.status, 1)
    assert.match(debug.stderr, /^\s+at /m)
    assert.match(debug.stderr, /Caused by: .*ECONNREFUSED/)
  })

  it('without --admin-token or ADMIN_TOKEN it reads the token file in DATA_DIR', async () => {
    const gw = await startTestGateway()
    try {
      assert.equal(gw.config.adminToken, undefined, 'the gateway generated its token')
      assert.equal(readFileSync(join(gw.dataDir, 'admin-token'), 'utf8').trim(), gw.adminToken)
      const result = await run(['devices', 'list', '--json', '--url', gw.url], {
        env: { DATA_DIR: gw.dataDir },
      })
      assert.equal(result.status, 0, result.stderr)
      assert.equal(JSON.parse(result.stdout).length, 12)

      const elsewhere = mkdtempSync(join(tmpdir(), 'ds-cli-empty-'))
      try {
        const none = await run(['devices', 'list', '--url', gw.url], {
          env: { DATA_DIR: elsewhere },
        })
        assert.equal(none.status, 1)
        assert.match(
          none.stderr,
          /^device-status: no admin token \(looked for .*admin-token\) \(MISSING_ADMIN_TOKEN\)\n/,
        )
      } finally {
        rmSync(elsewhere, { recursive: true, force: true })
      }
    } finally {
      await gw.close()
    }
  })
})

describe('device-status start', () => {
  it('runs the gateway on the port given, serves /health, and exits 0 on SIGTERM', async () => {
    assert.equal(typeof gatewayModule.startGateway, 'function')
    const dataDir = mkdtempSync(join(tmpdir(), 'ds-cli-start-'))
    const started = startChild(['--port', '0', '--data-dir', dataDir])
    try {
      const url = await started.url
      assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/)
      assert.doesNotMatch(url, /:(0|8080)$/)
      assert.equal((await fetch(url + '/health')).status, 200)
      const token = readFileSync(join(dataDir, 'admin-token'), 'utf8').trim()
      assert.match(started.output(), new RegExp(`Admin token\\s+${token}`))
      assert.match(started.output(), /Demo app\s+client_id my-app-id\s+client_secret my-app-secret/)

      const list = await run(['devices', 'get', '+34666666666', '--url', url], {
        env: { DATA_DIR: dataDir },
      })
      assert.equal(list.status, 0, list.stderr)
      assert.equal(JSON.parse(list.stdout).phoneNumber, '+34666666666')

      started.child.kill('SIGTERM')
      assert.equal(await started.exited, 0, started.output())
    } finally {
      started.child.kill('SIGKILL')
      rmSync(dataDir, { recursive: true, force: true })
    }
  })

  it('names a port in use (exit 1)', async () => {
    const gw = await startTestGateway()
    const dataDir = mkdtempSync(join(tmpdir(), 'ds-cli-busy-'))
    try {
      const port = new URL(gw.url).port
      const result = await run(['start', '--port', port, '--data-dir', dataDir], {
        env: { LOG_LEVEL: 'silent' },
      })
      assert.equal(result.status, 1)
      assert.match(
        result.stderr,
        new RegExp(
          `^device-status: 127\\.0\\.0\\.1:${port} is already in use .*\\(ADDRESS_IN_USE\\)$`,
          'm',
        ),
      )
    } finally {
      await gw.close()
      rmSync(dataDir, { recursive: true, force: true })
    }
  })

  it('reports a bad configuration from the environment (exit 1)', async () => {
    const result = await run(['start'], { env: { DS_MODE: 'production' } })
    assert.equal(result.status, 1)
    assert.match(
      result.stderr,
      /^device-status: invalid configuration: ADMIN_TOKEN is required in production mode \(INVALID_CONFIGURATION\)$/m,
    )
  })

  it('bin/device-status.js runs the sources from any folder when nothing is built', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'ds-cli-bin-'))
    const started = startChild(['--port', '0', '--data-dir', dataDir], {
      cwd: tmpdir(),
      node: [LAUNCHER],
    })
    try {
      const url = await started.url
      const list = await run(['devices', 'list', '--json', '--url', url], {
        cwd: tmpdir(),
        node: [LAUNCHER],
        env: { DATA_DIR: dataDir },
      })
      assert.equal(list.status, 0, list.stderr)
      assert.equal(JSON.parse(list.stdout).length, 12)
      started.child.kill('SIGTERM')
      assert.equal(await started.exited, 0, started.output())
    } finally {
      started.child.kill('SIGKILL')
      rmSync(dataDir, { recursive: true, force: true })
    }
  })
})
