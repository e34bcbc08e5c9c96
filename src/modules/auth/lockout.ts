// The end of a session on a locked account (src/data/repositories/auth.ts wrongCode): the answer is the password
// step's own — the sign-in page with its generic message — so it tells nobody more than a wrong password would.
import type { FastifyReply, FastifyRequest } from 'fastify'
import { SESSION_COOKIE, clearCookie } from '../../platform/http/app.ts'

/** The password step's one answer for every refusal: a known address is not told from an unknown one. */
export const SIGN_IN_REFUSED = 'The email address or password is not right, or the account cannot sign in at the moment'

/** The session has ended (the account is locked): back to the sign-in page, as after a wrong password. */
export function signedOutLocked(request: FastifyRequest, reply: FastifyReply): FastifyReply {
  // the address they typed at the password step, kept as a refused password keeps it: the page is that one's
  const email = request.session?.practitioner.email ?? ''
  // rendered as someone signed out: the page binds its form to a new pre-session, not the ended session
  request.session = null
  request.actor = null
  request.memberships = []
  reply.header('set-cookie', clearCookie(SESSION_COOKIE))
  return reply.code(401).page('auth/views/sign-in.njk', { title: 'Sign in to TeamAround', errors: [{ text: SIGN_IN_REFUSED, href: '#email' }], values: { email } })
}
