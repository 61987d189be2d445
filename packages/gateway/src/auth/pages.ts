import { createHash } from 'node:crypto'
import { describePurpose, describeScope } from '../core/wording.js'
/** Escapes text for HTML. */
export function html(text: unknown): string {
  return String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
}

/**
 * The one script of these pages: the sandbox's consent page asks every 2 s whether the request was
 * answered elsewhere (the console, the admin API) and, once it was, reloads itself, which
 * continues the flow with that answer. Without scripts, its "Check again" link does the same.
 */
const WAIT_SCRIPT = `(() => {
  const page = document.getElementById('waiting')
  if (page === null) return
  const check = async () => {
    try {
      const answer = await fetch(page.dataset.status, { cache: 'no-store' })
      if (answer.ok && (await answer.json()).status !== 'pending') return location.replace(page.dataset.page)
    } catch {}
    setTimeout(check, 2000)
  }
  setTimeout(check, 2000)
})()`

/**
 * Headers of every page shown to a person. Never framed: a framing site could steer the
 * subscriber's clicks onto Allow. Never stored: Back would show a step the interaction has
 * already passed, whose form then ends on "interaction session not found". No script runs but
 * the consent page's own (by its hash).
 */
export const PAGE_HEADERS: Readonly<Record<string, string>> = {
  'x-frame-options': 'DENY',
  'content-security-policy': `frame-ancestors 'none'; script-src 'sha256-${createHash('sha256').update(WAIT_SCRIPT).digest('base64')}'`,
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

/**
 * The sandbox's device picker: the tester stands in for the operator network and picks the
 * device a request comes from; each demo device says what it is for.
 */
export function pickerPage(
  uid: string,
  address: string,
  devices: readonly { phoneNumber: string; about: string | undefined }[],
): string {
  const items = devices
    .map(
      (d) =>
        `<li><button name="phoneNumber" value="${html(d.phoneNumber)}" type="submit">${html(d.phoneNumber)}</button>${d.about === undefined ? '' : ` <span class="about">${html(d.about)}</span>`}</li>`,
    )
    .join('')
  return page(
    'Sandbox network authentication',
    `<h1>Which device is making this request?</h1>
<p class="note">Sandbox: your address (${html(address)}) matches no simulated device, so pick the one the operator network would have recognised.</p>
<form method="post" action="/interaction/${html(uid)}/login">
<ul class="devices">${items}</ul>
</form>
<form method="post" action="/interaction/${html(uid)}/abort"><button type="submit">Cancel</button></form>`,
  )
}

/**
 * The consent question: which app, for which purpose, may do what, in words. `answeredElsewhere`
 * (the sandbox): the request also waits in the console, and the page follows an answer given there.
 */
export function consentPage(
  uid: string,
  ask: { appName: string; purpose: string; api: readonly string[] },
  answeredElsewhere = false,
): string {
  const here = `/interaction/${html(uid)}`
  const waiting = answeredElsewhere
    ? `<p class="note" id="waiting" data-status="${here}/status" data-page="${here}">Sandbox: this request also waits on the console's Consent page; an answer given there continues here. <a href="${here}">Check again</a></p>
<script>${WAIT_SCRIPT}</script>`
    : ''
  return page(
    'Consent',
    `<h1>${html(ask.appName)} asks for your consent</h1>
<p>Purpose: <strong>${html(describePurpose(ask.purpose))}</strong> <span class="note">(${html(ask.purpose)})</span></p>
<p>It will be able to:</p>
<ul class="scopes">${ask.api.map((s) => `<li>${html(describeScope(s))} <code>${html(s)}</code></li>`).join('')}</ul>
<form method="post" action="/interaction/${html(uid)}/consent">
<button name="decision" value="approve" type="submit">Allow</button>
<button name="decision" value="deny" type="submit">Deny</button>
</form>
<p class="note">You can withdraw this consent at any time.</p>
${waiting}`,
  )
}
