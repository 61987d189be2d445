import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { API_FILES } from '../../src/specs/catalog.js'
import { assertError } from '../helpers/device-api-suite.js'
import { testStoreKind } from '../helpers/test-store.js'
import { startTestGateway, type TestGateway } from '../helpers/gateway.js'
import { call, startGatewayProcess } from '../helpers/process.js'

describe('health, readiness, docs, JWKS, unknown routes', () => {
  let gw: TestGateway
  before(async () => {
    gw = await startTestGateway()
  })
  after(() => gw.close())

  it('GET /health and GET /ready', async () => {
    assert.deepEqual(await (await fetch(gw.url + '/health')).json(), { status: 'ok' })
    const ready = await fetch(gw.url + '/ready')
    assert.equal(ready.status, 200)
    assert.deepEqual(await ready.json(), { status: 'ready', store: testStoreKind() })
  })

  it('/docs lists every exposed API and the admin API, and serves each spec with the gateway as server', async () => {
    const page = await fetch(gw.url + '/docs')
    assert.equal(page.status, 200)
    assert.match(await page.text(), /SwaggerUIBundle/)
    const specs = (await (await fetch(gw.url + '/docs/specs')).json()) as {
      name: string
      url: string
    }[]
    // The nine CAMARA files, then the gateway's own admin API.
    assert.equal(specs.length, Object.keys(API_FILES).length + 1)
    assert.equal(specs.at(-1)?.url, '/docs/specs/admin.json')
    for (const { url } of specs) {
      const doc = (await (await fetch(gw.url + url)).json()) as {
        servers: { url: string }[]
        paths: object
      }
      assert.ok(doc.servers[0]?.url.startsWith(gw.config.issuer), doc.servers[0]?.url)
      assert.ok(Object.keys(doc.paths).length > 0)
    }
    const css = await fetch(gw.url + '/docs/assets/swagger-ui.css')
    assert.equal(css.status, 200)
    assert.equal((await fetch(gw.url + '/docs/assets/..%2Fpackage.json')).status, 404)
  })

  it('GET /oauth2/jwks publishes the public signing key only', async () => {
    const jwks = (await (await fetch(gw.url + '/oauth2/jwks')).json()) as {
      keys: Record<string, string>[]
    }
    assert.equal(jwks.keys.length, 1)
    assert.equal(jwks.keys[0]?.['alg'], 'ES256')
    assert.equal(jwks.keys[0]?.['d'], undefined, 'no private part')
  })

  it('unknown routes are 404 NOT_FOUND in the CAMARA shape', async () => {
    const res = await fetch(gw.url + '/device-roaming-status/v9/retrieve', { method: 'POST' })
    assert.equal(res.status, 404)
    assert.deepEqual(Object.keys((await res.json()) as object).sort(), [
      'code',
      'message',
      'status',
    ])
  })
})

describe('rate limit', () => {
  it('answers 429 TOO_MANY_REQUESTS with Retry-After once an app exceeds its rate', async () => {
    const gw = await startTestGateway({ RATE_LIMIT_PER_SECOND: '5' })
    try {
      const token = await gw.token2('device-roaming-status:read')
      const other = await gw.token2('device-roaming-status:read', { clientId: 'another-app' })
      const body = { device: { phoneNumber: '+34600000001' } }
      // A token bucket (one instance) or a one-second window shared in PostgreSQL: at least the
      // rate passes, at most two windows' worth, then 429.
      let passed = 0
      let limited: Awaited<ReturnType<typeof gw.post>> | undefined
      for (let i = 0; i < 30 && limited === undefined; i++) {
        const res = await gw.post('/device-roaming-status/v1/retrieve', body, token)
        if (res.status === 200) passed++
        else limited = res
      }
      assert.ok(limited !== undefined, 'a 429 came')
      assert.ok(passed >= 5 && passed <= 10, `${passed} requests passed before the limit`)
      assertError(limited, 429, 'TOO_MANY_REQUESTS')
      assert.ok(Number(limited.headers.get('retry-after')) >= 1)
      assert.equal(
        (await gw.post('/device-roaming-status/v1/retrieve', body, other)).status,
        200,
        'per app',
      )
    } finally {
      await gw.close()
    }
  })
})

describe('configuration errors and graceful shutdown', () => {
  it('a bad configuration fails at start with every bad variable named', async () => {
    await assert.rejects(
      startTestGateway({ PORT: 'eighty', DS_MODE: 'prod', LOG_LEVEL: 'loud' }),
      (error: Error) =>
        /PORT/.test(error.message) &&
        /DS_MODE/.test(error.message) &&
        /LOG_LEVEL/.test(error.message),
    )
  })

  it('production mode needs ADMIN_TOKEN and seeds nothing', async () => {
    await assert.rejects(startTestGateway({ DS_MODE: 'production' }), /ADMIN_TOKEN is required/)
    const gw = await startTestGateway({
      DS_MODE: 'production',
      ADMIN_TOKEN: 'a-long-enough-admin-token',
    })
    try {
      assert.deepEqual((await gw.admin('GET', '/network/v1/devices')).body, [])
    } finally {
      await gw.close()
    }
  })

  it('the gateway process stops cleanly on SIGTERM', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'ds-sigterm-'))
    const child = spawn(
      process.execPath,
      ['--conditions=source', '--import', 'tsx', 'packages/gateway/src/main.ts'],
      {
        cwd: join(import.meta.dirname, '..', '..', '..', '..'),
        env: { ...process.env, PORT: '0', DATA_DIR: dataDir, LOG_LEVEL: 'info' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    )
    try {
      let output = ''
      const url = await new Promise<string>((resolve, reject) => {
        child.stdout.on('data', (chunk: Buffer) => {
          output += chunk.toString()
          const match = /listening on (http:\/\/\S+)/.exec(output)
          if (match?.[1] !== undefined) resolve(match[1])
        })
        child.once('exit', (code) => reject(new Error(`exited ${code}: ${output}`)))
      })
      assert.equal((await fetch(url + '/health')).status, 200)
      const exited = new Promise<number | null>((resolve) => child.once('exit', resolve))
      child.kill('SIGTERM')
      assert.equal(await exited, 0)
      assert.match(output, /"msg":"shutting down"/)
    } finally {
      child.kill('SIGKILL')
      rmSync(dataDir, { recursive: true, force: true })
    }
  })
})

describe('request logs (pino JSON on stdout)', () => {
  const ADMIN = 'log-test-admin-token-0123456789'

  /** Runs one gateway process at `level`: a refused and a successful call, then SIGTERM. */
  async function logLines(level: string): Promise<Record<string, unknown>[]> {
    const dataDir = mkdtempSync(join(tmpdir(), 'ds-logs-'))
    const gateway = await startGatewayProcess({
      DATA_DIR: dataDir,
      LOG_LEVEL: level,
      ADMIN_TOKEN: ADMIN,
    })
    try {
      const minted = await call(gateway.url, 'POST', '/sandbox/v1/access-tokens', {
        token: ADMIN,
        json: { clientId: 'log-test', scope: 'device-roaming-status:read' },
      })
      assert.equal(minted.status, 201, JSON.stringify(minted.body))
      const retrieve = (headers: Record<string, string>) =>
        fetch(gateway.url + '/device-roaming-status/v1/retrieve', {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...headers },
          body: JSON.stringify({ device: { phoneNumber: '+34600000002' } }),
        })
      const refused = await retrieve({ 'x-correlator': 'log-refused-1' })
      assert.equal(refused.status, 401)
      const served = await retrieve({
        'x-correlator': 'log-served-1',
        authorization: `Bearer ${minted.body.access_token as string}`,
      })
      assert.equal(served.status, 200)
    } finally {
      // Log lines are buffered; a graceful stop flushes them.
      await gateway.stop('SIGTERM')
      rmSync(dataDir, { recursive: true, force: true })
    }
    return gateway
      .output()
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>)
  }
  const requestLine = (lines: Record<string, unknown>[], correlator: string) =>
    lines.filter((line) => line['msg'] === 'request' && line['correlator'] === correlator)

  it("each request's line carries its x-correlator; refusals at info, successes at debug", async () => {
    const debug = await logLines('debug')
    const [refused] = requestLine(debug, 'log-refused-1')
    assert.deepEqual(
      { level: refused?.['level'], status: refused?.['status'], method: refused?.['method'] },
      { level: 30, status: 401, method: 'POST' },
    )
    assert.equal(refused?.['url'], '/device-roaming-status/v1/retrieve')
    assert.equal(typeof refused?.['ms'], 'number')
    const [served] = requestLine(debug, 'log-served-1')
    assert.deepEqual(
      { level: served?.['level'], status: served?.['status'] },
      { level: 20, status: 200 },
    )
    // The refusal's reason is logged at debug under the same correlator.
    assert.ok(
      debug.some(
        (line) =>
          line['correlator'] === 'log-refused-1' &&
          line['msg'] === 'request refused' &&
          line['code'] === 'UNAUTHENTICATED',
      ),
    )

    const info = await logLines('info')
    assert.equal(requestLine(info, 'log-refused-1').length, 1)
    assert.equal(requestLine(info, 'log-served-1').length, 0, 'a success writes no line at info')
    assert.ok(!info.some((line) => line['msg'] === 'request refused'), 'no debug lines at info')
  })
})

describe('sandbox access tokens (POST /sandbox/v1/access-tokens)', () => {
  it('mints two- and three-legged tokens that the APIs accept; admin only; absent in production', async () => {
    const gw = await startTestGateway()
    try {
      const two = await gw.admin('POST', '/sandbox/v1/access-tokens', {
        scope: 'device-roaming-status:read',
      })
      assert.equal(two.status, 201, JSON.stringify(two.body))
      assert.equal(two.body.token_type, 'Bearer')
      const read = await gw.post(
        '/device-roaming-status/v1/retrieve',
        { device: { phoneNumber: '+34600000002' } },
        two.body.access_token,
      )
      assert.equal(read.body.countryCode, 262)
      const three = await gw.admin('POST', '/sandbox/v1/access-tokens', {
        scope: 'device-roaming-status:read',
        phoneNumber: '+34600000002',
      })
      const own = await gw.post('/device-roaming-status/v1/retrieve', {}, three.body.access_token)
      assert.equal(own.body.countryCode, 262)
      assertError(
        await gw.admin('POST', '/sandbox/v1/access-tokens', { scope: 'x' }, 'wrong'),
        401,
        'UNAUTHENTICATED',
      )
      assertError(
        await gw.admin('POST', '/sandbox/v1/access-tokens', { scope: '' }),
        400,
        'INVALID_ARGUMENT',
      )
      assertError(
        await gw.admin('POST', '/sandbox/v1/access-tokens', {
          scope: 'x',
          phoneNumber: '+34699999999',
        }),
        404,
        'IDENTIFIER_NOT_FOUND',
      )
    } finally {
      await gw.close()
    }
    const prod = await startTestGateway({
      DS_MODE: 'production',
      ADMIN_TOKEN: 'a-long-enough-admin-token',
    })
    try {
      assertError(
        await prod.admin('POST', '/sandbox/v1/access-tokens', { scope: 'x' }),
        404,
        'NOT_FOUND',
      )
    } finally {
      await prod.close()
    }
  })
})
