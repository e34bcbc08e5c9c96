// TOTP (RFC 6238, 30 s, 6 digits, SHA-1 for authenticator-app compatibility) with otplib. A code is accepted
// within one step either side, and only once: the caller stores the step it was spent at.
import { generateSecret, generateURI, verify, generate } from 'otplib'

export function newTotpSecret(): string {
  return generateSecret({ length: 20 })
}

export function totpUri(secret: string, email: string): string {
  return generateURI({ issuer: 'TeamAround', label: email, secret })
}

export async function checkTotp(secret: string, token: string, now: Date): Promise<{ valid: false } | { valid: true; timeStep: number }> {
  const code = token.replace(/\s+/g, '')
  if (!/^\d{6}$/.test(code)) return { valid: false }
  const result = await verify({ secret, token: code, epoch: Math.floor(now.getTime() / 1000), epochTolerance: 30 })
  if (!result.valid) return { valid: false }
  return { valid: true, timeStep: (result as unknown as { timeStep: number }).timeStep }
}

/** For tests and the demo: the code an authenticator would show at `now`. */
export function totpAt(secret: string, now: Date): Promise<string> {
  return generate({ secret, epoch: Math.floor(now.getTime() / 1000) })
}

/** Formats a secret in groups of four for typing into an authenticator app. */
export function groupSecret(secret: string): string {
  return secret.replace(/(.{4})/g, '$1 ').trim()
}
