import assert from 'node:assert/strict'
import type { TestGateway } from './gateway.js'

/** The roaming subscriptions API, and the prefix of its event types. */
export const ROAMING_API = 'device-roaming-status-subscriptions'
export const ROAMING_PREFIX = `org.camaraproject.${ROAMING_API}.v0.`

/**
 * Creates a `roaming-status` subscription of this device to this sink (HTTP, no sink
 * credential) and asserts its 201; returns its id.
 */
export async function subscribeToRoaming(
  gw: TestGateway,
  token: string,
  sink: string,
  phoneNumber: string,
): Promise<string> {
  const res = await gw.post(
    `/${ROAMING_API}/v0.8/subscriptions`,
    {
      protocol: 'HTTP',
      sink,
      types: [ROAMING_PREFIX + 'roaming-status'],
      config: { subscriptionDetail: { device: { phoneNumber } } },
    },
    token,
  )
  assert.equal(res.status, 201, JSON.stringify(res.body))
  return res.body.id as string
}
