/** Exit statuses of the `device-status` command. */
export const EXIT = { ok: 0, failure: 1, usage: 2 } as const
export type ExitStatus = (typeof EXIT)[keyof typeof EXIT]

/**
 * An error the top-level catch prints as `device-status: <message> (<code>)`. `code` is stable
 * (scripts may match it): a CAMARA code the gateway answered, such as `UNAUTHENTICATED`, or one of
 * the CLI's own, such as `GATEWAY_UNREACHABLE` or `USAGE`.
 */
export class CliError extends Error {
  readonly code: string
  readonly exitStatus: ExitStatus
  /** A second line telling the user what to do, e.g. where to find `--help`. */
  readonly hint: string | undefined
  constructor(
    code: string,
    message: string,
    options: { exitStatus?: ExitStatus; hint?: string; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'CliError'
    this.code = code
    this.exitStatus = options.exitStatus ?? EXIT.failure
    this.hint = options.hint
  }
}

/** Bad usage (unknown command or flag, missing or malformed argument): exit status 2. */
export function usageError(message: string, command?: string): CliError {
  const help = command === undefined ? 'device-status --help' : `device-status ${command} --help`
  return new CliError('USAGE', message, { exitStatus: EXIT.usage, hint: `See "${help}".` })
}
