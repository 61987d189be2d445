import { nowMs } from '../core/clock.js'
import { timeEnding } from '../notifications/delivery-policy.js'
import { LIVE_STATUSES } from '../store/subscriptions.js'
import { endSubscription, type OutboxDeps } from './outbox.js'

/**
 * Ends the live subscriptions whose time ran out at the clock's now ({@link timeEnding}: expiry
 * passed, or the sink token expires within `tokenExpiryNoticeMs`), each in its own transaction,
 * with `subscription-ended`. INACTIVE subscriptions expire too. The delivery worker runs it once
 * per poll interval.
 */
export async function endExpiredSubscriptions(
  deps: OutboxDeps & { tokenExpiryNoticeMs: number },
): Promise<void> {
  const now = nowMs(deps.clock)
  const soon = new Date(now + deps.tokenExpiryNoticeMs).toISOString()
  for (const subscription of await deps.store.subscriptions.dueToEnd(soon)) {
    const reason = timeEnding(subscription, now, deps)
    if (reason === undefined) continue
    await deps.store.transaction(async (trx) => {
      const fresh = await trx.subscriptions.byId(subscription.id)
      if (fresh !== undefined && LIVE_STATUSES.includes(fresh.status))
        await endSubscription({ ...deps, store: trx }, fresh, reason)
    })
  }
}
