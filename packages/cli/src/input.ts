import { readFile } from 'node:fs/promises'
import { resolve } from 'node:path'
import { CliError, usageError } from './errors.js'

const E164 = /^\+[1-9][0-9]{4,14}$/

/** A phone number as the admin API takes it: E.164 with its `+`. */
export function e164PhoneNumber(value: string, command: string, what = 'phone number'): string {
  if (!E164.test(value)) {
    throw usageError(`"${value}" is not an E.164 ${what} such as +34600000001`, command)
  }
  return value
}

/** The value of `--flag` if it is one of `allowed` (any case), as `allowed` spells it. */
export function oneOf<TValue extends string>(
  flag: string,
  allowed: readonly TValue[],
  value: string,
  command: string,
): TValue {
  const found = allowed.find((a) => a.toLowerCase() === value.toLowerCase())
  if (found === undefined) {
    throw usageError(`--${flag} takes ${allowed.join(', ')}, not "${value}"`, command)
  }
  return found
}

/** An integer flag within `[min, max]` (no upper bound when `max` is not given). */
export function integer(
  flag: string,
  value: string,
  range: { min: number; max?: number },
  command: string,
): number {
  const n = Number(value)
  if (!/^\d+$/.test(value) || n < range.min || (range.max !== undefined && n > range.max)) {
    const expected =
      range.max === undefined
        ? `an integer from ${range.min} up`
        : `an integer from ${range.min} to ${range.max}`
    throw usageError(`--${flag} takes ${expected}, not "${value}"`, command)
  }
  return n
}

/** Values of a repeatable flag, each also split at commas: `--scope a,b --scope c`. */
export function listValues(values: readonly string[]): string[] {
  return values
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter((v) => v !== '')
}

/** Reads and parses a JSON file named on the command line (relative to the working folder). */
export async function readJsonFile(path: string, cwd: string): Promise<unknown> {
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
