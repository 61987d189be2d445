/** The console's calls to its gateway: same origin, session cookie, CSRF token on changes. */

export interface SessionInfo {
  csrfToken: string
  expiresAt: string
  mode: 'sandbox' | 'production'
  simulator: boolean
}

/** A CAMARA error body, or what a failed request amounted to. */
export class ApiProblem extends Error {
  readonly status: number
  readonly code: string
  constructor(status: number, code: string, message: string) {
    super(message)
    this.name = 'ApiProblem'
    this.status = status
    this.code = code
  }
  /** The field a validation message starts with (`roaming must be …` → `roaming`). */
  get field(): string | undefined {
    if (this.status !== 400) return undefined
    const first = /^"?([A-Za-z]+)/.exec(this.message)?.[1]
    return first
  }
}

let csrfToken = ''
const expiredListeners = new Set<() => void>()

export function setCsrfToken(token: string): void {
  csrfToken = token
}

/**
 * The `fetch` the SDK runs with in "Try it": its requests to the authorization server that carry
 * client credentials (token, backchannel authentication, …) go through the console's relay, as
 * an app's backend would send them; everything else goes out as it is.
 */
export const sdkFetch: typeof fetch = (input, init) => {
  const url = new URL(input instanceof Request ? input.url : String(input), location.href)
  const method = (init?.method ?? (input instanceof Request ? input.method : 'GET')).toUpperCase()
  if (url.origin === location.origin && method === 'POST' && url.pathname.startsWith('/oauth2/')) {
    const headers = new Headers(
      init?.headers ?? (input instanceof Request ? input.headers : undefined),
    )
    headers.set('x-csrf-token', csrfToken)
    return fetch(`/console/api/relay${url.pathname}`, {
      ...init,
      method,
      headers,
      credentials: 'same-origin',
    })
  }
  return fetch(input, init)
}

/** Called when a call finds the session gone (expired, or signed out elsewhere). */
export function onSessionExpired(listener: () => void): () => void {
  expiredListeners.add(listener)
  return () => expiredListeners.delete(listener)
}

export async function api<T = unknown>(
  method: string,
  path: string,
  body?: unknown,
  options: { quiet401?: boolean } = {},
): Promise<T> {
  const headers: Record<string, string> = {}
  if (body !== undefined) headers['content-type'] = 'application/json'
  if (method !== 'GET') headers['x-csrf-token'] = csrfToken
  let response: Response
  try {
    response = await fetch(path, {
      method,
      headers,
      credentials: 'same-origin',
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    })
  } catch {
    throw new ApiProblem(0, 'NETWORK', 'The gateway cannot be reached.')
  }
  const text = await response.text()
  let parsed: unknown
  try {
    parsed = text === '' ? undefined : JSON.parse(text)
  } catch {
    parsed = text
  }
  if (!response.ok) {
    const error = (parsed ?? {}) as { code?: string; message?: string }
    if (response.status === 401 && options.quiet401 !== true) {
      for (const listener of expiredListeners) listener()
    }
    throw new ApiProblem(
      response.status,
      error.code ?? 'HTTP_' + response.status,
      error.message ?? `${method} ${path} answered ${response.status}`,
    )
  }
  return parsed as T
}

export const get = <T>(path: string) => api<T>('GET', path)
export const post = <T>(path: string, body?: unknown) => api<T>('POST', path, body)
export const put = <T>(path: string, body: unknown) => api<T>('PUT', path, body)
export const patch = <T>(path: string, body: unknown) => api<T>('PATCH', path, body)
export const del = <T>(path: string) => api<T>('DELETE', path)

export const q = (params: Record<string, string | undefined>) => {
  const search = new URLSearchParams()
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') search.set(k, v)
  const text = search.toString()
  return text === '' ? '' : '?' + text
}
