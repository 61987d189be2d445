import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { after, before, describe, it } from 'node:test'
import { build } from 'esbuild'
import { chromium, type Browser } from 'playwright-core'
import { Receiver, startTestGateway, type TestGateway } from './helpers.js'

const CHROMIUM = '/usr/bin/chromium'
const skip = existsSync(CHROMIUM) ? false : `${CHROMIUM} is missing (apt-get install chromium)`

/** What the page reports back. */
interface PageResult {
  authorization: { url: string; codeVerifier: string; state: string }
  refused: { name: string; code: string; error: string; isAuthError: boolean }
  notification: { type: string; id: string; subscriptionId: string; timeIsDate: boolean }
  unauthorized: { name: string; code: string; status: number }
}

const SINK_TOKEN = 'browser-sink-token'
const PREFIX = 'org.camaraproject.device-roaming-status-subscriptions.v0.'

describe(
  'the SDK bundle in headless Chromium (fetch and Web Crypto of a browser)',
  { skip },
  () => {
    let gw: TestGateway
    let browser: Browser
    let bundle: string
    let sink: Receiver
    before(async () => {
      gw = await startTestGateway({ NOTIFY_BACKOFF_MS: '50' })
      sink = await new Receiver().start()
      // The SDK as a browser loads it: the minified ESM bundle `npm run size` measures.
      const result = await build({
        entryPoints: [fileURLToPath(new URL('../src/index.ts', import.meta.url))],
        bundle: true,
        minify: true,
        format: 'esm',
        platform: 'browser',
        target: 'es2022',
        // Workspace packages (@device-status/contract) from their sources, as the tests run them.
        conditions: ['source'],
        write: false,
      })
      bundle = result.outputFiles[0]?.text ?? ''
      browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] })
    })
    after(async () => {
      await browser?.close()
      await gw?.close()
      await sink?.stop()
    })

    it('discovery and a PKCE authorization URL; a client secret is refused at the token endpoint; parseNotification', async () => {
      // A real notification, as a sink received it.
      const token = await gw.token2(
        `device-roaming-status-subscriptions:${PREFIX}roaming-on:create`,
      )
      const created = await gw.post(
        '/device-roaming-status-subscriptions/v0.8/subscriptions',
        {
          protocol: 'HTTP',
          sink: sink.url,
          sinkCredential: {
            credentialType: 'ACCESSTOKEN',
            accessToken: SINK_TOKEN,
            accessTokenExpiresUtc: new Date(Date.now() + 3_600_000).toISOString(),
            accessTokenType: 'bearer',
          },
          types: [PREFIX + 'roaming-on'],
          config: { subscriptionDetail: { device: { phoneNumber: '+34600000001' } } },
        },
        token,
      )
      assert.equal(created.status, 201, JSON.stringify(created.body))
      await gw.admin('PATCH', '/network/v1/devices/+34600000001', { roaming: { countryCode: 208 } })
      // subscription-started comes first, then the roaming-on the page parses.
      const [started, received] = await sink.waitFor(2)
      assert.equal(started?.body.type, PREFIX + 'subscription-started')
      assert.ok(received)

      const page = await browser.newPage()
      // The page and the bundle are served on the gateway's origin; every other request of the
      // page goes to the real gateway.
      await page.route(`${gw.url}/__sdk/**`, (route) =>
        route.fulfill(
          route.request().url().endsWith('.js')
            ? { contentType: 'text/javascript', body: bundle }
            : { contentType: 'text/html', body: '<!DOCTYPE html><title>SDK</title>' },
        ),
      )
      await page.goto(`${gw.url}/__sdk/index.html`)
      const result = await page.evaluate(
        async ({ baseUrl, body, authorization, sinkToken }): Promise<PageResult> => {
          const path = '/__sdk/sdk.js'
          const sdk = await import(path)
          const credentials = new sdk.ClientCredentials({
            clientId: 'my-app-id',
            clientSecret: 'my-app-secret',
            baseUrl,
          })
          const request = await credentials.authorizationUrl({
            redirectUri: 'http://localhost:3000/callback',
            purpose: 'dpv:FraudPreventionAndDetection',
          })
          const ds = new sdk.DeviceStatus(credentials, { device: { phoneNumber: '+34600000002' } })
          const refused = await ds.isRoaming().then(
            () => ({ name: 'none', code: '', error: '', isAuthError: false }),
            (e: { name: string; code: string; error: string }) => ({
              name: e.name,
              code: e.code,
              error: e.error,
              isAuthError: e instanceof sdk.AuthError,
            }),
          )
          const headers = new Headers({
            authorization,
            'content-type': 'application/cloudevents+json',
          })
          const event = sdk.parseNotification(JSON.stringify(body), headers, {
            expectedToken: sinkToken,
          })
          let unauthorized = { name: 'none', code: '', status: 0 }
          try {
            sdk.parseNotification(body, new Headers({ authorization: 'Bearer nope' }), {
              expectedToken: sinkToken,
            })
          } catch (e) {
            const error = e as { name: string; code: string; status: number }
            unauthorized = { name: error.name, code: error.code, status: error.status }
          }
          return {
            authorization: {
              url: request.url.href,
              codeVerifier: request.codeVerifier,
              state: request.state,
            },
            refused,
            notification: {
              type: event.type,
              id: event.id,
              subscriptionId: event.subscriptionId,
              timeIsDate: event.time instanceof Date,
            },
            unauthorized,
          }
        },
        {
          baseUrl: gw.url,
          body: received.body as unknown,
          authorization: String(received.headers['authorization']),
          sinkToken: SINK_TOKEN,
        },
      )
      await page.close()

      // Discovery through the browser's fetch; the challenge its Web Crypto computed is S256 of
      // the verifier.
      const url = new URL(result.authorization.url)
      assert.equal(url.origin + url.pathname, `${gw.url}/oauth2/authorize`)
      assert.equal(url.searchParams.get('code_challenge_method'), 'S256')
      assert.equal(
        url.searchParams.get('code_challenge'),
        createHash('sha256').update(result.authorization.codeVerifier).digest('base64url'),
      )
      assert.equal(url.searchParams.get('state'), result.authorization.state)
      // A confidential client's token request from a page (it carries an Origin) is refused: the
      // secret belongs on a server. The refusal arrives as the SDK's AuthError.
      assert.deepEqual(result.refused, {
        name: 'AuthError',
        code: 'OAUTH_ERROR',
        error: 'invalid_request',
        isAuthError: true,
      })
      assert.deepEqual(result.notification, {
        type: 'roaming-on',
        id: received.body.id,
        subscriptionId: created.body.id,
        timeIsDate: true,
      })
      assert.deepEqual(result.unauthorized, {
        name: 'NotificationError',
        code: 'UNAUTHORIZED_NOTIFICATION',
        status: 401,
      })
    })
  },
)
