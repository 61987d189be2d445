// The vendor docs' frontend flow (Authorization Code): the sample's HTML form and its callback,
// served by one small HTTP server. Minimal fixes to the published sample are listed in ../README.md.
import { createServer } from 'node:http'
import { ClientCredentials, DeviceStatus, SIMSwap } from '@device-status/sdk'

const gateway = process.env.GATEWAY_URL ?? 'http://127.0.0.1:8080'
const port = Number(process.env.PORT ?? 3000)
const redirectUri = process.env.REDIRECT_URI ?? `http://localhost:${port}/callback`
const purpose = process.env.PURPOSE ?? 'dpv:FraudPreventionAndDetection'
const clientId = process.env.CLIENT_ID ?? 'my-app-id'

const credentials = new ClientCredentials({
  clientId,
  clientSecret: process.env.CLIENT_SECRET ?? 'my-app-secret',
  baseUrl: gateway,
})

const escape = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)

async function form(res) {
  // PKCE (required for strict-mode apps, recommended for all); the verifier stays on the server
  // side, in a cookie.
  const { url, codeVerifier } = await credentials.authorizationUrl({ redirectUri, purpose })
  res.writeHead(200, {
    'content-type': 'text/html; charset=utf-8',
    'set-cookie': `pkce=${codeVerifier}; HttpOnly; SameSite=Lax; Path=/`,
  })
  res.end(`<!DOCTYPE html>
<html lang="en">
<head>
    <meta charset="UTF-8">
    <meta name="viewport" content="width=device-width, initial-scale=1.0">
    <title>API Request Form</title>
</head>
<body>
    <h1>SIM swap date check</h1>
    <form id="apiRequestForm" action="${escape(url.origin + url.pathname)}" method="GET">
        <input type="hidden" name="client_id" value="${escape(clientId)}">
        <input type="hidden" name="response_type" value="code">
        <input type="hidden" name="purpose" value="${escape(purpose)}#sim-swap">
        <input type="hidden" name="scope" value="${escape(purpose)}#device-status-roaming-read">
        <input type="hidden" name="redirect_uri" value="${escape(redirectUri)}">
        <input type="hidden" name="code_challenge" value="${escape(url.searchParams.get('code_challenge'))}">
        <input type="hidden" name="code_challenge_method" value="S256">

        <label for="state">Your phone number:</label>
        <input type="text" id="state" name="state" value="+34555555555" required>

        <button type="submit">Check</button>
    </form>
</body>
</html>`)
}

async function callback(req, res, query) {
  const code = query.get('code')
  // The sample carries the typed number in `state`: it is only what the user typed. The answers
  // are about the device the operator's network authenticated, which the app does not name.
  const typedNumber = query.get('state')
  const codeVerifier = /(?:^|;\s*)pkce=([^;]+)/.exec(req.headers.cookie ?? '')?.[1]
  if (code === null) {
    res.writeHead(400, { 'content-type': 'text/html; charset=utf-8' })
    res.end(
      `<h1>Authorization failed</h1><p>${escape(query.get('error'))}: ${escape(query.get('error_description') ?? '')}</p>`,
    )
    return
  }
  const simswapClient = new SIMSwap(credentials, { authCode: code, redirectUri, codeVerifier })

  let result = await simswapClient.retrieveDate()

  const deviceStatusClient = new DeviceStatus(credentials, { session: simswapClient.session })
  const status = await deviceStatusClient.getRoamingStatus()

  res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
  res.end(`<!DOCTYPE html>
<html lang="en"><head><meta charset="UTF-8"><title>Result</title></head>
<body>
<h1>Result for the device the network authenticated</h1>
<p id="device">The operator answered for the device that signed in through its network (network-based
authentication), not for a number typed into a form; the app knows that device only by the token.
The form said: ${escape(typedNumber ?? '(nothing)')}.</p>
<p id="simswap">Latest SIM change (a swap, or the activation of the SIM): ${escape(result === null ? 'none' : result.toLocaleString('en-GB', { timeZone: 'UTC' }))}</p>
<p id="roaming">Roaming: ${status.roaming}${status.roaming ? ` in ${escape(status.countryNames.join(', '))} (${status.countryCode})` : ''}</p>
</body></html>`)
}

const server = createServer((req, res) => {
  const url = new URL(req.url ?? '/', `http://localhost:${port}`)
  const handle =
    url.pathname === '/'
      ? form(res)
      : url.pathname === new URL(redirectUri).pathname
        ? callback(req, res, url.searchParams)
        : Promise.resolve(res.writeHead(404).end('not found'))
  handle.catch((error) => {
    res.writeHead(502, { 'content-type': 'text/html; charset=utf-8' })
    res.end(
      `<h1>Error</h1><p>${escape(error.name)} ${escape(error.code ?? '')}: ${escape(error.message)}</p>`,
    )
  })
})

server.listen(port, () => {
  console.log(`SIM Swap callback URL is running at http://localhost:${server.address().port}/`)
})
