import { GRANT_TYPES } from '@device-status/contract'
import * as oauth from 'oauth4webapi'
import { AuthError } from '../errors.js'
import type { CallOptions } from '../options.js'
import { sleep } from '../transport/request.js'
import { oauthOptions, toAuthError, type ClientConfig } from './config.js'

/** The CIBA grant type (OpenID CIBA Core §10.1). */
export const CIBA_GRANT_TYPE: 'urn:openid:params:grant-type:ciba' = GRANT_TYPES.ciba

/** A successful backchannel authentication response (CIBA Core §7.3). */
export interface BackchannelAuthenticationResponse {
  auth_req_id: string
  expires_in: number
  interval: number
}

/**
 * Sends the backchannel authentication request (`/bc-authorize`) with client authentication.
 *
 * @param config - the client
 * @param as - discovery document
 * @param parameters - `login_hint` and `scope` (plus any other parameter)
 * @param call - signal, timeout and correlator
 * @returns the raw response; pass it to {@link processBackchannelAuthenticationResponse}
 * @see {@link https://openid.net/specs/openid-client-initiated-backchannel-authentication-core-1_0.html#auth_request | CIBA Core §7.1}
 */
export async function backchannelAuthenticationRequest(
  config: ClientConfig,
  as: oauth.AuthorizationServer,
  parameters: Record<string, string>,
  call: CallOptions = {},
): Promise<Response> {
  const endpoint = as.backchannel_authentication_endpoint
  if (endpoint === undefined)
    throw new AuthError({
      error: 'invalid_server_metadata',
      error_description: 'the authorization server does not announce a CIBA endpoint',
    })
  const body = new URLSearchParams(parameters)
  const headers = new Headers({
    accept: 'application/json',
    'content-type': 'application/x-www-form-urlencoded;charset=UTF-8',
  })
  await config.clientAuth(as, config.client, body, headers)
  return oauthOptions(config, call, false)[oauth.customFetch](endpoint, {
    method: 'POST',
    headers,
    body,
  })
}

/**
 * Validates a backchannel authentication response.
 *
 * @param response - from {@link backchannelAuthenticationRequest}
 * @returns `auth_req_id`, `expires_in` and `interval` (5 s when the server sends none)
 * @throws {@link AuthError} with the server's OAuth error
 */
export async function processBackchannelAuthenticationResponse(
  response: Response,
): Promise<BackchannelAuthenticationResponse> {
  let body: Record<string, unknown>
  try {
    body = (await response.json()) as Record<string, unknown>
  } catch {
    throw new AuthError({
      error: 'invalid_response',
      error_description: `bc-authorize answered ${response.status} without JSON`,
      status: response.status,
    })
  }
  if (response.status !== 200 || typeof body['auth_req_id'] !== 'string') {
    throw new AuthError({
      error: typeof body['error'] === 'string' ? body['error'] : 'invalid_response',
      error_description:
        typeof body['error_description'] === 'string' ? body['error_description'] : undefined,
      status: response.status,
    })
  }
  return {
    auth_req_id: body['auth_req_id'],
    expires_in: typeof body['expires_in'] === 'number' ? body['expires_in'] : 120,
    interval: typeof body['interval'] === 'number' ? body['interval'] : 5,
  }
}

/**
 * Polls the token endpoint for a CIBA grant until the subscriber decides (CIBA Core §7.3, §11):
 * waits `interval` seconds between polls, adds 5 s on `slow_down`, keeps going on
 * `authorization_pending`, and stops at `expires_in`.
 *
 * @param config - the client
 * @param as - discovery document
 * @param request - the backchannel authentication response
 * @param call - signal, timeout and correlator
 * @returns the token response
 * @throws {@link AuthError} `access_denied`, `expired_token`, …
 */
export async function pollBackchannelAuthenticationGrant(
  config: ClientConfig,
  as: oauth.AuthorizationServer,
  request: BackchannelAuthenticationResponse,
  call: CallOptions = {},
): Promise<oauth.TokenEndpointResponse> {
  const deadline = Date.now() + request.expires_in * 1000
  let interval = request.interval
  for (;;) {
    await sleep(interval * 1000, call.signal)
    if (Date.now() > deadline)
      throw new AuthError({
        error: 'expired_token',
        error_description: 'the subscriber did not decide before the request expired',
      })
    try {
      const response = await oauth.genericTokenEndpointRequest(
        as,
        config.client,
        config.clientAuth,
        CIBA_GRANT_TYPE,
        { auth_req_id: request.auth_req_id },
        oauthOptions(config, call, false),
      )
      return await oauth.processGenericTokenEndpointResponse(as, config.client, response)
    } catch (error) {
      if (error instanceof oauth.ResponseBodyError && error.error === 'authorization_pending')
        continue
      if (error instanceof oauth.ResponseBodyError && error.error === 'slow_down') {
        interval += 5
        continue
      }
      throw toAuthError(error)
    }
  }
}
