// Assessments in a team around the child: the team's list, starting one, the assessment page (read view for
// viewers, forms for members), saving with optimistic concurrency, contributions from every agency, completion.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { z } from 'zod'
import type { AppDeps } from '../../platform/http/app.ts'
import { routes } from '../../platform/http/route.ts'
import { formErrors, sentTwice, versionField, type FormErrors } from '../../web/forms.ts'
import { RefusedError } from '../../data/unit-of-work.ts'
import { ASSESSMENT_FACTORS, FACTOR_GROUPS, factorProblems } from './codes.ts'
import { KIND_LABELS, type AssessmentText, type Conflict } from './repository.ts'

const MAX = 20_000
const text = z.string().trim().max(MAX, `Must be ${MAX.toLocaleString('en-GB')} characters or fewer`).optional().default('')
const rowVersion = versionField('This form is out of date: reload the page')

const startForm = z.object({
  // radios: none chosen sends no field at all, which must read as the same plain message as an empty one
  childId: z.string({ message: 'Choose the child the assessment is about' }).trim().min(1, 'Choose the child the assessment is about'),
  kind: z.enum(['early_help', 'child_and_family'], { message: 'Choose the kind of assessment' }),
})
const editForm = z.object({ rowVersion, childViews: text, familyViews: text, analysis: text, recommendation: text })
const contributionForm = z.object({
  domain: z.string().trim().max(100).optional().default(''),
  body: z.string().trim().min(1, 'Write your contribution').max(MAX, `Must be ${MAX.toLocaleString('en-GB')} characters or fewer`),
})
const completeForm = z.object({ rowVersion, lateReason: z.string().trim().max(5000).optional().default('') })

type Body = Record<string, unknown>
const list = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : typeof v === 'string' && v ? [v] : [])
const str = (v: unknown): string => (typeof v === 'string' ? v : '')

export async function assessmentRoutes(app: FastifyInstance, { data }: AppDeps): Promise<void> {
  const r = routes(app)
  const repo = (req: FastifyRequest) => data.forActor(req.actor!).assessments
  const params = (req: FastifyRequest) => req.params as { tacId: string; assessmentId: string }
  const refused = (err: RefusedError, href: string): FormErrors => ({ errors: [{ text: err.message, href }], fieldErrors: {} })

  // ---- the team's assessments, and starting one ----

  async function listPage(request: FastifyRequest, reply: FastifyReply, template: 'list' | 'new', values: Body = {}, errors?: FormErrors) {
    const { tacId } = params(request)
    const found = await repo(request).forTeam(tacId)
    if (!found) return reply.callNotFound()
    if (template === 'new' && !found.canStart) return reply.callNotFound()
    const names = found.children.map((c) => `${c.given_name} ${c.family_name}`).join(', ')
    return reply.code(errors ? 400 : 200).page(`assessments/views/${template}.njk`, {
      title: template === 'new' ? 'Start an assessment' : 'Assessments',
      ...found,
      teamNames: names,
      kindLabels: KIND_LABELS,
      values: { childId: found.children.length === 1 ? found.children[0]!.id : '', ...values },
      started: (request.query as { started?: string }).started,
      backLink: template === 'new' ? `/teams/${tacId}/assessments` : `/teams/${tacId}`,
      ...(errors ?? {}),
    })
  }

  r.get('/teams/:tacId/assessments', { permission: 'tac:work', audit: 'assessment.list', record: true }, async (request, reply) => listPage(request, reply, 'list'))
  r.get('/teams/:tacId/assessments/new', { permission: 'tac:work', audit: 'assessment.list', record: true }, async (request, reply) => listPage(request, reply, 'new'))

  r.post('/teams/:tacId/assessments', { permission: 'tac:work', audit: 'assessment.start', record: true }, async (request, reply) => {
    const { tacId } = params(request)
    const body = (request.body ?? {}) as Body
    const parsed = startForm.safeParse(body)
    if (!parsed.success) return listPage(request, reply, 'new', body, formErrors(parsed.error))
    try {
      const done = await repo(request).start(tacId, parsed.data)
      if (!done) return reply.callNotFound()
      return reply.redirect(`/teams/${tacId}/assessments/${done.id}?started=1`, 303)
    } catch (err) {
      if (err instanceof RefusedError) return listPage(request, reply, 'new', body, refused(err, '#childId'))
      throw err
    }
  })

  // ---- one assessment ----

  async function showPage(request: FastifyRequest, reply: FastifyReply, values: Body | null, errors?: FormErrors & { form?: string }) {
    const { tacId, assessmentId } = params(request)
    const found = await repo(request).get(tacId, assessmentId)
    if (!found) return reply.callNotFound()
    const a = found.assessment
    // the edit form shows what was submitted (after an error) or what is saved
    const saved: Body = { rowVersion: a.row_version, childViews: a.child_views, familyViews: a.family_views, analysis: a.analysis, recommendation: a.recommendation }
    for (const d of found.domains) {
      saved[`strengths_${d.domain}`] = d.strengths
      saved[`needs_${d.domain}`] = d.needs
    }
    const submitted = values ?? {}
    const form = errors?.form
    const q = request.query as { started?: string; saved?: string; contributed?: string; completed?: string }
    return reply.code(errors ? 400 : 200).page('assessments/views/show.njk', {
      title: `${KIND_LABELS[a.kind]}: ${found.child.given_name} ${found.child.family_name}`,
      ...found,
      kindLabel: KIND_LABELS[a.kind],
      edit: form === 'edit' ? { ...saved, ...submitted, rowVersion: /^\d+$/.test(str(submitted.rowVersion)) ? submitted.rowVersion : saved.rowVersion } : saved,
      contribution: form === 'contribution' ? submitted : {},
      completion: form === 'complete' ? { ...submitted, factors: list(submitted.factors) } : { factors: [] },
      factorGroups: FACTOR_GROUPS.map((g) => ({ ...g, factors: ASSESSMENT_FACTORS.filter((f) => f.group === g.key) })),
      banner: q.started ? 'The assessment has started.' : q.saved ? 'Your changes have been saved.' : q.contributed ? 'Your contribution has been added, and the assessment’s author has been told.' : q.completed ? 'The assessment is completed.' : null,
      backLink: `/teams/${tacId}/assessments`,
      ...(errors ?? {}),
    })
  }

  r.get('/teams/:tacId/assessments/:assessmentId', { permission: 'tac:work', audit: 'assessment.view', record: true }, async (request, reply) => showPage(request, reply, null))

  r.post('/teams/:tacId/assessments/:assessmentId', { permission: 'tac:work', audit: 'assessment.update', record: true }, async (request, reply) => {
    const { tacId, assessmentId } = params(request)
    const body = (request.body ?? {}) as Body
    const parsed = editForm.safeParse(body)
    // the domains' fields are named by the assessment's domains: strengths_<key>, needs_<key>
    // no prototype: a field named after one (strengths___proto__, needs_constructor) is only an unknown domain
    const domains: AssessmentText['domains'] = Object.create(null) as AssessmentText['domains']
    const domainErrors: FormErrors = { errors: [], fieldErrors: {} }
    for (const [k, v] of Object.entries(body)) {
      const m = /^(strengths|needs)_([a-z0-9_]{1,60})$/.exec(k)
      if (!m) continue
      // a field sent twice is refused, not saved empty
      if (Array.isArray(v)) {
        domainErrors.fieldErrors[k] = { text: sentTwice('This field') }
        domainErrors.errors.push({ text: sentTwice('This field'), href: `#${k}` })
        continue
      }
      const value = str(v).trim()
      if (value.length > MAX) {
        domainErrors.fieldErrors[k] = { text: `Must be ${MAX.toLocaleString('en-GB')} characters or fewer` }
        domainErrors.errors.push({ text: `Must be ${MAX.toLocaleString('en-GB')} characters or fewer`, href: `#${k}` })
      }
      const d = (domains[m[2]!] ??= { strengths: '', needs: '' })
      d[m[1] as 'strengths' | 'needs'] = value
    }
    if (!parsed.success || domainErrors.errors.length) {
      const base = parsed.success ? { errors: [], fieldErrors: {} } : formErrors(parsed.error)
      return showPage(request, reply, body, { errors: [...base.errors, ...domainErrors.errors], fieldErrors: { ...base.fieldErrors, ...domainErrors.fieldErrors }, form: 'edit' })
    }
    const input = { ...parsed.data, domains }
    try {
      const done = await repo(request).update(tacId, assessmentId, input)
      if (!done) return reply.callNotFound()
      if ('conflict' in done) return conflictPage(request, reply, done)
      return reply.redirect(`/teams/${tacId}/assessments/${assessmentId}?saved=1`, 303)
    } catch (err) {
      if (err instanceof RefusedError) return showPage(request, reply, body, { ...refused(err, '#childViews'), form: 'edit' })
      throw err
    }
  })

  /** Someone else saved first: both versions side by side, the practitioner's own text kept in the form. */
  async function conflictPage(request: FastifyRequest, reply: FastifyReply, c: Conflict) {
    const { tacId, assessmentId } = params(request)
    const found = await repo(request).get(tacId, assessmentId)
    if (!found) return reply.callNotFound()
    const fields: { key: string; label: string; theirs: string; yours: string }[] = [
      { key: 'childViews', label: 'The child’s views', theirs: c.theirs.childViews, yours: c.yours.childViews },
      { key: 'familyViews', label: 'The family’s views', theirs: c.theirs.familyViews, yours: c.yours.familyViews },
    ]
    for (const d of found.domains) {
      fields.push({ key: `strengths_${d.domain}`, label: `${d.label}: strengths`, theirs: c.theirs.domains[d.domain]?.strengths ?? '', yours: c.yours.domains[d.domain]?.strengths ?? c.theirs.domains[d.domain]?.strengths ?? '' })
      fields.push({ key: `needs_${d.domain}`, label: `${d.label}: needs`, theirs: c.theirs.domains[d.domain]?.needs ?? '', yours: c.yours.domains[d.domain]?.needs ?? c.theirs.domains[d.domain]?.needs ?? '' })
    }
    fields.push({ key: 'analysis', label: 'Analysis', theirs: c.theirs.analysis, yours: c.yours.analysis }, { key: 'recommendation', label: 'Recommendation', theirs: c.theirs.recommendation, yours: c.yours.recommendation })
    return reply.code(409).page('assessments/views/conflict.njk', {
      title: 'Someone else changed this assessment',
      ...found,
      kindLabel: KIND_LABELS[found.assessment.kind],
      fields,
      changed: fields.filter((f) => f.theirs !== f.yours),
      rowVersion: c.theirs.rowVersion,
      backLink: `/teams/${tacId}/assessments/${assessmentId}`,
    })
  }

  r.post('/teams/:tacId/assessments/:assessmentId/contributions', { permission: 'tac:work', audit: 'assessment.contribute', record: true, formKey: true }, async (request, reply) => {
    const { tacId, assessmentId } = params(request)
    const body = (request.body ?? {}) as Body
    const parsed = contributionForm.safeParse(body)
    if (!parsed.success) return showPage(request, reply, body, { ...formErrors(parsed.error), form: 'contribution' })
    try {
      const done = await repo(request).contribute(tacId, assessmentId, { domain: parsed.data.domain || null, body: parsed.data.body })
      if (!done) return reply.callNotFound()
      return reply.redirect(`/teams/${tacId}/assessments/${assessmentId}?contributed=1#contributions`, 303)
    } catch (err) {
      if (err instanceof RefusedError) return showPage(request, reply, body, { ...refused(err, '#body'), form: 'contribution' })
      throw err
    }
  })

  r.post('/teams/:tacId/assessments/:assessmentId/complete', { permission: 'tac:work', audit: 'assessment.complete', record: true }, async (request, reply) => {
    const { tacId, assessmentId } = params(request)
    const body = (request.body ?? {}) as Body
    const parsed = completeForm.safeParse(body)
    const factors = list(body.factors)
    if (!parsed.success) return showPage(request, reply, body, { ...formErrors(parsed.error), form: 'complete' })
    // the factors' own rules (known codes; "21" alone) are checked again by the repository, for the kind it knows
    const bad = factors.length ? factorProblems(factors) : []
    if (bad.length) return showPage(request, reply, body, { errors: bad.map((t) => ({ text: t, href: '#factors' })), fieldErrors: { factors: { text: bad.join('. ') } }, form: 'complete' })
    try {
      const done = await repo(request).complete(tacId, assessmentId, { rowVersion: parsed.data.rowVersion, factors, lateReason: parsed.data.lateReason || null })
      if (!done) return reply.callNotFound()
      return reply.redirect(`/teams/${tacId}/assessments/${assessmentId}?completed=1`, 303)
    } catch (err) {
      if (err instanceof RefusedError) {
        const href = /factor/i.test(err.message) ? '#factors' : /late|missed/i.test(err.message) ? '#lateReason' : '#complete'
        return showPage(request, reply, body, { errors: [{ text: err.message, href }], fieldErrors: href === '#complete' ? {} : { [href.slice(1)]: { text: err.message } }, form: 'complete' })
      }
      throw err
    }
  })
}
