import { useMemo, useRef, useState } from 'preact/hooks'
import { del, get, post, put, type ApiProblem } from '../api.js'
import {
  Badge,
  ConfirmDelete,
  Field,
  Status,
  focusSoon,
  onEscape,
  useFocusOnMount,
  usePoll,
  useAction,
} from '../components.js'
import { purposeName, time, useCatalog, type Catalog } from '../catalog.js'

export interface App {
  clientId: string
  name: string
  redirectUris: string[]
  scopes: string[]
  purposes: string[]
  grantTypes: string[]
  tokenEndpointAuthMethod: string
  jwks?: { keys: unknown[] }
  mode: 'strict' | 'compatible'
  hasSecret: boolean
  createdAt: string
  updatedAt: string
}

/** Fields of the form that show the gateway's validation message next to them. */
const APP_FIELDS = new Set([
  'name',
  'clientId',
  'redirectUris',
  'scopes',
  'tokenEndpointAuthMethod',
  'jwks',
  'mode',
])

const GRANTS: [string, string][] = [
  ['client_credentials', 'Client credentials (two-legged)'],
  ['urn:openid:params:grant-type:ciba', 'CIBA (backend flow)'],
  ['authorization_code', 'Authorization code (frontend flow)'],
  ['refresh_token', 'Refresh token'],
  ['urn:ietf:params:oauth:grant-type:jwt-bearer', 'JWT bearer'],
]

/** Focuses the button with this accessible name once rendered (focus return). */
const focusButton = (label: string) =>
  setTimeout(
    () => document.querySelector<HTMLElement>(`button[aria-label="${CSS.escape(label)}"]`)?.focus(),
    0,
  )

/** A new secret, shown once; its heading takes the focus so that the Copy button is next. */
function SecretPanel(props: {
  clientId: string
  secret: string
  copied: boolean
  onCopy: () => void
  onClose: () => void
}) {
  const heading = useFocusOnMount<HTMLHeadingElement>()
  return (
    <div
      class="panel secret"
      role="region"
      aria-labelledby="secret-title"
      onKeyDown={onEscape(props.onClose)}
    >
      <h2 id="secret-title" ref={heading} tabIndex={-1}>
        Client secret of {props.clientId}
      </h2>
      <p>Shown once: copy it now. The gateway keeps only a hash.</p>
      <p>
        <code class="secret-value" aria-label="Client secret">
          {props.secret}
        </code>{' '}
        <button type="button" class="small" onClick={props.onCopy}>
          Copy
        </button>{' '}
        <span role="status">{props.copied ? 'Copied to the clipboard' : ''}</span>
      </p>
      <button type="button" class="secondary" onClick={props.onClose}>
        I have stored it
      </button>
    </div>
  )
}

/** Every scope of each API, from the operations' security. */
export function scopesByApi(catalog: Catalog): Map<string, string[]> {
  const map = new Map<string, Set<string>>()
  for (const op of catalog.operations) {
    const set = map.get(op.api) ?? new Set<string>()
    op.scopes.forEach((s) => set.add(s))
    map.set(op.api, set)
  }
  return new Map([...map].map(([api, set]) => [api, [...set].sort()]))
}

export function Apps() {
  const list = usePoll(() => get<App[]>('/admin/v1/apps'), 5000)
  const [editing, setEditing] = useState<string | undefined>() // clientId, or '' for a new app
  const [secret, setSecret] = useState<{ clientId: string; secret: string } | undefined>()
  const [confirmDelete, setConfirmDelete] = useState<string | undefined>()
  const [copied, setCopied] = useState(false)
  const [notice, setNotice] = useState('')
  const action = useAction()
  const createButton = useRef<HTMLButtonElement>(null)
  // What had the focus when a secret was shown: it gets it back when the panel closes.
  const secretOpener = useRef<HTMLElement | null>(null)
  const apps = list.value ?? []
  const rotate = (app: App) => {
    secretOpener.current = document.activeElement as HTMLElement | null
    setNotice('')
    void action.run(async () => {
      const answer = await post<{ clientSecret: string }>(
        `/admin/v1/apps/${encodeURIComponent(app.clientId)}/secret`,
      )
      setCopied(false)
      setSecret({ clientId: app.clientId, secret: answer.clientSecret })
    }, `New secret for ${app.name}: the old one no longer works`)
  }
  const copy = async () => {
    if (secret === undefined) return
    try {
      await navigator.clipboard.writeText(secret.secret)
      setCopied(true)
    } catch {
      setCopied(false)
    }
  }
  return (
    <section aria-labelledby="apps-title">
      <div class="page-head">
        <h1 id="apps-title">Apps</h1>
        <button
          type="button"
          ref={createButton}
          aria-expanded={editing === ''}
          onClick={() => setEditing(editing === '' ? undefined : '')}
        >
          Create an app
        </button>
      </div>
      <p class="lead">The developer hub: apps, their credentials, what they may ask for.</p>
      {editing === '' && (
        <AppForm
          onDone={(result) => {
            setEditing(undefined)
            action.clear()
            setNotice(`${result.name} created`)
            secretOpener.current = createButton.current
            if (result.clientSecret !== undefined)
              setSecret({ clientId: result.clientId, secret: result.clientSecret })
            else focusSoon(createButton)
            void list.refresh()
          }}
          onCancel={() => {
            setEditing(undefined)
            focusSoon(createButton)
          }}
        />
      )}
      {notice !== '' && <Status text={notice} />}
      {action.view}
      {secret !== undefined && (
        <SecretPanel
          key={secret.secret}
          clientId={secret.clientId}
          secret={secret.secret}
          copied={copied}
          onCopy={() => void copy()}
          onClose={() => {
            setSecret(undefined)
            focusSoon(secretOpener)
          }}
        />
      )}
      <ul class="cards" aria-label="Apps">
        {apps.map((app) => (
          <li key={app.clientId} class="card">
            <h2 class="card-title">{app.name}</h2>
            <dl class="facts">
              <dt>Client ID</dt>
              <dd>
                <code>{app.clientId}</code>
              </dd>
              <dt>Authentication</dt>
              <dd>
                {app.tokenEndpointAuthMethod} <Badge tone="muted">{app.mode}</Badge>
              </dd>
              <dt>Grants</dt>
              <dd>
                {app.grantTypes.map((g) => GRANTS.find(([v]) => v === g)?.[1] ?? g).join(', ')}
              </dd>
              <dt>Purposes</dt>
              <dd>
                {app.purposes.length === 0
                  ? '—'
                  : app.purposes.map((p) => p.replace(/^dpv:/, '')).join(', ')}
              </dd>
              <dt>Redirect URIs</dt>
              <dd>{app.redirectUris.length === 0 ? '—' : app.redirectUris.join(', ')}</dd>
              <dt>Scopes</dt>
              <dd>
                {app.scopes.length} API scope{app.scopes.length === 1 ? '' : 's'}
              </dd>
              <dt>Changed</dt>
              <dd>{time(app.updatedAt)}</dd>
            </dl>
            <div class="row">
              <button
                type="button"
                class="secondary small"
                aria-label={`Edit ${app.name}`}
                aria-expanded={editing === app.clientId}
                onClick={() => setEditing(editing === app.clientId ? undefined : app.clientId)}
              >
                Edit
              </button>
              {app.hasSecret && (
                <button
                  type="button"
                  class="secondary small"
                  aria-label={`Rotate secret of ${app.name}`}
                  onClick={() => rotate(app)}
                >
                  Rotate secret
                </button>
              )}
              {confirmDelete !== app.clientId ? (
                <button
                  type="button"
                  class="danger small"
                  aria-label={`Delete ${app.name}`}
                  onClick={() => setConfirmDelete(app.clientId)}
                >
                  Delete
                </button>
              ) : (
                <ConfirmDelete
                  what={app.name}
                  small
                  onConfirm={() =>
                    void action
                      .run(() => {
                        setNotice('')
                        return del(`/admin/v1/apps/${encodeURIComponent(app.clientId)}`)
                      }, `${app.name} deleted`)
                      .then(() => list.refresh())
                      .then(() => action.focusOutcome())
                  }
                  onKeep={() => {
                    setConfirmDelete(undefined)
                    focusButton(`Delete ${app.name}`)
                  }}
                />
              )}
            </div>
            {editing === app.clientId && (
              <AppForm
                app={app}
                onDone={(result) => {
                  setEditing(undefined)
                  action.clear()
                  setNotice(`${result.name} saved`)
                  secretOpener.current = document.querySelector<HTMLElement>(
                    `button[aria-label="${CSS.escape(`Edit ${app.name}`)}"]`,
                  )
                  if (result.clientSecret !== undefined)
                    setSecret({ clientId: result.clientId, secret: result.clientSecret })
                  else focusButton(`Edit ${app.name}`)
                  void list.refresh()
                }}
                onCancel={() => {
                  setEditing(undefined)
                  focusButton(`Edit ${app.name}`)
                }}
              />
            )}
          </li>
        ))}
      </ul>
    </section>
  )
}

function AppForm(props: {
  app?: App
  onDone: (result: App & { clientSecret?: string }) => void
  onCancel: () => void
}) {
  const catalog = useCatalog()
  const a = props.app
  const byApi = useMemo(() => scopesByApi(catalog), [catalog])
  const covered = (api: string) =>
    (byApi.get(api) ?? []).every((s) => a?.scopes.includes(s) === true)
  const [name, setName] = useState(a?.name ?? '')
  const [clientId, setClientId] = useState('')
  const [redirects, setRedirects] = useState((a?.redirectUris ?? []).join('\n'))
  const [grants, setGrants] = useState<string[]>(
    a?.grantTypes ?? ['client_credentials', 'urn:openid:params:grant-type:ciba'],
  )
  const [apis, setApis] = useState<string[]>(
    a === undefined ? ['device-roaming-status'] : [...byApi.keys()].filter(covered),
  )
  const [extra, setExtra] = useState(
    a === undefined
      ? ''
      : a.scopes
          .filter((s) => ![...byApi].some(([api, list]) => covered(api) && list.includes(s)))
          .join(' '),
  )
  const [purposes, setPurposes] = useState<string[]>(
    a?.purposes ?? ['dpv:FraudPreventionAndDetection'],
  )
  const [method, setMethod] = useState(a?.tokenEndpointAuthMethod ?? 'client_secret_basic')
  const [jwks, setJwks] = useState(a?.jwks === undefined ? '' : JSON.stringify(a.jwks, null, 2))
  const [mode, setMode] = useState(a?.mode ?? 'compatible')
  const action = useAction()
  const p: ApiProblem | undefined = action.problem
  const prefix = a === undefined ? 'new-app' : `app-${a.clientId}`
  const nameField = useFocusOnMount<HTMLInputElement>()
  const toggle = (list: string[], set: (v: string[]) => void, v: string, on: boolean) =>
    set(on ? [...list, v] : list.filter((x) => x !== v))

  const submit = async (event: Event) => {
    event.preventDefault()
    let parsedJwks: unknown
    if (jwks.trim() !== '') {
      try {
        parsedJwks = JSON.parse(jwks)
      } catch {
        await action.run(
          () => Promise.reject(new Error('jwks is not JSON: paste {"keys":[…]}')),
          '',
        )
        return
      }
    }
    const scopes = [
      ...new Set([
        ...apis.flatMap((api) => byApi.get(api) ?? []),
        ...extra.split(/\s+/).filter((s) => s !== ''),
      ]),
    ]
    const body = {
      name,
      ...(a === undefined && clientId !== '' ? { clientId } : {}),
      redirectUris: redirects.split(/\s+/).filter((s) => s !== ''),
      grantTypes: grants,
      scopes,
      purposes,
      tokenEndpointAuthMethod: method,
      ...(parsedJwks === undefined ? {} : { jwks: parsedJwks }),
      mode,
    }
    let result: (App & { clientSecret?: string }) | undefined
    const ok = await action.run(
      async () => {
        result =
          a === undefined
            ? await post<App & { clientSecret?: string }>('/admin/v1/apps', body)
            : await put<App & { clientSecret?: string }>(
                `/admin/v1/apps/${encodeURIComponent(a.clientId)}`,
                body,
              )
      },
      a === undefined ? `${name} created` : `${name} saved`,
    )
    if (ok && result !== undefined) props.onDone(result)
  }
  return (
    <form
      class="panel form"
      onSubmit={(e) => void submit(e)}
      onKeyDown={onEscape(props.onCancel)}
      aria-labelledby={`${prefix}-title`}
    >
      <h2 id={`${prefix}-title`}>{a === undefined ? 'Create an app' : `Edit ${a.name}`}</h2>
      <div class="form-grid">
        <Field id={`${prefix}-name`} name="name" label="Name" problem={p}>
          <input
            id={`${prefix}-name`}
            ref={nameField}
            value={name}
            onInput={(e) => setName(e.currentTarget.value)}
            required
          />
        </Field>
        {a === undefined && (
          <Field
            id={`${prefix}-client-id`}
            name="clientId"
            label="Client ID"
            problem={p}
            help="Optional: generated when empty"
          >
            <input
              id={`${prefix}-client-id`}
              value={clientId}
              onInput={(e) => setClientId(e.currentTarget.value)}
            />
          </Field>
        )}
        <Field
          id={`${prefix}-redirects`}
          name="redirectUris"
          label="Redirect URIs"
          problem={p}
          help="One per line; all on one host"
        >
          <textarea
            id={`${prefix}-redirects`}
            rows={3}
            value={redirects}
            onInput={(e) => setRedirects(e.currentTarget.value)}
          />
        </Field>
        <fieldset class="field">
          <legend>Grant types</legend>
          {GRANTS.map(([value, label]) => (
            <label key={value} class="check">
              <input
                type="checkbox"
                checked={grants.includes(value)}
                onChange={(e) => toggle(grants, setGrants, value, e.currentTarget.checked)}
              />{' '}
              {label}
            </label>
          ))}
        </fieldset>
        <fieldset class="field">
          <legend>APIs (every scope of each)</legend>
          {[...byApi.keys()].map((api) => (
            <label key={api} class="check">
              <input
                type="checkbox"
                checked={apis.includes(api)}
                onChange={(e) => toggle(apis, setApis, api, e.currentTarget.checked)}
              />{' '}
              {api}
            </label>
          ))}
        </fieldset>
        <Field
          id={`${prefix}-scopes`}
          name="scopes"
          label="Other scopes"
          problem={p}
          help="Space-separated, beyond the APIs ticked"
        >
          <input
            id={`${prefix}-scopes`}
            value={extra}
            onInput={(e) => setExtra(e.currentTarget.value)}
          />
        </Field>
        <fieldset class="field">
          <legend>Purposes</legend>
          {catalog.purposes.map((x) => (
            <label key={x.purpose} class="check">
              <input
                type="checkbox"
                checked={purposes.includes(x.purpose)}
                onChange={(e) => toggle(purposes, setPurposes, x.purpose, e.currentTarget.checked)}
              />{' '}
              {purposeName(catalog, x.purpose)}{' '}
              <span class="muted">({x.needsConsent ? 'needs consent' : x.legalBasis})</span>
            </label>
          ))}
        </fieldset>
        <Field
          id={`${prefix}-method`}
          name="tokenEndpointAuthMethod"
          label="Client authentication"
          problem={p}
        >
          <select
            id={`${prefix}-method`}
            value={method}
            onChange={(e) => setMethod(e.currentTarget.value)}
          >
            <option value="client_secret_basic">client_secret_basic (secret)</option>
            <option value="client_secret_post">client_secret_post (secret)</option>
            <option value="private_key_jwt">private_key_jwt (public keys below)</option>
          </select>
        </Field>
        <Field
          id={`${prefix}-jwks`}
          name="jwks"
          label="JWKS (public keys for private_key_jwt)"
          problem={p}
          help='{"keys":[{"kty":"EC",…}]}'
        >
          <textarea
            id={`${prefix}-jwks`}
            rows={3}
            spellcheck={false}
            value={jwks}
            onInput={(e) => setJwks(e.currentTarget.value)}
          />
        </Field>
        <Field id={`${prefix}-mode`} name="mode" label="Profile mode" problem={p}>
          <select
            id={`${prefix}-mode`}
            value={mode}
            onChange={(e) => setMode(e.currentTarget.value as 'strict' | 'compatible')}
          >
            <option value="compatible">compatible (also what the vendor samples send)</option>
            <option value="strict">strict (the CAMARA profile only)</option>
          </select>
        </Field>
      </div>
      {p?.field !== undefined && APP_FIELDS.has(p.field) ? (
        <p class="error">The gateway refused the app: see the message next to the field.</p>
      ) : (
        action.view
      )}
      <div class="row">
        <button type="submit">{a === undefined ? 'Create app' : 'Save app'}</button>
        <button type="button" class="secondary" onClick={props.onCancel}>
          Cancel
        </button>
      </div>
    </form>
  )
}
