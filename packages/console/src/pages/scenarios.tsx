import { useState } from 'preact/hooks'
import { get, post } from '../api.js'
import { Badge, usePoll, useAction } from '../components.js'
import { time } from '../catalog.js'

interface Step {
  at: number
  phoneNumber: string
  set?: Record<string, unknown>
  delete?: true
  status: 'pending' | 'applied' | 'failed' | 'cancelled'
  appliedAt?: string
  error?: string
}
interface Run {
  id: string
  name?: string
  status: 'running' | 'completed' | 'cancelled'
  startedAt: string
  steps: Step[]
}

const EXAMPLE = JSON.stringify(
  {
    name: 'trip to France',
    steps: [
      { at: '+1s', phoneNumber: '+34600000003', set: { roaming: { countryCode: 208 } } },
      { at: '+3s', phoneNumber: '+34600000003', set: { networkType: '4G' } },
      { at: '+5s', phoneNumber: '+34600000003', set: { roaming: false } },
    ],
  },
  null,
  2,
)

const TONE = { pending: 'muted', applied: 'good', failed: 'bad', cancelled: 'warn' } as const

export function Scenarios() {
  const [text, setText] = useState(EXAMPLE)
  const [runId, setRunId] = useState<string | undefined>()
  const action = useAction()
  const runs = usePoll(() => get<Run[]>('/network/v1/scenarios'), 500)
  const run = runs.value?.find((r) => r.id === runId)
  const play = async () => {
    let body: unknown
    try {
      body = JSON.parse(text)
    } catch (e) {
      void action.run(
        () => Promise.reject(new Error(`The timeline is not JSON: ${(e as Error).message}`)),
        '',
      )
      return
    }
    await action.run(async () => {
      const started = await post<Run>('/network/v1/scenarios', body)
      setRunId(started.id)
      await runs.refresh()
    }, 'Scenario started')
  }
  const load = async (file: File | undefined) => {
    if (file !== undefined) setText(await file.text())
  }
  return (
    <section aria-labelledby="scenarios-title">
      <h1 id="scenarios-title">Scenarios</h1>
      <p class="lead">
        A timeline of changes to play on the simulated network: <code>at</code> is a delay from the
        start (<code>+500ms</code>, <code>+5s</code>, <code>+2m</code>), each step <code>set</code>s
        facts of its device as a PATCH would, or <code>"delete": true</code>.
      </p>
      <div class="two-col">
        <div>
          <label for="timeline">Timeline (JSON)</label>
          <textarea
            id="timeline"
            rows={16}
            spellcheck={false}
            value={text}
            onInput={(e) => setText(e.currentTarget.value)}
          />
          <div class="row">
            <button type="button" onClick={() => void play()}>
              Play
            </button>
            <button type="button" class="secondary" onClick={() => setText(EXAMPLE)}>
              Load the example
            </button>
            <label class="file">
              Load from a file
              <input
                type="file"
                accept="application/json,.json"
                onChange={(e) => void load(e.currentTarget.files?.[0])}
              />
            </label>
          </div>
          {action.view}
        </div>
        <div>
          <h2>Steps</h2>
          {run === undefined ? (
            <p class="muted">Play a timeline to follow its steps here as they happen.</p>
          ) : (
            <>
              <p>
                {run.name ?? run.id}:{' '}
                <Badge tone={run.status === 'running' ? 'info' : 'good'}>{run.status}</Badge>
              </p>
              <ol class="steps" aria-label="Scenario steps" aria-live="polite">
                {run.steps.map((s, i) => (
                  <li key={i}>
                    <Badge tone={TONE[s.status]}>{s.status}</Badge> +{s.at / 1000}s {s.phoneNumber}{' '}
                    <code>{s.delete === true ? 'delete' : JSON.stringify(s.set)}</code>
                    {s.appliedAt !== undefined && (
                      <span class="muted"> at {time(s.appliedAt)}</span>
                    )}
                    {s.error !== undefined && <span class="error"> {s.error}</span>}
                  </li>
                ))}
              </ol>
            </>
          )}
          <h2>Played since start-up</h2>
          <ul>
            {(runs.value ?? []).map((r) => (
              <li key={r.id}>
                <button type="button" class="link" onClick={() => setRunId(r.id)}>
                  {r.name ?? r.id}
                </button>{' '}
                {r.status}, started {time(r.startedAt)}
              </li>
            ))}
          </ul>
        </div>
      </div>
    </section>
  )
}
