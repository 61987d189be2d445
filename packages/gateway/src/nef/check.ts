import type { Clock } from '../core/clock.js'
import { randomToken } from '../core/random-token.js'
import type { Store } from '../store/store.js'
import { LIVE_STATUSES } from '../store/subscriptions.js'
import type { NefWatch } from '../store/nef.js'
import { upstreamOf, type NefClient } from './client.js'
import { RENEWAL_HORIZON_MS, tokenHash, type NefLog, type NefNetwork } from './network.js'

export interface NefCheckDeps {
  network: NefNetwork
  client: NefClient
  store: Store
  clock: Clock
  everyMs: number
  /** A watch whose CAMARA subscription was never stored is withdrawn after this long. */
  graceMs: number
  log: NefLog
}

export interface NefCheck {
  /** One pass over the gateway's NEF subscriptions (tests run it directly). */
  runOnce(): Promise<void>
  stop(): Promise<void>
}

/**
 * Keeps the NEF subscriptions in step with the CAMARA ones (docs/nef.md, "After a restart"), once
 * per `NEF_CHECK_INTERVAL_MS` and at start:
 * - a NEF subscription whose CAMARA subscription ended (expired, reached its maximum, its sink
 *   gone) is deleted at the NEF; one whose CAMARA subscription was never stored, after a grace;
 * - each other one is read back (`GET` of its `self`): a 404 means the NEF lost it (a restart
 *   without persistence, or it ran out of reports): it is created again, under a new callback
 *   token, with an immediate report; that report comes in through the door as the device's new
 *   facts, so a change missed meanwhile becomes one event and an unchanged state none;
 * - one the gateway asked to end at a horizon (a CAMARA subscription without expiry or maximum)
 *   is created anew before the horizon.
 */
export function startNefCheck(deps: NefCheckDeps): NefCheck {
  const now = () => deps.clock().getTime()

  const recreate = async (watch: NefWatch, reason: string) => {
    const token = randomToken(32)
    const subscription = await deps.store.subscriptions.byId(watch.subscriptionId)
    const horizon =
      subscription !== undefined &&
      subscription.expiresAt === null &&
      subscription.maxEvents === null
    const fresh: NefWatch = {
      ...watch,
      tokenHash: tokenHash(token),
      self: null,
      monitorExpireTime: horizon
        ? new Date(now() + RENEWAL_HORIZON_MS).toISOString()
        : watch.monitorExpireTime,
      createdAt: deps.clock().toISOString(),
      checkedAt: deps.clock().toISOString(),
    }
    await deps.store.nef.insertWatch(fresh)
    let report
    try {
      report = await deps.network.createAtNef(fresh, token)
    } catch (error) {
      await deps.store.nef.removeWatch(fresh.tokenHash)
      throw error
    }
    // The old destination stops working: a late notification to it is an unknown token.
    await deps.store.nef.removeWatch(watch.tokenHash)
    if (watch.self !== null && reason === 'renewal')
      await deps.client.remove(watch.self).catch(() => undefined)
    deps.log.info(
      { subscriptionId: watch.subscriptionId, reason, self: fresh.self },
      'NEF subscription created again',
    )
    await deps.network.ingestImmediate(
      fresh.deviceId,
      report === undefined ? [] : [{ watch: fresh, report }],
    )
  }

  const checkOne = async (watch: NefWatch) => {
    const subscription = await deps.store.subscriptions.byId(watch.subscriptionId)
    if (subscription === undefined) {
      if (Date.parse(watch.createdAt) + deps.graceMs < now())
        await deps.network.unwatch(watch.subscriptionId)
      return
    }
    if (!LIVE_STATUSES.includes(subscription.status)) {
      await deps.network.unwatch(watch.subscriptionId)
      return
    }
    if (watch.self === null) return recreate(watch, 'not created')
    const answer = await deps.client.read(watch.self)
    if (answer.status === 404) return recreate(watch, 'lost by the NEF')
    if (answer.status !== 200) {
      deps.log.warn(
        { upstream: upstreamOf(answer, 'GET subscription') },
        'NEF subscription not checked',
      )
      return
    }
    const horizon = subscription.expiresAt === null && subscription.maxEvents === null
    if (
      horizon &&
      watch.monitorExpireTime !== null &&
      Date.parse(watch.monitorExpireTime) - 2 * deps.everyMs < now()
    )
      return recreate(watch, 'renewal')
    await deps.store.nef.updateWatch(watch.tokenHash, { checkedAt: deps.clock().toISOString() })
  }

  const runOnce = async () => {
    for (const watch of await deps.store.nef.watches(10_000)) {
      try {
        await checkOne(watch)
      } catch (error) {
        deps.log.warn(
          { err: error, subscriptionId: watch.subscriptionId },
          'NEF subscription check failed',
        )
      }
    }
  }

  let running: Promise<void> = runOnce()
  const timer = setInterval(() => {
    running = running.then(runOnce)
  }, deps.everyMs)
  timer.unref()
  return {
    runOnce: () => (running = running.then(runOnce)),
    async stop() {
      clearInterval(timer)
      await running
    },
  }
}
