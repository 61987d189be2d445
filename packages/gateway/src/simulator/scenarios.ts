import { randomUUID } from 'node:crypto'
import { CamaraError } from '../core/camara-error.js'
import { deleteDevice, patchDevice, type SimulatorDeps } from './simulator.js'
import type { DeviceStateInput, ScenarioInput } from './state-schema.js'

export interface ScenarioStep {
  /** Milliseconds after the scenario started. */
  at: number
  phoneNumber: string
  set?: DeviceStateInput
  delete?: true
  status: 'pending' | 'applied' | 'failed' | 'cancelled'
  appliedAt?: string
  error?: string
}

export interface ScenarioRun {
  id: string
  name?: string
  status: 'running' | 'completed' | 'cancelled'
  startedAt: string
  steps: ScenarioStep[]
}

/** The latest a step may come: a day after the start, whichever way `at` is written. */
export const MAX_OFFSET_MS = 86_400_000

/**
 * `5`, `"+5s"`, `"500ms"`, `"+2m"`, `"1h"` → milliseconds (a bare number is seconds); at most a
 * day (a longer timer would not wait: Node runs delays above 2³¹−1 ms at once).
 */
export function parseOffset(at: number | string): number {
  let ms: number
  if (typeof at === 'number') {
    if (!Number.isFinite(at) || at < 0)
      throw new CamaraError('INVALID_ARGUMENT', `at ${at} is not a number of seconds from 0`)
    ms = Math.round(at * 1000)
  } else {
    const match = /^\+?(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(at.trim())
    if (match?.[1] === undefined)
      throw new CamaraError(
        'INVALID_ARGUMENT',
        `at "${at}" is neither seconds nor an offset such as +500ms, +5s, +2m or +1h`,
      )
    const unit = match[2] ?? 's'
    const factor = unit === 'ms' ? 1 : unit === 's' ? 1000 : unit === 'm' ? 60_000 : 3_600_000
    ms = Math.round(Number(match[1]) * factor)
  }
  if (ms > MAX_OFFSET_MS)
    throw new CamaraError('INVALID_ARGUMENT', `at ${String(at)} is more than a day after the start`)
  return ms
}

/** {@link parseOffset}, with the step named in the message. */
function offsetOfStep(at: number | string, index: number): number {
  try {
    return parseOffset(at)
  } catch (error) {
    if (error instanceof CamaraError)
      throw new CamaraError('INVALID_ARGUMENT', `steps.${index}.${error.message}`)
    throw error
  }
}

export interface ScenarioPlayer {
  start(input: ScenarioInput): ScenarioRun
  get(id: string): ScenarioRun | undefined
  list(): ScenarioRun[]
  cancel(id: string): ScenarioRun | undefined
  /** Stops every running scenario (shutdown). */
  stopAll(): void
}

/** A scenario's steps in the order they play (by offset, then as given), each still pending. */
function plannedSteps(input: ScenarioInput): ScenarioStep[] {
  // A step may not rename its device: refused now, not when it is played.
  input.steps.forEach((step, i) => {
    const renamed = step.set?.phoneNumber
    if (renamed !== undefined && renamed !== step.phoneNumber)
      throw new CamaraError(
        'INVALID_ARGUMENT',
        `steps.${i}.set.phoneNumber must be the step's phoneNumber (${step.phoneNumber})`,
      )
  })
  const steps = input.steps
    .map((s, order) => ({
      order,
      step: { ...s, at: offsetOfStep(s.at, order), status: 'pending' as const },
    }))
    .sort((a, b) => a.step.at - b.step.at || a.order - b.order)
    .map(({ step }) => {
      const { at, phoneNumber, status } = step
      return {
        at,
        phoneNumber,
        status,
        ...(step.set === undefined ? {} : { set: step.set }),
        ...(step.delete === undefined ? {} : { delete: step.delete }),
      } satisfies ScenarioStep
    })
  return steps
}

/**
 * Plays scenarios in this process: each step is applied through the same simulator functions as
 * the admin API, so it is stored and becomes network events like any other change. A scenario
 * lives in memory; a restart ends it (the changes already applied stay).
 */
export function scenarioPlayer(
  deps: SimulatorDeps,
  options: { keep?: number } = {},
): ScenarioPlayer {
  const runs = new Map<string, ScenarioRun>()
  const timers = new Map<string, NodeJS.Timeout>()
  const keep = options.keep ?? 100

  const finish = (run: ScenarioRun, status: ScenarioRun['status']) => {
    run.status = status
    timers.delete(run.id)
  }

  const play = (run: ScenarioRun, index: number, startedAt: number) => {
    const step = run.steps[index]
    if (run.status !== 'running') return
    if (step === undefined) return finish(run, 'completed')
    const delay = Math.max(0, startedAt + step.at - deps.clock().getTime())
    const timer = setTimeout(() => {
      const apply =
        step.delete === true
          ? deleteDevice(deps, step.phoneNumber)
          : patchDevice(deps, step.phoneNumber, step.set ?? {})
      apply
        .then(() => {
          step.status = 'applied'
        })
        .catch((error: unknown) => {
          step.status = 'failed'
          step.error = error instanceof Error ? error.message : String(error)
        })
        .finally(() => {
          step.appliedAt = deps.clock().toISOString()
          play(run, index + 1, startedAt)
        })
    }, delay)
    timer.unref()
    timers.set(run.id, timer)
  }

  return {
    start(input) {
      const steps = plannedSteps(input)
      const run: ScenarioRun = {
        id: randomUUID(),
        ...(input.name === undefined ? {} : { name: input.name }),
        status: 'running',
        startedAt: deps.clock().toISOString(),
        steps,
      }
      runs.set(run.id, run)
      for (const id of runs.keys()) {
        if (runs.size <= keep) break
        if (runs.get(id)?.status !== 'running') runs.delete(id)
      }
      play(run, 0, deps.clock().getTime())
      return run
    },
    get: (id) => runs.get(id),
    list: () => [...runs.values()],
    cancel(id) {
      const run = runs.get(id)
      if (run === undefined) return undefined
      if (run.status === 'running') {
        clearTimeout(timers.get(id))
        for (const step of run.steps) if (step.status === 'pending') step.status = 'cancelled'
        finish(run, 'cancelled')
      }
      return run
    },
    stopAll() {
      for (const run of runs.values()) if (run.status === 'running') this.cancel(run.id)
    },
  }
}
