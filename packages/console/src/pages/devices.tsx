import { useEffect, useMemo, useRef, useState } from 'preact/hooks'
import { del, get, patch, put, type ApiProblem } from '../api.js'
import {
  Badge,
  ConfirmDelete,
  Field,
  focusSoon,
  onEscape,
  useFocusOnMount,
  usePoll,
  useAction,
} from '../components.js'
import { ago, countryChoices, countryName, flag, useCatalog, type Catalog } from '../catalog.js'

export interface Device {
  phoneNumber: string
  roaming: false | { countryCode: number; countryName: string[] }
  connectivity: ('DATA' | 'SMS')[]
  networkType?: string
  simSwappedAt?: string
  simActivatedAt: string | null
  ipv4Address?: { publicAddress: string; privateAddress?: string; publicPort?: number }
  ipv6Address?: string
  networkAccessIdentifier?: string
  notApplicable: string[]
  networkUnavailable: boolean
  consentPolicy: 'approve' | 'deny' | null
}

const FORM_FIELDS = new Set([
  'phoneNumber',
  'roaming',
  'networkType',
  'simActivatedAt',
  'simSwappedAt',
  'ipv4Address',
  'ipv6Address',
  'networkAccessIdentifier',
  'consentPolicy',
])

const path = (phone: string) => `/network/v1/devices/${encodeURIComponent(phone)}`

/** Focuses a device's Manage button once rendered (focus return when its panel closes). */
const focusManage = (phone: string) =>
  setTimeout(
    () =>
      document
        .querySelector<HTMLElement>(`button[aria-label="${CSS.escape(`Manage ${phone}`)}"]`)
        ?.focus(),
    0,
  )

function Roaming(props: { device: Device }) {
  const r = props.device.roaming
  if (r === false) return <span class="muted">at home</span>
  const codes = r.countryName
  return (
    <span>
      {codes.map((c) => (
        <span key={c}>
          <span aria-hidden="true" class="flag">
            {flag(c)}
          </span>{' '}
          {countryName(c)}{' '}
        </span>
      ))}
      {codes.length === 0 && `MCC ${r.countryCode}`}
      <span class="muted"> (MCC {r.countryCode})</span>
    </span>
  )
}

function simText(d: Device): string {
  if (d.simActivatedAt === null) return 'no SIM'
  return d.simSwappedAt === undefined ? 'never changed' : `changed ${ago(d.simSwappedAt)}`
}

export function Devices() {
  const catalog = useCatalog()
  const list = usePoll(() => get<Device[]>('/network/v1/devices'), 3000)
  const [search, setSearch] = useState('')
  const [show, setShow] = useState('all')
  const [selected, setSelected] = useState<string | undefined>()
  const [adding, setAdding] = useState(false)
  const [notice, setNotice] = useState('')
  const addButton = useRef<HTMLButtonElement>(null)
  const noticeRef = useRef<HTMLParagraphElement>(null)
  const devices = list.value ?? []
  const shown = useMemo(() => {
    const needle = search.trim().toLowerCase()
    return devices.filter((d) => {
      if (show === 'roaming' && d.roaming === false) return false
      if (show === 'home' && d.roaming !== false) return false
      if (show === 'unreachable' && d.connectivity.length > 0) return false
      if (show === 'failure' && !d.networkUnavailable) return false
      if (needle === '') return true
      const words = [
        d.phoneNumber,
        d.networkAccessIdentifier ?? '',
        d.ipv4Address?.publicAddress ?? '',
        d.ipv6Address ?? '',
        ...(d.roaming === false ? ['home'] : d.roaming.countryName.map(countryName)),
      ]
      return words.some((w) => w.toLowerCase().includes(needle))
    })
  }, [devices, search, show])
  const current = devices.find((d) => d.phoneNumber === selected)

  return (
    <section aria-labelledby="devices-title">
      <div class="page-head">
        <h1 id="devices-title">Devices</h1>
        <button
          type="button"
          ref={addButton}
          onClick={() => setAdding(!adding)}
          aria-expanded={adding}
        >
          Add a device
        </button>
      </div>
      <p class="lead">
        The simulated network's devices. Every change is a network event that drives notifications.
      </p>
      {adding && (
        <DeviceForm
          onDone={(phone) => {
            setAdding(false)
            setSelected(phone)
            setNotice(`${phone} added`)
            void list.refresh()
          }}
          onCancel={() => {
            setAdding(false)
            focusSoon(addButton)
          }}
        />
      )}
      <div class="toolbar">
        <div class="field inline">
          <label for="device-search">Search devices</label>
          <input
            id="device-search"
            type="search"
            value={search}
            placeholder="number, address, country"
            onInput={(e) => setSearch(e.currentTarget.value)}
          />
        </div>
        <div class="field inline">
          <label for="device-show">Show</label>
          <select id="device-show" value={show} onChange={(e) => setShow(e.currentTarget.value)}>
            <option value="all">All devices</option>
            <option value="roaming">Roaming</option>
            <option value="home">At home</option>
            <option value="unreachable">Not reachable</option>
            <option value="failure">Network failure</option>
          </select>
        </div>
        <span class="muted" aria-live="polite">
          {shown.length} of {devices.length} devices
        </span>
      </div>
      {list.error !== '' && (
        <p role="alert" class="error">
          {list.error}
        </p>
      )}
      {notice !== '' && (
        <p ref={noticeRef} tabIndex={-1} role="status" class="ok">
          {notice}
        </p>
      )}
      <div class="table-wrap">
        <table>
          <caption class="sr-only">Simulated devices</caption>
          <thead>
            <tr>
              <th scope="col">Phone number</th>
              <th scope="col">Roaming</th>
              <th scope="col">Reachable for</th>
              <th scope="col">Network type</th>
              <th scope="col">SIM</th>
              <th scope="col">Not applicable to</th>
              <th scope="col">Network</th>
              <th scope="col">
                <span class="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {shown.map((d) => (
              <tr key={d.phoneNumber} class={d.phoneNumber === selected ? 'selected' : ''}>
                <th scope="row">{d.phoneNumber}</th>
                <td>
                  <Roaming device={d} />
                </td>
                <td>
                  {d.connectivity.length === 0 ? (
                    <Badge tone="bad">not reachable</Badge>
                  ) : (
                    d.connectivity.map((c) => (
                      <Badge key={c} tone="good">
                        {c}
                      </Badge>
                    ))
                  )}
                </td>
                <td>{d.networkType ?? <span class="muted">none</span>}</td>
                <td>{simText(d)}</td>
                <td>
                  {d.notApplicable.length === 0 ? (
                    <span class="muted">—</span>
                  ) : (
                    d.notApplicable.join(', ')
                  )}
                </td>
                <td>
                  {d.networkUnavailable ? (
                    <Badge tone="bad">network failure</Badge>
                  ) : (
                    <Badge tone="muted">ok</Badge>
                  )}
                </td>
                <td>
                  <button
                    type="button"
                    class="small"
                    aria-label={`Manage ${d.phoneNumber}`}
                    aria-pressed={d.phoneNumber === selected}
                    onClick={() =>
                      setSelected(d.phoneNumber === selected ? undefined : d.phoneNumber)
                    }
                  >
                    Manage
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {current !== undefined && (
        <DevicePanel
          key={current.phoneNumber}
          device={current}
          catalog={catalog}
          onChanged={() => void list.refresh()}
          onClose={() => {
            setSelected(undefined)
            focusManage(current.phoneNumber)
          }}
          onDeleted={() => {
            setNotice(`${current.phoneNumber} deleted`)
            setSelected(undefined)
            void list.refresh()
            focusSoon(noticeRef)
          }}
        />
      )}
    </section>
  )
}

function DevicePanel(props: {
  device: Device
  catalog: Catalog
  onChanged: () => void
  onClose: () => void
  onDeleted: () => void
}) {
  const { device, catalog } = props
  const action = useAction()
  const countries = useMemo(() => countryChoices(catalog), [catalog])
  const [country, setCountry] = useState('208:FR')
  const [networkType, setNetworkType] = useState(device.networkType ?? '5G')
  const [editing, setEditing] = useState(false)
  const [confirmDelete, setConfirmDelete] = useState(false)
  const heading = useFocusOnMount<HTMLHeadingElement>()
  const editButton = useRef<HTMLButtonElement>(null)
  const deleteButton = useRef<HTMLButtonElement>(null)
  const change = async (body: Record<string, unknown>, done: string) => {
    if (await action.run(() => patch(path(device.phoneNumber), body), done)) props.onChanged()
  }
  const has = (c: 'DATA' | 'SMS') => device.connectivity.includes(c)
  const toggle = (c: 'DATA' | 'SMS') =>
    change(
      {
        connectivity: has(c)
          ? device.connectivity.filter((x) => x !== c)
          : [...device.connectivity, c],
      },
      `${c} turned ${has(c) ? 'off' : 'on'} for ${device.phoneNumber}`,
    )
  const mcc = Number(country.split(':')[0])
  const code = country.split(':')[1] ?? ''
  return (
    <section class="panel" aria-labelledby="device-panel-title" onKeyDown={onEscape(props.onClose)}>
      <div class="page-head">
        <h2 id="device-panel-title" ref={heading} tabIndex={-1}>
          Device {device.phoneNumber}
        </h2>
        <button type="button" class="secondary small" onClick={props.onClose}>
          Close
        </button>
      </div>
      <div class="actions-grid">
        <div class="action-group">
          <h3>Travel</h3>
          <div class="field">
            <label for="travel-country">Travel to…</label>
            <select
              id="travel-country"
              value={country}
              onChange={(e) => setCountry(e.currentTarget.value)}
            >
              {countries.map((c) => (
                <option key={`${c.mcc}:${c.code}`} value={`${c.mcc}:${c.code}`}>
                  {c.name} (MCC {c.mcc})
                </option>
              ))}
            </select>
          </div>
          <div class="row">
            <button
              type="button"
              onClick={() =>
                void change(
                  { roaming: { countryCode: mcc } },
                  `${device.phoneNumber} is roaming in ${countryName(code)}`,
                )
              }
            >
              Travel
            </button>
            <button
              type="button"
              class="secondary"
              disabled={device.roaming === false}
              onClick={() => void change({ roaming: false }, `${device.phoneNumber} is at home`)}
            >
              Come home
            </button>
          </div>
        </div>
        <div class="action-group">
          <h3>Reachability</h3>
          <div class="row">
            <button
              type="button"
              class="secondary"
              aria-pressed={has('DATA')}
              onClick={() => void toggle('DATA')}
            >
              DATA {has('DATA') ? 'on' : 'off'}
            </button>
            <button
              type="button"
              class="secondary"
              aria-pressed={has('SMS')}
              onClick={() => void toggle('SMS')}
            >
              SMS {has('SMS') ? 'on' : 'off'}
            </button>
          </div>
          <div class="field">
            <label for="set-network-type">Network type</label>
            <select
              id="set-network-type"
              value={networkType}
              onChange={(e) => setNetworkType(e.currentTarget.value)}
            >
              {catalog.networkTypes.map((t) => (
                <option key={t}>{t}</option>
              ))}
              <option value="">none (not on a mobile network)</option>
            </select>
          </div>
          <button
            type="button"
            class="secondary"
            onClick={() =>
              void change(
                { networkType: networkType === '' ? null : networkType },
                `${device.phoneNumber} is on ${networkType === '' ? 'no mobile network' : networkType}`,
              )
            }
          >
            Set network type
          </button>
        </div>
        <div class="action-group">
          <h3>SIM and network</h3>
          <button
            type="button"
            class="secondary"
            onClick={() =>
              void change(
                { simSwappedAt: new Date().toISOString() },
                `The SIM of ${device.phoneNumber} was swapped`,
              )
            }
          >
            Swap SIM now
          </button>
          <button
            type="button"
            class="secondary"
            aria-pressed={device.networkUnavailable}
            onClick={() =>
              void change(
                { networkUnavailable: !device.networkUnavailable },
                `Network failure ${device.networkUnavailable ? 'off' : 'on'} for ${device.phoneNumber}`,
              )
            }
          >
            Network failure {device.networkUnavailable ? 'on' : 'off'}
          </button>
        </div>
        <div class="action-group">
          <h3>Device</h3>
          <button
            type="button"
            class="secondary"
            ref={editButton}
            aria-expanded={editing}
            onClick={() => setEditing(!editing)}
          >
            Edit
          </button>
          {!confirmDelete ? (
            <button
              type="button"
              class="danger"
              ref={deleteButton}
              onClick={() => setConfirmDelete(true)}
            >
              Delete
            </button>
          ) : (
            <ConfirmDelete
              what={device.phoneNumber}
              onConfirm={() =>
                void action
                  .run(() => del(path(device.phoneNumber)), `${device.phoneNumber} deleted`)
                  .then((ok) => ok && props.onDeleted())
              }
              onKeep={() => {
                setConfirmDelete(false)
                focusSoon(deleteButton)
              }}
            />
          )}
        </div>
      </div>
      {action.view}
      {editing && (
        <DeviceForm
          device={device}
          onDone={() => {
            setEditing(false)
            props.onChanged()
            focusSoon(editButton)
          }}
          onCancel={() => {
            setEditing(false)
            focusSoon(editButton)
          }}
        />
      )}
    </section>
  )
}

/** Create (PUT a new number) or edit (PUT the whole state) a device. */
function DeviceForm(props: {
  device?: Device
  onDone: (phone: string) => void
  onCancel: () => void
}) {
  const catalog = useCatalog()
  const d = props.device
  const action = useAction()
  const [phone, setPhone] = useState(d?.phoneNumber ?? '+34')
  const [roaming, setRoaming] = useState(
    d === undefined || d.roaming === false ? '' : String(d.roaming.countryCode),
  )
  const [connectivity, setConnectivity] = useState<string[]>(d?.connectivity ?? ['DATA', 'SMS'])
  const [networkType, setNetworkType] = useState(d?.networkType ?? '4G')
  const [simActivatedAt, setSimActivatedAt] = useState(
    d === undefined ? '2025-01-01T00:00:00Z' : (d.simActivatedAt ?? ''),
  )
  const [simSwappedAt, setSimSwappedAt] = useState(d?.simSwappedAt ?? '')
  const [publicAddress, setPublicAddress] = useState(d?.ipv4Address?.publicAddress ?? '')
  const [privateAddress, setPrivateAddress] = useState(d?.ipv4Address?.privateAddress ?? '')
  const [publicPort, setPublicPort] = useState(d?.ipv4Address?.publicPort?.toString() ?? '')
  const [ipv6, setIpv6] = useState(d?.ipv6Address ?? '')
  const [nai, setNai] = useState(d?.networkAccessIdentifier ?? '')
  const [notApplicable, setNotApplicable] = useState<string[]>(d?.notApplicable ?? [])
  const [failure, setFailure] = useState(d?.networkUnavailable ?? false)
  const [policy, setPolicy] = useState(d?.consentPolicy ?? '')
  const countries = useMemo(() => countryChoices(catalog), [catalog])
  const p: ApiProblem | undefined = action.problem
  const prefix = d === undefined ? 'new' : 'edit'
  // The first field a person changes: the number of a new device, where an existing one roams.
  const phoneField = useRef<HTMLInputElement>(null)
  const roamingField = useRef<HTMLSelectElement>(null)
  useEffect(() => {
    ;(d === undefined ? phoneField : roamingField).current?.focus()
  }, [])

  const submit = async (event: Event) => {
    event.preventDefault()
    const body: Record<string, unknown> = {
      roaming: roaming === '' ? false : { countryCode: Number(roaming) },
      connectivity,
      networkType: networkType === '' ? null : networkType,
      simActivatedAt: simActivatedAt === '' ? null : simActivatedAt,
      notApplicable,
      networkUnavailable: failure,
      consentPolicy: policy === '' ? null : policy,
    }
    if (simSwappedAt !== '') body['simSwappedAt'] = simSwappedAt
    if (publicAddress !== '')
      body['ipv4Address'] = {
        publicAddress,
        ...(privateAddress === '' ? {} : { privateAddress }),
        ...(publicPort === '' ? {} : { publicPort: Number(publicPort) }),
      }
    if (ipv6 !== '') body['ipv6Address'] = ipv6
    if (nai !== '') body['networkAccessIdentifier'] = nai
    const ok = await action.run(
      () => put(path(phone), body),
      d === undefined ? `${phone} added` : `${phone} saved`,
    )
    if (ok) props.onDone(phone)
  }
  const check = (list: string[], set: (v: string[]) => void, value: string, on: boolean) =>
    set(on ? [...list, value] : list.filter((x) => x !== value))
  return (
    <form
      class="panel form"
      onSubmit={(e) => void submit(e)}
      onKeyDown={onEscape(props.onCancel)}
      aria-labelledby={`${prefix}-form-title`}
    >
      <h2 id={`${prefix}-form-title`}>
        {d === undefined ? 'Add a device' : `Edit ${d.phoneNumber}`}
      </h2>
      <div class="form-grid">
        <Field
          id={`${prefix}-phone`}
          name="phoneNumber"
          label="Phone number"
          problem={p}
          help="E.164, e.g. +34600000042"
        >
          <input
            id={`${prefix}-phone`}
            ref={phoneField}
            value={phone}
            readOnly={d !== undefined}
            onInput={(e) => setPhone(e.currentTarget.value)}
            required
          />
        </Field>
        <Field id={`${prefix}-roaming`} name="roaming" label="Roaming in" problem={p}>
          <select
            id={`${prefix}-roaming`}
            ref={roamingField}
            value={roaming}
            onChange={(e) => setRoaming(e.currentTarget.value)}
          >
            <option value="">At home (not roaming)</option>
            {countries.map((c) => (
              <option key={`${c.mcc}:${c.code}`} value={String(c.mcc)}>
                {c.name} (MCC {c.mcc})
              </option>
            ))}
          </select>
        </Field>
        <fieldset class="field">
          <legend>Reachable for</legend>
          {catalog.connectivityTypes.map((c) => (
            <label key={c} class="check">
              <input
                type="checkbox"
                checked={connectivity.includes(c)}
                onChange={(e) => check(connectivity, setConnectivity, c, e.currentTarget.checked)}
              />{' '}
              {c}
            </label>
          ))}
        </fieldset>
        <Field id={`${prefix}-network-type`} name="networkType" label="Network type" problem={p}>
          <select
            id={`${prefix}-network-type`}
            value={networkType}
            onChange={(e) => setNetworkType(e.currentTarget.value)}
          >
            {catalog.networkTypes.map((t) => (
              <option key={t}>{t}</option>
            ))}
            <option value="">none</option>
          </select>
        </Field>
        <Field
          id={`${prefix}-sim-activated`}
          name="simActivatedAt"
          label="SIM activated at"
          problem={p}
          help="ISO date-time; empty: no SIM"
        >
          <input
            id={`${prefix}-sim-activated`}
            value={simActivatedAt}
            onInput={(e) => setSimActivatedAt(e.currentTarget.value)}
          />
        </Field>
        <Field
          id={`${prefix}-sim-swapped`}
          name="simSwappedAt"
          label="SIM swapped at"
          problem={p}
          help="ISO date-time; empty: never"
        >
          <input
            id={`${prefix}-sim-swapped`}
            value={simSwappedAt}
            onInput={(e) => setSimSwappedAt(e.currentTarget.value)}
          />
        </Field>
        <Field id={`${prefix}-ipv4`} name="ipv4Address" label="Public IPv4 address" problem={p}>
          <input
            id={`${prefix}-ipv4`}
            value={publicAddress}
            onInput={(e) => setPublicAddress(e.currentTarget.value)}
          />
        </Field>
        <Field
          id={`${prefix}-ipv4-private`}
          name="ipv4Address.privateAddress"
          label="Private IPv4 address"
          problem={p}
        >
          <input
            id={`${prefix}-ipv4-private`}
            value={privateAddress}
            onInput={(e) => setPrivateAddress(e.currentTarget.value)}
          />
        </Field>
        <Field
          id={`${prefix}-ipv4-port`}
          name="ipv4Address.publicPort"
          label="Public port"
          problem={p}
        >
          <input
            id={`${prefix}-ipv4-port`}
            inputMode="numeric"
            value={publicPort}
            onInput={(e) => setPublicPort(e.currentTarget.value)}
          />
        </Field>
        <Field id={`${prefix}-ipv6`} name="ipv6Address" label="IPv6 address" problem={p}>
          <input
            id={`${prefix}-ipv6`}
            value={ipv6}
            onInput={(e) => setIpv6(e.currentTarget.value)}
          />
        </Field>
        <Field
          id={`${prefix}-nai`}
          name="networkAccessIdentifier"
          label="Network access identifier"
          problem={p}
        >
          <input id={`${prefix}-nai`} value={nai} onInput={(e) => setNai(e.currentTarget.value)} />
        </Field>
        <fieldset class="field">
          <legend>Not applicable to</legend>
          {catalog.deviceApis.map((a) => (
            <label key={a} class="check">
              <input
                type="checkbox"
                checked={notApplicable.includes(a)}
                onChange={(e) => check(notApplicable, setNotApplicable, a, e.currentTarget.checked)}
              />{' '}
              {a}
            </label>
          ))}
        </fieldset>
        <div class="field">
          <label class="check">
            <input
              type="checkbox"
              checked={failure}
              onChange={(e) => setFailure(e.currentTarget.checked)}
            />{' '}
            Network failure (reading the network fails: 503)
          </label>
        </div>
        <Field
          id={`${prefix}-policy`}
          name="consentPolicy"
          label="Subscriber answers consent requests"
          problem={p}
        >
          <select
            id={`${prefix}-policy`}
            value={policy}
            onChange={(e) => setPolicy(e.currentTarget.value)}
          >
            <option value="">Ask and wait (decide in Consent)</option>
            <option value="approve">Always approve</option>
            <option value="deny">Always deny</option>
          </select>
        </Field>
      </div>
      {p?.field !== undefined && FORM_FIELDS.has(p.field) ? (
        <p class="error">The gateway refused the device: see the message next to the field.</p>
      ) : (
        action.view
      )}
      <div class="row">
        <button type="submit">{d === undefined ? 'Add device' : 'Save device'}</button>
        <button type="button" class="secondary" onClick={props.onCancel}>
          Cancel
        </button>
      </div>
    </form>
  )
}
