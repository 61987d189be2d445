import { useState } from 'preact/hooks'
import { del, get, post, q } from '../api.js'
import { Badge, usePoll, useAction } from '../components.js'
import { purposeName, scopeWords, time, useCatalog } from '../catalog.js'

interface Pending {
  /** What approve and deny take: a CIBA request's auth_req_id, an authorization-code request's interaction. */
  id: string
  flow: 'ciba' | 'authorization_code'
  clientId: string
  phoneNumber: string | null
  purpose: string
  scopes: string[]
  status: string
  createdAt: string
  expiresAt: string
}
interface ConsentRow {
  id: string
  clientId: string
  phoneNumber: string | null
  purpose: string
  scopes: string[]
  status: string
  createdAt: string
  updatedAt: string
}

function Asked(props: { purpose: string; scopes: string[] }) {
  const catalog = useCatalog()
  return (
    <div>
      <div>
        <strong>{purposeName(catalog, props.purpose)}</strong>{' '}
        <span class="muted">({props.purpose})</span>
      </div>
      <ul class="asks">
        {props.scopes.map((s) => (
          <li key={s}>{scopeWords(catalog, s)}</li>
        ))}
      </ul>
    </div>
  )
}

export function Consent() {
  const [phone, setPhone] = useState('')
  const apps = usePoll(() => get<{ clientId: string; name: string }[]>('/admin/v1/apps'), 10_000)
  const pending = usePoll(() => get<Pending[]>('/admin/v1/authorizations?status=pending'), 1000)
  const consents = usePoll(
    () => get<ConsentRow[]>('/admin/v1/consents' + q({ phoneNumber: phone.trim() })),
    2000,
    [phone],
  )
  const action = useAction()
  const appName = (id: string) => apps.value?.find((a) => a.clientId === id)?.name ?? id
  const decide = (p: Pending, decision: 'approve' | 'deny') =>
    void action
      .run(
        () => post(`/admin/v1/authorizations/${encodeURIComponent(p.id)}/${decision}`),
        `${decision === 'approve' ? 'Approved' : 'Denied'}: ${appName(p.clientId)} for ${p.phoneNumber ?? '?'}`,
      )
      .then(() => Promise.all([pending.refresh(), consents.refresh()]))
      // The request's buttons are gone with it: the focus goes to what happened.
      .then(() => action.focusOutcome())
  const shownPending = (pending.value ?? []).filter(
    (p) => phone.trim() === '' || (p.phoneNumber ?? '').includes(phone.trim()),
  )
  return (
    <section aria-labelledby="consent-title">
      <h1 id="consent-title">Consent</h1>
      <p class="lead">
        The subscriber's side, in the sandbox: answer what apps ask and withdraw consents given. A
        CIBA request waits here while the app polls; an authorization-code request waits here while
        the subscriber's browser shows the gateway's consent page, which continues the flow with the
        answer given here.
      </p>
      <div class="toolbar">
        <div class="field inline">
          <label for="consent-phone">Subscriber</label>
          <input
            id="consent-phone"
            type="search"
            placeholder="+346…"
            value={phone}
            onInput={(e) => setPhone(e.currentTarget.value)}
          />
        </div>
      </div>
      {action.view}
      <h2>Waiting for the subscriber</h2>
      {shownPending.length === 0 ? (
        <p class="muted">No request is waiting.</p>
      ) : (
        <ul class="cards" aria-label="Requests waiting for the subscriber">
          {shownPending.map((p) => (
            <li key={p.id} class="card">
              <h3>
                {appName(p.clientId)} asks {p.phoneNumber ?? 'a subscriber'}
              </h3>
              <Asked purpose={p.purpose} scopes={p.scopes} />
              <p class="muted">
                {p.flow === 'ciba'
                  ? 'CIBA request (the app polls)'
                  : 'Authorization code (the browser waits on the consent page)'}
                , asked {time(p.createdAt)}, expires {time(p.expiresAt)}
              </p>
              <div class="row">
                <button
                  type="button"
                  onClick={() => decide(p, 'approve')}
                  aria-label={`Approve ${appName(p.clientId)} for ${p.phoneNumber ?? ''}`}
                >
                  Approve
                </button>
                <button
                  type="button"
                  class="danger"
                  onClick={() => decide(p, 'deny')}
                  aria-label={`Deny ${appName(p.clientId)} for ${p.phoneNumber ?? ''}`}
                >
                  Deny
                </button>
              </div>
            </li>
          ))}
        </ul>
      )}
      <h2>Consents</h2>
      {(consents.value ?? []).length === 0 ? (
        <p class="muted">No consent recorded.</p>
      ) : (
        <div class="table-wrap">
          <table>
            <caption class="sr-only">Consents</caption>
            <thead>
              <tr>
                <th scope="col">Subscriber</th>
                <th scope="col">App</th>
                <th scope="col">Asked for</th>
                <th scope="col">Status</th>
                <th scope="col">Since</th>
                <th scope="col">
                  <span class="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {(consents.value ?? []).map((c) => (
                <tr key={c.id}>
                  <th scope="row">{c.phoneNumber ?? '—'}</th>
                  <td>{appName(c.clientId)}</td>
                  <td>
                    <Asked purpose={c.purpose} scopes={c.scopes} />
                  </td>
                  <td>
                    <Badge
                      tone={
                        c.status === 'granted' ? 'good' : c.status === 'denied' ? 'bad' : 'muted'
                      }
                    >
                      {c.status}
                    </Badge>
                  </td>
                  <td>{time(c.updatedAt)}</td>
                  <td>
                    {c.status === 'granted' && (
                      <button
                        type="button"
                        class="small danger"
                        aria-label={`Revoke the consent of ${c.phoneNumber ?? ''} to ${appName(c.clientId)}`}
                        onClick={() =>
                          void action
                            .run(
                              () => del(`/admin/v1/consents/${encodeURIComponent(c.id)}`),
                              'Consent revoked; its tokens stop working',
                            )
                            .then(() => consents.refresh())
                            .then(() => action.focusOutcome())
                        }
                      >
                        Revoke
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  )
}
