import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { sharedRateLimiter } from '../../src/http/rate-limit.js'
import { startTestGateway, type TestGateway } from '../helpers/gateway.js'

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

describe('shared rate limit (several instances on one store)', () => {
  let gw: TestGateway
  before(async () => {
    gw = await startTestGateway()
  })
  after(() => gw.close())

  it('the store adds each batch of requests to the window and answers the total', async () => {
    const key = `batch-${Date.now()}`
    assert.equal(await gw.store.rateLimits.hit(key, 1000, 5), 5)
    assert.equal(await gw.store.rateLimits.hit(key, 1000, 3), 8)
    assert.equal(await gw.store.rateLimits.hit(key, 1000), 9)
    assert.equal(await gw.store.rateLimits.hit(key, 1001, 2), 2, 'a new second starts at zero')
  })

  it('two instances admit the rate between them in one second, then both refuse', async () => {
    const key = `app-${Date.now()}`
    const at = Date.now() // the limiters see this one second for the whole test
    const options = { clock: () => new Date(at), syncMs: 5 }
    const a = sharedRateLimiter(gw.store, 10, options)
    const b = sharedRateLimiter(gw.store, 10, options)
    for (let i = 0; i < 6; i++) assert.equal(a.take(key), 0, `a: request ${i + 1}`)
    for (let i = 0; i < 4; i++) assert.equal(b.take(key), 0, `b: request ${i + 1}`)
    await sleep(1000) // both instances write their counts (every 5 ms while they have some; a loaded machine may take longer)
    // An instance learns the others' counts when it next writes its own: past the limit it may
    // admit one more request per sync interval, and then refuses.
    const admittedUntilRefused = async (limiter: typeof a) => {
      for (let admitted = 0; admitted < 20; admitted++) {
        if (limiter.take(key) !== 0) return admitted
        await sleep(20)
      }
      return 20
    }
    assert.ok((await admittedUntilRefused(a)) <= 1, 'a stops at the shared limit')
    assert.ok((await admittedUntilRefused(b)) <= 1, 'b stops at the shared limit')
    assert.equal(a.take(key), 1)
    assert.equal(b.take(key), 1)
    // Another app has its own window.
    assert.equal(a.take(`${key}-other`), 0)
  })
})
