// The end of a session on a locked account (src/data/repositories/auth.ts wrongCode): the answer is the password
// step's own — the sign-in page with its generic message — so it tells nobody more than a wrong password would.
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { Actor } from '../../data/actor.ts'
import type { AuthRepository, SessionView } from '../../data/repositories/auth.ts'
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

/** A wrong authenticator code: the session that sent it, what it was sent for (the audit row's action and reason), and the acting practitioner once signed in. */
export interface WrongCode {
  session: SessionView
  action: string
  reason: string
  actor?: Actor
}

/**
 * Every route that takes an authenticator code answers a wrong one (a replayed one, or any code while the account is
 * locked) the same way: counted on the account (wrongCode: at the limit the account locks), then, if the account is
 * locked, the session has ended and the answer is the sign-in page (signedOutLocked); otherwise the route's own
 * answer, `otherwise`.
 */
export async function answerWrongCode<T>(auth: Pick<AuthRepository, 'wrongCode'>, request: FastifyRequest, reply: FastifyReply, code: WrongCode, otherwise: () => T | Promise<T>): Promise<T | FastifyReply> {
  const { locked } = await auth.wrongCode(code.session, { action: code.action, reason: code.reason }, request.id, code.actor)
  if (locked) return signedOutLocked(request, reply)
  return otherwise()
}
