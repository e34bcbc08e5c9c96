// Operation Encompass pages: the police record; the school's DSL reads and acknowledges.
import { randomUUID } from 'node:crypto'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { z } from 'zod'
import type { AppDeps } from '../../platform/http/app.ts'
import { routes } from '../../platform/http/route.ts'
import { dateField, fieldError, formErrors, oneValue, sentTwice, unlessFormGone, type FormErrors } from '../../web/forms.ts'
import { londonDateTime } from '../../web/dates.ts'
import { FORM_SENT_BEFORE, KeyReusedError, RefusedError } from '../../data/unit-of-work.ts'
import { childPicker } from '../search/picker.ts'
import { hasPermission } from '../../access/policy.ts'

const list = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : v === undefined || v === '' ? [] : [String(v)])
const form = z
  .object({
    children: z.array(z.string()).min(1, 'Choose the children involved'),
    incidentDate: dateField('The date of the incident', { format: 'Enter the date as YYYY-MM-DD' }),
    incidentTime: z.string().trim().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'Enter the time as HH:MM, for example 22:15'),
    incidentReference: z.string().trim().max(50).optional().default(''),
    summary: z.string().trim().min(1, 'Say what the school needs to know, in a sentence or two').max(2000, 'Must be 2,000 characters or fewer'),
    idempotencyKey: z.string().uuid('This form has expired: reload the page'),
  })

export async function encompassRoutes(app: FastifyInstance, { data, clock }: AppDeps): Promise<void> {
  const r = routes(app)
  const repo = (req: FastifyRequest) => data.forActor(req.actor!).encompass

  async function newPage(request: FastifyRequest, reply: FastifyReply, values: Record<string, unknown>, errors?: FormErrors) {
    const picker = await childPicker(data.forActor(request.actor!), 'encompass', values.children)
    return reply.code(errors ? 400 : 200).page('encompass/views/new.njk', { title: 'Operation Encompass notice', picker, values, backLink: '/', ...(errors ?? {}) })
  }

  r.get('/encompass/new', { permission: 'encompass:record', audit: 'child.list' }, async (request, reply) => {
    const now = londonDateTime(clock.now())
    return newPage(request, reply, { idempotencyKey: randomUUID(), incidentDate: now.date, incidentTime: now.time, children: list((request.query as { child?: string }).child) })
  })

  r.post('/encompass', { permission: 'encompass:record', audit: 'encompass.create' }, async (request, reply) => {
    const body = (request.body ?? {}) as Record<string, unknown>
    const values = { ...body, children: list(body.children) }
    const parsed = form.safeParse(values)
    if (!parsed.success) return newPage(request, reply, values, formErrors(parsed.error))
    const incidentAt = londonDateTime.toInstant(parsed.data.incidentDate, parsed.data.incidentTime)
    if (incidentAt > clock.now()) return newPage(request, reply, values, { errors: [{ text: 'The incident cannot be in the future', href: '#incidentDate' }], fieldErrors: { incidentDate: { text: 'The incident cannot be in the future' } } })
    try {
      const done = await repo(request).record({ childIds: parsed.data.children, incidentAt, incidentReference: parsed.data.incidentReference || null, summary: parsed.data.summary, idempotencyKey: parsed.data.idempotencyKey })
      if (!done) return reply.callNotFound()
      return reply.page('encompass/views/recorded.njk', { title: 'Notices sent', notices: done.notices })
    } catch (err) {
      if (err instanceof KeyReusedError) return newPage(request, reply, { ...values, idempotencyKey: randomUUID() }, { errors: [{ text: FORM_SENT_BEFORE, href: '#children' }], fieldErrors: {} })
      if (err instanceof RefusedError) return newPage(request, reply, values, { errors: [{ text: err.message, href: '#children' }], fieldErrors: {} })
      throw err
    }
  })

  r.get('/encompass', { permission: 'concern:triage', audit: 'encompass.list' }, async (request, reply) => {
    const rows = await repo(request).forSchool()
    return reply.page('encompass/views/list.njk', { title: 'Operation Encompass notices', rows, now: clock.now(), backLink: '/' })
  })

  const show = async (request: FastifyRequest, reply: FastifyReply, id: string, values: Record<string, unknown>, errors?: FormErrors) => {
    const found = await repo(request).get(id)
    if (!found) return reply.callNotFound()
    const shown = errors && !found.canAcknowledge ? unlessFormGone(errors, found.notice.acknowledged_at ? 'This notice has already been acknowledged' : 'Only the designated safeguarding lead of the child’s school can acknowledge this notice') : errors
    return reply.code(errors ? 400 : 200).page('encompass/views/show.njk', { title: 'Operation Encompass notice', ...found, values, late: found.notice.due_at !== null && clock.now() > found.notice.due_at, backLink: hasPermission(request.actor!.role, 'concern:triage') ? '/encompass' : '/', ...(shown ?? {}) })
  }
  r.get('/encompass/:noticeId', { permission: 'signed-in', audit: 'encompass.view', record: true }, async (request, reply) => show(request, reply, (request.params as { noticeId: string }).noticeId, {}))

  r.post('/encompass/:noticeId/acknowledge', { permission: 'concern:triage', audit: 'encompass.acknowledge', record: true }, async (request, reply) => {
    const id = (request.params as { noticeId: string }).noticeId
    const sent = oneValue((request.body as { response?: unknown })?.response)
    if (sent === null) return show(request, reply, id, { response: '' }, fieldError(sentTwice('The response'), 'response'))
    const response = sent.trim()
    if (response.length > 5000) return show(request, reply, id, { response }, fieldError('The response must be 5,000 characters or fewer', 'response'))
    try {
      const done = await repo(request).acknowledge(id, response)
      if (!done) return reply.callNotFound()
    } catch (err) {
      if (err instanceof RefusedError) return show(request, reply, id, { response }, fieldError(err.message, 'response'))
      throw err
    }
    return reply.redirect(`/encompass/${id}`, 303)
  })
}
