// Missing episodes on a child's record: reported and found (police), the return home interview.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { z } from 'zod'
import type { AppDeps } from '../../platform/http/app.ts'
import { routes } from '../../platform/http/route.ts'
import { dateField, fieldError, formErrors, unlessFormGone, type FormErrors } from '../../web/forms.ts'
import { londonDateTime } from '../../web/dates.ts'
import { FieldRefusedError, RefusedError } from '../../data/unit-of-work.ts'
import { hasPermission } from '../../access/policy.ts'

const date = dateField('The date', { format: 'Enter the date as YYYY-MM-DD' })
const time = z.string().trim().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'Enter the time as HH:MM')
const reportForm = z.object({ missingDate: date, missingTime: time, risk: z.enum(['no_apparent_risk', 'low', 'medium', 'high'], { message: 'Choose the risk assessed' }), policeReference: z.string().trim().max(50, 'The police reference must be 50 characters or fewer').optional().default(''), circumstances: z.string().trim().min(1, 'Describe the circumstances').max(5000, 'The circumstances must be 5,000 characters or fewer') })
const foundForm = z.object({ foundDate: date, foundTime: time, whereFound: z.string().trim().min(1, 'Say where the child was found').max(1000, 'Where the child was found must be 1,000 characters or fewer') })
const rhiForm = z.object({
  offeredDate: date,
  offeredTime: time,
  by: z.string().trim().min(1, 'Say who offered the interview').max(200, 'Who offered the interview must be 200 characters or fewer'),
  independent: z.enum(['yes', 'no'], { message: 'Say whether they are independent of the child’s care' }),
  accepted: z.enum(['yes', 'no'], { message: 'Say whether the child accepted' }),
  childSaid: z.string().trim().max(10_000, 'What the child said must be 10,000 characters or fewer').optional().default(''),
  lateReason: z.string().trim().max(5000, 'Why the interview was late must be 5,000 characters or fewer').optional().default(''),
})

export async function missingRoutes(app: FastifyInstance, { data, clock }: AppDeps): Promise<void> {
  const r = routes(app)
  const repo = (req: FastifyRequest) => data.forActor(req.actor!).missing

  /**
   * The child's missing episodes and their forms. With `episode`, the errors are those of that episode's form (found,
   * or return home interview): its fields' ids carry the episode's id, and when the form is no longer on the page
   * (the child was recorded found, the interview recorded, since the page was loaded) the error says so instead.
   */
  async function page(request: FastifyRequest, reply: FastifyReply, childId: string, values: Record<string, unknown>, errors?: FormErrors, episode?: { id: string; form: 'found' | 'rhi' }) {
    const found = await repo(request).forChild(childId)
    if (!found) return reply.callNotFound()
    const now = londonDateTime(clock.now())
    const canReport = hasPermission(request.actor!.role, 'missing:record')
    const canRhi = hasPermission(request.actor!.role, 'missing:rhi')
    let shown = errors
    if (errors && episode) {
      const m = found.episodes.find((e) => e.id === episode.id)
      if (!m) return reply.callNotFound()
      const gone =
        episode.form === 'found'
          ? m.found_at ? 'The child has already been recorded as found for this episode' : !canReport ? 'Only the police record a child as found' : null
          : !m.found_at ? 'The return home interview is offered once the child is found: they are still recorded as missing' : m.rhi_offered_at ? 'The return home interview has already been recorded for this episode' : !canRhi ? 'You cannot record the return home interview' : null
      shown = gone
        ? unlessFormGone(errors, gone)
        : { errors: errors.errors.map((e) => ({ text: e.text, href: e.href === '#main-content' ? `#episode-${episode.id}` : `${e.href}-${episode.id}` })), fieldErrors: errors.fieldErrors }
    }
    const episodeDefaults = { missingDate: now.date, foundDate: now.date, offeredDate: now.date }
    return reply.code(errors ? 400 : 200).page('missing/views/child.njk', {
      title: `Missing episodes: ${found.child.given_name} ${found.child.family_name}`,
      ...found,
      values: { ...episodeDefaults, ...values },
      episodeDefaults,
      errorEpisode: errors && episode ? episode.id : null,
      canReport,
      canRhi,
      backLink: `/children/${childId}`,
      ...(shown ?? {}),
    })
  }

  r.get('/children/:childId/missing', { permission: 'child:read', audit: 'missing.list', record: true }, async (request, reply) => page(request, reply, (request.params as { childId: string }).childId, {}))

  const post = (url: string, audit: string, permission: 'missing:record' | 'missing:rhi', run: (request: FastifyRequest, childId: string, id: string | undefined) => Promise<unknown | FormErrors>, form?: 'found' | 'rhi') =>
    // reporting a child missing makes a record with no key of its own: the form's key keeps a double click to one
    // episode (two would also count towards the repeat-missing prompt)
    r.post(url, { permission, audit, record: true, formKey: !form }, async (request, reply) => {
      const p = request.params as { childId: string; episodeId?: string }
      const episode = form && p.episodeId ? { id: p.episodeId, form } : undefined
      try {
        const done = await run(request, p.childId, p.episodeId)
        if (!done) return reply.callNotFound()
        if (typeof done === 'object' && 'errors' in (done as object)) return page(request, reply, p.childId, (request.body ?? {}) as Record<string, unknown>, done as FormErrors, episode)
      } catch (err) {
        // a refusal of one field (a late interview without its reason) is shown beside it
        if (err instanceof FieldRefusedError) return page(request, reply, p.childId, (request.body ?? {}) as Record<string, unknown>, fieldError(err.message, err.field), episode)
        if (err instanceof RefusedError) return page(request, reply, p.childId, (request.body ?? {}) as Record<string, unknown>, { errors: [{ text: err.message, href: '#main-content' }], fieldErrors: {} }, episode)
        throw err
      }
      return reply.redirect(`/children/${p.childId}/missing`, 303)
    })

  post('/children/:childId/missing', 'missing.report', 'missing:record', async (request, childId) => {
    const parsed = reportForm.safeParse(request.body ?? {})
    if (!parsed.success) return formErrors(parsed.error)
    const v = parsed.data
    const missingFrom = londonDateTime.toInstant(v.missingDate, v.missingTime)
    // a typo'd year would leave the child unable to be recorded found until then (found is never before missing)
    if (missingFrom > clock.now()) return { errors: [{ text: 'The time the child went missing cannot be in the future', href: '#missingDate' }], fieldErrors: { missingDate: { text: 'The time the child went missing cannot be in the future' } } }
    return repo(request).report(childId, { missingFrom, policeReference: v.policeReference || null, risk: v.risk, circumstances: v.circumstances })
  })
  post('/children/:childId/missing/:episodeId/found', 'missing.found', 'missing:record', async (request, childId, id) => {
    const parsed = foundForm.safeParse(request.body ?? {})
    if (!parsed.success) return formErrors(parsed.error)
    const foundAt = londonDateTime.toInstant(parsed.data.foundDate, parsed.data.foundTime)
    if (foundAt > clock.now()) return { errors: [{ text: 'The time found cannot be in the future', href: '#foundDate' }], fieldErrors: { foundDate: { text: 'The time found cannot be in the future' } } }
    return repo(request).found(childId, id!, { foundAt, whereFound: parsed.data.whereFound })
  }, 'found')
  post('/children/:childId/missing/:episodeId/rhi', 'missing.rhi', 'missing:rhi', async (request, childId, id) => {
    const parsed = rhiForm.safeParse(request.body ?? {})
    if (!parsed.success) return formErrors(parsed.error)
    const v = parsed.data
    const offeredAt = londonDateTime.toInstant(v.offeredDate, v.offeredTime)
    if (offeredAt > clock.now()) return { errors: [{ text: 'The time the interview was offered cannot be in the future', href: '#offeredDate' }], fieldErrors: { offeredDate: { text: 'The time the interview was offered cannot be in the future' } } }
    return repo(request).returnHomeInterview(childId, id!, { offeredAt, by: v.by, independent: v.independent === 'yes', accepted: v.accepted === 'yes', heldAt: v.accepted === 'yes' ? offeredAt : null, childSaid: v.childSaid, lateReason: v.lateReason || null })
  }, 'rhi')
}
