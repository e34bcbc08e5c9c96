// argon2id (OWASP: m=19 MiB, t=2, p=1).
import { hash, verify } from '@node-rs/argon2'

const OPTIONS = { algorithm: 2 /* Algorithm.Argon2id (a const enum) */, memoryCost: 19456, timeCost: 2, parallelism: 1 } as const

export function hashPassword(password: string): Promise<string> {
  return hash(password, OPTIONS)
}

export async function verifyPassword(stored: string, password: string): Promise<boolean> {
  try {
    return await verify(stored, password)
  } catch {
    return false
  }
}

/** Verified against when the email is unknown, so a wrong email costs the same time as a wrong password. */
export const DUMMY_HASH = '$argon2id$v=19$m=19456,t=2,p=1$j4TZdNX1ClsgLxuPvoN3cg$UaElQBNWFyAwOx2VDMbB8UIyQ6DGIhFInMZVfV1k7N0'
