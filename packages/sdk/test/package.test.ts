// Issue 15: the SDK as an app gets it. (1) A clone of this tree, set up as the README says, runs a
// plain-Node script that imports the SDK by name. (2) The test command's SDK typecheck fails on a
// Node-only API in packages/sdk/src.
import assert from 'node:assert/strict'
import { execFileSync, spawn, spawnSync } from 'node:child_process'
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { describe, it } from 'node:test'

const ROOT = join(import.meta.dirname, '..', '..', '..')
const rootPackage = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  scripts: Record<string, string>
}

/**
 * The environment of a child, without what points elsewhere; NODE_OPTIONS stays (the test
 * command's network guard: no process of a test leaves this machine).
 */
function cleanEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {}
  for (const [name, value] of Object.entries(process.env)) {
    if (
      value !== undefined &&
      !['NODE_TEST_CONTEXT', 'ADMIN_TOKEN', 'DATABASE_URL', 'HOST'].includes(name)
    )
      env[name] = value
  }
  return { ...env, ...extra }
}

/** The files a clone of this tree holds: tracked, plus new files not ignored (no dist, no .data). */
function cloneInto(target: string): void {
  const files = execFileSync('git', ['ls-files', '-co', '--exclude-standard', '-z'], {
    cwd: ROOT,
    encoding: 'utf8',
  })
    .split('\0')
    .filter((f) => f !== '')
  for (const file of files) {
    const from = join(ROOT, file)
    const to = join(target, file)
    mkdirSync(dirname(to), { recursive: true })
    try {
      cpSync(from, to)
    } catch (error) {
      // A file deleted in the work tree but still tracked: a clone of the tree has none either.
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
    }
  }
}

describe('a fresh clone, set up as the README says', () => {
  it('npm ci builds every workspace; npm start; a plain-Node app imports @device-status/sdk and runs CIBA', async (t) => {
    const clone = mkdtempSync(join(tmpdir(), 'ds-clone-'))
    t.after(() => rmSync(clone, { recursive: true, force: true }))
    cloneInto(clone)
    // `npm ci` = install the lockfile's packages, then run the root's `prepare`. The install step
    // is this checkout's installed tree, hard-linked (nothing downloaded, no native compile); the
    // lifecycle step runs as npm ci runs it.
    const installed = execFileSync(
      'find',
      ['.', '-name', 'node_modules', '-prune', '-not', '-path', '*/node_modules/*'],
      { cwd: ROOT, encoding: 'utf8' },
    )
      .split('\n')
      .filter((dir) => dir !== '' && !dir.includes('/.'))
    for (const dir of installed) execFileSync('cp', ['-al', join(ROOT, dir), join(clone, dir)])
    assert.match(rootPackage.scripts['prepare'] ?? '', /npm run build/)
    const prepare = spawnSync('npm', ['run', 'prepare'], {
      cwd: clone,
      env: cleanEnv(),
      encoding: 'utf8',
    })
    assert.equal(prepare.status, 0, prepare.stdout + prepare.stderr)

    const dataDir = join(clone, '.data')
    const npm = spawn('npm', ['start'], {
      cwd: clone,
      env: cleanEnv({ PORT: '0', DATA_DIR: dataDir, LOG_LEVEL: 'warn', CIBA_INTERVAL: '1' }),
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    })
    const pgid = npm.pid
    assert.ok(pgid !== undefined)
    t.after(() => {
      try {
        process.kill(-pgid, 'SIGKILL')
      } catch {
        // already gone
      }
    })
    let output = ''
    npm.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()))
    const url = await new Promise<string>((resolve, reject) => {
      npm.stdout.on('data', (chunk: Buffer) => {
        output += chunk.toString()
        const match = /listening on (http:\/\/\S+)/.exec(output)
        if (match?.[1] !== undefined) resolve(match[1])
      })
      npm.once('exit', (code) => reject(new Error(`npm start exited ${code}: ${output}`)))
    })

    // An app of the repository: a plain script, no loader, no flags.
    const app = join(clone, 'my-app', 'app.mjs')
    mkdirSync(dirname(app))
    writeFileSync(
      app,
      `import { ClientCredentials, DeviceStatus } from '@device-status/sdk'
const credentials = new ClientCredentials({
  clientId: 'my-app-id',
  clientSecret: 'my-app-secret',
  baseUrl: process.env.GATEWAY_URL,
})
const deviceStatus = new DeviceStatus(credentials, { phoneNumber: '+34600000002' })
const status = await deviceStatus.getRoamingStatus()
console.log(JSON.stringify({ roaming: status.roaming, countryCode: status.countryCode }))
`,
    )
    const run = spawnSync(process.execPath, [app], {
      cwd: dirname(app),
      env: cleanEnv({ GATEWAY_URL: url }),
      encoding: 'utf8',
    })
    assert.equal(run.status, 0, run.stderr)
    assert.deepEqual(JSON.parse(run.stdout), { roaming: true, countryCode: 262 })
    assert.equal(run.stderr, '', 'no warning either')

    process.kill(pgid, 'SIGTERM')
    await new Promise((resolve) => npm.once('exit', resolve))
  })
})

describe('the SDK typecheck of the test command', () => {
  it('npm test runs the checks: typecheck, the SDK typecheck, lint, prettier', () => {
    assert.match(rootPackage.scripts['test'] ?? '', /^npm run check && /)
    const check = rootPackage.scripts['check'] ?? ''
    for (const step of ['typecheck', 'typecheck:sdk', 'check:imports', 'lint', 'format:check'])
      assert.match(check, new RegExp(`npm run ${step}( |$)`))
    assert.match(rootPackage.scripts['format:check'] ?? '', /^prettier --check /)
    assert.match(readFileSync(join(ROOT, '.ci', 'run'), 'utf8'), /npm ci && npm test/)
  })

  it('fails on a Node-only API planted in packages/sdk/src, passes without it', () => {
    const copy = mkdtempSync(join(tmpdir(), 'ds-sdk-typecheck-'))
    try {
      cpSync(join(ROOT, 'tsconfig.base.json'), join(copy, 'tsconfig.base.json'))
      cpSync(join(ROOT, 'packages', 'sdk', 'src'), join(copy, 'packages', 'sdk', 'src'), {
        recursive: true,
      })
      for (const file of ['tsconfig.json', 'package.json'])
        cpSync(join(ROOT, 'packages', 'sdk', file), join(copy, 'packages', 'sdk', file))
      execFileSync('ln', ['-s', join(ROOT, 'node_modules'), join(copy, 'node_modules')])
      // The SDK's project reference: the contract package, as built by `npm run build`.
      execFileSync('ln', [
        '-s',
        join(ROOT, 'packages', 'contract'),
        join(copy, 'packages', 'contract'),
      ])
      // The command of `npm run typecheck:sdk`, run in the copy.
      const [bin, ...args] = (rootPackage.scripts['typecheck:sdk'] ?? '').split(' ')
      assert.equal(bin, 'tsc')
      const tsc = () =>
        spawnSync(
          process.execPath,
          [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), ...args],
          {
            cwd: copy,
            encoding: 'utf8',
          },
        )
      const clean = tsc()
      assert.equal(clean.status, 0, clean.stdout)
      writeFileSync(
        join(copy, 'packages', 'sdk', 'src', 'planted.ts'),
        "export const planted: number = Buffer.from('x').length\n",
      )
      const planted = tsc()
      assert.notEqual(planted.status, 0)
      assert.match(planted.stdout, /planted\.ts.*Cannot find name 'Buffer'/)
    } finally {
      rmSync(copy, { recursive: true, force: true })
    }
  })
})
