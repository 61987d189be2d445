// Child-process entry points of the benchmark: `baseline` (a bare node:http JSON handler),
// `fastify` (a bare fastify route) or `gateway` (the real gateway with a minted token). Each sends its URL to the parent over IPC;
// the gateway's log lines go to stdout, which the parent sends to /dev/null.
import { createServer } from 'node:http'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const role = process.argv[2]

if (role === 'baseline') {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString() || '{}') as { device?: unknown }
      const answer = JSON.stringify({
        device: body.device,
        lastStatusTime: new Date().toISOString(),
        roaming: true,
        countryCode: 262,
        countryName: ['DE'],
      })
      res.writeHead(200, {
        'content-type': 'application/json; charset=utf-8',
        'content-length': Buffer.byteLength(answer),
      })
      res.end(answer)
    })
  })
  server.listen(0, '127.0.0.1', () => {
    const address = server.address()
    const port = typeof address === 'object' && address !== null ? address.port : 0
    process.send?.({ url: `http://127.0.0.1:${port}` })
  })
} else if (role === 'fastify') {
  // The framework's floor: a bare fastify route answering the same JSON, with nothing of ours
  // (no auth, validation, store, logs or metrics). gateway/fastify shows what our code costs.
  const { default: Fastify } = await import('fastify')
  const app = Fastify({ logger: false })
  app.post('/device-roaming-status/v1/retrieve', async (request) => ({
    device: (request.body as { device?: unknown }).device,
    lastStatusTime: new Date().toISOString(),
    roaming: true,
    countryCode: 262,
    countryName: ['DE'],
  }))
  await app.listen({ host: '127.0.0.1', port: 0 })
  const address = app.server.address()
  const port = typeof address === 'object' && address !== null ? address.port : 0
  process.send?.({ url: `http://127.0.0.1:${port}` })
} else if (role === 'gateway') {
  const { startGateway } = await import('../packages/gateway/src/gateway.js')
  const { mintAccessToken } = await import('../packages/gateway/src/auth/access-token.js')
  const gateway = await startGateway({
    env: {
      ...process.env,
      PORT: '0',
      DATA_DIR: process.env['DATA_DIR'] ?? mkdtempSync(join(tmpdir(), 'ds-bench-')),
      RATE_LIMIT_PER_SECOND: '10000000',
    },
  })
  const token = await mintAccessToken(
    { store: gateway.store, keyring: gateway.keyring, issuer: gateway.config.issuer },
    { clientId: 'bench', scope: 'device-roaming-status:read', ttlSeconds: 3600 },
  )
  process.send?.({ url: gateway.url, token, adminToken: gateway.adminToken })
  process.once('SIGTERM', () => void gateway.close().then(() => process.exit(0)))
} else {
  throw new Error(`unknown role ${role}`)
}
