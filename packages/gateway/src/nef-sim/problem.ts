import type { ProblemDetails } from '../network/monitoring-event.js'

/**
 * A refusal of the Monitoring Event API, answered as `ProblemDetails` (TS 29.122 clause 5.2.6,
 * TS 29.571 clause 5.2.4.1) with `application/problem+json`.
 */
export class ProblemError extends Error {
  override readonly name = 'ProblemError'
  readonly status: number
  readonly title: string
  readonly problemCause: string | undefined
  readonly invalidParams: { param: string; reason?: string }[] | undefined

  constructor(
    status: number,
    title: string,
    detail: string,
    options: { cause?: string; invalidParams?: { param: string; reason?: string }[] } = {},
  ) {
    super(detail)
    this.status = status
    this.title = title
    this.problemCause = options.cause
    this.invalidParams = options.invalidParams
  }

  toJSON(): ProblemDetails {
    return {
      title: this.title,
      status: this.status,
      detail: this.message,
      ...(this.problemCause === undefined ? {} : { cause: this.problemCause }),
      ...(this.invalidParams === undefined ? {} : { invalidParams: this.invalidParams }),
    }
  }
}

export const badRequest = (
  detail: string,
  invalidParams?: { param: string; reason?: string }[],
): ProblemError =>
  new ProblemError(400, 'Bad Request', detail, {
    cause: 'INVALID_MSG_FORMAT',
    ...(invalidParams === undefined ? {} : { invalidParams }),
  })

export const notFound = (detail: string, cause?: string): ProblemError =>
  new ProblemError(404, 'Not Found', detail, cause === undefined ? {} : { cause })
