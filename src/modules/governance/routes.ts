// Governance pages: an entry's page (who may see it, how that changed, widening as a sharing decision, narrowing with
// a reason, asking for a seal or an unseal), two-person approvals, and information governance's unusual-access
// report. Thin handlers: forms validated here; the repository decides access and writes the audit rows.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { z } from 'zod'
import type { AppDeps } from '../../platform/http/app.ts'
import { routes } from '../../platform/http/route.ts'
import { dateError, fieldError, formNotShown, parseForm, repeatedFields, sentTwice, versionField, type FormErrors } from '../../web/forms.ts'
import { londonDateTime } from '../../web/dates.ts'
import { RefusedError } from '../../data/unit-of-work.ts'
import { ROLE_LABELS } from '../../access/policy.ts'
import { ART9_CONDITIONS, CATEGORIES, GOLDEN_RULES, LAWFUL_BASES, PARA18_REASONS, PURPOSES, SCHEDULE1_CONDITIONS } from '../sharing/store.ts'
import { CONSENT_STATES } from '../sharing/codes.ts'
import { APPROVAL_KIND_LABELS } from './approvals.ts'
import { VISIBILITY_LABELS } from './visibility.ts'
import type { EntryPage, WideningInput } from './repository.ts'
import type { FieldProblem } from '../sharing/store.ts'

type Values = Record<string, unknown>
const bodyOf = (request: FastifyRequest) => (request.body ?? {}) as Values
const list = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : v === undefined || v === null || v === '' ? [] : [String(v)])
const fromProblems = (fields: readonly FieldProblem[]): FormErrors => {
  const out: FormErrors = { errors: [], fieldErrors: {} }
  for (const f of fields) {
    if (out.fieldErrors[f.path]) continue
    out.fieldErrors[f.path] = { text: f.message }
    out.errors.push({ text: f.message, href: `#${f.path}` })
  }
  return out
}

const changeForm = z.object({
  visibility: z.enum(['agency', 'team', 'front_door', 'restricted'], { message: 'Choose who may see the entry' }),
  reason: z.string().trim().max(5000, 'The reason must be 5,000 characters or fewer').optional().default(''),
})
const reasonForm = (what: string) => z.object({ reason: z.string({ message: `Give the reason for asking to ${what} the entry` }).trim().min(1, `Give the reason for asking to ${what} the entry`).max(5000, 'The reason must be 5,000 characters or fewer') })
const decideForm = z.object({
  decision: z.enum(['approve', 'refuse'], { message: 'Choose whether you approve or refuse' }),
  reason: z.string().trim().max(5000, 'The reason must be 5,000 characters or fewer').optional().default(''),
  rowVersion: versionField(),
})
const withdrawForm = z.object({ rowVersion: versionField() })


/** The sharing decision's fields, as the store takes them (validated there, every problem at once). */
function wideningFrom(v: Values): WideningInput {
  const checked = new Set(list(v.goldenRules))
  const text = (k: string) => (typeof v[k] === 'string' ? (v[k] as string) : '')
  return {
    purpose: text('purpose'),
    categories: list(v.categories),
    lawfulBasis: text('lawfulBasis'),
    specialCategory: v.specialCategory === 'yes',
    art9Condition: text('art9Condition') || null,
    schedule1Condition: text('schedule1Condition') || null,
    para18Reason: text('para18Reason') || null,
    consent: (['given', 'refused', 'not_sought'].includes(text('consent')) ? text('consent') : '') as WideningInput['consent'],
    consentReason: text('consentReason') || null,
    goldenRules: Object.fromEntries(GOLDEN_RULES.map((r) => [r.code, checked.has(r.code)])),
    outsideAgreementReason: text('outsideAgreementReason') || null,
  }
}

export async function governanceRoutes(app: FastifyInstance, { data, config, clock }: AppDeps): Promise<void> {
  const r = routes(app)
  const repo = (req: FastifyRequest) => data.forActor(req.actor!).governance

  const codes = { purposes: PURPOSES, categories: CATEGORIES, lawfulBases: LAWFUL_BASES, art9: ART9_CONDITIONS, schedule1: SCHEDULE1_CONDITIONS, para18: PARA18_REASONS, consent: CONSENT_STATES, goldenRules: GOLDEN_RULES }

  function entryView(request: FastifyRequest, reply: FastifyReply, page: EntryPage, state: { values?: Values; errors?: FormErrors; step?: 'sharing'; status?: number } = {}) {
    const e = page.entry
    const saved = (request.query as { saved?: string }).saved
    return reply.code(state.status ?? (state.errors ? 400 : 200)).page('governance/views/entry.njk', {
      title: state.step === 'sharing' ? 'Record the sharing decision' : `Entry: ${e.childName}`,
      ...page,
      values: { visibility: e.visibility, restrictedAgencyIds: e.restrictedAgencyIds, restrictedRoles: e.restrictedRoles, ...(state.values ?? {}) },
      step: state.step,
      saved,
      labels: VISIBILITY_LABELS,
      roleLabels: ROLE_LABELS,
      codes,
      errors: state.errors?.errors,
      fieldErrors: state.errors?.fieldErrors ?? {},
      backLink: `/children/${e.childId}/chronology`,
    })
  }

  async function entryAgain(request: FastifyRequest, reply: FastifyReply, entryId: string, state: { values?: Values; errors?: FormErrors; step?: 'sharing'; status?: number }) {
    const page = await repo(request).entry(entryId)
    if (!page) return reply.callNotFound()
    return entryView(request, reply, page, state)
  }

  r.get('/entries/:entryId', { permission: 'child:read', audit: 'entry.view', record: true }, async (request, reply) => {
    const page = await repo(request).entry((request.params as { entryId: string }).entryId)
    if (!page) return reply.callNotFound()
    return entryView(request, reply, page)
  })

  r.post('/entries/:entryId/visibility', { permission: 'entry:visibility', audit: 'entry.visibility.widen | entry.visibility.narrow', record: true }, async (request, reply) => {
    const { entryId } = request.params as { entryId: string }
    const body = bodyOf(request)
    const values = { ...body, restrictedAgencyIds: list(body.restrictedAgencyIds), restrictedRoles: list(body.restrictedRoles), categories: list(body.categories), goldenRules: list(body.goldenRules) }
    // a single-value field sent twice is refused, not dropped: the sharing step reads its answers without a schema, so
    // specialCategory=yes&specialCategory=yes would be recorded as not special-category, and a repeated reason as none
    const repeated = repeatedFields(body, ['restrictedAgencyIds', 'restrictedRoles', 'categories', 'goldenRules'])
    if (repeated.length) return entryAgain(request, reply, entryId, { values, errors: fromProblems(repeated.map((f) => ({ path: f, message: sentTwice('This answer') }))), ...(body.step === 'sharing' ? { step: 'sharing' as const } : {}) })
    const parsed = parseForm(changeForm, body)
    if (!parsed.ok) return entryAgain(request, reply, entryId, { values, errors: parsed.errors })
    const sharingStep = body.step === 'sharing'
    const result = await repo(request).changeVisibility(entryId, {
      visibility: parsed.data.visibility,
      restrictedAgencyIds: values.restrictedAgencyIds,
      restrictedRoles: values.restrictedRoles,
      reason: parsed.data.reason,
      sharing: sharingStep ? wideningFrom(body) : null,
    })
    if (!result) return reply.callNotFound()
    if (result.status === 'needs-sharing') return entryView(request, reply, result.page, { values, step: 'sharing', status: 200 })
    if (result.status === 'invalid') return entryView(request, reply, result.page, { values, errors: fromProblems(result.fields), ...(sharingStep && result.kind === 'widen' ? { step: 'sharing' as const } : {}) })
    return reply.redirect(`/entries/${entryId}?saved=${result.kind}`, 303)
  })

  for (const which of ['seal', 'unseal'] as const) {
    r.post(`/entries/:entryId/${which}`, { permission: 'entry:seal-request', audit: `entry.${which}.request`, record: true }, async (request, reply) => {
      const { entryId } = request.params as { entryId: string }
      const parsed = parseForm(reasonForm(which), bodyOf(request))
      const field = `${which}Reason`
      if (!parsed.ok) return entryAgain(request, reply, entryId, { values: { [field]: bodyOf(request).reason }, errors: fieldError(parsed.errors.errors[0]!.text, field) })
      try {
        const done = await repo(request).requestSeal(entryId, which, parsed.data.reason)
        if (!done) return reply.callNotFound()
      } catch (err) {
        if (err instanceof RefusedError) return entryAgain(request, reply, entryId, { values: { [field]: parsed.data.reason }, errors: fieldError(err.message, field) })
        throw err
      }
      return reply.redirect(`/entries/${entryId}?saved=${which}-requested`, 303)
    })
  }

  r.get('/approvals', { permission: 'signed-in', audit: 'approval.list' }, async (request, reply) => {
    const found = await repo(request).approvals()
    return reply.page('governance/views/approvals.njk', { title: 'Approvals', ...found, kindLabels: APPROVAL_KIND_LABELS, backLink: '/' })
  })

  async function approvalPage(request: FastifyRequest, reply: FastifyReply, id: string, state: { values?: Values; errors?: FormErrors; status?: number; message?: string } = {}) {
    const a = await repo(request).approval(id)
    if (!a) return reply.callNotFound()
    return reply.code(state.status ?? (state.errors ? 400 : 200)).page('governance/views/approval.njk', {
      title: APPROVAL_KIND_LABELS[a.kind],
      a,
      kindLabels: APPROVAL_KIND_LABELS,
      labels: VISIBILITY_LABELS,
      values: state.values ?? {},
      message: state.message,
      done: (request.query as { done?: string }).done,
      errors: state.errors?.errors,
      fieldErrors: state.errors?.fieldErrors ?? {},
      backLink: '/approvals',
    })
  }

  r.get('/approvals/:approvalId', { permission: 'signed-in', audit: 'approval.view', record: true }, async (request, reply) => approvalPage(request, reply, (request.params as { approvalId: string }).approvalId))

  r.post('/approvals/:approvalId/decide', { permission: 'approval:decide', audit: 'approval.approve | approval.refuse', record: true }, async (request, reply) => {
    const { approvalId } = request.params as { approvalId: string }
    const parsed = parseForm(decideForm, bodyOf(request), (v) => (v.decision === 'refuse' && !String(v.reason ?? '').trim() ? [{ path: 'reason', message: 'Give the reason for refusing' }] : []))
    if (!parsed.ok) return approvalPage(request, reply, approvalId, { values: bodyOf(request), errors: parsed.errors })
    const done = await repo(request).decide(approvalId, parsed.data)
    if (!done) return reply.callNotFound()
    if (done.status === 'conflict') return approvalPage(request, reply, approvalId, { status: 409, errors: formNotShown('This request has already been decided or withdrawn: this is where it stands now') })
    if (done.status === 'refused') return approvalPage(request, reply, approvalId, { status: 403, values: bodyOf(request), errors: fieldError(done.message, 'decision') })
    return reply.redirect(`/approvals/${approvalId}?done=${done.state}`, 303)
  })

  r.post('/approvals/:approvalId/withdraw', { permission: 'signed-in', audit: 'approval.withdraw', record: true }, async (request, reply) => {
    const { approvalId } = request.params as { approvalId: string }
    const parsed = parseForm(withdrawForm, bodyOf(request))
    if (!parsed.ok) return approvalPage(request, reply, approvalId, { errors: parsed.errors })
    const done = await repo(request).withdraw(approvalId, parsed.data.rowVersion)
    if (!done) return reply.callNotFound()
    if (done.status === 'conflict') return approvalPage(request, reply, approvalId, { status: 409, errors: formNotShown('This request has already been decided: this is where it stands now') })
    if (done.status === 'refused') return approvalPage(request, reply, approvalId, { status: 403, errors: fieldError(done.message, 'withdraw') })
    return reply.redirect(`/approvals/${approvalId}?done=withdrawn`, 303)
  })

  r.get('/governance/access-report', { permission: 'access:report', audit: 'audit.access-report' }, async (request, reply) => {
    const q = request.query as { from?: string; to?: string; unverified?: string }
    const today = londonDateTime(clock.now()).date
    const monthAgo = londonDateTime(new Date(clock.now().getTime() - 29 * 86_400_000)).date
    const raw = { from: String(q.from ?? '').trim() || monthAgo, to: String(q.to ?? '').trim() || today }
    const errors: { text: string; href: string }[] = []
    const fromError = dateError(raw.from, 'The “from” date', { format: 'Enter the “from” date as YYYY-MM-DD', real: 'Enter the “from” date as YYYY-MM-DD: it must be a real date' })
    const toError = dateError(raw.to, 'The “to” date', { format: 'Enter the “to” date as YYYY-MM-DD', real: 'Enter the “to” date as YYYY-MM-DD: it must be a real date' })
    if (fromError) errors.push({ text: fromError, href: '#from' })
    if (toError) errors.push({ text: toError, href: '#to' })
    if (!errors.length && raw.from > raw.to) errors.push({ text: 'The “from” date must be before the “to” date', href: '#from' })
    const base = { title: 'Unusual access', raw, errors, fieldErrors: Object.fromEntries(errors.map((e) => [e.href.slice(1), { text: e.text }])), backLink: '/' }
    if (errors.length) return reply.code(400).page('governance/views/report.njk', base)
    const report = await repo(request).accessReport(raw, { checkpointPath: config.audit.checkpointPath, hmacKey: config.audit.hmacKey })
    if (!report) return reply.callNotFound()
    const query = new URLSearchParams(raw).toString()
    return reply.page('governance/views/report.njk', { ...base, report, showFigures: report.chain.ok || q.unverified === '1', query })
  })
}
