import * as client from 'openid-client'
import type { TestGateway } from '../helpers/gateway.js'

/** openid-client configured for the test gateway (plain http on loopback is allowed here). */
export async function discover(
  gw: TestGateway,
  clientId: string,
  auth: client.ClientAuth,
  metadata: Partial<client.ClientMetadata> = {},
): Promise<client.Configuration> {
  return client.discovery(new URL(gw.url), clientId, metadata, auth, {
    execute: [client.allowInsecureRequests],
  })
}

/** The demo app of the sandbox (vendor samples' credentials). */
export function demoApp(gw: TestGateway): Promise<client.Configuration> {
  return discover(gw, 'my-app-id', client.ClientSecretBasic('my-app-secret'))
}

/** A form POST to an OAuth endpoint; returns status and JSON body. */
export async function form(
  gw: TestGateway,
  path: string,
  params: Record<string, string>,
  basic?: [string, string],
): Promise<{ status: number; body: any; headers: Headers }> {
  const response = await fetch(gw.url + path, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      ...(basic === undefined
        ? {}
        : { authorization: `Basic ${Buffer.from(`${basic[0]}:${basic[1]}`).toString('base64')}` }),
    },
    body: new URLSearchParams(params).toString(),
  })
  return { status: response.status, body: await response.json(), headers: response.headers }
}

export const DEMO: [string, string] = ['my-app-id', 'my-app-secret']
export const FRAUD = 'dpv:FraudPreventionAndDetection'
export const MARKETING = 'dpv:Marketing'
