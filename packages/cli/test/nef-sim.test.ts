// `device-status nef-sim`: the simulator as a stand-alone NEF, run as the CLI runs it.
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'node:test'

const ROOT = join(import.meta.dirname, '..', '..', '..')
const MAIN = ['--conditions=source', '--import', 'tsx', 'packages/cli/src/main.ts']

/** The environment of a child CLI, without the variables that would point it elsewhere. */
function cleanEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {}
  for (const [name, value] of Object.entries(process.env)) {
    if (
      value !== undefined &&
      !['ADMIN_TOKEN', 'DATA_DIR', 'DATABASE_URL', 'DEVICE_STATUS_URL', 'PORT', 'HOST'].includes(
        name,
      ) &&
      !name.startsWith('NEF_')
    )
      env[name] = value
  }
  return { ...env, ...extra }
}

function spawnCli(args: readonly string[], env: Record<string, string> = {}) {
  const child = spawn(process.execPath, [...MAIN, ...args], {
    cwd: ROOT,
    env: cleanEnv({ LOG_LEVEL: 'silent', ...env }),
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
  const exited = new Promise<number | null>((resolve) => child.once('close', resolve))
  const url = new Promise<string>((resolve, reject) => {
    child.stdout.on('data', () => {
      const match = /listening on (http:\/\/\S+)/.exec(stdout)
      if (match?.[1] !== undefined) resolve(match[1])
    })
    child.once('exit', (code) => reject(new Error(`nef-sim exited ${code}: ${stdout}${stderr}`)))
  })
  url.catch(() => undefined)
  return { child, url, exited, stdout: () => stdout, stderr: () => stderr }
}

describe('device-status nef-sim', () => {
  it('serves the Monitoring Event API and the admin API, prints its apiRoot, exits 0 on SIGTERM', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'ds-cli-nef-sim-'))
    const started = spawnCli(['nef-sim', '--port', '0', '--data-dir', dataDir])
    try {
      const url = await started.url
      assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/)
      assert.doesNotMatch(url, /:(0|9090)$/)
      const token = readFileSync(join(dataDir, 'admin-token'), 'utf8').trim()
      const banner = started.stdout()
      assert.match(banner, new RegExp(`apiRoot\\s+${url} `))
      assert.match(
        banner,
        new RegExp(`Subscriptions\\s+${url}/3gpp-monitoring-event/v1/\\{scsAsId\\}/subscriptions`),
      )
      assert.match(banner, new RegExp(`Admin token\\s+${token}`))
      assert.match(banner, new RegExp(`NETWORK=nef NEF_BASE_URL=${url} NEF_SCS_AS_ID=`))

      const report = await fetch(`${url}/3gpp-monitoring-event/v1/cli-test/subscriptions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          msisdn: '34600000002',
          notificationDestination: 'http://127.0.0.1:9/unused',
          monitoringType: 'ROAMING_STATUS',
          plmnIndication: true,
          maximumNumberOfReports: 1,
        }),
      })
      assert.equal(report.status, 200)
      const body = (await report.json()) as { roamingStatus: boolean; plmnId: unknown }
      assert.equal(body.roamingStatus, true)
      assert.deepEqual(body.plmnId, { mcc: '262', mnc: '01' })

      // The admin commands of the CLI work against it as against the gateway's simulator.
      const get = spawnCli(['devices', 'get', '+34600000002', '--url', url], { DATA_DIR: dataDir })
      assert.equal(await get.exited, 0, get.stderr())
      assert.equal(JSON.parse(get.stdout()).roaming.countryCode, 262)

      started.child.kill('SIGTERM')
      assert.equal(await started.exited, 0, started.stderr())
    } finally {
      started.child.kill('SIGKILL')
      rmSync(dataDir, { recursive: true, force: true })
    }
  })

  const bad: [string, string[], Record<string, string>, number, RegExp][] = [
    [
      'a home PLMN that is not MCC-MNC',
      ['nef-sim'],
      { NEF_SIM_HOME_PLMN: '21407' },
      1,
      /^device-status: invalid configuration: NEF_SIM_HOME_PLMN must be MCC-MNC .*\(INVALID_CONFIGURATION\)$/m,
    ],
    [
      'an apiRoot that is no URL, and a port out of range',
      ['nef-sim'],
      { NEF_SIM_API_ROOT: 'nef.example', PORT: '70000' },
      1,
      /^device-status: invalid configuration: PORT must be an integer from 0 to 65535, not "70000"; NEF_SIM_API_ROOT must be an http\(s\) URL, not "nef.example" \(INVALID_CONFIGURATION\)$/m,
    ],
    [
      'a DATABASE_URL that is not PostgreSQL',
      ['nef-sim'],
      { DATABASE_URL: 'mysql://x' },
      1,
      /^device-status: invalid configuration: DATABASE_URL must be a postgres:\/\/ URL \(INVALID_CONFIGURATION\)$/m,
    ],
    [
      'a --port that is no port',
      ['nef-sim', '--port', 'http'],
      {},
      2,
      /^device-status: --port takes a port from 0 to 65535, not "http" \(USAGE\)\nSee "device-status nef-sim --help"\.\n$/,
    ],
    [
      'an admin option',
      ['nef-sim', '--url', 'http://x'],
      {},
      2,
      /^device-status: unknown option --url of "device-status nef-sim" \(USAGE\)\nSee "device-status nef-sim --help"\.\n$/,
    ],
  ]
  for (const [name, args, env, status, stderr] of bad) {
    it(`refuses ${name} in one line (exit ${status})`, async () => {
      const run = spawnCli(args, env)
      assert.equal(await run.exited, status, run.stderr())
      // Loading the server may add oidc-provider's runtime notice on Node 20; ours is one line.
      assert.match(run.stderr(), stderr)
      assert.equal(run.stderr().match(/^device-status: /gm)?.length, 1, run.stderr())
      assert.equal(run.stdout(), '')
    })
  }

  it('is listed in the help, with its own help page', async () => {
    const top = spawnCli(['--help'])
    assert.equal(await top.exited, 0)
    assert.match(top.stdout(), /^ {2}nef-sim\s+Run the network simulator as a stand-alone NEF/m)
    const help = spawnCli(['nef-sim', '--help'])
    assert.equal(await help.exited, 0)
    assert.ok(help.stdout().startsWith('Usage: device-status nef-sim [options]\n'), help.stdout())
    assert.match(help.stdout(), /--data-dir <DIR>/)
  })
})
