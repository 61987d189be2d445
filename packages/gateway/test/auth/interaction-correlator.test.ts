/**
 * Issue 14: an invalid `x-correlator` on the interaction pages (the page itself, the login and
 * consent steps) is a 400 page for the person, as everywhere else a 400, and nothing is logged as
 * a failure (no error line, no stack trace).
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import * as client from 'openid-client'
import { CORRELATOR, startTestGateway, type TestGateway } from '../helpers/gateway.js'
import { logLines } from '../helpers/log-lines.js'
import { UserAgent, formOf } from './browser.js'
import { MARKETING, demoApp } from './helpers.js'

const REDIRECT = 'http://localhost:3000/callback'
const BAD = ['not a correlator', 'x'.repeat(300), '{"json":1}', 'é']

describe('interaction pages with an invalid x-correlator (issue 14)', () => {
  let gw: TestGateway
  const { stream, lines } = logLines()
  before(async () => {
    gw = await startTestGateway({}, { logger: { level: 'debug', stream } })
  })
  after(() => gw.close())

  /** A flow stopped at the page `scope` leads to (the picker, then the consent page). */
  async function start(scope: string) {
    const config = await demoApp(gw)
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: REDIRECT,
      scope,
      code_challenge: await client.calculatePKCECodeChallenge(client.randomPKCECodeVerifier()),
      code_challenge_method: 'S256',
      state: client.randomState(),
    })
    const agent = new UserAgent(gw.url)
    const picker = await agent.follow(url.href)
    assert.ok('page' in picker && picker.status === 200, 'the sandbox device picker')
    return { agent, picker }
  }

  it('the page, the login step and the consent step answer 400 pages; nothing is logged as failed', async () => {
    const { agent, picker } = await start(`openid ${MARKETING} device-roaming-status:read`)
    assert.ok('page' in picker)
    const login = formOf(picker.page).action
    const page = picker.at.pathname
    for (const value of BAD) {
      const bad = new UserAgent(gw.url, { 'x-correlator': value })
      for (const [name, cookie] of agent.cookies) bad.cookies.set(name, cookie)
      for (const res of [
        await bad.request(page),
        await bad.request(login, { form: { phoneNumber: '+34600000004' } }),
        await bad.request(login.replace(/login$/, 'consent'), { form: { decision: 'approve' } }),
      ]) {
        assert.equal(res.status, 400, `${res.url} ${value}`)
        assert.match(res.headers.get('content-type') ?? '', /^text\/html/)
        assert.match(await res.text(), /x-correlator/)
        assert.equal(res.headers.get('x-frame-options'), 'DENY')
      }
    }
    // The flow itself is unharmed: with a valid correlator it goes on to the consent page.
    const good = new UserAgent(gw.url, { 'x-correlator': CORRELATOR })
    for (const [name, cookie] of agent.cookies) good.cookies.set(name, cookie)
    const consent = await good.follow(login, { form: { phoneNumber: '+34600000004' } })
    assert.ok('page' in consent && /asks for your consent/.test(consent.page))

    const failures = lines.filter(
      (l) => Number(l['level']) >= 50 || JSON.stringify(l).includes('"stack"'),
    )
    assert.deepEqual(failures, [])
  })
})
