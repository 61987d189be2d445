import { SignJWT, jwtVerify } from 'jose'
import type { Keyring } from './keys.js'

const TYP = 'operator-token+jwt'

/**
 * Sandbox operator tokens (`login_hint=operatortoken:…`): the GSMA TS.43 temporary token an
 * operator hands a device that is already authenticated. Here a short-lived JWT signed by the
 * gateway, naming the device by its internal id (never the phone number).
 */
export async function issueOperatorToken(
  deps: { keyring: Keyring; issuer: string },
  deviceId: string,
  ttlSeconds = 600,
): Promise<string> {
  const key = deps.keyring.current()
  return new SignJWT({})
    .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: TYP })
    .setIssuer(deps.issuer)
    .setAudience(`${deps.issuer}/operator-token`)
    .setSubject(deviceId)
    .setIssuedAt()
    .setExpirationTime(`${ttlSeconds}s`)
    .sign(key.privateKey)
}

/** The device id an operator token names, or `undefined` when it is not valid. */
export async function verifyOperatorToken(
  deps: { keyring: Keyring; issuer: string },
  token: string,
): Promise<string | undefined> {
  try {
    const { payload } = await jwtVerify(
      token,
      async (header) => {
        const key = header.kid === undefined ? undefined : deps.keyring.byKid(header.kid)
        if (key === undefined) throw new Error('unknown key')
        return key.publicKey
      },
      { issuer: deps.issuer, audience: `${deps.issuer}/operator-token`, typ: TYP },
    )
    return payload.sub
  } catch {
    return undefined
  }
}
