// Emergency access (break-glass), self-claimed relationships, and their review by information governance. Pages only:
// break-glass must be an interactive, deliberate act with the second factor asked again, so it has no JSON API.
// Thin handlers: forms validated here, the code from the authenticator app checked here (its time step spent in the
// data layer, once), the repository decides everything else and writes the audit row.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { z } from 'zod'
import { BREAK_GLASS_MINUTES, SELF_CLAIM_DAYS, hasPermission } from '../../access/policy.ts'
import { ACCESS_REVIEW_OUTCOMES } from '../../data/schema.ts'
import { RefusedError } from '../../data/unit-of-work.ts'
import { checkTotp } from '../../platform/auth/totp.ts'
import type { AppDeps } from '../../platform/http/app.ts'
import { routes } from '../../platform/http/route.ts'
import { fieldError, parseForm, versionField, type FormErrors } from '../../web/forms.ts'
import { identifierHash, identifiersCross, identifiersForm, identifiersOf, knownChildForm } from './identifiers.ts'
import { CODE_REFUSED, MIN_REASON, OUTCOME_LABELS, type AccessKind, type AccessRequest, type Identifiers } from './repository.ts'
import { answerWrongCode } from '../auth/lockout.ts'

declare module 'fastify' {
  interface FastifyRequest {
    /** When the acting membership's break-glass to the child this page is about ends (null: none running). */
    breakGlassUntil: Date | null
  }
}

const decisionForm = z.object({
  rowVersion: versionField(),
  outcome: z.enum(ACCESS_REVIEW_OUTCOMES, { message: 'Choose the outcome of your review' }),
  notes: z.string().trim().max(10_000, 'Notes must be 10,000 characters or fewer').optional().default(''),
  endAccess: z.enum(['yes']).optional(),
})
const endForm = z.object({ rowVersion: versionField() })

type Values = Record<string, unknown>
const bodyOf = (request: FastifyRequest) => (request.body ?? {}) as Values
/** What was typed, kept for the form again — never the code. */
const keep = (values: Values): Values => Object.fromEntries(Object.entries(values).filter(([k]) => k !== 'code' && k !== '_csrf'))

/** The error summary in the order of the fields on the page (cross-field checks come last from parseForm). */
const FIELD_ORDER = ['child', 'nhsNumber', 'givenName', 'familyName', 'dateOfBirth', 'reason', 'code']
const inPageOrder = (e: FormErrors): FormErrors => ({ ...e, errors: [...e.errors].sort((a, b) => FIELD_ORDER.indexOf(a.href.slice(1)) - FIELD_ORDER.indexOf(b.href.slice(1))) })

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

export async function breakGlassRoutes(app: FastifyInstance, { data, clock, config }: AppDeps): Promise<void> {
  const r = routes(app)
  const repo = (req: FastifyRequest) => data.forActor(req.actor!).breakGlass
  // as at sign-in: attempts per session per minute, so the second factor cannot be guessed here either
  const throttled = {
    config: {
      rateLimit: {
        max: config.signInRateLimit,
        timeWindow: '1 minute',
        hook: 'preHandler' as const,
        keyGenerator: (req: { ip: string; session?: { idHash: string } | null }) => `${req.ip}|access|${req.session?.idHash ?? ''}`,
      },
    },
  }

  // The banner on a child's pages while break-glass is (part of) the reason for access, with when it ends.
  app.decorateRequest('breakGlassUntil', null)
  app.addHook('preHandler', async (request) => {
    const childId = (request.params as { childId?: unknown } | undefined)?.childId
    const actor = request.actor
    if (request.method !== 'GET' || request.url.startsWith('/api/') || typeof childId !== 'string' || !actor || !hasPermission(actor.role, 'access:break-glass') || !UUID.test(childId)) return
    // loaded with the session (src/data/repositories/auth.ts): no query of its own
    let until: Date | null = null
    for (const b of request.session?.breakGlass ?? []) if (b.membershipId === actor.membershipId && b.childId === childId && (!until || b.until > until)) until = b.until
    request.breakGlassUntil = until
  })

  const FORM_TITLES: Record<AccessKind, string> = { break_glass: 'Emergency access to a child’s record', self_claimed: 'Claim a relationship with a child' }

  interface FormState {
    values?: Values
    errors?: FormErrors
    status?: number
    known?: { id: string; name: string; dateOfBirth: string | null }
  }

  function formPage(reply: FastifyReply, kind: AccessKind, state: FormState = {}) {
    return reply.code(state.status ?? (state.errors ? 400 : 200)).page(kind === 'break_glass' ? 'breakglass/views/emergency.njk' : 'breakglass/views/claim.njk', {
      title: FORM_TITLES[kind],
      values: state.values ?? {},
      known: state.known ?? null,
      minReason: MIN_REASON,
      minutes: BREAK_GLASS_MINUTES,
      days: SELF_CLAIM_DAYS,
      errors: state.errors?.errors,
      fieldErrors: state.errors?.fieldErrors ?? {},
      backLink: '/',
    })
  }

  /** The act, for both kinds: the form, the second factor, then the repository; a match opens the child's record. */
  async function act(request: FastifyRequest, reply: FastifyReply, kind: AccessKind) {
    const body = bodyOf(request)
    const actor = request.actor!
    const values = keep(body)
    const childParam = kind === 'self_claimed' && typeof body.child === 'string' && body.child ? body.child : null
    let known: FormState['known']
    let identifiers: Identifiers
    let reason: string
    let code: string
    if (childParam) {
      // a child found in the partnership's identity index (the front door's search): claimed by id
      known = await repo(request).identityIndexChild(childParam)
      if (!known) return reply.callNotFound()
      const parsed = parseForm(knownChildForm, body)
      if (!parsed.ok) {
        await repo(request).refused(kind, { fields: Object.keys(parsed.errors.fieldErrors) })
        return formPage(reply, kind, { values, errors: parsed.errors, known })
      }
      identifiers = { kind: 'identity_index', childId: known.id }
      reason = parsed.data.reason
      code = parsed.data.code
    } else {
      const parsed = parseForm(identifiersForm, body, identifiersCross)
      if (!parsed.ok) {
        // refused before anything is looked up: audited with the fields that were wrong, never their values
        await repo(request).refused(kind, { fields: Object.keys(parsed.errors.fieldErrors) })
        return formPage(reply, kind, { values, errors: inPageOrder(parsed.errors) })
      }
      identifiers = identifiersOf(parsed.data)
      reason = parsed.data.reason
      code = parsed.data.code
    }
    const session = request.session!
    const secret = session.practitioner.totpSecret
    const check = secret ? await checkTotp(secret, code, clock.now()) : { valid: false as const }
    // a wrong code here counts on the account as at sign-in (a replayed one too): at the limit the account locks and
    // this session ends
    const wrongCode = (reason: string, text: string) =>
      answerWrongCode(data.auth, request, reply, { session, actor, action: 'auth.mfa', reason: `${reason} (${kind === 'break_glass' ? 'emergency access' : 'claimed relationship'})` }, () => formPage(reply, kind, { values, known, errors: fieldError(text, 'code') }))
    if (!check.valid) {
      await repo(request).refused(kind, { secondFactor: 'wrong code' })
      return wrongCode('wrong code', 'The code is not right or has already been used. Wait for a new code and try again')
    }
    const input: AccessRequest = { identifiers, identifierHash: identifierHash(config.audit.hmacKey, actor.partnershipId, identifiers), reason, totpStep: check.timeStep }
    try {
      const result = kind === 'break_glass' ? await repo(request).breakGlass(input) : await repo(request).selfClaim(input)
      if (result.found) return reply.redirect(`/children/${result.childId}`, 303)
      return reply.page('breakglass/views/no-match.njk', { title: 'No record matches exactly', kind, backLink: kind === 'break_glass' ? '/access/emergency' : '/access/claim' })
    } catch (err) {
      if (err instanceof RefusedError && err.message === CODE_REFUSED) return wrongCode('code already used, or the account is locked', err.message)
      if (err instanceof RefusedError) return formPage(reply, kind, { values, known, errors: fieldError(err.message, /code/i.test(err.message) ? 'code' : 'reason') })
      throw err
    }
  }

  r.get('/access/emergency', { permission: 'access:break-glass', audit: 'none: form' }, async (_request, reply) => formPage(reply, 'break_glass'))
  r.post('/access/emergency', { permission: 'access:break-glass', audit: 'access.break-glass' }, async (req, reply) => act(req, reply, 'break_glass'), throttled)

  r.get('/access/claim', { permission: 'access:self-claim', audit: 'access.self-claim.form' }, async (request, reply) => {
    const child = (request.query as { child?: unknown }).child
    if (typeof child === 'string' && child) {
      const known = await repo(request).identityIndexChild(child)
      if (!known) return reply.callNotFound()
      return formPage(reply, 'self_claimed', { known })
    }
    return formPage(reply, 'self_claimed')
  })
  r.post('/access/claim', { permission: 'access:self-claim', audit: 'access.self-claim' }, async (req, reply) => act(req, reply, 'self_claimed'), throttled)

  // Information governance: the review queue and history, one request, the outcome, ending access
  r.get('/access/reviews', { permission: 'access:review', audit: 'access.review.list' }, async (request, reply) => {
    const items = await repo(request).queue()
    const q = request.query as { saved?: string }
    return reply.page('breakglass/views/reviews.njk', { title: 'Emergency and claimed access to review', items, history: false, outcomeLabels: OUTCOME_LABELS, saved: q.saved === '1', backLink: '/' })
  })
  r.get('/access/reviews/history', { permission: 'access:review', audit: 'access.review.list' }, async (request, reply) => {
    const items = await repo(request).history()
    return reply.page('breakglass/views/reviews.njk', { title: 'Reviewed emergency and claimed access', items, history: true, outcomeLabels: OUTCOME_LABELS, backLink: '/access/reviews' })
  })

  async function reviewPage(request: FastifyRequest, reply: FastifyReply, id: string, state: { values?: Values; errors?: FormErrors; status?: number; conflict?: boolean } = {}) {
    const review = await repo(request).review(id)
    if (!review) return reply.callNotFound()
    return reply.code(state.status ?? (state.errors ? 400 : 200)).page('breakglass/views/review.njk', {
      title: review.kind === 'break_glass' ? 'Review emergency access' : 'Review a claimed relationship',
      review,
      values: state.values ?? {},
      conflict: state.conflict ?? false,
      outcomeLabels: OUTCOME_LABELS,
      errors: state.errors?.errors,
      fieldErrors: state.errors?.fieldErrors ?? {},
      backLink: '/access/reviews',
    })
  }

  r.get('/access/reviews/:reviewId', { permission: 'access:review', audit: 'access.review.view', record: true }, async (request, reply) => reviewPage(request, reply, (request.params as { reviewId: string }).reviewId))

  r.post('/access/reviews/:reviewId', { permission: 'access:review', audit: 'access.review.record', record: true }, async (request, reply) => {
    const { reviewId } = request.params as { reviewId: string }
    const body = bodyOf(request)
    const parsed = parseForm(decisionForm, body, (v) => (v.outcome && v.outcome !== 'appropriate' && !String(v.notes ?? '').trim() ? [{ path: 'notes', message: 'Say what was wrong, or what needs to follow up' }] : []))
    if (!parsed.ok) return reviewPage(request, reply, reviewId, { values: body, errors: parsed.errors })
    try {
      const done = await repo(request).decide(reviewId, { outcome: parsed.data.outcome, notes: parsed.data.notes, endAccess: parsed.data.endAccess === 'yes', rowVersion: parsed.data.rowVersion })
      if (!done) return reply.callNotFound()
      if (done.conflict) return reviewPage(request, reply, reviewId, { values: body, status: 409, conflict: true, errors: fieldError('Someone else has reviewed this since you opened it. Check their review below, then record yours again', 'outcome') })
    } catch (err) {
      if (err instanceof RefusedError) return reviewPage(request, reply, reviewId, { values: body, errors: fieldError(err.message, 'notes') })
      throw err
    }
    return reply.redirect('/access/reviews?saved=1', 303)
  })

  r.post('/access/reviews/:reviewId/end', { permission: 'access:review', audit: 'access.review.end', record: true }, async (request, reply) => {
    const { reviewId } = request.params as { reviewId: string }
    const parsed = parseForm(endForm, bodyOf(request))
    if (!parsed.ok) return reviewPage(request, reply, reviewId, { errors: parsed.errors })
    try {
      const done = await repo(request).endAccess(reviewId, parsed.data.rowVersion)
      if (!done) return reply.callNotFound()
      if (done.conflict) return reviewPage(request, reply, reviewId, { status: 409, conflict: true, errors: fieldError('Someone else has changed this since you opened it. Check it below, then try again', 'outcome') })
    } catch (err) {
      if (err instanceof RefusedError) return reviewPage(request, reply, reviewId, { errors: fieldError(err.message, 'outcome') })
      throw err
    }
    return reply.redirect(`/access/reviews/${reviewId}`, 303)
  })

  // A manager who was alerted: who, when, and what became of it (not the child, not the reason)
  r.get('/access/alerts/:reviewId', { permission: 'signed-in', audit: 'access.alert.view', record: true }, async (request, reply) => {
    const alert = await repo(request).alert((request.params as { reviewId: string }).reviewId)
    if (!alert) return reply.callNotFound()
    return reply.page('breakglass/views/alert.njk', { title: alert.kind === 'break_glass' ? 'Emergency access by a practitioner you manage' : 'A relationship claimed by a practitioner you manage', alert, outcomeLabels: OUTCOME_LABELS, backLink: '/notifications' })
  })
}
