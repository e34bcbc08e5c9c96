import { createHash } from 'node:crypto'

/** A stable UUID derived from a key: demo and test data keep the same ids from run to run. */
export function stableUuid(key: string): string {
  const h = createHash('sha256').update(key).digest()
  h[6] = (h[6]! & 0x0f) | 0x80 // version 8 (custom)
  h[8] = (h[8]! & 0x3f) | 0x80 // RFC 4122 variant
  const x = h.subarray(0, 16).toString('hex')
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20, 32)}`
}

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'
/** RFC 4648 base32 without padding (TOTP secrets). */
export function base32(bytes: Uint8Array): string {
  let bits = 0
  let value = 0
  let out = ''
  for (const b of bytes) {
    value = (value << 8) | b
    bits += 8
    while (bits >= 5) {
      out += ALPHABET[(value >>> (bits - 5)) & 31]
      bits -= 5
    }
  }
  if (bits > 0) out += ALPHABET[(value << (5 - bits)) & 31]
  return out
}

/** Deterministic PRNG (mulberry32) for generators. */
export function prng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** The NHS number's modulus-11 check digit for its first nine digits (weights 10..2), or null when it would be 10 (no valid number). */
export function nhsCheckDigit(nine: string): number | null {
  const sum = [...nine].reduce((acc, d, i) => acc + Number(d) * (10 - i), 0)
  const check = 11 - (sum % 11)
  return check === 10 ? null : check === 11 ? 0 : check
}
