// Meetings of a team around the child: the list, scheduling with invitations, the meeting page (attendance,
// decisions, actions into the plan, minutes drafted and approved by the chair), and the minutes as a PDF for the
// members or for the family.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { z } from 'zod'
import type { AppDeps } from '../../platform/http/app.ts'
import { routes } from '../../platform/http/route.ts'
import { fieldError, parseForm, versionField, type FormErrors } from '../../web/forms.ts'
import { isCalendarDate, londonDateTime } from '../../web/dates.ts'
import { FieldRefusedError, RefusedError } from '../../data/unit-of-work.ts'
import { pdfAvailable } from '../../platform/pdf/print.ts'
import { pdfUnavailable, sendPdf } from '../../platform/pdf/reply.ts'
import { LEVEL_LABELS } from '../tac/access.ts'
import { COST_MESSAGE, parseCost } from '../plans/routes.ts'
import { ATTENDANCE_LABELS, MEETING_KIND_LABELS, MODE_LABELS, type Attendance } from './store.ts'

const OTHER_ROWS = [1, 2, 3] as const

const date = (msg: string) => z.string().trim().refine((v) => isCalendarDate(v), msg)
const time = (msg: string) => z.string().trim().regex(/^([01]\d|2[0-3]):[0-5]\d$/, msg)
const short = z.string().trim().max(200, 'Must be 200 characters or fewer').optional().default('')
const list = z.preprocess((v) => (v === undefined || v === '' ? [] : Array.isArray(v) ? v : [v]), z.array(z.string()))

const scheduleForm = z.object({
  kind: z.enum(['team', 'review'], { message: 'Choose the kind of meeting' }),
  title: z.string().trim().max(200, 'The title must be 200 characters or fewer').optional().default(''),
  date: date('Enter the date of the meeting as YYYY-MM-DD, for example 2026-12-03'),
  time: time('Enter the start time as HH:MM (24-hour), for example 14:30'),
  mode: z.enum(['in_person', 'online', 'phone'], { message: 'Choose how the meeting will take place' }),
  place: z.string().trim().max(1000, 'Must be 1,000 characters or fewer').optional().default(''),
  agenda: z.string().trim().max(10_000, 'The agenda must be 10,000 characters or fewer').optional().default(''),
  chair: z.string().trim().min(1, 'Choose who will chair the meeting'),
  invite: list,
  family: list,
  otherName1: short,
  otherRole1: short,
  otherAgency1: short,
  otherName2: short,
  otherRole2: short,
  otherAgency2: short,
  otherName3: short,
  otherRole3: short,
  otherAgency3: short,
})
type ScheduleValues = z.infer<typeof scheduleForm>

const scheduleChecks = (v: Record<string, unknown>) => {
  const out: { path: string; message: string }[] = []
  if (v.mode === 'in_person' && !String(v.place ?? '').trim()) out.push({ path: 'place', message: 'Enter where the meeting will take place' })
  for (const n of OTHER_ROWS) {
    const name = String(v[`otherName${n}`] ?? '').trim()
    const role = String(v[`otherRole${n}`] ?? '').trim()
    if (name && !role) out.push({ path: `otherRole${n}`, message: `Enter the role of ${name} (for example, mother, or family support worker)` })
    if (!name && role) out.push({ path: `otherName${n}`, message: 'Enter the name of the person to invite' })
  }
  return out
}

const decisionForm = z.object({ decision: z.string().trim().min(1, 'Enter the decision').max(5000, 'The decision must be 5,000 characters or fewer') })
const minutesForm = z.object({
  minutes: z.string().trim().min(1, 'Enter the minutes').max(100_000, 'The minutes must be 100,000 characters or fewer'),
  rowVersion: versionField(),
})
const approveForm = z.object({ rowVersion: versionField() })
const heldForm = z.object({ heldDate: date('Enter the date the meeting was held as YYYY-MM-DD'), heldTime: time('Enter the time as HH:MM (24-hour)') })
const rescheduleForm = z.object({
  rowVersion: versionField(),
  newDate: date('Enter the new date as YYYY-MM-DD, for example 2026-12-03'),
  newTime: time('Enter the new start time as HH:MM (24-hour), for example 14:30'),
  newMode: z.enum(['in_person', 'online', 'phone'], { message: 'Choose how the meeting will take place' }),
  newPlace: z.string().trim().max(1000, 'Must be 1,000 characters or fewer').optional().default(''),
  moveReason: z.string().trim().min(1, 'Say why the meeting is moving').max(1000, 'Must be 1,000 characters or fewer'),
})
const rescheduleChecks = (v: Record<string, unknown>) => (v.newMode === 'in_person' && !String(v.newPlace ?? '').trim() ? [{ path: 'newPlace', message: 'Enter where the meeting will take place' }] : [])
const cancelForm = z.object({ reason: z.string().trim().min(1, 'Say why the meeting is cancelled').max(1000, 'Must be 1,000 characters or fewer') })
// once its start time has passed: the same field as cancelling's (the page shows one form or the other), so a cancel
// sent after the start is shown again in this form, with what was typed
const notHeldForm = z.object({ reason: z.string().trim().min(1, 'Say why the meeting did not take place').max(1000, 'Must be 1,000 characters or fewer') })
const inviteForm = z.object({
  member: z.string().trim().optional().default(''),
  inviteName: z.string().trim().max(200).optional().default(''),
  inviteRole: z.string().trim().max(200).optional().default(''),
  inviteAgency: z.string().trim().max(200).optional().default(''),
})
const inviteChecks = (v: Record<string, unknown>) => {
  const member = String(v.member ?? '').trim()
  const name = String(v.inviteName ?? '').trim()
  const role = String(v.inviteRole ?? '').trim()
  if (member && name) return [{ path: 'member', message: 'Choose a member of the team, or name someone else — not both' }]
  if (member) return []
  if (!name) return [{ path: 'member', message: 'Choose a member of the team, or enter the name of the person to invite' }]
  if (!role) return [{ path: 'inviteRole', message: `Enter the role of ${name}` }]
  return []
}
const actionForm = z.object({
  outcomeId: z.string().trim().min(1, 'Choose the outcome this action works towards'),
  what: z.string().trim().min(1, 'Enter what will be done').max(2000, 'Must be 2,000 characters or fewer'),
  owner: z.string().trim().min(1, 'Choose who will do it'),
  ownerName: z.string().trim().max(200).optional().default(''),
  ownerAgency: z.string().trim().max(200).optional().default(''),
  dueOn: date('Enter the date it is due by as YYYY-MM-DD'),
  place: z.string().trim().max(500, 'Must be 500 characters or fewer').optional().default(''),
  // the plan's own cost field's rule and words: the action lands in that plan
  cost: z.string().trim().max(20, 'Must be 20 characters or fewer').refine((v) => parseCost(v) !== undefined, COST_MESSAGE).optional().default(''),
})
const actionChecks = (v: Record<string, unknown>) => {
  const out: { path: string; message: string }[] = []
  if (v.owner === 'other') {
    if (!String(v.ownerName ?? '').trim()) out.push({ path: 'ownerName', message: 'Enter the name of the person who will do it' })
    if (!String(v.ownerAgency ?? '').trim()) out.push({ path: 'ownerAgency', message: 'Enter their organisation, or “Family”' })
  }
  return out
}

type Body = Record<string, unknown>
/** The id of the page's section a change lands on (the minutes' heading is not `minutes`: that is the minutes' text box, the error summary's link). */
const sectionOf = (done: string) => (done === 'minutes' ? 'minutes-section' : done === 'chair' || done === 'not-held' ? 'details' : done)
const bodyOf = (request: FastifyRequest): Body => (request.body ?? {}) as Body
const refused = (err: RefusedError, href: string): FormErrors => (err instanceof FieldRefusedError ? fieldError(err.message, err.field) : { errors: [{ text: err.message, href }], fieldErrors: {} })

export async function meetingRoutes(app: FastifyInstance, { data, clock, config }: AppDeps): Promise<void> {
  const r = routes(app)
  const repo = (req: FastifyRequest) => data.forActor(req.actor!).meetings
  const labels = { kinds: MEETING_KIND_LABELS, modes: MODE_LABELS, attendance: ATTENDANCE_LABELS, levels: LEVEL_LABELS }

  r.get('/teams/:tacId/meetings', { permission: 'tac:work', audit: 'meeting.list', record: true }, async (request, reply) => {
    const { tacId } = request.params as { tacId: string }
    const found = await repo(request).list(tacId)
    if (!found) return reply.callNotFound()
    return reply.page('meetings/views/list.njk', { title: 'Meetings', ...found, labels, scheduled: (request.query as { scheduled?: string }).scheduled, backLink: `/teams/${tacId}` })
  })

  async function schedulePage(request: FastifyRequest, reply: FastifyReply, tacId: string, values: Body | null, errors?: FormErrors) {
    const found = await repo(request).scheduleForm(tacId)
    if (!found) return reply.callNotFound()
    const v = values ?? { kind: 'team', chair: found.tac.leadMembershipId, invite: found.members.map((m) => m.membership_id), family: found.family.map((f) => f.id) }
    const asList = (x: unknown) => (Array.isArray(x) ? x.map(String) : x ? [String(x)] : [])
    return reply.code(errors ? 400 : 200).page('meetings/views/new.njk', {
      title: 'Arrange a meeting',
      ...found,
      values: { ...v, invite: asList(v.invite), family: asList(v.family) },
      otherRows: OTHER_ROWS,
      labels,
      canSchedule: found.tac.isMember && found.tac.status === 'open',
      backLink: `/teams/${tacId}/meetings`,
      ...(errors ?? {}),
    })
  }

  r.get('/teams/:tacId/meetings/new', { permission: 'tac:work', audit: 'meeting.new', record: true }, async (request, reply) => schedulePage(request, reply, (request.params as { tacId: string }).tacId, null))

  r.post('/teams/:tacId/meetings', { permission: 'tac:work', audit: 'meeting.schedule', record: true, formKey: true }, async (request, reply) => {
    const { tacId } = request.params as { tacId: string }
    const body = bodyOf(request)
    const parsed = parseForm(scheduleForm, body, scheduleChecks)
    if (!parsed.ok) return schedulePage(request, reply, tacId, body, parsed.errors)
    const v = parsed.data as ScheduleValues
    try {
      const done = await repo(request).schedule(tacId, {
        kind: v.kind,
        title: v.title || MEETING_KIND_LABELS[v.kind],
        scheduledAt: londonDateTime.toInstant(v.date, v.time),
        mode: v.mode,
        place: v.place,
        agenda: v.agenda,
        chairMembershipId: v.chair,
        inviteMembershipIds: v.invite,
        familyMemberIds: v.family,
        others: OTHER_ROWS.filter((n) => v[`otherName${n}` as const]).map((n) => ({ name: v[`otherName${n}` as const], role: v[`otherRole${n}` as const], agency: v[`otherAgency${n}` as const] || 'Family' })),
      })
      if (!done) return reply.callNotFound()
      return reply.redirect(`/teams/${tacId}/meetings/${done.id}?scheduled=1`, 303)
    } catch (err) {
      if (err instanceof RefusedError) return schedulePage(request, reply, tacId, body, refused(err, '#chair'))
      throw err
    }
  })

  async function meetingPage(request: FastifyRequest, reply: FastifyReply, values: Body, errors?: FormErrors) {
    const { tacId, meetingId } = request.params as { tacId: string; meetingId: string }
    const found = await repo(request).get(tacId, meetingId)
    if (!found) return reply.callNotFound()
    const m = found.meeting
    const scheduled = londonDateTime(m.scheduled_at)
    const held = londonDateTime(m.held_at ?? m.scheduled_at)
    const q = request.query as Record<string, string | undefined>
    return reply.code(errors ? 400 : 200).page('meetings/views/show.njk', {
      title: m.title,
      ...found,
      scheduledLocal: scheduled,
      values: { heldDate: held.date, heldTime: held.time, minutes: m.minutes, rowVersion: m.row_version, ...values },
      labels,
      done: q.done,
      backLink: `/teams/${tacId}/meetings`,
      ...(errors ?? {}),
    })
  }

  r.get('/teams/:tacId/meetings/:meetingId', { permission: 'tac:work', audit: 'meeting.view', record: true }, async (request, reply) => meetingPage(request, reply, {}))

  /** A POST on the meeting page: validated, run, then back to the page (post-redirect-get), or the page with errors. */
  // formKey: the form adds a record with no key of its own (an action), so it carries the page's key (route.ts)
  const post = (path: string, audit: string, href: string, run: (request: FastifyRequest, tacId: string, meetingId: string, body: Body) => Promise<unknown | FormErrors>, done: string, formKey = false) =>
    r.post(`/teams/:tacId/meetings/:meetingId${path}`, { permission: 'tac:work', audit, record: true, formKey }, async (request, reply) => {
      const { tacId, meetingId } = request.params as { tacId: string; meetingId: string }
      const body = bodyOf(request)
      try {
        const result = await run(request, tacId, meetingId, body)
        if (!result) return reply.callNotFound()
        if (typeof result === 'object' && 'errors' in result) return meetingPage(request, reply, body, result as FormErrors)
      } catch (err) {
        if (err instanceof RefusedError) return meetingPage(request, reply, body, refused(err, href))
        throw err
      }
      return reply.redirect(`/teams/${tacId}/meetings/${meetingId}?done=${done}#${sectionOf(done)}`, 303)
    })

  post('/attendance', 'meeting.attendance', '#attendance', async (request, tacId, meetingId, body) => {
    const attendance: Record<string, Exclude<Attendance, 'invited'>> = {}
    for (const [k, v] of Object.entries(body)) {
      if (k.startsWith('att-') && (v === 'present' || v === 'apologies' || v === 'absent')) attendance[k.slice(4)] = v
    }
    if (!Object.keys(attendance).length) return { errors: [{ text: 'Choose present, apologies or absent for at least one person', href: '#attendance' }], fieldErrors: {} }
    return repo(request).recordAttendance(tacId, meetingId, attendance)
  }, 'attendance')

  post('/held', 'meeting.held', '#heldDate', async (request, tacId, meetingId, body) => {
    const parsed = parseForm(heldForm, body)
    if (!parsed.ok) return parsed.errors
    const heldAt = londonDateTime.toInstant(parsed.data.heldDate, parsed.data.heldTime)
    if (heldAt.getTime() > clock.now().getTime()) return { errors: [{ text: 'The time the meeting was held cannot be in the future', href: '#heldDate' }], fieldErrors: { heldDate: { text: 'The time the meeting was held cannot be in the future' } } }
    return repo(request).markHeld(tacId, meetingId, heldAt)
  }, 'attendance')

  post('/invitees', 'meeting.invite', '#member', async (request, tacId, meetingId, body) => {
    const parsed = parseForm(inviteForm, body, inviteChecks)
    if (!parsed.ok) return parsed.errors
    const v = parsed.data
    return repo(request).invite(tacId, meetingId, { membershipId: v.member || null, name: v.inviteName, role: v.inviteRole, agency: v.inviteAgency || 'Family' })
  }, 'invitees', true)

  post('/decisions', 'meeting.decision', '#decision', async (request, tacId, meetingId, body) => {
    const parsed = parseForm(decisionForm, body)
    if (!parsed.ok) return parsed.errors
    return repo(request).addDecision(tacId, meetingId, parsed.data.decision)
  }, 'decisions', true)

  post('/actions', 'meeting.action', '#outcomeId', async (request, tacId, meetingId, body) => {
    const parsed = parseForm(actionForm, body, actionChecks)
    if (!parsed.ok) return parsed.errors
    const v = parsed.data
    const own = v.owner !== 'other'
    return repo(request).addAction(tacId, meetingId, { outcomeId: v.outcomeId, what: v.what, ownerMembershipId: own ? v.owner : null, ownerName: own ? '' : v.ownerName, ownerAgency: own ? '' : v.ownerAgency, dueOn: v.dueOn, place: v.place, costPence: parseCost(v.cost) ?? null })
  }, 'actions', true)

  post('/chair', 'meeting.chair', '#newChair', async (request, tacId, meetingId, body) => {
    const chair = typeof body.newChair === 'string' ? body.newChair.trim() : ''
    if (!chair) return { errors: [{ text: 'Choose the member who will chair the meeting', href: '#newChair' }], fieldErrors: { newChair: { text: 'Choose the member who will chair the meeting' } } }
    return repo(request).changeChair(tacId, meetingId, chair)
  }, 'chair')

  post('/cancel', 'meeting.cancel', '#reason', async (request, tacId, meetingId, body) => {
    const parsed = parseForm(cancelForm, body)
    if (!parsed.ok) return parsed.errors
    return repo(request).cancel(tacId, meetingId, parsed.data.reason)
  }, 'details')

  post('/not-held', 'meeting.not-held', '#reason', async (request, tacId, meetingId, body) => {
    const parsed = parseForm(notHeldForm, body)
    if (!parsed.ok) return parsed.errors
    return repo(request).recordNotHeld(tacId, meetingId, parsed.data.reason)
  }, 'not-held')

  post('/reschedule', 'meeting.reschedule', '#newDate', async (request, tacId, meetingId, body) => {
    const parsed = parseForm(rescheduleForm, body, rescheduleChecks)
    if (!parsed.ok) return parsed.errors
    const v = parsed.data
    const scheduledAt = londonDateTime.toInstant(v.newDate, v.newTime)
    if (scheduledAt.getTime() <= clock.now().getTime()) return { errors: [{ text: 'The new date and time must be in the future', href: '#newDate' }], fieldErrors: { newDate: { text: 'The new date and time must be in the future' } } }
    return repo(request).reschedule(tacId, meetingId, { scheduledAt, mode: v.newMode, place: v.newPlace, reason: v.moveReason, rowVersion: v.rowVersion })
  }, 'moved')

  post('/minutes/approve', 'meeting.minutes-approve', '#minutes', async (request, tacId, meetingId, body) => {
    const parsed = parseForm(approveForm, body)
    if (!parsed.ok) return { errors: [{ text: 'Reload the page and approve the minutes again', href: '#minutes' }], fieldErrors: {} }
    return repo(request).approveMinutes(tacId, meetingId, parsed.data.rowVersion)
  }, 'minutes')

  // the minutes: saved if nobody else saved since the form was opened; otherwise the "someone else changed these
  // minutes" page with both texts, the user's own in the box to save again
  r.post('/teams/:tacId/meetings/:meetingId/minutes', { permission: 'tac:work', audit: 'meeting.minutes', record: true }, async (request, reply) => {
    const { tacId, meetingId } = request.params as { tacId: string; meetingId: string }
    const body = bodyOf(request)
    const parsed = parseForm(minutesForm, body)
    if (!parsed.ok) return meetingPage(request, reply, body, parsed.errors)
    try {
      const saved = await repo(request).saveMinutes(tacId, meetingId, parsed.data)
      if (!saved) return reply.callNotFound()
      if ('conflict' in saved) {
        return reply.code(409).page('meetings/views/conflict.njk', { title: 'Someone else changed these minutes', tacId, meetingId, ...saved.conflict, backLink: `/teams/${tacId}/meetings/${meetingId}` })
      }
    } catch (err) {
      if (err instanceof RefusedError) return meetingPage(request, reply, body, refused(err, '#minutes'))
      throw err
    }
    return reply.redirect(`/teams/${tacId}/meetings/${meetingId}?done=minutes#${sectionOf('minutes')}`, 303)
  })

  // the minutes printed by Chromium: the members' copy (full), or the family's (plain words, roles not contact
  // details, decisions and actions; approved minutes only). Read and audited as an export.
  r.get('/teams/:tacId/meetings/:meetingId/minutes.pdf', { permission: 'tac:work', audit: 'meeting.minutes-export', record: true }, async (request, reply) => {
    const { tacId, meetingId } = request.params as { tacId: string; meetingId: string }
    const audience = (request.query as { for?: string }).for ?? 'members'
    if (audience !== 'members' && audience !== 'family') return reply.code(400).type('text/plain; charset=utf-8').send('Choose the copy to print: for=members or for=family')
    const alternative = 'You can read the minutes on the meeting page instead.'
    if (!pdfAvailable(config.chromiumPath)) return pdfUnavailable(reply, alternative)
    let found
    try {
      found = await repo(request).forExport(tacId, meetingId, audience)
    } catch (err) {
      if (err instanceof RefusedError) return reply.code(409).page('error.njk', { title: 'The family’s copy is not ready', detail: err.message, status: 409, backLink: `/teams/${tacId}/meetings/${meetingId}` })
      throw err
    }
    if (!found) return reply.callNotFound()
    const who = request.session!.practitioner
    const html = reply.renderToString('meetings/views/print.njk', {
      ...found,
      family: audience === 'family',
      labels,
      title: audience === 'family' ? `What we agreed at the meeting on ${londonDateTime(found.meeting.held_at ?? found.meeting.scheduled_at).date}` : `Minutes — ${found.meeting.title}`,
      exportedBy: `${who.givenName} ${who.familyName}`,
      exportedAt: clock.now(),
    })
    return sendPdf(reply, html, { chromiumPath: config.chromiumPath, filename: `${audience === 'family' ? 'meeting-for-the-family' : 'meeting-minutes'}.pdf`, alternative, undelivered: (reason) => data.forActor(request.actor!).deliveries.undelivered({ action: 'meeting.minutes-export', entityType: 'meeting', entityId: meetingId, childIds: found.tac.childIds, reason }) })
  })
}
