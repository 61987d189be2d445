#!/usr/bin/env node
// Runs every *.test.ts of the workspace with Node's test runner (Node 20 has no glob in --test).
import { spawnSync } from 'node:child_process'
import {
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { pathToFileURL } from 'node:url'

const roots = ['packages', 'examples', 'bench', 'scripts']
const files = []
const walk = (dir) => {
  let entries
  try {
    entries = readdirSync(dir)
  } catch {
    return
  }
  for (const name of entries) {
    if (name === 'node_modules' || name === 'dist' || name.startsWith('.')) continue
    const path = join(dir, name)
    if (statSync(path).isDirectory()) walk(path)
    else if (name.endsWith('.test.ts')) files.push(path)
  }
}
roots.forEach(walk)
const only = process.argv.slice(2)
// A test file outside the walk (scripts/fixtures/*.fixture.ts) runs when named by its path.
const named = only.filter((o) => o.endsWith('.ts') && existsSync(o) && !files.includes(o))
const selected =
  only.length === 0 ? files : [...files.filter((f) => only.some((o) => f.includes(o))), ...named]
if (selected.length === 0) {
  console.error('no test files found')
  process.exit(1)
}
// The browser tests drive Debian's Chromium (never a browser download): CI installs it; elsewhere
// they are skipped with one line.
const browserTests = selected.filter(
  (f) => f.includes('frontend-authcode') || f.endsWith('browser.test.ts'),
)
if (browserTests.length > 0 && !existsSync('/usr/bin/chromium')) {
  if (process.env.CI === 'true') {
    const apt = spawnSync('sh', ['-c', 'apt-get update && apt-get install -y chromium'], {
      stdio: 'inherit',
    })
    if (apt.status !== 0) process.exit(apt.status ?? 1)
  } else {
    console.log(
      'skipping the browser test: /usr/bin/chromium is missing (apt-get install -y chromium)',
    )
  }
}
// The PostgreSQL suites need the machine's server. Machines of this project's kind start it before
// a session; should CI find it stopped, start the installed cluster rather than fail on it.
if (process.env.CI === 'true' && !process.env.TEST_DATABASE_URL) {
  const ready = () =>
    spawnSync('pg_isready', ['-q', '-h', '127.0.0.1', '-p', '5432'], { stdio: 'ignore' }).status ===
    0
  if (!ready() && existsSync('/etc/postgresql')) {
    for (const version of readdirSync('/etc/postgresql')) {
      spawnSync('pg_ctlcluster', ['--skip-systemctl-redirect', version, 'main', 'start'], {
        stdio: 'inherit',
      })
    }
    for (let i = 0; i < 30 && !ready(); i++) spawnSync('sleep', ['1'])
  }
}
// Examples, the CLI's launcher and the SDK import test run the packages as an app would: from their
// build (dist/), which `npm ci` makes (the root `prepare` script). Build again so that they run the
// sources as they are now; tsc is incremental, so an unchanged package costs little.
const build = spawnSync('npm', ['run', '--silent', 'build'], { stdio: 'inherit' })
if (build.status !== 0) process.exit(build.status ?? 1)
// Nothing leaves this machine: every process the tests start (the runner's, gateways, CLIs,
// examples) loads the network guard through NODE_OPTIONS; it refuses any TCP connection outside
// loopback and records it here, and a recorded one fails the run.
const guardLog = join(mkdtempSync(join(tmpdir(), 'net-guard-')), 'refused.jsonl')
writeFileSync(guardLog, '')
// Test files run side by side: most of their time is spent waiting (on started gateways, a
// browser, timers), so three at a time on two cores takes well under half the time of one at a
// time (Node's default here: one fewer than the cores). Each file has its own gateways, ports,
// data folders and databases. TEST_CONCURRENCY=1 runs them one after the other.
const concurrency = Math.max(1, Number(process.env.TEST_CONCURRENCY ?? 3) || 1)
const guard = `--import=${pathToFileURL(join(import.meta.dirname, 'net-guard.mjs')).href}`
const result = spawnSync(
  process.execPath,
  [
    '--conditions=source',
    '--import',
    'tsx',
    '--test',
    '--test-reporter=spec',
    `--test-concurrency=${concurrency}`,
    ...selected.sort(),
  ],
  {
    stdio: 'inherit',
    env: {
      ...process.env,
      LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent',
      NODE_OPTIONS: [process.env.NODE_OPTIONS, guard].filter(Boolean).join(' '),
      NET_GUARD_LOG: guardLog,
    },
  },
)
const refused = readFileSync(guardLog, 'utf8')
  .split('\n')
  .filter((line) => line !== '')
rmSync(dirname(guardLog), { recursive: true, force: true })
if (refused.length > 0) {
  console.error(
    `\nnet-guard: ${refused.length} connection(s) outside loopback were attempted and refused:`,
  )
  for (const line of refused) console.error(line)
  process.exit(1)
}
process.exit(result.status ?? 1)
