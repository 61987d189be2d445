import fastJson from 'fast-json-stringify'
import { loadSpec, type JsonSchema, type OpenApiDocument } from './catalog.js'

/** A compiled JSON serializer: the same text `JSON.stringify` gives for the values it is made for. */
export type Serializer = (value: unknown) => string

/**
 * A compiled serializer (fast-json-stringify) for the answers of one operation, from the schema
 * at `ref` (`file#/pointer`, as the validator takes it). It writes exactly what `JSON.stringify`
 * writes, which is what fastify sends for these routes (they declare no response schema), for an
 * answer built as the gateway builds them: the spec's types, properties in the spec's order, none
 * but the spec's. The schema it compiles is therefore the spec's shapes only: types, properties
 * and items, `nullable`; formats, enums and required lists left out (they would convert or
 * refuse, never change a valid answer's text); a part whose shape depends on a combination
 * (`anyOf`, `oneOf`, `not`), which may echo what a client sent, as given, in its own order, is
 * left to `JSON.stringify`. test/http/lean-path.test.ts compares the bytes of every retrieve
 * operation's answer through this serializer and through fastify.
 */
export function serializerFor(ref: string): Serializer {
  const hash = ref.indexOf('#')
  const file = ref.slice(0, hash)
  const doc = loadSpec(file)
  const schema = shapeOf(doc, pointer(doc, ref.slice(hash + 1)), 0)
  const stringify = fastJson(schema) as (value: unknown) => string
  return stringify
}

function pointer(doc: OpenApiDocument, path: string): JsonSchema {
  let node: unknown = doc
  for (const part of path.split('/').slice(1))
    node = (node as Record<string, unknown>)[part.replace(/~1/g, '/').replace(/~0/g, '~')]
  if (typeof node !== 'object' || node === null) throw new Error(`no schema at ${path}`)
  return node as JsonSchema
}

function resolved(doc: OpenApiDocument, schema: JsonSchema): JsonSchema {
  let current = schema
  for (let hops = 0; typeof current['$ref'] === 'string'; hops++) {
    const ref = current['$ref']
    if (!ref.startsWith('#/') || hops > 32) return {}
    current = pointer(doc, ref.slice(1))
  }
  return current
}

const SCALARS = new Set(['string', 'boolean', 'integer', 'number'])

/** The shape of `schema` for fast-json-stringify: see {@link serializerFor}. */
function shapeOf(doc: OpenApiDocument, given: JsonSchema, depth: number): JsonSchema {
  const schema = resolved(doc, given)
  if (depth > 8 || 'anyOf' in schema || 'oneOf' in schema || 'not' in schema) return {}
  const nullable = schema['nullable'] === true ? { nullable: true } : {}
  const type = schema['type']
  if (Array.isArray(schema['allOf'])) {
    // Constraints such as `maxProperties` add no shape: merge the parts' properties.
    const properties: Record<string, JsonSchema> = {}
    for (const part of schema['allOf'] as JsonSchema[]) {
      const shape = shapeOf(doc, part, depth)
      if (shape['type'] === 'object')
        Object.assign(properties, shape['properties'] as Record<string, JsonSchema>)
      else if (Object.keys(shape).length > 0 || 'properties' in resolved(doc, part)) return {}
    }
    return { type: 'object', properties, ...nullable }
  }
  if (type === 'object' && typeof schema['properties'] === 'object') {
    const properties: Record<string, JsonSchema> = {}
    for (const [name, property] of Object.entries(schema['properties'] as object))
      properties[name] = shapeOf(doc, property as JsonSchema, depth + 1)
    return { type: 'object', properties, ...nullable }
  }
  if (type === 'array' && typeof schema['items'] === 'object')
    return {
      type: 'array',
      items: shapeOf(doc, schema['items'] as JsonSchema, depth + 1),
      ...nullable,
    }
  if (typeof type === 'string' && SCALARS.has(type)) return { type, ...nullable }
  return {}
}
