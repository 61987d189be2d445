import { readFile } from 'node:fs/promises'
import { resolve } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import type { ScenarioRun, ScenarioStep } from '../admin-client.js'
import type { Command } from '../command.js'
import { CliError, usageError } from '../errors.js'

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

async function readScenario(path: string, cwd: string): Promise<unknown> {
  let text: string
  try {
    text = await readFile(resolve(cwd, path), 'utf8')
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    throw new CliError(
      'FILE_UNREADABLE',
      code === 'ENOENT'
        ? `no such file: ${path}`
        : `cannot read ${path}: ${(error as Error).message}`,
      { cause: error },
    )
  }
  try {
    return JSON.parse(text) as unknown
  } catch (error) {
    throw new CliError('INVALID_JSON', `${path} is not valid JSON: ${(error as Error).message}`, {
      cause: error,
    })
  }
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
    const scenario = await readScenario(file, context.io.cwd)
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
