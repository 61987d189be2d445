// Issue 15: every error of the auth layer is an AuthError (a DeviceStatusError), and `code` narrows.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import {
  ApiError,
  AuthError,
  CAMARA_ERROR_STATUS,
  ClientCredentials,
  DeviceStatus,
  DeviceStatusError,
  isDeviceStatusError,
  SIMSwap,
  type AnyDeviceStatusError,
} from '@device-status/sdk'
import { CAMARA_STATUS } from '../../gateway/src/core/camara-error.js'
import { startStubServer, startTestGateway, type TestGateway } from './helpers.js'

/**
 * What an app writes: `switch (error.code)` and each case's own fields. This compiles only while
 * `code` narrows the union (root `npm run typecheck` compiles the tests).
 */
function describeError(error: unknown): string {
  if (!isDeviceStatusError(error)) return 'not an SDK error'
  switch (error.code) {
    case 'OAUTH_ERROR':
      return `auth ${error.error} ${error.status ?? ''}`.trim()
    case 'NETWORK_ERROR':
      // @ts-expect-error: a NetworkError has no OAuth `error`
      void error.error
      return `network ${error.correlator ?? ''}`.trim()
    case 'INVALID_RESPONSE':
      return `invalid response ${error.status}`
    case 'INVALID_NOTIFICATION':
    case 'UNAUTHORIZED_NOTIFICATION':
      return `notification ${error.status}`
    case 'INVALID_USAGE':
    case 'DEVICE_MISMATCH':
      // @ts-expect-error: a usage error has no HTTP status
      void error.status
      return `usage ${error.message}`
    case 'TIMEOUT':
      // A client-side timeout or a gateway's 504: `status` tells them apart.
      return 'status' in error ? `api 504` : `timeout ${error.timeout}`
    default: {
      const api: ApiError = error
      return `api ${api.status} ${api.code}`
    }
  }
}

describe('SDK errors: the auth layer', () => {
  let gw: TestGateway
  before(async () => {
    gw = await startTestGateway({ CIBA_INTERVAL: '1' })
  })
  after(() => gw.close())

  const credentials = (clientSecret: string, clientId = 'my-app-id') =>
    new ClientCredentials({ clientId, clientSecret, baseUrl: gw.url })

  /** Asserts an AuthError with this OAuth error that shows no secret. */
  async function rejectsWith(
    promise: Promise<unknown>,
    expected: { error: string; status?: number },
    secret = 'wrong-secret',
  ) {
    await assert.rejects(promise, (e: unknown) => {
      assert.ok(e instanceof AuthError, `${String(e)}`)
      assert.ok(e instanceof DeviceStatusError)
      assert.ok(isDeviceStatusError(e))
      assert.equal(e.code, 'OAUTH_ERROR')
      assert.equal(e.name, 'AuthError')
      assert.equal(e.error, expected.error)
      if (expected.status !== undefined) assert.equal(e.status, expected.status)
      assert.doesNotMatch(JSON.stringify({ ...e, message: e.message }), new RegExp(secret))
      assert.match(describeError(e), new RegExp(`^auth ${expected.error}`))
      return true
    })
  }

  const cases: {
    name: string
    run: () => Promise<unknown>
    error: string
    status?: number
  }[] = [
    {
      name: 'client credentials with a wrong client secret (a WWW-Authenticate challenge)',
      run: () =>
        new DeviceStatus(credentials('wrong-secret'), {
          device: { phoneNumber: '+34600000002' },
        }).getRoamingStatus(),
      error: 'invalid_client',
      status: 401,
    },
    {
      name: 'client credentials of an unknown client',
      run: () =>
        new DeviceStatus(credentials('wrong-secret', 'no-such-app'), {
          device: { phoneNumber: '+34600000002' },
        }).getRoamingStatus(),
      error: 'invalid_client',
      status: 401,
    },
    {
      name: 'CIBA with a wrong client secret',
      run: () =>
        new DeviceStatus(credentials('wrong-secret'), {
          phoneNumber: '+34600000002',
        }).getRoamingStatus(),
      error: 'invalid_client',
      status: 401,
    },
    {
      name: 'CIBA for an unknown subscriber',
      run: () =>
        new DeviceStatus(credentials('my-app-secret'), {
          phoneNumber: '+34699999999',
        }).getRoamingStatus(),
      error: 'unknown_user_id',
      status: 400,
    },
    {
      name: 'code exchange of a code the gateway never issued',
      run: () =>
        new SIMSwap(credentials('my-app-secret'), {
          authCode: 'not-a-code',
          redirectUri: 'http://localhost:3000/callback',
        }).retrieveDate(),
      error: 'invalid_grant',
      status: 400,
    },
    {
      name: 'code exchange with a wrong client secret',
      run: () =>
        new SIMSwap(credentials('wrong-secret'), {
          authCode: 'not-a-code',
          redirectUri: 'http://localhost:3000/callback',
        }).retrieveDate(),
      error: 'invalid_client',
      status: 401,
    },
  ]
  for (const c of cases) {
    it(c.name, async () => {
      await rejectsWith(c.run(), {
        error: c.error,
        ...(c.status === undefined ? {} : { status: c.status }),
      })
    })
  }

  it('a private key Web Crypto cannot import: client_error', async () => {
    const bad = new ClientCredentials({
      clientId: 'my-app-id',
      privateKey: { kty: 'EC', crv: 'P-256', x: 'AA', y: 'AA', d: 'AA', kid: 'k1' },
      baseUrl: gw.url,
    })
    await rejectsWith(
      new DeviceStatus(bad, { device: { phoneNumber: '+34600000002' } }).getRoamingStatus(),
      { error: 'client_error' },
    )
  })
})

describe('SDK errors: an authorization server that misbehaves', () => {
  /** A stub whose discovery points at itself and whose token endpoint answers `token`. */
  async function stub(
    token: (res: import('node:http').ServerResponse) => void,
    discovery?: (res: import('node:http').ServerResponse, issuer: string) => void,
  ) {
    let issuer = ''
    const server = await startStubServer((req, res) => {
      if (req.url === '/.well-known/openid-configuration') {
        if (discovery !== undefined) return discovery(res, issuer)
        res.writeHead(200, { 'content-type': 'application/json' })
        res.end(
          JSON.stringify({
            issuer,
            token_endpoint: `${issuer}/token`,
            backchannel_authentication_endpoint: `${issuer}/bc-authorize`,
          }),
        )
        return
      }
      token(res)
    })
    issuer = server.url
    return server
  }

  const cases: {
    name: string
    token?: (res: import('node:http').ServerResponse) => void
    discovery?: (res: import('node:http').ServerResponse, issuer: string) => void
    error: string
  }[] = [
    {
      name: 'token endpoint: 401 with a bare Basic challenge and no body',
      token: (res) => {
        res.writeHead(401, { 'www-authenticate': 'Basic realm="gateway"' })
        res.end()
      },
      error: 'invalid_client',
    },
    {
      name: 'token endpoint: 401 with a Bearer challenge naming its error',
      token: (res) => {
        res.writeHead(401, {
          'www-authenticate': 'Bearer error="invalid_token", error_description="expired"',
        })
        res.end()
      },
      error: 'invalid_token',
    },
    {
      name: 'token endpoint: 200 without an access token',
      token: (res) => {
        res.writeHead(200, { 'content-type': 'application/json' })
        res.end('{"token_type":"Bearer"}')
      },
      error: 'invalid_response',
    },
    {
      name: 'token endpoint: an HTML error page',
      token: (res) => {
        res.writeHead(500, { 'content-type': 'text/html' })
        res.end('<h1>oops</h1>')
      },
      error: 'invalid_response',
    },
    {
      name: 'discovery: 404',
      discovery: (res) => {
        res.writeHead(404, { 'content-type': 'text/plain' })
        res.end('not found')
      },
      error: 'invalid_response',
    },
    {
      name: 'discovery: another issuer',
      discovery: (res) => {
        res.writeHead(200, { 'content-type': 'application/json' })
        res.end(JSON.stringify({ issuer: 'http://127.0.0.1:1/elsewhere' }))
      },
      error: 'invalid_response',
    },
    {
      name: 'discovery: not JSON',
      discovery: (res) => {
        res.writeHead(200, { 'content-type': 'application/json' })
        res.end('{')
      },
      error: 'invalid_response',
    },
  ]
  for (const c of cases) {
    it(c.name, async (t) => {
      const server = await stub(
        c.token ??
          ((res) => {
            res.writeHead(500)
            res.end()
          }),
        c.discovery,
      )
      t.after(() => server.close())
      const creds = new ClientCredentials({
        clientId: 'app',
        clientSecret: 'wrong-secret',
        baseUrl: server.url,
        retry: { retries: 0 },
      })
      for (const run of [
        () => new DeviceStatus(creds, { device: { phoneNumber: '+34600000002' } }).isRoaming(),
        () => new DeviceStatus(creds, { phoneNumber: '+34600000002' }).isRoaming(),
      ]) {
        await assert.rejects(run(), (e: unknown) => {
          assert.ok(e instanceof AuthError, String(e))
          assert.equal(e.code, 'OAUTH_ERROR')
          assert.equal(e.error, c.error, e.message)
          return true
        })
      }
    })
  }
})

describe('SDK errors: codes', () => {
  it('the CAMARA codes the SDK types are the gateway catalog, with the same statuses', () => {
    assert.deepEqual(
      Object.entries(CAMARA_ERROR_STATUS).sort(),
      Object.entries(CAMARA_STATUS).sort(),
    )
  })

  it('switch (error.code) narrows to each class', () => {
    const errors: AnyDeviceStatusError[] = [
      new AuthError({ error: 'invalid_client', status: 401 }),
      new DeviceStatusError('INVALID_USAGE', 'clientId is required'),
    ]
    assert.deepEqual(errors.map(describeError), [
      'auth invalid_client 401',
      'usage clientId is required',
    ])
    assert.equal(describeError(new Error('x')), 'not an SDK error')
  })
})
