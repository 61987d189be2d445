import { API_FILES, type ApiName } from '../specs/catalog.js'
import { apiScopes } from './api-scopes.js'
import { purposesIn } from '../core/purpose.js'

/** An OAuth error the authorization server answers with (RFC 6749 §5.2 shape). */
export class OAuthProfileError extends Error {
  readonly error: string
  readonly status: number
  constructor(error: string, description: string, status = 400) {
    super(description)
    this.name = 'OAuthProfileError'
    this.error = error
    this.status = status
  }
}

/**
 * The vendor's `dpv:<Purpose>#<api>` technical names (ICM v0.1 form, still in the vendor docs),
 * mapped to the CAMARA scopes they stand for. An API name maps to every scope of that API.
 */
const VENDOR_API_SCOPES: Readonly<Record<string, readonly string[]>> = {
  'device-status-roaming-read': ['device-status:roaming:read', 'device-roaming-status:read'],
  'device-status-connectivity-read': [
    'device-status:connectivity:read',
    'device-reachability-status:read',
  ],
  'device-status-reachability-read': ['device-reachability-status:read'],
  'connected-network-type-read': ['connected-network-type:read'],
}

export function vendorScopes(api: string): readonly string[] | undefined {
  const known = VENDOR_API_SCOPES[api]
  if (known !== undefined) return known
  if (api in API_FILES) return apiScopes()[api as ApiName]
  return undefined
}

/**
 * Vendor-compatible mode: splits `dpv:X#api` scope values and a `purpose=dpv:X#api` parameter
 * into the purpose and the API's scopes. Strict mode refuses both (`invalid_scope`).
 */
export function rewriteVendorScopes(
  params: Record<string, string | undefined>,
  compatible: boolean,
): Record<string, string | undefined> {
  const tokens = (params['scope'] ?? '').split(' ').filter((s) => s !== '')
  const purposeParam = params['purpose']
  if (purposeParam !== undefined && !compatible) {
    throw new OAuthProfileError(
      'invalid_request',
      'the purpose parameter is not part of the CAMARA profile; send the purpose as a dpv: scope value',
    )
  }
  if (purposeParam !== undefined) tokens.push(purposeParam)
  const out: string[] = []
  for (const token of tokens) {
    const hash = token.indexOf('#')
    if (!token.startsWith('dpv:') || hash < 0) {
      out.push(token)
      continue
    }
    if (!compatible) {
      throw new OAuthProfileError(
        'invalid_scope',
        `"${token}": the dpv:<Purpose>#<api> form is not part of the CAMARA profile; send the purpose and the API scopes as separate scope values`,
      )
    }
    const mapped = vendorScopes(token.slice(hash + 1))
    if (mapped === undefined)
      throw new OAuthProfileError('invalid_scope', `"${token}" names no known API`)
    out.push(token.slice(0, hash), ...mapped)
  }
  const { purpose: _purpose, ...rest } = params
  const scope = [...new Set(out)].join(' ')
  return { ...rest, ...(scope === '' ? {} : { scope }) }
}

/** CAMARA ICM: exactly one `dpv:` purpose per request; none or two is `invalid_scope`. */
export function requireOnePurpose(scope: string | undefined): string {
  const purposes = [...new Set(purposesIn((scope ?? '').split(' ')))]
  if (purposes.length === 0)
    throw new OAuthProfileError(
      'invalid_scope',
      'exactly one purpose (a dpv: scope value) is required; none was sent',
    )
  if (purposes.length > 1)
    throw new OAuthProfileError(
      'invalid_scope',
      `exactly one purpose (a dpv: scope value) is allowed; got ${purposes.join(', ')}`,
    )
  return purposes[0] as string
}
