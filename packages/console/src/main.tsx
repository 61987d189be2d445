import { render } from 'preact'
import { useEffect, useState } from 'preact/hooks'
import { ApiProblem, api, get, onSessionExpired, setCsrfToken, type SessionInfo } from './api.js'
import { CatalogContext, type Catalog } from './catalog.js'
import { SignIn } from './pages/sign-in.js'
import { Devices } from './pages/devices.js'
import { Scenarios } from './pages/scenarios.js'
import { Events } from './pages/events.js'
import { Subscriptions } from './pages/subscriptions.js'
import { Consent } from './pages/consent.js'
import { Apps } from './pages/apps.js'
import { TryIt } from './pages/try-it.js'
import './styles.css'

interface Page {
  id: string
  title: string
  /** Shown only where the network is the simulator (and, for consent, in the sandbox). */
  when?: (s: SessionInfo) => boolean
  view: () => preact.JSX.Element
}

const PAGES: Page[] = [
  { id: 'devices', title: 'Devices', when: (s) => s.simulator, view: () => <Devices /> },
  { id: 'scenarios', title: 'Scenarios', when: (s) => s.simulator, view: () => <Scenarios /> },
  { id: 'events', title: 'Events', view: () => <Events /> },
  { id: 'subscriptions', title: 'Subscriptions', view: () => <Subscriptions /> },
  {
    id: 'consent',
    title: 'Consent',
    when: (s) => s.simulator && s.mode === 'sandbox',
    view: () => <Consent />,
  },
  { id: 'apps', title: 'Apps', view: () => <Apps /> },
  { id: 'try', title: 'Try it', view: () => <TryIt /> },
]

const routeOf = () => location.hash.replace(/^#\/?/, '').split('?')[0] ?? ''

/** The authorization-code popup lands here: hand the code to the console that opened it. */
function callback(): boolean {
  if (location.pathname !== '/console/callback') return false
  const params = Object.fromEntries(new URLSearchParams(location.search))
  if (window.opener !== null) {
    ;(window.opener as Window).postMessage(
      { kind: 'authorization-callback', params },
      location.origin,
    )
    window.close()
  }
  render(
    <main class="narrow">
      <h1>Authorization finished</h1>
      <p>You can close this window.</p>
    </main>,
    document.getElementById('app') as HTMLElement,
  )
  return true
}

function App() {
  const [session, setSession] = useState<SessionInfo | null | undefined>(undefined)
  const [catalog, setCatalog] = useState<Catalog | undefined>(undefined)
  const [expired, setExpired] = useState(false)
  const [route, setRoute] = useState(routeOf())

  useEffect(() => {
    const onHash = () => setRoute(routeOf())
    window.addEventListener('hashchange', onHash)
    return () => window.removeEventListener('hashchange', onHash)
  }, [])
  useEffect(
    () =>
      onSessionExpired(() => {
        setExpired(true)
        setSession(null)
      }),
    [],
  )
  const start = async (info: SessionInfo) => {
    setCsrfToken(info.csrfToken)
    setCatalog(await get<Catalog>('/console/api/catalog'))
    setExpired(false)
    setSession(info)
  }
  useEffect(() => {
    api<SessionInfo>('GET', '/console/api/session', undefined, { quiet401: true }).then(
      start,
      (error: unknown) => {
        if (!(error instanceof ApiProblem) || error.status !== 401) console.error(error)
        setSession(null)
      },
    )
  }, [])
  useEffect(() => {
    document.title =
      session === null
        ? 'Sign in · Device Status console'
        : `${PAGES.find((p) => p.id === route)?.title ?? 'Console'} · Device Status console`
  }, [route, session])

  if (session === undefined) return <p class="loading">Loading…</p>
  if (session === null || catalog === undefined)
    return <SignIn expired={expired} onSignedIn={(info) => void start(info)} />

  const pages = PAGES.filter((p) => p.when === undefined || p.when(session))
  const first = pages[0] as Page
  const page = pages.find((p) => p.id === route) ?? first
  const signOut = async () => {
    await api('DELETE', '/console/api/session').catch(() => undefined)
    setCsrfToken('')
    setSession(null)
  }
  return (
    <CatalogContext.Provider value={catalog}>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <div class="brand">
          <span class="logo" aria-hidden="true">
            ◉
          </span>{' '}
          Device Status <span class={`mode mode-${session.mode}`}>{session.mode}</span>
        </div>
        <nav aria-label="Console">
          <ul>
            {pages.map((p) => (
              <li key={p.id}>
                <a href={`#/${p.id}`} aria-current={p === page ? 'page' : undefined}>
                  {p.title}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <div class="right">
          <a href="/docs">API docs</a>
          <button type="button" class="ghost" onClick={() => void signOut()}>
            Sign out
          </button>
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        {page.view()}
      </main>
    </CatalogContext.Provider>
  )
}

if (!callback()) render(<App />, document.getElementById('app') as HTMLElement)
