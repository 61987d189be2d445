import { setTimeout as sleep } from 'node:timers/promises'
import type { ScenarioRun, ScenarioStep } from '../admin-client.js'
import type { Command } from '../command.js'
import { CliError, usageError } from '../errors.js'
import { readJsonFile } from '../input.js'
import { formatTable, json, plural } from '../output.js'

const POLL_INTERVAL_MS = 200

/** `+0.100s  +34600000001  set {"roaming":{"countryCode":262}}` */
export function formatStep(step: ScenarioStep): string {
  const at = `+${(step.at / 1000).toFixed(3)}s`
  const change = step.delete === true ? 'delete' : `set ${JSON.stringify(step.set ?? {})}`
  return `${at.padStart(9)}  ${step.phoneNumber.padEnd(15)}  ${change}`
}

function stepOutcome(step: ScenarioStep): string {
  const line = `${step.status.padEnd(9)} ${formatStep(step)}`
  return step.error === undefined ? line : `${line}\n          ${step.error}`
}

export const scenarioRun: Command = {
  name: 'scenario run',
  args: ['<FILE>'],
  summary: 'Play a scenario (a timeline of device changes) from a JSON file',
  description:
    'POSTs the file to /network/v1/scenarios and prints the scenario id and its steps. A scenario is {"name"?, "steps": [{"at": "+5s", "phoneNumber": "+34600000001", "set": {…state…}} or {…, "delete": true}]}; "at" is seconds (5) or +500ms, +5s, +2m, +1h after the start.',
  options: {
    wait: {
      type: 'boolean',
      description:
        'follow the scenario until it ends, printing each step as it is applied; exit 1 if a step failed',
    },
  },
  admin: true,
  examples: ['device-status scenario run trip.json', 'device-status scenario run trip.json --wait'],
  async run(context) {
    const file = context.args[0]
    if (file === undefined || file === '') throw usageError('missing <FILE>', 'scenario run')
    const scenario = await readJsonFile(file, context.io.cwd)
    const admin = context.admin()
    const { stdout } = context.io
    let run = await admin.startScenario(scenario)
    const name = run.name === undefined ? '' : ` "${run.name}"`
    stdout(
      `Scenario ${run.id}${name}: ${run.steps.length} step${run.steps.length === 1 ? '' : 's'}\n`,
    )
    for (const step of run.steps) stdout(`  ${formatStep(step)}\n`)
    if (!context.flags.boolean('wait')) return

    const reported = new Set<number>()
    const report = (current: ScenarioRun) => {
      current.steps.forEach((step, i) => {
        if (step.status === 'pending' || reported.has(i)) return
        reported.add(i)
        stdout(`${stepOutcome(step)}\n`)
      })
    }
    report(run)
    while (run.status === 'running') {
      await sleep(POLL_INTERVAL_MS)
      run = await admin.getScenario(run.id)
      report(run)
    }
    const count = (status: ScenarioStep['status']) =>
      run.steps.filter((s) => s.status === status).length
    const failed = count('failed')
    stdout(
      `Scenario ${run.id} ${run.status}: ${count('applied')} applied, ${failed} failed` +
        (run.status === 'cancelled' ? `, ${count('cancelled')} cancelled` : '') +
        '\n',
    )
    if (failed > 0) {
      throw new CliError(
        'SCENARIO_STEP_FAILED',
        `${failed} of ${run.steps.length} step${run.steps.length === 1 ? '' : 's'} failed`,
      )
    }
    if (run.status === 'cancelled') {
      throw new CliError('SCENARIO_CANCELLED', `scenario ${run.id} was cancelled`)
    }
  },
}

function countSteps(run: ScenarioRun, status: ScenarioStep['status']): number {
  return run.steps.filter((s) => s.status === status).length
}

/** `1/3 applied, 2 cancelled`: what became of the steps so far. */
function stepsCell(run: ScenarioRun): string {
  const parts = [`${countSteps(run, 'applied')}/${run.steps.length} applied`]
  for (const status of ['failed', 'cancelled'] as const) {
    const n = countSteps(run, status)
    if (n > 0) parts.push(`${n} ${status}`)
  }
  return parts.join(', ')
}

export const scenarioList: Command = {
  name: 'scenario list',
  args: [],
  summary: 'List the scenarios the gateway plays or played since it started',
  options: { json: { type: 'boolean', description: 'print the raw JSON of the admin API' } },
  admin: true,
  examples: ['device-status scenario list', 'device-status scenario list --json'],
  async run(context) {
    const runs = await context.admin().listScenarios()
    if (context.flags.boolean('json')) context.io.stdout(json(runs))
    else if (runs.length === 0) context.io.stdout('No scenarios.\n')
    else {
      context.io.stdout(
        formatTable(
          ['ID', 'NAME', 'STATUS', 'STARTED AT', 'STEPS'],
          runs.map((r) => [r.id, r.name ?? '-', r.status, r.startedAt, stepsCell(r)]),
        ),
      )
    }
  },
}

export const scenarioCancel: Command = {
  name: 'scenario cancel',
  args: ['<id>'],
  summary: 'Stop a running scenario; the steps already applied stay',
  options: { json: { type: 'boolean', description: 'print the raw JSON of the admin API' } },
  admin: true,
  examples: ['device-status scenario cancel 442835cd-ee98-4944-a45a-2113968aef66'],
  async run(context) {
    const run = await context.admin().cancelScenario(context.args[0] ?? '')
    if (context.flags.boolean('json')) {
      context.io.stdout(json(run))
      return
    }
    const name = run.name === undefined ? '' : ` "${run.name}"`
    context.io.stdout(
      run.status === 'cancelled'
        ? `Scenario ${run.id}${name} cancelled: ${plural(countSteps(run, 'applied'), 'step')} applied, ${countSteps(run, 'cancelled')} cancelled\n`
        : `Scenario ${run.id}${name} had already ${run.status}: nothing to cancel\n`,
    )
  },
}
