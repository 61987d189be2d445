import { checkSimSwap, retrieveSimSwapDate, SIM_SWAP_SCOPES } from '../apis/sim-swap.js'
import {
  createSubscription,
  deleteSubscription,
  getSubscription,
  listSubscriptions,
  type SimSwapEventType,
  type SimSwapSubscriptionOptions,
  type Subscription,
} from '../apis/subscriptions.js'
import type { SimSwapDate } from '../apis/types.js'
import type { Session } from '../auth/session.js'
import type { ClientCredentials } from '../client-credentials.js'
import type { CallOptions } from '../options.js'
import { sessionFor, type Authorization } from './authorize.js'

const SIM_SWAP = 'sim-swap-subscriptions'

function split(
  phoneOrCall: string | CallOptions | undefined,
  call: CallOptions | undefined,
): [string | undefined, CallOptions | undefined] {
  return typeof phoneOrCall === 'object' ? [undefined, phoneOrCall] : [phoneOrCall, call]
}

/**
 * SIM Swap (v2) for one subscriber (backend or frontend flow) or, two-legged, one line.
 *
 * @example Backend flow (CIBA)
 * ```ts
 * const simSwap = new SimSwap(credentials, { phoneNumber: '+34600000006' })
 * const date = await simSwap.retrieveDate()
 * const swapped = await simSwap.check(24)
 * ```
 * @example Frontend flow (callback), the vendor sample's form
 * ```js
 * const simswapClient = new SIMSwap(credentials, code)
 * let result = await simswapClient.retrieveDate(phoneNumber)
 * ```
 */
export class SimSwap {
  /** The authorized session; pass `{ session }` to share it with another service object. */
  readonly session: Session

  /**
   * @param credentials - the app
   * @param authorization - `{ phoneNumber, purpose? }` (CIBA), `{ authCode, redirectUri?, codeVerifier? }`,
   *   `{ device }` (two-legged), `{ session }`; or, as in the vendor samples, the code as a string
   * @param phoneNumber - vendor positional form `new SimSwap(credentials, undefined, phoneNumber)` (CIBA)
   */
  constructor(
    credentials: ClientCredentials,
    authorization?: Authorization | string,
    phoneNumber?: string,
  ) {
    this.session = sessionFor(credentials, authorization, phoneNumber, SIM_SWAP_SCOPES)
  }

  /**
   * Runs the authorization now instead of on the first call.
   *
   * @param call - signal, timeout, correlator
   */
  async authorize(call?: CallOptions): Promise<void> {
    await this.session.accessToken(call)
  }

  /**
   * Date of the latest SIM change (swap, or activation when there was none).
   *
   * @param phoneNumber - optional, as in the vendor sample; checked against (three-legged) or
   *   naming (two-legged) the line
   * @param call - signal, timeout, correlator
   * @returns the date, or `null` when the operator cannot tell
   */
  async retrieveDate(phoneNumber?: string | CallOptions, call?: CallOptions): Promise<Date | null> {
    return (await this.getSimSwapDate(phoneNumber, call)).latestSimChange
  }

  /**
   * The whole retrieve-date answer: `{ latestSimChange, monitoredPeriod?, correlator }`.
   *
   * @param phoneNumber - optional line (see {@link SimSwap.retrieveDate})
   * @param call - signal, timeout, correlator
   * @returns the answer
   */
  getSimSwapDate(phoneNumber?: string | CallOptions, call?: CallOptions): Promise<SimSwapDate> {
    const [phone, options] = split(phoneNumber, call)
    return retrieveSimSwapDate(this.session, phone, options)
  }

  /**
   * Whether the SIM was swapped within the last `maxAgeHours` hours.
   *
   * @param maxAgeHours - 1 to 2400; default 240 (the spec's)
   * @param phoneNumber - optional line (see {@link SimSwap.retrieveDate})
   * @param call - signal, timeout, correlator
   * @returns true when swapped
   */
  async check(
    maxAgeHours?: number,
    phoneNumber?: string | CallOptions,
    call?: CallOptions,
  ): Promise<boolean> {
    const [phone, options] = split(phoneNumber, call)
    return (await checkSimSwap(this.session, maxAgeHours, phone, options)).swapped
  }

  /**
   * Subscribes to `swapped` (sim-swap-subscriptions 0.3), the only type (the default).
   * Two-legged, the subscription names the service's line (`subscriptionDetail.phoneNumber`);
   * three-legged, the token's subscriber. The token asks for
   * `sim-swap-subscriptions:org.camaraproject.sim-swap-subscriptions.v0.swapped:create` (and
   * `:read`, `:delete`) unless the session's scopes already hold them. Not resent after a network
   * failure or a timeout.
   *
   * @param options - `sink`, `sinkCredential?`, `expiresAt?`, `maxEvents?`
   * @param call - signal, timeout, correlator
   * @returns the subscription
   * @throws {@link ApiError} e.g. `INVALID_ARGUMENT` (sink), `IDENTIFIER_NOT_FOUND`, `PERMISSION_DENIED`
   * @see {@link https://github.com/camaraproject/SimSwap | sim-swap-subscriptions 0.3}
   * @example
   * ```ts
   * const simSwap = new SimSwap(credentials, { device: { phoneNumber: '+34600000001' } })
   * const { id } = await simSwap.createSubscription({ sink: 'https://app.example/notifications' })
   * ```
   */
  createSubscription(
    options: SimSwapSubscriptionOptions,
    call?: CallOptions,
  ): Promise<Subscription<SimSwapEventType>> {
    return createSubscription(
      this.session,
      SIM_SWAP,
      { ...options, type: options.type ?? 'swapped' },
      call,
    )
  }

  /**
   * The app's active SIM swap subscriptions (three-legged: the subscriber's only).
   *
   * @param call - signal, timeout, correlator
   * @returns the subscriptions
   */
  listSubscriptions(call?: CallOptions): Promise<Subscription<SimSwapEventType>[]> {
    return listSubscriptions(this.session, SIM_SWAP, call)
  }

  /**
   * One SIM swap subscription.
   *
   * @param id - the subscription id
   * @param call - signal, timeout, correlator
   * @returns the subscription
   * @throws {@link ApiError} `NOT_FOUND` when it does not exist, ended, or is another app's
   */
  getSubscription(id: string, call?: CallOptions): Promise<Subscription<SimSwapEventType>> {
    return getSubscription(this.session, SIM_SWAP, id, call)
  }

  /**
   * Deletes a SIM swap subscription; the sink receives `subscription-ended`.
   *
   * @param id - the subscription id
   * @param call - signal, timeout, correlator
   * @throws {@link ApiError} `NOT_FOUND` when it does not exist or already ended
   *   (a `404` after an attempt that got no answer counts as deleted: that attempt did it)
   */
  deleteSubscription(id: string, call?: CallOptions): Promise<void> {
    return deleteSubscription(this.session, SIM_SWAP, id, call)
  }
}

/** The vendor samples' spelling of {@link SimSwap}. */
export const SIMSwap: typeof SimSwap = SimSwap
/** The vendor samples' spelling of {@link SimSwap}. */
export type SIMSwap = SimSwap
