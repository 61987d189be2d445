import type { Session } from '../auth/session.js'
import type { CallOptions } from '../options.js'
import { booleanField, callApi, dateField, deviceBody } from './call.js'
import type { SimSwapCheck, SimSwapDate } from './types.js'

/** Scopes of SIM Swap v2. */
export const SIM_SWAP_SCOPES: readonly string[] = ['sim-swap:retrieve-date', 'sim-swap:check']

/** SIM Swap bodies name the line with `phoneNumber`, and only in two-legged calls. */
function phoneBody(session: Session, phoneNumber?: string): { phoneNumber?: string } {
  const { device } = deviceBody(session, phoneNumber === undefined ? undefined : { phoneNumber })
  return device?.phoneNumber === undefined ? {} : { phoneNumber: device.phoneNumber }
}

/**
 * `POST /sim-swap/v2/retrieve-date`.
 *
 * @param session - the authorized session
 * @param phoneNumber - the line, for two-legged sessions (default: the session's device)
 * @param call - signal, timeout, correlator
 * @returns the latest SIM change
 * @throws {@link InvalidResponseError} when the answer has no `latestSimChange` (date-time or null)
 */
export async function retrieveSimSwapDate(
  session: Session,
  phoneNumber?: string,
  call?: CallOptions,
): Promise<SimSwapDate> {
  const answer = await callApi(
    session,
    '/sim-swap/v2/retrieve-date',
    phoneBody(session, phoneNumber),
    call,
  )
  const { body, correlator } = answer
  return {
    // Required and nullable: only an explicit null means "no SIM change known".
    latestSimChange: body['latestSimChange'] === null ? null : dateField(answer, 'latestSimChange'),
    ...(typeof body['monitoredPeriod'] === 'number'
      ? { monitoredPeriod: body['monitoredPeriod'] }
      : {}),
    correlator,
  }
}

/**
 * `POST /sim-swap/v2/check`.
 *
 * @param session - the authorized session
 * @param maxAge - hours to look back, 1 to 2400 (the gateway's default is 240)
 * @param phoneNumber - the line, for two-legged sessions (default: the session's device)
 * @param call - signal, timeout, correlator
 * @returns whether the SIM was swapped within `maxAge` hours
 * @throws {@link InvalidResponseError} when the answer has no boolean `swapped`
 */
export async function checkSimSwap(
  session: Session,
  maxAge?: number,
  phoneNumber?: string,
  call?: CallOptions,
): Promise<SimSwapCheck> {
  const answer = await callApi(
    session,
    '/sim-swap/v2/check',
    { ...phoneBody(session, phoneNumber), ...(maxAge === undefined ? {} : { maxAge }) },
    call,
  )
  return { swapped: booleanField(answer, 'swapped'), correlator: answer.correlator }
}
