// Child-process entry points of the benchmark's baselines: `baseline` (a bare node:http JSON
// handler) or `fastify` (a bare fastify route). Each sends its URL to the parent over IPC. The
// gateway itself is started as `npm start` starts it (bench/roaming.ts).
import { createServer } from 'node:http'

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
} else {
  throw new Error(`unknown role ${role}`)
}
