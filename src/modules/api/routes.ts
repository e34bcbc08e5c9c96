// The JSON API under /api/v1 for the front-door flow: who am I (and the CSRF token a POST must carry), concerns
// and their triage, referrals (the referrer's view and challenge) and the front door's work. The same
// repositories as the pages, so the same access rules and the same audit rows; errors are problem+json.
//
// Authentication is the signed-in session (password and authenticator code); every POST carries the session's
// CSRF token in the `x-csrf-token` header, which GET /api/v1/me returns.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { z } from 'zod'
import { newChildErrors, newChildFields, newChildFrom, newChildSent } from '../../web/forms.ts'
import { searchesIdentityIndex } from '../search/repository.ts'
import type { Actor } from '../../data/actor.ts'
import type { NewChild } from '../../data/repositories/provisional-child.ts'
import type { AppDeps } from '../../platform/http/app.ts'
import { routes } from '../../platform/http/route.ts'
import { csrfToken } from '../../platform/http/csrf.ts'
import { conflictProblem, invalidParams, problem, validationProblem, type InvalidParam } from '../../platform/http/problem.ts'
import { etag } from '../../platform/http/api-reliability.ts'
import { FieldRefusedError, KeyReusedError, PreconditionFailedError, RefusedError } from '../../data/unit-of-work.ts'
import { DECISIONS, type Decision } from '../../data/schema.ts'
import { TRIAGE_ACTIONS, TRIAGE_OUTCOMES, type TriageActionCode } from '../concerns/repository.ts'
import { isCalendarDate, londonDateTime } from '../../web/dates.ts'
import { BODY_REGIONS } from '../concerns/body-map.ts'

const text = (max: number) => z.string().trim().max(max, `Must be ${max} characters or fewer`)

const concernBody = z.strictObject({
  children: z.array(z.string().uuid('A child id')).max(20).default([]),
  // a child not yet known: the page's fields, checked by the page's check (newChildProblems)
  newChild: z.strictObject({ givenName: newChildFields.newChildGivenName, familyName: newChildFields.newChildFamilyName, dateOfBirth: newChildFields.newChildDob }).nullable().default(null),
  category: z.string().min(1, 'Choose the kind of concern'),
  seenOrHeard: text(10_000).min(1, 'Describe what you saw or heard'),
  childWords: text(10_000).default(''),
  occurredAt: z.iso.datetime({ offset: true, message: 'An ISO 8601 date and time, like 2026-11-23T10:00:00Z' }),
  location: text(500).default(''),
  otherChildren: text(2000).default(''),
  immediateDanger: z.boolean({ message: 'true or false' }),
  bodyMap: z
    .array(
      z.strictObject({
        view: z.enum(['front', 'back']),
        region: z.enum(BODY_REGIONS.map((r) => r.code) as [string, ...string[]], { message: 'A body region code from the body map' }),
        description: text(1000).min(1, 'Describe what you saw'),
        x: z.number().min(0).max(1000).nullable().default(null),
        y: z.number().min(0).max(1000).nullable().default(null),
      }),
    )
    .max(6)
    .default([]),
  idempotencyKey: z.string().uuid('A UUID chosen by the client: the same key sends the concern once'),
})

const triageBody = z.strictObject({
  actions: z
    .array(z.enum(Object.keys(TRIAGE_ACTIONS) as [TriageActionCode, ...TriageActionCode[]]))
    .min(1, 'Choose at least one action')
    .max(Object.keys(TRIAGE_ACTIONS).length, `Choose at most ${Object.keys(TRIAGE_ACTIONS).length} actions, each once`)
    .refine((a) => new Set(a).size === a.length, 'Name each action once'),
  outcome: z.enum(Object.keys(TRIAGE_OUTCOMES) as ['monitor', 'escalated', 'closed']),
  reasons: text(10_000).min(1, 'Record the reasons for the decision'),
})

const referralBody = z
  .strictObject({
    children: z.array(z.string().uuid('A child id')).max(20).default([]),
    // a child not yet known (the front door only): the page's fields, checked by the page's check (referralNewChild)
    newChild: z.strictObject({ givenName: newChildFields.newChildGivenName, familyName: newChildFields.newChildFamilyName, dateOfBirth: newChildFields.newChildDob }).nullable().default(null),
    kind: z.enum(['referral', 'contact']),
    reason: text(20_000).min(1, 'Say what you are worried about and why'),
    levelBelieved: z.number().int().min(1).max(4),
    levelReason: text(5000).min(1, 'Say why you believe this level applies'),
    parentsKnow: z.boolean(),
    parentsNotToldReason: text(5000).default(''),
    urgency: z.enum(['immediate', 'today', 'routine']),
    ppnReference: text(50).default(''),
    concernIds: z.array(z.string().uuid()).max(50).default([]),
    idempotencyKey: z.string().uuid('A UUID chosen by the client: the same key sends the referral once'),
  })
  .superRefine((v, c) => {
    if (!v.parentsKnow && !v.parentsNotToldReason) c.addIssue({ code: 'custom', path: ['parentsNotToldReason'], message: 'Say why the parents or carers have not been told' })
  })

/** The API's name of each of the page's fields of a child not yet known (newChildFields). */
const NEW_CHILD_PARAMS: Record<string, string> = { newChildGivenName: 'newChild.givenName', newChildFamilyName: 'newChild.familyName', newChildDob: 'newChild.dateOfBirth' }

/**
 * A body's child not yet known (`newChild`), as the page's form has it (newChildFields), checked by the page's own
 * check (newChildErrors: every field, a real date of birth not after `today`, London's), its problems named by the
 * API's field names — the same rules for a concern and a referral, on the page and in the API.
 */
function newChildProblems(newChild: { givenName: string; familyName: string; dateOfBirth: string } | null, today: string) {
  const form = { newChildGivenName: newChild?.givenName ?? '', newChildFamilyName: newChild?.familyName ?? '', newChildDob: newChild?.dateOfBirth ?? '' }
  return { form, named: newChildSent(form), problems: newChildErrors(form, today).map((e): InvalidParam => ({ name: NEW_CHILD_PARAMS[e.path] ?? e.path, reason: e.message })) }
}

/**
 * A referral body's child not yet known (newChildProblems). Only the front door names one (searchesIdentityIndex, as
 * on the page); anyone else is told so on the field, nothing saved (the page has no such fields for them; the data
 * layer refuses it too).
 */
function referralNewChild(actor: Actor, b: z.infer<typeof referralBody>, today: string): { newChild: NewChild | null; problems: InvalidParam[] } {
  const { form, named, problems: childProblems } = newChildProblems(b.newChild, today)
  const problems: InvalidParam[] = named && !searchesIdentityIndex(actor)
    ? [{ name: 'newChild', reason: 'Only the front door names a child not yet known in a referral: name the child or children, or log a concern about them instead' }]
    : [...(!b.children.length && !named ? [{ name: 'children', reason: searchesIdentityIndex(actor) ? 'Name the child or children, or a child not yet known (newChild)' : 'Name the child or children' }] : []), ...childProblems]
  return { newChild: problems.length ? null : newChildFrom(form), problems }
}

const decisionBody = z.strictObject({
  decision: z.enum(DECISIONS),
  rationale: text(20_000).min(1, 'The rationale is required: the referrer is told it'),
  levelFound: z.number().int().min(1).max(4),
  lateReason: text(5000).default(''),
})

const checkBody = z.strictObject({ agency: text(200).min(1, 'Say which agency you checked with'), finding: text(10_000).min(1, 'Record what the check found') })
const signOffBody = z
  .strictObject({ approve: z.boolean(), note: text(5000).default('') })
  .superRefine((v, c) => {
    if (!v.approve && !v.note) c.addIssue({ code: 'custom', path: ['note'], message: 'Say why the decision is returned' })
  })
const challengeBody = z.strictObject({ reason: text(10_000).min(1, 'Say why you disagree with the decision') })
const answerBody = z.strictObject({ upheld: z.boolean(), response: text(10_000).min(1, 'Write the response the referrer will see'), lateReason: text(5000).default('') })

/** Runs a repository call: null → the same 404 as a record that does not exist; a refused step → 409. */
async function run<T>(reply: FastifyReply, act: () => Promise<T | null>, ok: (result: T) => unknown) {
  try {
    const result = await act()
    if (result === null) return reply.callNotFound()
    return ok(result)
  } catch (err) {
    if (err instanceof PreconditionFailedError) return problem(reply, 412, 'Precondition failed', err.message)
    if (err instanceof KeyReusedError) return problem(reply, 422, 'Idempotency key reused', `${err.message}. Nothing was saved.`)
    if (err instanceof FieldRefusedError) return validationProblem(reply, [{ name: err.field, reason: err.message }])
    if (err instanceof RefusedError) return conflictProblem(reply, err.message)
    throw err
  }
}

export async function apiRoutes(app: FastifyInstance, { data, config, clock }: AppDeps): Promise<void> {
  const r = routes(app)
  const repos = (req: FastifyRequest) => data.forActor(req.actor!)
  const id = (req: FastifyRequest, name: string) => (req.params as Record<string, string>)[name]!
  function parse<T>(schema: z.ZodType<T>, request: FastifyRequest, reply: FastifyReply, extra?: (v: T) => InvalidParam[]): T | null {
    const parsed = schema.safeParse(request.body ?? {})
    if (!parsed.success) {
      void validationProblem(reply, invalidParams(parsed.error))
      return null
    }
    const more = extra?.(parsed.data) ?? []
    if (more.length) {
      void validationProblem(reply, more)
      return null
    }
    return parsed.data
  }

  r.get('/api/v1/me', { permission: 'signed-in', audit: 'none: the caller’s own identity' }, async (request) => {
    const actor = request.actor!
    const acting = request.memberships.find((m) => m.id === actor.membershipId)
    return {
      practitionerId: actor.practitionerId,
      membershipId: actor.membershipId,
      role: actor.role,
      agency: acting?.agencyName ?? null,
      team: acting?.teamName ?? null,
      csrfToken: csrfToken(config.sessionSecret, request.session!.idHash),
    }
  })

  // concerns
  r.post('/api/v1/concerns', { permission: 'concern:raise', audit: 'concern.create', api: 'create' }, async (request, reply) => {
    const today = londonDateTime(clock.now()).date
    const v = parse(concernBody, request, reply, (b) => [
      ...(!b.children.length && !b.newChild ? [{ name: 'children', reason: 'Name the child or children, or a child not yet known (newChild)' }] : []),
      ...newChildProblems(b.newChild, today).problems,
      ...(new Date(b.occurredAt) > clock.now() ? [{ name: 'occurredAt', reason: 'Cannot be in the future' }] : []),
      // the years every date field takes (1900 to 2100), as the page's form does
      ...(!isCalendarDate(b.occurredAt.slice(0, 10)) ? [{ name: 'occurredAt', reason: 'Must be a date from 1 January 1900' }] : []),
    ])
    if (!v) return reply
    return run(
      reply,
      () =>
        repos(request).concerns.submit({
          childIds: v.children,
          newChild: v.newChild,
          category: v.category,
          seenOrHeard: v.seenOrHeard,
          childWords: v.childWords,
          occurredAt: new Date(v.occurredAt),
          location: v.location,
          otherChildren: v.otherChildren,
          immediateDanger: v.immediateDanger,
          bodyMap: v.bodyMap.map((m) => ({ ...m, x: m.x ?? null, y: m.y ?? null })),
          idempotencyKey: v.idempotencyKey,
        }),
      (result) => reply.code(result.replayed ? 200 : 201).send(result),
    )
  })

  r.get('/api/v1/concerns', { permission: 'concern:raise', audit: 'concern.list' }, async (request) => ({ concerns: await repos(request).concerns.mine() }))
  // `concerns`: the open ones to decide, as before; `monitored`: those whose latest decision is to keep them open and monitor
  r.get('/api/v1/triage', { permission: 'concern:raise', audit: 'concern.queue' }, async (request) => {
    const { concerns, monitored } = await repos(request).concerns.queue()
    return { concerns, monitored }
  })

  r.get('/api/v1/concerns/:concernId', { permission: 'concern:raise', audit: 'concern.view', record: true }, async (request, reply) =>
    run(reply, () => repos(request).concerns.get(id(request, 'concernId')), (found) => {
      const { concern, triage, links, related, referrals, canTriage } = found
      reply.header('etag', etag(concern.row_version))
      return {
        concern: {
          id: concern.id,
          version: concern.row_version,
          childId: concern.child_id,
          child: { givenName: concern.given_name, familyName: concern.family_name, provisional: concern.provisional },
          category: concern.category,
          categoryLabel: concern.category_label,
          seenOrHeard: concern.seen_or_heard,
          childWords: concern.child_words,
          occurredAt: concern.occurred_at,
          location: concern.location,
          otherChildren: concern.other_children,
          immediateDanger: concern.immediate_danger,
          bodyMap: concern.body_map,
          status: concern.status,
          // whom an open concern waits for, in the page's words ("the front door"; the page reads "Waiting for the front
          // door"): the same function as the page (waitingFor); null once it is decided
          waitingFor: concern.waiting_for,
          raisedBy: { name: `${concern.by_given} ${concern.by_family}`, role: concern.by_role, agency: concern.agency_name },
          createdAt: concern.created_at,
        },
        triage: triage.map((t) => ({ actions: t.actions, outcome: t.outcome, reasons: t.reasons, by: `${t.given_name} ${t.family_name}`, at: t.created_at })),
        links: links.map((l) => l.id),
        related: related.map((l) => ({ id: l.id, status: l.status, category: l.category, createdAt: l.created_at })),
        referrals: referrals.map((f) => ({ id: f.id, kind: f.kind, receivedAt: f.received_at, decision: f.decision, rationale: f.rationale, levelFound: f.level_found, toldAt: f.referrer_told_at })),
        canTriage,
      }
    }),
  )

  // who decides is the data layer's (the concern's agency's safeguarding leads, or whom it was routed to): see the page's route
  r.post('/api/v1/concerns/:concernId/triage', { permission: 'concern:raise', audit: 'concern.triage', record: true, api: { ifMatch: { table: 'concern', param: 'concernId' } } }, async (request, reply) => {
    const v = parse(triageBody, request, reply)
    if (!v) return reply
    return run(reply, () => repos(request).concerns.triage(id(request, 'concernId'), v), (result) => reply.code(201).send(result))
  })

  // referrals: the referrer's side
  r.post('/api/v1/referrals', { permission: 'referral:make', audit: 'referral.create', api: 'create' }, async (request, reply) => {
    const today = londonDateTime(clock.now()).date
    const v = parse(referralBody, request, reply, (b) => referralNewChild(request.actor!, b, today).problems)
    if (!v) return reply
    const { newChild } = referralNewChild(request.actor!, v, today)
    return run(
      reply,
      () =>
        repos(request).referrals.submit({
          childIds: v.children,
          kind: v.kind,
          reason: v.reason,
          levelBelieved: v.levelBelieved,
          levelReason: v.levelReason,
          parentsKnow: v.parentsKnow,
          parentsNotToldReason: v.parentsNotToldReason || null,
          urgency: v.urgency,
          ppnReference: v.ppnReference || null,
          concernIds: v.concernIds,
          idempotencyKey: v.idempotencyKey,
          newChild,
        }),
      (result) => reply.code(result.replayed ? 200 : 201).send(result),
    )
  })

  r.get('/api/v1/referrals', { permission: 'referral:make', audit: 'referral.list' }, async (request) => ({ referrals: await repos(request).referrals.mine() }))

  r.get('/api/v1/referrals/:referralId', { permission: 'referral:make', audit: 'referral.status', record: true }, async (request, reply) =>
    run(reply, () => repos(request).referrals.status(id(request, 'referralId')), (found) => {
      const f = found.referral
      reply.header('etag', etag(f.row_version))
      return {
        referral: {
          id: f.id,
          version: f.row_version,
          kind: f.kind,
          status: f.status,
          childId: f.child_id,
          child: { givenName: f.given_name, familyName: f.family_name },
          urgency: f.urgency,
          levelBelieved: f.level_believed,
          receivedAt: f.received_at,
          acknowledgedAt: f.acknowledged_at,
          decision: f.decision,
          rationale: f.rationale,
          levelFound: f.level_found,
          decidedAt: f.referrer_told_at ? f.decided_at : null,
          referrerToldAt: f.referrer_told_at,
          reReferral: Boolean(f.re_referral_of),
          outOfHours: f.out_of_hours,
          decisionDueBy: found.dueBy,
        },
        challenges: found.challenges.map((c) => ({ id: c.id, reason: c.reason, status: c.status, response: c.response, createdAt: c.created_at, respondedAt: c.responded_at })),
        canChallenge: found.canChallenge,
      }
    }),
  )

  r.post('/api/v1/referrals/:referralId/challenge', { permission: 'referral:make', audit: 'referral.challenge', record: true, api: 'create' }, async (request, reply) => {
    const v = parse(challengeBody, request, reply)
    if (!v) return reply
    return run(reply, () => repos(request).referrals.challenge(id(request, 'referralId'), v.reason), (result) => reply.code(201).send(result))
  })

  // the front door
  r.get('/api/v1/front-door/queue', { permission: 'front-door:work', audit: 'referral.queue' }, async (request) => ({ referrals: await repos(request).referrals.queue() }))

  r.get('/api/v1/front-door/referrals/:referralId', { permission: 'front-door:work', audit: 'referral.view', record: true }, async (request, reply) =>
    run(reply, () => repos(request).referrals.work(id(request, 'referralId')), (found) => {
      reply.header('etag', etag(found.referral.row_version))
      return found
    }),
  )

  const step = <T>(path: string, audit: string, schema: z.ZodType<T> | null, act: (request: FastifyRequest, referralId: string, body: T) => Promise<{ ok: true } | null>, kind: 'create' | 'update' = 'update') =>
    r.post(`/api/v1/front-door/referrals/:referralId/${path}`, { permission: 'front-door:work', audit, record: true, api: kind === 'create' ? 'create' : { ifMatch: { table: 'referral', param: 'referralId' } } }, async (request, reply) => {
      let body = undefined as T
      if (schema) {
        const v = parse(schema, request, reply)
        if (v === null) return reply
        body = v
      }
      return run(reply, () => act(request, id(request, 'referralId'), body), (result) => reply.send(result))
    })

  step('acknowledge', 'referral.acknowledge', null, (request, referralId) => repos(request).referrals.acknowledge(referralId))
  step('checks', 'referral.check', checkBody, (request, referralId, b) => repos(request).referrals.addCheck(referralId, b), 'create')
  step('decision', 'referral.decide', decisionBody, (request, referralId, b) =>
    repos(request).referrals.decide(referralId, { decision: b.decision as Decision, rationale: b.rationale, levelFound: b.levelFound, lateReason: b.lateReason || null }),
  )
  step('sign-off', 'referral.sign-off', signOffBody, (request, referralId, b) => repos(request).referrals.signOff(referralId, b))
  step('challenge-answer', 'referral.challenge-answer', answerBody, (request, referralId, b) => repos(request).referrals.answerChallenge(referralId, b))
}
