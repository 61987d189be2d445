import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parse } from 'yaml'
import { CAMARA_APIS, type ApiName } from '@device-status/contract'

/** Folder holding the CAMARA OpenAPI files (unmodified copies of ../shared/specs). */
export const SPECS_DIR: string = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'specs')

/** The API files this gateway serves, by the stable names used across the code (the contract's table). */
export const API_FILES: { readonly [TName in ApiName]: (typeof CAMARA_APIS)[TName]['file'] } =
  Object.fromEntries(Object.entries(CAMARA_APIS).map(([name, api]) => [name, api.file])) as {
    [TName in ApiName]: (typeof CAMARA_APIS)[TName]['file']
  }

export type { ApiName }

// Loose OpenAPI 3.0 shapes: only what the gateway reads.
export interface OpenApiDocument {
  openapi: string
  info: { title: string; version: string }
  servers?: { url: string }[]
  paths: Record<string, Record<string, OpenApiOperation>>
  components?: { schemas?: Record<string, JsonSchema>; [key: string]: unknown }
}
export interface OpenApiOperation {
  operationId?: string
  security?: Record<string, string[]>[]
  requestBody?: { required?: boolean; content?: Record<string, { schema?: JsonSchema }> }
  responses?: Record<string, unknown>
  parameters?: unknown[]
}
export type JsonSchema = Record<string, unknown>

/** One operation of one spec, as the router needs it. */
export interface SpecOperation {
  api: ApiName
  file: string
  operationId: string
  method: string
  /** Full path, base path included: `/device-roaming-status/v1/retrieve`. */
  url: string
  /** Alternatives: the token must hold every scope of at least one entry. */
  scopes: readonly (readonly string[])[]
  /** `$ref` into the loaded document, for the validator; undefined when there is no body. */
  bodySchemaRef: string | undefined
  /** `$ref` of the 200 answer's JSON schema, for the serializer; undefined when it has none. */
  okSchemaRef: string | undefined
}

const documents = new Map<string, OpenApiDocument>()

/** Parses a spec file once and keeps it. */
export function loadSpec(file: string): OpenApiDocument {
  let doc = documents.get(file)
  if (doc === undefined) {
    doc = parse(readFileSync(join(SPECS_DIR, file), 'utf8')) as OpenApiDocument
    documents.set(file, doc)
  }
  return doc
}

/** The base path of a spec: its first `servers` URL without `{apiRoot}`. */
export function basePath(doc: OpenApiDocument): string {
  const url = doc.servers?.[0]?.url
  if (url === undefined) throw new Error(`spec ${doc.info.title} has no servers entry`)
  return url.replace('{apiRoot}', '')
}

/** Finds an operation by API and operationId, failing loudly at start-up when the spec lacks it. */
export function specOperation(api: ApiName, operationId: string): SpecOperation {
  return findOperation(api, (_path, _method, op) => op.operationId === operationId, operationId)
}

/** Finds an operation by API, method and path (relative to the base path). */
export function specOperationAt(api: ApiName, method: string, path: string): SpecOperation {
  return findOperation(api, (p, m) => p === path && m === method.toLowerCase(), `${method} ${path}`)
}

function findOperation(
  api: ApiName,
  match: (path: string, method: string, op: OpenApiOperation) => boolean,
  what: string,
): SpecOperation {
  const file = API_FILES[api]
  const doc = loadSpec(file)
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(item)) {
      if (!match(path, method, op)) continue
      const bodySchema = op.requestBody?.content?.['application/json']?.schema
      const ref = typeof bodySchema?.['$ref'] === 'string' ? bodySchema['$ref'] : undefined
      const okSchema = (
        op.responses?.['200'] as { content?: Record<string, { schema?: JsonSchema }> } | undefined
      )?.content?.['application/json']?.schema
      const okRef = typeof okSchema?.['$ref'] === 'string' ? okSchema['$ref'] : undefined
      return {
        api,
        file,
        operationId: op.operationId ?? what,
        method: method.toUpperCase(),
        url: basePath(doc) + path,
        scopes: (op.security ?? []).map((alternative) => Object.values(alternative).flat()),
        bodySchemaRef: ref === undefined ? undefined : `${file}${ref}`,
        okSchemaRef: okRef === undefined ? undefined : `${file}${okRef}`,
      }
    }
  }
  throw new Error(`operation ${what} not found in ${file}`)
}

/** The x-correlator pattern of the 1.1.0 APIs (NOTES.md §6.1: the wider one serves all). */
export function correlatorPattern(): RegExp {
  const schema = loadSpec(API_FILES['device-roaming-status']).components?.schemas?.['XCorrelator']
  const pattern = schema?.['pattern']
  if (typeof pattern !== 'string') throw new Error('XCorrelator pattern missing from the spec')
  return new RegExp(pattern)
}
