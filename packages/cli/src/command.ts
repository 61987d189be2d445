import type { AdminClient } from './admin-client.js'

/** Where a command writes and what it reads; `process` in the CLI, swappable in tests. */
export interface Io {
  stdout: (text: string) => void
  stderr: (text: string) => void
  env: Readonly<Record<string, string | undefined>>
  cwd: string
}

/** A flag: `--name` (boolean) or `--name <value>` (string). */
export interface OptionSpec {
  type: 'string' | 'boolean'
  description: string
  /** Placeholder of the value in the help, e.g. `MCC`. */
  value?: string
  short?: string
  /** The flag may be given more than once (`--scope a --scope b`); read it with `strings`. */
  multiple?: boolean
}

export type OptionSpecs = Readonly<Record<string, OptionSpec>>

/** Parsed flags of one command line. */
export interface Flags {
  string(name: string): string | undefined
  /** Every value of a repeatable flag, in order; `[]` when it is not given. */
  strings(name: string): string[]
  boolean(name: string): boolean
  has(name: string): boolean
}

export interface CommandContext {
  /** Positional arguments after the command words. */
  args: readonly string[]
  flags: Flags
  io: Io
  /** A client of the admin API built from `--url` / `--admin-token` and the environment. */
  admin(): AdminClient
}

export interface Command {
  /** Command words, e.g. `devices set`. */
  name: string
  /** Positional arguments, e.g. `<phoneNumber>`; required, unless in brackets: `[<authReqId>]`. */
  args: readonly string[]
  summary: string
  description?: string
  options: OptionSpecs
  /** Whether `--url` and `--admin-token` apply. */
  admin: boolean
  examples: readonly string[]
  /** Returns the exit status (0 when nothing is returned); throws CliError on failure. */
  run(context: CommandContext): Promise<number | void>
}
