import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv'
import addFormatsModule from 'ajv-formats'
import { API_FILES, loadSpec, type OpenApiDocument } from './catalog.js'

// ajv-formats is CommonJS with a default export.
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv

let shared: Ajv | undefined

/**
 * One Ajv instance holding every spec document under its file name, so a schema is referenced
 * as `device-roaming-status-v1.1.0.yaml#/components/schemas/RoamingStatusRequest` and compiled
 * straight from the YAML (OpenAPI 3.0 `nullable` is an Ajv keyword; `example` and the other
 * annotations are ignored in non-strict mode). No coercion: a number where the spec wants a
 * string is a 400, not silently converted.
 */
export function specAjv(): Ajv {
  if (shared !== undefined) return shared
  const ajv = new Ajv({
    strict: false,
    allErrors: false,
    coerceTypes: false,
    useDefaults: true,
    validateSchema: false,
    // The subscription specs use OpenAPI inheritance-style discriminators (a mapping without
    // oneOf), which Ajv's discriminator keyword refuses; they are annotations here.
    discriminator: false,
  })
  addFormats(ajv)
  addStorableFormats(ajv)
  for (const file of Object.values(API_FILES)) ajv.addSchema(validationCopy(loadSpec(file)), file)
  shared = ajv
  return ajv
}

/**
 * Formats as this gateway can store them: a `date-time` that `Date` reads (ajv-formats accepts a
 * leap second, `23:59:60`, which `Date` cannot), and the OpenAPI integer formats `int32` and
 * `int64` (Ajv ignores unknown formats; a column holds what int32 allows).
 */
function addStorableFormats(ajv: Ajv): void {
  const rfc3339 = ajv.formats['date-time']
  const formatOk =
    typeof rfc3339 === 'object' && rfc3339 !== null && 'validate' in rfc3339
      ? (rfc3339.validate as (text: string) => boolean)
      : typeof rfc3339 === 'function'
        ? (rfc3339 as (text: string) => boolean)
        : () => true
  ajv.addFormat('date-time', {
    type: 'string',
    validate: (text: string) => formatOk(text) && !Number.isNaN(Date.parse(text)),
  })
  ajv.addFormat('int32', {
    type: 'number',
    validate: (n: number) => Number.isInteger(n) && n >= -(2 ** 31) && n < 2 ** 31,
  })
  ajv.addFormat('int64', { type: 'number', validate: (n: number) => Number.isSafeInteger(n) })
}

/** Registers an extra spec file (e.g. the subscription APIs) with the shared instance. */
export function addSpecFile(file: string): void {
  const ajv = specAjv()
  if (ajv.getSchema(file) === undefined) ajv.addSchema(loadSpec(file), file)
}

const compiled = new Map<string, ValidateFunction>()

/** A compiled validator for a `file#/pointer` reference, cached. */
export function validatorFor(ref: string): ValidateFunction {
  let validate = compiled.get(ref)
  if (validate === undefined) {
    validate = specAjv().compile({ $ref: ref })
    compiled.set(ref, validate)
  }
  return validate
}

/** One line a person can act on: `/device/phoneNumber must match pattern "^\+[1-9][0-9]{4,14}$"`. */
export function describeValidationError(errors: readonly ErrorObject[] | null | undefined): string {
  const first = errors?.[0]
  if (first === undefined) return 'Request body does not comply with the schema.'
  const where =
    first.instancePath === '' ? 'request body' : first.instancePath.slice(1).replaceAll('/', '.')
  if (first.keyword === 'required') {
    const missing = (first.params as { missingProperty?: string }).missingProperty
    return `${where === 'request body' ? '' : `${where}.`}${missing ?? 'a property'} is required`
  }
  if (first.keyword === 'additionalProperties') {
    const extra = (first.params as { additionalProperty?: string }).additionalProperty
    return `${where} has an unknown property ${extra ?? ''}`.trim()
  }
  return `${where} ${first.message ?? 'is invalid'}`
}

/**
 * The document as validation uses it. One deliberate deviation: the `sink` pattern
 * (`^https://`) of the subscription requests is left to the sink policy
 * (notifications/sink-policy.ts), which demands https in production and also allows http to
 * loopback in sandbox mode (NOTES.md decision 3), answering with the API's own sink error code.
 */
function validationCopy(doc: OpenApiDocument): OpenApiDocument {
  const request = doc.components?.schemas?.['SubscriptionRequest'] as
    { properties?: { sink?: Record<string, unknown> } } | undefined
  if (request?.properties?.sink?.['pattern'] === undefined) return doc
  const copy = structuredClone(doc)
  const sink = (
    copy.components?.schemas?.['SubscriptionRequest'] as {
      properties: { sink: Record<string, unknown> }
    }
  ).properties.sink
  delete sink['pattern']
  return copy
}
