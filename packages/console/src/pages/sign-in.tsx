import { useState } from 'preact/hooks'
import { ApiProblem, api, type SessionInfo } from '../api.js'

export function SignIn(props: { expired: boolean; onSignedIn: (info: SessionInfo) => void }) {
  const [token, setToken] = useState('')
  const [error, setError] = useState('')
  const [busy, setBusy] = useState(false)
  const submit = async (event: Event) => {
    event.preventDefault()
    setBusy(true)
    setError('')
    try {
      const info = await api<SessionInfo>(
        'POST',
        '/console/api/session',
        { token },
        { quiet401: true },
      )
      setToken('')
      props.onSignedIn(info)
    } catch (e) {
      setError(e instanceof ApiProblem ? e.message : String(e))
    } finally {
      setBusy(false)
    }
  }
  return (
    <main class="narrow signin" id="main">
      <h1>Sign in to the Device Status console</h1>
      {props.expired && (
        <p role="alert" class="notice">
          Your session has expired. Sign in again.
        </p>
      )}
      <form onSubmit={(e) => void submit(e)}>
        <label for="admin-token">Admin token</label>
        <input
          id="admin-token"
          type="password"
          autocomplete="current-password"
          value={token}
          onInput={(e) => setToken(e.currentTarget.value)}
          aria-describedby="token-help"
          aria-invalid={error !== '' ? 'true' : undefined}
          required
        />
        <p id="token-help" class="help">
          The gateway prints it when it starts; in the sandbox it is kept in{' '}
          <code>.data/admin-token</code> (or set with <code>ADMIN_TOKEN</code>). It is exchanged for
          a session cookie and never stored by this page.
        </p>
        {error !== '' && (
          <p role="alert" class="error">
            {error}
          </p>
        )}
        <button type="submit" disabled={busy}>
          Sign in
        </button>
      </form>
      <p class="help">
        <a href="/">Gateway home</a> · <a href="/docs">API docs</a>
      </p>
    </main>
  )
}
