// The team around the child: my teams, a child's teams and starting one, the team page (members and their duties,
// the family and their agreement, the level and its history), invitations, leaving, step up / down and closure.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { z } from 'zod'
import type { AppDeps } from '../../platform/http/app.ts'
import { routes } from '../../platform/http/route.ts'
import { formErrors, versionField, type FormErrors } from '../../web/forms.ts'
import { RefusedError } from '../../data/unit-of-work.ts'
import { hasPermission } from '../../access/policy.ts'
import { TAC_LEVELS } from '../../data/schema.ts'
import { LEVEL_LABELS } from './access.ts'
import { tacApiRoutes } from './api.ts'

const text = (max: number, message: string) => z.string().trim().min(1, message).max(max, `Must be ${max.toLocaleString('en-GB')} characters or fewer`)
const optional = (max: number) => z.string().trim().max(max, `Must be ${max.toLocaleString('en-GB')} characters or fewer`).optional().default('')
const ids = z
  .union([z.string(), z.array(z.string())])
  .optional()
  .transform((v) => (v === undefined ? [] : Array.isArray(v) ? v : [v]))

const startForm = z.object({
  level: z.enum(['early_help', 'child_in_need'], { message: 'Choose the level of the team' }),
  leadMembershipId: text(36, 'Choose the lead practitioner'),
  leadRole: optional(200),
  reason: text(5000, 'Say why the team is needed'),
  siblingIds: ids,
})
const inviteForm = z.object({ membershipId: text(36, 'Choose who to invite'), teamRole: text(200, 'Say what their role in the team is'), duties: optional(2000) })
const roleForm = z.object({ teamRole: text(200, 'Say what their role in the team is'), duties: optional(2000), rowVersion: versionField('The form is out of date: reload the page') })
const leaveForm = z.object({ memberId: optional(36), leaveReason: text(2000, 'Say why they are leaving the team') })
const leadForm = z.object({ leadMembershipId: text(36, 'Choose the member who takes over the lead'), leadReason: text(2000, 'Say why the lead is changing') })
const familyForm = z.object({
  name: text(200, 'Enter the family member’s name'),
  relationship: text(100, 'Say how they are related to the child'),
  views: optional(10_000),
  agreement: z.enum(['agreed', 'not_agreed', 'not_asked'], { message: 'Say whether they agree to the plan' }),
  agreementNote: optional(5000),
  rowVersion: versionField('The form is out of date: reload the page', 0).optional(),
})
const levelForm = z.object({
  to: z.enum([...TAC_LEVELS, 'closed'], { message: 'Choose the new level, or close the team' }),
  reason: text(5000, 'Give the reasons for the decision'),
  rowVersion: versionField('The form is out of date: reload the page', 0),
})

export async function tacRoutes(app: FastifyInstance, deps: AppDeps): Promise<void> {
  const { data } = deps
  const r = routes(app)
  // the JSON API of the team, its meetings and its plan (read-only)
  await tacApiRoutes(app, deps)
  const repo = (req: FastifyRequest) => data.forActor(req.actor!).tac

  r.get('/teams', { permission: 'tac:work', audit: 'tac.list' }, async (request, reply) => {
    const teams = await repo(request).mine()
    return reply.page('tac/views/mine.njk', { title: 'Teams around the child', invitations: teams.filter((t) => t.my_status === 'invited'), teams: teams.filter((t) => t.my_status === 'joined'), backLink: '/' })
  })

  async function childPage(request: FastifyRequest, reply: FastifyReply, childId: string, values: Record<string, unknown>, errors?: FormErrors) {
    const found = await repo(request).forChild(childId)
    if (!found) return reply.callNotFound()
    return reply.code(errors ? 400 : 200).page('tac/views/child.njk', {
      title: `Team around the child: ${found.child.given_name} ${found.child.family_name}`,
      ...found,
      values: { level: 'early_help', leadMembershipId: request.actor!.membershipId, ...values },
      canStart: hasPermission(request.actor!.role, 'tac:start') && !found.teams.some((t) => t.status === 'open' && !t.mace),
      levels: LEVEL_LABELS,
      backLink: `/children/${childId}`,
      ...(errors ?? { errors: [], fieldErrors: {} }),
    })
  }
  r.get('/children/:childId/teams', { permission: 'child:read', audit: 'tac.child', record: true }, async (request, reply) => childPage(request, reply, (request.params as { childId: string }).childId, {}))
  r.post('/children/:childId/teams', { permission: 'tac:start', audit: 'tac.start', record: true }, async (request, reply) => {
    const childId = (request.params as { childId: string }).childId
    const body = (request.body ?? {}) as Record<string, unknown>
    const parsed = startForm.safeParse(body)
    if (!parsed.success) return childPage(request, reply, childId, body, formErrors(parsed.error))
    try {
      const done = await repo(request).start({ childId, ...parsed.data })
      if (!done) return reply.callNotFound()
      return reply.redirect(`/teams/${done.id}`, 303)
    } catch (err) {
      if (err instanceof RefusedError) return childPage(request, reply, childId, body, { errors: [{ text: err.message, href: '#main-content' }], fieldErrors: {} })
      throw err
    }
  })

  /**
   * The errors of one of several forms of the same kind on the page (a member's role, removing a member, a family
   * member's details): its fields' ids end in `-<target>`; a refusal links to that row's details (shown open).
   */
  const scopedErrors = (e: FormErrors, form: string, target: string): FormErrors & { form: string; target: string } => ({
    form,
    target,
    errors: e.errors.map((x) => ({ text: x.text, href: x.href === '#main-content' ? `#${form}-${target}` : `${x.href}-${target}` })),
    fieldErrors: e.fieldErrors,
  })

  async function teamPage(request: FastifyRequest, reply: FastifyReply, tacId: string, values: Record<string, unknown> = {}, errors?: FormErrors & { form?: string; target?: string }, status?: number) {
    const found = await repo(request).overview(tacId)
    if (!found) return reply.callNotFound()
    const q = request.query as { done?: string }
    return reply.code(status ?? (errors ? 400 : 200)).page('tac/views/team.njk', {
      title: `Team around ${found.children.map((c) => c.given_name).join(' and ')}`,
      ...found,
      me: request.actor!.membershipId,
      levelLabels: LEVEL_LABELS,
      canChangeLevel: found.isMember && (found.isLead || ['team_manager', 'social_worker'].includes(request.actor!.role)),
      values,
      target: errors?.target ?? null,
      done: q.done,
      backLink: '/teams',
      ...(errors ?? { errors: [], fieldErrors: {} }),
    })
  }
  r.get('/teams/:tacId', { permission: 'tac:work', audit: 'tac.view', record: true }, async (request, reply) => teamPage(request, reply, (request.params as { tacId: string }).tacId))

  /** A POST on the team: parse, run, and on a refusal show the team page with the error summary and the input. */
  // `target`: the param naming the row of a form the page shows once per row (its fields' ids carry the row's id)
  const post = <T,>(url: string, audit: string, schema: z.ZodType<T>, form: string, run: (request: FastifyRequest, tacId: string, v: T, params: Record<string, string>) => Promise<unknown>, done = 'saved', formKey = false, target?: string) =>
    r.post(url, { permission: 'tac:work', audit, record: true, formKey }, async (request, reply) => {
      const params = request.params as Record<string, string>
      const tacId = params.tacId!
      const body = (request.body ?? {}) as Record<string, unknown>
      const parsed = schema.safeParse(body)
      const scope = (e: FormErrors) => (target ? scopedErrors(e, form, params[target]!) : { ...e, form })
      if (!parsed.success) return teamPage(request, reply, tacId, body, scope(formErrors(parsed.error)))
      try {
        const result = await run(request, tacId, parsed.data, params)
        if (!result) return reply.callNotFound()
        if (typeof result === 'object' && 'conflict' in (result as object)) {
          const found = await repo(request).overview(tacId)
          if (!found) return reply.callNotFound()
          const { conflict, of = 'family' } = result as { conflict: unknown; of?: 'member' | 'family' }
          return reply.code(409).page('tac/views/conflict.njk', { title: 'Someone else changed this', theirs: conflict, of, yours: body, tacId, backLink: `/teams/${tacId}` })
        }
      } catch (err) {
        if (err instanceof RefusedError) return teamPage(request, reply, tacId, body, target ? scope({ errors: [{ text: err.message, href: '#main-content' }], fieldErrors: {} }) : { errors: [{ text: err.message, href: `#${form}` }], fieldErrors: {}, form })
        throw err
      }
      return reply.redirect(`/teams/${tacId}?done=${done}`, 303)
    })

  post('/teams/:tacId/members', 'tac.invite', inviteForm, 'invite', (q, id, v) => repo(q).invite(id, v), 'invited')
  post('/teams/:tacId/members/:memberId/role', 'tac.role', roleForm, 'member', (q, id, v, p) => repo(q).setRole(id, p.memberId!, v), 'saved', false, 'memberId')
  post('/teams/:tacId/lead', 'tac.lead', leadForm, 'lead', (q, id, v) => repo(q).handOver(id, v.leadMembershipId, v.leadReason))
  // adding a family member makes a record with no key of its own: the form carries the page's key (route.ts)
  post('/teams/:tacId/family', 'tac.family', familyForm, 'family', (q, id, v) => repo(q).saveFamilyMember(id, v), 'saved', true)
  post('/teams/:tacId/family/:familyId', 'tac.family', familyForm, 'familyMember', (q, id, v, p) => repo(q).saveFamilyMember(id, { ...v, id: p.familyId! }), 'saved', false, 'familyId')
  post('/teams/:tacId/level', 'tac.level', levelForm, 'level', (q, id, v) => repo(q).changeLevel(id, v))

  // leaving: the page after is "my teams" (the team may no longer be visible to the one who left)
  r.post('/teams/:tacId/leave', { permission: 'tac:work', audit: 'tac.leave', record: true }, async (request, reply) => {
    const tacId = (request.params as { tacId: string }).tacId
    const body = (request.body ?? {}) as Record<string, unknown>
    const parsed = leaveForm.safeParse(body)
    // the lead removing a member uses that member's form (in the row of "who does what"); leaving, the page's own
    const removing = typeof body.memberId === 'string' && body.memberId.trim() ? body.memberId.trim() : null
    const scope = (e: FormErrors) => (removing ? scopedErrors(e, 'member', removing) : { ...e, form: 'leave' })
    if (!parsed.success) return teamPage(request, reply, tacId, body, scope(formErrors(parsed.error)))
    try {
      const done = await repo(request).leave(tacId, { memberId: parsed.data.memberId || undefined, reason: parsed.data.leaveReason })
      if (!done) return reply.callNotFound()
    } catch (err) {
      if (err instanceof RefusedError) return teamPage(request, reply, tacId, body, removing ? scope({ errors: [{ text: err.message, href: '#main-content' }], fieldErrors: {} }) : { errors: [{ text: err.message, href: '#leaveReason' }], fieldErrors: {}, form: 'leave' })
      throw err
    }
    return reply.redirect(parsed.data.memberId ? `/teams/${tacId}?done=removed` : '/teams?left=1', 303)
  })

  async function invitationPage(request: FastifyRequest, reply: FastifyReply, tacId: string, error?: string) {
    const inv = await repo(request).invitation(tacId)
    if (!inv) return reply.callNotFound()
    return reply.code(error ? 400 : 200).page('tac/views/invitation.njk', { title: 'Invitation to a team around the child', inv, tacId, errors: error ? [{ text: error, href: '#answer' }] : [], fieldErrors: error ? { answer: { text: error } } : {}, backLink: '/teams' })
  }
  r.get('/teams/:tacId/invitation', { permission: 'tac:work', audit: 'tac.invitation', record: true }, async (request, reply) => invitationPage(request, reply, (request.params as { tacId: string }).tacId))
  r.post('/teams/:tacId/invitation', { permission: 'tac:work', audit: 'tac.respond', record: true }, async (request, reply) => {
    const tacId = (request.params as { tacId: string }).tacId
    const answer = ((request.body ?? {}) as { answer?: string }).answer
    if (answer !== 'join' && answer !== 'decline') return invitationPage(request, reply, tacId, 'Choose whether to join the team')
    try {
      const done = await repo(request).respond(tacId, answer === 'join')
      if (!done) return reply.callNotFound()
      return reply.redirect(done.joined ? `/teams/${tacId}?done=joined` : '/teams', 303)
    } catch (err) {
      if (err instanceof RefusedError) return invitationPage(request, reply, tacId, err.message)
      throw err
    }
  })
}
