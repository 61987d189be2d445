import { mintAccessToken } from '../auth/access-token.js'
import type { Keyring } from '../auth/keys.js'
import type { Clock } from '../core/clock.js'
import { CamaraError } from '../core/camara-error.js'
import { needsConsent, type LegalBasis } from '../core/purpose.js'
import type { NetworkPort } from '../network/port.js'
import type { Store } from '../store/store.js'

export interface TrialTokenDeps {
  store: Store
  network: NetworkPort
  keyring: Keyring
  clock: Clock
  issuer: string
  accessTokenTtl: number
  /** Purposes and their legal basis: a consent-based one gets no two-legged token. */
  legalBases: Readonly<Record<string, LegalBasis>>
}

/** `POST /sandbox/v1/access-tokens` as the schema leaves it. */
export interface TrialTokenRequest {
  clientId: string
  scope: string
  /** Three-legged: the token identifies this device. */
  phoneNumber?: string
  expiresIn?: number
}

/**
 * An access token signed exactly as the authorization server signs them, for trying the APIs
 * before an app is set up: two-legged, or three-legged for the device with `phoneNumber`.
 */
export async function mintTrialToken(
  deps: TrialTokenDeps,
  body: TrialTokenRequest,
): Promise<{ access_token: string; token_type: 'Bearer'; expires_in: number; scope: string }> {
  // As at the token endpoint: a two-legged token only for a purpose that needs no consent.
  const purpose = body.scope.split(' ').find((s) => s.startsWith('dpv:'))
  const basis = purpose === undefined ? undefined : deps.legalBases[purpose]
  if (body.phoneNumber === undefined && basis !== undefined && needsConsent(basis))
    throw new CamaraError(
      'INVALID_ARGUMENT',
      `${purpose} needs the subscriber's consent: name the subscriber (phoneNumber) for a three-legged token`,
    )
  let deviceId: string | undefined
  if (body.phoneNumber !== undefined) {
    const device = await deps.network.find({ kind: 'phoneNumber', phoneNumber: body.phoneNumber })
    if (device === undefined)
      throw new CamaraError('IDENTIFIER_NOT_FOUND', `No simulated device ${body.phoneNumber}`)
    deviceId = device.id
  }
  const expiresIn = body.expiresIn ?? deps.accessTokenTtl
  const accessToken = await mintAccessToken(deps, {
    clientId: body.clientId,
    scope: body.scope,
    ttlSeconds: expiresIn,
    ...(deviceId === undefined ? {} : { deviceId }),
  })
  return {
    access_token: accessToken,
    token_type: 'Bearer',
    expires_in: expiresIn,
    scope: body.scope,
  }
}
