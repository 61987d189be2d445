/**
 * The wire contract shared by the Device Status gateway, SDK and CLI, defined once: the CAMARA
 * API table (names, spec files, versions, base paths), event types and lifecycle reasons, and the
 * spec's request and response types, all generated from the CAMARA spec files; and the admin
 * API's JSON Schemas with the types generated from them. Plain values and types only: no
 * Node-only API, so it runs wherever the SDK runs (Node, browsers, Deno, Bun).
 *
 * `src/generated/` is written by `scripts/generate.ts`; `test/generated.test.ts` fails when a spec
 * file or an admin schema changed without it.
 *
 * @packageDocumentation
 */
export * from './generated/camara-apis.js'
export * from './events.js'
export * from './errors.js'
export * from './admin.js'
export type * from './spec-types.js'
