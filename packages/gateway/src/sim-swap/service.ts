import type { AuthContext } from '../core/auth-context.js'
import { identifyDevice } from '../device/identify.js'
import { CamaraError } from '../core/camara-error.js'
import type { NetworkPort, SimFact, SimPort } from '../network/port.js'
import type { Clock } from '../core/clock.js'

export interface SimSwapDeps {
  network: NetworkPort
  /** Where SIM changes come from. */
  sim: SimPort
  clock: Clock
  /** Days of SIM history the operator may reveal; `undefined` = unlimited. */
  monitoredPeriod: number | undefined
}

/** `SimSwapInfo` of sim-swap 2.1.0. */
export interface SimSwapInfo {
  latestSimChange: string | null
  monitoredPeriod?: number
}

/** The SIM facts of the call's subscriber: the token's, or the number in the body. */
async function subscriberSim(
  deps: SimSwapDeps,
  auth: AuthContext,
  phoneNumber: string | undefined,
): Promise<SimFact> {
  const { device } = await identifyDevice(deps, {
    auth,
    device: phoneNumber === undefined ? undefined : { phoneNumber },
    supported: ['phoneNumber'],
  })
  return deps.sim.sim(device, 'sim-swap')
}

/**
 * The latest change of the SIM bound to the number: its latest swap, else its activation ("a new
 * subscription is considered as a SIM swap as well", sim-swap 2.1.0); `null` without a SIM
 * (`simActivatedAt: null`).
 */
function latestSimChange(sim: SimFact): string | null {
  // A number without a SIM has none, whatever swap was recorded before its SIM went.
  if (sim.activatedAt === null) return null
  return sim.swappedAt ?? sim.activatedAt
}

/**
 * `POST /sim-swap/v2/retrieve-date`: the latest SIM change, or the activation date when the SIM
 * was never swapped; `null` for a number without a SIM, and `null` plus `monitoredPeriod` when
 * the change lies before the operator's legal window.
 */
export async function retrieveSimSwapDate(
  deps: SimSwapDeps,
  input: { auth: AuthContext; body: { phoneNumber?: string } },
): Promise<SimSwapInfo> {
  const latest = latestSimChange(await subscriberSim(deps, input.auth, input.body.phoneNumber))
  if (latest === null) return { latestSimChange: null }
  if (deps.monitoredPeriod !== undefined) {
    const windowStart = deps.clock().getTime() - deps.monitoredPeriod * 86_400_000
    if (Date.parse(latest) < windowStart)
      return { latestSimChange: null, monitoredPeriod: deps.monitoredPeriod }
  }
  return { latestSimChange: latest }
}

/** `POST /sim-swap/v2/check`: did the SIM change (swap or activation) in the last `maxAge` hours (default 240)? */
export async function checkSimSwap(
  deps: SimSwapDeps,
  input: { auth: AuthContext; body: { phoneNumber?: string; maxAge?: number } },
): Promise<{ swapped: boolean }> {
  const maxAge = input.body.maxAge ?? 240
  if (deps.monitoredPeriod !== undefined && maxAge > deps.monitoredPeriod * 24) {
    throw new CamaraError(
      'OUT_OF_RANGE',
      `maxAge cannot exceed the monitored period of ${deps.monitoredPeriod * 24} hours (${deps.monitoredPeriod} days).`,
    )
  }
  const latest = latestSimChange(await subscriberSim(deps, input.auth, input.body.phoneNumber))
  if (latest === null) return { swapped: false }
  const since = deps.clock().getTime() - maxAge * 3_600_000
  return { swapped: Date.parse(latest) >= since }
}
