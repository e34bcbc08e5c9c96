// The child-protection route of a team around the child (strategy discussion → section 47 → initial conference →
// plan → core groups → review conferences), and the manager's dashboard of statutory clocks.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { z } from 'zod'
import { hasPermission } from '../../access/policy.ts'
import { CP_CATEGORIES, type CpCategory } from '../../data/schema.ts'
import { FieldRefusedError, RefusedError } from '../../data/unit-of-work.ts'
import type { AppDeps } from '../../platform/http/app.ts'
import { routes } from '../../platform/http/route.ts'
import { isCalendarDate, londonDateTime } from '../../web/dates.ts'
import { fieldError, unlessFormGone, parseForm, type CrossCheck, type FormErrors } from '../../web/forms.ts'
import { RULES } from '../calendar/clocks.ts'
import { CATEGORY_LABELS, DASHBOARD_RULES, OUTCOME_LABELS, STRATEGY_AGENCIES, type DashboardRule, type OtherParticipant } from './repository.ts'

type Body = Record<string, unknown>
type Errors = FormErrors & { form?: string }

const date = z.string().trim().regex(/^\d{4}-\d{2}-\d{2}$/, 'Enter the date as YYYY-MM-DD')
const time = z.string().trim().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'Enter the time as HH:MM, for example 14:30')
const mode = z.enum(['in_person', 'online', 'phone'], { message: 'Choose how it was held' })
const reason = (message: string) => z.string().trim().min(1, message).max(5000, 'Must be 5,000 characters or fewer')
const optional = z.string().trim().max(5000, 'Must be 5,000 characters or fewer').optional().default('')
const list = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : typeof v === 'string' && v ? [v] : [])
const str = (v: unknown): string => (typeof v === 'string' ? v.trim() : '')
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

const strategyForm = z.object({ heldDate: date, heldTime: time, mode, others: z.string().max(5000).optional().default('') })
const outcomeForm = z.object({ outcome: z.enum(['icpc', 'no_icpc_cin', 'no_further_action'], { message: 'Choose the outcome of the enquiry' }), outcomeReason: reason('Give the reasons for the outcome') })
const scheduleForm = z.object({ kind: z.enum(['icpc', 'core_group', 'review_conference'], { message: 'Choose the meeting to arrange' }), scheduledDate: date, scheduledTime: time, meetingMode: z.enum(['in_person', 'online', 'phone'], { message: 'Choose how it will be held' }), place: z.string().trim().max(500).optional().default('') })
const icpcForm = z.object({ heldDate: date, heldTime: time, reason: reason('Give the conference’s decision and reasons'), lateReason: optional })
const coreGroupForm = z.object({ heldDate: date, heldTime: time, summary: reason('Summarise what the core group reviewed and agreed'), lateReason: optional })
const reviewForm = z.object({ heldDate: date, heldTime: time, reason: reason('Give the conference’s decision and reasons'), lateReason: optional, stepDown: z.string().optional().default('') })

/** Cross-field checks shared by the "held at" forms: a real date, not in the future. */
const heldCheck =
  (now: () => Date, dateKey = 'heldDate', timeKey = 'heldTime', future = false): CrossCheck =>
  (v) => {
    const d = str(v[dateKey])
    const t = str(v[timeKey])
    if (!/^\d{4}-\d{2}-\d{2}$/.test(d)) return []
    if (!isCalendarDate(d)) return [{ path: dateKey, message: 'Enter a real date' }]
    if (!future && /^([01]\d|2[0-3]):[0-5]\d$/.test(t) && londonDateTime.toInstant(d, t) > now()) return [{ path: dateKey, message: 'The date and time cannot be in the future' }]
    return []
  }

/** Parses "Name, organisation, role" lines. */
function othersFrom(text: string): { others: OtherParticipant[]; bad: boolean } {
  const others: OtherParticipant[] = []
  let bad = false
  for (const line of text.split(/\r?\n/).map((l) => l.trim()).filter(Boolean)) {
    const [name, agency, ...parts] = line.split(',').map((x) => x.trim())
    const role = parts.join(', ')
    if (!name || !agency || name.length > 200 || agency.length > 200 || role.length > 200) bad = true
    else others.push({ name, agency, role })
  }
  return { others, bad }
}

/** Per-child fields of a form: the child ids come in hidden fields; each child's decision is checked. */
function childIdsOf(body: Body): string[] {
  return [...new Set(list(body.childIds).filter((id) => UUID.test(id)))]
}

/** Errors of one of several forms on the page: ids of that form's fields carry its suffix. */
function scoped(e: FormErrors, form: string, suffix: string): Errors {
  return { form, errors: e.errors.map((x) => ({ text: x.text, href: x.href === '#main-content' ? x.href : `${x.href}-${suffix}` })), fieldErrors: e.fieldErrors }
}

export async function cpRoutes(app: FastifyInstance, { data, clock }: AppDeps): Promise<void> {
  const r = routes(app)
  const repo = (req: FastifyRequest) => data.forActor(req.actor!).cp
  const now = () => clock.now()

  async function page(request: FastifyRequest, reply: FastifyReply, tacId: string, values: Body = {}, errors?: Errors) {
    const found = await repo(request).route(tacId)
    if (!found) return reply.callNotFound()
    const today = londonDateTime(clock.now())
    const childNames = found.children.map((c) => `${c.given_name} ${c.family_name}`).join(', ')
    const canRecord = found.canRecord && hasPermission(request.actor!.role, 'cp:record')
    // a form posted from a page loaded before the record moved on (an outcome or a conference recorded, a meeting
    // cancelled) is no longer on the page: the error says so, rather than linking to fields that are not there
    if (errors?.form) {
      const [kind, id] = [errors.form.split('-')[0], errors.form.slice(errors.form.indexOf('-') + 1)]
      let gone: string | null = null
      if (!canRecord) gone = 'You cannot record the child protection route of this team'
      else if (kind === 'outcome') {
        const e = found.strategyDiscussions.flatMap((sd) => sd.enquiries).find((x) => x.id === id)
        if (!e) return reply.callNotFound()
        if (!e.start_s47) gone = 'The strategy discussion did not start a section 47 enquiry for this child: there is no outcome to record'
        else if (e.outcome) gone = 'The outcome of this enquiry has already been recorded'
      } else if (kind === 'held') {
        const m = found.conferences.find((x) => x.id === id)
        if (!m) return reply.callNotFound()
        if (m.decided || m.status === 'cancelled') gone = m.status === 'cancelled' ? 'This meeting was cancelled' : 'This meeting has already been recorded'
      }
      errors = { form: errors.form, ...unlessFormGone(errors, gone) }
    }
    return reply.code(errors ? 400 : 200).page('cp/views/route.njk', {
      title: `Child protection: ${childNames}`,
      ...found,
      childNames,
      today: today.date,
      values: { heldDate: today.date, scheduledDate: today.date, ...values },
      canRecord,
      agencies: STRATEGY_AGENCIES.map((a) => ({ ...a, people: found.participants.filter((p) => p.agencyKind === a.kind) })),
      categories: CP_CATEGORIES.map((c) => ({ value: c, text: CATEGORY_LABELS[c] })),
      outcomes: Object.entries(OUTCOME_LABELS).map(([value, text]) => ({ value, text })),
      backLink: `/teams/${tacId}`,
      errorForm: errors?.form ?? null,
      errors: errors?.errors ?? [],
      fieldErrors: errors?.fieldErrors ?? {},
    })
  }

  r.get('/teams/:tacId/cp', { permission: 'tac:work', audit: 'cp.view', record: true }, async (request, reply) => page(request, reply, (request.params as { tacId: string }).tacId))

  /** A POST on the CP page: validate, run, and show the page again with the errors (400) or go back to it (303). */
  // formKey: the form makes a record with no key of its own (a strategy discussion, a meeting arranged), so it carries
  // the page's key (route.ts)
  const post = (url: string, audit: string, run: (request: FastifyRequest, body: Body, p: Record<string, string>) => Promise<unknown | Errors>, formOf: (p: Record<string, string>) => { form: string; suffix: string | null }, formKey = false) =>
    r.post(url, { permission: 'cp:record', audit, record: true, formKey }, async (request, reply) => {
      const p = request.params as Record<string, string>
      const body = (request.body ?? {}) as Body
      const { form, suffix } = formOf(p)
      try {
        const done = await run(request, body, p)
        if (!done) return reply.callNotFound()
        if (typeof done === 'object' && 'errors' in (done as object)) {
          const e = done as FormErrors
          return page(request, reply, p.tacId!, body, suffix ? scoped(e, form, suffix) : { ...e, form })
        }
      } catch (err) {
        // a refusal of one field (held late without its reason: the clock's) is shown beside it
        if (err instanceof FieldRefusedError) {
          const e = fieldError(err.message, err.field)
          return page(request, reply, p.tacId!, body, suffix ? scoped(e, form, suffix) : { ...e, form })
        }
        if (err instanceof RefusedError) return page(request, reply, p.tacId!, body, { form, errors: [{ text: err.message, href: '#main-content' }], fieldErrors: {} })
        throw err
      }
      return reply.redirect(`/teams/${p.tacId}/cp`, 303)
    })

  post(
    '/teams/:tacId/cp/strategy-discussions',
    'cp.strategy',
    async (request, body, p) => {
      const childIds = childIdsOf(body)
      const participants = list(body.participants)
      const parsed = parseForm(strategyForm, body, (v) => {
        const extra = heldCheck(now)(v)
        if (!childIds.length) extra.push({ path: 'main-content', message: 'Record the decision for each child of the team' })
        if (!participants.length) extra.push({ path: 'participants', message: 'Choose who took part: police, health and children’s social care' })
        if (othersFrom(str(v.others)).bad) extra.push({ path: 'others', message: 'Write each other participant on a line of their own as: name, organisation, role (each 200 characters or fewer)' })
        for (const id of childIds) {
          if (!['yes', 'no'].includes(str(v[`s47-${id}`]))) extra.push({ path: `s47-${id}`, message: 'Say whether a section 47 enquiry starts for each child' })
          if (!str(v[`reason-${id}`])) extra.push({ path: `reason-${id}`, message: 'Give the reason for the decision for each child' })
          else if (str(v[`reason-${id}`]).length > 5000) extra.push({ path: `reason-${id}`, message: 'Must be 5,000 characters or fewer' })
        }
        return extra
      })
      if (!parsed.ok) return parsed.errors
      const v = parsed.data
      return repo(request).strategyDiscussion(p.tacId!, {
        heldAt: londonDateTime.toInstant(v.heldDate, v.heldTime),
        mode: v.mode,
        participantIds: participants,
        others: othersFrom(v.others).others,
        decisions: childIds.map((id) => ({ childId: id, startS47: str(body[`s47-${id}`]) === 'yes', reason: str(body[`reason-${id}`]) })),
      })
    },
    () => ({ form: 'strategy', suffix: null }),
    true,
  )

  post(
    '/teams/:tacId/cp/enquiries/:enquiryId/outcome',
    'cp.s47_outcome',
    async (request, body, p) => {
      const parsed = parseForm(outcomeForm, body)
      if (!parsed.ok) return parsed.errors
      return repo(request).s47Outcome(p.tacId!, p.enquiryId!, { outcome: parsed.data.outcome, reason: parsed.data.outcomeReason })
    },
    (p) => ({ form: `outcome-${p.enquiryId}`, suffix: p.enquiryId! }),
  )

  post(
    '/teams/:tacId/cp/meetings',
    'cp.schedule',
    async (request, body, p) => {
      const parsed = parseForm(scheduleForm, body, (v) => {
        const extra = heldCheck(now, 'scheduledDate', 'scheduledTime', true)(v)
        if (str(v.meetingMode) === 'in_person' && !str(v.place)) extra.push({ path: 'place', message: 'Enter where the meeting will take place' })
        return extra
      })
      if (!parsed.ok) return parsed.errors
      const v = parsed.data
      return repo(request).schedule(p.tacId!, { kind: v.kind, scheduledAt: londonDateTime.toInstant(v.scheduledDate, v.scheduledTime), mode: v.meetingMode, place: v.place })
    },
    () => ({ form: 'schedule', suffix: null }),
    true,
  )

  post(
    '/teams/:tacId/cp/meetings/:meetingId/icpc',
    'cp.icpc',
    async (request, body, p) => {
      const childIds = childIdsOf(body)
      const parsed = parseForm(icpcForm, body, (v) => {
        const extra = heldCheck(now)(v)
        for (const id of childIds) {
          const plan = str(v[`plan-${id}`])
          if (!['yes', 'no'].includes(plan)) extra.push({ path: `plan-${id}`, message: 'Say whether each child needs a child protection plan' })
          else if (plan === 'yes' && !(CP_CATEGORIES as readonly string[]).includes(str(v[`category-${id}`]))) extra.push({ path: `category-${id}`, message: 'Choose the category of the plan' })
        }
        return extra
      })
      if (!parsed.ok) return parsed.errors
      const v = parsed.data
      return repo(request).holdIcpc(p.tacId!, p.meetingId!, {
        heldAt: londonDateTime.toInstant(v.heldDate, v.heldTime),
        reason: v.reason,
        lateReason: v.lateReason || null,
        decisions: childIds.map((id) => ({ childId: id, plan: str(body[`plan-${id}`]) === 'yes', category: str(body[`plan-${id}`]) === 'yes' ? (str(body[`category-${id}`]) as CpCategory) : null })),
      })
    },
    (p) => ({ form: `held-${p.meetingId}`, suffix: p.meetingId! }),
  )

  post(
    '/teams/:tacId/cp/meetings/:meetingId/core-group',
    'cp.core_group',
    async (request, body, p) => {
      const parsed = parseForm(coreGroupForm, body, heldCheck(now))
      if (!parsed.ok) return parsed.errors
      const v = parsed.data
      return repo(request).holdCoreGroup(p.tacId!, p.meetingId!, { heldAt: londonDateTime.toInstant(v.heldDate, v.heldTime), summary: v.summary, lateReason: v.lateReason || null })
    },
    (p) => ({ form: `held-${p.meetingId}`, suffix: p.meetingId! }),
  )

  post(
    '/teams/:tacId/cp/meetings/:meetingId/review-conference',
    'cp.review_conference',
    async (request, body, p) => {
      const childIds = childIdsOf(body)
      const parsed = parseForm(reviewForm, body, (v) => {
        const extra = heldCheck(now)(v)
        for (const id of childIds) if (!['yes', 'no'].includes(str(v[`continue-${id}`]))) extra.push({ path: `continue-${id}`, message: 'Say whether each child’s plan continues' })
        return extra
      })
      if (!parsed.ok) return parsed.errors
      const v = parsed.data
      return repo(request).holdReviewConference(p.tacId!, p.meetingId!, {
        heldAt: londonDateTime.toInstant(v.heldDate, v.heldTime),
        reason: v.reason,
        lateReason: v.lateReason || null,
        decisions: childIds.map((id) => ({ childId: id, continuePlan: str(body[`continue-${id}`]) === 'yes' })),
        stepDown: v.stepDown === 'yes',
      })
    },
    (p) => ({ form: `held-${p.meetingId}`, suffix: p.meetingId! }),
  )

  // The manager's dashboard of statutory clocks.
  const ruleOptions = DASHBOARD_RULES.map((rule) => ({ value: rule, text: `${rule}: ${RULES[rule]?.label ?? rule}` }))

  async function dashboard(request: FastifyRequest, reply: FastifyReply, rule: DashboardRule | null, errors?: Errors, values: Body = {}, status?: number) {
    const found = await repo(request).dashboard({ rule })
    return reply.code(status ?? (errors ? 400 : 200)).page('cp/views/clocks.njk', {
      title: 'Statutory clocks',
      ...found,
      rule,
      ruleOptions,
      values,
      errorForm: errors?.form ?? null,
      errors: errors?.errors ?? [],
      fieldErrors: errors?.fieldErrors ?? {},
      backLink: '/',
    })
  }

  r.get('/clocks', { permission: 'clocks:oversee', audit: 'clocks.list', record: true }, async (request, reply) => {
    const q = (request.query ?? {}) as Record<string, unknown>
    const rule = str(q.rule)
    if (rule && !(DASHBOARD_RULES as readonly string[]).includes(rule)) return dashboard(request, reply, null, { form: 'filter', errors: [{ text: 'Choose a clock from the list', href: '#rule' }], fieldErrors: { rule: { text: 'Choose a clock from the list' } } })
    return dashboard(request, reply, (rule || null) as DashboardRule | null)
  })

  r.post('/clocks/:clockId/reason', { permission: 'clocks:oversee', audit: 'clock.reason', record: true }, async (request, reply) => {
    const { clockId } = request.params as { clockId: string }
    const body = (request.body ?? {}) as Body
    const ruleRaw = str(body.rule)
    const rule = (DASHBOARD_RULES as readonly string[]).includes(ruleRaw) ? (ruleRaw as DashboardRule) : null
    const text = str(body.reason)
    const form = `reason-${clockId}`
    if (!text || text.length > 5000) {
      const message = text ? 'Must be 5,000 characters or fewer' : 'Give the reason the clock is late'
      return dashboard(request, reply, rule, { form, errors: [{ text: message, href: `#reason-${clockId}` }], fieldErrors: { reason: { text: message } } }, body)
    }
    try {
      const done = await repo(request).lateReason(clockId, text)
      if (!done) return reply.callNotFound()
    } catch (err) {
      if (err instanceof RefusedError) return dashboard(request, reply, rule, { form, errors: [{ text: err.message, href: '#main-content' }], fieldErrors: {} }, body)
      throw err
    }
    return reply.redirect(rule ? `/clocks?rule=${rule}` : '/clocks', 303)
  })
}
