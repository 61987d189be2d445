import { useEffect, useMemo, useRef, useState } from 'preact/hooks'
import { ClientCredentials, DeviceStatus, DeviceStatusError } from '@device-status/sdk'
import { get, sdkFetch } from '../api.js'
import { Status, usePoll } from '../components.js'
import { purposeName, scopeWords, useCatalog } from '../catalog.js'
import { scopesByApi, type App } from './apps.js'

type Flow = 'client_credentials' | 'ciba' | 'authorization_code'

interface Exchange {
  request: { method: string; url: string; headers: [string, string][]; body: string | undefined }
  response?: {
    status: number
    statusText: string
    headers: [string, string][]
    body: string
    ms: number
  }
  error?: string
  correlator: string
}

const FLOWS: [Flow, string][] = [
  ['client_credentials', 'Client credentials (two-legged: the app names the device)'],
  ['ciba', 'CIBA (backend flow: the subscriber approves)'],
  [
    'authorization_code',
    'Authorization code (frontend flow, in a popup through the gateway pages)',
  ],
]

const pretty = (text: string) => {
  try {
    return JSON.stringify(JSON.parse(text), null, 2)
  } catch {
    return text
  }
}

/** The SDK's errors carry a stable code; show it with the message. */
function explain(error: unknown): string {
  if (error instanceof DeviceStatusError) return `${error.code}: ${error.message}`
  return error instanceof Error ? error.message : String(error)
}

/** The code and state the callback page posts back (main.tsx). */
function waitForCallback(popup: Window, signal: AbortSignal): Promise<Record<string, string>> {
  return new Promise((resolve, reject) => {
    const onMessage = (event: MessageEvent<{ kind?: string; params?: Record<string, string> }>) => {
      if (event.origin !== location.origin || event.data?.kind !== 'authorization-callback') return
      cleanup()
      resolve(event.data.params ?? {})
    }
    // The callback page posts its message and closes itself: the message may arrive after the
    // window is seen closed, so a closed window is given a moment before it counts as abandoned.
    let abandoned: ReturnType<typeof setTimeout> | undefined
    const closed = setInterval(() => {
      if (popup.closed && abandoned === undefined)
        abandoned = setTimeout(() => {
          cleanup()
          reject(new Error('The authorization window was closed before it finished'))
        }, 1_000)
    }, 500)
    const cleanup = () => {
      window.removeEventListener('message', onMessage)
      clearInterval(closed)
      clearTimeout(abandoned)
    }
    window.addEventListener('message', onMessage)
    signal.addEventListener('abort', () => {
      cleanup()
      reject(new Error('Cancelled'))
    })
  })
}

export function TryIt() {
  const catalog = useCatalog()
  const apps = usePoll(() => get<App[]>('/admin/v1/apps'), 10_000)
  const byApi = useMemo(() => scopesByApi(catalog), [catalog])
  const [clientId, setClientId] = useState('my-app-id')
  const [secret, setSecret] = useState(catalog.mode === 'sandbox' ? 'my-app-secret' : '')
  const [flow, setFlow] = useState<Flow>('client_credentials')
  const [phone, setPhone] = useState('+34600000001')
  const [purpose, setPurpose] = useState('dpv:FraudPreventionAndDetection')
  const [api, setApi] = useState('device-roaming-status')
  const [opIndex, setOpIndex] = useState(0)
  const [token, setToken] = useState<
    { value: string; flow: Flow; api: string; scope: string } | undefined
  >()
  const [tokenStatus, setTokenStatus] = useState<{ text: string; error: boolean } | undefined>()
  const [busy, setBusy] = useState(false)
  const [params, setParams] = useState<Record<string, string>>({})
  const [body, setBody] = useState('')
  const [exchange, setExchange] = useState<Exchange | undefined>()
  const abort = useRef<AbortController | undefined>(undefined)
  const app = apps.value?.find((a) => a.clientId === clientId)
  const operations = catalog.operations.filter((o) => o.api === api)
  const op = operations[opIndex]
  const redirectUri = `${location.origin}/console/callback`
  const threeLegged = (token?.flow ?? flow) !== 'client_credentials'

  useEffect(() => {
    if (op === undefined) return
    let value = op.body
    // A three-legged token names the subscriber: the body must not name a device.
    if (threeLegged && typeof value === 'object' && value !== null) {
      const { device: _device, phoneNumber: _phone, ...rest } = value as Record<string, unknown>
      value = rest
    }
    setBody(value === undefined ? '' : JSON.stringify(value, null, 2))
    setParams({})
  }, [api, opIndex, threeLegged])
  useEffect(() => {
    if (app !== undefined && !app.purposes.includes(purpose) && app.purposes[0] !== undefined)
      setPurpose(app.purposes[0])
  }, [clientId, app])

  const getToken = async (event: Event) => {
    event.preventDefault()
    abort.current?.abort()
    const controller = new AbortController()
    abort.current = controller
    setBusy(true)
    setToken(undefined)
    setTokenStatus(undefined)
    const scopes = byApi.get(api) ?? []
    try {
      const credentials = new ClientCredentials({
        clientId,
        clientSecret: secret,
        baseUrl: catalog.issuer,
        redirectUri,
        fetch: sdkFetch,
      })
      let ds: DeviceStatus
      if (flow === 'client_credentials') {
        setTokenStatus({ text: 'Asking the token endpoint (client credentials)…', error: false })
        ds = new DeviceStatus(credentials, { device: { phoneNumber: phone }, purpose, scopes })
      } else if (flow === 'ciba') {
        setTokenStatus({
          text: `CIBA request sent for ${phone}: waiting for the subscriber to decide (Consent page, or the device's consent policy)…`,
          error: false,
        })
        ds = new DeviceStatus(credentials, { phoneNumber: phone, purpose, scopes })
      } else {
        const request = await credentials.authorizationUrl({ redirectUri, purpose, scopes })
        const popup = window.open(request.url, 'authorize', 'popup,width=560,height=720')
        if (popup === null)
          throw new Error(
            'The browser blocked the authorization window: allow popups for this page',
          )
        setTokenStatus({ text: 'Continue in the authorization window…', error: false })
        const answer = await waitForCallback(popup, controller.signal)
        if (answer['error'] !== undefined)
          throw new Error(`${answer['error']}: ${answer['error_description'] ?? ''}`)
        if (answer['state'] !== request.state)
          throw new Error('The callback state does not match the request')
        ds = new DeviceStatus(credentials, {
          authCode: answer['code'] ?? '',
          redirectUri,
          codeVerifier: request.codeVerifier,
        })
      }
      await ds.authorize({ signal: controller.signal })
      const value = await ds.session.accessToken({ signal: controller.signal })
      const scope = [purpose, ...scopes].join(' ')
      setToken({ value, flow, api, scope })
      setTokenStatus({
        text: `Token received (${FLOWS.find(([f]) => f === flow)?.[0]}) for ${api}`,
        error: false,
      })
    } catch (error) {
      setTokenStatus({ text: `No token: ${explain(error)}`, error: true })
    } finally {
      setBusy(false)
    }
  }

  const send = async (event: Event) => {
    event.preventDefault()
    if (op === undefined || token === undefined) return
    let path = op.path
    for (const [name] of op.path.matchAll(/\{([^}]+)\}/g)) {
      const key = name.slice(1, -1)
      path = path.replace(name, encodeURIComponent(params[key] ?? ''))
    }
    const correlator = crypto.randomUUID()
    const headers: [string, string][] = [
      ['authorization', `Bearer ${token.value}`],
      ['x-correlator', correlator],
    ]
    const hasBody = op.method !== 'GET' && op.method !== 'DELETE' && body.trim() !== ''
    if (hasBody) headers.push(['content-type', 'application/json'])
    const request = {
      method: op.method,
      url: new URL(path, catalog.issuer).href,
      headers,
      body: hasBody ? body : undefined,
    }
    const shown: Exchange = {
      request: {
        ...request,
        headers: headers.map(([k, v]) => [
          k,
          k === 'authorization' ? `Bearer ${v.slice(7, 27)}…` : v,
        ]),
      },
      correlator,
    }
    setExchange(shown)
    const started = performance.now()
    try {
      const response = await fetch(request.url, {
        method: request.method,
        headers: Object.fromEntries(headers),
        ...(hasBody ? { body } : {}),
      })
      const text = await response.text()
      setExchange({
        ...shown,
        response: {
          status: response.status,
          statusText: response.statusText,
          headers: [...response.headers],
          body: text,
          ms: Math.round(performance.now() - started),
        },
      })
    } catch (error) {
      setExchange({ ...shown, error: explain(error) })
    }
  }

  const answerCorrelator = exchange?.response?.headers.find(([k]) => k === 'x-correlator')?.[1]
  return (
    <section aria-labelledby="try-title">
      <h1 id="try-title">Try it</h1>
      <p class="lead">
        Get a token as an app would, with the project's SDK running in this page (its requests that
        carry the app's secret go through the console, as an app's backend would send them), then
        call any operation of the nine APIs.
      </p>
      <div class="two-col">
        <form
          class="panel form"
          onSubmit={(e) => void getToken(e)}
          aria-labelledby="try-token-title"
        >
          <h2 id="try-token-title">1. Token</h2>
          <div class="field">
            <label for="try-app">App</label>
            <select
              id="try-app"
              value={clientId}
              onChange={(e) => setClientId(e.currentTarget.value)}
            >
              {(apps.value ?? []).map((a) => (
                <option key={a.clientId} value={a.clientId}>
                  {a.name} ({a.clientId})
                </option>
              ))}
            </select>
          </div>
          <div class="field">
            <label for="try-secret">Client secret</label>
            <input
              id="try-secret"
              type="password"
              autocomplete="off"
              value={secret}
              onInput={(e) => setSecret(e.currentTarget.value)}
            />
          </div>
          <fieldset class="field">
            <legend>Flow</legend>
            {FLOWS.map(([value, label]) => (
              <label key={value} class="check">
                <input
                  type="radio"
                  name="flow"
                  value={value}
                  checked={flow === value}
                  onChange={() => setFlow(value)}
                />{' '}
                {label}
              </label>
            ))}
          </fieldset>
          {flow !== 'authorization_code' ? (
            <div class="field">
              <label for="try-phone">Device (phone number)</label>
              <input
                id="try-phone"
                value={phone}
                onInput={(e) => setPhone(e.currentTarget.value)}
              />
            </div>
          ) : (
            <p class="help">
              The app must have <code>{redirectUri}</code> among its redirect URIs (Apps page).
            </p>
          )}
          <div class="field">
            <label for="try-purpose">Purpose</label>
            <select
              id="try-purpose"
              value={purpose}
              onChange={(e) => setPurpose(e.currentTarget.value)}
            >
              {(app?.purposes ?? catalog.purposes.map((x) => x.purpose)).map((x) => (
                <option key={x} value={x}>
                  {purposeName(catalog, x)} ({x})
                </option>
              ))}
            </select>
          </div>
          <div class="field">
            <label for="try-api">API</label>
            <select
              id="try-api"
              value={api}
              onChange={(e) => {
                setApi(e.currentTarget.value)
                setOpIndex(0)
              }}
            >
              {[...byApi.keys()].map((a) => (
                <option key={a}>{a}</option>
              ))}
            </select>
            <span class="help">
              Asks for: {(byApi.get(api) ?? []).map((s) => scopeWords(catalog, s)).join('; ')}
            </span>
          </div>
          <div class="row">
            <button type="submit" disabled={busy}>
              Get a token
            </button>
            {busy && (
              <button type="button" class="secondary" onClick={() => abort.current?.abort()}>
                Cancel
              </button>
            )}
          </div>
          {tokenStatus !== undefined && (
            <Status text={tokenStatus.text} error={tokenStatus.error} />
          )}
          {token !== undefined && (
            <p class="help">
              Access token <code>{token.value.slice(0, 24)}…</code> ({token.scope})
            </p>
          )}
        </form>
        <form class="panel form" onSubmit={(e) => void send(e)} aria-labelledby="try-call-title">
          <h2 id="try-call-title">2. Call</h2>
          <div class="field">
            <label for="try-operation">Operation</label>
            <select
              id="try-operation"
              value={String(opIndex)}
              onChange={(e) => setOpIndex(Number(e.currentTarget.value))}
            >
              {operations.map((o, i) => (
                <option key={o.operationId} value={String(i)}>
                  {o.method} {o.path} — {o.summary || o.operationId}
                </option>
              ))}
            </select>
          </div>
          {op !== undefined &&
            [...op.path.matchAll(/\{([^}]+)\}/g)].map(([, name = '']) => (
              <div class="field" key={name}>
                <label for={`try-param-${name}`}>{name}</label>
                <input
                  id={`try-param-${name}`}
                  value={params[name] ?? ''}
                  onInput={(e) => setParams({ ...params, [name]: e.currentTarget.value })}
                />
              </div>
            ))}
          {op !== undefined && op.method !== 'GET' && op.method !== 'DELETE' && (
            <div class="field">
              <label for="try-body">Request body (JSON)</label>
              <textarea
                id="try-body"
                rows={12}
                spellcheck={false}
                value={body}
                onInput={(e) => setBody(e.currentTarget.value)}
              />
            </div>
          )}
          <button type="submit" disabled={token === undefined}>
            Send request
          </button>
          {token === undefined && <p class="help">Get a token first.</p>}
          {token !== undefined && token.api !== api && (
            <p class="help">
              The token was asked for {token.api}; get one for {api} if the call answers 403.
            </p>
          )}
        </form>
      </div>
      {exchange !== undefined && (
        <div class="two-col">
          <section class="panel" aria-labelledby="try-request-title">
            <h2 id="try-request-title">Request</h2>
            <pre class="code">
              {exchange.request.method} {exchange.request.url}
              {'\n'}
              {exchange.request.headers.map(([k, v]) => `${k}: ${v}\n`).join('')}
              {exchange.request.body !== undefined ? '\n' + exchange.request.body : ''}
            </pre>
          </section>
          <section class="panel" aria-labelledby="try-answer-title" aria-live="polite">
            <h2 id="try-answer-title">Answer</h2>
            {exchange.error !== undefined && <Status text={exchange.error} error />}
            {exchange.response === undefined && exchange.error === undefined && <p>Waiting…</p>}
            {exchange.response !== undefined && (
              <>
                <p>
                  <strong class={exchange.response.status < 400 ? 'ok' : 'error'}>
                    HTTP {exchange.response.status} {exchange.response.statusText}
                  </strong>{' '}
                  in {exchange.response.ms} ms · x-correlator{' '}
                  <code>{answerCorrelator ?? '(none)'}</code>
                </p>
                <h3>Body</h3>
                <pre class="code" aria-label="Answer body">
                  {pretty(exchange.response.body)}
                </pre>
                <h3>Headers</h3>
                <pre class="code small">
                  {exchange.response.headers.map(([k, v]) => `${k}: ${v}\n`).join('')}
                </pre>
              </>
            )}
          </section>
        </div>
      )}
    </section>
  )
}
