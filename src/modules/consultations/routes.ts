// Asking the school-based social worker, and their answers.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { z } from 'zod'
import type { AppDeps } from '../../platform/http/app.ts'
import { routes } from '../../platform/http/route.ts'
import { dateError, fieldError, formErrors } from '../../web/forms.ts'
import { londonDateTime } from '../../web/dates.ts'
import { RefusedError } from '../../data/unit-of-work.ts'
import { hasPermission } from '../../access/policy.ts'
import { childPicker } from '../search/picker.ts'

const askForm = z.object({ childId: z.string().optional().default(''), question: z.string().trim().min(1, 'Enter your question').max(10_000, 'Must be 10,000 characters or fewer') })
const answerForm = z.object({
  advice: z.string().trim().min(1, 'Enter the advice you gave').max(10_000, 'The advice must be 10,000 characters or fewer'),
  nextStep: z.string().trim().min(1, 'Enter the agreed next step').max(5000, 'The agreed next step must be 5,000 characters or fewer'),
  followUpOn: z
    .string()
    .trim()
    .superRefine((v, c) => {
      // the one date check (2026-02-30 is refused here, not rolled over by Date.parse or sent to the database)
      const message = v === '' ? null : dateError(v, 'The follow-up date', { format: 'Enter the follow-up date as YYYY-MM-DD' })
      if (message) c.addIssue({ code: 'custom', message })
    })
    .optional()
    .default(''),
})

export async function consultationRoutes(app: FastifyInstance, { data, clock }: AppDeps): Promise<void> {
  const r = routes(app)
  const repo = (req: FastifyRequest) => data.forActor(req.actor!).consultations

  r.get('/consultations', { permission: 'signed-in', audit: 'consultation.list' }, async (request, reply) => {
    const actor = request.actor!
    if (!hasPermission(actor.role, 'consultation:ask') && !hasPermission(actor.role, 'consultation:give')) return reply.callNotFound()
    const rows = await repo(request).list()
    return reply.page('consultations/views/list.njk', { title: 'Consultations', rows, canAsk: hasPermission(actor.role, 'consultation:ask'), backLink: '/' })
  })

  const askPage = async (request: FastifyRequest, reply: FastifyReply, values: Record<string, unknown>, errors?: ReturnType<typeof formErrors>) => {
    const picker = await childPicker(data.forActor(request.actor!), 'consultation', values.childId)
    return reply.code(errors ? 400 : 200).page('consultations/views/ask.njk', { title: 'Ask the school-based social worker', picker, values, backLink: '/consultations', ...(errors ?? {}) })
  }

  r.get('/consultations/new', { permission: 'consultation:ask', audit: 'child.list' }, async (request, reply) => askPage(request, reply, { childId: (request.query as { child?: string }).child ?? '' }))

  r.post('/consultations', { permission: 'consultation:ask', audit: 'consultation.ask', formKey: true }, async (request, reply) => {
    const parsed = askForm.safeParse(request.body ?? {})
    if (!parsed.success) return askPage(request, reply, (request.body ?? {}) as Record<string, unknown>, formErrors(parsed.error))
    try {
      const done = await repo(request).ask({ childId: parsed.data.childId || null, question: parsed.data.question })
      if (!done) return reply.callNotFound()
      return reply.redirect(`/consultations/${done.id}?asked=1`, 303)
    } catch (err) {
      if (err instanceof RefusedError) return askPage(request, reply, parsed.data, { errors: [{ text: err.message, href: '#question' }], fieldErrors: {} })
      throw err
    }
  })

  const showPage = async (request: FastifyRequest, reply: FastifyReply, id: string, values: Record<string, unknown>, errors?: ReturnType<typeof formErrors>) => {
    const found = await repo(request).get(id)
    if (!found) return reply.callNotFound()
    const q = request.query as { asked?: string; answered?: string }
    return reply.code(errors ? 400 : 200).page('consultations/views/show.njk', { title: 'Consultation', ...found, values, asked: q.asked, answered: q.answered, backLink: '/consultations', ...(errors ?? {}) })
  }

  r.get('/consultations/:consultationId', { permission: 'signed-in', audit: 'consultation.view', record: true }, async (request, reply) => {
    return showPage(request, reply, (request.params as { consultationId: string }).consultationId, {})
  })

  r.post('/consultations/:consultationId/answer', { permission: 'consultation:give', audit: 'consultation.answer', record: true }, async (request, reply) => {
    const id = (request.params as { consultationId: string }).consultationId
    const parsed = answerForm.safeParse(request.body ?? {})
    if (!parsed.success) return showPage(request, reply, id, (request.body ?? {}) as Record<string, unknown>, formErrors(parsed.error))
    // a follow-up is still to come (a day already gone is a typing slip, and would never be followed up)
    if (parsed.data.followUpOn && parsed.data.followUpOn < londonDateTime(clock.now()).date) return showPage(request, reply, id, parsed.data, fieldError('The follow-up date must be today or in the future', 'followUpOn'))
    try {
      const done = await repo(request).answer(id, { advice: parsed.data.advice, nextStep: parsed.data.nextStep, followUpOn: parsed.data.followUpOn || null })
      if (!done) return reply.callNotFound()
    } catch (err) {
      if (err instanceof RefusedError) return showPage(request, reply, id, parsed.data, { errors: [{ text: err.message, href: '#advice' }], fieldErrors: {} })
      throw err
    }
    return reply.redirect(`/consultations/${id}?answered=1`, 303)
  })
}
