/**
 * A minimal user agent for the Authorization Code tests: follows redirects on the gateway,
 * keeps cookies, stops at the app's redirect URI or at an HTML page.
 */
export class UserAgent {
  readonly cookies = new Map<string, string>()
  readonly origin: string
  /** Sent with every request, e.g. a proxy's header enrichment. */
  readonly headers: Record<string, string>
  constructor(origin: string, headers: Record<string, string> = {}) {
    this.origin = origin
    this.headers = headers
  }

  private remember(response: Response): void {
    for (const header of response.headers.getSetCookie()) {
      const [pair = ''] = header.split(';')
      const eq = pair.indexOf('=')
      const name = pair.slice(0, eq)
      const value = pair.slice(eq + 1)
      if (/expires=Thu, 01 Jan 1970/i.test(header) || value === '') this.cookies.delete(name)
      else this.cookies.set(name, value)
    }
  }

  private cookieHeader(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ')
  }

  async request(
    url: string,
    init: { method?: string; form?: Record<string, string> } = {},
  ): Promise<Response> {
    const response = await fetch(new URL(url, this.origin), {
      method: init.method ?? (init.form === undefined ? 'GET' : 'POST'),
      redirect: 'manual',
      headers: {
        ...this.headers,
        cookie: this.cookieHeader(),
        ...(init.form === undefined ? {} : { 'content-type': 'application/x-www-form-urlencoded' }),
      },
      ...(init.form === undefined ? {} : { body: new URLSearchParams(init.form).toString() }),
    })
    this.remember(response)
    return response
  }

  /** Follows redirects from `url` until leaving the gateway (returns that URL) or reaching a page. */
  async follow(
    url: string,
    init: { form?: Record<string, string> } = {},
  ): Promise<{ url: URL } | { page: string; status: number; at: URL }> {
    let next = new URL(url, this.origin)
    let response = await this.request(next.href, init)
    for (let hops = 0; hops < 20; hops++) {
      const location = response.headers.get('location')
      if (response.status < 300 || response.status >= 400 || location === null) {
        return { page: await response.text(), status: response.status, at: next }
      }
      next = new URL(location, next)
      if (next.origin !== this.origin) return { url: next }
      response = await this.request(next.href)
    }
    throw new Error('too many redirects')
  }
}

/** The first form action and button values of a page. */
export function formOf(page: string): {
  action: string
  buttons: { name: string; value: string }[]
} {
  const action = /<form method="post" action="([^"]+)"/.exec(page)?.[1] ?? ''
  const buttons = [...page.matchAll(/<button name="([^"]+)" value="([^"]+)"/g)].map((m) => ({
    name: m[1] ?? '',
    value: m[2] ?? '',
  }))
  return { action: action.replaceAll('&#47;', '/'), buttons }
}
