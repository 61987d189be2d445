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

/**
 * A ref whose element takes the focus when it mounts: the heading of a panel that opened, the
 * first field of a form, the confirming button of a two-step delete. Keyboard users land where
 * the new content is instead of behind it.
 */
export function useFocusOnMount<T extends HTMLElement>() {
  const ref = useRef<T>(null)
  useEffect(() => {
    ref.current?.focus()
  }, [])
  return ref
}

/** Focuses what `ref` holds once the pending render is done (focus return to an opener). */
export function focusSoon(ref: { current: HTMLElement | null }): void {
  setTimeout(() => ref.current?.focus(), 0)
}

/** Runs an action, reporting its outcome in words. */
export function useAction() {
  const [message, setMessage] = useState<{ text: string; error: boolean } | undefined>()
  const [problem, setProblem] = useState<ApiProblem | undefined>()
  const statusRef = useRef<HTMLParagraphElement>(null)
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
  // Focusable (not in the tab order) so that focus can go to the outcome when the control that
  // was used is gone (an approved request, a revoked consent, a deleted device).
  const view =
    message === undefined ? null : (
      <p
        ref={statusRef}
        tabIndex={-1}
        role={message.error ? 'alert' : 'status'}
        class={message.error ? 'error' : 'ok'}
      >
        {message.text}
      </p>
    )
  return {
    run,
    view,
    problem,
    clear: () => setMessage(undefined),
    /** Moves the focus to the outcome's message, once rendered. */
    focusOutcome: () => focusSoon(statusRef),
  }
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

/** Escape closes what a keyboard user opened (a form, a panel); the opener gets the focus back. */
export const onEscape = (close: () => void) => (event: KeyboardEvent) => {
  if (event.key !== 'Escape') return
  event.preventDefault()
  event.stopPropagation()
  close()
}

/** The second step of a delete: the confirming button takes the focus; Escape keeps the thing. */
export function ConfirmDelete(props: {
  what: string
  onConfirm: () => void
  onKeep: () => void
  small?: boolean
}) {
  const confirm = useFocusOnMount<HTMLButtonElement>()
  const size = props.small === true ? ' small' : ''
  return (
    <span class="row" onKeyDown={onEscape(props.onKeep)}>
      <button type="button" class={`danger${size}`} ref={confirm} onClick={props.onConfirm}>
        Delete {props.what} for good
      </button>
      <button type="button" class={`secondary${size}`} onClick={props.onKeep}>
        Keep it
      </button>
    </span>
  )
}
