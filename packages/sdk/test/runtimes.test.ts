import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { after, before, describe, it } from 'node:test'
import { build } from 'esbuild'
import { startTestGateway, type TestGateway } from './helpers.js'

/**
 * The SDK in Deno and in Bun, against a started gateway: the same ESM bundle a browser loads, run
 * by each runtime's own `fetch`, timers and Web Crypto. Both runtimes come from the npm registry
 * as dev dependencies (their binaries ship inside the registry packages).
 */
const run = promisify(execFile)
const bin = (name: string) =>
  fileURLToPath(new URL(`../../../node_modules/.bin/${name}`, import.meta.url))

const RUNTIMES = [
  {
    name: 'Deno',
    command: bin('deno'),
    args: (script: string) => ['run', '--allow-net=127.0.0.1', '--allow-env=GATEWAY_URL', script],
  },
  {
    name: 'Bun',
    // The platform package's binary itself: bun's own shim needs its postinstall script, which
    // package.json's allowScripts denies (it may download).
    command: fileURLToPath(
      new URL(
        `../../../node_modules/@oven/bun-${process.platform}-${process.arch === 'arm64' ? 'aarch64' : process.arch}/bin/bun`,
        import.meta.url,
      ),
    ),
    args: (script: string) => ['run', script],
  },
] as const

/** What the script does in each runtime: the backend (CIBA) flow, a two-legged call, an error. */
const SCRIPT = `
import { ClientCredentials, DeviceStatus, SimSwap, ApiError } from './sdk.mjs'
const baseUrl = globalThis.Deno ? Deno.env.get('GATEWAY_URL') : process.env.GATEWAY_URL
const credentials = new ClientCredentials({ clientId: 'my-app-id', clientSecret: 'my-app-secret', baseUrl })
const backend = new DeviceStatus(credentials, { phoneNumber: '+34600000002' })
const roaming = await backend.getRoamingStatus()
const simSwap = new SimSwap(credentials, { device: { phoneNumber: '+34600000006' } })
const swapped = await simSwap.retrieveDate()
let error
try {
  await new DeviceStatus(credentials, { device: { phoneNumber: '+99999999999' } }).getRoamingStatus()
} catch (e) {
  error = { isApiError: e instanceof ApiError, status: e.status, code: e.code }
}
console.log(JSON.stringify({
  roaming: roaming.roaming,
  countryCode: roaming.countryCode,
  countryNames: roaming.countryNames,
  lastStatusTimeIsDate: roaming.lastStatusTime instanceof Date,
  swappedIsDate: swapped instanceof Date,
  error,
}))
`

describe('the SDK in other runtimes, against a started gateway', () => {
  let gw: TestGateway
  let dir: string
  before(async () => {
    gw = await startTestGateway()
    dir = mkdtempSync(join(tmpdir(), 'sdk-runtimes-'))
    await build({
      entryPoints: [fileURLToPath(new URL('../src/index.ts', import.meta.url))],
      bundle: true,
      format: 'esm',
      platform: 'neutral',
      target: 'es2022',
      // Workspace packages (@device-status/contract) from their sources, as the tests run them.
      conditions: ['source'],
      outfile: join(dir, 'sdk.mjs'),
    })
    writeFileSync(join(dir, 'script.mjs'), SCRIPT)
  })
  after(async () => {
    await gw?.close()
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true })
  })

  for (const runtime of RUNTIMES) {
    // In CI (npm ci installs both) a missing runtime fails the test; elsewhere it is skipped.
    const skip =
      existsSync(runtime.command) || process.env['CI'] === 'true'
        ? false
        : `${runtime.command} is missing (npm ci)`
    it(
      `${runtime.name}: CIBA backend flow, two-legged SIM swap date, ApiError`,
      { skip },
      async () => {
        const { stdout } = await run(runtime.command, runtime.args(join(dir, 'script.mjs')), {
          cwd: dir,
          env: { ...process.env, GATEWAY_URL: gw.url, NO_COLOR: '1', DENO_NO_UPDATE_CHECK: '1' },
          timeout: 60_000,
        })
        assert.deepEqual(JSON.parse(stdout.trim().split('\n').at(-1) ?? ''), {
          roaming: true,
          countryCode: 262,
          countryNames: ['DE'],
          lastStatusTimeIsDate: true,
          swappedIsDate: true,
          error: { isApiError: true, status: 404, code: 'IDENTIFIER_NOT_FOUND' },
        })
      },
    )
  }
})
