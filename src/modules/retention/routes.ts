// Retention pages (information governance): the overview (past due, due in the next 12 months, on legal hold, the
// job's reports, the years per record type), a child's retention and legal hold, a dry-run report with the request to
// carry it out, and the second person's decision. Thin handlers: forms validated here; the repository decides access
// and writes the audit rows.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { z } from 'zod'
import type { AppDeps } from '../../platform/http/app.ts'
import { routes } from '../../platform/http/route.ts'
import { fieldError, parseForm, versionField, type FormErrors } from '../../web/forms.ts'
import { RefusedError } from '../../data/unit-of-work.ts'
import { ANCHOR_LABELS, MAX_RETENTION_YEARS, MIN_RETENTION_YEARS, RETENTION_TYPE_LABELS, RETENTION_TYPES } from './rules.ts'
import type { RetentionRecordType } from '../../data/schema.ts'

type Values = Record<string, unknown>
const bodyOf = (request: FastifyRequest) => (request.body ?? {}) as Values

const reasonField = (missing: string) => z.string({ message: missing }).trim().min(1, missing).max(5000, 'The reason must be 5,000 characters or fewer')
const holdForm = z.object({ reason: reasonField('Give the reason for the legal hold') })
const liftForm = z.object({ liftReason: reasonField('Give the reason for lifting the legal hold') })
const requestForm = z.object({ reason: reasonField('Give the reason for carrying out the report') })
const decideForm = z.object({
  decision: z.enum(['approve', 'refuse'], { message: 'Choose whether you approve or refuse' }),
  reason: z.string().trim().max(5000, 'The reason must be 5,000 characters or fewer').optional().default(''),
  rowVersion: versionField(),
})
const withdrawForm = z.object({ rowVersion: versionField() })
const yearsField = (label: string) =>
  z
    .string({ message: `Enter the years for ${label} as a whole number` })
    .trim()
    // digits only: Number() would read 0x10 as 16, 1e1 as 10 and an empty box as 0
    .regex(/^\d{1,4}$/, `Enter the years for ${label} as a whole number`)
    .transform(Number)
    .refine((n) => n >= MIN_RETENTION_YEARS, `The years for ${label} must be ${MIN_RETENTION_YEARS} or more`)
    .refine((n) => n <= MAX_RETENTION_YEARS, `The years for ${label} must be ${MAX_RETENTION_YEARS} or fewer`)
/** The label in a sentence: 'Concerns' → 'concerns', a name (Operation Encompass) kept as it is. */
const inSentence = (label: string) => (label.startsWith('Operation ') ? label : label[0]!.toLowerCase() + label.slice(1))
const yearsForm = z.object(Object.fromEntries(RETENTION_TYPES.map((t) => [t.code, yearsField(inSentence(t.label))])) as Record<RetentionRecordType, ReturnType<typeof yearsField>>)

export async function retentionRoutes(app: FastifyInstance, { data }: AppDeps): Promise<void> {
  const r = routes(app)
  const repo = (req: FastifyRequest) => data.forActor(req.actor!).retention
  const common = { types: RETENTION_TYPES, typeLabels: RETENTION_TYPE_LABELS, anchorLabels: ANCHOR_LABELS }

  async function overviewPage(request: FastifyRequest, reply: FastifyReply, state: { values?: Values; errors?: FormErrors } = {}) {
    const o = await repo(request).overview()
    if (!o) return reply.callNotFound()
    return reply.code(state.errors ? 400 : 200).page('retention/views/overview.njk', {
      title: 'Retention',
      o,
      ...common,
      values: state.values ?? o.years,
      saved: (request.query as { saved?: string }).saved,
      errors: state.errors?.errors,
      fieldErrors: state.errors?.fieldErrors ?? {},
      backLink: '/',
    })
  }

  r.get('/retention', { permission: 'retention:manage', audit: 'retention.overview' }, async (request, reply) => overviewPage(request, reply))

  r.post('/retention/years', { permission: 'retention:manage', audit: 'retention.settings' }, async (request, reply) => {
    const parsed = parseForm(yearsForm, bodyOf(request))
    if (!parsed.ok) return overviewPage(request, reply, { values: bodyOf(request), errors: parsed.errors })
    const done = await repo(request).saveYears(parsed.data)
    if (!done) return reply.callNotFound()
    return reply.redirect('/retention?saved=years', 303)
  })

  async function childPage(request: FastifyRequest, reply: FastifyReply, childId: string, state: { values?: Values; errors?: FormErrors } = {}) {
    const c = await repo(request).child(childId)
    if (!c) return reply.callNotFound()
    return reply.code(state.errors ? 400 : 200).page('retention/views/child.njk', {
      title: `Retention: ${c.childName}`,
      c,
      ...common,
      values: state.values ?? {},
      saved: (request.query as { saved?: string }).saved,
      errors: state.errors?.errors,
      fieldErrors: state.errors?.fieldErrors ?? {},
      backLink: '/retention',
    })
  }

  r.get('/retention/children/:childId', { permission: 'retention:manage', audit: 'retention.child.view', record: true }, async (request, reply) =>
    childPage(request, reply, (request.params as { childId: string }).childId),
  )

  r.post('/retention/children/:childId/hold', { permission: 'retention:manage', audit: 'retention.hold.place', record: true }, async (request, reply) => {
    const { childId } = request.params as { childId: string }
    const parsed = parseForm(holdForm, bodyOf(request))
    if (!parsed.ok) return childPage(request, reply, childId, { values: bodyOf(request), errors: parsed.errors })
    try {
      if (!(await repo(request).placeHold(childId, parsed.data.reason))) return reply.callNotFound()
    } catch (err) {
      if (err instanceof RefusedError) return childPage(request, reply, childId, { values: bodyOf(request), errors: fieldError(err.message, 'reason') })
      throw err
    }
    return reply.redirect(`/retention/children/${childId}?saved=hold`, 303)
  })

  r.post('/retention/children/:childId/hold/lift', { permission: 'retention:manage', audit: 'retention.hold.lift', record: true }, async (request, reply) => {
    const { childId } = request.params as { childId: string }
    const parsed = parseForm(liftForm, bodyOf(request))
    if (!parsed.ok) return childPage(request, reply, childId, { values: bodyOf(request), errors: parsed.errors })
    try {
      if (!(await repo(request).liftHold(childId, parsed.data.liftReason))) return reply.callNotFound()
    } catch (err) {
      if (err instanceof RefusedError) return childPage(request, reply, childId, { values: bodyOf(request), errors: fieldError(err.message, 'liftReason') })
      throw err
    }
    return reply.redirect(`/retention/children/${childId}?saved=lifted`, 303)
  })

  async function reportPage(request: FastifyRequest, reply: FastifyReply, id: string, state: { values?: Values; errors?: FormErrors; status?: number; message?: string } = {}) {
    const rep = await repo(request).report(id)
    if (!rep) return reply.callNotFound()
    return reply.code(state.status ?? (state.errors ? 400 : 200)).page('retention/views/report.njk', {
      title: `Retention report of ${rep.asOf}`,
      rep,
      ...common,
      values: state.values ?? {},
      message: state.message,
      done: (request.query as { done?: string }).done,
      errors: state.errors?.errors,
      fieldErrors: state.errors?.fieldErrors ?? {},
      backLink: '/retention',
    })
  }

  r.get('/retention/reports/:reportId', { permission: 'retention:decide', audit: 'retention.report.view', record: true }, async (request, reply) =>
    reportPage(request, reply, (request.params as { reportId: string }).reportId),
  )

  r.post('/retention/reports/:reportId/request', { permission: 'retention:manage', audit: 'retention.request', record: true }, async (request, reply) => {
    const { reportId } = request.params as { reportId: string }
    const parsed = parseForm(requestForm, bodyOf(request))
    if (!parsed.ok) return reportPage(request, reply, reportId, { values: bodyOf(request), errors: parsed.errors })
    try {
      if (!(await repo(request).requestExecution(reportId, parsed.data.reason))) return reply.callNotFound()
    } catch (err) {
      if (err instanceof RefusedError) return reportPage(request, reply, reportId, { values: bodyOf(request), errors: fieldError(err.message, 'reason') })
      throw err
    }
    return reply.redirect(`/retention/reports/${reportId}?done=requested`, 303)
  })

  r.post('/retention/reports/:reportId/decide', { permission: 'retention:decide', audit: 'retention.approve | retention.refuse', record: true }, async (request, reply) => {
    const { reportId } = request.params as { reportId: string }
    const parsed = parseForm(decideForm, bodyOf(request), (v) => (v.decision === 'refuse' && !String(v.reason ?? '').trim() ? [{ path: 'reason', message: 'Give the reason for refusing' }] : []))
    if (!parsed.ok) return reportPage(request, reply, reportId, { values: bodyOf(request), errors: parsed.errors })
    const done = await repo(request).decide(reportId, parsed.data)
    if (!done) return reply.callNotFound()
    if (done.status === 'conflict') return reportPage(request, reply, reportId, { status: 409, message: 'This request has already been decided or withdrawn: this is where it stands now.' })
    if (done.status === 'refused') return reportPage(request, reply, reportId, { status: 403, values: bodyOf(request), errors: fieldError(done.message, 'decision') })
    return reply.redirect(`/retention/reports/${reportId}?done=${done.state}`, 303)
  })

  r.post('/retention/reports/:reportId/withdraw', { permission: 'retention:manage', audit: 'retention.withdraw', record: true }, async (request, reply) => {
    const { reportId } = request.params as { reportId: string }
    const parsed = parseForm(withdrawForm, bodyOf(request))
    if (!parsed.ok) return reportPage(request, reply, reportId, { errors: parsed.errors })
    const done = await repo(request).withdraw(reportId, parsed.data.rowVersion)
    if (!done) return reply.callNotFound()
    if (done.status === 'conflict') return reportPage(request, reply, reportId, { status: 409, message: 'This request has been decided already: this is where it stands now.' })
    if (done.status === 'refused') return reportPage(request, reply, reportId, { status: 403, errors: fieldError(done.message, 'withdraw') })
    return reply.redirect(`/retention/reports/${reportId}?done=withdrawn`, 303)
  })
}
