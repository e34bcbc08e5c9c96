// The JSON API for information requests (the same repository as the pages: the same access rule, the same audit
// rows). Errors are problem+json: invalid fields in invalid-params (400), a request out of reach or absent 404, a step
// its state refuses (answering or withdrawing an answered, declined or withdrawn request) 409. Every POST is a create
// (src/platform/http/api-reliability.ts): the same Idempotency-Key (the ask's body field idempotencyKey, or the
// header) replays the first response, a different body with it is 422; the repository also refuses a key reused for a
// different ask.
//
//   POST /api/v1/children/:childId/information-requests    ask one or more agencies (one request each); idempotencyKey
//   GET  /api/v1/information-requests/:requestId           a request: what identifies the child, the question, the answers
//   POST /api/v1/information-requests/:requestId/answers   answer (entries, or nothing known) or decline, with the sharing decision
//   POST /api/v1/information-requests/:requestId/withdraw  withdraw an open request, with the reason: the requester, or
//                                                          once they have left one who stands in for them (actsForRequester)
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { z } from 'zod'
import type { AppDeps } from '../../platform/http/app.ts'
import { routes } from '../../platform/http/route.ts'
import { conflictProblem, invalidParams, problem, validationProblem } from '../../platform/http/problem.ts'
import { FieldRefusedError, KeyReusedError, RefusedError } from '../../data/unit-of-work.ts'
import { londonDateTime } from '../../web/dates.ts'
import { SharingValidationError } from '../sharing/store.ts'
import { checkAnswer, RESPONSES } from './answer-check.ts'
import { MAX_ANSWER_ENTRIES, withdrawReasonField } from './rules.ts'

const text = (max: number) => z.string().trim().max(max, `Must be ${max} characters or fewer`)

const askBody = z.strictObject({
  agencies: z.array(z.string().uuid('An agency id')).min(1, 'Name at least one agency to ask').max(20),
  question: text(5000).min(1, 'Write the question: what you need to know, and why'),
  urgency: z.enum(['urgent', 'standard'], { message: 'urgent or standard' }),
  referralId: z.string().uuid('A referral id').nullable().default(null),
  idempotencyKey: z.string().uuid('A UUID chosen by the client: the same key asks once'),
})

const answerBody = z.strictObject({
  response: z.enum(Object.keys(RESPONSES) as ['share', 'nothing_known', 'decline'], { message: 'share, nothing_known or decline' }),
  entries: z
    .array(z.strictObject({ summary: z.string(), occurredOn: z.string(), significance: z.string(), visibility: z.string() }))
    .max(MAX_ANSWER_ENTRIES, `No more than ${MAX_ANSWER_ENTRIES} entries`)
    .default([]),
  note: text(5000).default(''),
  lateReason: text(5000).default(''),
  sharing: z.strictObject({
    purpose: z.string(),
    categories: z.array(z.string()).default([]),
    lawfulBasis: z.string(),
    specialCategory: z.boolean({ message: 'true or false' }),
    art9Condition: z.string().nullable().default(null),
    schedule1Condition: z.string().nullable().default(null),
    para18Reason: z.string().nullable().default(null),
    consent: z.string(),
    consentReason: z.string().nullable().default(null),
    goldenRules: z.record(z.string(), z.boolean()),
    reasons: z.string(),
    outsideAgreementReason: z.string().nullable().default(null),
  }),
})

// the reason, checked as the page's withdraw form checks it
const withdrawBody = z.strictObject({ reason: withdrawReasonField })

export async function requestsApiRoutes(app: FastifyInstance, { data, clock }: AppDeps): Promise<void> {
  const r = routes(app)
  const repo = (req: FastifyRequest) => data.forActor(req.actor!).requests
  const param = (req: FastifyRequest, name: string) => (req.params as Record<string, string>)[name]!

  /** Refusals: a field's → 400 with it named; the record's state → 409. */
  function refused(reply: FastifyReply, err: unknown) {
    if (err instanceof SharingValidationError) return validationProblem(reply, err.fields.map((f) => ({ name: `sharing.${f.path}`, reason: f.message })))
    // a field's refusal (the module's, or the clock's: answered late without the reason) is named
    if (err instanceof FieldRefusedError) return validationProblem(reply, [{ name: err.field, reason: err.message }])
    if (err instanceof KeyReusedError) return problem(reply, 422, 'Idempotency key reused', err.message)
    if (err instanceof RefusedError) return conflictProblem(reply, err.message)
    throw err
  }

  r.post('/api/v1/children/:childId/information-requests', { permission: 'requests:ask', audit: 'request.ask', record: true, api: 'create' }, async (request, reply) => {
    const parsed = askBody.safeParse(request.body ?? {})
    if (!parsed.success) return validationProblem(reply, invalidParams(parsed.error))
    const v = parsed.data
    try {
      const done = await repo(request).ask(param(request, 'childId'), { agencyIds: v.agencies, question: v.question, urgency: v.urgency, referralId: v.referralId, idempotencyKey: v.idempotencyKey })
      if (!done) return reply.callNotFound()
      return reply.code(done.replayed ? 200 : 201).send(done)
    } catch (err) {
      return refused(reply, err)
    }
  })

  r.get('/api/v1/information-requests/:requestId', { permission: 'requests:ask', audit: 'request.view', record: true }, async (request, reply) => {
    const found = await repo(request).get(param(request, 'requestId'))
    if (!found) return reply.callNotFound()
    const q = found.request
    return {
      request: {
        id: q.id,
        childId: found.canSeeChild ? q.childId : null,
        toAgency: { id: q.toAgencyId, name: q.toAgencyName },
        requester: { name: q.requester.name, role: q.requester.role, agency: q.requester.agencyName, team: q.requester.teamName, email: q.requester.email, phone: q.requester.phone },
        referralId: found.canSeeChild ? q.referralId : null,
        question: q.question,
        urgency: q.urgency,
        askedAt: q.askedAt,
        dueAt: q.dueAt,
        overdue: q.overdue,
        status: q.status,
        respondedAt: q.respondedAt,
        responder: q.responder,
        nothingKnown: q.nothingKnown,
        responseNote: q.responseNote,
        sharingDecisionId: q.sharingDecisionId,
        withdrawnAt: q.withdrawnAt,
        withdrawnReason: q.withdrawnReason,
        withdrawnBy: q.withdrawnBy,
      },
      child: { givenName: found.child.givenName, familyName: found.child.familyName, dateOfBirth: found.child.dateOfBirth, expectedDateOfBirth: found.child.expectedDateOfBirth, nhsNumber: found.child.nhsNumber, address: found.child.address, addressConfidential: found.child.addressConfidential },
      answers: found.entries.map((e) => ({ id: e.id, summary: e.summary, occurredOn: londonDateTime(new Date(e.occurred_at)).date, significance: e.significance, visibility: e.visibility, recordedAt: e.recorded_at })),
      canAnswer: found.canAnswer,
      canWithdraw: found.canWithdraw,
      // the requester has left and the caller stands in for them (told in their place): they may withdraw it as the requester could
      actsForRequester: found.actsForRequester,
      // the people the request names who have left: whether the requester has (and an answer then reaches nobody), and
      // the escalation manager of an overdue request (and whether any manager in post was told instead)
      requesterLeft: found.requesterLeft,
      answerReachesNobody: found.answerReachesNobody,
      escalationLeft: found.escalationLeft,
    }
  })

  r.post('/api/v1/information-requests/:requestId/answers', { permission: 'requests:answer', audit: 'request.answer', record: true, api: 'create' }, async (request, reply) => {
    const parsed = answerBody.safeParse(request.body ?? {})
    if (!parsed.success) return validationProblem(reply, invalidParams(parsed.error))
    const now = clock.now()
    const checked = checkAnswer(parsed.data, { now, today: londonDateTime(now).date })
    if (!checked.ok) return validationProblem(reply, checked.problems.map((p) => ({ name: p.path, reason: p.message })))
    try {
      const done = await repo(request).answer(param(request, 'requestId'), checked.value)
      if (!done) return reply.callNotFound()
      return reply.code(201).send(done)
    } catch (err) {
      return refused(reply, err)
    }
  })

  // the page's withdrawal (the same repository call: who may, the state it needs, the chronology entry and the audit
  // row); a request the caller cannot see, or may not withdraw, is the same 404 as one that does not exist
  r.post('/api/v1/information-requests/:requestId/withdraw', { permission: 'requests:ask', audit: 'request.withdraw', record: true, api: 'create' }, async (request, reply) => {
    const parsed = withdrawBody.safeParse(request.body ?? {})
    if (!parsed.success) return validationProblem(reply, invalidParams(parsed.error))
    try {
      const done = await repo(request).withdraw(param(request, 'requestId'), parsed.data.reason)
      if (!done) return reply.callNotFound()
      return reply.send({ id: done.id, status: 'withdrawn', inPlaceOfRequester: done.inPlaceOfRequester })
    } catch (err) {
      return refused(reply, err)
    }
  })
}
