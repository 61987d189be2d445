// The vendor docs' backend flow (CIBA) for Device Status and SIM Swap, run against the sandbox.
// Minimal fixes to the published sample are listed in ../README.md.
import { ClientCredentials, DeviceStatus, SimSwap } from '@device-status/sdk'

const credentials = new ClientCredentials({
  clientId: process.env.CLIENT_ID ?? 'my-app-id',
  clientSecret: process.env.CLIENT_SECRET ?? 'my-app-secret',
  baseUrl: process.env.GATEWAY_URL ?? 'http://127.0.0.1:8080',
})

const CUSTOMER_PHONE_NUMBER = process.env.PHONE_NUMBER ?? '+34600000002'

const deviceStatusClient = new DeviceStatus(credentials, undefined, CUSTOMER_PHONE_NUMBER)

let result = await deviceStatusClient.roaming(
  undefined,
  CUSTOMER_PHONE_NUMBER,
  undefined,
  undefined,
  undefined,
)

console.log(`Is the device in roaming status? ${result}`)

const status = await deviceStatusClient.getRoamingStatus()
console.log(
  `Roaming? ${status.roaming} \nCountry: ${status.countryNames[0]} (${status.countryCode})`,
)

const simswapClient = new SimSwap(credentials, undefined, CUSTOMER_PHONE_NUMBER)

let date = await simswapClient.retrieveDate()

// sim-swap v2 answers the latest SIM change: a swap, or, for a SIM never swapped, its activation
// ("a new subscription is considered as a SIM swap as well"). The API does not say which; `null`
// is a number without a SIM (or a change older than the operator may reveal).
console.log(
  date === null
    ? 'Latest SIM change: none (no SIM, or older than the operator reveals)'
    : `Latest SIM change (a swap, or the activation of the SIM): ${date.toLocaleString('en-GB', { timeZone: 'UTC' })}`,
)
