// Passkeys (WebAuthn) with @simplewebauthn/server: the phishing-resistant second factor (ASVS 6.3.3). The browser
// signs the server's challenge with a key bound to our RP ID, and the signed data names the page's origin, so a
// look-alike site cannot relay it. Required for information-governance officers and administrators.
import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
  type AuthenticationResponseJSON,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
  type RegistrationResponseJSON,
} from '@simplewebauthn/server'
import type { Role } from '../../access/policy.ts'

/** Roles for which a passkey is required (any current membership in one of them). */
export const PASSKEY_REQUIRED_ROLES: readonly Role[] = ['ig_officer', 'agency_admin', 'partnership_admin']
/** How long a ceremony's challenge stays valid. */
export const CHALLENGE_SECONDS = 300
export const RP_NAME = 'TeamAround'
/** EdDSA, ES256, RS256: named, so the library does not probe the runtime for post-quantum algorithms (a warning each time). */
const ALGORITHMS = [-8, -7, -257]

export function passkeyRequired(memberships: readonly { role: Role }[]): boolean {
  return memberships.some((m) => PASSKEY_REQUIRED_ROLES.includes(m.role))
}

/** Where the ceremony happens: the configured public origin, or (outside production) the request's own. */
export interface RelyingParty {
  rpId: string
  origin: string
}

export function relyingParty(config: { publicOrigin?: string; env: string }, request: { protocol: string; host: string }): RelyingParty {
  const origin = config.publicOrigin ? new URL(config.publicOrigin).origin : `${config.env === 'production' ? 'https' : request.protocol}://${request.host}`
  return { rpId: new URL(origin).hostname, origin }
}

export interface StoredPasskey {
  credentialId: string
  publicKey: string
  signCount: number
  transports: string[]
}

export function registrationOptions(
  rp: RelyingParty,
  user: { practitionerId: string; email: string; displayName: string },
  existing: readonly StoredPasskey[],
): Promise<PublicKeyCredentialCreationOptionsJSON> {
  return generateRegistrationOptions({
    rpName: RP_NAME,
    rpID: rp.rpId,
    userName: user.email,
    userDisplayName: user.displayName,
    userID: new TextEncoder().encode(user.practitionerId),
    timeout: CHALLENGE_SECONDS * 1000,
    attestationType: 'none',
    excludeCredentials: existing.map((p) => ({ id: p.credentialId, transports: p.transports })),
    authenticatorSelection: { residentKey: 'preferred', userVerification: 'required' },
    supportedAlgorithmIDs: ALGORITHMS,
  })
}

export function authenticationOptions(rp: RelyingParty, existing: readonly StoredPasskey[]): Promise<PublicKeyCredentialRequestOptionsJSON> {
  return generateAuthenticationOptions({
    rpID: rp.rpId,
    timeout: CHALLENGE_SECONDS * 1000,
    userVerification: 'required',
    allowCredentials: existing.map((p) => ({ id: p.credentialId, transports: p.transports as never })),
  })
}

export type NewPasskey = { credentialId: string; publicKey: string; signCount: number; transports: string[]; deviceType: 'singleDevice' | 'multiDevice'; backedUp: boolean }

/** Checks a registration response; null (with the library's reason) when it does not verify. */
export async function checkRegistration(rp: RelyingParty, expectedChallenge: string, raw: string): Promise<{ ok: true; passkey: NewPasskey } | { ok: false; reason: string }> {
  let response: RegistrationResponseJSON
  try {
    response = JSON.parse(raw) as RegistrationResponseJSON
  } catch {
    return { ok: false, reason: 'response is not JSON' }
  }
  try {
    const v = await verifyRegistrationResponse({ response, expectedChallenge, expectedOrigin: rp.origin, expectedRPID: rp.rpId, requireUserVerification: true, supportedAlgorithmIDs: ALGORITHMS })
    if (!v.verified) return { ok: false, reason: 'registration not verified' }
    const c = v.registrationInfo.credential
    return {
      ok: true,
      passkey: {
        credentialId: c.id,
        publicKey: Buffer.from(c.publicKey).toString('base64url'),
        signCount: c.counter,
        transports: (response.response.transports ?? []).map(String).slice(0, 8),
        deviceType: v.registrationInfo.credentialDeviceType,
        backedUp: v.registrationInfo.credentialBackedUp,
      },
    }
  } catch (err) {
    return { ok: false, reason: (err as Error).message.slice(0, 200) }
  }
}

/** The credential id a sign-in response names (to find the stored passkey), or null. */
export function assertionCredentialId(raw: string): string | null {
  try {
    const r = JSON.parse(raw) as { id?: unknown }
    return typeof r.id === 'string' && r.id.length > 0 && r.id.length < 1400 ? r.id : null
  } catch {
    return null
  }
}

/**
 * Checks a sign-in response against the stored passkey. The library refuses a counter that did not increase
 * (when the authenticator keeps one): a sign that the key was cloned — reported as 'counter'.
 */
export async function checkAssertion(rp: RelyingParty, expectedChallenge: string, raw: string, stored: StoredPasskey): Promise<{ ok: true; newCount: number } | { ok: false; reason: string }> {
  try {
    const response = JSON.parse(raw) as AuthenticationResponseJSON
    const v = await verifyAuthenticationResponse({
      response,
      expectedChallenge,
      expectedOrigin: rp.origin,
      expectedRPID: rp.rpId,
      requireUserVerification: true,
      credential: { id: stored.credentialId, publicKey: new Uint8Array(Buffer.from(stored.publicKey, 'base64url')), counter: stored.signCount, transports: stored.transports as never },
    })
    if (!v.verified) return { ok: false, reason: 'signature not verified' }
    return { ok: true, newCount: v.authenticationInfo.newCounter }
  } catch (err) {
    const message = (err as Error).message
    return { ok: false, reason: /counter/i.test(message) ? `counter: ${message.slice(0, 180)}` : message.slice(0, 200) }
  }
}
