/**
 * Issue 14: client credentials must not bypass consent. A two-legged token is issued only for a
 * purpose whose legal basis needs no consent (AUTH-NOTES CC-1, P-4: `invalid_scope` otherwise),
 * and the APIs answer a consent-based purpose only for a subscriber who consented, whichever way
 * the token was made. (CIBA, the authorization code flow, JWT bearer and refresh check consent at
 * issuance: ciba.test.ts, authorization-code.test.ts, jwt-bearer.test.ts.)
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { DEFAULT_LEGAL_BASES, needsConsent } from '../../src/core/purpose.js'
import { assertError } from '../helpers/device-api-suite.js'
import { startTestGateway, type TestGateway } from '../helpers/gateway.js'
import { DEMO, FRAUD, MARKETING, form } from './helpers.js'

const ROAMING = '/device-roaming-status/v1/retrieve'
const ROAMING_SCOPE = 'device-roaming-status:read'
const SUBSCRIPTIONS = '/device-roaming-status-subscriptions/v0.8/subscriptions'
const ROAMING_ON = 'org.camaraproject.device-roaming-status-subscriptions.v0.roaming-on'
const PHONE = '+34600000003'

describe('consent-based purposes (issue 14)', () => {
  let gw: TestGateway
  before(async () => {
    // One purpose moved to consent by configuration: the rule follows the configured table.
    gw = await startTestGateway({
      PURPOSE_LEGAL_BASES: JSON.stringify({ 'dpv:AccountManagement': 'consent' }),
    })
  })
  after(() => gw.close())

  it('client credentials: invalid_scope for every consent-based purpose, a token for every other', async () => {
    const bases = { ...DEFAULT_LEGAL_BASES, 'dpv:AccountManagement': 'consent' as const }
    const wrong: string[] = []
    for (const [purpose, basis] of Object.entries(bases)) {
      const res = await form(
        gw,
        '/oauth2/token',
        { grant_type: 'client_credentials', scope: `${purpose} ${ROAMING_SCOPE}` },
        DEMO,
      )
      const expected = needsConsent(basis) ? 'invalid_scope' : undefined
      const got = res.status === 200 ? undefined : res.body.error
      if (got !== expected || (expected === undefined) !== (res.status === 200))
        wrong.push(`${purpose} (${basis}): ${res.status} ${JSON.stringify(res.body)}`)
      if (expected !== undefined) assert.match(res.body.error_description, /consent/)
    }
    assert.deepEqual(wrong, [])
  })

  it('the vendor form (dpv:Marketing#api) and the purpose parameter are refused alike', async () => {
    for (const params of [
      { scope: `${MARKETING}#device-status-roaming-read` },
      { purpose: `${MARKETING}#device-status-roaming-read` },
    ]) {
      const res = await form(
        gw,
        '/oauth2/token',
        { grant_type: 'client_credentials', ...params },
        DEMO,
      )
      assert.equal(res.status, 400, JSON.stringify(res.body))
      assert.equal(res.body.error, 'invalid_scope')
    }
  })

  it('an API call with a two-legged token of a consent-based purpose is 403, whoever the device', async () => {
    // The sandbox's minting refuses it as the token endpoint does…
    const minted = await gw.admin('POST', '/sandbox/v1/access-tokens', {
      clientId: 'my-app-id',
      scope: `${MARKETING} ${ROAMING_SCOPE}`,
    })
    assertError(minted, 400, 'INVALID_ARGUMENT')
    // …and one signed anyway (issued before this rule, or by hand) is refused where it is used.
    const token = await gw.token2(
      `${MARKETING} ${ROAMING_SCOPE} device-roaming-status-subscriptions:${ROAMING_ON}:create`,
      { clientId: 'my-app-id' },
    )
    const read = await gw.post(ROAMING, { device: { phoneNumber: PHONE } }, token)
    assertError(read, 403, 'PERMISSION_DENIED')
    assert.match(read.body.message, /consent/)
    const subscribe = await gw.post(
      SUBSCRIPTIONS,
      {
        protocol: 'HTTP',
        sink: 'http://127.0.0.1:9/sink',
        types: [ROAMING_ON],
        config: { subscriptionDetail: { device: { phoneNumber: PHONE } } },
      },
      token,
    )
    assertError(subscribe, 403, 'PERMISSION_DENIED')
    // The same call for a purpose that needs no consent is answered.
    const fraud = await gw.token2(`${FRAUD} ${ROAMING_SCOPE}`, { clientId: 'my-app-id' })
    assert.equal((await gw.post(ROAMING, { device: { phoneNumber: PHONE } }, fraud)).status, 200)
  })

  it('a three-legged token of a consent-based purpose is answered only once the subscriber consented', async () => {
    const minted = await gw.admin('POST', '/sandbox/v1/access-tokens', {
      clientId: 'my-app-id',
      scope: `${MARKETING} ${ROAMING_SCOPE}`,
      phoneNumber: PHONE,
    })
    const token = minted.body.access_token as string
    assertError(await gw.post(ROAMING, {}, token), 403, 'PERMISSION_DENIED')

    // The subscriber consents (CIBA, the device approving at once).
    await gw.admin('PATCH', `/network/v1/devices/${PHONE}`, { consentPolicy: 'approve' })
    const started = await form(
      gw,
      '/oauth2/bc-authorize',
      { scope: `openid ${MARKETING} ${ROAMING_SCOPE}`, login_hint: `tel:${PHONE}` },
      DEMO,
    )
    assert.equal(started.status, 200, JSON.stringify(started.body))
    const tokens = await form(
      gw,
      '/oauth2/token',
      { grant_type: 'urn:openid:params:grant-type:ciba', auth_req_id: started.body.auth_req_id },
      DEMO,
    )
    assert.equal(tokens.status, 200, JSON.stringify(tokens.body))
    assert.equal((await gw.post(ROAMING, {}, token)).status, 200)
    assert.equal((await gw.post(ROAMING, {}, tokens.body.access_token)).status, 200)

    // Consent to another API does not stretch to this one.
    const other = await gw.admin('POST', '/sandbox/v1/access-tokens', {
      clientId: 'my-app-id',
      scope: `${MARKETING} device-reachability-status:read`,
      phoneNumber: PHONE,
    })
    assertError(
      await gw.post('/device-reachability-status/v1/retrieve', {}, other.body.access_token),
      403,
      'PERMISSION_DENIED',
    )
  })
})
