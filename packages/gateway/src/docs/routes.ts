import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { FastifyInstance } from 'fastify'
import { API_FILES, SPECS_DIR, loadSpec, type ApiName } from '../specs/catalog.js'
import { withDemoNumbers } from '../console/examples.js'
import { adminSpec, type AdminSchemas } from './admin-spec.js'

interface ServedDocument {
  servers?: { url: string; variables?: unknown }[]
  paths: Record<string, Record<string, { security?: Record<string, string[]>[] }>>
  components?: { securitySchemes?: Record<string, Record<string, unknown>> }
}

/**
 * The served APIs' OpenAPI files as `/docs` shows them, adjusted at serve time (the files on disk
 * stay unmodified): the gateway's own origin as server; the OpenID Connect scheme pointed at the
 * gateway's discovery document instead of `example.com`; a bearer scheme beside it, so that
 * Swagger UI's Authorize takes a token from this gateway as it is; phone numbers in examples
 * replaced by a demo device's.
 */
function servedSpec(file: string, origin: string): string {
  const doc = withDemoNumbers(structuredClone(loadSpec(file))) as unknown as ServedDocument
  const url = doc.servers?.[0]?.url ?? ''
  doc.servers = [{ url: url.replace('{apiRoot}', origin) }]
  const schemes = (doc.components ??= {}).securitySchemes ?? {}
  for (const scheme of Object.values(schemes)) {
    if (scheme['type'] === 'openIdConnect')
      scheme['openIdConnectUrl'] = `${origin}/.well-known/openid-configuration`
  }
  schemes['bearerAuth'] = {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
    description:
      'An access token of this gateway: from its token endpoint (client credentials, CIBA, authorization code), the console\'s "Try it", or in the sandbox POST /sandbox/v1/access-tokens.',
  }
  doc.components.securitySchemes = schemes
  for (const item of Object.values(doc.paths)) {
    for (const op of Object.values(item)) {
      if (Array.isArray(op.security)) {
        op.security = [...op.security, { bearerAuth: [] }]
      }
    }
  }
  return JSON.stringify(doc)
}

/** Drops the network simulator's operations (not mounted when the network is a NEF). */
function withoutSimulator(document: Record<string, unknown>): void {
  const paths = document['paths'] as Record<string, Record<string, { tags?: string[] }>>
  for (const [path, item] of Object.entries(paths)) {
    for (const [method, op] of Object.entries(item))
      if (op.tags?.includes('Network simulator') === true) delete item[method]
    if (Object.keys(item).length === 0) delete paths[path]
  }
}

const page = (specs: { name: string; url: string }[]) => `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Device Status gateway: API docs</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="/docs/assets/swagger-ui.css">
</head>
<body>
<div id="ui"></div>
<script src="/docs/assets/swagger-ui-bundle.js"></script>
<script src="/docs/assets/swagger-ui-standalone-preset.js"></script>
<script>
window.ui = SwaggerUIBundle({
  dom_id: '#ui',
  urls: ${JSON.stringify(specs)},
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
  layout: 'StandaloneLayout',
  deepLinking: true
})
</script>
</body>
</html>`

/**
 * `/docs`: Swagger UI over every exposed API (one entry per CAMARA file, served from the
 * unmodified YAML with the gateway as server); `/docs/specs/<file>.json` serves each document.
 */
export function docsRoutes(
  app: FastifyInstance,
  deps: {
    origin: string
    assetsDir: string
    sandbox?: boolean
    adminSchemas: AdminSchemas
    /** The APIs this gateway serves; the others are not documented (default all). */
    offeredApis?: readonly ApiName[]
    /** The network is the built-in simulator (its admin API is documented); default true. */
    simulator?: boolean
  },
): void {
  const files = (deps.offeredApis ?? (Object.keys(API_FILES) as ApiName[])).map(
    (api) => API_FILES[api],
  )
  const specs = [
    ...files.map((file) => ({
      name: `${loadSpec(file).info.title} ${loadSpec(file).info.version}`,
      url: `/docs/specs/${file.replace(/\.yaml$/, '.json')}`,
    })),
    {
      name: 'Gateway admin API (simulator, apps, consent, notifications)',
      url: '/docs/specs/admin.json',
    },
  ]
  const adminDocument = adminSpec(deps.origin, deps.sandbox ?? true, deps.adminSchemas)
  if (deps.simulator === false) withoutSimulator(adminDocument)
  const admin = JSON.stringify(adminDocument)
  const html = page(specs)
  app.get('/docs', async (_request, reply) => reply.type('text/html; charset=utf-8').send(html))
  app.get('/docs/', async (_request, reply) => reply.redirect('/docs'))
  app.get('/docs/specs', async () => specs)
  app.get('/docs/specs/:name', async (request, reply) => {
    const name = (request.params as { name: string }).name
    if (name === 'admin.json') return reply.type('application/json').send(admin)
    const file = files.find((f) => f.replace(/\.yaml$/, '.json') === name || f === name)
    if (file === undefined) return reply.callNotFound()
    if (name.endsWith('.yaml'))
      return reply.type('application/yaml').send(readFileSync(join(SPECS_DIR, file)))
    return reply.type('application/json').send(servedSpec(file, deps.origin))
  })
  const assets = new Set([
    'swagger-ui.css',
    'swagger-ui-bundle.js',
    'swagger-ui-standalone-preset.js',
  ])
  app.get('/docs/assets/:file', async (request, reply) => {
    const file = (request.params as { file: string }).file
    if (!assets.has(file)) return reply.callNotFound()
    reply.header('cache-control', 'public, max-age=86400')
    return reply
      .type(file.endsWith('.css') ? 'text/css' : 'application/javascript')
      .send(readFileSync(join(deps.assetsDir, file)))
  })
}
