import type { Session } from '../auth/session.js'
import type { CallOptions } from '../options.js'
import { callApi, dateOf, deviceBody } from './call.js'
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
 */
export async function retrieveSimSwapDate(
  session: Session,
  phoneNumber?: string,
  call?: CallOptions,
): Promise<SimSwapDate> {
  const { body, correlator } = await callApi(
    session,
    '/sim-swap/v2/retrieve-date',
    phoneBody(session, phoneNumber),
    call,
  )
  return {
    latestSimChange: body['latestSimChange'] == null ? null : dateOf(body['latestSimChange']),
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
 */
export async function checkSimSwap(
  session: Session,
  maxAge?: number,
  phoneNumber?: string,
  call?: CallOptions,
): Promise<SimSwapCheck> {
  const { body, correlator } = await callApi(
    session,
    '/sim-swap/v2/check',
    { ...phoneBody(session, phoneNumber), ...(maxAge === undefined ? {} : { maxAge }) },
    call,
  )
  return { swapped: body['swapped'] === true, correlator }
}
