// Visits on a child's record (statutory visits on a CP plan, joint visits by two agencies) and management
// oversight and supervision notes. Thin handlers: forms validated here, the repository decides access.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { z } from 'zod'
import type { AppDeps } from '../../platform/http/app.ts'
import { routes } from '../../platform/http/route.ts'
import { dateField, fieldError, parseForm, versionField, type CrossCheck, type FormErrors } from '../../web/forms.ts'
import { londonDateTime } from '../../web/dates.ts'
import { RefusedError } from '../../data/unit-of-work.ts'
import { hasPermission } from '../../access/policy.ts'

const date = (what: string) => dateField(`The date of the ${what}`, { format: `Enter the date of the ${what} as YYYY-MM-DD` })
const time = (what: string) => z.string({ message: `Enter the time of the ${what}` }).trim().regex(/^([01]\d|2[0-3]):[0-5]\d$/, `Enter the time of the ${what} as HH:MM`)
const text = (max: number) => z.string().trim().max(max, `Must be ${max.toLocaleString('en-GB')} characters or fewer`).optional().default('')
const required = (message: string, max = 10_000) => z.string({ message }).trim().min(1, message).max(max, `Must be ${max.toLocaleString('en-GB')} characters or fewer`)
const yesNo = (message: string) => z.enum(['yes', 'no'], { message })

const statutoryForm = z.object({
  visitedDate: date('visit'),
  visitedTime: time('visit'),
  childSeen: yesNo('Say whether the child was seen'),
  seenAlone: z.enum(['yes', 'no', '']).optional().default(''),
  notSeenReason: text(5000),
  childWords: text(10_000),
  observations: text(10_000),
  lateReason: text(5000),
})
const statutoryCross: CrossCheck = (v) => [
  ...(v.childSeen === 'yes' && v.seenAlone !== 'yes' && v.seenAlone !== 'no' ? [{ path: 'seenAlone', message: 'Say whether the child was seen alone' }] : []),
  ...(v.childSeen === 'no' && !String(v.notSeenReason ?? '').trim() ? [{ path: 'notSeenReason', message: 'The child was not seen: say why' }] : []),
]

const planForm = z.object({
  plannedDate: date('joint visit'),
  plannedTime: time('joint visit'),
  withMembershipId: required('Choose the practitioner from another agency', 100),
  purpose: required('Say what the joint visit is for', 5000),
})

const recordForm = z.object({
  rowVersion: versionField(),
  jvDate: date('visit'),
  jvTime: time('visit'),
  agreed: required('Say what was agreed'),
  followUps: text(10_000),
  jvChildSeen: z.enum(['yes', 'no', '']).optional().default(''),
  jvSeenAlone: z.enum(['yes', 'no', '']).optional().default(''),
  jvNotSeenReason: text(5000),
  jvChildWords: text(10_000),
})
const recordCross: CrossCheck = (v) => [
  ...(v.jvChildSeen === 'yes' && v.jvSeenAlone !== 'yes' && v.jvSeenAlone !== 'no' ? [{ path: 'jvSeenAlone', message: 'Say whether the child was seen alone' }] : []),
  ...(v.jvChildSeen === 'no' && !String(v.jvNotSeenReason ?? '').trim() ? [{ path: 'jvNotSeenReason', message: 'The child was not seen: say why' }] : []),
]

const cancelForm = z.object({
  rowVersion: versionField(),
  cancelReason: required('Say why the joint visit is cancelled', 5000),
})

const oversightForm = z.object({
  kind: z.enum(['oversight', 'supervision'], { message: 'Choose management oversight or supervision' }),
  note: required('Enter the note'),
  decisions: required('Record the decisions you made'),
})

type Values = Record<string, unknown>
const bodyOf = (request: FastifyRequest) => (request.body ?? {}) as Values

/** Where a refusal from the repository belongs on the form. */
function refusalField(message: string, fallback: string): string {
  if (/late|timescale/i.test(message)) return 'lateReason'
  if (/agency|practitioner/i.test(message)) return 'withMembershipId'
  if (/not seen/i.test(message)) return fallback === 'jvDate' ? 'jvNotSeenReason' : 'notSeenReason'
  if (/decisions/i.test(message)) return 'decisions'
  return fallback
}

export async function visitRoutes(app: FastifyInstance, { data, clock }: AppDeps): Promise<void> {
  const r = routes(app)
  const repo = (req: FastifyRequest) => data.forActor(req.actor!).visits

  interface PageState {
    values?: Values
    errors?: FormErrors
    /** The planned joint visit whose record (or cancel) form is open. */
    recording?: string
    cancelling?: string
  }

  async function visitsPage(request: FastifyRequest, reply: FastifyReply, childId: string, state: PageState = {}) {
    const found = await repo(request).forChild(childId)
    if (!found) return reply.callNotFound()
    const actor = request.actor!
    const q = request.query as { record?: string; cancel?: string; saved?: string }
    const now = londonDateTime(clock.now())
    const recording = state.recording ?? q.record
    const cancelling = state.cancelling ?? q.cancel
    const open = found.visits.find((v) => v.kind === 'joint' && v.status === 'planned' && (v.id === recording || v.id === cancelling))
    return reply.code(state.errors ? 400 : 200).page('visits/views/visits.njk', {
      title: `Visits: ${found.child.given_name} ${found.child.family_name}`,
      ...found,
      now: clock.now(),
      values: { visitedDate: now.date, jvDate: now.date, ...(state.values ?? {}) },
      canRecordStatutory: hasPermission(actor.role, 'cp:record'),
      recording: open && open.id === recording ? open : null,
      cancelling: open && open.id === cancelling && open.id !== recording ? open : null,
      saved: q.saved,
      backLink: `/children/${childId}`,
      errors: state.errors?.errors,
      fieldErrors: state.errors?.fieldErrors ?? {},
    })
  }

  r.get('/children/:childId/visits', { permission: 'child:read', audit: 'visit.list', record: true }, async (request, reply) => visitsPage(request, reply, (request.params as { childId: string }).childId))

  r.post('/children/:childId/visits', { permission: 'cp:record', audit: 'visit.record', record: true, formKey: true }, async (request, reply) => {
    const { childId } = request.params as { childId: string }
    const parsed = parseForm(statutoryForm, bodyOf(request), statutoryCross)
    if (!parsed.ok) return visitsPage(request, reply, childId, { values: bodyOf(request), errors: parsed.errors })
    const v = parsed.data
    const visitedAt = londonDateTime.toInstant(v.visitedDate, v.visitedTime)
    if (visitedAt > clock.now()) return visitsPage(request, reply, childId, { values: bodyOf(request), errors: fieldError('The visit cannot be in the future', 'visitedDate') })
    try {
      const done = await repo(request).recordStatutory(childId, {
        visitedAt,
        childSeen: v.childSeen === 'yes',
        seenAlone: v.childSeen === 'yes' ? v.seenAlone === 'yes' : null,
        notSeenReason: v.childSeen === 'no' ? v.notSeenReason : null,
        childWords: v.childWords,
        observations: v.observations,
        lateReason: v.lateReason || null,
      })
      if (!done) return reply.callNotFound()
    } catch (err) {
      if (err instanceof RefusedError) return visitsPage(request, reply, childId, { values: bodyOf(request), errors: fieldError(err.message, refusalField(err.message, 'visitedDate')) })
      throw err
    }
    return reply.redirect(`/children/${childId}/visits?saved=visit`, 303)
  })

  r.post('/children/:childId/visits/joint', { permission: 'tac:work', audit: 'visit.joint.plan', record: true, formKey: true }, async (request, reply) => {
    const { childId } = request.params as { childId: string }
    const parsed = parseForm(planForm, bodyOf(request))
    if (!parsed.ok) return visitsPage(request, reply, childId, { values: bodyOf(request), errors: parsed.errors })
    const v = parsed.data
    try {
      const done = await repo(request).planJoint(childId, { plannedFor: londonDateTime.toInstant(v.plannedDate, v.plannedTime), withMembershipId: v.withMembershipId, purpose: v.purpose })
      if (!done) return reply.callNotFound()
    } catch (err) {
      if (err instanceof RefusedError) return visitsPage(request, reply, childId, { values: bodyOf(request), errors: fieldError(err.message, refusalField(err.message, 'plannedDate')) })
      throw err
    }
    return reply.redirect(`/children/${childId}/visits?saved=planned`, 303)
  })

  async function conflictPage(request: FastifyRequest, reply: FastifyReply, childId: string, current: unknown, mine: Values, action: 'record' | 'cancel') {
    return reply.code(409).page('visits/views/conflict.njk', { title: 'Someone else has changed this visit', childId, current, mine, action, backLink: `/children/${childId}/visits` })
  }

  r.post('/children/:childId/visits/:visitId/record', { permission: 'tac:work', audit: 'visit.joint.record', record: true }, async (request, reply) => {
    const { childId, visitId } = request.params as { childId: string; visitId: string }
    const parsed = parseForm(recordForm, bodyOf(request), recordCross)
    if (!parsed.ok) return visitsPage(request, reply, childId, { values: bodyOf(request), errors: parsed.errors, recording: visitId })
    const v = parsed.data
    const visitedAt = londonDateTime.toInstant(v.jvDate, v.jvTime)
    if (visitedAt > clock.now()) return visitsPage(request, reply, childId, { values: bodyOf(request), errors: fieldError('The visit cannot be in the future', 'jvDate'), recording: visitId })
    const seen = v.jvChildSeen === '' ? null : v.jvChildSeen === 'yes'
    try {
      const done = await repo(request).recordJoint(childId, visitId, v.rowVersion, {
        visitedAt,
        agreed: v.agreed,
        followUps: v.followUps,
        childSeen: seen,
        seenAlone: seen ? v.jvSeenAlone === 'yes' : null,
        notSeenReason: seen === false ? v.jvNotSeenReason : null,
        childWords: v.jvChildWords,
      })
      if (!done) return reply.callNotFound()
      if (done.conflict) return conflictPage(request, reply, childId, done.current, bodyOf(request), 'record')
    } catch (err) {
      if (err instanceof RefusedError) return visitsPage(request, reply, childId, { values: bodyOf(request), errors: fieldError(err.message, refusalField(err.message, 'jvDate')), recording: visitId })
      throw err
    }
    return reply.redirect(`/children/${childId}/visits?saved=recorded`, 303)
  })

  r.post('/children/:childId/visits/:visitId/cancel', { permission: 'tac:work', audit: 'visit.joint.cancel', record: true }, async (request, reply) => {
    const { childId, visitId } = request.params as { childId: string; visitId: string }
    const parsed = parseForm(cancelForm, bodyOf(request))
    if (!parsed.ok) return visitsPage(request, reply, childId, { values: bodyOf(request), errors: parsed.errors, cancelling: visitId })
    const done = await repo(request).cancelJoint(childId, visitId, parsed.data.rowVersion, parsed.data.cancelReason)
    if (!done) return reply.callNotFound()
    if (done.conflict) return conflictPage(request, reply, childId, done.current, bodyOf(request), 'cancel')
    return reply.redirect(`/children/${childId}/visits?saved=cancelled`, 303)
  })

  async function oversightPage(request: FastifyRequest, reply: FastifyReply, childId: string, state: PageState = {}) {
    const found = await repo(request).oversight(childId)
    if (!found) return reply.callNotFound()
    return reply.code(state.errors ? 400 : 200).page('visits/views/oversight.njk', {
      title: `Oversight and supervision: ${found.child.given_name} ${found.child.family_name}`,
      ...found,
      values: state.values ?? {},
      saved: (request.query as { saved?: string }).saved,
      backLink: `/children/${childId}`,
      errors: state.errors?.errors,
      fieldErrors: state.errors?.fieldErrors ?? {},
    })
  }

  r.get('/children/:childId/oversight', { permission: 'child:read', audit: 'oversight.list', record: true }, async (request, reply) => oversightPage(request, reply, (request.params as { childId: string }).childId))

  r.post('/children/:childId/oversight', { permission: 'oversight:record', audit: 'oversight.record', record: true, formKey: true }, async (request, reply) => {
    const { childId } = request.params as { childId: string }
    const parsed = parseForm(oversightForm, bodyOf(request))
    if (!parsed.ok) return oversightPage(request, reply, childId, { values: bodyOf(request), errors: parsed.errors })
    try {
      const done = await repo(request).addOversight(childId, parsed.data)
      if (!done) return reply.callNotFound()
    } catch (err) {
      if (err instanceof RefusedError) return oversightPage(request, reply, childId, { values: bodyOf(request), errors: fieldError(err.message, refusalField(err.message, 'note')) })
      throw err
    }
    return reply.redirect(`/children/${childId}/oversight?saved=1`, 303)
  })
}
