import type { FastifyBaseLogger } from 'fastify'
import type { Bindings, ChildLoggerOptions } from 'pino'

type Level = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace'
type LevelAwareLogger = FastifyBaseLogger & { isLevelEnabled(level: string): boolean }

/**
 * A request's logger that becomes a real pino child (bound to the request's correlator) only when
 * the request writes a line. Most successful API calls write none at the default level, and a
 * pino child per request cost the hot path about a sixth of its time (bench/README.md).
 */
class DeferredChildLogger implements FastifyBaseLogger {
  readonly #parent: LevelAwareLogger
  readonly #bindings: Bindings
  #child: FastifyBaseLogger | undefined

  constructor(parent: LevelAwareLogger, bindings: Bindings) {
    this.#parent = parent
    this.#bindings = bindings
  }

  #logger(): FastifyBaseLogger {
    this.#child ??= this.#parent.child(this.#bindings)
    return this.#child
  }

  #write(level: Level, args: unknown[]): void {
    if (!this.#parent.isLevelEnabled(level)) return
    this.#logger()[level](...(args as Parameters<FastifyBaseLogger['info']>))
  }

  get level(): string {
    return this.#child?.level ?? this.#parent.level
  }

  set level(level: string) {
    this.#logger().level = level
  }

  fatal(...args: unknown[]): void {
    this.#write('fatal', args)
  }
  error(...args: unknown[]): void {
    this.#write('error', args)
  }
  warn(...args: unknown[]): void {
    this.#write('warn', args)
  }
  info(...args: unknown[]): void {
    this.#write('info', args)
  }
  debug(...args: unknown[]): void {
    this.#write('debug', args)
  }
  trace(...args: unknown[]): void {
    this.#write('trace', args)
  }
  silent(): void {}

  child(bindings: Bindings, options?: ChildLoggerOptions): FastifyBaseLogger {
    return this.#logger().child(bindings, options)
  }
}

/**
 * fastify's `childLoggerFactory`: a deferred child, unless the route sets its own log level or
 * serializers (then pino must build the child at once to apply them).
 */
export function deferredChildLogger(
  logger: FastifyBaseLogger,
  bindings: Bindings,
  options: ChildLoggerOptions,
): FastifyBaseLogger {
  if (
    options.level !== undefined ||
    options.serializers !== undefined ||
    typeof (logger as Partial<LevelAwareLogger>).isLevelEnabled !== 'function'
  )
    return logger.child(bindings, options)
  return new DeferredChildLogger(logger as LevelAwareLogger, bindings)
}
