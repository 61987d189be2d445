// Tokens for the load, as an app gets them: from the gateway's token endpoint, with the app's
// client secret. Two-legged: client credentials. Three-legged: CIBA (bc-authorize with a tel:
// login hint, then token polls honouring `interval`). In production mode the app and the device
// are created through the admin API first (production seeds nothing and refuses the demo app),
// and the app authenticates with private_key_jwt, as the CAMARA profile (strict, production's
// default) has it; in sandbox mode it is the demo app with its client secret.
import { randomUUID } from 'node:crypto'
import { GRANT_TYPES } from '@device-status/contract'
import { SignJWT, exportJWK, generateKeyPair, type CryptoKey } from 'jose'

export const PHONE = '+34600000002'
const PURPOSE = 'dpv:FraudPreventionAndDetection'
const SCOPE = 'device-roaming-status:read'

export interface AppTokens {
  twoLegged: string
  threeLegged: string
}

type Client = { id: string; secret: string } | { id: string; key: CryptoKey }

async function form(
  url: string,
  path: string,
  fields: Record<string, string>,
  client: Client,
): Promise<Record<string, unknown> & { status: number }> {
  const auth: { headers: Record<string, string>; fields: Record<string, string> } =
    'secret' in client
      ? {
          headers: {
            authorization: `Basic ${Buffer.from(`${encodeURIComponent(client.id)}:${encodeURIComponent(client.secret)}`).toString('base64')}`,
          },
          fields: {},
        }
      : {
          headers: {},
          fields: {
            client_id: client.id,
            client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
            client_assertion: await new SignJWT({})
              .setProtectedHeader({ alg: 'ES256', kid: 'bench' })
              .setIssuer(client.id)
              .setSubject(client.id)
              .setAudience(url + path)
              .setIssuedAt()
              .setExpirationTime('60s')
              .setJti(randomUUID())
              .sign(client.key),
          },
        }
  const response = await fetch(url + path, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...auth.headers },
    body: new URLSearchParams({ ...fields, ...auth.fields }).toString(),
  })
  return { status: response.status, ...((await response.json()) as Record<string, unknown>) }
}

async function admin(url: string, adminToken: string, method: string, path: string, json: unknown) {
  const response = await fetch(url + path, {
    method,
    headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
    body: JSON.stringify(json),
  })
  const body = (await response.json()) as Record<string, unknown>
  if (response.status >= 300)
    throw new Error(`${method} ${path}: ${response.status} ${JSON.stringify(body)}`)
  return body
}

/** The app whose tokens the bench uses: the demo app in sandbox mode, a new one in production. */
async function benchApp(
  url: string,
  adminToken: string,
  mode: 'sandbox' | 'production',
): Promise<Client> {
  if (mode === 'sandbox') return { id: 'my-app-id', secret: 'my-app-secret' }
  // The device the load asks about, roaming in Germany (MCC 262).
  await admin(url, adminToken, 'PUT', `/network/v1/devices/${encodeURIComponent(PHONE)}`, {
    roaming: { countryCode: 262 },
  })
  const pair = await generateKeyPair('ES256', { extractable: true })
  const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'bench', alg: 'ES256', use: 'sig' }
  const app = await admin(url, adminToken, 'POST', '/admin/v1/apps', {
    name: 'bench',
    apis: ['device-roaming-status'],
    purposes: [PURPOSE],
    grantTypes: [GRANT_TYPES.clientCredentials, GRANT_TYPES.ciba],
    jwks: { keys: [jwk] },
  })
  return { id: String(app['clientId']), key: pair.privateKey }
}

/** A two-legged and a three-legged access token from the token endpoint. */
export async function appTokens(
  url: string,
  adminToken: string,
  mode: 'sandbox' | 'production',
): Promise<AppTokens> {
  const client = await benchApp(url, adminToken, mode)
  const cc = await form(
    url,
    '/oauth2/token',
    { grant_type: GRANT_TYPES.clientCredentials, scope: `${PURPOSE} ${SCOPE}` },
    client,
  )
  if (typeof cc['access_token'] !== 'string')
    throw new Error(`client credentials: ${cc.status} ${JSON.stringify(cc)}`)
  const started = await form(
    url,
    '/oauth2/bc-authorize',
    { login_hint: `tel:${PHONE}`, scope: `openid ${PURPOSE} ${SCOPE}` },
    client,
  )
  if (typeof started['auth_req_id'] !== 'string')
    throw new Error(`bc-authorize: ${started.status} ${JSON.stringify(started)}`)
  const interval = Number(started['interval'] ?? 5)
  const deadline = Date.now() + 60_000
  for (;;) {
    const polled = await form(
      url,
      '/oauth2/token',
      { grant_type: GRANT_TYPES.ciba, auth_req_id: started['auth_req_id'] },
      client,
    )
    if (typeof polled['access_token'] === 'string')
      return { twoLegged: cc['access_token'], threeLegged: polled['access_token'] }
    if (polled['error'] !== 'authorization_pending' || Date.now() > deadline)
      throw new Error(`CIBA token: ${polled.status} ${JSON.stringify(polled)}`)
    await new Promise((r) => setTimeout(r, interval * 1000))
  }
}

/**
 * A two-legged token of the sandbox's demo app from the token endpoint (client credentials): the
 * token of a gateway whose network is a NEF, where no CIBA request is answered in the
 * subscriber's place.
 */
export async function clientCredentialsToken(url: string): Promise<string> {
  const cc = await form(
    url,
    '/oauth2/token',
    { grant_type: GRANT_TYPES.clientCredentials, scope: `${PURPOSE} ${SCOPE}` },
    { id: 'my-app-id', secret: 'my-app-secret' },
  )
  if (typeof cc['access_token'] !== 'string')
    throw new Error(`client credentials: ${cc.status} ${JSON.stringify(cc)}`)
  return cc['access_token']
}
