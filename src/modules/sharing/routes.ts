// Sharing decisions on a child's record: the list (decisions not to share too), "Record a sharing decision" (shared
// or not), one decision in full, the JSON API (GET/POST /api/v1/children/:childId/sharing-decisions), and the
// partnership administrator's information-sharing agreement screen. Thin handlers: forms checked here with the
// store's own rules (every problem at once), the repository decides access (out of scope → the same 404).
import { randomUUID } from 'node:crypto'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { z } from 'zod'
import type { AppDeps } from '../../platform/http/app.ts'
import { routes } from '../../platform/http/route.ts'
import { conflictProblem, invalidParams, problem, validationProblem } from '../../platform/http/problem.ts'
import { FORM_SENT_BEFORE, KeyReusedError, RefusedError } from '../../data/unit-of-work.ts'
import { AGENCY_KINDS, type Visibility } from '../../data/schema.ts'
import { oneValue, repeatedFields, sentTwice, type FormErrors } from '../../web/forms.ts'
import { ART9_CONDITIONS, CATEGORIES, CONSENT_STATES, CONTEXTS, GOLDEN_RULES, LAWFUL_BASES, PARA18_REASONS, PURPOSES, SCHEDULE1_CONDITIONS, labelOf } from './codes.ts'
import { SharingValidationError, validateSharingDecision, type FieldProblem } from './store.ts'
import type { ManualDecision } from './repository.ts'
import { AGENCY_KIND_LABELS, sideOf, validateRule, type RuleInput } from './agreement.ts'

type Values = Record<string, unknown>
const bodyOf = (request: FastifyRequest) => (request.body ?? {}) as Values
const str = (v: unknown) => (typeof v === 'string' ? v : Array.isArray(v) ? String(v[0] ?? '') : '')
const list = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : typeof v === 'string' && v ? [v] : [])

/** Who sees a decision: whoever sees its chronology entry (domain-model.md, "Visibility of an entry"). */
const VISIBILITY_LABELS: Record<Visibility, string> = {
  agency: 'The deciding agency’s safeguarding leads and practitioners working with the child (agency)',
  team: 'Everyone working with the child whose role sees the team’s entries (team)',
  front_door: 'The front door, the allocated social worker and their managers (front door)',
  restricted: 'The named agencies only (restricted)',
  sealed: 'The deciding team only (sealed)',
}

const MAX = { what: 5000, withOther: 500, reasons: 10_000, consentReason: 5000, outsideAgreementReason: 5000 } as const

/** The form's values as a decision (lenient: the store's rules say what is missing). */
function decisionFromForm(v: Values): ManualDecision {
  const rules = new Set(list(v.goldenRules))
  return {
    shared: str(v.shared) === 'yes',
    what: str(v.what),
    entryIds: list(v.entryIds),
    withAgencyIds: list(v.withAgencyIds),
    withOther: str(v.withOther).trim() || null,
    purpose: str(v.purpose),
    categories: list(v.categories),
    lawfulBasis: str(v.lawfulBasis),
    specialCategory: str(v.specialCategory) === 'yes',
    art9Condition: str(v.art9Condition) || null,
    schedule1Condition: str(v.schedule1Condition) || null,
    para18Reason: str(v.para18Reason) || null,
    consent: str(v.consent) as ManualDecision['consent'],
    consentReason: str(v.consentReason).trim() || null,
    goldenRules: Object.fromEntries(GOLDEN_RULES.map((r) => [r.code, rules.has(r.code)])),
    reasons: str(v.reasons),
    outsideAgreementReason: str(v.outsideAgreementReason).trim() || null,
    idempotencyKey: z.uuid().safeParse(str(v.idempotencyKey)).success ? str(v.idempotencyKey) : null,
  }
}

/** Form-only checks (the rest are the store's). */
function formProblems(v: Values): FieldProblem[] {
  const p: FieldProblem[] = []
  if (str(v.shared) !== 'yes' && str(v.shared) !== 'no') p.push({ path: 'shared', message: 'Say whether you shared the information or decided not to' })
  if (str(v.specialCategory) !== 'yes' && str(v.specialCategory) !== 'no') p.push({ path: 'specialCategory', message: 'Say whether the information includes special-category data' })
  for (const [field, max] of Object.entries(MAX)) if (str(v[field]).length > max) p.push({ path: field, message: `Must be ${max.toLocaleString('en-GB')} characters or fewer` })
  // a single-value field sent twice is refused, not read as its first value
  for (const field of SINGLE_FIELDS) if (oneValue(v[field]) === null) p.push({ path: field, message: sentTwice('This answer') })
  return p
}

/** The form's fields that take one value (the rest are checkbox groups). */
const SINGLE_FIELDS = ['shared', 'what', 'withOther', 'purpose', 'lawfulBasis', 'specialCategory', 'art9Condition', 'schedule1Condition', 'para18Reason', 'consent', 'consentReason', 'reasons', 'outsideAgreementReason', 'idempotencyKey'] as const

function toFormErrors(problems: FieldProblem[]): FormErrors {
  const out: FormErrors = { errors: [], fieldErrors: {} }
  for (const p of problems) {
    if (out.fieldErrors[p.path]) continue
    out.fieldErrors[p.path] = { text: p.message }
    out.errors.push({ text: p.message, href: `#${p.path}` })
  }
  return out
}

const codeRecord = z.record(z.string(), z.boolean())
const apiBody = z.strictObject({
  shared: z.boolean({ message: 'true (shared) or false (a decision not to share)' }),
  what: z.string().trim().max(MAX.what),
  entryIds: z.array(z.uuid('An entry id')).max(100).default([]),
  withAgencyIds: z.array(z.uuid('An agency id')).max(50),
  withOther: z.string().trim().max(MAX.withOther).nullable().default(null),
  purpose: z.string().max(50),
  categories: z.array(z.string().max(50)).max(20).default([]),
  lawfulBasis: z.string().max(10),
  specialCategory: z.boolean({ message: 'true or false' }),
  art9Condition: z.string().max(10).nullable().default(null),
  schedule1Condition: z.string().max(10).nullable().default(null),
  para18Reason: z.string().max(50).nullable().default(null),
  consent: z.enum(['given', 'refused', 'not_sought'], { message: 'given, refused or not_sought' }),
  consentReason: z.string().trim().max(MAX.consentReason).nullable().default(null),
  goldenRules: codeRecord,
  reasons: z.string().trim().max(MAX.reasons),
  outsideAgreementReason: z.string().trim().max(MAX.outsideAgreementReason).nullable().default(null),
  idempotencyKey: z.uuid('A UUID chosen by the client: the same key records the decision once'),
})

export async function sharingRoutes(app: FastifyInstance, { data }: AppDeps): Promise<void> {
  const r = routes(app)
  const repo = (req: FastifyRequest) => data.forActor(req.actor!).sharing
  const agreementRepo = (req: FastifyRequest) => data.forActor(req.actor!).sharingAgreement
  const codes = { PURPOSES, CATEGORIES, LAWFUL_BASES, ART9_CONDITIONS, SCHEDULE1_CONDITIONS, PARA18_REASONS, CONSENT_STATES, GOLDEN_RULES, CONTEXTS }

  r.get('/children/:childId/sharing-decisions', { permission: 'sharing:record', audit: 'sharing.decision.list', record: true }, async (request, reply) => {
    const { childId } = request.params as { childId: string }
    const found = await repo(request).forChild(childId)
    if (!found) return reply.callNotFound()
    const names = new Map(found.agencies.map((a) => [a.id, a.name]))
    return reply.page('sharing/views/list.njk', {
      title: `Sharing decisions: ${found.child.given_name} ${found.child.family_name}`,
      child: found.child,
      canRecord: found.canRecord,
      decisions: found.decisions.map((d) => ({
        ...d,
        recipients: [...d.with_agency_ids.map((id) => names.get(id) ?? 'An agency'), ...(d.with_other ? [`${d.with_other} (outside the partnership)`] : [])].join(', '),
        purposeLabel: labelOf(PURPOSES, d.purpose),
        basisLabel: labelOf(LAWFUL_BASES, d.lawful_basis),
        consentLabel: labelOf(CONSENT_STATES, d.consent),
      })),
      backLink: `/children/${childId}`,
    })
  })

  async function formPage(request: FastifyRequest, reply: FastifyReply, childId: string, state: { values?: Values; errors?: FormErrors } = {}) {
    const found = await repo(request).form(childId)
    if (!found) return reply.callNotFound()
    const values = state.values ?? { idempotencyKey: randomUUID(), goldenRules: [] }
    return reply.code(state.errors ? 400 : 200).page('sharing/views/new.njk', {
      title: `Record a sharing decision: ${found.child.given_name} ${found.child.family_name}`,
      child: found.child,
      agencies: found.agencies,
      entries: found.entries,
      codes,
      values: { ...values, withAgencyIds: list(values.withAgencyIds), categories: list(values.categories), entryIds: list(values.entryIds), goldenRules: list(values.goldenRules) },
      errors: state.errors?.errors,
      fieldErrors: state.errors?.fieldErrors ?? {},
      backLink: `/children/${childId}/sharing-decisions`,
    })
  }

  r.get('/children/:childId/sharing-decisions/new', { permission: 'sharing:record', audit: 'sharing.decision.form', record: true }, async (request, reply) => formPage(request, reply, (request.params as { childId: string }).childId))

  r.post('/children/:childId/sharing-decisions', { permission: 'sharing:record', audit: 'sharing.decision.record', record: true }, async (request, reply) => {
    const { childId } = request.params as { childId: string }
    const values = bodyOf(request)
    const input = decisionFromForm(values)
    const problems = [...formProblems(values), ...validateSharingDecision({ ...input, childId, context: 'manual' })]
    if (problems.length) return formPage(request, reply, childId, { values, errors: toFormErrors(problems) })
    try {
      const done = await repo(request).record(childId, input)
      if (!done) return reply.callNotFound()
      return reply.redirect(`/sharing-decisions/${done.id}?saved=1`, 303)
    } catch (err) {
      if (err instanceof SharingValidationError) return formPage(request, reply, childId, { values, errors: toFormErrors(err.fields) })
      if (err instanceof KeyReusedError) return formPage(request, reply, childId, { values: { ...values, idempotencyKey: randomUUID() }, errors: toFormErrors([{ path: 'what', message: FORM_SENT_BEFORE }]) })
      if (err instanceof RefusedError) return formPage(request, reply, childId, { values, errors: toFormErrors([{ path: 'what', message: err.message }]) })
      throw err
    }
  })

  r.get('/sharing-decisions/:decisionId', { permission: 'sharing:record', audit: 'sharing.decision.read', record: true }, async (request, reply) => {
    const found = await repo(request).get((request.params as { decisionId: string }).decisionId)
    if (!found) return reply.callNotFound()
    const d = found.decision
    const names = new Map(found.agencies.map((a) => [a.id, a.name]))
    const rules = d.golden_rules as Record<string, boolean>
    return reply.page('sharing/views/decision.njk', {
      title: `Sharing decision: ${found.child.given_name} ${found.child.family_name}`,
      child: found.child,
      d,
      entries: found.entries,
      recipients: d.with_agency_ids.map((id) => names.get(id) ?? 'An agency'),
      labels: {
        purpose: labelOf(PURPOSES, d.purpose),
        categories: d.categories.map((c) => labelOf(CATEGORIES, c)),
        basis: labelOf(LAWFUL_BASES, d.lawful_basis),
        art9: labelOf(ART9_CONDITIONS, d.art9_condition),
        sch1: labelOf(SCHEDULE1_CONDITIONS, d.schedule1_condition),
        para18: labelOf(PARA18_REASONS, d.para18_reason),
        consent: labelOf(CONSENT_STATES, d.consent),
        context: labelOf(CONTEXTS, d.context),
      },
      visibilityLabel: VISIBILITY_LABELS[d.visibility],
      goldenRules: GOLDEN_RULES.map((g) => ({ label: g.label, yes: Boolean(rules[g.code]) })),
      notCovered: d.not_covered as { name: string; why: string }[],
      saved: (request.query as { saved?: string }).saved,
      backLink: `/children/${d.child_id}/sharing-decisions`,
    })
  })

  // ---- the JSON API ----
  const decisionJson = (d: { id: string; child_id: string; shared: boolean; what: string; categories: string[]; entry_ids: string[]; with_agency_ids: string[]; with_other: string | null; purpose: string; lawful_basis: string; special_category: boolean; art9_condition: string | null; schedule1_condition: string | null; para18_reason: string | null; consent: string; consent_reason: string | null; golden_rules: unknown; reasons: string; within_agreement: boolean | null; agreement_version: number | null; outside_agreement_reason: string | null; context: string; context_id: string | null; visibility: string; author_membership_id: string; author_agency_id: string; created_at: Date; author_name?: string; author_agency?: string }) => ({
    id: d.id,
    childId: d.child_id,
    shared: d.shared,
    what: d.what,
    categories: d.categories,
    entryIds: d.entry_ids,
    withAgencyIds: d.with_agency_ids,
    withOther: d.with_other,
    purpose: d.purpose,
    lawfulBasis: d.lawful_basis,
    specialCategory: d.special_category,
    art9Condition: d.art9_condition,
    schedule1Condition: d.schedule1_condition,
    para18Reason: d.para18_reason,
    consent: d.consent,
    consentReason: d.consent_reason,
    goldenRules: d.golden_rules,
    reasons: d.reasons,
    withinAgreement: d.within_agreement,
    agreementVersion: d.agreement_version,
    outsideAgreementReason: d.outside_agreement_reason,
    context: d.context,
    contextId: d.context_id,
    visibility: d.visibility,
    author: { membershipId: d.author_membership_id, name: d.author_name ?? null, agencyId: d.author_agency_id, agency: d.author_agency ?? null },
    createdAt: d.created_at,
  })

  r.get('/api/v1/children/:childId/sharing-decisions', { permission: 'sharing:record', audit: 'sharing.decision.list', record: true }, async (request, reply) => {
    const found = await repo(request).forChild((request.params as { childId: string }).childId)
    if (!found) return reply.callNotFound()
    return { childId: found.child.id, decisions: found.decisions.map(decisionJson) }
  })

  r.post('/api/v1/children/:childId/sharing-decisions', { permission: 'sharing:record', audit: 'sharing.decision.record', record: true, api: 'create' }, async (request, reply) => {
    const { childId } = request.params as { childId: string }
    const parsed = apiBody.safeParse(request.body ?? {})
    if (!parsed.success) return validationProblem(reply, invalidParams(parsed.error))
    const input: ManualDecision = parsed.data
    const problems = validateSharingDecision({ ...input, childId, context: 'manual' })
    if (problems.length) return validationProblem(reply, problems.map((p) => ({ name: p.path, reason: p.message })))
    try {
      const done = await repo(request).record(childId, input)
      if (!done) return reply.callNotFound()
      return reply.code(done.replay ? 200 : 201).send({ id: done.id, withinAgreement: done.withinAgreement, replayed: done.replay })
    } catch (err) {
      if (err instanceof SharingValidationError) return validationProblem(reply, err.fields.map((p) => ({ name: p.path, reason: p.message })))
      if (err instanceof KeyReusedError) return problem(reply, 422, 'Idempotency key reused', err.message)
      if (err instanceof RefusedError) return conflictProblem(reply, err.message)
      throw err
    }
  })

  // ---- the partnership's information-sharing agreement ----
  interface AgreementState {
    values?: Values
    errors?: FormErrors
    conflict?: number
    status?: number
  }
  async function agreementPage(request: FastifyRequest, reply: FastifyReply, state: AgreementState = {}) {
    const found = await agreementRepo(request).view()
    const names = new Map(found.agencies.map((a) => [a.id, a.name]))
    const sideLabel = (kind: string | null, id: string | null) => (id ? (names.get(id) ?? 'An agency') : kind ? AGENCY_KIND_LABELS[kind as keyof typeof AGENCY_KIND_LABELS] : 'Any agency')
    const describe = (rr: (typeof found.inForce)[number]) => ({
      ...rr,
      fromLabel: sideLabel(rr.from_agency_kind, rr.from_agency_id),
      toLabel: sideLabel(rr.to_agency_kind, rr.to_agency_id),
      categoryLabels: rr.categories.map((c) => labelOf(CATEGORIES, c)),
      purposeLabels: rr.purposes.map((p) => labelOf(PURPOSES, p)),
      from: sideOf(rr.from_agency_kind, rr.from_agency_id),
      to: sideOf(rr.to_agency_kind, rr.to_agency_id),
    })
    const q = request.query as { edit?: string; saved?: string }
    const editing = found.inForce.find((x) => x.id === (str(state.values?.endRuleId) || q.edit))
    const sides = [
      { value: 'any', text: 'Any agency' },
      ...AGENCY_KINDS.map((k) => ({ value: `kind:${k}`, text: `${AGENCY_KIND_LABELS[k]} (any)` })),
      ...found.agencies.map((a) => ({ value: `agency:${a.id}`, text: a.name })),
    ]
    const values = state.values ?? (editing ? { endRuleId: editing.id, from: sideOf(editing.from_agency_kind, editing.from_agency_id), to: sideOf(editing.to_agency_kind, editing.to_agency_id), categories: editing.categories, purposes: editing.purposes, note: editing.note } : {})
    return reply.code(state.status ?? (state.errors ? 400 : 200)).page('sharing/views/agreement.njk', {
      title: 'Information-sharing agreement',
      agreement: found.agreement,
      agreementTitle: found.title,
      version: found.version,
      inForce: found.inForce.map(describe),
      ended: found.ended.map(describe),
      editing: editing ? describe(editing) : null,
      sides,
      codes,
      values: { ...values, categories: list(values.categories), purposes: list(values.purposes) },
      conflict: state.conflict,
      saved: q.saved,
      errors: state.errors?.errors,
      fieldErrors: state.errors?.fieldErrors ?? {},
      backLink: '/',
    })
  }

  r.get('/settings/sharing-agreement', { permission: 'partnership:administer', audit: 'sharing.agreement.read' }, async (request, reply) => agreementPage(request, reply))

  r.post('/settings/sharing-agreement', { permission: 'partnership:administer', audit: 'sharing.agreement.change' }, async (request, reply) => {
    const values = bodyOf(request)
    const version = Number(str(values.version))
    const rule: RuleInput = { from: str(values.from), to: str(values.to), categories: list(values.categories), purposes: list(values.purposes), note: str(values.note) }
    // a single-value field sent twice (from=agency:a&from=agency:b) is refused, not read as its first value
    const repeated = repeatedFields(values, ['categories', 'purposes']).map((f) => ({ path: f, message: sentTwice('This answer') }))
    const problems = [...(Number.isInteger(version) && version >= 0 ? [] : [{ path: 'version', message: 'Reload the page and try again' }]), ...repeated, ...validateRule(rule)]
    if (problems.length) return agreementPage(request, reply, { values, errors: toFormErrors(problems) })
    try {
      const done = await agreementRepo(request).change({ version, endRuleId: str(values.endRuleId) || null, rule })
      if (!done) return reply.callNotFound()
      if (done.conflict) return agreementPage(request, reply, { values, conflict: done.currentVersion, status: 409 })
    } catch (err) {
      if (err instanceof RefusedError) return agreementPage(request, reply, { values, errors: toFormErrors([{ path: 'from', message: err.message }]) })
      throw err
    }
    return reply.redirect('/settings/sharing-agreement?saved=1', 303)
  })

  r.post('/settings/sharing-agreement/rules/:ruleId/end', { permission: 'partnership:administer', audit: 'sharing.agreement.change', record: true }, async (request, reply) => {
    const { ruleId } = request.params as { ruleId: string }
    // sent twice, the version is no version: refused, not read as its first value
    const sent = oneValue(bodyOf(request).version)
    const version = sent === null ? Number.NaN : Number(sent)
    if (!Number.isInteger(version) || version < 0) return agreementPage(request, reply, { errors: toFormErrors([{ path: 'version', message: 'Reload the page and try again' }]) })
    const done = await agreementRepo(request).change({ version, endRuleId: ruleId })
    if (!done) return reply.callNotFound()
    if (done.conflict) return agreementPage(request, reply, { conflict: done.currentVersion, status: 409 })
    return reply.redirect('/settings/sharing-agreement?saved=1', 303)
  })

}
