/** Escapes text for HTML. */
export function html(text: unknown): string {
  return String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
}

/**
 * Headers of every page shown to a person. Never framed: a framing site could steer the
 * subscriber's clicks onto Allow. Never stored: Back would show a step the interaction has
 * already passed, whose form then ends on "interaction session not found".
 */
export const PAGE_HEADERS: Readonly<Record<string, string>> = {
  'x-frame-options': 'DENY',
  'content-security-policy': "frame-ancestors 'none'",
  'cache-control': 'no-store',
}

/** The frame of the few pages the authorization server shows a person. */
export function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${html(title)}</title>
<style>
body{font-family:system-ui,sans-serif;max-width:34rem;margin:3rem auto;padding:0 1rem;color:#1d2330}
h1{font-size:1.4rem} .note{color:#5a6270;font-size:.9rem} button{font-size:1rem;padding:.5rem 1.2rem;margin:.3rem .3rem 0 0;cursor:pointer}
ul.devices{list-style:none;padding:0} ul.devices li{margin:.4rem 0} .scopes code{background:#eef1f5;padding:.1rem .3rem;border-radius:3px;font-size:.8rem;color:#5a6270}
</style>
</head>
<body>
${body}
</body>
</html>`
}

/**
 * The page of an OAuth error shown to a person (authorization endpoint, interactions): the error
 * code and its description, never a redirect. One page for the provider and for our routes.
 */
export function errorPage(error: string, description: string | undefined): string {
  return page('Authorization error', `<h1>${html(error)}</h1><p>${html(description ?? '')}</p>`)
}

/** A request parameter as text: strings pass, anything else (absent, arrays, objects) is ''. */
export function textOf(value: unknown): string {
  return typeof value === 'string' ? value : ''
}
