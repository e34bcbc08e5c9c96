// Passkeys (WebAuthn, ASVS 6.3.3) beside TOTP: sign in with a passkey instead of the code; add one at sign-in when
// the role requires it (information-governance officers and administrators); add, name, list and remove them on the
// account page (adding asks for the TOTP code again). Challenges are kept server-side against the session, single
// use and short-lived. The ceremony needs the browser's JavaScript (/public/passkeys.js); the pages say so.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { z } from 'zod'
import type { AppDeps } from '../../platform/http/app.ts'
import { SESSION_COOKIE, setCookie } from '../../platform/http/app.ts'
import { routes } from '../../platform/http/route.ts'
import { checkTotp } from '../../platform/auth/totp.ts'
import {
  CHALLENGE_SECONDS,
  assertionCredentialId,
  authenticationOptions,
  checkAssertion,
  checkRegistration,
  passkeyRequired,
  registrationOptions,
  relyingParty,
} from '../../platform/auth/passkeys.ts'
import type { SessionView } from '../../data/repositories/auth.ts'
import { parseForm, type FormErrors } from '../../web/forms.ts'
import { answerWrongCode, signedOutLocked } from './lockout.ts'

const nameField = z.string().trim().min(1, 'Enter a name for the passkey, like "Work laptop"').max(60, 'The name must be 60 characters or fewer')
const responseField = z.string().min(1, 'Use your passkey: select the button and follow your browser’s steps').max(20_000)
const enrolForm = z.object({ name: nameField, response: responseField })
const addForm = z.object({ name: nameField, code: z.string().trim().min(1, 'Enter the 6-digit code from your authenticator app').max(20), response: responseField })
const signInForm = z.object({ response: responseField })

export const PASSKEYS_URL = '/account/passkeys'

/** The passkey's answer is a hidden field: its message links to the button, and only shows when nothing else is wrong. */
function tidy(e: FormErrors): FormErrors {
  const others = e.errors.filter((x) => x.href !== '#response')
  if (others.length) return { errors: others, fieldErrors: Object.fromEntries(Object.entries(e.fieldErrors).filter(([k]) => k !== 'response')) }
  return { errors: e.errors.map((x) => ({ ...x, href: '#passkey' })), fieldErrors: e.fieldErrors }
}

export async function passkeyRoutes(app: FastifyInstance, { data, clock, config }: AppDeps, strict: object): Promise<void> {
  const r = routes(app)
  const passkeys = data.auth.passkeys
  const rp = (request: FastifyRequest) => relyingParty(config, request)
  const who = (s: SessionView) => ({ partnershipId: s.partnershipId, practitionerId: s.practitionerId })
  const userOf = (s: SessionView) => ({ practitionerId: s.practitionerId, email: s.practitioner.email, displayName: `${s.practitioner.givenName} ${s.practitioner.familyName}` })

  // ---- sign-in with a passkey (instead of the TOTP code) ----
  r.post(
    '/sign-in/passkey/options',
    { permission: 'public', audit: 'none: issues a single-use challenge tied to the session' },
    async (request, reply) => {
      const session = request.session
      if (session?.state !== 'mfa_challenge') return reply.code(409).send({ error: 'not waiting for a second factor' })
      const mine = await passkeys.list(who(session))
      if (!mine.length) return reply.code(409).send({ error: 'no passkey registered' })
      const options = await authenticationOptions(rp(request), mine)
      await passkeys.saveChallenge(session, 'authenticate', options.challenge, CHALLENGE_SECONDS)
      return reply.send(options)
    },
    strict,
  )

  r.post(
    '/sign-in/passkey',
    { permission: 'public', audit: 'auth.sign-in' },
    async (request, reply) => {
      const session = request.session
      if (session?.state !== 'mfa_challenge') return reply.redirect('/sign-in', 303)
      const refuse = async (reason: string) => {
        await passkeys.failed(who(session), 'auth.passkey', reason, request.id)
        return reply.code(401).page('auth/views/mfa.njk', {
          ...(await mfaContext(session)),
          errors: [{ text: 'Your passkey could not be used to sign in. Try again, or use another passkey', href: '#passkey' }],
        })
      }
      const parsed = parseForm(signInForm, (request.body ?? {}) as Record<string, unknown>)
      if (!parsed.ok) return refuse('no passkey response')
      const challenge = await passkeys.takeChallenge(session, 'authenticate')
      if (!challenge) return refuse('no current challenge (missing, expired or already used)')
      const credentialId = assertionCredentialId(parsed.data.response)
      const stored = (await passkeys.list(who(session))).find((p) => p.credentialId === credentialId)
      if (!stored) return refuse('passkey not registered to this practitioner')
      const check = await checkAssertion(rp(request), challenge, parsed.data.response, stored)
      if (!check.ok) return refuse(check.reason)
      const done = await passkeys.signedIn(session, stored, check.newCount, request.id)
      if ('refused' in done) {
        // a locked account: the data layer has ended the session and audited the refusal
        return done.refused === 'account locked' ? signedOutLocked(request, reply) : refuse(done.refused)
      }
      reply.header('set-cookie', setCookie(SESSION_COOKIE, done.token))
      return reply.redirect('/', 303)
    },
    strict,
  )

  // ---- adding the required passkey at sign-in ----
  r.get('/sign-in/passkey/enrol', { permission: 'public', audit: 'none: form' }, async (request, reply) => {
    if (request.session?.state !== 'passkey_enrol') return reply.redirect('/sign-in')
    return reply.page('auth/views/passkey-enrol.njk', { title: 'Add a passkey', values: {} })
  })

  r.post(
    '/sign-in/passkey/enrol/options',
    { permission: 'public', audit: 'none: issues a single-use challenge tied to the session' },
    async (request, reply) => {
      const session = request.session
      if (session?.state !== 'passkey_enrol') return reply.code(409).send({ error: 'not adding a passkey' })
      const options = await registrationOptions(rp(request), userOf(session), await passkeys.list(who(session)))
      await passkeys.saveChallenge(session, 'register', options.challenge, CHALLENGE_SECONDS)
      return reply.send(options)
    },
    strict,
  )

  r.post(
    '/sign-in/passkey/enrol',
    { permission: 'public', audit: 'auth.passkey-enrol' },
    async (request, reply) => {
      const session = request.session
      if (session?.state !== 'passkey_enrol') return reply.redirect('/sign-in', 303)
      const body = (request.body ?? {}) as Record<string, unknown>
      const values = { name: String(body.name ?? '') }
      const parsed = parseForm(enrolForm, body)
      if (!parsed.ok) return reply.code(400).page('auth/views/passkey-enrol.njk', { title: 'Add a passkey', ...tidy(parsed.errors), values })
      const refuse = async (reason: string) => {
        await passkeys.failed(who(session), 'auth.passkey-enrol', reason, request.id)
        return reply.code(401).page('auth/views/passkey-enrol.njk', { title: 'Add a passkey', errors: [{ text: 'The passkey could not be added. Try again', href: '#name' }], values })
      }
      const challenge = await passkeys.takeChallenge(session, 'register')
      if (!challenge) return refuse('no current challenge (missing, expired or already used)')
      const check = await checkRegistration(rp(request), challenge, parsed.data.response)
      if (!check.ok) return refuse(check.reason)
      const token = await passkeys.enrolAtSignIn(session, check.passkey, parsed.data.name, request.id)
      if (!token) return refuse('passkey already registered, or the sign-in ended')
      reply.header('set-cookie', setCookie(SESSION_COOKIE, token))
      return reply.redirect('/', 303)
    },
    strict,
  )

  // ---- the account page: list, add (after the TOTP code), remove ----
  const accountPage = async (request: FastifyRequest, reply: FastifyReply, extra: Record<string, unknown> = {}, status = 200) => {
    const session = request.session!
    const list = await passkeys.list(who(session))
    return reply.code(status).page('auth/views/passkeys.njk', {
      title: 'Your passkeys',
      backLink: '/',
      passkeys: list,
      required: passkeyRequired(session.memberships),
      values: {},
      done: (request.query as { done?: string }).done,
      ...extra,
    })
  }

  r.get(PASSKEYS_URL, { permission: 'signed-in', audit: 'none: the practitioner’s own passkeys, no case data' }, (request, reply) => accountPage(request, reply))

  r.post(`${PASSKEYS_URL}/options`, { permission: 'signed-in', audit: 'none: issues a single-use challenge tied to the session' }, async (request, reply) => {
    const session = request.session!
    const options = await registrationOptions(rp(request), userOf(session), await passkeys.list(who(session)))
    await passkeys.saveChallenge(session, 'register', options.challenge, CHALLENGE_SECONDS)
    return reply.send(options)
  })

  r.post(
    PASSKEYS_URL,
    { permission: 'signed-in', audit: 'auth.passkey-enrol' },
    async (request, reply) => {
      const session = request.session!
      const actor = request.actor!
      const body = (request.body ?? {}) as Record<string, unknown>
      const values = { name: String(body.name ?? '') }
      const parsed = parseForm(addForm, body)
      if (!parsed.ok) return accountPage(request, reply, { ...tidy(parsed.errors), values }, 400)
      const refuse = async (reason: string, text: string, href: string) => {
        await passkeys.failed(actor, 'auth.passkey-enrol', reason, request.id)
        return accountPage(request, reply, { errors: [{ text, href }], fieldErrors: href === '#code' ? { code: { text } } : {}, values }, 401)
      }
      // a wrong code here counts on the account as at sign-in (a replayed one too): at the limit the account locks and
      // this session ends
      const wrongCode = (reason: string, text: string) =>
        answerWrongCode(data.auth, request, reply, { session, actor, action: 'auth.passkey-enrol', reason }, () => accountPage(request, reply, { errors: [{ text, href: '#code' }], fieldErrors: { code: { text } }, values }, 401))
      const secret = session.practitioner.totpSecret
      const totp = secret ? await checkTotp(secret, parsed.data.code, clock.now()) : { valid: false as const }
      // the challenge is spent whatever happens next: a new attempt starts a new ceremony
      const challenge = await passkeys.takeChallenge(session, 'register')
      if (!totp.valid) return wrongCode('wrong code', 'The code is not right or has already been used. Wait for a new code and try again')
      if (!challenge) return refuse('no current challenge (missing, expired or already used)', 'The passkey could not be added. Try again', '#name')
      const check = await checkRegistration(rp(request), challenge, parsed.data.response)
      if (!check.ok) return refuse(check.reason, 'The passkey could not be added. Try again', '#name')
      const added = await passkeys.add(actor, check.passkey, parsed.data.name, totp.timeStep)
      if (!added.ok) {
        if (added.reason === 'code already used') return wrongCode('code already used, or the account is locked', 'The code has already been used. Wait for a new code and try again')
        return refuse(added.reason, 'This passkey is already registered', '#name')
      }
      return reply.redirect(`${PASSKEYS_URL}?done=added`, 303)
    },
    strict,
  )

  r.post(`${PASSKEYS_URL}/:passkeyId/remove`, { permission: 'signed-in', audit: 'auth.passkey-remove', record: true }, async (request, reply) => {
    const session = request.session!
    const result = await passkeys.remove(request.actor!, (request.params as { passkeyId: string }).passkeyId, passkeyRequired(session.memberships))
    if (result === 'not-found') return reply.callNotFound()
    if (result === 'last') {
      return accountPage(request, reply, { errors: [{ text: 'You cannot remove your only passkey: your role needs one. Add another passkey first', href: '#passkeys' }] }, 400)
    }
    return reply.redirect(`${PASSKEYS_URL}?done=removed`, 303)
  })

  async function mfaContext(session: SessionView) {
    return mfaPageContext(session, await passkeys.count(who(session)))
  }
}

/** What the second-factor page offers: a passkey, the TOTP code, or both. */
export function mfaPageContext(session: SessionView, passkeyCount: number) {
  const required = passkeyRequired(session.memberships)
  return {
    title: required && passkeyCount ? 'Sign in with your passkey' : 'Enter the code from your authenticator app',
    hasPasskey: passkeyCount > 0,
    required,
    offerCode: !(required && passkeyCount > 0),
  }
}
