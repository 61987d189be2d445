import { API_FILES, basePath, loadSpec, type ApiName, type JsonSchema } from '../specs/catalog.js'

/** The demo number that examples use instead of the specs' placeholders (`+123456789`). */
export const DEMO_NUMBER = '+34600000001'

type Json = null | boolean | number | string | Json[] | { [key: string]: Json }

function resolveRef(file: string, ref: string): unknown {
  let node: unknown = loadSpec(file)
  for (const part of ref.replace(/^#\//, '').split('/'))
    node = (node as Record<string, unknown> | undefined)?.[part]
  return node
}

function deref(file: string, node: unknown): Record<string, unknown> | undefined {
  let current = node as Record<string, unknown> | undefined
  for (let i = 0; i < 10 && typeof current?.['$ref'] === 'string'; i++)
    current = resolveRef(file, current['$ref']) as Record<string, unknown> | undefined
  return current
}

/** A value for a schema: its example, else one built from its required properties. */
function fromSchema(file: string, node: unknown, depth: number): Json | undefined {
  const schema = deref(file, node)
  if (schema === undefined || depth > 6) return undefined
  if (schema['example'] !== undefined) return schema['example'] as Json
  for (const key of ['allOf', 'oneOf', 'anyOf'] as const) {
    const parts = schema[key] as JsonSchema[] | undefined
    if (parts === undefined) continue
    const values = parts.map((p) => fromSchema(file, p, depth + 1))
    if (key !== 'allOf') return values.find((v) => v !== undefined)
    return Object.assign({}, ...values.filter((v) => typeof v === 'object' && v !== null)) as Json
  }
  if (Array.isArray(schema['enum'])) return schema['enum'][0] as Json
  if (schema['type'] === 'object' || schema['properties'] !== undefined) {
    const properties = (schema['properties'] ?? {}) as Record<string, unknown>
    const required = new Set((schema['required'] as string[] | undefined) ?? [])
    const out: Record<string, Json> = {}
    for (const [name, property] of Object.entries(properties)) {
      // The device is optional in the specs but what every two-legged call needs.
      if (name === 'device') out[name] = { phoneNumber: DEMO_NUMBER }
      else if (name === 'phoneNumber') out[name] = DEMO_NUMBER
      else if (required.has(name)) {
        const value = fromSchema(file, property, depth + 1)
        if (value !== undefined) out[name] = value
      }
    }
    return out
  }
  if (schema['type'] === 'array') {
    const item = fromSchema(file, schema['items'], depth + 1)
    return item === undefined ? [] : [item]
  }
  if (schema['type'] === 'string')
    return schema['format'] === 'date-time' ? new Date(0).toISOString() : ''
  if (schema['type'] === 'integer' || schema['type'] === 'number') return 0
  if (schema['type'] === 'boolean') return false
  return undefined
}

/** Phone numbers in an example become the demo number; everything else is kept. */
export function withDemoNumbers<T>(value: T): T {
  if (typeof value === 'string') return (/^\+[0-9]{6,15}$/.test(value) ? DEMO_NUMBER : value) as T
  if (Array.isArray(value)) return value.map(withDemoNumbers) as T
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(value)) out[k] = withDemoNumbers(v)
    return out as T
  }
  return value
}

export interface OperationInfo {
  api: ApiName
  operationId: string
  summary: string
  method: string
  /** Full path with the base path; `{id}` placeholders kept. */
  path: string
  scopes: string[]
  /** An example request body: the spec's first example, else one built from its schema. */
  body: unknown
}

/**
 * Every operation of the APIs offered (default: all nine), with an example body, for the
 * console's "Try it". An API the gateway does not offer (sim-swap and connected-network-type on a
 * NEF) is not listed: its routes are not mounted.
 */
export function operationCatalog(offered?: readonly ApiName[]): OperationInfo[] {
  const result: OperationInfo[] = []
  for (const [api, file] of Object.entries(API_FILES) as [ApiName, string][]) {
    if (offered !== undefined && !offered.includes(api)) continue
    const doc = loadSpec(file)
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(item)) {
        if (!['get', 'post', 'put', 'patch', 'delete'].includes(method)) continue
        const content = deref(file, op.requestBody)?.['content'] as
          Record<string, { schema?: unknown; examples?: Record<string, unknown> }> | undefined
        const json = content?.['application/json']
        let body: unknown
        const first = Object.values(json?.examples ?? {})[0]
        if (first !== undefined) body = deref(file, first)?.['value']
        if (body === undefined && json?.schema !== undefined)
          body = fromSchema(file, json.schema, 0)
        result.push({
          api,
          operationId: op.operationId ?? `${method} ${path}`,
          summary:
            typeof (op as { summary?: unknown }).summary === 'string'
              ? (op as { summary: string }).summary
              : '',
          method: method.toUpperCase(),
          path: basePath(doc) + path,
          scopes: [...new Set((op.security ?? []).flatMap((a) => Object.values(a).flat()))],
          body: body === undefined ? undefined : withDemoNumbers(body),
        })
      }
    }
  }
  return result
}
