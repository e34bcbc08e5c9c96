// Practitioner administration for agency (and partnership) administrators.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { z } from 'zod'
import type { AppDeps } from '../../platform/http/app.ts'
import { routes } from '../../platform/http/route.ts'
import { fieldError, formErrors, oneValue, sentTwice, type FormErrors } from '../../web/forms.ts'
import { FieldRefusedError, RefusedError } from '../../data/unit-of-work.ts'

const text = (max: number) => z.string().trim().max(max, `Must be ${max} characters or fewer`)
const newForm = z.object({
  givenName: text(100).min(1, 'Enter their first name'),
  familyName: text(100).min(1, 'Enter their last name'),
  email: text(320).min(1, 'Enter their email address').email('Enter an email address in the correct format, like name@example.org'),
  jobTitle: text(200).optional().default(''),
  phone: text(50).optional().default(''),
  role: z.string().min(1, 'Choose a role'),
  teamId: z.string().optional().default(''),
  agencyId: z.string().optional().default(''),
})
const reasonForm = z.object({ reason: text(2000).min(1, 'Give the reason: it is recorded') })

export async function adminRoutes(app: FastifyInstance, { data }: AppDeps): Promise<void> {
  const r = routes(app)
  const repo = (req: FastifyRequest) => data.forActor(req.actor!).admin
  const decl = (audit: string, record = false) => ({ permission: 'practitioner:administer' as const, audit, record })
  const flash = (request: FastifyRequest) => (request.query as { done?: string }).done

  r.get('/admin/practitioners', decl('practitioner.list'), async (request, reply) => {
    const people = await repo(request).list()
    return reply.page('admin/views/list.njk', { title: 'Practitioners', people, done: flash(request), backLink: '/' })
  })

  const newPage = async (request: FastifyRequest, reply: FastifyReply, values: Record<string, unknown>, errors?: FormErrors) => {
    const options = await repo(request).options()
    return reply.code(errors ? 400 : 200).page('admin/views/new.njk', { title: 'Add a practitioner', ...options, values, isPartnershipAdmin: request.actor!.role === 'partnership_admin', backLink: '/admin/practitioners', ...(errors ?? {}) })
  }
  r.get('/admin/practitioners/new', decl('none: form'), async (request, reply) => newPage(request, reply, {}))
  r.post('/admin/practitioners', decl('practitioner.create'), async (request, reply) => {
    const values = (request.body ?? {}) as Record<string, unknown>
    const parsed = newForm.safeParse(values)
    if (!parsed.success) return newPage(request, reply, values, formErrors(parsed.error))
    try {
      const made = await repo(request).create({ ...parsed.data, phone: parsed.data.phone || null, teamId: parsed.data.teamId || null, agencyId: parsed.data.agencyId || null })
      if (!made) return reply.callNotFound()
      // the temporary password is shown once, here, and never stored in the clear
      return reply.page('admin/views/created.njk', { title: 'Practitioner added', made, email: parsed.data.email })
    } catch (err) {
      // the refusal on the field the data layer names (the email already in use, a team or agency not offered), else the role
      if (err instanceof RefusedError) return newPage(request, reply, values, fieldError(err.message, err instanceof FieldRefusedError ? err.field : 'role'))
      throw err
    }
  })

  const showPage = async (request: FastifyRequest, reply: FastifyReply, id: string, values: Record<string, unknown> = {}, errors?: FormErrors) => {
    const [found, options, colleagues] = await Promise.all([repo(request).get(id), repo(request).options(), repo(request).colleagues()])
    if (!found) return reply.callNotFound()
    return reply.code(errors ? 400 : 200).page('admin/views/show.njk', { title: `${found.practitioner.given_name} ${found.practitioner.family_name}`, ...found, ...options, colleagues, values, done: flash(request), isPartnershipAdmin: request.actor!.role === 'partnership_admin', backLink: '/admin/practitioners', ...(errors ?? {}) })
  }
  r.get('/admin/practitioners/:practitionerId', decl('practitioner.view', true), async (request, reply) => showPage(request, reply, (request.params as { practitionerId: string }).practitionerId))

  // the page has two reason fields, one per form: each action's errors and typed reason go back to its own field
  const action = (url: string, audit: string, run: (request: FastifyRequest, id: string, reason: string) => Promise<unknown>, done: string, field: 'reason' | 'reason-disable') =>
    r.post(url, decl(audit, true), async (request, reply) => {
      const id = (request.params as { practitionerId: string }).practitionerId
      const parsed = reasonForm.safeParse(request.body ?? {})
      const typed = (request.body as { reason?: unknown } | undefined)?.reason
      const fail = (text: string) => showPage(request, reply, id, { [field]: typeof typed === 'string' ? typed : '' }, fieldError(text, field))
      if (!parsed.success) return fail(formErrors(parsed.error).errors[0]!.text)
      try {
        if (!(await run(request, id, parsed.data.reason))) return reply.callNotFound()
      } catch (err) {
        if (err instanceof RefusedError) return fail(err.message)
        throw err
      }
      return reply.redirect(`/admin/practitioners/${id}?done=${done}`, 303)
    })
  action('/admin/practitioners/:practitionerId/disable', 'practitioner.disable', (req, id, reason) => repo(req).setDisabled(id, true, reason), 'disabled', 'reason-disable')
  action('/admin/practitioners/:practitionerId/enable', 'practitioner.enable', (req, id, reason) => repo(req).setDisabled(id, false, reason), 'enabled', 'reason-disable')
  // a new temporary password, shown once on the page that answers (never stored in the clear, never sent by email)
  r.post('/admin/practitioners/:practitionerId/reset-password', decl('practitioner.reset-password', true), async (request, reply) => {
    const id = (request.params as { practitionerId: string }).practitionerId
    const parsed = reasonForm.safeParse(request.body ?? {})
    const typed = (request.body as { reason?: unknown } | undefined)?.reason
    const fail = (text: string) => showPage(request, reply, id, { 'reason-password': typeof typed === 'string' ? typed : '' }, fieldError(text, 'reason-password'))
    if (!parsed.success) return fail(formErrors(parsed.error).errors[0]!.text)
    try {
      const reset = await repo(request).resetPassword(id, parsed.data.reason)
      if (!reset) return reply.callNotFound()
      return reply.page('admin/views/password-reset.njk', { title: 'Temporary password set', reset })
    } catch (err) {
      if (err instanceof RefusedError) return fail(err.message)
      throw err
    }
  })
  action('/admin/practitioners/:practitionerId/reset-mfa', 'practitioner.reset-mfa', (req, id, reason) => repo(req).resetMfa(id, reason), 'mfa-reset', 'reason')

  r.post('/admin/practitioners/:practitionerId/memberships', decl('membership.add', true), async (request, reply) => {
    const id = (request.params as { practitionerId: string }).practitionerId
    const b = (request.body ?? {}) as { role?: unknown; teamId?: unknown; agencyId?: unknown }
    // each field one value (oneValue): a list (a JSON array, a field sent twice) is no choice from the list, refused as
    // such — an array holding one id once reached the database and answered 500
    const one = (v: unknown): string | null => {
      const value = oneValue(v)
      return value === null ? 'not-from-the-list' : value || null
    }
    try {
      const done = await repo(request).addMembership(id, { role: one(b.role) ?? '', teamId: one(b.teamId), agencyId: one(b.agencyId) })
      if (!done) return reply.callNotFound()
    } catch (err) {
      if (err instanceof RefusedError) return showPage(request, reply, id, b, fieldError(err.message, 'role'))
      throw err
    }
    return reply.redirect(`/admin/practitioners/${id}?done=membership-added`, 303)
  })

  r.post('/admin/memberships/:membershipId/end', decl('membership.end', true), async (request, reply) => {
    const id = (request.params as { membershipId: string }).membershipId
    const b = (request.body ?? {}) as { reason?: unknown }
    // a refusal (already ended, a reason too long) is shown on the practitioner's page, linked to that role's row
    const fail = async (text: string) => {
      const back = await repo(request).practitionerOfMembership(id)
      if (!back) return reply.callNotFound()
      return showPage(request, reply, back, {}, { errors: [{ text, href: `#membership-${id}` }], fieldErrors: {} })
    }
    if (b.reason !== undefined && typeof b.reason !== 'string') return fail('The form is out of date: reload the page and try again')
    const reason = (b.reason ?? '').trim() || 'Left the role'
    if (reason.length > 2000) return fail('The reason must be 2,000 characters or fewer')
    try {
      const done = await repo(request).endMembership(id, reason)
      if (!done) return reply.callNotFound()
      return reply.redirect(`/admin/practitioners/${done.practitionerId}?done=membership-ended`, 303)
    } catch (err) {
      if (err instanceof RefusedError) return fail(err.message)
      throw err
    }
  })

  r.post('/admin/memberships/:membershipId/reassign', decl('relationship.reassign', true), async (request, reply) => {
    const from = (request.params as { membershipId: string }).membershipId
    const b = (request.body ?? {}) as { to?: unknown; reason?: unknown }
    // a field sent twice (a hand-made request) is said to be so, not answered as though it were missing
    const sentTo = oneValue(b.to)
    const sentReason = oneValue(b.reason)
    const to = sentTo ?? ''
    const reason = (sentReason ?? '').trim()
    // the page has a form per role: the error is on this role's field, and what was chosen and typed is kept
    const fail = async (text: string, field: 'to' | 'reason' = 'to') => {
      const back = await repo(request).practitionerOfMembership(from)
      if (!back) return reply.callNotFound()
      // the typed reason goes back to this role's form only, not the page's other reason fields
      return showPage(request, reply, back, { to, reassignReason: reason, reassignFrom: from }, { errors: [{ text, href: `#${field}-${from}` }], fieldErrors: { [`${field}-${from}`]: { text } } })
    }
    if (sentTo === null) return fail(sentTwice('The colleague'))
    if (sentReason === null) return fail(sentTwice('The reason'), 'reason')
    if (!to) return fail('Choose the colleague to move the children to')
    if (!reason) return fail('Give the reason: it is recorded', 'reason')
    if (reason.length > 2000) return fail('The reason must be 2,000 characters or fewer', 'reason')
    try {
      const done = await repo(request).reassignChildren(from, to, reason)
      if (!done) return reply.callNotFound()
      return reply.redirect(`/admin/practitioners/${done.practitionerId}?done=reassigned-${done.moved}`, 303)
    } catch (err) {
      if (err instanceof RefusedError) return fail(err.message)
      throw err
    }
  })
}
