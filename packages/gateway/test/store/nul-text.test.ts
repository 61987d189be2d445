/**
 * Issue 14: the store's one gate for text, on the store `TEST_STORE` names (test/postgres.test.ts
 * runs it on PostgreSQL, whose `text` cannot hold U+0000). A NUL in a value looked up matches
 * nothing; in a value written, it is refused with UnstorableTextError before the database sees it;
 * nothing is stored either way; the repositories answer as for an unknown value.
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { UnstorableTextError } from '../../src/store/text-guard.js'
import { startTestGateway, type TestGateway } from '../helpers/gateway.js'

const NUL = 'a\u0000b'

describe('NUL characters at the store (issue 14)', () => {
  let gw: TestGateway
  before(async () => {
    gw = await startTestGateway()
  })
  after(() => gw.close())

  it('a lookup by a value with a NUL finds nothing, in every repository: lookups, lists, updates, deletes', async () => {
    const { store } = gw
    assert.equal(await store.apps.byClientId(NUL), undefined)
    assert.equal(await store.devices.byPhoneNumber(`+346${NUL}`), undefined)
    assert.equal(await store.devices.byId(NUL), undefined)
    assert.equal(await store.subjects.bySub(NUL), undefined)
    assert.equal(await store.oidcModels.find('RefreshToken', NUL), undefined)
    assert.equal(await store.oidcModels.findBy('Interaction', 'uid', NUL), undefined)
    assert.equal(await store.consents.byId(NUL), undefined)
    assert.equal(await store.consents.latest(NUL, NUL, NUL), undefined)
    assert.deepEqual(await store.consents.list({ clientId: NUL }), [])
    assert.deepEqual(await store.oidcModels.grantIds(NUL, NUL), [])
    // An update or a delete by such a value touches nothing.
    assert.equal(await store.apps.delete(NUL), false)
    await store.oidcModels.destroy('Grant', NUL)
    await store.oidcModels.consume('AuthorizationCode', NUL, 1)
  })

  it('a write of a value with a NUL is refused before the database, and nothing is stored', async () => {
    const { store } = gw
    const before = (await store.apps.list()).length
    const now = new Date().toISOString()
    await assert.rejects(
      store.apps.insert({
        client_id: 'nul-app',
        name: NUL,
        settings: '{}',
        secret_hash: null,
        created_at: now,
        updated_at: now,
      }),
      UnstorableTextError,
    )
    await assert.rejects(
      store.oidcModels.claimOnce('JwtBearerAssertion', NUL, Math.floor(Date.now() / 1000) + 60),
      UnstorableTextError,
    )
    // A transaction that meets one rolls back whole.
    await assert.rejects(
      store.transaction(async (trx) => {
        await trx.oidcModels.claimOnce(
          'JwtBearerAssertion',
          'fine',
          Math.floor(Date.now() / 1000) + 60,
        )
        await trx.oidcModels.claimOnce('JwtBearerAssertion', NUL, 0)
      }),
      UnstorableTextError,
    )
    assert.equal(await store.oidcModels.find('JwtBearerAssertion', 'fine'), undefined)
    assert.equal((await store.apps.list()).length, before)
    assert.equal(await store.apps.byClientId('nul-app'), undefined)
  })
})
