import * as oauth from 'oauth4webapi'
import { DEVICE_STATUS_SCOPES } from './apis/device-status.js'
import { SIM_SWAP_SCOPES } from './apis/sim-swap.js'
import {
  buildAuthorizationUrl,
  type AuthorizationRequest,
  type AuthorizationUrlOptions,
} from './auth/authorization-code.js'
import type { ClientConfig } from './auth/config.js'
import { DeviceStatusError } from './errors.js'
import { DEFAULT_BASE_URL, type CallOptions, type ClientOptions } from './options.js'
import { resolveTransport } from './transport/request.js'

/** An app authenticating with its client secret (`client_secret_basic`, as the vendor samples). */
export interface SecretCredentials {
  /** The app's client_id. */
  clientId: string
  /** The app's client secret. */
  clientSecret: string
}

/** A Web Crypto key (`CryptoKey`). */
export type WebCryptoKey = Parameters<typeof crypto.subtle.sign>[1]

/** A private JSON Web Key (RFC 7517): EC P-256/P-384, RSA or OKP Ed25519. */
export interface PrivateJwk {
  /** Key type: `EC`, `RSA` or `OKP`. */
  kty?: string | undefined
  /** Curve of EC and OKP keys. */
  crv?: string | undefined
  /** Algorithm (`ES256`, `PS256`, `RS256`, `EdDSA`, …). */
  alg?: string | undefined
  /** Key id, as registered with the app. */
  kid?: string | undefined
  /** The other members of the key. */
  [member: string]: unknown
}

/** An app authenticating with `private_key_jwt` (the CAMARA profile). */
export interface PrivateKeyCredentials {
  /** The app's client_id. */
  clientId: string
  /** The private key: a Web Crypto key or a private JWK (EC P-256/P-384, RSA, Ed25519). */
  privateKey: WebCryptoKey | PrivateJwk
  /** The key's `kid`, as registered (taken from the JWK when absent). */
  kid?: string
}

/** What {@link ClientCredentials} takes: the app's credentials and, optionally, transport options. */
export type ClientCredentialsInit = (SecretCredentials | PrivateKeyCredentials) & ClientOptions

const configs = new WeakMap<ClientCredentials, ClientConfig>()

/** The configuration behind a {@link ClientCredentials} (SDK internal). */
export function clientConfigOf(credentials: ClientCredentials): ClientConfig {
  const config = configs.get(credentials)
  if (config === undefined)
    throw new DeviceStatusError('INVALID_USAGE', 'credentials must be a ClientCredentials object')
  return config
}

function importAlgorithm(jwk: PrivateJwk): { name: string; namedCurve?: string; hash?: string } {
  if (jwk.kty === 'EC') return { name: 'ECDSA', namedCurve: jwk.crv ?? 'P-256' }
  if (jwk.kty === 'OKP') return { name: jwk.crv ?? 'Ed25519' }
  if (jwk.kty === 'RSA')
    return jwk.alg?.startsWith('PS') === true
      ? { name: 'RSA-PSS', hash: `SHA-${jwk.alg.slice(2)}` }
      : { name: 'RSASSA-PKCS1-v1_5', hash: `SHA-${jwk.alg?.slice(2) ?? '256'}` }
  throw new DeviceStatusError('INVALID_USAGE', `unsupported private key type ${String(jwk.kty)}`)
}

function clientAuthOf(init: ClientCredentialsInit): oauth.ClientAuth {
  if ('clientSecret' in init) return oauth.ClientSecretBasic(init.clientSecret)
  const { privateKey } = init
  let key: Promise<oauth.PrivateKey> | undefined
  const resolveKey = () =>
    (key ??= (async () => {
      const jwk = 'kty' in privateKey ? privateKey : undefined
      const kid = init.kid ?? jwk?.kid
      const cryptoKey =
        jwk === undefined
          ? (privateKey as WebCryptoKey)
          : await crypto.subtle.importKey('jwk', jwk as never, importAlgorithm(jwk), false, [
              'sign',
            ])
      return kid === undefined ? { key: cryptoKey } : { key: cryptoKey, kid }
    })())
  return async (as, client, body, headers) =>
    oauth.PrivateKeyJwt(await resolveKey())(as, client, body, headers)
}

/**
 * The app's credentials at a gateway: client_id with a client secret or a private key, and where
 * and how to reach the gateway. One object serves any number of {@link DeviceStatus} and
 * {@link SimSwap} clients and discovers the gateway's endpoints once.
 *
 * @example
 * ```ts
 * const credentials = new ClientCredentials({ clientId: 'my-app-id', clientSecret: 'my-app-secret' })
 * ```
 */
export class ClientCredentials {
  /** The app's client_id. */
  readonly clientId: string
  /** Base URL of the gateway or aggregator. */
  readonly baseUrl: string

  /**
   * @param init - `{ clientId, clientSecret }` or `{ clientId, privateKey }`, plus {@link ClientOptions}
   */
  constructor(init: ClientCredentialsInit) {
    if (typeof init?.clientId !== 'string' || init.clientId === '')
      throw new DeviceStatusError('INVALID_USAGE', 'clientId is required')
    if (!('clientSecret' in init) && !('privateKey' in init))
      throw new DeviceStatusError('INVALID_USAGE', 'clientSecret or privateKey is required')
    const baseUrl = new URL(String(init.baseUrl ?? DEFAULT_BASE_URL))
    const issuer = new URL(String(init.issuer ?? baseUrl.href.replace(/\/$/, '')))
    this.clientId = init.clientId
    this.baseUrl = baseUrl.href
    configs.set(this, {
      client: { client_id: init.clientId },
      clientAuth: clientAuthOf(init),
      baseUrl,
      issuer,
      redirectUri: init.redirectUri,
      transport: resolveTransport(init),
      metadata: undefined,
      pendingVerifiers: new Map(),
    })
  }

  /**
   * Builds the `/authorize` URL of the frontend flow (Authorization Code with PKCE). Keep the
   * returned `codeVerifier` and `state` for the callback.
   *
   * @param options - redirect URI, purpose, state, scopes
   * @param call - signal, timeout, correlator of the discovery request
   * @returns the URL to send the browser to, the PKCE verifier and the state
   * @example
   * ```ts
   * const { url, codeVerifier, state } = await credentials.authorizationUrl({
   *   redirectUri: 'http://localhost:3000/callback',
   *   purpose: 'dpv:FraudPreventionAndDetection',
   * })
   * ```
   */
  authorizationUrl(
    options: AuthorizationUrlOptions,
    call?: CallOptions,
  ): Promise<AuthorizationRequest> {
    const config = clientConfigOf(this)
    return buildAuthorizationUrl(
      config,
      options,
      [...DEVICE_STATUS_SCOPES, ...SIM_SWAP_SCOPES],
      call,
    ).then((request) => {
      // Remembered so that the samples' `new SIMSwap(credentials, code)` finds its verifier.
      config.pendingVerifiers.set(request.state, request.codeVerifier)
      if (config.pendingVerifiers.size > 1000) {
        const oldest = config.pendingVerifiers.keys().next().value
        if (oldest !== undefined) config.pendingVerifiers.delete(oldest)
      }
      return request
    })
  }
}

/**
 * Builds the `/authorize` URL of the frontend flow; the same as
 * {@link ClientCredentials.authorizationUrl}.
 *
 * @param credentials - the app
 * @param options - redirect URI, purpose, state, scopes
 * @returns the URL, the PKCE verifier and the state
 */
export function authorizationUrl(
  credentials: ClientCredentials,
  options: AuthorizationUrlOptions,
): Promise<AuthorizationRequest> {
  return credentials.authorizationUrl(options)
}
