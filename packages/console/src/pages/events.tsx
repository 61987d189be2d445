import { useEffect, useMemo, useRef, useState } from 'preact/hooks'
import { Badge } from '../components.js'
import { mccName, shortId, shortType, time, useCatalog, type Catalog } from '../catalog.js'

interface NetworkFacts {
  roamingCountryCode?: number | null
  connectivity?: string[]
  networkType?: string | null
  simSwappedAt?: string | null
  notApplicable?: string[]
  networkUnavailable?: boolean
}

export interface StreamedEvent {
  seq: number
  id: string
  phoneNumber: string
  type: string
  before: NetworkFacts | null
  after: NetworkFacts | null
  occurredAt: string
  cloudEvents: { id: string; type: string; subscriptionId: string; status: string }[]
}

/** What changed, in words: "roaming: at home → France". */
function describe(catalog: Catalog, e: StreamedEvent): string {
  const b = e.before ?? {}
  const a = e.after ?? {}
  const where = (mcc: number | null | undefined) =>
    mcc === null || mcc === undefined ? 'at home' : mccName(catalog, mcc)
  const list = (l: string[] | undefined) =>
    l === undefined || l.length === 0 ? 'none' : l.join(', ')
  switch (e.type) {
    case 'roaming':
      return `roaming: ${where(b.roamingCountryCode)} → ${where(a.roamingCountryCode)}`
    case 'connectivity':
      return `reachable for: ${list(b.connectivity)} → ${list(a.connectivity)}`
    case 'network-type':
      return `network type: ${b.networkType ?? 'none'} → ${a.networkType ?? 'none'}`
    case 'sim-swap':
      return `SIM swapped at ${time(a.simSwappedAt ?? null)}`
    case 'applicability':
      return `not applicable to: ${list(b.notApplicable)} → ${list(a.notApplicable)}`
    case 'device-added':
      return 'device added to the network'
    case 'device-removed':
      return 'device removed from the network'
    default:
      return e.type
  }
}

const SHOWN = 100

export function Events() {
  const catalog = useCatalog()
  const all = useRef<StreamedEvent[]>([])
  const [version, setVersion] = useState(0)
  const [connected, setConnected] = useState(false)
  const [phone, setPhone] = useState('')
  const [type, setType] = useState('')
  const [withCloudEvents, setWithCloudEvents] = useState(false)

  useEffect(() => {
    const source = new EventSource('/admin/v1/events/stream?backlog=500')
    let pending: StreamedEvent[] = []
    let frame = 0
    // Events arrive in bursts: they are added at most every 150 ms, not one render each.
    const flush = () => {
      frame = 0
      all.current = all.current.concat(pending)
      pending = []
      setVersion((v) => v + 1)
    }
    source.addEventListener('network', (message) => {
      pending.push(JSON.parse((message as MessageEvent<string>).data) as StreamedEvent)
      if (frame === 0) frame = window.setTimeout(flush, 150)
    })
    source.onopen = () => setConnected(true)
    source.onerror = () => setConnected(false)
    return () => {
      source.close()
      clearTimeout(frame)
    }
  }, [])

  const { shown, matching } = useMemo(() => {
    const needle = phone.trim()
    const events = all.current
    const out: StreamedEvent[] = []
    let count = 0
    for (let i = events.length - 1; i >= 0; i--) {
      const e = events[i] as StreamedEvent
      if (needle !== '' && !e.phoneNumber.includes(needle)) continue
      if (type !== '' && e.type !== type) continue
      if (withCloudEvents && e.cloudEvents.length === 0) continue
      count++
      if (out.length < SHOWN) out.push(e)
    }
    return { shown: out, matching: count }
  }, [version, phone, type, withCloudEvents])

  return (
    <section aria-labelledby="events-title">
      <div class="page-head">
        <h1 id="events-title">Live events</h1>
        <span aria-live="polite">
          {connected ? <Badge tone="good">live</Badge> : <Badge tone="warn">connecting…</Badge>}
        </span>
      </div>
      <p class="lead">
        Network events as the store records them (every instance's), each with the CloudEvents it
        produced for subscriptions.
      </p>
      <div class="toolbar">
        <div class="field inline">
          <label for="events-phone">Device</label>
          <input
            id="events-phone"
            type="search"
            placeholder="+346…"
            value={phone}
            onInput={(e) => setPhone(e.currentTarget.value)}
          />
        </div>
        <div class="field inline">
          <label for="events-type">Event type</label>
          <select id="events-type" value={type} onChange={(e) => setType(e.currentTarget.value)}>
            <option value="">Any</option>
            {[
              'roaming',
              'connectivity',
              'network-type',
              'sim-swap',
              'applicability',
              'device-added',
              'device-removed',
            ].map((t) => (
              <option key={t}>{t}</option>
            ))}
          </select>
        </div>
        <label class="check">
          <input
            type="checkbox"
            checked={withCloudEvents}
            onChange={(e) => setWithCloudEvents(e.currentTarget.checked)}
          />{' '}
          Only with CloudEvents
        </label>
        <span class="muted" role="status">
          {matching} matching of {all.current.length} events
          {matching > SHOWN ? `, newest ${SHOWN} shown` : ''}
        </span>
      </div>
      <ol class="events" aria-label="Network events, newest first">
        {shown.map((e) => (
          <li key={e.seq} class="event">
            <div class="event-head">
              <span class="muted">#{e.seq}</span>{' '}
              <time dateTime={e.occurredAt}>{time(e.occurredAt)}</time>{' '}
              <strong>{e.phoneNumber}</strong> <Badge tone="info">{e.type}</Badge>{' '}
              {describe(catalog, e)}
            </div>
            {e.cloudEvents.length > 0 && (
              <ul class="cloud-events" aria-label={`CloudEvents of event ${e.seq}`}>
                {e.cloudEvents.map((c) => (
                  <li key={c.id}>
                    CloudEvent <code>{shortType(c.type)}</code> to subscription{' '}
                    <a href={`#/subscriptions?id=${c.subscriptionId}`}>
                      {shortId(c.subscriptionId)}
                    </a>{' '}
                    <Badge tone="muted">{c.status}</Badge>
                  </li>
                ))}
              </ul>
            )}
          </li>
        ))}
      </ol>
    </section>
  )
}
