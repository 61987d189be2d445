/**
 * The gateway's black-box suites again, on PostgreSQL: one parameterised suite, not a copy.
 * Every suite file is imported here with `TEST_STORE=postgres`, so each started gateway runs on a
 * throwaway database of the machine's PostgreSQL. In CI (`CI=true`) an unreachable PostgreSQL
 * fails the run; elsewhere the suites are skipped with a one-line reason.
 */
import { readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { describe, it } from 'node:test'
import { postgresReachable } from './helpers/test-store.js'

// Not repeated: suites that start their own gateway processes (the crash test on SQLite, the
// cluster test on PostgreSQL already) or check no store at all; nef.test.ts runs its suites on
// PostgreSQL itself (and sets TEST_NETWORK for what it imports).
const NOT_REPEATED = new Set([
  'crash.test.ts',
  'readme.test.ts',
  'multi-instance.test.ts',
  'nef.test.ts',
])

function suiteFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) return name === 'helpers' ? [] : suiteFiles(path)
    return name.endsWith('.test.ts') && path !== import.meta.filename && !NOT_REPEATED.has(name)
      ? [path]
      : []
  })
}

const reachable = await postgresReachable()
if (reachable !== true) {
  if (process.env['CI'] === 'true') {
    it('PostgreSQL is reachable in CI', () => {
      throw new Error(reachable)
    })
  } else {
    it('runs the gateway suites on PostgreSQL', (t) => t.skip(reachable))
  }
} else {
  process.env['TEST_STORE'] = 'postgres'
  await describe('on PostgreSQL', async () => {
    for (const file of suiteFiles(import.meta.dirname).sort())
      await import(pathToFileURL(file).href)
  })
}
