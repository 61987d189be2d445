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

console.log(`SIM was swapped: ${date.toLocaleString('en-GB', { timeZone: 'UTC' })}`)
