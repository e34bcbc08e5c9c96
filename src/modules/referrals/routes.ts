// Referrer pages (make a referral, follow its status, challenge the decision) and the front door's pages.
import { randomUUID } from 'node:crypto'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { z } from 'zod'
import type { AppDeps } from '../../platform/http/app.ts'
import { routes } from '../../platform/http/route.ts'
import { fieldError, formErrors, newChildErrors, newChildFields, newChildFrom, newChildSent, oneValue, parseForm, sentTwice, unlessFormGone, type CrossCheck, type FormErrors } from '../../web/forms.ts'
import { londonDateTime } from '../../web/dates.ts'
import { FieldRefusedError, FORM_SENT_BEFORE, KeyReusedError, RefusedError } from '../../data/unit-of-work.ts'
import { DECISIONS, type Decision } from '../../data/schema.ts'
import { AlreadyAcknowledgedError, DECISION_LABELS, STATUS_LABELS } from './repository.ts'
import { childPicker } from '../search/picker.ts'
import { searchesIdentityIndex } from '../search/repository.ts'

const list = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : v === undefined || v === '' ? [] : [String(v)])
const text = (max: number) => z.string().trim().max(max, `Must be ${max} characters or fewer`)

const referralForm = z
  .object({
    children: z.array(z.string()).default([]),
    ...newChildFields,
    kind: z.enum(['referral', 'contact'], { message: 'Say whether you are asking for a service or sharing information' }),
    reason: text(20_000).min(1, 'Say what you are worried about and why'),
    levelBelieved: z.enum(['1', '2', '3', '4'], { message: 'Choose the level of need you believe applies' }),
    levelReason: text(5000).min(1, 'Say why you believe this level applies'),
    parentsKnow: z.enum(['yes', 'no'], { message: 'Say whether the parents or carers know about this referral' }),
    parentsNotToldReason: text(5000).optional().default(''),
    urgency: z.enum(['immediate', 'today', 'routine'], { message: 'Choose how urgent it is' }),
    ppnReference: text(50).optional().default(''),
    concernIds: z.array(z.string().uuid()).default([]),
    idempotencyKey: z.string().uuid('This form has expired: reload the page'),
    publicName: text(200).optional().default(''),
    publicContact: text(200).optional().default(''),
  })

/**
 * Checks across fields, on the raw values. `newChild`: the actor may name a child not yet known (the front door:
 * searchesIdentityIndex), checked as on the concern form (`today` is London's date); for anyone else its fields are
 * not on the form and, if sent, ignored, as the caller's are.
 */
const referralCross = (today: string, newChild: boolean): CrossCheck => (v) => {
  const named = newChild && newChildSent(v)
  return [
    ...(!list(v.children).length && !named ? [{ path: 'children', message: 'Choose the child or children the referral is about' }] : []),
    ...(newChild ? newChildErrors(v, today) : []),
    ...(v.parentsKnow === 'no' && !String(v.parentsNotToldReason ?? '').trim() ? [{ path: 'parentsNotToldReason', message: 'Say why the parents or carers have not been told' }] : []),
  ]
}

const decisionForm = z.object({
  decision: z.enum(DECISIONS, { message: 'Choose the decision' }),
  rationale: text(20_000).min(1, 'Record the rationale for the decision: the referrer is told it'),
  levelFound: z.enum(['1', '2', '3', '4'], { message: 'Choose the level of need found' }),
  lateReason: text(5000).optional().default(''),
})

export async function referralRoutes(app: FastifyInstance, { data, clock }: AppDeps): Promise<void> {
  const r = routes(app)
  const repo = (req: FastifyRequest) => data.forActor(req.actor!).referrals

  async function renderForm(request: FastifyRequest, reply: FastifyReply, values: Record<string, unknown>, errors?: FormErrors) {
    const actor = request.actor!
    const [levels, picker] = await Promise.all([repo(request).levels(), childPicker(data.forActor(actor), 'referral', values.children)])
    return reply.code(errors ? 400 : 200).page('referrals/views/new.njk', {
      title: 'Refer to the front door',
      levels,
      picker,
      values,
      isFrontDoor: actor.role === 'front_door_social_worker',
      mayNameNewChild: searchesIdentityIndex(actor),
      isPolice: actor.role === 'police_officer',
      backLink: '/referrals',
      ...(errors ?? {}),
    })
  }

  r.get('/referrals/new', { permission: 'referral:make', audit: 'child.list' }, async (request, reply) => {
    const q = request.query as { child?: string | string[]; concern?: string }
    const values: Record<string, unknown> = { children: list(q.child), idempotencyKey: randomUUID(), kind: 'referral' }
    if (q.concern) {
      const found = await data.forActor(request.actor!).concerns.get(q.concern)
      if (found) {
        values.children = [found.concern.child_id]
        values.reason = found.concern.seen_or_heard + (found.concern.child_words ? `\n\nThe child said: "${found.concern.child_words}"` : '')
        values.concernIds = [found.concern.id]
      }
    }
    return renderForm(request, reply, values)
  })

  r.post('/referrals', { permission: 'referral:make', audit: 'referral.create' }, async (request, reply) => {
    const body = (request.body ?? {}) as Record<string, unknown>
    const mayNameNewChild = searchesIdentityIndex(request.actor!)
    // a child not yet known is the front door's to name: anyone else's form has no such fields, and any sent are ignored
    const sent = mayNameNewChild ? body : Object.fromEntries(Object.entries(body).filter(([k]) => !(k in newChildFields)))
    const values = { ...sent, children: list(body.children), concernIds: list(body.concernIds) }
    const parsed = parseForm(referralForm, values, referralCross(londonDateTime(clock.now()).date, mayNameNewChild))
    if (!parsed.ok) return renderForm(request, reply, values, parsed.errors)
    const v = parsed.data
    // a caller who gives only a way to reach them (or only a name) is still a call from the public, never the worker's own referral
    const isPublic = request.actor!.role === 'front_door_social_worker' && Boolean(v.publicName || v.publicContact)
    try {
      const result = await repo(request).submit({
        childIds: v.children,
        kind: v.kind,
        reason: v.reason,
        levelBelieved: Number(v.levelBelieved),
        levelReason: v.levelReason,
        parentsKnow: v.parentsKnow === 'yes',
        parentsNotToldReason: v.parentsNotToldReason || null,
        urgency: v.urgency,
        ppnReference: v.ppnReference || null,
        concernIds: v.concernIds,
        idempotencyKey: v.idempotencyKey,
        publicReferrer: isPublic ? { name: v.publicName, contact: v.publicContact } : null,
        newChild: mayNameNewChild ? newChildFrom(v) : null,
      })
      if (!result) return reply.callNotFound()
      return reply.redirect(`/referrals/${result.referrals[0]!.id}?sent=${result.referrals.length}`, 303)
    } catch (err) {
      if (err instanceof KeyReusedError) return renderForm(request, reply, { ...values, idempotencyKey: randomUUID() }, { errors: [{ text: FORM_SENT_BEFORE, href: '#children' }], fieldErrors: {} })
      if (err instanceof RefusedError) return renderForm(request, reply, values, { errors: [{ text: err.message, href: '#children' }], fieldErrors: {} })
      throw err
    }
  })

  r.get('/referrals', { permission: 'referral:make', audit: 'referral.list' }, async (request, reply) => {
    const rows = await repo(request).mine()
    return reply.page('referrals/views/mine.njk', { title: 'My referrals', rows, statuses: STATUS_LABELS, decisions: DECISION_LABELS, backLink: '/' })
  })

  async function statusPage(request: FastifyRequest, reply: FastifyReply, id: string, values: Record<string, unknown>, errors?: FormErrors) {
    const found = await repo(request).status(id)
    if (!found) return reply.callNotFound()
    const q = request.query as { sent?: string; challenged?: string }
    // the challenge form is shown only while a challenge can be made: otherwise the error says why not
    const shown =
      errors && !found.canChallenge
        ? unlessFormGone(errors, found.challenges.some((c) => c.status === 'open') ? 'A challenge to this decision is already with the front door’s team manager' : found.referral.decision === null ? 'There is no decision to challenge yet' : 'Only the practitioner who made the referral can challenge the decision')
        : errors
    return reply.code(errors ? 400 : 200).page('referrals/views/status.njk', { title: `Referral for ${found.referral.given_name} ${found.referral.family_name}`, ...found, statuses: STATUS_LABELS, decisions: DECISION_LABELS, sent: q.sent, challenged: q.challenged, values, backLink: '/referrals', ...(shown ?? {}) })
  }

  r.get('/referrals/:referralId', { permission: 'referral:make', audit: 'referral.status', record: true }, async (request, reply) => statusPage(request, reply, (request.params as { referralId: string }).referralId, {}))

  r.post('/referrals/:referralId/challenge', { permission: 'referral:make', audit: 'referral.challenge', record: true }, async (request, reply) => {
    const id = (request.params as { referralId: string }).referralId
    const sent = oneValue((request.body as { reason?: unknown })?.reason)
    const reason = (sent ?? '').trim()
    // sent twice (a hand-made request), the reason is said to be so, not answered as though it were missing
    const problem = sent === null ? sentTwice('Your reason') : !reason ? 'Say why you disagree with the decision' : reason.length > 10_000 ? 'Your reasons must be 10,000 characters or fewer' : null
    if (problem) return statusPage(request, reply, id, { reason }, fieldError(problem, 'reason'))
    try {
      const done = await repo(request).challenge(id, reason)
      if (!done) return reply.callNotFound()
    } catch (err) {
      if (err instanceof RefusedError) return statusPage(request, reply, id, { reason }, { errors: [{ text: err.message, href: '#reason' }], fieldErrors: {} })
      throw err
    }
    return reply.redirect(`/referrals/${id}?challenged=1`, 303)
  })

  // the front door
  r.get('/front-door', { permission: 'front-door:work', audit: 'referral.queue' }, async (request, reply) => {
    const queue = await repo(request).queue()
    return reply.page('referrals/views/queue.njk', { title: 'Front door queue', queue, backLink: '/' })
  })

  type Work = NonNullable<Awaited<ReturnType<ReturnType<typeof repo>['work']>>>
  /** `gone` says why the step's form is not on the page for this referral (null when it is there). */
  async function workPage(request: FastifyRequest, reply: FastifyReply, id: string, values: Record<string, unknown>, errors?: FormErrors, gone?: (found: Work) => string | null) {
    const [found, levels] = await Promise.all([repo(request).work(id), repo(request).levels()])
    if (!found) return reply.callNotFound()
    const shown = errors && gone ? unlessFormGone(errors, gone(found)) : errors
    const notice = errors ? undefined : (request.query as { notice?: string }).notice
    return reply.code(errors ? 400 : 200).page('referrals/views/work.njk', { title: `Referral for ${found.referral.given_name} ${found.referral.family_name}`, ...found, levels, statuses: STATUS_LABELS, decisions: DECISION_LABELS, values, notice, backLink: '/front-door', ...(shown ?? {}) })
  }

  // why a step's form is not on the work page (the referral moved on since the page was loaded, or the role cannot)
  const beforeDecision = (f: Work) => (['received', 'acknowledged', 'checks'].includes(f.referral.status) ? null : 'A decision has already been recorded on this referral')
  const signOffGone = (f: Work) => (f.referral.status !== 'awaiting_sign_off' ? 'This referral is not waiting for sign-off' : !f.canSignOff ? 'Only a team manager can sign off the decision' : null)
  const answerGone = (f: Work) => (!f.challenges.some((c) => c.status === 'open') ? 'There is no open challenge to answer on this referral' : !f.canSignOff ? 'Only a team manager can answer a challenge' : null)

  r.get('/front-door/referrals/:referralId', { permission: 'front-door:work', audit: 'referral.view', record: true }, async (request, reply) => workPage(request, reply, (request.params as { referralId: string }).referralId, {}))

  /** A step done lands on the referral; `notice` says something the page tells the worker about it (`?notice=`). */
  const step = (url: string, audit: string, run: (request: FastifyRequest, id: string) => Promise<{ ok: true; notice?: string } | null | FormErrors>, gone?: (found: Work) => string | null, formKey = false) =>
    r.post(url, { permission: 'front-door:work', audit, record: true, formKey }, async (request, reply) => {
      const id = (request.params as { referralId: string }).referralId
      let notice: string | undefined
      try {
        const done = await run(request, id)
        if (!done) return reply.callNotFound()
        if ('errors' in done) return workPage(request, reply, id, (request.body ?? {}) as Record<string, unknown>, done, gone)
        notice = done.notice
      } catch (err) {
        if (err instanceof FieldRefusedError) return workPage(request, reply, id, (request.body ?? {}) as Record<string, unknown>, fieldError(err.message, err.field), gone)
        if (err instanceof RefusedError) return workPage(request, reply, id, (request.body ?? {}) as Record<string, unknown>, { errors: [{ text: err.message, href: '#main-content' }], fieldErrors: {} }, gone)
        throw err
      }
      return reply.redirect(`/front-door/referrals/${id}${notice ? `?notice=${notice}` : ''}`, 303)
    })

  // acknowledged already (a colleague got there first, or the button was pressed twice): what the worker wanted is
  // done, so they land on the referral, which says who acknowledged it and when; nothing is changed or written again
  step('/front-door/referrals/:referralId/acknowledge', 'referral.acknowledge', async (request, id) => {
    try {
      return await repo(request).acknowledge(id)
    } catch (err) {
      if (err instanceof AlreadyAcknowledgedError) return { ok: true as const, notice: 'already-acknowledged' }
      throw err
    }
  })
  step('/front-door/referrals/:referralId/checks', 'referral.check', async (request, id) => {
    const b = (request.body ?? {}) as { agency?: string; finding?: string }
    const parsed = z.object({ agency: text(200).min(1, 'Say which agency you checked with'), finding: text(10_000).min(1, 'Record what the check found') }).safeParse(b)
    if (!parsed.success) return formErrors(parsed.error)
    return repo(request).addCheck(id, parsed.data)
  }, beforeDecision, true)
  step('/front-door/referrals/:referralId/decision', 'referral.decide', async (request, id) => {
    const parsed = decisionForm.safeParse(request.body ?? {})
    if (!parsed.success) return formErrors(parsed.error)
    return repo(request).decide(id, { decision: parsed.data.decision as Decision, rationale: parsed.data.rationale, levelFound: Number(parsed.data.levelFound), lateReason: parsed.data.lateReason || null })
  }, beforeDecision)
  step('/front-door/referrals/:referralId/sign-off', 'referral.sign-off', async (request, id) => {
    const b = (request.body ?? {}) as { approve?: string; note?: string }
    const parsed = z.object({ approve: z.enum(['yes', 'no'], { message: 'Choose whether you sign off the decision' }), note: text(5000).optional().default('') }).superRefine((v, c) => {
      if (v.approve === 'no' && !v.note) c.addIssue({ code: 'custom', path: ['note'], message: 'Say why the decision is returned' })
    }).safeParse(b)
    if (!parsed.success) return formErrors(parsed.error)
    return repo(request).signOff(id, { approve: parsed.data.approve === 'yes', note: parsed.data.note })
  }, signOffGone)
  step('/front-door/referrals/:referralId/challenge-answer', 'referral.challenge-answer', async (request, id) => {
    const parsed = z.object({ upheld: z.enum(['yes', 'no'], { message: 'Choose whether the challenge is upheld' }), response: text(10_000).min(1, 'Write the response the referrer will see'), lateReason: text(5000).optional().default('') }).safeParse(request.body ?? {})
    if (!parsed.success) return formErrors(parsed.error)
    return repo(request).answerChallenge(id, { upheld: parsed.data.upheld === 'yes', response: parsed.data.response, lateReason: parsed.data.lateReason || null })
  }, answerGone)
}
