// The joint agency plan of a team around the child: the plan page (outcomes and actions, the review date), adding,
// changing and removing outcomes and actions (row_version guards every edit: a stale one shows both versions),
// versions and their comparison ("what changed since the last review"), the family's version, the PDF for members
// and for the family, reviews, and the progress chart (SVG) with its table.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { z } from 'zod'
import type { AppDeps } from '../../platform/http/app.ts'
import { routes } from '../../platform/http/route.ts'
import { pdfAvailable } from '../../platform/pdf/print.ts'
import { pdfUnavailable, sendPdf } from '../../platform/pdf/reply.ts'
import { fieldError, oneValue, parseForm, queryInt, sentTwice, versionField, type FormErrors } from '../../web/forms.ts'
import { FieldRefusedError, RefusedError } from '../../data/unit-of-work.ts'
import { ACTION_STATUSES, type ActionStatus } from '../../data/schema.ts'
import { isCalendarDate, londonDateTime } from '../../web/dates.ts'
import { progressSvg, shortDate } from './chart.ts'
import { formatPence, STATUS_LABELS } from './plan-store.ts'
import { OutcomeRemovedError, type ActionInput, type ChangeResult, type Conflict, type OutcomeInput, type ReviewInput } from './repository.ts'

const validDate = (v: string) => isCalendarDate(v)
const text = (max: number, message: string) => z.string().trim().min(1, message).max(max, `Must be ${max.toLocaleString('en-GB')} characters or fewer`)
const optional = (max: number) => z.string().trim().max(max, `Must be ${max.toLocaleString('en-GB')} characters or fewer`).optional().default('')
const date = (message: string) => z.string().trim().refine(validDate, message)
const optionalDate = (message: string) => z.string().trim().optional().default('').refine((v) => v === '' || validDate(v), message)
/** The highest version number a query may name (the database's integer). */
const MAX_VERSION = 2_147_483_647
const rowVersion = versionField('The form is out of date: reload the page')

/** What a cost that parseCost refuses is told (the plan's action form and a meeting's, which adds to the plan). */
export const COST_MESSAGE = 'Enter the cost in pounds, like 150 or 1,234.50 (or leave it blank)'

/** '£1,234.50', '1234.5', '150' → pence; '' → null; anything else → undefined (invalid). */
export function parseCost(raw: string): number | null | undefined {
  const v = raw.replace(/[£,\s]/g, '')
  if (v === '') return null
  if (!/^\d{1,7}(\.\d{1,2})?$/.test(v)) return undefined
  const [pounds, pence = ''] = v.split('.')
  return Number(pounds) * 100 + Number(pence.padEnd(2, '0'))
}

const outcomeForm = z.object({
  body: text(2000, 'Say what will be different for the child'),
  childId: optional(36),
  measure: z.enum(['scale', 'named'], { message: 'Choose how progress will be measured' }),
  measureName: optional(200),
})
const outcomeCross = (v: Record<string, unknown>) => (v.measure === 'named' && !String(v.measureName ?? '').trim() ? [{ path: 'measureName', message: 'Name the measure' }] : [])

const actionForm = z.object({
  what: text(2000, 'Say what will be done'),
  owner: text(36, 'Choose who will do this'),
  ownerName: optional(200),
  ownerAgency: optional(200),
  dueOn: date('Enter the date it will be done by as YYYY-MM-DD'),
  place: optional(500),
  cost: optional(20),
  status: z.enum(ACTION_STATUSES, { message: 'Choose the status' }).optional(),
})
const actionCross = (v: Record<string, unknown>) => {
  const out: { path: string; message: string }[] = []
  if (parseCost(String(v.cost ?? '')) === undefined) out.push({ path: 'cost', message: COST_MESSAGE })
  if (v.owner === 'other' && !String(v.ownerName ?? '').trim()) out.push({ path: 'ownerName', message: 'Enter the name of the person who will do this' })
  return out
}
const statusForm = z.object({ status: z.enum(ACTION_STATUSES, { message: 'Choose the status' }), rowVersion })
const removeForm = z.object({ rowVersion })
const reviewDateForm = z.object({ nextReviewOn: optionalDate('Enter the review date as YYYY-MM-DD'), previous: optional(10) })

const reviewForm = z.object({
  heldOn: date('Enter the date the review was held as YYYY-MM-DD'),
  meetingId: optional(36),
  childView: optional(10_000),
  familyView: optional(10_000),
  summary: optional(10_000),
  nextReviewOn: optionalDate('Enter the next review date as YYYY-MM-DD'),
  lateReason: optional(5000),
})

const ACTION_FIELDS: [string, string][] = [
  ['what', 'What'],
  ['owner', 'Who'],
  ['dueOn', 'Due date'],
  ['place', 'Where'],
  ['cost', 'Cost'],
  ['status', 'Status'],
]
const OUTCOME_FIELDS: [string, string][] = [
  ['body', 'What will be different'],
  ['child', 'For'],
  ['measure', 'How progress is measured'],
]

export async function planRoutes(app: FastifyInstance, { data, clock, config }: AppDeps): Promise<void> {
  const r = routes(app)
  const repo = (req: FastifyRequest) => data.forActor(req.actor!).plans
  const tacOf = (request: FastifyRequest) => (request.params as { tacId: string }).tacId
  const body = (request: FastifyRequest) => (request.body ?? {}) as Record<string, unknown>
  const noErrors = { errors: [], fieldErrors: {} }
  const refused = (err: RefusedError, href = '#main-content'): FormErrors => ({ errors: [{ text: err.message, href }], fieldErrors: {} })

  type PlanData = NonNullable<Awaited<ReturnType<ReturnType<typeof repo>['plan']>>>
  const childrenNames = (p: { children: { given_name: string }[] }) => p.children.map((c) => c.given_name).join(' and ')

  async function planPage(request: FastifyRequest, reply: FastifyReply, extra: Record<string, unknown> = {}, status = 200) {
    const p = await repo(request).plan(tacOf(request))
    if (!p) return reply.callNotFound()
    const q = request.query as { done?: string }
    return reply.code(status).page('plans/views/plan.njk', { title: `Joint plan for ${childrenNames(p)}`, ...p, done: q.done, values: { nextReviewOn: p.tac.nextReviewOn ?? '' }, statusLabels: STATUS_LABELS, backLink: `/teams/${p.tac.id}`, ...noErrors, ...extra })
  }

  const ownerItems = (p: PlanData, selected: unknown) => [
    { value: '', text: 'Choose who will do this' },
    ...p.members.map((m) => ({ value: m.membershipId, text: `${m.name}, ${m.agency} (${m.role})`, selected: selected === m.membershipId })),
    { value: 'other', text: 'Someone else: a family member or another person', selected: selected === 'other' },
  ]

  // ---------- the plan ----------

  r.get('/teams/:tacId/plan', { permission: 'tac:work', audit: 'plan.view', record: true }, async (request, reply) => planPage(request, reply))

  async function outcomePage(request: FastifyRequest, reply: FastifyReply, outcomeId: string | null, values: Record<string, unknown> | null, errors: FormErrors = noErrors) {
    const p = await repo(request).plan(tacOf(request))
    if (!p || !p.canEdit) return reply.callNotFound()
    const outcome = outcomeId ? p.outcomes.find((o) => o.id === outcomeId) : null
    if (outcomeId && !outcome) return reply.callNotFound()
    const v = values ?? (outcome ? { body: outcome.body, childId: outcome.childId ?? '', measure: outcome.measure, measureName: outcome.measureName ?? '', rowVersion: outcome.rowVersion } : { measure: 'scale', childId: '' })
    return reply.code(errors.errors.length ? 400 : 200).page('plans/views/outcome.njk', { title: outcome ? 'Change an outcome' : 'Add an outcome', ...p, outcome, values: v, backLink: `/teams/${p.tac.id}/plan`, ...errors })
  }

  async function actionPage(request: FastifyRequest, reply: FastifyReply, ids: { outcomeId?: string; actionId?: string }, values: Record<string, unknown> | null, errors: FormErrors = noErrors) {
    const p = await repo(request).plan(tacOf(request))
    if (!p || !p.canEdit) return reply.callNotFound()
    const action = ids.actionId ? p.outcomes.flatMap((o) => o.actions).find((a) => a.id === ids.actionId) : null
    const outcome = p.outcomes.find((o) => o.id === (action ? action.outcomeId : ids.outcomeId))
    if (!outcome || (ids.actionId && !action)) return reply.callNotFound()
    const v =
      values ??
      (action
        ? { what: action.what, owner: action.ownerMembershipId ?? 'other', ownerName: action.ownerMembershipId ? '' : action.ownerName, ownerAgency: action.ownerMembershipId ? '' : action.ownerAgency, dueOn: action.dueOn, place: action.place, cost: action.costPence === null ? '' : (action.costPence / 100).toFixed(2), status: action.status, rowVersion: action.rowVersion }
        : { owner: '' })
    return reply.code(errors.errors.length ? 400 : 200).page('plans/views/action.njk', {
      title: action ? 'Change an action' : 'Add an action',
      ...p,
      outcome,
      action,
      values: v,
      ownerItems: ownerItems(p, v.owner),
      statusItems: ACTION_STATUSES.map((s) => ({ value: s, text: STATUS_LABELS[s], checked: v.status === s })),
      backLink: `/teams/${p.tac.id}/plan`,
      ...errors,
    })
  }

  /** The 409 page: their current version and yours side by side, and a form that applies yours on top of theirs. */
  async function conflictPage(request: FastifyRequest, reply: FastifyReply, conflict: Conflict, input: ConflictInput) {
    const p = await repo(request).plan(tacOf(request))
    if (!p) return reply.callNotFound()
    const built = input(p)
    const yours = built.yours.__partial ? { ...conflict.theirs, ...built.yours } : built.yours
    const resubmitFor = built.resubmit
    const resubmit = resubmitFor(conflict.rowVersion)
    const fields = conflict.kind === 'action' ? ACTION_FIELDS : conflict.kind === 'outcome' ? OUTCOME_FIELDS : ([['nextReviewOn', 'Review date']] as [string, string][])
    const rows = fields.map(([k, label]) => ({ label, theirs: conflict.theirs[k] ?? '', yours: yours[k] ?? '', differs: (conflict.theirs[k] ?? '') !== (yours[k] ?? '') }))
    return reply.code(409).page('plans/views/conflict.njk', {
      title: 'Someone else changed this',
      ...p,
      conflict,
      rows,
      removing: yours.__remove === 'yes',
      action: request.url.split('?')[0],
      resubmit: Object.entries(resubmit).map(([name, value]) => ({ name, value })),
      backLink: `/teams/${p.tac.id}/plan`,
    })
  }

  /** Runs a change; a refusal re-shows the form; a conflict shows both versions; success goes back to the plan. */
  type ConflictInput = (p: PlanData) => { yours: Record<string, string>; resubmit: (rowVersion: number) => Record<string, string> }
  async function change(request: FastifyRequest, reply: FastifyReply, run: () => Promise<ChangeResult | null>, onRefused: (e: FormErrors) => unknown, conflictInput: ConflictInput, done: string) {
    let result: ChangeResult | null
    try {
      result = await run()
    } catch (err) {
      // the outcome went while the form was open: the plan as it is now, saying so with what was typed (a 409)
      if (err instanceof OutcomeRemovedError) return planPage(request, reply, { errors: [{ text: err.message, href: '#main-content' }], fieldErrors: {} }, 409)
      if (err instanceof RefusedError) return onRefused(refused(err))
      throw err
    }
    if (!result) return reply.callNotFound()
    if (result.conflict) return conflictPage(request, reply, result.conflict, conflictInput)
    return reply.redirect(`/teams/${tacOf(request)}/plan?done=${done}`, 303)
  }

  const childNameIn = (p: PlanData, id: string) => {
    const c = p.children.find((x) => x.id === id)
    return c ? `${c.given_name} ${c.family_name}` : p.children.length > 1 ? 'All the children' : (p.children[0]?.given_name ?? 'The child')
  }
  const outcomeInput = (v: z.infer<typeof outcomeForm>): OutcomeInput => ({ body: v.body, childId: v.childId || null, measure: v.measure, measureName: v.measure === 'named' ? v.measureName : null })
  const actionInput = (v: z.infer<typeof actionForm>): ActionInput => ({
    what: v.what,
    ownerMembershipId: v.owner === 'other' ? null : v.owner,
    ownerName: v.owner === 'other' ? v.ownerName : '',
    ownerAgency: v.owner === 'other' ? v.ownerAgency || 'Family or community' : '',
    dueOn: v.dueOn,
    place: v.place,
    costPence: parseCost(v.cost) ?? null,
    ...(v.status ? { status: v.status } : {}),
  })
  const strings = (b: Record<string, unknown>) => Object.fromEntries(Object.entries(b).filter(([k, v]) => k !== '_csrf' && k !== 'rowVersion' && typeof v === 'string')) as Record<string, string>

  r.get('/teams/:tacId/plan/outcomes/new', { permission: 'tac:work', audit: 'plan.view', record: true }, async (request, reply) => outcomePage(request, reply, null, null))
  r.post('/teams/:tacId/plan/outcomes', { permission: 'tac:work', audit: 'plan.outcome', record: true, formKey: true }, async (request, reply) => {
    const b = body(request)
    const parsed = parseForm(outcomeForm, b, outcomeCross)
    if (!parsed.ok) return outcomePage(request, reply, null, b, parsed.errors)
    return change(request, reply, () => repo(request).addOutcome(tacOf(request), outcomeInput(parsed.data)), (e) => outcomePage(request, reply, null, b, e), () => ({ yours: {}, resubmit: () => ({}) }), 'outcome-added')
  })
  r.get('/teams/:tacId/plan/outcomes/:outcomeId', { permission: 'tac:work', audit: 'plan.view', record: true }, async (request, reply) => outcomePage(request, reply, (request.params as { outcomeId: string }).outcomeId, null))
  r.post('/teams/:tacId/plan/outcomes/:outcomeId', { permission: 'tac:work', audit: 'plan.outcome', record: true }, async (request, reply) => {
    const { outcomeId } = request.params as { outcomeId: string }
    const b = body(request)
    const parsed = parseForm(outcomeForm.extend({ rowVersion }), b, outcomeCross)
    if (!parsed.ok) return outcomePage(request, reply, outcomeId, b, parsed.errors)
    const v = parsed.data
    return change(
      request,
      reply,
      () => repo(request).editOutcome(tacOf(request), outcomeId, v.rowVersion, outcomeInput(v)),
      (e) => outcomePage(request, reply, outcomeId, b, e),
      (p) => ({ yours: { body: v.body, child: childNameIn(p, v.childId), measure: v.measure === 'named' ? `Named measure: ${v.measureName}` : 'Scale of 0 to 10' }, resubmit: (rv) => ({ ...strings(b), rowVersion: String(rv) }) }),
      'outcome-changed',
    )
  })
  r.post('/teams/:tacId/plan/outcomes/:outcomeId/remove', { permission: 'tac:work', audit: 'plan.outcome', record: true }, async (request, reply) => {
    const { outcomeId } = request.params as { outcomeId: string }
    const parsed = removeForm.safeParse(body(request))
    if (!parsed.success) return outcomePage(request, reply, outcomeId, null, { errors: [{ text: 'The form is out of date: reload the page', href: '#main-content' }], fieldErrors: {} })
    return change(request, reply, () => repo(request).removeOutcome(tacOf(request), outcomeId, parsed.data.rowVersion), (e) => outcomePage(request, reply, outcomeId, null, e), () => ({ yours: { __remove: 'yes' }, resubmit: (rv) => ({ rowVersion: String(rv) }) }), 'outcome-removed')
  })

  r.get('/teams/:tacId/plan/outcomes/:outcomeId/actions/new', { permission: 'tac:work', audit: 'plan.view', record: true }, async (request, reply) => actionPage(request, reply, { outcomeId: (request.params as { outcomeId: string }).outcomeId }, null))
  r.post('/teams/:tacId/plan/outcomes/:outcomeId/actions', { permission: 'tac:work', audit: 'plan.action', record: true, formKey: true }, async (request, reply) => {
    const { outcomeId } = request.params as { outcomeId: string }
    const b = body(request)
    const parsed = parseForm(actionForm, b, actionCross)
    if (!parsed.ok) return actionPage(request, reply, { outcomeId }, b, parsed.errors)
    return change(request, reply, () => repo(request).addAction(tacOf(request), outcomeId, actionInput(parsed.data)), (e) => actionPage(request, reply, { outcomeId }, b, e), () => ({ yours: {}, resubmit: () => ({}) }), 'action-added')
  })
  r.get('/teams/:tacId/plan/actions/:actionId', { permission: 'tac:work', audit: 'plan.view', record: true }, async (request, reply) => actionPage(request, reply, { actionId: (request.params as { actionId: string }).actionId }, null))

  const yoursOfAction = (p: PlanData, v: z.infer<typeof actionForm>) => {
    const m = p.members.find((x) => x.membershipId === v.owner)
    return { what: v.what, owner: m ? `${m.name} (${m.agency})` : `${v.ownerName}${v.ownerAgency ? ` (${v.ownerAgency})` : ''}`, dueOn: v.dueOn, place: v.place, cost: formatPence(parseCost(v.cost) ?? null) || 'none', status: v.status ? STATUS_LABELS[v.status] : '' }
  }
  r.post('/teams/:tacId/plan/actions/:actionId', { permission: 'tac:work', audit: 'plan.action', record: true }, async (request, reply) => {
    const { actionId } = request.params as { actionId: string }
    const b = body(request)
    const parsed = parseForm(actionForm.extend({ rowVersion }), b, actionCross)
    if (!parsed.ok) return actionPage(request, reply, { actionId }, b, parsed.errors)
    const v = parsed.data
    return change(request, reply, () => repo(request).editAction(tacOf(request), actionId, v.rowVersion, actionInput(v)), (e) => actionPage(request, reply, { actionId }, b, e), (p) => ({ yours: yoursOfAction(p, v), resubmit: (rv) => ({ ...strings(b), rowVersion: String(rv) }) }), 'action-changed')
  })
  r.post('/teams/:tacId/plan/actions/:actionId/status', { permission: 'tac:work', audit: 'plan.action', record: true }, async (request, reply) => {
    const { actionId } = request.params as { actionId: string }
    const parsed = statusForm.safeParse(body(request))
    if (!parsed.success) return planPage(request, reply, { errors: [{ text: 'Choose the status', href: `#status-${actionId}` }], fieldErrors: {} }, 400)
    const v = parsed.data
    return change(request, reply, () => repo(request).editAction(tacOf(request), actionId, v.rowVersion, { status: v.status }), (e) => planPage(request, reply, { ...e }, 400), () => ({ yours: { __partial: 'yes', status: STATUS_LABELS[v.status] }, resubmit: (rv) => ({ status: v.status, rowVersion: String(rv) }) }), 'status-changed')
  })
  r.post('/teams/:tacId/plan/actions/:actionId/remove', { permission: 'tac:work', audit: 'plan.action', record: true }, async (request, reply) => {
    const { actionId } = request.params as { actionId: string }
    const parsed = removeForm.safeParse(body(request))
    if (!parsed.success) return actionPage(request, reply, { actionId }, null, { errors: [{ text: 'The form is out of date: reload the page', href: '#main-content' }], fieldErrors: {} })
    return change(request, reply, () => repo(request).removeAction(tacOf(request), actionId, parsed.data.rowVersion), (e) => actionPage(request, reply, { actionId }, null, e), () => ({ yours: { __remove: 'yes' }, resubmit: (rv) => ({ rowVersion: String(rv) }) }), 'action-removed')
  })

  r.post('/teams/:tacId/plan/review-date', { permission: 'tac:work', audit: 'plan.review_date', record: true }, async (request, reply) => {
    const b = body(request)
    const parsed = parseForm(reviewDateForm, b)
    if (!parsed.ok) return planPage(request, reply, { ...parsed.errors, values: b }, 400)
    const v = parsed.data
    return change(
      request,
      reply,
      () => repo(request).setReviewDate(tacOf(request), v.nextReviewOn || null, v.previous || null),
      (e) => planPage(request, reply, { ...e, errors: e.errors.map((x) => ({ ...x, href: '#nextReviewOn' })), fieldErrors: { nextReviewOn: { text: e.errors[0]!.text } }, values: b }, 400),
      () => ({ yours: { nextReviewOn: v.nextReviewOn || 'not set' }, resubmit: () => ({ nextReviewOn: v.nextReviewOn }) }),
      'review-date',
    )
  })

  // ---------- versions ----------

  r.get('/teams/:tacId/plan/versions', { permission: 'tac:work', audit: 'plan.versions', record: true }, async (request, reply) => {
    const q = request.query as { from?: string; to?: string }
    if (q.from !== undefined || q.to !== undefined) {
      // version numbers: whole numbers that fit the database's integer; anything else is the 400 below, as a missing one is
      const from = queryInt(q.from, { min: 0, max: MAX_VERSION })
      const to = q.to === undefined || q.to === '' || q.to === 'current' ? null : queryInt(q.to, { min: 0, max: MAX_VERSION })
      const bad = from === null || (q.to !== undefined && q.to !== '' && q.to !== 'current' && to === null)
      if (!bad) {
        const c = await repo(request).compare(tacOf(request), from, to)
        if (!c) return reply.callNotFound()
        if (!c.missing) return reply.page('plans/views/compare.njk', { title: `What changed between version ${c.from} and version ${c.to}`, ...c, sinceReview: false, backLink: `/teams/${c.tac.id}/plan/versions` })
      }
      const v = await repo(request).versions(tacOf(request))
      if (!v) return reply.callNotFound()
      return reply.code(400).page('plans/views/versions.njk', { title: `Versions of the joint plan for ${childrenNames(v)}`, ...v, values: q, errors: [{ text: 'Choose two versions of this plan to compare', href: '#from' }], fieldErrors: { from: { text: 'Choose two versions of this plan to compare' } }, backLink: `/teams/${v.tac.id}/plan` })
    }
    const v = await repo(request).versions(tacOf(request))
    if (!v) return reply.callNotFound()
    return reply.page('plans/views/versions.njk', { title: `Versions of the joint plan for ${childrenNames(v)}`, ...v, values: { from: String(Math.max(0, v.current - 1)), to: String(v.current) }, ...noErrors, backLink: `/teams/${v.tac.id}/plan` })
  })

  r.get('/teams/:tacId/plan/since-review', { permission: 'tac:work', audit: 'plan.compare', record: true }, async (request, reply) => {
    const c = await repo(request).compare(tacOf(request), 'review', null)
    if (!c) return reply.callNotFound()
    return reply.page('plans/views/compare.njk', { title: 'What changed since the last review', ...c, sinceReview: true, backLink: `/teams/${c.tac.id}/plan` })
  })

  // ---------- the family's version, and the PDFs ----------

  const familyContext = (p: PlanData) => {
    const names = p.children.map((c) => c.given_name)
    const list = (xs: string[]) => (xs.length > 1 ? `${xs.slice(0, -1).join(', ')} and ${xs[xs.length - 1]}` : (xs[0] ?? 'your child'))
    const groups = [...p.children.map((c) => ({ key: c.id, name: c.given_name })), { key: '', name: list(names) }]
      .map((g) => ({ name: g.name, outcomes: p.outcomes.filter((o) => (o.childId ?? '') === g.key) }))
      .filter((g) => g.outcomes.length)
    const STATUS = { not_started: 'Not started yet', in_progress: 'Started', done: 'Done', dropped: 'No longer needed' } as const
    return { names: list(names), groups, familyStatus: STATUS }
  }

  r.get('/teams/:tacId/plan/family', { permission: 'tac:work', audit: 'plan.family', record: true }, async (request, reply) => {
    const p = await repo(request).plan(tacOf(request), 'plan.family')
    if (!p) return reply.callNotFound()
    const f = familyContext(p)
    return reply.page('plans/views/family.njk', { title: `Our plan for ${f.names}`, ...p, ...f, backLink: `/teams/${p.tac.id}/plan` })
  })

  r.get('/teams/:tacId/plan.pdf', { permission: 'tac:work', audit: 'plan.export', record: true }, async (request, reply) => {
    const q = request.query as { for?: string }
    const audience = q.for === 'family' ? 'family' : q.for === 'members' || q.for === undefined ? 'members' : null
    if (!audience) return reply.code(400).type('text/plain; charset=utf-8').send('Choose the PDF for the family (for=family) or for members (for=members)')
    const alternative = 'You can use the printable page of the plan instead: your browser can print it or save it as a PDF.'
    if (!pdfAvailable(config.chromiumPath)) return pdfUnavailable(reply, alternative)
    const p = await repo(request).plan(tacOf(request), 'plan.export', { format: 'pdf', for: audience })
    if (!p) return reply.callNotFound()
    const who = request.session!.practitioner
    const f = familyContext(p)
    const html = reply.renderToString('plans/views/print.njk', { ...p, ...f, family: audience === 'family', title: audience === 'family' ? `Our plan for ${f.names}` : `Joint agency plan — ${p.children.map((c) => `${c.given_name} ${c.family_name}`).join(', ')}`, exportedBy: `${who.givenName} ${who.familyName}`, exportedAt: clock.now() })
    return sendPdf(reply, html, { chromiumPath: config.chromiumPath, filename: `${audience === 'family' ? 'our-plan' : 'joint-plan'}.pdf`, alternative, undelivered: (reason) => data.forActor(request.actor!).deliveries.undelivered({ action: 'plan.export', entityType: 'tac', entityId: p.tac.id, childIds: p.tac.childIds, reason }) })
  })

  // ---------- reviews and progress ----------

  type ReviewsData = NonNullable<Awaited<ReturnType<ReturnType<typeof repo>['reviews']>>>
  const progressTables = (d: ReviewsData) => ({
    svg: progressSvg(d.progress),
    reviewDates: d.progress.reviews.map((x) => shortDate(x.heldOn)),
    scoreRows: d.progress.outcomes.map((o, i) => ({ number: i + 1, label: o.label, scores: o.scores.map((s) => (s === null ? 'Not scored' : String(s))) })),
    actionRows: d.progress.reviews.map((x, i) => ({ date: shortDate(x.heldOn), ...d.progress.actions[i]!, dropped: d.dropped[i] ?? 0 })),
  })

  r.get('/teams/:tacId/reviews', { permission: 'tac:work', audit: 'review.list', record: true }, async (request, reply) => {
    const d = await repo(request).reviews(tacOf(request))
    if (!d) return reply.callNotFound()
    const q = request.query as { done?: string }
    return reply.page('plans/views/reviews.njk', { title: `Reviews of the plan for ${childrenNames(d)}`, ...d, ...progressTables(d), done: q.done, backLink: `/teams/${d.tac.id}` })
  })

  async function reviewFormPage(request: FastifyRequest, reply: FastifyReply, values: Record<string, unknown> | null, errors: FormErrors = noErrors) {
    const d = await repo(request).reviews(tacOf(request), 'review.form')
    if (!d || !d.canEdit) return reply.callNotFound()
    // each action's status as the form shows it (shown_<id>, sent back with it): on a new form, the status now; on a
    // form shown again, the reviewer's choice where they changed it and nobody else has since, else the status now
    const v: Record<string, unknown> = { ...(values ?? { heldOn: d.today }) }
    for (const a of d.outcomes.flatMap((o) => o.actions)) {
      const shown = v[`shown_${a.id}`]
      const chosen = v[`status_${a.id}`]
      if (values === null || chosen === undefined || chosen === shown || a.status !== shown) v[`status_${a.id}`] = a.status
      v[`shown_${a.id}`] = a.status
    }
    const heldOn = typeof v.heldOn === 'string' && validDate(v.heldOn) ? v.heldOn : d.today
    return reply.code(errors.errors.length ? 400 : 200).page('plans/views/review-form.njk', {
      title: 'Record a review',
      ...d,
      values: v,
      heldOn,
      anyActions: d.outcomes.some((o) => o.actions.length > 0),
      statusItems: (id: string) => ACTION_STATUSES.map((s) => ({ value: s, text: STATUS_LABELS[s], selected: v[`status_${id}`] === s })),
      meetingItems: [{ value: '', text: 'Not linked to a meeting' }, ...d.meetings.map((m) => ({ value: m.id, text: `${m.title}, ${londonDateTime(m.scheduled_at).date}`, selected: v.meetingId === m.id }))],
      backLink: `/teams/${d.tac.id}/reviews`,
      ...errors,
    })
  }

  r.get('/teams/:tacId/reviews/new', { permission: 'tac:work', audit: 'review.form', record: true }, async (request, reply) => reviewFormPage(request, reply, null))
  r.post('/teams/:tacId/reviews', { permission: 'tac:work', audit: 'review.record', record: true, formKey: true }, async (request, reply) => {
    const b = body(request)
    const extra: { path: string; message: string }[] = []
    const scores: ReviewInput['scores'] = []
    const actions: ReviewInput['actions'] = []
    for (const [k, raw] of Object.entries(b)) {
      const value = typeof raw === 'string' ? raw.trim() : ''
      if (k.startsWith('score_')) {
        const id = k.slice(6)
        const sent = oneValue(b[`note_${id}`])
        if (sent === null) extra.push({ path: `note_${id}`, message: sentTwice('A note') })
        const note = (sent ?? '').trim()
        if (!/^(10|\d)$/.test(value)) extra.push({ path: k, message: value === '' ? 'Give a score from 0 to 10 for every outcome' : 'A score is a whole number from 0 to 10' })
        else scores.push({ outcomeId: id, score: Number(value), note })
        if (note.length > 5000) extra.push({ path: `note_${id}`, message: 'A note must be 5,000 characters or fewer' })
      } else if (k.startsWith('status_')) {
        const id = k.slice(7)
        const sent = oneValue(b[`anote_${id}`])
        if (sent === null) extra.push({ path: `anote_${id}`, message: sentTwice('A note') })
        const note = (sent ?? '').trim()
        // the status the form showed (a hidden field): absent or not a status, the one chosen is taken as it is
        const shown = oneValue(b[`shown_${id}`])
        if (!(ACTION_STATUSES as readonly string[]).includes(value)) extra.push({ path: k, message: 'Choose the status of every action' })
        else actions.push({ actionId: id, status: value as ActionStatus, note, ...(shown && (ACTION_STATUSES as readonly string[]).includes(shown) ? { shown: shown as ActionStatus } : {}) })
        if (note.length > 5000) extra.push({ path: `anote_${id}`, message: 'A note must be 5,000 characters or fewer' })
      }
    }
    const parsed = parseForm(reviewForm, b, () => extra)
    if (!parsed.ok) return reviewFormPage(request, reply, b, parsed.errors)
    const v = parsed.data
    try {
      const done = await repo(request).recordReview(tacOf(request), { heldOn: v.heldOn, meetingId: v.meetingId || null, scores, actions, childView: v.childView, familyView: v.familyView, summary: v.summary, nextReviewOn: v.nextReviewOn || null, lateReason: v.lateReason || null })
      if (!done) return reply.callNotFound()
    } catch (err) {
      if (err instanceof FieldRefusedError) return reviewFormPage(request, reply, b, fieldError(err.message, err.field))
      if (err instanceof RefusedError) return reviewFormPage(request, reply, b, refused(err))
      throw err
    }
    return reply.redirect(`/teams/${tacOf(request)}/reviews?done=review`, 303)
  })

  r.get('/teams/:tacId/progress', { permission: 'tac:work', audit: 'review.progress', record: true }, async (request, reply) => {
    const d = await repo(request).reviews(tacOf(request), 'review.progress')
    if (!d) return reply.callNotFound()
    return reply.page('plans/views/progress.njk', { title: `Progress of the plan for ${childrenNames(d)}`, ...d, ...progressTables(d), backLink: `/teams/${d.tac.id}/reviews` })
  })
  r.get('/teams/:tacId/progress.svg', { permission: 'tac:work', audit: 'review.progress', record: true }, async (request, reply) => {
    const d = await repo(request).reviews(tacOf(request), 'review.progress')
    if (!d) return reply.callNotFound()
    reply.header('cache-control', 'private, no-store')
    return reply.type('image/svg+xml; charset=utf-8').send(progressSvg(d.progress))
  })
}
