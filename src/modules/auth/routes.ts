// Sign-in: email and password (argon2id), then TOTP — enrolled at first sign-in for every user. The session is
// rotated at each step; no answer tells a known address from an unknown one.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import QRCode from 'qrcode'
import { z } from 'zod'
import type { AppDeps } from '../../platform/http/app.ts'
import { SESSION_COOKIE, PRE_COOKIE, setCookie, clearCookie, isApi } from '../../platform/http/app.ts'
import { routes } from '../../platform/http/route.ts'
import { DUMMY_HASH, verifyPassword } from '../../platform/auth/passwords.ts'
import { checkTotp, groupSecret, newTotpSecret, totpUri } from '../../platform/auth/totp.ts'
import { formErrors, oneValue, type FormErrors } from '../../web/forms.ts'
import { passkeyRequired } from '../../platform/auth/passkeys.ts'
import { mfaPageContext, passkeyRoutes } from './passkey-routes.ts'
import { SIGN_IN_REFUSED, answerWrongCode } from './lockout.ts'

const signInForm = z.object({
  email: z.string().trim().min(1, 'Enter your email address').max(320).email('Enter an email address in the correct format, like name@example.org'),
  password: z.string().min(1, 'Enter your password').max(1000),
})
const codeForm = z.object({ code: z.string().trim().min(1, 'Enter the 6-digit code from your authenticator app').max(20) })

export async function authRoutes(app: FastifyInstance, { data, clock, config }: AppDeps): Promise<void> {
  const r = routes(app)
  type Keyed = { ip: string; body?: unknown; session?: { practitionerId: string } | null }
  const throttled = (keyGenerator: (req: Keyed) => string) => ({ config: { rateLimit: { max: config.signInRateLimit, timeWindow: '1 minute', hook: 'preHandler' as const, keyGenerator } } })
  // the password form is throttled per address typed (per client): a guessing attack on one account is slowed; the
  // account lockout stops the rest
  const strict = throttled((req) => `${req.ip}|${String((req.body as { email?: unknown } | undefined)?.email ?? '').trim().toLowerCase()}`)
  // the second factor (and the code asked again to add a passkey) is throttled per practitioner — from any client,
  // whatever the body carries, however many sessions their password opens. (Keyed by an `email` field when the body
  // had one, else by the session, any made-up `email` sent with the code, or a fresh sign-in, started a new count.)
  // Only someone past the password holds such a session, so nobody else can use up the practitioner's count.
  const perPractitioner = throttled((req) => (req.session ? `practitioner:${req.session.practitionerId}` : `${req.ip}|no-session`))

  r.get('/health', { permission: 'public', audit: 'none: liveness probe' }, async () => ({ status: 'ok', engine: data.engine }))

  r.get('/sign-in', { permission: 'public', audit: 'none: form' }, async (request, reply) => {
    if (request.actor) return reply.redirect('/')
    return reply.page('auth/views/sign-in.njk', { title: 'Sign in to TeamAround', values: {} })
  })

  r.post(
    '/sign-in',
    { permission: 'public', audit: 'auth.sign-in' },
    async (request, reply) => {
      const parsed = signInForm.safeParse(request.body)
      if (!parsed.success) {
        return reply.code(400).page('auth/views/sign-in.njk', { title: 'Sign in to TeamAround', ...formErrors(parsed.error), values: { email: (request.body as { email?: string })?.email ?? '' } })
      }
      const { email, password } = parsed.data
      const practitioner = await data.auth.findForSignIn(email)
      const now = clock.now()
      // always pay for one argon2 verification, known address or not
      const passwordOk = await verifyPassword(practitioner?.password_hash ?? DUMMY_HASH, password)
      const locked = practitioner?.locked_until && practitioner.locked_until > now
      if (!practitioner || !passwordOk || practitioner.disabled_at || locked) {
        await data.auth.signInFailed(email, practitioner ?? null, !practitioner ? 'unknown' : locked ? 'locked' : practitioner.disabled_at ? 'disabled' : 'password', request.id)
        return reply.code(401).page('auth/views/sign-in.njk', {
          title: 'Sign in to TeamAround',
          errors: [{ text: SIGN_IN_REFUSED, href: '#email' }],
          values: { email },
        })
      }
      const enrolled = Boolean(practitioner.totp_enrolled_at)
      const token = await data.auth.startSession(practitioner.id, practitioner.partnership_id, enrolled, request.id, enrolled ? null : newTotpSecret())
      reply.header('set-cookie', [setCookie(SESSION_COOKIE, token), clearCookie(PRE_COOKIE)])
      return reply.redirect(enrolled ? '/sign-in/mfa' : '/sign-in/mfa/enrol', 303)
    },
    strict,
  )

  r.get('/sign-in/mfa', { permission: 'public', audit: 'none: form' }, async (request, reply) => {
    const session = request.session
    if (session?.state !== 'mfa_challenge') return reply.redirect('/sign-in')
    return reply.page('auth/views/mfa.njk', mfaPageContext(session, await data.auth.passkeys.count(session)))
  })

  r.post(
    '/sign-in/mfa',
    { permission: 'public', audit: 'auth.sign-in' },
    async (request, reply) => {
      const session = request.session
      if (session?.state !== 'mfa_challenge' || !session.practitioner.totpSecret) return reply.redirect('/sign-in', 303)
      // information-governance officers and administrators: once they have a passkey, the code alone is not enough;
      // without one yet, the code leads on to adding one before anything else
      const required = passkeyRequired(session.memberships)
      const page = mfaPageContext(session, await data.auth.passkeys.count(session))
      if (!page.offerCode) {
        await data.auth.mfaFailed(session, 'code alone refused: this role requires a passkey', request.id)
        return reply.code(401).page('auth/views/mfa.njk', { ...page, errors: [{ text: 'Your role needs a passkey to sign in: use your passkey', href: '#passkey' }] })
      }
      const parsed = codeForm.safeParse(request.body)
      if (!parsed.success) return reply.code(400).page('auth/views/mfa.njk', { ...page, ...formErrors(parsed.error) })
      const check = await checkTotp(session.practitioner.totpSecret, parsed.data.code, clock.now())
      const token = check.valid ? await data.auth.completeMfa(session, check.timeStep, null, request.id, required ? 'passkey_enrol' : 'active') : null
      if (!token) {
        // counted on the account (a replayed code, or a right one while the account is locked, counts as wrong): at
        // the limit the account locks and this session ends
        return answerWrongCode(data.auth, request, reply, { session, action: 'auth.mfa', reason: check.valid ? 'code already used, or the account is locked' : 'wrong code' }, () =>
          reply.code(401).page('auth/views/mfa.njk', {
            ...page,
            errors: [{ text: 'The code is not right or has already been used. Wait for a new code and try again', href: '#code' }],
          }),
        )
      }
      reply.header('set-cookie', setCookie(SESSION_COOKIE, token))
      return reply.redirect(required ? '/sign-in/passkey/enrol' : '/', 303)
    },
    perPractitioner,
  )

  r.get('/sign-in/mfa/enrol', { permission: 'public', audit: 'none: form' }, async (request, reply) => {
    const session = request.session
    if (session?.state !== 'mfa_enrol' || !session.pendingTotpSecret) return reply.redirect('/sign-in')
    return reply.page('auth/views/enrol.njk', await enrolContext(session.pendingTotpSecret, session.practitioner.email))
  })

  r.post(
    '/sign-in/mfa/enrol',
    { permission: 'public', audit: 'auth.mfa-enrol' },
    async (request, reply) => {
      const session = request.session
      if (session?.state !== 'mfa_enrol' || !session.pendingTotpSecret) return reply.redirect('/sign-in', 303)
      const parsed = codeForm.safeParse(request.body)
      const ctx = await enrolContext(session.pendingTotpSecret, session.practitioner.email)
      if (!parsed.success) return reply.code(400).page('auth/views/enrol.njk', { ...ctx, ...formErrors(parsed.error) })
      const check = await checkTotp(session.pendingTotpSecret, parsed.data.code, clock.now())
      const required = passkeyRequired(session.memberships) && (await data.auth.passkeys.count(session)) === 0
      const token = check.valid ? await data.auth.completeMfa(session, check.timeStep, session.pendingTotpSecret, request.id, required ? 'passkey_enrol' : 'active') : null
      if (!token) {
        const reason = check.valid ? 'code already used, the account is locked, or an authenticator was set up since this enrolment began' : 'wrong code at enrolment'
        return answerWrongCode(data.auth, request, reply, { session, action: 'auth.mfa-enrol', reason }, () =>
          reply.code(401).page('auth/views/enrol.njk', { ...ctx, errors: [{ text: 'The code is not right. Check the key you typed and the time on your phone, then try again', href: '#code' }] }),
        )
      }
      reply.header('set-cookie', setCookie(SESSION_COOKIE, token))
      return reply.redirect(required ? '/sign-in/passkey/enrol' : '/', 303)
    },
    perPractitioner,
  )

  await passkeyRoutes(app, { data, clock, config }, perPractitioner)

  r.post('/sign-out', { permission: 'signed-in', audit: 'auth.sign-out' }, async (request, reply) => {
    if (request.actor && request.session) await data.auth.signOut(request.actor, request.session.idHash)
    reply.header('set-cookie', clearCookie(SESSION_COOKIE))
    return reply.redirect('/sign-in?signed-out=1', 303)
  })

  r.post('/session/extend', { permission: 'signed-in', audit: 'none: extends the idle timer' }, async (request, reply) => {
    if (request.session) await data.auth.touch(request.session.idHash)
    return reply.code(204).send()
  })

  r.get('/account/role', { permission: 'signed-in', audit: 'none: form' }, async (request, reply) => {
    return reply.page('auth/views/role.njk', { title: 'Change the role you are acting in', backLink: '/' })
  })

  r.post('/account/role', { permission: 'signed-in', audit: 'auth.switch-membership' }, async (request, reply) => {
    const membershipId = oneValue((request.body as { membership?: unknown })?.membership) ?? ''
    const ok = request.actor && request.session ? await data.auth.switchMembership(request.actor, request.session.idHash, membershipId) : false
    if (!ok) {
      return reply.code(400).page('auth/views/role.njk', { title: 'Change the role you are acting in', backLink: '/', errors: [{ text: 'Select one of your roles', href: '#membership' }] })
    }
    return reply.redirect('/', 303)
  })

  // a practitioner's own password: changed with the current one, and, for one created with an administrator's temporary
  // password, before anything else (the gate in app.ts sends every other page here until it is)
  const passwordPage = (request: FastifyRequest, reply: FastifyReply, code = 200, extra: FormErrors = { errors: [], fieldErrors: {} }) =>
    reply.code(code).page('auth/views/password.njk', {
      title: request.session?.practitioner.mustChangePassword ? 'Choose your own password' : 'Change your password',
      mustChange: request.session?.practitioner.mustChangePassword ?? false,
      minLength: PASSWORD_MIN,
      ...(request.session?.practitioner.mustChangePassword ? {} : { backLink: '/' }),
      ...extra,
    })
  r.get('/account/password', { permission: 'signed-in', audit: 'none: form' }, async (request, reply) => passwordPage(request, reply))
  r.post(
    '/account/password',
    { permission: 'signed-in', audit: 'auth.password-change' },
    async (request, reply) => {
      const body = (request.body ?? {}) as Record<string, unknown>
      const [current, password, confirm] = [oneValue(body.current), oneValue(body.password), oneValue(body.confirm)]
      const errors: { field: string; text: string }[] = []
      if (current === null || password === null || confirm === null) errors.push({ field: current === null ? 'current' : password === null ? 'password' : 'confirm', text: 'Each password was to be sent once: enter them again' })
      else {
        if (!current) errors.push({ field: 'current', text: 'Enter your current password' })
        if (!password) errors.push({ field: 'password', text: 'Enter a new password' })
        else if ([...password].length < PASSWORD_MIN) errors.push({ field: 'password', text: `The new password must be ${PASSWORD_MIN} characters or more` })
        else if (password.length > PASSWORD_MAX) errors.push({ field: 'password', text: `The new password must be ${PASSWORD_MAX} characters or fewer` })
        else if (password === current) errors.push({ field: 'password', text: 'The new password must be different from the current one' })
        else if (request.session && password.toLowerCase().includes(request.session.practitioner.email.split('@')[0]!.toLowerCase())) errors.push({ field: 'password', text: 'The new password must not contain your email address' })
        if (password && !errors.some((e) => e.field === 'password') && confirm !== password) errors.push({ field: 'confirm', text: 'The two new passwords are not the same: enter the new password again' })
      }
      const shown = (list: { field: string; text: string }[], code: number) => passwordPage(request, reply, code, { errors: list.map((e) => ({ text: e.text, href: `#${e.field}` })), fieldErrors: Object.fromEntries(list.map((e) => [e.field, { text: e.text }])) })
      if (errors.length) return shown(errors, 400)
      const outcome = await data.auth.changePassword(request.actor!, request.session!.idHash, current!, password!)
      if (outcome === 'wrong-current') return shown([{ field: 'current', text: 'Your current password is not right' }], 400)
      if (outcome === 'locked') return shown([{ field: 'current', text: 'Your account is locked for a few minutes after too many wrong passwords: try again later' }], 400)
      return reply.redirect('/?done=password', 303)
    },
    strict,
  )

  void isApi
}

/** A new password's length: at least 12 (NCSC: length over complexity), at most 256 (argon2 hashes any, but a limit). */
export const PASSWORD_MIN = 12
const PASSWORD_MAX = 256

async function enrolContext(secret: string, email: string) {
  const uri = totpUri(secret, email)
  const qr = await QRCode.toString(uri, { type: 'svg', margin: 1, width: 180 })
  return { title: 'Set up your authenticator app', secret: groupSecret(secret), qr }
}
