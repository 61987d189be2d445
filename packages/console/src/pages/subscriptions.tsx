import { useState } from 'preact/hooks'
import { get, post, q } from '../api.js'
import { Badge, onEscape, useFocusOnMount, usePoll, useAction } from '../components.js'
import { shortId, shortType, time } from '../catalog.js'

interface Subscription {
  id: string
  api: string
  clientId: string
  phoneNumber: string | null
  threeLegged: boolean
  types: string[]
  sink: string
  status: string
  eventsSent: number
  maxEvents: number | null
  startsAt: string
  expiresAt: string | null
  endedAt: string | null
  terminationReason: string | null
}

interface Delivery {
  id: string
  subscriptionId: string
  type: string
  status: string
  attempts: number
  lastError: string | null
  createdAt: string
  deliveredAt: string | null
  nextAttemptAt: string | null
  history: {
    attempt: number
    at: string
    statusCode: number | null
    error: string | null
    durationMs: number
  }[]
}

const API_NAMES = [
  'device-roaming-status-subscriptions',
  'device-reachability-status-subscriptions',
  'connected-network-type-subscriptions',
  'sim-swap-subscriptions',
  'device-status',
]
const STATUS_TONE: Record<string, 'good' | 'bad' | 'warn' | 'muted' | 'info'> = {
  ACTIVE: 'good',
  INACTIVE: 'warn',
  EXPIRED: 'muted',
  DELETED: 'muted',
  delivered: 'good',
  failed: 'bad',
  pending: 'info',
  queued: 'info',
  cancelled: 'muted',
}

const idFromHash = () =>
  new URLSearchParams(location.hash.split('?')[1] ?? '').get('id') ?? undefined

export function Subscriptions() {
  const [clientId, setClientId] = useState('')
  const [api, setApi] = useState('')
  const [phone, setPhone] = useState('')
  const [status, setStatus] = useState('')
  const [selected, setSelected] = useState<string | undefined>(idFromHash())
  const apps = usePoll(() => get<{ clientId: string; name: string }[]>('/admin/v1/apps'), 10_000)
  const list = usePoll(
    () =>
      get<Subscription[]>(
        '/admin/v1/subscriptions' + q({ clientId, api, phoneNumber: phone.trim(), status }),
      ),
    2000,
    [clientId, api, phone, status],
  )
  const subs = list.value ?? []
  const current = subs.find((s) => s.id === selected)
  return (
    <section aria-labelledby="subs-title">
      <h1 id="subs-title">Subscriptions and deliveries</h1>
      <p class="lead">
        Every app's event subscriptions; open one to see each notification and every delivery
        attempt.
      </p>
      <div class="toolbar">
        <div class="field inline">
          <label for="subs-app">App</label>
          <select
            id="subs-app"
            value={clientId}
            onChange={(e) => setClientId(e.currentTarget.value)}
          >
            <option value="">Any app</option>
            {(apps.value ?? []).map((a) => (
              <option key={a.clientId} value={a.clientId}>
                {a.name} ({a.clientId})
              </option>
            ))}
          </select>
        </div>
        <div class="field inline">
          <label for="subs-api">API</label>
          <select id="subs-api" value={api} onChange={(e) => setApi(e.currentTarget.value)}>
            <option value="">Any API</option>
            {API_NAMES.map((a) => (
              <option key={a}>{a}</option>
            ))}
          </select>
        </div>
        <div class="field inline">
          <label for="subs-device">Device</label>
          <input
            id="subs-device"
            type="search"
            placeholder="+346…"
            value={phone}
            onInput={(e) => setPhone(e.currentTarget.value)}
          />
        </div>
        <div class="field inline">
          <label for="subs-status">Status</label>
          <select
            id="subs-status"
            value={status}
            onChange={(e) => setStatus(e.currentTarget.value)}
          >
            <option value="">Any status</option>
            {['ACTIVE', 'INACTIVE', 'EXPIRED', 'DELETED'].map((s) => (
              <option key={s}>{s}</option>
            ))}
          </select>
        </div>
      </div>
      {list.error !== '' && (
        <p role="alert" class="error">
          {list.error}
        </p>
      )}
      {subs.length === 0 ? (
        <p class="muted">
          No subscription matches. Apps create them through the subscription APIs (try one in Try
          it).
        </p>
      ) : (
        <div class="table-wrap">
          <table>
            <caption class="sr-only">Subscriptions</caption>
            <thead>
              <tr>
                <th scope="col">Subscription</th>
                <th scope="col">API</th>
                <th scope="col">App</th>
                <th scope="col">Device</th>
                <th scope="col">Events</th>
                <th scope="col">Sink</th>
                <th scope="col">Status</th>
                <th scope="col">
                  <span class="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {subs.map((s) => (
                <tr key={s.id} class={s.id === selected ? 'selected' : ''}>
                  <th scope="row">
                    <code>{shortId(s.id)}</code>
                  </th>
                  <td>{s.api}</td>
                  <td>{s.clientId}</td>
                  <td>{s.phoneNumber ?? '—'}</td>
                  <td>{s.types.map(shortType).join(', ')}</td>
                  <td class="wrap">{s.sink}</td>
                  <td>
                    <Badge tone={STATUS_TONE[s.status] ?? 'muted'}>{s.status}</Badge>
                  </td>
                  <td>
                    <button
                      type="button"
                      class="small"
                      aria-label={`Deliveries of ${shortId(s.id)}`}
                      aria-pressed={s.id === selected}
                      onClick={() => setSelected(s.id === selected ? undefined : s.id)}
                    >
                      Deliveries
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {current !== undefined && (
        <Deliveries
          key={current.id}
          subscription={current}
          onClose={() => {
            setSelected(undefined)
            setTimeout(
              () =>
                document
                  .querySelector<HTMLElement>(
                    `button[aria-label="${CSS.escape(`Deliveries of ${shortId(current.id)}`)}"]`,
                  )
                  ?.focus(),
              0,
            )
          }}
        />
      )}
    </section>
  )
}

function Deliveries(props: { subscription: Subscription; onClose: () => void }) {
  const s = props.subscription
  const heading = useFocusOnMount<HTMLHeadingElement>()
  const list = usePoll(
    () => get<Delivery[]>('/admin/v1/deliveries' + q({ subscriptionId: s.id, limit: '200' })),
    1000,
  )
  const action = useAction()
  return (
    <section class="panel" aria-labelledby="deliveries-title" onKeyDown={onEscape(props.onClose)}>
      <div class="page-head">
        <h2 id="deliveries-title" ref={heading} tabIndex={-1}>
          Deliveries of subscription {shortId(s.id)}
        </h2>
        <button type="button" class="secondary small" onClick={props.onClose}>
          Close
        </button>
      </div>
      <p class="muted">
        {s.api} · {s.clientId} · {s.phoneNumber ?? 'no device'} · to <code>{s.sink}</code>
        {s.terminationReason !== null && ` · ended: ${s.terminationReason}`}
      </p>
      {action.view}
      {(list.value ?? []).length === 0 && <p class="muted">No notification yet.</p>}
      <ol class="deliveries" aria-label="Notifications, newest first">
        {(list.value ?? []).map((d) => (
          <li key={d.id} class="delivery">
            <div class="event-head">
              <strong>{shortType(d.type)}</strong>{' '}
              <Badge tone={STATUS_TONE[d.status] ?? 'muted'}>{d.status}</Badge>{' '}
              <span class="muted">
                created {time(d.createdAt)}
                {d.deliveredAt !== null && `, delivered ${time(d.deliveredAt)}`}
                {d.nextAttemptAt !== null && `, next retry ${time(d.nextAttemptAt)}`}
              </span>{' '}
              <button
                type="button"
                class="small secondary"
                disabled={d.status === 'pending' || d.status === 'queued'}
                aria-label={`Deliver again: ${shortType(d.type)}`}
                onClick={() =>
                  void action
                    .run(
                      () => post(`/admin/v1/deliveries/${encodeURIComponent(d.id)}/redeliver`),
                      `${shortType(d.type)} queued for delivery again`,
                    )
                    .then(() => list.refresh())
                    // Disabled while queued, the button loses the focus: it goes to the outcome.
                    .then(() => action.focusOutcome())
                }
              >
                Deliver again
              </button>
            </div>
            {d.history.length > 0 && (
              <table class="attempts">
                <caption class="sr-only">Attempts of {shortType(d.type)}</caption>
                <thead>
                  <tr>
                    <th scope="col">Attempt</th>
                    <th scope="col">Time</th>
                    <th scope="col">Sink answer</th>
                    <th scope="col">Latency</th>
                    <th scope="col">Error</th>
                  </tr>
                </thead>
                <tbody>
                  {d.history.map((a) => (
                    <tr key={a.attempt}>
                      <td>{a.attempt}</td>
                      <td>{time(a.at)}</td>
                      <td>{a.statusCode === null ? 'no answer' : `HTTP ${a.statusCode}`}</td>
                      <td>{a.durationMs} ms</td>
                      <td>{a.error ?? '—'}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </li>
        ))}
      </ol>
    </section>
  )
}
