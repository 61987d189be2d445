import type { ComponentChildren } from 'preact'
import { useEffect, useRef, useState } from 'preact/hooks'
import { ApiProblem } from './api.js'

/** Polls `load` every `ms` while the page is shown; returns the latest value and a refresh. */
export function usePoll<T>(load: () => Promise<T>, ms: number, deps: unknown[] = []) {
  const [value, setValue] = useState<T | undefined>(undefined)
  const [error, setError] = useState('')
  const latest = useRef(load)
  latest.current = load
  const refresh = async () => {
    try {
      setValue(await latest.current())
      setError('')
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e))
    }
  }
  useEffect(() => {
    void refresh()
    const timer = setInterval(() => void refresh(), ms)
    return () => clearInterval(timer)
  }, deps)
  return { value, error, refresh }
}

/** A polite status line for the outcome of an action. */
export function Status(props: { text: string; error?: boolean }) {
  return (
    <p
      role={props.error === true ? 'alert' : 'status'}
      class={props.error === true ? 'error' : 'ok'}
    >
      {props.text}
    </p>
  )
}

/** Runs an action, reporting its outcome in words. */
export function useAction() {
  const [message, setMessage] = useState<{ text: string; error: boolean } | undefined>()
  const [problem, setProblem] = useState<ApiProblem | undefined>()
  const run = async (action: () => Promise<unknown>, done: string): Promise<boolean> => {
    setProblem(undefined)
    try {
      await action()
      setMessage({ text: done, error: false })
      return true
    } catch (e) {
      const text = e instanceof Error ? e.message : String(e)
      setMessage({ text, error: true })
      if (e instanceof ApiProblem) setProblem(e)
      return false
    }
  }
  const view = message === undefined ? null : <Status text={message.text} error={message.error} />
  return { run, view, problem, clear: () => setMessage(undefined) }
}

/** A labelled field with the API's validation message next to it when it names this field. */
export function Field(props: {
  id: string
  label: string
  name?: string
  problem?: ApiProblem | undefined
  help?: string
  children: ComponentChildren
}) {
  const field = props.name ?? props.id
  const error = props.problem?.field === field ? props.problem.message : undefined
  return (
    <div class={`field${error === undefined ? '' : ' invalid'}`}>
      <label for={props.id}>{props.label}</label>
      {props.children}
      {props.help !== undefined && <span class="help">{props.help}</span>}
      {error !== undefined && (
        <span class="field-error" id={`${props.id}-error`} role="alert">
          {error}
        </span>
      )}
    </div>
  )
}

export function Badge(props: {
  tone: 'good' | 'bad' | 'warn' | 'info' | 'muted'
  children: ComponentChildren
}) {
  return <span class={`badge ${props.tone}`}>{props.children}</span>
}
