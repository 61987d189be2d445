import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { Ajv, type ValidateFunction } from 'ajv'
import addFormatsModule from 'ajv-formats'
import { parse } from 'yaml'
import { ROOT } from './process.js'

// ajv-formats is CommonJS with a default export.
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv

/**
 * The official TS 29.122 Monitoring Event OpenAPI file, read from `../shared` beside the
 * repository (never copied into the packages).
 */
export const MONITORING_EVENT_FILE = join(
  ROOT,
  '..',
  'shared',
  'specs',
  '3gpp',
  'TS29122_MonitoringEvent.bundled.yaml',
)

let ajv: Ajv | undefined
const compiled = new Map<string, ValidateFunction>()

/** The parsed 3GPP file; a missing `../shared` is said in one line, not as a bare ENOENT. */
export function monitoringEventDocument(): Record<string, unknown> {
  if (!existsSync(MONITORING_EVENT_FILE))
    throw new Error(
      `the NEF tests read the 3GPP Monitoring Event file from ../shared beside the repository (the project's shared specs), and ${MONITORING_EVENT_FILE} is missing: clone the repository beside its shared folder`,
    )
  return parse(readFileSync(MONITORING_EVENT_FILE, 'utf8')) as Record<string, unknown>
}

/**
 * Ajv's errors (as JSON text) of `body` against a schema of the 3GPP file, e.g.
 * `MonitoringNotification`; `''` when it complies.
 */
export function monitoringEventSchemaErrors(schema: string, body: unknown): string {
  if (ajv === undefined) {
    ajv = new Ajv({ strict: false, allErrors: true, validateSchema: false, discriminator: false })
    addFormats(ajv)
    ajv.addSchema(monitoringEventDocument(), 'ts29122')
  }
  let validate = compiled.get(schema)
  if (validate === undefined) {
    validate = ajv.compile({ $ref: `ts29122#/components/schemas/${schema}` })
    compiled.set(schema, validate)
  }
  return validate(body) ? '' : JSON.stringify(validate.errors)
}
