// CSRF: a synchroniser token bound to the session (or, before sign-in, to a random pre-session cookie),
// computed as an HMAC so nothing is stored; checked on every POST in preHandler (after the body is parsed).
import { createHmac, timingSafeEqual } from 'node:crypto'

export function csrfToken(secret: string, binding: string): string {
  return createHmac('sha256', secret).update(`csrf:${binding}`).digest('base64url')
}

export function csrfValid(secret: string, binding: string, presented: unknown): boolean {
  if (typeof presented !== 'string' || !presented) return false
  const expected = Buffer.from(csrfToken(secret, binding))
  const got = Buffer.from(presented)
  return expected.length === got.length && timingSafeEqual(expected, got)
}
