// Information requests between agencies: ask agencies what they know about a child (from the child's page, or the
// front door's referral page during its checks), the agency's inbox "Requests for information", one request's page
// (answer, decline or withdraw), and the requester's "my requests". Thin handlers: forms checked here, the repository
// decides access (out of scope: not found).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { z } from 'zod'
import type { AppDeps } from '../../platform/http/app.ts'
import { routes } from '../../platform/http/route.ts'
import { fieldError, parseForm, repeatedFields, sentTwice, type FormErrors } from '../../web/forms.ts'
import { londonDateTime } from '../../web/dates.ts'
import { FieldRefusedError, RefusedError } from '../../data/unit-of-work.ts'
import { ART9_CONDITIONS, CATEGORIES, CONSENT_STATES, GOLDEN_RULES, LAWFUL_BASES, PARA18_REASONS, PURPOSES, SCHEDULE1_CONDITIONS } from '../sharing/codes.ts'
import { SharingValidationError } from '../sharing/store.ts'
import type { AgencyKind } from '../../data/schema.ts'
import { checkAnswer, fieldFor, RESPONSES, type Problem, type RawAnswer } from './answer-check.ts'
import { MAX_ANSWER_ENTRIES, URGENCY_LABELS, withdrawReasonField } from './rules.ts'
import { requestsApiRoutes } from './api.ts'

type Values = Record<string, unknown>
const bodyOf = (request: FastifyRequest) => (request.body ?? {}) as Values
const asList = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : typeof v === 'string' && v ? [v] : [])

function fromProblems(problems: readonly Problem[]): FormErrors {
  const out: FormErrors = { errors: [], fieldErrors: {} }
  for (const p of problems) {
    const field = fieldFor(p.path)
    if (out.fieldErrors[field]) continue
    out.fieldErrors[field] = { text: p.message }
    out.errors.push({ text: p.message, href: `#${field}` })
  }
  return out
}

const askForm = z.object({
  agencies: z.array(z.string()).min(1, 'Choose at least one agency to ask'),
  question: z.string({ message: 'Write your question: what do you need to know, and why' }).trim().min(1, 'Write your question: what do you need to know, and why').max(5000, 'Must be 5,000 characters or fewer'),
  urgency: z.enum(['urgent', 'standard'], { message: 'Say whether the request is urgent' }),
  referral: z.string().optional().default(''),
})

const withdrawForm = z.object({ withdrawReason: withdrawReasonField })

/** The categories an agency of this kind usually shares (the answer form's starting ticks). */
const USUAL_CATEGORIES: Record<AgencyKind, string[]> = {
  school: ['education', 'safeguarding'],
  police: ['police'],
  health: ['health'],
  childrens_social_care: ['social_care'],
  housing: ['family'],
  voluntary: ['safeguarding'],
  other: ['safeguarding'],
}

/** The answer form's entries, as the checker reads them (blank rows after the first are left out). */
function rawAnswer(b: Values, count: number): RawAnswer {
  const entries = []
  for (let i = 1; i <= count; i++) {
    const e = { summary: b[`e${i}Summary`], occurredOn: b[`e${i}OccurredOn`], significance: b[`e${i}Significance`], visibility: b[`e${i}Visibility`] }
    const blank = !String(e.summary ?? '').trim() && !String(e.occurredOn ?? '').trim()
    if (blank && i > 1) continue
    entries.push(e)
  }
  return {
    response: b.response,
    entries,
    note: b.note,
    lateReason: b.lateReason,
    sharing: {
      purpose: b.purpose,
      categories: asList(b.categories),
      lawfulBasis: b.lawfulBasis,
      specialCategory: b.specialCategory,
      art9Condition: b.art9Condition,
      schedule1Condition: b.schedule1Condition,
      para18Reason: b.para18Reason,
      consent: b.consent,
      consentReason: b.consentReason,
      goldenRules: asList(b.goldenRules),
      reasons: b.reasons,
      outsideAgreementReason: b.outsideAgreementReason,
    },
  }
}

const entryCountOf = (b: Values) => {
  const n = Number(b.entryCount)
  return Number.isInteger(n) && n >= 1 && n <= MAX_ANSWER_ENTRIES ? n : 1
}

export async function requestRoutes(app: FastifyInstance, deps: AppDeps): Promise<void> {
  const { data, clock } = deps
  const r = routes(app)
  const repo = (req: FastifyRequest) => data.forActor(req.actor!).requests

  interface AskState {
    values?: Values
    errors?: FormErrors
  }

  async function askPage(request: FastifyRequest, reply: FastifyReply, childId: string, state: AskState = {}) {
    const q = request.query as { referral?: string; asked?: string }
    const referral = (state.values?.referral as string | undefined) ?? q.referral ?? null
    const found = await repo(request).askPage(childId, referral)
    if (!found) return reply.callNotFound()
    const values = state.values ?? { urgency: '', agencies: [] }
    return reply.code(state.errors ? 400 : 200).page('requests/views/ask.njk', {
      title: `Ask agencies what they know: ${found.child.given_name} ${found.child.family_name}`,
      ...found,
      values: { ...values, agencies: asList(values.agencies) },
      asked: q.asked,
      urgencyLabels: URGENCY_LABELS,
      backLink: found.referral ? `/front-door/referrals/${found.referral.id}` : `/children/${childId}`,
      errors: state.errors?.errors,
      fieldErrors: state.errors?.fieldErrors ?? {},
    })
  }

  r.get('/children/:childId/information-requests', { permission: 'requests:ask', audit: 'request.ask-page', record: true }, async (request, reply) => askPage(request, reply, (request.params as { childId: string }).childId))

  r.post('/children/:childId/information-requests', { permission: 'requests:ask', audit: 'request.ask', record: true }, async (request, reply) => {
    const { childId } = request.params as { childId: string }
    const b = bodyOf(request)
    const values = { ...b, agencies: asList(b.agencies) }
    const parsed = parseForm(askForm, values)
    if (!parsed.ok) return askPage(request, reply, childId, { values, errors: parsed.errors })
    const v = parsed.data
    try {
      const done = await repo(request).ask(childId, { agencyIds: v.agencies, question: v.question, urgency: v.urgency, referralId: v.referral || null })
      if (!done) return reply.callNotFound()
      return reply.redirect(`/children/${childId}/information-requests?asked=${done.requests.length}${v.referral ? `&referral=${encodeURIComponent(v.referral)}` : ''}`, 303)
    } catch (err) {
      if (err instanceof FieldRefusedError) return askPage(request, reply, childId, { values, errors: fieldError(err.message, err.field === 'referralId' ? 'question' : err.field) })
      if (err instanceof RefusedError) return askPage(request, reply, childId, { values, errors: fieldError(err.message, 'agencies') })
      throw err
    }
  })

  r.get('/information-requests', { permission: 'requests:ask', audit: 'request.mine' }, async (request, reply) => {
    const found = await repo(request).mine()
    return reply.page('requests/views/mine.njk', { title: 'My requests for information', ...found, urgencyLabels: URGENCY_LABELS })
  })

  r.get('/information-requests/inbox', { permission: 'requests:answer', audit: 'request.inbox' }, async (request, reply) => {
    const found = await repo(request).inbox()
    if (!found) return reply.callNotFound()
    return reply.page('requests/views/inbox.njk', { title: 'Requests for information', ...found, urgencyLabels: URGENCY_LABELS })
  })

  interface DetailState {
    values?: Values
    errors?: FormErrors
    entryCount?: number
    status?: number
  }

  async function detailPage(request: FastifyRequest, reply: FastifyReply, requestId: string, state: DetailState = {}) {
    const found = await repo(request).get(requestId)
    if (!found) return reply.callNotFound()
    const q = request.query as { saved?: string }
    const kind = found.request.toAgencyKind
    const entryCount = state.entryCount ?? 1
    const values: Values = state.values ?? { categories: USUAL_CATEGORIES[kind], purpose: 'request_answer' }
    return reply.code(state.status ?? (state.errors ? 400 : 200)).page('requests/views/request.njk', {
      title: `Request for information: ${found.child.givenName} ${found.child.familyName}`,
      ...found,
      values: { ...values, categories: asList(values.categories), goldenRules: asList(values.goldenRules) },
      entrySlots: Array.from({ length: entryCount }, (_, i) => i + 1),
      entryCount,
      maxEntries: MAX_ANSWER_ENTRIES,
      today: londonDateTime(clock.now()).date,
      saved: q.saved,
      responses: RESPONSES,
      urgencyLabels: URGENCY_LABELS,
      codes: { purposes: PURPOSES, categories: CATEGORIES, lawfulBases: LAWFUL_BASES, art9: ART9_CONDITIONS, schedule1: SCHEDULE1_CONDITIONS, para18: PARA18_REASONS, consent: CONSENT_STATES, goldenRules: GOLDEN_RULES },
      backLink: found.isRequester ? '/information-requests' : found.isAnswerer ? '/information-requests/inbox' : '/information-requests',
      errors: state.errors?.errors,
      fieldErrors: state.errors?.fieldErrors ?? {},
    })
  }

  r.get('/information-requests/:requestId', { permission: 'requests:ask', audit: 'request.view', record: true }, async (request, reply) => detailPage(request, reply, (request.params as { requestId: string }).requestId))

  r.post('/information-requests/:requestId/answer', { permission: 'requests:answer', audit: 'request.answer', record: true }, async (request, reply) => {
    const { requestId } = request.params as { requestId: string }
    const b = bodyOf(request)
    const count = entryCountOf(b)
    if (b.action === 'add') return detailPage(request, reply, requestId, { values: b, entryCount: Math.min(count + 1, MAX_ANSWER_ENTRIES), status: 200 })
    // a single-value field sent twice is refused, not dropped: the answer's optional texts (a note, a reason) would be
    // saved empty
    const repeated = repeatedFields(b, ['categories', 'goldenRules'])
    if (repeated.length) return detailPage(request, reply, requestId, { values: b, errors: fromProblems(repeated.map((f) => ({ path: f, message: sentTwice('This answer') }))), entryCount: count })
    const now = clock.now()
    const checked = checkAnswer(rawAnswer(b, count), { now, today: londonDateTime(now).date })
    if (!checked.ok) return detailPage(request, reply, requestId, { values: b, errors: fromProblems(checked.problems), entryCount: count })
    try {
      const done = await repo(request).answer(requestId, checked.value)
      if (!done) return reply.callNotFound()
    } catch (err) {
      if (err instanceof SharingValidationError) return detailPage(request, reply, requestId, { values: b, errors: fromProblems(err.fields.map((f) => ({ path: `sharing.${f.path}`, message: f.message }))), entryCount: count })
      // a field's refusal (the module's, or the clock's: answered late without the reason) is shown beside it
      if (err instanceof FieldRefusedError) return detailPage(request, reply, requestId, { values: b, errors: fieldError(err.message, fieldFor(err.field)), entryCount: count })
      if (err instanceof RefusedError) return detailPage(request, reply, requestId, { values: b, errors: fieldError(err.message, 'status'), entryCount: count, status: 409 })
      throw err
    }
    return reply.redirect(`/information-requests/${requestId}?saved=answered`, 303)
  })

  r.post('/information-requests/:requestId/withdraw', { permission: 'requests:ask', audit: 'request.withdraw', record: true }, async (request, reply) => {
    const { requestId } = request.params as { requestId: string }
    const b = bodyOf(request)
    const parsed = parseForm(withdrawForm, b)
    if (!parsed.ok) return detailPage(request, reply, requestId, { values: b, errors: parsed.errors })
    try {
      const done = await repo(request).withdraw(requestId, parsed.data.withdrawReason)
      if (!done) return reply.callNotFound()
    } catch (err) {
      if (err instanceof FieldRefusedError) return detailPage(request, reply, requestId, { values: b, errors: fieldError(err.message, 'withdrawReason') })
      if (err instanceof RefusedError) return detailPage(request, reply, requestId, { values: b, errors: fieldError(err.message, 'status'), status: 409 })
      throw err
    }
    return reply.redirect(`/information-requests/${requestId}?saved=withdrawn`, 303)
  })

  await requestsApiRoutes(app, deps)
}
