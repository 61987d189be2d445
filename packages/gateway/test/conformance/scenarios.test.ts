import assert from 'node:assert/strict'
import { readdirSync, readFileSync } from 'node:fs'
import { basename, dirname, join, resolve } from 'node:path'
import { describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { SCENARIOS } from './scenarios.js'

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..')
const FEATURES = join(REPO, 'packages/gateway/specs/test-definitions')

interface Scenario {
  tag: string
  feature: string
  line: number
  /** The API's base path, from the feature's Background (`/sim-swap/v2`); none in templates. */
  basePath: string | undefined
}

/** The tags on the line right before each `Scenario:` / `Scenario Outline:` of a feature file. */
function scenariosOf(feature: string): Scenario[] {
  const lines = readFileSync(join(FEATURES, feature), 'utf8').split(/\r?\n/)
  const resource = lines
    .map((l) => /the resource "(?:\{[^}]*\})?(\/[^/"]+\/[^/"]+)/.exec(l))
    .find(Boolean)
  const scenarios: Scenario[] = []
  lines.forEach((line, i) => {
    if (!/^\s*Scenario( Outline)?:/.test(line)) return
    const before = lines[i - 1]?.trim() ?? ''
    assert.ok(
      before.startsWith('@'),
      `${feature}:${i + 1}: a scenario without a tag line before it`,
    )
    for (const tag of before.split(/\s+/)) {
      scenarios.push({ tag: tag.slice(1), feature, line: i + 1, basePath: resource?.[1] })
    }
  })
  return scenarios
}

/** The titles of the `it()` / `test()` calls of a source file, with whether they are skipped. */
function titlesOf(source: string): { title: string; skipped: boolean }[] {
  // `it.skip(…)`, `it.todo(…)`, or an options object with skip or todo: `it('…', { skip: … }, fn)`.
  const call =
    /\b(?:it|test)(\.(?:only|skip|todo))?\(\s*(['"`])((?:\\.|(?!\2)[^\\])*)\2(\s*,\s*\{[^}]*\b(?:skip|todo)\b)?/g
  return [...source.matchAll(call)].map((m) => ({
    title: (m[3] ?? '').replace(/\\(.)/g, '$1'),
    skipped: m[1] === '.skip' || m[1] === '.todo' || m[4] !== undefined,
  }))
}

const read = (file: string) => readFileSync(join(REPO, file), 'utf8')
const features = readdirSync(FEATURES)
  .filter((f) => f.endsWith('.feature'))
  .sort()
const scenarios = features.flatMap(scenariosOf)
const byTag = new Map(scenarios.map((s) => [s.tag, s]))

describe('conformance: every CAMARA test-definition scenario maps to a test', () => {
  it('reads every feature file, and each tag names one scenario', () => {
    assert.ok(features.length >= 17, `${features.length} feature files`)
    assert.ok(scenarios.length >= 250, `${scenarios.length} scenarios`)
    const seen = new Set<string>()
    for (const s of scenarios) {
      assert.ok(!seen.has(s.tag), `${s.tag} is tagged twice (${s.feature}:${s.line})`)
      seen.add(s.tag)
    }
  })

  it('every scenario tag has an entry, and every entry names a scenario', () => {
    const missing = scenarios.filter((s) => !(s.tag in SCENARIOS))
    assert.deepEqual(
      missing.map((s) => `${s.feature}:${s.line} @${s.tag}`),
      [],
      'scenarios without an entry in scenarios.ts',
    )
    const unknown = Object.keys(SCENARIOS).filter((tag) => !byTag.has(tag))
    assert.deepEqual(unknown, [], 'entries of scenarios.ts that name no scenario')
  })

  it('each covered entry names a test that exists, once, and is not skipped', () => {
    const problems: string[] = []
    for (const [tag, coverage] of Object.entries(SCENARIOS)) {
      if ('notApplicable' in coverage) {
        if (coverage.notApplicable.trim().length < 20 || coverage.notApplicable.includes('\n'))
          problems.push(`${tag}: notApplicable needs a one-line reason`)
        continue
      }
      let titles: ReturnType<typeof titlesOf>
      try {
        titles = titlesOf(read(coverage.file))
      } catch {
        problems.push(`${tag}: no file ${coverage.file}`)
        continue
      }
      const matches = titles.filter((t) => t.title.includes(coverage.test))
      if (matches.length === 0)
        problems.push(`${tag}: no it() titled "${coverage.test}" in ${coverage.file}`)
      else if (matches.length > 1)
        problems.push(
          `${tag}: "${coverage.test}" matches ${matches.length} titles in ${coverage.file}`,
        )
      else if (matches[0]?.skipped === true) problems.push(`${tag}: "${coverage.test}" is skipped`)
    }
    assert.deepEqual(problems, [])
  })

  it('each covered entry is run for the scenario API: the test file (or the suite that runs the helper) calls its base path', () => {
    const problems: string[] = []
    for (const [tag, coverage] of Object.entries(SCENARIOS)) {
      if ('notApplicable' in coverage) continue
      const scenario = byTag.get(tag)
      const runner = coverage.via ?? coverage.file
      const source = read(runner)
      if (coverage.via !== undefined && !source.includes(`/${basename(coverage.file, '.ts')}.js'`))
        problems.push(`${tag}: ${runner} does not import ${coverage.file}`)
      if (scenario?.basePath !== undefined && !source.includes(scenario.basePath))
        problems.push(`${tag}: ${runner} never calls ${scenario.basePath}`)
    }
    assert.deepEqual(problems, [])
  })

  it('counts: covered and not applicable', (t) => {
    const notApplicable = Object.entries(SCENARIOS).filter(([, c]) => 'notApplicable' in c)
    t.diagnostic(
      `${scenarios.length} scenarios: ${scenarios.length - notApplicable.length} covered, ${notApplicable.length} not applicable (${notApplicable.map(([tag]) => tag).join(', ')})`,
    )
    // A new notApplicable entry is a decision: raise this bound on purpose, not by drift.
    assert.ok(notApplicable.length <= 5, `${notApplicable.length} not applicable`)
  })
})
