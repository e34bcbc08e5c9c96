// Logging a concern, the concerns to decide (the DSL's triage queue), and the concern page (the raiser sees the outcome
// and its reasons).
import { randomUUID } from 'node:crypto'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { z } from 'zod'
import type { AppDeps } from '../../platform/http/app.ts'
import { routes } from '../../platform/http/route.ts'
import { dateError, fieldError, formErrors, newChildErrors, newChildFields, newChildFrom, newChildSent, oneValue, parseForm, sentTwice, type CrossCheck } from '../../web/forms.ts'
import { londonDateTime } from '../../web/dates.ts'
import { TRIAGE_ACTIONS, TRIAGE_OUTCOMES, type TriageActionCode } from './repository.ts'
import { BODY_REGIONS } from './body-map.ts'
import { DECISION_LABELS } from '../referrals/repository.ts'
import { FieldRefusedError, FORM_SENT_BEFORE, KeyReusedError, RefusedError } from '../../data/unit-of-work.ts'
import { hasPermission } from '../../access/policy.ts'
import { childPicker } from '../search/picker.ts'

const list = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : v === undefined || v === '' ? [] : [String(v)])
const text = (max: number) => z.string().trim().max(max, `Must be ${max} characters or fewer`)

const concernForm = z
  .object({
    children: z.array(z.string()).default([]),
    ...newChildFields,
    category: z.string({ message: 'Choose the kind of concern' }).min(1, 'Choose the kind of concern'),
    seenOrHeard: text(10_000).min(1, 'Describe what you saw or heard'),
    childWords: text(10_000).optional().default(''),
    occurredDate: text(10).min(1, 'Enter when it happened'),
    occurredTime: text(5).optional().default(''),
    location: text(500).optional().default(''),
    otherChildren: text(2000).optional().default(''),
    immediateDanger: z.enum(['yes', 'no'], { message: 'Say whether the child is in immediate danger' }),
    idempotencyKey: z.string().uuid('This form has expired: reload the page'),
    marks: z.array(z.object({ view: z.enum(['front', 'back']), region: z.string(), description: z.string().trim().max(1000), x: z.number().nullable(), y: z.number().nullable() })).default([]),
  })

/** Checks across fields, on the raw values (so they are reported with the field errors); `today` is London's date. */
const concernCross = (today: string): CrossCheck => (raw) => {
  const v = raw as Record<string, string | undefined> & { children?: string[]; marks?: { region: string; description: string; repeated?: boolean }[] }
  const out: { path: string; message: string }[] = []
  const s = (x: unknown) => String(x ?? '').trim()
  // a child not yet known: its names and a best-estimate date of birth, never in the future (src/web/forms.ts)
  out.push(...newChildErrors(raw, today))
  if (!(v.children ?? []).length && !newChildSent(raw)) out.push({ path: 'children', message: 'Choose the child or children the concern is about' })
  const occurredError = s(v.occurredDate) ? dateError(s(v.occurredDate), 'The date it happened', { format: 'Enter the date as YYYY-MM-DD' }) : null
  if (occurredError) out.push({ path: 'occurredDate', message: occurredError })
  if (s(v.occurredTime) && !/^([01]\d|2[0-3]):[0-5]\d$/.test(s(v.occurredTime))) out.push({ path: 'occurredTime', message: 'Enter the time as HH:MM, for example 14:30' })
  for (const [i, m] of (v.marks ?? []).entries()) {
    if (m.repeated) out.push({ path: 'marks', message: `Body map mark ${i + 1}: ${sentTwice('the description')}` })
    else if (!BODY_REGIONS.some((r) => r.code === m.region)) out.push({ path: 'marks', message: `Body map mark ${i + 1}: choose a part of the body` })
    else if (!m.description) out.push({ path: 'marks', message: `Body map mark ${i + 1}: describe what you saw` })
  }
  return out
}

const triageForm = z.object({
  actions: z.array(z.enum(Object.keys(TRIAGE_ACTIONS) as [TriageActionCode, ...TriageActionCode[]], { message: 'Choose actions from the list' })).min(1, 'Choose at least one action'),
  outcome: z.enum(Object.keys(TRIAGE_OUTCOMES) as ['monitor', 'escalated', 'closed'], { message: 'Choose the outcome' }),
  reasons: text(10_000).min(1, 'Record the reasons for your decision (KCSIE: decisions and the reasons for them in writing)'),
})

/**
 * A mark's position on the body map, 0 to 1000 as the map's script writes it (decimal digits, at most three places);
 * anything else — empty, '0x10', '1e3', 'Infinity', out of range — is no position: the part of the body and the
 * description are the mark, the position only where on the picture the script put it.
 */
function position(v: unknown): number | null {
  if (typeof v !== 'string' || !/^\d{1,4}(\.\d{1,3})?$/.test(v)) return null
  const n = Number(v)
  return n <= 1000 ? n : null
}

/** Reads the body map rows of the form (the text-only path; JavaScript only fills in x and y). */
function marksFrom(body: Record<string, unknown>) {
  const marks = []
  for (let i = 1; i <= 6; i++) {
    const region = oneValue(body[`mark${i}Region`]) ?? ''
    const sent = oneValue(body[`mark${i}Description`])
    const description = (sent ?? '').trim()
    if (!region && !description && sent !== null) continue
    marks.push({ view: body[`mark${i}View`] === 'back' ? 'back' : 'front', region, description, x: position(body[`mark${i}X`]), y: position(body[`mark${i}Y`]), repeated: sent === null })
  }
  return marks
}

export async function concernRoutes(app: FastifyInstance, { data, clock }: AppDeps): Promise<void> {
  const r = routes(app)
  const repo = (req: FastifyRequest) => data.forActor(req.actor!).concerns
  // the next steps the concern page offers whoever decides it (a team's lead practitioner or the front door decides a
  // concern routed to them, and may not ask the school-based social worker)
  const nextSteps = (req: FastifyRequest) => ({ mayRefer: hasPermission(req.actor!.role, 'referral:make'), mayConsult: hasPermission(req.actor!.role, 'consultation:ask') })
  // back to where the concern was found: whoever decides it, to their list of concerns to decide (a safeguarding lead's
  // triage queue; the concerns routed to a team's lead practitioner or the front door); else the concerns I have logged
  const backTo = (canTriage: boolean) => (canTriage ? '/triage' : '/concerns')

  async function renderForm(request: FastifyRequest, reply: FastifyReply, values: Record<string, unknown>, errors?: ReturnType<typeof formErrors>) {
    const actor = request.actor!
    const [options, picker, directory] = await Promise.all([repo(request).formOptions(), childPicker(data.forActor(actor), 'concern', values.children), data.directory.frontDoor(actor.partnershipId)])
    return reply.code(errors ? 400 : 200).page('concerns/views/new.njk', {
      title: 'Log a concern about a child',
      categories: options.categories,
      picker,
      regions: BODY_REGIONS,
      values,
      frontDoor: directory,
      backLink: '/',
      ...(errors ?? {}),
    })
  }

  r.get('/concerns/new', { permission: 'concern:raise', audit: 'concern.form' }, async (request, reply) => {
    const q = request.query as { child?: string | string[] }
    return renderForm(request, reply, { children: list(q.child), idempotencyKey: randomUUID(), occurredDate: londonDateTime(clock.now()).date, immediateDanger: '' })
  })

  r.post('/concerns', { permission: 'concern:raise', audit: 'concern.create' }, async (request, reply) => {
    const body = (request.body ?? {}) as Record<string, unknown>
    const values = { ...body, children: list(body.children), marks: marksFrom(body) }
    const now = clock.now()
    const parsed = parseForm(concernForm, values, concernCross(londonDateTime(now).date))
    if (!parsed.ok) return renderForm(request, reply, values, parsed.errors)
    const v = parsed.data
    // no time given: midday of that day, or its start when today's midday has not come yet (the form offers today's
    // date and the time is optional, so a concern about this morning must not be refused as in the future); the
    // chronology then shows the date alone
    const midday = londonDateTime.toInstant(v.occurredDate, '12:00')
    const occurredAt = v.occurredTime ? londonDateTime.toInstant(v.occurredDate, v.occurredTime) : v.occurredDate === londonDateTime(now).date && midday > now ? londonDateTime.toInstant(v.occurredDate) : midday
    if (occurredAt > now) return renderForm(request, reply, values, { errors: [{ text: 'The date and time cannot be in the future', href: '#occurredDate' }], fieldErrors: { occurredDate: { text: 'The date and time cannot be in the future' } } })
    try {
      const result = await repo(request).submit({
        childIds: v.children,
        newChild: newChildFrom(v),
        category: v.category,
        seenOrHeard: v.seenOrHeard,
        childWords: v.childWords,
        occurredAt,
        occurredTimeKnown: Boolean(v.occurredTime),
        location: v.location,
        otherChildren: v.otherChildren,
        immediateDanger: v.immediateDanger === 'yes',
        bodyMap: v.marks,
        idempotencyKey: v.idempotencyKey,
      })
      if (!result) return reply.callNotFound()
      return reply.redirect(`/concerns/${result.concerns[0]!.id}?submitted=${result.concerns.length}`, 303)
    } catch (err) {
      if (err instanceof KeyReusedError) return renderForm(request, reply, { ...values, idempotencyKey: randomUUID() }, { errors: [{ text: FORM_SENT_BEFORE, href: '#category' }], fieldErrors: {} })
      if (err instanceof FieldRefusedError) return renderForm(request, reply, values, fieldError(err.message, err.field))
      if (err instanceof RefusedError) return renderForm(request, reply, values, { errors: [{ text: err.message, href: '#category' }], fieldErrors: {} })
      throw err
    }
  })

  r.get('/concerns', { permission: 'concern:raise', audit: 'concern.list' }, async (request, reply) => {
    const concerns = await repo(request).mine()
    return reply.page('concerns/views/mine.njk', { title: 'Concerns I have logged', concerns, backLink: '/' })
  })

  // the open concerns that are mine to decide: a safeguarding lead's triage queue; for anyone else, those routed to them
  // (a team's lead practitioner may be of any role, so any case role may ask: the data layer decides what is theirs);
  // and, below them, those being monitored, to come back to and decide
  r.get('/triage', { permission: 'concern:raise', audit: 'concern.queue' }, async (request, reply) => {
    const { concerns: queue, monitored } = await repo(request).queue()
    const lead = hasPermission(request.actor!.role, 'concern:triage')
    return reply.page('concerns/views/queue.njk', { title: lead ? 'Concerns to triage' : 'Concerns to decide', lead, queue, monitored, backLink: '/' })
  })

  r.get('/concerns/:concernId', { permission: 'concern:raise', audit: 'concern.view', record: true }, async (request, reply) => {
    const { concernId } = request.params as { concernId: string }
    const found = await repo(request).get(concernId)
    if (!found) return reply.callNotFound()
    const submitted = Number((request.query as { submitted?: string }).submitted ?? 0)
    const frontDoor = found.concern.immediate_danger ? await data.directory.frontDoor(request.actor!.partnershipId) : null
    return reply.page('concerns/views/concern.njk', { title: `Concern about ${found.concern.given_name} ${found.concern.family_name}`, ...found, ...nextSteps(request), submitted, frontDoor, actions: TRIAGE_ACTIONS, outcomes: TRIAGE_OUTCOMES, referralDecisions: DECISION_LABELS, values: {}, backLink: backTo(found.canTriage) })
  })

  // formKey: a decision has no key of its own, so the form carries the page's key (route.ts): sent twice, one decision.
  // Who decides is the data layer's: the concern's agency's safeguarding leads, or whom it was routed to when they could
  // not open the child (the child's school's leads, a team's lead practitioner, the front door) — so any case role may ask.
  r.post('/concerns/:concernId/triage', { permission: 'concern:raise', audit: 'concern.triage', record: true, formKey: true }, async (request, reply) => {
    const { concernId } = request.params as { concernId: string }
    const body = (request.body ?? {}) as Record<string, unknown>
    const values = { ...body, actions: list(body.actions) }
    const parsed = triageForm.safeParse(values)
    const show = async (errors: ReturnType<typeof formErrors>) => {
      const found = await repo(request).get(concernId)
      if (!found) return reply.callNotFound()
      return reply.code(400).page('concerns/views/concern.njk', { title: `Concern about ${found.concern.given_name} ${found.concern.family_name}`, ...found, ...nextSteps(request), submitted: 0, frontDoor: null, actions: TRIAGE_ACTIONS, outcomes: TRIAGE_OUTCOMES, referralDecisions: DECISION_LABELS, values, ...errors, backLink: backTo(found.canTriage) })
    }
    if (!parsed.success) return show(formErrors(parsed.error))
    try {
      const done = await repo(request).triage(concernId, parsed.data)
      if (!done) return reply.callNotFound()
    } catch (err) {
      if (err instanceof FieldRefusedError) return show(fieldError(err.message, err.field))
      if (err instanceof RefusedError) return show({ errors: [{ text: err.message, href: '#actions' }], fieldErrors: {} })
      throw err
    }
    return reply.redirect(`/concerns/${concernId}?triaged=1`, 303)
  })

  r.post('/concerns/:concernId/link', { permission: 'concern:triage', audit: 'concern.link', record: true }, async (request, reply) => {
    const { concernId } = request.params as { concernId: string }
    // a repeated field names no one concern: nothing to link ('' is no concern)
    const other = oneValue((request.body as { other?: unknown })?.other) ?? ''
    const done = await repo(request).link(concernId, other)
    if (!done) return reply.callNotFound()
    return reply.redirect(`/concerns/${concernId}`, 303)
  })
}
