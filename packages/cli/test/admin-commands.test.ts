import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { generateKeyPairSync } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { after, before, describe, it } from 'node:test'
import { startTestGateway, type TestGateway } from '../../gateway/test/helpers/gateway.js'
import { Receiver } from '../../gateway/test/helpers/receiver.js'

const ROOT = join(import.meta.dirname, '..', '..', '..')
const MAIN = ['--conditions=source', '--import', 'tsx', 'packages/cli/src/main.ts']

interface Run {
  status: number | null
  stdout: string
  stderr: string
}

/** Runs the CLI as a child process, without the variables that would point it elsewhere. */
function run(args: readonly string[], options: { cwd?: string } = {}): Promise<Run> {
  const env: Record<string, string> = {}
  for (const [name, value] of Object.entries(process.env)) {
    if (value !== undefined && !['ADMIN_TOKEN', 'DATA_DIR', 'DEVICE_STATUS_URL'].includes(name))
      env[name] = value
  }
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...MAIN, ...args], {
      cwd: options.cwd ?? ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    child.once('error', reject)
    child.once('close', (status) => resolve({ status, stdout, stderr }))
  })
}

function assertFailure(result: Run, message: string | RegExp): void {
  assert.equal(result.status, 1, `${result.stdout}${result.stderr}`)
  assert.equal(result.stdout, '')
  if (typeof message === 'string') assert.equal(result.stderr, message)
  else assert.match(result.stderr, message)
}

function assertUsage(result: Run, message: string, command: string): void {
  assert.equal(result.status, 2, `${result.stdout}${result.stderr}`)
  assert.equal(result.stdout, '')
  assert.equal(
    result.stderr,
    `device-status: ${message} (USAGE)\nSee "device-status ${command} --help".\n`,
  )
}

/** The data lines of a table, split at runs of two or more spaces. */
function rows(stdout: string): string[][] {
  return stdout
    .trimEnd()
    .split('\n')
    .slice(1)
    .map((line) => line.split(/ {2,}/))
}

async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  await new Promise<void>((resolve) => server.close(() => resolve()))
  assert.ok(typeof address === 'object' && address !== null)
  return address.port
}

const CIBA = 'urn:openid:params:grant-type:ciba'
const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer'

describe('device-status admin commands against a running gateway', () => {
  let gw: TestGateway
  let admin: string[]
  let dir: string
  const cli = (...args: string[]) => run([...args, ...admin])
  /** `apps create` of a two-legged roaming app for fraud prevention, with these extra flags. */
  const createFraudApp = (name: string, clientId: string, ...extra: string[]) =>
    cli(
      'apps',
      'create',
      '--name',
      name,
      '--client-id',
      clientId,
      '--api',
      'device-roaming-status',
      '--purpose',
      'dpv:FraudPreventionAndDetection',
      '--grant',
      'client_credentials',
      ...extra,
    )

  /** A client credentials token request with HTTP Basic authentication; returns the status. */
  const tokenStatus = async (clientId: string, secret: string) => {
    const response = await fetch(`${gw.url}/oauth2/token`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        scope: 'dpv:FraudPreventionAndDetection device-roaming-status:read',
      }),
    })
    await response.arrayBuffer()
    return response.status
  }

  /** A CIBA request of the demo app that waits for the user's consent; returns its auth_req_id. */
  const pendingRequest = async (phoneNumber: string) => {
    const response = await fetch(`${gw.url}/oauth2/bc-authorize`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from('my-app-id:my-app-secret').toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({
        login_hint: `tel:${phoneNumber}`,
        scope: 'openid dpv:Marketing device-roaming-status:read',
      }),
    })
    const body = (await response.json()) as { auth_req_id?: string }
    assert.equal(response.status, 200, JSON.stringify(body))
    assert.ok(body.auth_req_id !== undefined)
    const pending = (await gw.admin('GET', '/admin/v1/authorizations?status=pending')).body as {
      authReqId: string
    }[]
    assert.ok(
      pending.some((r) => r.authReqId === body.auth_req_id),
      'the request is pending',
    )
    return body.auth_req_id
  }

  before(async () => {
    gw = await startTestGateway({ NOTIFY_BACKOFF_MS: '20', NOTIFY_MAX_ATTEMPTS: '2' })
    admin = ['--url', gw.url, '--admin-token', gw.adminToken]
    dir = mkdtempSync(join(tmpdir(), 'ds-cli-admin-'))
  })
  after(async () => {
    await gw.close()
    rmSync(dir, { recursive: true, force: true })
  })

  describe('apps', () => {
    it('apps list prints a table of the apps, --json the admin API answer', async () => {
      const result = await cli('apps', 'list')
      assert.equal(result.status, 0, result.stderr)
      const lines = result.stdout.trimEnd().split('\n')
      assert.match(lines[0] ?? '', /^CLIENT ID\s+NAME\s+MODE\s+AUTH METHOD\s+GRANTS$/)
      const apps = (await gw.admin('GET', '/admin/v1/apps')).body as unknown[]
      assert.equal(lines.length, apps.length + 1)
      assert.ok(
        rows(result.stdout).some(
          (r) =>
            JSON.stringify(r) ===
            JSON.stringify([
              'my-app-id',
              'Demo app (vendor samples)',
              'compatible',
              'client_secret_basic',
              'authorization_code,ciba,client_credentials,jwt-bearer,refresh_token',
            ]),
        ),
        result.stdout,
      )

      const raw = await cli('apps', 'list', '--json')
      assert.equal(raw.status, 0, raw.stderr)
      assert.deepEqual(JSON.parse(raw.stdout), apps)
    })

    it('a flag value of 16 characters or more that starts with "-" is that value, as given', async () => {
      const name = '-dashed app name, long'
      const result = await createFraudApp(name, 'dashed-name-app')
      assert.equal(result.status, 0, result.stderr)
      assert.match(result.stdout, /^Created app "-dashed app name, long"\n/)
      const listed = JSON.parse((await cli('apps', 'list', '--json')).stdout) as {
        clientId: string
        name: string
      }[]
      assert.equal(listed.find((a) => a.clientId === 'dashed-name-app')?.name, name)
    })

    it('apps create prints a client id and a secret that works; rotate-secret replaces it', async () => {
      const result = await createFraudApp('Fraud checker', 'fraud-checker', '--mode', 'compatible')
      assert.equal(result.status, 0, result.stderr)
      const match =
        /^Created app "Fraud checker"\nClient id {6}fraud-checker\nClient secret {2}(\S+)\nThe client secret is shown only once: keep it now \("apps rotate-secret" makes a new one\)\.\n$/.exec(
          result.stdout,
        )
      assert.ok(match?.[1] !== undefined, result.stdout)
      const secret = match[1]
      assert.equal(await tokenStatus('fraud-checker', secret), 200)

      const rotated = await cli('apps', 'rotate-secret', 'fraud-checker')
      assert.equal(rotated.status, 0, rotated.stderr)
      const fresh = /^Client id {6}fraud-checker\nClient secret {2}(\S+)\n.*shown only once/.exec(
        rotated.stdout,
      )?.[1]
      assert.ok(fresh !== undefined, rotated.stdout)
      assert.notEqual(fresh, secret)
      assert.equal(await tokenStatus('fraud-checker', secret), 401, 'the old secret is dead')
      assert.equal(await tokenStatus('fraud-checker', fresh), 200)

      const json = await cli('apps', 'rotate-secret', 'fraud-checker', '--json')
      assert.equal(json.status, 0, json.stderr)
      const body = JSON.parse(json.stdout)
      assert.deepEqual(Object.keys(body).sort(), ['clientId', 'clientSecret'])
      assert.equal(body.clientId, 'fraud-checker')
      assert.equal(await tokenStatus('fraud-checker', body.clientSecret), 200)
    })

    it('apps create sends every flag; short and full grant names; the app is stored so', async () => {
      const result = await cli(
        'apps',
        'create',
        '--name',
        'Shop',
        '--client-id',
        'shop',
        '--redirect-uri',
        'https://shop.example/callback',
        '--redirect-uri',
        'https://shop.example/other',
        '--api',
        'sim-swap',
        '--scope',
        'openid,device-roaming-status:read',
        '--purpose',
        'dpv:FraudPreventionAndDetection',
        '--purpose',
        'dpv:Marketing',
        '--grant',
        'ciba',
        '--grant',
        'authorization_code,jwt-bearer',
        '--grant',
        'refresh_token',
        '--auth-method',
        'client_secret_post',
        '--mode',
        'strict',
        '--json',
      )
      assert.equal(result.status, 0, result.stderr)
      const created = JSON.parse(result.stdout)
      assert.match(created.clientSecret, /^\S{20,}$/)
      const stored = (await gw.admin('GET', '/admin/v1/apps/shop')).body
      const { clientSecret: _secret, ...view } = created
      assert.deepEqual(view, stored)
      assert.deepEqual(stored.redirectUris, [
        'https://shop.example/callback',
        'https://shop.example/other',
      ])
      assert.deepEqual(stored.grantTypes, [CIBA, 'authorization_code', JWT_BEARER, 'refresh_token'])
      assert.deepEqual(stored.purposes, ['dpv:FraudPreventionAndDetection', 'dpv:Marketing'])
      assert.ok(stored.scopes.includes('openid'))
      assert.ok(stored.scopes.includes('device-roaming-status:read'))
      assert.ok(stored.scopes.includes('sim-swap:check'), 'every scope of --api sim-swap')
      assert.equal(stored.tokenEndpointAuthMethod, 'client_secret_post')
      assert.equal(stored.mode, 'strict')

      const full = await cli(
        'apps',
        'create',
        '--name',
        'Full',
        '--client-id',
        'full',
        '--grant',
        CIBA,
      )
      assert.equal(full.status, 0, full.stderr)
      assert.deepEqual((await gw.admin('GET', '/admin/v1/apps/full')).body.grantTypes, [CIBA])
    })

    it('apps create --jwks makes a private_key_jwt app without a secret', async () => {
      const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
      const jwk = { ...publicKey.export({ format: 'jwk' }), kid: 'backend-1', alg: 'ES256' }
      const file = join(dir, 'keys.json')
      writeFileSync(file, JSON.stringify({ keys: [jwk] }))
      const result = await cli(
        'apps',
        'create',
        '--name',
        'Backend',
        '--client-id',
        'backend',
        '--jwks',
        file,
      )
      assert.equal(result.status, 0, result.stderr)
      assert.equal(
        result.stdout,
        'Created app "Backend"\nClient id  backend\nNo client secret: the app authenticates with private_key_jwt.\n',
      )
      const stored = (await gw.admin('GET', '/admin/v1/apps/backend')).body
      assert.equal(stored.tokenEndpointAuthMethod, 'private_key_jwt')
      assert.equal(stored.hasSecret, false)
      assert.deepEqual(stored.jwks, { keys: [jwk] })

      const single = join(dir, 'one-key.json')
      writeFileSync(single, JSON.stringify(jwk))
      const one = await cli(
        'apps',
        'create',
        '--name',
        'One',
        '--client-id',
        'one-key',
        '--jwks',
        single,
        '--json',
      )
      assert.equal(one.status, 0, one.stderr)
      assert.equal('clientSecret' in JSON.parse(one.stdout), false)
      assert.deepEqual((await gw.admin('GET', '/admin/v1/apps/one-key')).body.jwks, { keys: [jwk] })

      const rotate = await cli('apps', 'rotate-secret', 'backend')
      assertFailure(
        rotate,
        'device-status: This app authenticates with private_key_jwt; it has no secret (INVALID_ARGUMENT)\n',
      )

      const secretFile = join(dir, 'private.json')
      writeFileSync(secretFile, JSON.stringify({ keys: [privateKey.export({ format: 'jwk' })] }))
      const leaked = await cli(
        'apps',
        'create',
        '--name',
        'Leak',
        '--client-id',
        'leak',
        '--jwks',
        secretFile,
      )
      assertFailure(
        leaked,
        /holds a private or secret key; give the app's public keys only \(INVALID_JWKS\)\n$/,
      )
      const missing = await cli(
        'apps',
        'create',
        '--name',
        'Leak',
        '--client-id',
        'leak',
        '--jwks',
        join(dir, 'nope.json'),
      )
      assertFailure(missing, /no such file: .*nope\.json \(FILE_UNREADABLE\)\n$/)
      assert.equal((await gw.admin('GET', '/admin/v1/apps/leak')).status, 404)
    })

    it('apps create: errors of the gateway exit 1 with their code', async () => {
      const taken = await cli('apps', 'create', '--name', 'Again', '--client-id', 'my-app-id')
      assertFailure(
        taken,
        'device-status: An app with client_id my-app-id already exists (ALREADY_EXISTS)\n',
      )
      const api = await cli(
        'apps',
        'create',
        '--name',
        'X',
        '--client-id',
        'bad-api',
        '--api',
        'weather',
      )
      assertFailure(api, /^device-status: .+ \(INVALID_ARGUMENT\)\n$/)
      assert.equal((await gw.admin('GET', '/admin/v1/apps/bad-api')).status, 404)
    })

    it('apps show prints one app readably, --json as the admin API; unknown is NOT_FOUND', async () => {
      const result = await cli('apps', 'show', 'fraud-checker')
      assert.equal(result.status, 0, result.stderr)
      assert.match(
        result.stdout,
        /^Client id {6}fraud-checker\nName {11}Fraud checker\nMode {11}compatible\nAuth method {4}client_secret_basic\nHas secret {5}yes\nGrants {9}client_credentials\nRedirect URIs  -\nPurposes {7}dpv:FraudPreventionAndDetection\nScopes {9}device-roaming-status:read\nKeys \(JWKS\) {4}-\nCreated at {5}\S+Z\nUpdated at {5}\S+Z\n$/,
      )
      const multi = await cli('apps', 'show', 'backend')
      assert.match(multi.stdout, /^Keys \(JWKS\) {4}EC backend-1$/m)
      assert.match(multi.stdout, /^Grants {9}ciba\n {15}authorization_code\n {15}refresh_token$/m)

      const json = await cli('apps', 'show', 'shop', '--json')
      assert.equal(json.status, 0, json.stderr)
      assert.deepEqual(JSON.parse(json.stdout), (await gw.admin('GET', '/admin/v1/apps/shop')).body)

      assertFailure(
        await cli('apps', 'show', 'no-such-app'),
        'device-status: No app with client_id no-such-app (NOT_FOUND)\n',
      )
      assertFailure(
        await cli('apps', 'rotate-secret', 'no-such-app'),
        'device-status: No app with client_id no-such-app (NOT_FOUND)\n',
      )
    })

    it('apps delete removes an app; deleting it again is NOT_FOUND', async () => {
      const result = await cli('apps', 'delete', 'full')
      assert.equal(result.status, 0, result.stderr)
      assert.equal(result.stdout, 'Deleted app full\n')
      assert.equal((await gw.admin('GET', '/admin/v1/apps/full')).status, 404)
      assertFailure(
        await cli('apps', 'delete', 'full'),
        'device-status: No app with client_id full (NOT_FOUND)\n',
      )
    })

    it('apps: bad usage exits 2 before calling the gateway', async () => {
      const before = (await gw.admin('GET', '/admin/v1/apps')).body
      const cases: [string[], string, string][] = [
        [['apps', 'create'], 'missing --name', 'apps create'],
        [
          ['apps', 'create', '--name', 'X', '--grant', 'implicit'],
          '--grant takes ciba, authorization_code, client_credentials, jwt-bearer, refresh_token (or their full names), not "implicit"',
          'apps create',
        ],
        [
          ['apps', 'create', '--name', 'X', '--auth-method', 'none'],
          '--auth-method takes client_secret_basic, client_secret_post, private_key_jwt, not "none"',
          'apps create',
        ],
        [
          ['apps', 'create', '--name', 'X', '--mode', 'lax'],
          '--mode takes strict, compatible, not "lax"',
          'apps create',
        ],
        [
          ['apps', 'create', '--name', 'X', '--purpose', 'Marketing'],
          '--purpose takes a dpv: purpose such as dpv:FraudPreventionAndDetection, not "Marketing"',
          'apps create',
        ],
        [
          ['apps', 'create', '--name', '--mode', 'strict'],
          '--name needs a value (write --name=<value> for one that starts with "-")',
          'apps create',
        ],
        [['apps', 'show'], 'missing <clientId>', 'apps show'],
        [['apps', 'delete'], 'missing <clientId>', 'apps delete'],
        [['apps', 'rotate-secret', 'a', 'b'], 'unexpected argument "b"', 'apps rotate-secret'],
      ]
      await Promise.all(
        cases.map(async ([args, message, command]) =>
          assertUsage(await cli(...args), message, command),
        ),
      )
      assert.deepEqual((await gw.admin('GET', '/admin/v1/apps')).body, before)
    })
  })

  describe('consent', () => {
    let approvedId: string

    it('consent pending lists the CIBA requests waiting for a decision', async () => {
      const idle = await cli('consent', 'pending')
      assert.equal(idle.status, 0, idle.stderr)
      assert.equal(idle.stdout, 'No pending authorization requests.\n')

      const authReqId = await pendingRequest('+34600000002')
      const result = await cli('consent', 'pending')
      assert.equal(result.status, 0, result.stderr)
      const lines = result.stdout.trimEnd().split('\n')
      assert.match(
        lines[0] ?? '',
        /^ID\s+FLOW\s+CLIENT ID\s+PHONE NUMBER\s+PURPOSE\s+EXPIRES AT\s+SCOPES$/,
      )
      assert.equal(lines.length, 2)
      const [row] = rows(result.stdout)
      assert.deepEqual(row?.slice(0, 5), [
        authReqId,
        'ciba',
        'my-app-id',
        '+34600000002',
        'dpv:Marketing',
      ])
      assert.match(row?.[5] ?? '', /^\d{4}-\d\d-\d\dT[\d:.]+Z$/)
      assert.equal(row?.[6], 'device-roaming-status:read')

      const json = await cli('consent', 'pending', '--json')
      assert.deepEqual(
        JSON.parse(json.stdout),
        (await gw.admin('GET', '/admin/v1/authorizations?status=pending')).body,
      )
    })

    it('consent approve <authReqId> approves it and a consent is granted; again is NOT_FOUND', async () => {
      const pending = (await gw.admin('GET', '/admin/v1/authorizations?status=pending')).body
      const authReqId = pending[0].authReqId as string
      const result = await cli('consent', 'approve', authReqId)
      assert.equal(result.status, 0, result.stderr)
      assert.equal(result.stdout, `Approved authorization request ${authReqId} (approved)\n`)
      const all = (await gw.admin('GET', '/admin/v1/authorizations')).body
      assert.equal(
        all.find((r: { authReqId: string }) => r.authReqId === authReqId).status,
        'approved',
      )
      const consents = (await gw.admin('GET', '/admin/v1/consents?phoneNumber=%2B34600000002')).body
      assert.equal(consents.length, 1)
      assert.equal(consents[0].status, 'granted')
      approvedId = consents[0].id

      assertFailure(
        await cli('consent', 'approve', authReqId),
        `device-status: No pending authorization ${authReqId} (NOT_FOUND)\n`,
      )
    })

    it('consent deny <authReqId> denies it; an unknown one is NOT_FOUND', async () => {
      const authReqId = await pendingRequest('+34600000005')
      const result = await cli('consent', 'deny', authReqId, '--json')
      assert.equal(result.status, 0, result.stderr)
      assert.deepEqual(JSON.parse(result.stdout), {
        id: authReqId,
        flow: 'ciba',
        authReqId,
        status: 'denied',
      })
      const consents = (await gw.admin('GET', '/admin/v1/consents?phoneNumber=%2B34600000005')).body
      assert.deepEqual(
        consents.map((c: { status: string }) => c.status),
        ['denied'],
      )
      assertFailure(
        await cli('consent', 'deny', 'no-such-request'),
        'device-status: No pending authorization no-such-request (NOT_FOUND)\n',
      )
      // An auth_req_id is base64url and may start with "-" (one in 64): an id, not an option.
      for (const id of ['-0dashed-request-id-of-43-characters-xxxxxxx', '-hq_dashed-request-id'])
        assertFailure(
          await cli('consent', 'deny', id),
          `device-status: No pending authorization ${id} (NOT_FOUND)\n`,
        )
    })

    it('consent approve --phone approves every pending request of that number, and says how many', async () => {
      const first = await pendingRequest('+34600000003')
      const second = await pendingRequest('+34600000003')
      const other = await pendingRequest('+34600000007')
      const result = await cli('consent', 'approve', '--phone', '+34600000003')
      assert.equal(result.status, 0, result.stderr)
      const lines = result.stdout.trimEnd().split('\n')
      assert.deepEqual(
        lines.slice(0, -1).sort(),
        [
          `Approved authorization request ${first}`,
          `Approved authorization request ${second}`,
        ].sort(),
      )
      assert.equal(lines.at(-1), 'Approved 2 pending requests of +34600000003')
      const pending = (await gw.admin('GET', '/admin/v1/authorizations?status=pending')).body
      assert.deepEqual(
        pending.map((r: { authReqId: string }) => r.authReqId),
        [other],
        'the other number keeps its request',
      )

      const none = await cli('consent', 'approve', '--phone', '+34600000003')
      assert.equal(none.status, 0, none.stderr)
      assert.equal(none.stdout, 'Approved 0 pending requests of +34600000003\n')
      await gw.admin('POST', `/admin/v1/authorizations/${other}/deny`)
    })

    it('consent list prints the consents, filtered by phone, client and status; --json as the API', async () => {
      const result = await cli('consent', 'list')
      assert.equal(result.status, 0, result.stderr)
      const lines = result.stdout.trimEnd().split('\n')
      assert.match(
        lines[0] ?? '',
        /^ID\s+CLIENT ID\s+PHONE NUMBER\s+PURPOSE\s+STATUS\s+UPDATED AT\s+SCOPES$/,
      )
      const all = (await gw.admin('GET', '/admin/v1/consents')).body
      assert.equal(lines.length, all.length + 1)
      assert.ok(all.length >= 5)
      const approved = rows(result.stdout).find((r) => r[0] === approvedId)
      assert.deepEqual(approved?.slice(1, 5), [
        'my-app-id',
        '+34600000002',
        'dpv:Marketing',
        'granted',
      ])

      const granted = await cli(
        'consent',
        'list',
        '--status',
        'granted',
        '--phone',
        '+34600000003',
        '--client',
        'my-app-id',
        '--json',
      )
      assert.equal(granted.status, 0, granted.stderr)
      const filtered = JSON.parse(granted.stdout)
      assert.deepEqual(
        filtered,
        (
          await gw.admin(
            'GET',
            '/admin/v1/consents?status=granted&phoneNumber=%2B34600000003&clientId=my-app-id',
          )
        ).body,
      )
      assert.equal(filtered.length, 2)
      assert.ok(
        filtered.every(
          (c: { phoneNumber: string; status: string }) =>
            c.phoneNumber === '+34600000003' && c.status === 'granted',
        ),
      )

      const denied = await cli('consent', 'list', '--status', 'denied')
      assert.ok(rows(denied.stdout).length >= 2)
      assert.ok(
        rows(denied.stdout).every((r) => r[4] === 'denied'),
        denied.stdout,
      )

      const nobody = await cli('consent', 'list', '--client', 'no-such-app')
      assert.equal(nobody.stdout, 'No consents.\n')
    })

    it('consent revoke revokes a consent; an unknown one is NOT_FOUND', async () => {
      const result = await cli('consent', 'revoke', approvedId)
      assert.equal(result.status, 0, result.stderr)
      assert.equal(result.stdout, `Revoked consent ${approvedId}\n`)
      const consents = (await gw.admin('GET', '/admin/v1/consents?phoneNumber=%2B34600000002')).body
      assert.equal(consents.find((c: { id: string }) => c.id === approvedId).status, 'revoked')
      assertFailure(
        await cli('consent', 'revoke', 'no-such-consent'),
        'device-status: No consent no-such-consent (NOT_FOUND)\n',
      )
    })

    it('consent: bad usage exits 2', async () => {
      const cases: [string[], string, string][] = [
        [['consent', 'approve'], 'missing <id> (or --phone <+34…>)', 'consent approve'],
        [
          ['consent', 'approve', 'abc', '--phone', '+34600000002'],
          'give <id> or --phone, not both',
          'consent approve',
        ],
        [
          ['consent', 'approve', '--phone', '600000002'],
          '"600000002" is not an E.164 phone number such as +34600000001',
          'consent approve',
        ],
        [['consent', 'deny'], 'missing <id>', 'consent deny'],
        [['consent', 'revoke'], 'missing <consentId>', 'consent revoke'],
        [
          ['consent', 'list', '--status', 'pending'],
          '--status takes granted, denied, revoked, not "pending"',
          'consent list',
        ],
        [
          ['consent', 'list', '--phone', 'me'],
          '"me" is not an E.164 phone number such as +34600000001',
          'consent list',
        ],
        [['consent', 'pending', 'x'], 'unexpected argument "x"', 'consent pending'],
      ]
      await Promise.all(
        cases.map(async ([args, message, command]) =>
          assertUsage(await cli(...args), message, command),
        ),
      )
    })
  })

  describe('deliveries', () => {
    let sink: Receiver
    let delivered: string
    let failing: string

    before(async () => {
      sink = await new Receiver().start()
      const prefix = 'org.camaraproject.device-roaming-status-subscriptions.v0.'
      const token = await gw.token2(
        `device-roaming-status-subscriptions:${prefix}roaming-on:create`,
      )
      const subscribe = async (url: string) => {
        const response = await gw.post(
          '/device-roaming-status-subscriptions/v0.8/subscriptions',
          {
            protocol: 'HTTP',
            sink: url,
            types: [`${prefix}roaming-on`],
            config: { subscriptionDetail: { device: { phoneNumber: '+34600000001' } } },
          },
          token,
        )
        assert.equal(response.status, 201, JSON.stringify(response.body))
        return response.body.id as string
      }
      delivered = await subscribe(sink.url)
      failing = await subscribe(`http://127.0.0.1:${await freePort()}/notify`)
      await gw.admin('PATCH', '/network/v1/devices/+34600000001', { roaming: { countryCode: 208 } })
      // Wait for the outbox to settle: each subscription has two notifications (subscription-started,
      // then roaming-on); one sink takes both, the other fails both after two attempts each.
      for (let i = 0; i < 200; i++) {
        const list = (await gw.admin('GET', '/admin/v1/deliveries')).body as { status: string }[]
        const statuses = list.map((d) => d.status).sort()
        const settled = ['delivered', 'delivered', 'failed', 'failed']
        if (JSON.stringify(statuses) === JSON.stringify(settled)) return
        await sleep(50)
      }
      assert.fail('the deliveries did not settle')
    })
    after(() => sink.stop())

    it('deliveries list prints id, subscription, short type, status, attempts and last error', async () => {
      const result = await cli('deliveries', 'list')
      assert.equal(result.status, 0, result.stderr)
      const lines = result.stdout.trimEnd().split('\n')
      assert.match(lines[0] ?? '', /^ID\s+SUBSCRIPTION\s+TYPE\s+STATUS\s+ATTEMPTS\s+LAST ERROR$/)
      const list = (await gw.admin('GET', '/admin/v1/deliveries')).body as {
        id: string
        subscriptionId: string
        type: string
        lastError: string
      }[]
      const table = rows(result.stdout)
      assert.equal(table.length, 4)
      for (const short of ['subscription-started', 'roaming-on']) {
        const of = (subscription: string) => {
          const found = list.find(
            (d) => d.subscriptionId === subscription && d.type.endsWith(`.${short}`),
          )
          assert.ok(found, `${short} of ${subscription}`)
          return found
        }
        const ok = of(delivered)
        const ko = of(failing)
        assert.deepEqual(
          table.find((r) => r[0] === ok.id),
          [ok.id, delivered, short, 'delivered', '1', '-'],
        )
        assert.deepEqual(
          table.find((r) => r[0] === ko.id),
          [ko.id, failing, short, 'failed', '2', ko.lastError],
        )
        assert.ok(ko.lastError.length > 0)
      }
    })

    it('deliveries list --status, --subscription and --limit filter; --json as the admin API', async () => {
      const failed = await cli('deliveries', 'list', '--status', 'failed')
      assert.deepEqual(
        rows(failed.stdout).map((r) => [r[1], r[3]]),
        [
          [failing, 'failed'],
          [failing, 'failed'],
        ],
      )
      const bySubscription = await cli('deliveries', 'list', '--subscription', delivered, '--json')
      assert.equal(bySubscription.status, 0, bySubscription.stderr)
      const body = JSON.parse(bySubscription.stdout)
      assert.deepEqual(
        body,
        (await gw.admin('GET', `/admin/v1/deliveries?subscriptionId=${delivered}`)).body,
      )
      assert.equal(body.length, 2)
      for (const delivery of body) {
        assert.equal(delivery.history.length, 1)
        assert.equal(delivery.history[0].statusCode, 204)
      }

      const one = await cli('deliveries', 'list', '--limit', '1')
      assert.equal(rows(one.stdout).length, 1)
      const none = await cli('deliveries', 'list', '--status', 'cancelled')
      assert.equal(none.stdout, 'No deliveries.\n')
    })

    it('deliveries list --status queued lists the notifications waiting behind their line head', async () => {
      // A sink that holds its answer: the first notification stays in flight (pending), the
      // next ones wait behind it (queued).
      const slow = await new Receiver().start()
      const releases: (() => void)[] = []
      slow.respond = () => new Promise((resolve) => releases.push(() => resolve(204)))
      try {
        const prefix = 'org.camaraproject.device-roaming-status-subscriptions.v0.'
        const token = await gw.token2(
          `device-roaming-status-subscriptions:${prefix}roaming-on:create`,
        )
        const created = await gw.post(
          '/device-roaming-status-subscriptions/v0.8/subscriptions',
          {
            protocol: 'HTTP',
            sink: slow.url,
            types: [`${prefix}roaming-on`],
            config: { subscriptionDetail: { device: { phoneNumber: '+34600000005' } } },
          },
          token,
        )
        assert.equal(created.status, 201, JSON.stringify(created.body))
        const id = created.body.id as string
        await gw.admin('PATCH', '/network/v1/devices/+34600000005', {
          roaming: { countryCode: 208 },
        })
        let queued: { id: string; type: string }[] = []
        for (let i = 0; i < 200 && queued.length === 0; i++) {
          const list = (await gw.admin('GET', `/admin/v1/deliveries?subscriptionId=${id}`))
            .body as { id: string; type: string; status: string }[]
          queued = list.filter((d) => d.status === 'queued')
          if (queued.length === 0) await sleep(50)
        }
        assert.equal(queued.length, 1)
        const result = await cli('deliveries', 'list', '--status', 'queued', '--subscription', id)
        assert.equal(result.status, 0, result.stderr)
        assert.deepEqual(
          rows(result.stdout).map((r) => [r[0], r[1], r[2], r[3]]),
          [[queued[0]?.id, id, 'roaming-on', 'queued']],
        )
        const pending = await cli('deliveries', 'list', '--status', 'pending', '--subscription', id)
        assert.deepEqual(
          rows(pending.stdout).map((r) => [r[2], r[3]]),
          [['subscription-started', 'pending']],
        )
      } finally {
        for (let i = 0; i < 50; i++) {
          releases.splice(0).forEach((release) => release())
          if (slow.received.length >= 2) break
          await sleep(50)
        }
        await slow.stop()
      }
    })

    it('deliveries: bad usage exits 2', async () => {
      const cases: [string[], string][] = [
        [
          ['--status', 'lost'],
          '--status takes pending, queued, delivered, failed, cancelled, not "lost"',
        ],
        [['--limit', '0'], '--limit takes an integer from 1 to 1000, not "0"'],
        [['--limit', '1001'], '--limit takes an integer from 1 to 1000, not "1001"'],
        [
          ['--subscription', '--limit', '2'],
          '--subscription needs a value (write --subscription=<value> for one that starts with "-")',
        ],
      ]
      await Promise.all(
        cases.map(async ([args, message]) =>
          assertUsage(await cli('deliveries', 'list', ...args), message, 'deliveries list'),
        ),
      )
    })
  })

  describe('events', () => {
    it('events list prints the changes of a phone number; --after and --limit page; --json as the API', async () => {
      await gw.admin('PUT', '/network/v1/devices/+34699999911', {})
      await gw.admin('PATCH', '/network/v1/devices/+34699999911', { roaming: { countryCode: 262 } })
      await gw.admin('PATCH', '/network/v1/devices/+34699999911', { networkType: '5G' })

      const result = await cli('events', 'list', '--phone', '+34699999911')
      assert.equal(result.status, 0, result.stderr)
      const lines = result.stdout.trimEnd().split('\n')
      assert.match(lines[0] ?? '', /^SEQ\s+OCCURRED AT\s+PHONE NUMBER\s+TYPE\s+CHANGE$/)
      const table = rows(result.stdout)
      assert.deepEqual(
        table.map((r) => [r[2], r[3], r[4]]),
        [
          ['+34699999911', 'device-added', 'added'],
          ['+34699999911', 'roaming', 'roamingCountryCode null → 262'],
          ['+34699999911', 'network-type', 'networkType "4G" → "5G"'],
        ],
      )
      const seqs = table.map((r) => Number(r[0]))
      assert.ok(seqs.every((s, i) => i === 0 || s > (seqs[i - 1] ?? 0)))

      const paged = await cli(
        'events',
        'list',
        '--phone',
        '+34699999911',
        '--after',
        String(seqs[0]),
        '--limit',
        '2',
      )
      assert.deepEqual(
        rows(paged.stdout).map((r) => Number(r[0])),
        seqs.slice(1, 3),
      )

      await gw.admin('DELETE', '/network/v1/devices/+34699999911')
      const removed = await cli('events', 'list', '--after', String(seqs[2]))
      assert.deepEqual(
        rows(removed.stdout).map((r) => r.slice(2)),
        [['+34699999911', 'device-removed', 'removed']],
      )

      const json = await cli('events', 'list', '--after', String(seqs[1]), '--json')
      assert.equal(json.status, 0, json.stderr)
      assert.deepEqual(
        JSON.parse(json.stdout),
        (await gw.admin('GET', `/network/v1/events?after=${seqs[1]}`)).body,
      )

      const nobody = await cli('events', 'list', '--phone', '+34699999999')
      assert.equal(nobody.stdout, 'No events.\n')
    })

    it('events: bad usage exits 2', async () => {
      const cases: [string[], string][] = [
        [['--after=-1'], '--after takes an integer from 0 up, not "-1"'],
        [
          ['--after', '-1'],
          '--after needs a value (write --after=<value> for one that starts with "-")',
        ],
        [['--after', 'yesterday'], '--after takes an integer from 0 up, not "yesterday"'],
        [['--limit', '5000'], '--limit takes an integer from 1 to 1000, not "5000"'],
        [
          ['--phone', '34600000001'],
          '"34600000001" is not an E.164 phone number such as +34600000001',
        ],
      ]
      await Promise.all(
        cases.map(async ([args, message]) =>
          assertUsage(await cli('events', 'list', ...args), message, 'events list'),
        ),
      )
    })
  })

  describe('scenario list and cancel', () => {
    it('scenario list shows a running scenario; scenario cancel stops it; unknown is NOT_FOUND', async () => {
      const started = await gw.admin('POST', '/network/v1/scenarios', {
        name: 'long trip',
        steps: [{ at: '+1h', phoneNumber: '+34600000009', set: { networkType: '3G' } }],
      })
      assert.equal(started.status, 202)
      const id = started.body.id as string

      const list = await cli('scenario', 'list')
      assert.equal(list.status, 0, list.stderr)
      assert.match(list.stdout.split('\n')[0] ?? '', /^ID\s+NAME\s+STATUS\s+STARTED AT\s+STEPS$/)
      assert.deepEqual(
        rows(list.stdout).find((r) => r[0] === id),
        [id, 'long trip', 'running', started.body.startedAt, '0/1 applied'],
      )

      const result = await cli('scenario', 'cancel', id)
      assert.equal(result.status, 0, result.stderr)
      assert.equal(
        result.stdout,
        `Scenario ${id} "long trip" cancelled: 0 steps applied, 1 cancelled\n`,
      )
      assert.equal((await gw.admin('GET', `/network/v1/scenarios/${id}`)).body.status, 'cancelled')

      const json = await cli('scenario', 'list', '--json')
      assert.deepEqual(
        JSON.parse(json.stdout),
        (await gw.admin('GET', '/network/v1/scenarios')).body,
      )
      const after = await cli('scenario', 'list')
      assert.deepEqual(
        rows(after.stdout)
          .find((r) => r[0] === id)
          ?.slice(2),
        ['cancelled', started.body.startedAt, '0/1 applied, 1 cancelled'],
      )

      assertFailure(
        await cli('scenario', 'cancel', 'no-such-scenario'),
        'device-status: No such scenario (NOT_FOUND)\n',
      )
      assertUsage(await cli('scenario', 'cancel'), 'missing <id>', 'scenario cancel')
    })

    it('scenario cancel of a finished scenario says so', async () => {
      const started = await gw.admin('POST', '/network/v1/scenarios', {
        steps: [{ at: 0, phoneNumber: '+34600000009', set: { networkType: '3G' } }],
      })
      const id = started.body.id as string
      for (let i = 0; i < 100; i++) {
        if ((await gw.admin('GET', `/network/v1/scenarios/${id}`)).body.status === 'completed')
          break
        await sleep(20)
      }
      const result = await cli('scenario', 'cancel', id, '--json')
      assert.equal(result.status, 0, result.stderr)
      assert.equal(JSON.parse(result.stdout).status, 'completed')
      const text = await cli('scenario', 'cancel', id)
      assert.equal(text.stdout, `Scenario ${id} had already completed: nothing to cancel\n`)
    })
  })

  describe('keys', () => {
    it('keys list prints the signing keys; keys rotate makes a new one current', async () => {
      const before = (await gw.admin('GET', '/admin/v1/keys')).body
      const result = await cli('keys', 'list')
      assert.equal(result.status, 0, result.stderr)
      assert.match(result.stdout.split('\n')[0] ?? '', /^KID\s+ALG\s+CURRENT\s+RETIRED$/)
      assert.deepEqual(
        rows(result.stdout),
        before.map((k: { kid: string; alg: string; current: boolean; retired: boolean }) => [
          k.kid,
          k.alg,
          k.current ? 'yes' : 'no',
          k.retired ? 'yes' : 'no',
        ]),
      )
      const current = before.find((k: { current: boolean }) => k.current).kid as string

      const rotated = await cli('keys', 'rotate')
      assert.equal(rotated.status, 0, rotated.stderr)
      const kid = /^New signing key (\S+); the previous key is retired/.exec(rotated.stdout)?.[1]
      assert.ok(kid !== undefined, rotated.stdout)
      assert.notEqual(kid, current)

      const json = await cli('keys', 'list', '--json')
      const keys = JSON.parse(json.stdout)
      assert.deepEqual(keys, (await gw.admin('GET', '/admin/v1/keys')).body)
      assert.deepEqual(
        keys.filter((k: { current: boolean }) => k.current).map((k: { kid: string }) => k.kid),
        [kid],
      )
      assert.equal(keys.find((k: { kid: string }) => k.kid === current).retired, true)
      const jwks = (await (await fetch(`${gw.url}/oauth2/jwks`)).json()) as {
        keys: { kid: string }[]
      }
      assert.ok(
        jwks.keys.some((k) => k.kid === kid),
        'the new key is published',
      )
    })

    it('a wrong admin token is UNAUTHENTICATED for every new command, and changes nothing', async () => {
      const keys = (await gw.admin('GET', '/admin/v1/keys')).body
      const commands = [
        ['apps', 'list'],
        ['apps', 'show', 'my-app-id'],
        ['apps', 'create', '--name', 'Nope', '--client-id', 'nope'],
        ['apps', 'rotate-secret', 'my-app-id'],
        ['apps', 'delete', 'my-app-id'],
        ['consent', 'list'],
        ['consent', 'revoke', 'x'],
        ['consent', 'pending'],
        ['consent', 'approve', 'x'],
        ['consent', 'approve', '--phone', '+34600000002'],
        ['consent', 'deny', 'x'],
        ['keys', 'list'],
        ['keys', 'rotate'],
        ['deliveries', 'list'],
        ['events', 'list'],
        ['scenario', 'list'],
        ['scenario', 'cancel', 'x'],
      ]
      await Promise.all(
        commands.map(async (words) => {
          const result = await run([...words, '--url', gw.url, '--admin-token', 'not-the-token'])
          assertFailure(
            result,
            /^device-status: The admin API needs Authorization: Bearer <ADMIN_TOKEN> \(UNAUTHENTICATED\)\n/,
          )
        }),
      )
      assert.deepEqual((await gw.admin('GET', '/admin/v1/keys')).body, keys)
      assert.equal((await gw.admin('GET', '/admin/v1/apps/my-app-id')).status, 200)
      assert.equal(await tokenStatus('my-app-id', 'my-app-secret'), 200)
    })
  })
})

describe('device-status admin commands: help', () => {
  it('--help exits 0 for every new command and group', async () => {
    const commands = [
      [['apps'], 'device-status apps <command>'],
      [['apps', 'list'], 'device-status apps list'],
      [['apps', 'show'], 'device-status apps show <clientId>'],
      [['apps', 'create'], 'device-status apps create'],
      [['apps', 'rotate-secret'], 'device-status apps rotate-secret <clientId>'],
      [['apps', 'delete'], 'device-status apps delete <clientId>'],
      [['consent'], 'device-status consent <command>'],
      [['consent', 'list'], 'device-status consent list'],
      [['consent', 'revoke'], 'device-status consent revoke <consentId>'],
      [['consent', 'pending'], 'device-status consent pending'],
      [['consent', 'approve'], 'device-status consent approve [<id>]'],
      [['consent', 'deny'], 'device-status consent deny <id>'],
      [['keys'], 'device-status keys <command>'],
      [['keys', 'list'], 'device-status keys list'],
      [['keys', 'rotate'], 'device-status keys rotate'],
      [['deliveries'], 'device-status deliveries <command>'],
      [['deliveries', 'list'], 'device-status deliveries list'],
      [['events'], 'device-status events <command>'],
      [['events', 'list'], 'device-status events list'],
      [['scenario', 'list'], 'device-status scenario list'],
      [['scenario', 'cancel'], 'device-status scenario cancel <id>'],
    ] as const
    await Promise.all(
      commands.map(async ([words, usage]) => {
        const result = await run([...words, '--help'])
        assert.equal(result.status, 0, `${words.join(' ')}: ${result.stderr}`)
        assert.equal(result.stderr, '')
        assert.ok(result.stdout.startsWith(`Usage: ${usage} [options]\n`), result.stdout)
      }),
    )
    const create = await run(['apps', 'create', '--help'])
    for (const flag of [
      '--name <NAME>',
      '--client-id <ID>',
      '--redirect-uri <URI> …',
      '--api <NAME> …',
      '--scope <SCOPE> …',
      '--purpose <dpv:X> …',
      '--grant <TYPE> …',
      '--auth-method <METHOD>',
      '--jwks <FILE>',
      '--mode <strict|compatible>',
      '--json',
    ])
      assert.ok(create.stdout.includes(flag), flag)
    const top = await run(['--help'])
    for (const name of [
      'apps create',
      'consent approve',
      'keys rotate',
      'deliveries list',
      'events list',
      'scenario cancel',
    ])
      assert.match(top.stdout, new RegExp(`^  ${name}\\b`, 'm'))
    const group = await run(['consent'])
    assertUsage(group, '"consent" needs a command: list, revoke, pending, approve, deny', 'consent')
  })
})
