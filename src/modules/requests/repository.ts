// Information requests between agencies (issue 6, scope 2). A practitioner whose relationships give them case reach to
// a child (the front door during its checks, an allocated social worker, a DSL or a team's lead) asks one or more
// other agencies what they know: one request per agency, each on its own response clock (IR: the partnership's number
// of working days, default 3; IRU: urgent, by 17:00 on the working day it counts on). The agency's answering roles
// (INFORMATION_REQUEST_ANSWERERS in the policy) are told, and see the request in their inbox.
//
// Who sees a request (anyone else: not found, like a request that does not exist):
// - the requester, while the child is still in their reach;
// - the addressed agency's answering roles — only what identifies the child (name, date of birth, NHS number, an
//   address that is not confidential) and the question: the request is not a relationship, so it opens no chronology;
// - the practitioner an overdue request escalates to (the addressed agency's manager, or the requester's);
// - when the person the request names has left (their membership ended, or their account disabled), those who stand in
//   for them, and are told in their place: for the requester, the people in post of the requester's agency who could
//   have asked about the child themselves (a role that asks, the child in their reach now — the answer was shared with
//   the agency), of the requester's team first (requesterStandIns); for the escalation manager, once the request is
//   overdue, the managers in post of the same agency (escalationStandIns in rules.ts). When nobody stands in, the
//   request says so to everyone who still sees it (an answer that would reach nobody, an escalation nobody was told of).
//
// Answering writes the agency's entries into the child's chronology through its own agency record of the child (made
// now, linked to the child the requester named, when the agency holds none), each with the visibility the answerer
// chose and addressed to the requester, who therefore always sees the answers; "nothing known" is an answer too, and
// is recorded. Answering or declining (with reasons) is a sharing decision (src/modules/sharing/store.ts), recorded in
// the same transaction. The requester is told; they may withdraw an open request with a reason — or, once they have
// left, one of those who stand in for them (requesterStandInsQuery), the request, its entry and the audit row saying
// who did and for whom. Every call is one audited transaction.
import { randomUUID } from 'node:crypto'
import { sql, type Expression, type ExpressionBuilder, type SqlBool, type Transaction } from 'kysely'
import { hasPermission, INFORMATION_REQUEST_ANSWERERS, isRole, ROLE_LABELS, ROLES } from '../../access/policy.ts'
import { childInReach, entryVisible, membershipReachesChild } from '../../data/access-sql.ts'
import type { Actor } from '../../data/actor.ts'
import type { ClockPort } from '../../data/clock-port.ts'
import { notifyMemberships } from '../../data/notify.ts'
import { childWithRelationship, isUuid, lockChildren } from '../../data/repositories/children.ts'
import type { AgencyKind, DB, RequestStatus, RequestUrgency, Significance, Visibility } from '../../data/schema.ts'
import { auditedTransaction, FieldRefusedError, KeyReusedError, RefusedError, type Ctx } from '../../data/unit-of-work.ts'
import { recordSharingDecision, type SharingDecisionInput } from '../sharing/store.ts'
import { teamManagerOf } from '../tac/access.ts'
import { ANSWER_ENTRY, ASKED_ENTRY, answeringRoles, answers, escalationManagerRoles, escalationStandIns, REQUEST_SUBJECT, requestDueAt, responseWorkingDays, RULE_FOR, STATUS_LABELS } from './rules.ts'
import { currentMembershipsQuery, inPost, membershipNames, membershipsWithRoles, membershipsWithRolesQuery } from '../../data/memberships.ts'

type Trx = Transaction<DB>

export interface AskInput {
  agencyIds: string[]
  question: string
  urgency: RequestUrgency
  referralId?: string | null
  /** API creates: the same key twice from the same practitioner asks once (the same requests come back). */
  idempotencyKey?: string | null
}

export interface AnswerEntryInput {
  summary: string
  occurredOn: string
  significance: Significance
  visibility: Visibility
}

/** The sharing decision's fields the answerer gives (the rest — what, with whom, the context — come from the request). */
export type SharingFields = Pick<
  SharingDecisionInput,
  'purpose' | 'categories' | 'lawfulBasis' | 'specialCategory' | 'art9Condition' | 'schedule1Condition' | 'para18Reason' | 'consent' | 'consentReason' | 'goldenRules' | 'reasons' | 'outsideAgreementReason'
>

export type AnswerInput =
  | { response: 'share'; entries: AnswerEntryInput[]; sharing: SharingFields; lateReason?: string | null }
  | { response: 'nothing_known'; note: string; sharing: SharingFields; lateReason?: string | null }
  | { response: 'decline'; sharing: SharingFields; lateReason?: string | null }

export interface AskedRequest {
  id: string
  agencyId: string
  agencyName: string
  dueAt: Date
}

export interface AskResult {
  batchId: string
  requests: AskedRequest[]
  replayed: boolean
}

/** What the stand-in search needs of a request: whose it is, and whom about. */
interface StandInSubject {
  child_id: string
  requested_by: string
  requester_agency_id: string
  requester_team_id: string | null
}

/** The roles that ask other agencies (and so may follow a request): case reach with the team's entries. */
const ASKING_ROLES = ROLES.filter((r) => hasPermission(r, 'requests:ask'))

const joinNames = (names: readonly string[]) => (names.length <= 1 ? (names[0] ?? '') : `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`)
const practitionerName = sql<string>`p.given_name || ' ' || p.family_name`

export function requestsRepository(ctx: Ctx, actor: Actor, clocks: ClockPort) {
  const P = actor.partnershipId
  const mayAsk = hasPermission(actor.role, 'requests:ask')
  const mayAnswer = hasPermission(actor.role, 'requests:answer')

  /** The child, if in the actor's reach, with the relationship that let them in (for the audit row). */
  async function childAccess(trx: Trx, childId: string, now: Date) {
    return childWithRelationship(trx, actor, childId, now)
  }

  /** The actor's own agency's kind (which requests they answer). */
  async function ownAgencyKind(trx: Trx): Promise<AgencyKind | null> {
    const a = await trx.selectFrom('agency').select('kind').where('partnership_id', '=', P).where('id', '=', actor.agencyId).executeTakeFirst()
    return a?.kind ?? null
  }

  /**
   * Who stands in for a requester no longer in post, as one statement (`s.id`, nothing run yet): the people in post of
   * the requester's agency who could have asked about the child themselves — a role that asks, and the child in their
   * reach now (membershipReachesChild: the one reach rule, asked of every colleague at once), so that the request and
   * its answers open for them — those of the requester's team first, else the agency's. Nobody while the requester is
   * in post. They are told of the answer in the requester's place, and may do what the requester could (withdraw).
   */
  function requesterStandInsQuery(trx: Trx, q: StandInSubject, now: Date) {
    const team = q.requester_team_id
    return trx
      .with('s', () =>
        currentMembershipsQuery(trx, P, now)
          .select(['m.id', 'm.team_id'])
          .where('m.agency_id', '=', q.requester_agency_id)
          .where('m.role', 'in', ASKING_ROLES)
          .where('m.id', '<>', q.requested_by)
          .where(membershipReachesChild(P, q.child_id, now))
          // only while the requester has left (their membership ended, or their account disabled)
          .where((eb) => eb.not(eb.exists(currentMembershipsQuery(trx, P, now).select('m.id').where('m.id', '=', q.requested_by)))),
      )
      .selectFrom('s')
      .select('s.id')
      .where((eb) => (team ? eb.or([eb('s.team_id', '=', team), eb.not(eb.exists(eb.selectFrom('s as t').select('t.id').where('t.team_id', '=', team)))]) : sql<SqlBool>`true`))
  }

  /** requesterStandIns, run: their membership ids (`first`: one is enough — whether anyone stands in). */
  async function requesterStandIns(trx: Trx, q: StandInSubject, now: Date, opts: { first?: boolean } = {}): Promise<string[]> {
    let query = requesterStandInsQuery(trx, q, now).orderBy('s.id')
    if (opts.first) query = query.limit(1)
    return (await query.execute()).map((r) => r.id)
  }

  /** Agencies that can be asked: another agency of the partnership whose kind has answering roles, with someone in one now. */
  async function askableAgencies(trx: Trx, now: Date) {
    const rows = await trx.selectFrom('agency').select(['id', 'name', 'kind']).where('partnership_id', '=', P).where('id', '!=', actor.agencyId).orderBy('name').execute()
    // who is there to answer, across the partnership in one statement: (agency, role) pairs of current memberships
    const present = await currentMembershipsQuery(trx, P, now)
      .select(['m.agency_id', 'm.role'])
      .distinct()
      .where('m.role', 'in', [...new Set(Object.values(INFORMATION_REQUEST_ANSWERERS).flat())])
      .execute()
    const out: { id: string; name: string; kind: AgencyKind; answeredBy: string }[] = []
    for (const a of rows) {
      const roles = answeringRoles(a.kind)
      if (!present.some((m) => m.agency_id === a.id && (roles as readonly string[]).includes(m.role))) continue
      out.push({ id: a.id, name: a.name, kind: a.kind, answeredBy: joinNames(roles.map((r) => `${ROLE_LABELS[r].replace(/^([A-Z])(?=[a-z])/, (c) => c.toLowerCase())}s`)) })
    }
    return out
  }

  /**
   * Whom an overdue request to this agency escalates to: a current team manager of the agency (its front door's first),
   * a school's headteacher; failing that, the requester's team manager; failing that, the requester.
   */
  async function escalationTarget(trx: Trx, agency: { id: string; kind: AgencyKind }, now: Date): Promise<string> {
    const m = await membershipsWithRolesQuery(trx, P, agency.id, escalationManagerRoles(agency.kind), now)
      .leftJoin('team as t', 't.id', 'm.team_id')
      .orderBy(sql`coalesce(t.is_front_door, false)`, 'desc')
      .orderBy('m.id')
      .executeTakeFirst()
    return m?.id ?? (await teamManagerOf(trx, actor, now)) ?? actor.membershipId
  }

  /** A request with the names around it (no access decided yet). */
  function requestQuery(trx: Trx) {
    return trx
      .selectFrom('information_request as q')
      .innerJoin('agency as ta', 'ta.id', 'q.to_agency_id')
      .innerJoin('agency as ra', 'ra.id', 'q.requester_agency_id')
      .innerJoin('membership as rm', 'rm.id', 'q.requested_by')
      .innerJoin('practitioner as p', 'p.id', 'rm.practitioner_id')
      .leftJoin('team as rt', 'rt.id', 'q.requester_team_id')
      .leftJoin('membership as am', 'am.id', 'q.responded_by')
      .leftJoin('practitioner as ap', 'ap.id', 'am.practitioner_id')
      .leftJoin('membership as wm', 'wm.id', 'q.withdrawn_by')
      .leftJoin('practitioner as wp', 'wp.id', 'wm.practitioner_id')
      .selectAll('q')
      .select([
        'ta.name as to_agency_name',
        'ta.kind as to_agency_kind',
        'ra.name as requester_agency_name',
        'rt.name as requester_team_name',
        'rm.role as requester_role',
        practitionerName.as('requester_name'),
        'p.email as requester_email',
        'p.phone as requester_phone',
        sql<string | null>`ap.given_name || ' ' || ap.family_name`.as('responder_name'),
        'am.role as responder_role',
        sql<string | null>`wp.given_name || ' ' || wp.family_name`.as('withdrawer_name'),
      ])
      .where('q.partnership_id', '=', P)
  }
  type RequestRow = Awaited<ReturnType<ReturnType<typeof requestQuery>['executeTakeFirstOrThrow']>>

  /**
   * The request, if the actor is a party to it: `requester` (their own request, the child still in their reach),
   * `answerer` (an answering role of the addressed agency), `escalation` (the overdue request was escalated to them);
   * or `standIn` for the requester or the escalation manager when they have left (see the top of this file).
   * `actsForRequester`: the requester has left and the actor is one of those who stand in for them (requesterStandIns:
   * told in their place, of the requester's team first) — they may do what the requester could (withdraw). Any other
   * colleague who reaches the child opens the request and its answers (shared with the agency), and no more.
   */
  async function requestAccess(trx: Trx, requestId: string, now: Date, opts: { forUpdate?: boolean } = {}) {
    if (!isUuid(requestId)) return undefined
    if (opts.forUpdate) {
      const locked = await trx.selectFrom('information_request').select('id').where('partnership_id', '=', P).where('id', '=', requestId).forUpdate().executeTakeFirst()
      if (!locked) return undefined
    }
    const q = await requestQuery(trx).where('q.id', '=', requestId).executeTakeFirst()
    if (!q) return undefined
    const answerer = mayAnswer && q.to_agency_id === actor.agencyId && answers(q.to_agency_kind, actor.role)
    const reach = q.requested_by === actor.membershipId ? await childAccess(trx, q.child_id, now) : undefined
    const requester = Boolean(reach)
    // the escalation target is a party only once the request has gone overdue (answered late, or still open past its time)
    const overdue = (q.responded_at ?? q.withdrawn_at ?? now) > q.due_at
    const escalation = q.escalate_to_membership_id === actor.membershipId && overdue
    let standIn: 'requester' | 'escalation' | null = null
    let standInReach: Awaited<ReturnType<typeof childAccess>> | undefined
    if (!answerer && !requester && !escalation) {
      // the requester has left: someone of their agency who could have asked about the child (the answer was shared with the agency)
      if (mayAsk && q.requester_agency_id === actor.agencyId && q.requested_by !== actor.membershipId && !(await inPost(trx, P, q.requested_by, now))) {
        standInReach = await childAccess(trx, q.child_id, now)
        if (standInReach) standIn = 'requester'
      }
      // the escalation manager has left: a manager in post of the same agency, once the request is overdue
      if (!standIn && overdue && q.escalate_to_membership_id && q.escalate_to_membership_id !== actor.membershipId) {
        if ((await escalationStandIns(trx, P, q.escalate_to_membership_id, now)).managers.includes(actor.membershipId)) standIn = 'escalation'
      }
      if (!standIn) return undefined
    }
    // the same statement that says whom the answer goes to, asked of the actor: the requester has left, the actor is in
    // post at their agency in a role that asks, the child in their reach, of the requester's team when anyone there is
    const actsForRequester =
      !requester && mayAsk && q.requester_agency_id === actor.agencyId && (standIn === 'requester' || escalation) && Boolean(await requesterStandInsQuery(trx, q, now).where('s.id', '=', actor.membershipId).executeTakeFirst())
    return { q, answerer, requester, escalation, standIn, actsForRequester, relationshipId: (reach ?? standInReach)?.relationshipId ?? null }
  }

  /** What identifies the child to an agency asked about them: name, date of birth, NHS number, an address if held. */
  async function identification(trx: Trx, childId: string) {
    const c = await trx.selectFrom('child').select(['id', 'given_name', 'family_name', 'date_of_birth', 'expected_date_of_birth', 'nhs_number']).where('partnership_id', '=', P).where('id', '=', childId).executeTakeFirstOrThrow()
    const addresses = await trx.selectFrom('child_address').select(['line1', 'line2', 'town', 'postcode', 'confidential']).where('partnership_id', '=', P).where('child_id', '=', childId).where('to_date', 'is', null).orderBy('from_date', 'desc').execute()
    const open = addresses.find((a) => !a.confidential)
    return {
      id: c.id,
      givenName: c.given_name,
      familyName: c.family_name,
      dateOfBirth: c.date_of_birth,
      expectedDateOfBirth: c.expected_date_of_birth,
      nhsNumber: c.nhs_number,
      address: open ? [open.line1, open.line2, open.town, open.postcode].filter(Boolean).join(', ') : null,
      addressConfidential: !open && addresses.some((a) => a.confidential),
    }
  }

  function view(q: RequestRow, now: Date) {
    return {
      id: q.id,
      childId: q.child_id,
      batchId: q.batch_id,
      toAgencyId: q.to_agency_id,
      toAgencyName: q.to_agency_name,
      toAgencyKind: q.to_agency_kind,
      requester: { membershipId: q.requested_by, name: q.requester_name, role: q.requester_role, roleLabel: isRole(q.requester_role) ? ROLE_LABELS[q.requester_role] : q.requester_role, agencyName: q.requester_agency_name, teamName: q.requester_team_name, email: q.requester_email, phone: q.requester_phone },
      referralId: q.referral_id,
      question: q.question,
      urgency: q.urgency,
      askedAt: q.asked_at,
      dueAt: q.due_at,
      status: q.status,
      statusLabel: STATUS_LABELS[q.status],
      overdue: q.status === 'open' && now > q.due_at,
      respondedAt: q.responded_at,
      responder: q.responder_name ? { name: q.responder_name, roleLabel: q.responder_role && isRole(q.responder_role) ? ROLE_LABELS[q.responder_role] : q.responder_role } : null,
      nothingKnown: q.nothing_known,
      responseNote: q.response_note,
      sharingDecisionId: q.sharing_decision_id,
      withdrawnAt: q.withdrawn_at,
      withdrawnReason: q.withdrawn_reason,
      /** Who withdrew it: the requester, or a colleague standing in for them once they had left. */
      withdrawnBy: q.withdrawn_by ? { name: q.withdrawer_name ?? '', inPlaceOfRequester: q.withdrawn_by !== q.requested_by } : null,
      rowVersion: q.row_version,
    }
  }
  type RequestView = ReturnType<typeof view>

  /** The agency's record of the child: the one it holds, or one made now from the child's identity (linked, audited in link_decision). */
  async function agencyRecordFor(trx: Trx, q: RequestRow, now: Date): Promise<{ id: string; created: boolean } | null> {
    const held = await trx.selectFrom('agency_record').select('id').where('partnership_id', '=', P).where('agency_id', '=', actor.agencyId).where('child_id', '=', q.child_id).orderBy('created_at').orderBy('id').executeTakeFirst()
    if (held) return { id: held.id, created: false }
    const c = await trx.selectFrom('child').select(['given_name', 'family_name', 'date_of_birth', 'expected_date_of_birth', 'sex', 'nhs_number', 'upn']).where('partnership_id', '=', P).where('id', '=', q.child_id).executeTakeFirstOrThrow()
    const dob = c.date_of_birth ?? c.expected_date_of_birth
    // an agency record needs a date of birth: a child with none (and no expected date) keeps the answers on the
    // chronology without one (their source agency still says whose they are)
    if (!dob) return null
    const address = await trx.selectFrom('child_address').select(['line1', 'line2', 'town', 'postcode']).where('partnership_id', '=', P).where('child_id', '=', q.child_id).where('to_date', 'is', null).where('confidential', '=', false).orderBy('from_date', 'desc').executeTakeFirst()
    const id = randomUUID()
    const sourceRef = `information-request:${q.id}`
    await trx
      .insertInto('agency_record')
      .values({
        id,
        partnership_id: P,
        agency_id: actor.agencyId,
        source_ref: sourceRef,
        given_name: c.given_name,
        family_name: c.family_name,
        date_of_birth: dob,
        sex: c.sex,
        nhs_number: c.nhs_number,
        upn: c.upn,
        postcode: address?.postcode ?? null,
        address: address ? [address.line1, address.line2, address.town].filter(Boolean).join(' ') : null,
        child_id: q.child_id,
        match_state: 'matched',
        match_probability: null,
        match_explanation: null,
        review_child_id: null,
        created_at: now,
        updated_at: now,
      })
      .execute()
    await trx
      .insertInto('link_decision')
      .values({ id: randomUUID(), partnership_id: P, agency_record_id: id, kind: 'auto', from_child_id: null, to_child_id: q.child_id, probability: null, reason: 'Made when the agency answered a request for information about this child: the requester named the child', decided_by_membership_id: actor.membershipId, decided_at: now })
      .execute()
    // the same relationship an imported record brings (records module: `agency record <id>`)
    await trx
      .insertInto('relationship')
      .values({ id: randomUUID(), partnership_id: P, child_id: q.child_id, type: 'agency_record', holder_agency_id: actor.agencyId, holder_team_id: null, holder_membership_id: null, starts_at: now, ends_at: null, source: `agency record ${id}`, reason: `The agency holds its own record of the child (${sourceRef})`, created_by_membership_id: actor.membershipId, created_at: now })
      .execute()
    return { id, created: true }
  }

  /**
   * The answers on a request the actor may see: entries visible to them by the one rule, and their own agency's answers
   * when they answer for it, or the answers addressed to the requester when they stand in for a requester who has left.
   */
  async function answerEntries(trx: Trx, q: RequestRow, answerer: boolean, now: Date, standsInForRequester = false) {
    // beside the one rule, never past a role restriction that leaves the actor's role out
    const roleAllowed = sql<SqlBool>`(e.visibility <> 'restricted' or cardinality(e.restricted_roles) = 0 or ${actor.role}::text = any(e.restricted_roles))`
    type Eb = ExpressionBuilder<DB & { e: DB['entry'] }, 'e'>
    const besides: ((eb: Eb) => Expression<SqlBool>[]) | null = answerer
      ? // the agency's own answers without a relationship — never past a seal (the authoring team's only)
        (eb) => [eb('e.source_agency_id', '=', actor.agencyId), actor.teamId ? eb.or([eb('e.visibility', '<>', 'sealed'), eb('e.author_team_id', '=', actor.teamId)]) : eb('e.visibility', '<>', 'sealed'), roleAllowed]
      : standsInForRequester
        ? // what was addressed to the requester who has left, as the requester would see it — never past a seal
          (eb) => [eb('e.addressed_to_membership_id', '=', q.requested_by), eb('e.visibility', '<>', 'sealed'), roleAllowed]
        : null
    return trx
      .selectFrom('entry as e')
      .select(['e.id', 'e.summary', 'e.occurred_at', 'e.occurred_time_known', 'e.significance', 'e.visibility', 'e.recorded_at'])
      .where('e.partnership_id', '=', P)
      .where('e.child_id', '=', q.child_id)
      .where('e.detail_type', '=', REQUEST_SUBJECT)
      .where('e.detail_id', '=', q.id)
      .where('e.type', '=', ANSWER_ENTRY)
      .where(besides ? (eb) => eb.or([entryVisible(actor, now)(eb), eb.and(besides(eb))]) : entryVisible(actor, now))
      .orderBy('e.occurred_at')
      .orderBy('e.id')
      .execute()
  }

  /**
   * The label of the entry the requester's side writes (asking, withdrawing): the front door's work stays the front
   * door's. By the requester's role — a colleague withdrawing in their place writes what the requester would have.
   */
  const requesterVisibility = (requesterRole: string = actor.role): Visibility => (requesterRole === 'front_door_social_worker' ? 'front_door' : 'team')

  async function writeEntry(trx: Trx, now: Date, e: { childId: string; type: string; summary: string; significance: Significance; visibility: Visibility; occurredAt: Date; occurredTimeKnown?: boolean; detailId: string; agencyRecordId?: string | null; restrictedAgencyIds?: string[]; addressedTo?: string | null }) {
    const id = randomUUID()
    await trx
      .insertInto('entry')
      .values({
        id,
        partnership_id: P,
        child_id: e.childId,
        agency_record_id: e.agencyRecordId ?? null,
        type: e.type,
        category: null,
        occurred_at: e.occurredAt,
        occurred_time_known: e.occurredTimeKnown ?? true,
        recorded_at: now,
        author_membership_id: actor.membershipId,
        author_team_id: actor.teamId,
        source_agency_id: actor.agencyId,
        significance: e.significance,
        summary: e.summary,
        detail_type: REQUEST_SUBJECT,
        detail_id: e.detailId,
        visibility: e.visibility,
        restricted_agency_ids: e.visibility === 'restricted' ? (e.restrictedAgencyIds ?? [actor.agencyId]) : [],
        addressed_to_membership_id: e.addressedTo ?? null,
        supersedes_entry_id: null,
      })
      .execute()
    return id
  }

  return {
    /** The "ask agencies what they know" page: the child, the agencies that can be asked, the due times now, my requests about the child. */
    async askPage(childId: string, referralId: string | null) {
      return auditedTransaction(ctx, actor, 'request.ask-page', async (trx, now) => {
        const access = mayAsk ? await childAccess(trx, childId, now) : undefined
        if (!access) return { result: null, audit: { action: 'request.ask-page', outcome: 'not_found' as const, entityType: 'child', entityId: isUuid(childId) ? childId : null } }
        const agencies = await askableAgencies(trx, now)
        const mine = await requestQuery(trx).where('q.child_id', '=', childId).where('q.requested_by', '=', actor.membershipId).orderBy('q.asked_at', 'desc').orderBy('ta.name').execute()
        const openTo = new Map(mine.filter((q) => q.status === 'open').map((q) => [q.to_agency_id, q.id]))
        const referral = referralId && isUuid(referralId) ? await trx.selectFrom('referral').select(['id', 'kind']).where('partnership_id', '=', P).where('id', '=', referralId).where('child_id', '=', childId).executeTakeFirst() : undefined
        const workingDays = await responseWorkingDays(trx, P)
        return {
          result: {
            child: access.child,
            agencies: agencies.map((a) => ({ ...a, openRequestId: openTo.get(a.id) ?? null })),
            requests: mine.map((q) => view(q, now)),
            referral: referral ?? null,
            workingDays,
            dueIfUrgent: await requestDueAt(trx, clocks, P, 'urgent', now),
            dueIfStandard: await requestDueAt(trx, clocks, P, 'standard', now),
          },
          audit: { action: 'request.ask-page', outcome: 'success' as const, entityType: 'child', entityId: childId, childIds: [childId], relationshipId: access.relationshipId, details: { requests: mine.map((q) => q.id) } },
        }
      })
    },

    /**
     * Asks each agency named what it knows (one request per agency). Null: the child is not in reach (not found).
     * RefusedError: an agency that cannot be asked, an open request to it already, a referral that is not the child's,
     * an idempotency key reused for a different request.
     */
    async ask(askedChildId: string, input: AskInput): Promise<AskResult | null> {
      // a UUID is the same in either case (the API's clients may send upper case): compared below as the database gives them
      const childId = askedChildId.toLowerCase()
      const referralIdAsked = input.referralId ? input.referralId.toLowerCase() : null
      return auditedTransaction<AskResult | null>(ctx, actor, 'request.ask', async (trx, now) => {
        const access = mayAsk ? await childAccess(trx, childId, now) : undefined
        if (!access) return { result: null, audit: { action: 'request.ask', outcome: 'not_found' as const, entityType: 'child', entityId: isUuid(childId) ? childId : null } }
        const agencyIds = [...new Set(input.agencyIds.map((id) => id.toLowerCase()))]
        if (input.idempotencyKey) {
          await sql`select pg_advisory_xact_lock(hashtext(${`information_request:${P}:${actor.membershipId}:${input.idempotencyKey}`}))`.execute(trx)
          // a statement that starts after the lock is ours: has this been asked already?
          const earlier = await requestQuery(trx).where('q.requested_by', '=', actor.membershipId).where('q.idempotency_key', '=', input.idempotencyKey).orderBy('ta.name').execute()
          if (earlier.length) {
            const same = earlier.every((q) => q.child_id === childId && q.question === input.question && q.urgency === input.urgency && (q.referral_id ?? null) === referralIdAsked) && earlier.length === agencyIds.length && earlier.every((q) => agencyIds.includes(q.to_agency_id))
            if (!same) throw new KeyReusedError('This idempotency key was already used for a different request: choose a new key for a new request')
            return {
              result: { batchId: earlier[0]!.batch_id, requests: earlier.map((q) => ({ id: q.id, agencyId: q.to_agency_id, agencyName: q.to_agency_name, dueAt: q.due_at })), replayed: true },
              audit: { action: 'request.ask', outcome: 'success' as const, entityType: 'information_request', entityId: earlier[0]!.id, childIds: [childId], relationshipId: access.relationshipId, details: { replayed: true, requests: earlier.map((q) => q.id) } },
            }
          }
        }
        if (!agencyIds.length) throw new FieldRefusedError('Choose at least one agency to ask', 'agencies')
        if (agencyIds.some((id) => !isUuid(id))) throw new FieldRefusedError('Choose agencies from the list', 'agencies')
        const askable = await askableAgencies(trx, now)
        const chosen = agencyIds.map((id) => askable.find((a) => a.id === id))
        if (agencyIds.includes(actor.agencyId)) throw new FieldRefusedError('Your own agency is not asked: choose other agencies', 'agencies')
        if (chosen.some((a) => !a)) throw new FieldRefusedError('Choose agencies from the list: one of them cannot be asked through TeamAround', 'agencies')
        const agencies = chosen as NonNullable<(typeof chosen)[number]>[]
        await lockChildren(trx, P, [childId])
        const open = await trx.selectFrom('information_request').select('to_agency_id').where('partnership_id', '=', P).where('child_id', '=', childId).where('requested_by', '=', actor.membershipId).where('status', '=', 'open').where('to_agency_id', 'in', agencyIds).execute()
        if (open.length) {
          const names = agencies.filter((a) => open.some((o) => o.to_agency_id === a.id)).map((a) => a.name)
          throw new FieldRefusedError(`You already have an open request to ${joinNames(names)} about this child: see it below, or withdraw it first`, 'agencies')
        }
        let referralId: string | null = null
        if (referralIdAsked) {
          const f = isUuid(referralIdAsked) ? await trx.selectFrom('referral').select('id').where('partnership_id', '=', P).where('id', '=', referralIdAsked).where('child_id', '=', childId).executeTakeFirst() : undefined
          if (!f) throw new FieldRefusedError('The referral is not this child’s', 'referralId')
          referralId = f.id
        }
        const batchId = randomUUID()
        const dueAt = await requestDueAt(trx, clocks, P, input.urgency, now)
        const made: AskedRequest[] = []
        for (const a of agencies) {
          const id = randomUUID()
          const escalateTo = await escalationTarget(trx, a, now)
          await trx
            .insertInto('information_request')
            .values({ id, partnership_id: P, child_id: childId, batch_id: batchId, to_agency_id: a.id, requested_by: actor.membershipId, requester_agency_id: actor.agencyId, requester_team_id: actor.teamId, referral_id: referralId, question: input.question, urgency: input.urgency, asked_at: now, due_at: dueAt, escalate_to_membership_id: escalateTo, idempotency_key: input.idempotencyKey ?? null, created_at: now })
            .execute()
          await clocks.start(trx, { partnershipId: P, rule: RULE_FOR[input.urgency], childId, subjectType: REQUEST_SUBJECT, subjectId: id, startedAt: now, dueAt, escalateToMembershipId: escalateTo })
          const answerers = await membershipsWithRoles(trx, P, a.id, answeringRoles(a.kind), now)
          await notifyMemberships(trx, P, answerers.map((m) => m.id), { kind: 'request.asked', childId, subjectType: REQUEST_SUBJECT, subjectId: id, link: `/information-requests/${id}` }, now)
          made.push({ id, agencyId: a.id, agencyName: a.name, dueAt })
        }
        // one chronology entry for the asking (never the question: it may say more than the team should read)
        await writeEntry(trx, now, {
          childId,
          type: ASKED_ENTRY,
          summary: `Asked ${joinNames(made.map((m) => m.agencyName))} what they know about the child (${input.urgency === 'urgent' ? 'urgent' : 'standard'} request).`,
          significance: input.urgency === 'urgent' ? 'medium' : 'low',
          visibility: requesterVisibility(),
          occurredAt: now,
          detailId: made[0]!.id,
        })
        return {
          result: { batchId, requests: made, replayed: false },
          audit: { action: 'request.ask', outcome: 'success' as const, entityType: 'information_request', entityId: made[0]!.id, childIds: [childId], relationshipId: access.relationshipId, details: { batchId, requests: made.map((m) => m.id), agencies: made.map((m) => m.agencyId), urgency: input.urgency, dueAt, referralId } },
        }
      })
    },

    /**
     * My requests (newest first), the requests escalated to me (or to a manager of my agency who has left, when I
     * manage), and the open requests of colleagues who have left that I stand in for.
     */
    async mine() {
      return auditedTransaction(ctx, actor, 'request.mine', async (trx, now) => {
        const kind = await ownAgencyKind(trx)
        const manages = kind !== null && escalationManagerRoles(kind).includes(actor.role)
        const asked = await requestQuery(trx)
          .innerJoin('child as c', 'c.id', 'q.child_id')
          .select(['c.given_name as child_given_name', 'c.family_name as child_family_name'])
          .where('q.requested_by', '=', actor.membershipId)
          .where(childInReach(actor, now) as never)
          .orderBy(sql`q.status = 'open'`, 'desc')
          .orderBy('q.asked_at', 'desc')
          .limit(500)
          .execute()
        const escalated = await requestQuery(trx)
          .innerJoin('child as c', 'c.id', 'q.child_id')
          .select(['c.given_name as child_given_name', 'c.family_name as child_family_name'])
          .where((eb) =>
            manages
              ? eb.or([
                  eb('q.escalate_to_membership_id', '=', actor.membershipId),
                  // escalated to a manager of my agency no longer in post: I stand in (escalationStandIns)
                  eb(
                    'q.escalate_to_membership_id',
                    'in',
                    eb
                      .selectFrom('membership as em')
                      .select('em.id')
                      .where('em.partnership_id', '=', P)
                      .where('em.agency_id', '=', actor.agencyId)
                      .where('em.id', 'not in', currentMembershipsQuery(trx, P, now).select('m.id').where('m.agency_id', '=', actor.agencyId)),
                  ),
                ])
              : eb('q.escalate_to_membership_id', '=', actor.membershipId),
          )
          .where('q.requested_by', '!=', actor.membershipId)
          .where('q.status', '=', 'open')
          .where('q.due_at', '<', now)
          .orderBy('q.due_at')
          .limit(500)
          .execute()
        // open requests of colleagues who have left that I stand in for (requesterStandInsQuery, read for many requests
        // in one statement): my agency's, the child in my reach, the requester no longer in post, and I am of their team
        // — or nobody in post there who asks reaches the child. I may withdraw them in the requester's place.
        const standingIn = mayAsk
          ? await requestQuery(trx)
              .innerJoin('child as c', 'c.id', 'q.child_id')
              .select(['c.given_name as child_given_name', 'c.family_name as child_family_name'])
              .where('q.requester_agency_id', '=', actor.agencyId)
              .where('q.requested_by', '!=', actor.membershipId)
              .where('q.status', '=', 'open')
              .where(childInReach(actor, now) as never)
              .where((eb) => eb.not(eb.exists(currentMembershipsQuery(trx, P, now).select('m.id').where('m.id', '=', sql.ref<string>('q.requested_by')))))
              .where((eb) =>
                eb.or([
                  eb('q.requester_team_id', 'is', null),
                  ...(actor.teamId ? [eb('q.requester_team_id', '=', actor.teamId)] : []),
                  eb.not(
                    eb.exists(
                      currentMembershipsQuery(trx, P, now)
                        .select('m.id')
                        .where('m.agency_id', '=', actor.agencyId)
                        .where('m.team_id', '=', sql.ref<string>('q.requester_team_id'))
                        .where('m.role', 'in', ASKING_ROLES)
                        .where('m.id', '!=', sql.ref<string>('q.requested_by'))
                        .where(membershipReachesChild(P, sql.ref<string>('q.child_id'), now)),
                    ),
                  ),
                ]),
              )
              .orderBy('q.due_at')
              .limit(500)
              .execute()
          : []
        const childName = (q: { child_given_name: string; child_family_name: string }) => `${q.child_given_name} ${q.child_family_name}`
        return {
          result: {
            asked: asked.map((q) => ({ ...view(q, now), childName: childName(q) })),
            escalated: escalated.map((q) => ({ ...view(q, now), childName: childName(q) })),
            standingIn: standingIn.map((q) => ({ ...view(q, now), childName: childName(q), requesterName: q.requester_name })),
          },
          audit: {
            action: 'request.mine',
            outcome: 'success' as const,
            childIds: [...new Set([...asked, ...escalated, ...standingIn].map((q) => q.child_id))],
            details: { requests: asked.map((q) => q.id), escalated: escalated.map((q) => q.id), ...(standingIn.length ? { standingIn: standingIn.map((q) => q.id) } : {}) },
          },
        }
      })
    },

    /** The agency's inbox: open requests addressed to it (soonest due first), and those answered in the last 30 days. Null: the actor answers for no agency. */
    async inbox() {
      return auditedTransaction(ctx, actor, 'request.inbox', async (trx, now) => {
        const kind = await ownAgencyKind(trx)
        if (!mayAnswer || !kind || !answers(kind, actor.role)) return { result: null, audit: { action: 'request.inbox', outcome: 'not_found' as const } }
        const base = () =>
          requestQuery(trx)
            .innerJoin('child as c', 'c.id', 'q.child_id')
            .select(['c.given_name as child_given_name', 'c.family_name as child_family_name', 'c.date_of_birth as child_dob'])
            .where('q.to_agency_id', '=', actor.agencyId)
        const open = await base().where('q.status', '=', 'open').orderBy('q.due_at').orderBy('q.asked_at').limit(500).execute()
        const since = new Date(now.getTime() - 30 * 86_400_000)
        const closed = await base().where('q.status', '!=', 'open').where(sql<boolean>`coalesce(q.responded_at, q.withdrawn_at) >= ${since}`).orderBy(sql`coalesce(q.responded_at, q.withdrawn_at)`, 'desc').limit(200).execute()
        const row = (q: (typeof open)[number]) => ({ ...view(q, now), childName: `${q.child_given_name} ${q.child_family_name}`, childDob: q.child_dob })
        return {
          result: { open: open.map(row), closed: closed.map(row), overdueCount: open.filter((q) => now > q.due_at).length },
          audit: { action: 'request.inbox', outcome: 'success' as const, childIds: [...new Set([...open, ...closed].map((q) => q.child_id))], details: { open: open.map((q) => q.id), closed: closed.map((q) => q.id), via: 'information_request' } },
        }
      })
    },

    /** One request: what identifies the child, the question, its state and the answers the actor may see. */
    async get(requestId: string) {
      return auditedTransaction(ctx, actor, 'request.view', async (trx, now) => {
        const found = await requestAccess(trx, requestId, now)
        if (!found) return { result: null, audit: { action: 'request.view', outcome: 'not_found' as const, entityType: 'information_request', entityId: isUuid(requestId) ? requestId : null } }
        const { q, answerer, requester, escalation, standIn, actsForRequester } = found
        const followsRequest = requester || standIn === 'requester'
        const entries = await answerEntries(trx, q, answerer, now, standIn === 'requester')
        const child = await identification(trx, q.child_id)
        const others = followsRequest ? await requestQuery(trx).where('q.batch_id', '=', q.batch_id).where('q.id', '!=', q.id).orderBy('ta.name').execute() : []
        // the people the request names who have left, said to everyone who sees it: whom the answer reaches, whom the escalation did
        const requesterInPost = requester || (standIn !== 'requester' && (await inPost(trx, P, q.requested_by, now)))
        const answerReachesNobody = !requesterInPost && !(await requesterStandIns(trx, q, now, { first: true })).length
        const named = q.escalate_to_membership_id && q.status === 'open' && now > q.due_at ? await escalationStandIns(trx, P, q.escalate_to_membership_id, now) : null
        const escalationLeft = named && !named.inPost ? { name: (await membershipNames(trx, P, [q.escalate_to_membership_id])).get(q.escalate_to_membership_id!) ?? '', agencyName: named.agencyName ?? '', toldNobody: !named.managers.length } : null
        return {
          result: {
            request: view(q, now) as RequestView,
            child,
            entries,
            others: others.map((o) => view(o, now)),
            isRequester: requester,
            isAnswerer: answerer,
            isEscalation: escalation || standIn === 'escalation',
            /** Stands in for a person the request names who has left: 'requester' or 'escalation' (null: a party in their own right). */
            standIn,
            /** The requester has left (their colleagues in post who work with the child are told instead, when there are any). */
            requesterLeft: !requesterInPost,
            /** The requester has left and nobody in post at their agency works with the child: an answer reaches nobody. */
            answerReachesNobody,
            /** The overdue request's escalation manager has left: who they were, and whether any manager in post was told instead. */
            escalationLeft,
            canAnswer: answerer && q.status === 'open',
            /** Stands in for the requester who has left (told in their place): may do what they could — withdraw. */
            actsForRequester,
            canWithdraw: (requester || actsForRequester) && q.status === 'open',
            /** The requester (and the team they work in) sees the child's record; the agency asked does not, through the request. */
            canSeeChild: followsRequest,
          },
          audit: {
            action: 'request.view',
            outcome: 'success' as const,
            entityType: 'information_request',
            entityId: q.id,
            childIds: [q.child_id],
            relationshipId: found.relationshipId,
            details: { as: requester ? 'requester' : answerer ? 'answerer' : escalation ? 'escalation' : `${standIn}_stand_in`, entries: entries.map((e) => e.id) },
          },
        }
      })
    },

    /**
     * Answers an open request for the actor's agency: with entries, "nothing known", or declined with reasons — a
     * sharing decision either way. Null: not found. RefusedError: not open any more, late without a reason, or the
     * sharing decision's own checks (SharingValidationError, with every field).
     */
    async answer(requestId: string, input: AnswerInput) {
      return auditedTransaction(ctx, actor, 'request.answer', async (trx, now) => {
        const found = await requestAccess(trx, requestId, now, { forUpdate: true })
        if (!found || !found.answerer) return { result: null, audit: { action: 'request.answer', outcome: 'not_found' as const, entityType: 'information_request', entityId: isUuid(requestId) ? requestId : null } }
        const { q } = found
        if (q.status !== 'open') throw new RefusedError(`This request has already been ${q.status}: it cannot be answered again`)
        const late = now > q.due_at
        const lateReason = input.lateReason?.trim() || null
        if (input.response === 'share' && !input.entries.length) throw new FieldRefusedError('Add at least one entry, or say that nothing is known', 'entries')
        // the answers are addressed to the requester (who always sees them); a restricted answer names both agencies
        const entryIds: string[] = []
        let record: { id: string; created: boolean } | null = null
        if (input.response === 'share') {
          record = await agencyRecordFor(trx, q, now)
          for (const e of input.entries) {
            entryIds.push(
              await writeEntry(trx, now, {
                childId: q.child_id,
                type: ANSWER_ENTRY,
                summary: e.summary,
                significance: e.significance,
                visibility: e.visibility,
                occurredAt: new Date(`${e.occurredOn}T12:00:00Z`),
                occurredTimeKnown: false,
                detailId: q.id,
                agencyRecordId: record?.id ?? null,
                restrictedAgencyIds: [...new Set([actor.agencyId, q.requester_agency_id])],
                addressedTo: q.requested_by,
              }),
            )
          }
        } else if (input.response === 'nothing_known') {
          const held = await trx.selectFrom('agency_record').select('id').where('partnership_id', '=', P).where('agency_id', '=', actor.agencyId).where('child_id', '=', q.child_id).orderBy('created_at').executeTakeFirst()
          entryIds.push(
            await writeEntry(trx, now, {
              childId: q.child_id,
              type: ANSWER_ENTRY,
              // the note (which systems were checked) stays on the request: free text is not for a team-wide entry
              summary: `${q.to_agency_name}: nothing known about the child.`,
              significance: 'low',
              visibility: 'team',
              occurredAt: now,
              detailId: q.id,
              agencyRecordId: held?.id ?? null,
              addressedTo: q.requested_by,
            }),
          )
        }
        // what moved, in words that say nothing the entries' own labels keep from others: the sharing decision's
        // chronology entry is seen more widely (a decision to share: the team; not to share: the agency)
        const what =
          input.response === 'share'
            ? `${q.to_agency_name}’s answer to a request for information from ${q.requester_agency_name}: ${input.entries.length} ${input.entries.length === 1 ? 'entry' : 'entries'} in the child’s chronology, each with its own visibility`
            : input.response === 'nothing_known'
              ? `That ${q.to_agency_name} holds no information about the child`
              : `What ${q.requester_agency_name} asked ${q.to_agency_name} in a request for information`
        const decision = await recordSharingDecision(
          trx,
          actor,
          now,
          {
            ...input.sharing,
            childId: q.child_id,
            shared: input.response !== 'decline',
            what,
            // the nothing-known entry may not be the answerer's to see in the chronology (their agency holds no record)
            entryIds: input.response === 'share' ? entryIds : [],
            withAgencyIds: [q.requester_agency_id],
            context: 'request_answer',
            contextId: q.id,
          },
          { audit: false },
        )
        const status: RequestStatus = input.response === 'decline' ? 'declined' : 'answered'
        const note = input.response === 'decline' ? input.sharing.reasons.trim() : input.response === 'nothing_known' ? input.note.trim() || null : null
        await trx
          .updateTable('information_request')
          .set({ status, responded_by: actor.membershipId, responded_at: now, nothing_known: input.response === 'nothing_known', response_note: note, agency_record_id: record?.id ?? null, sharing_decision_id: decision.id, row_version: q.row_version + 1 })
          .where('id', '=', q.id)
          .execute()
        // met, or met late with the reason (without it, refused on its field: nothing above is kept)
        await clocks.meet(trx, P, REQUEST_SUBJECT, q.id, now, lateReason, 'The request is overdue: record the reason the answer is late')
        const notice = { kind: status === 'declined' ? 'request.declined' : 'request.answered', childId: q.child_id, subjectType: REQUEST_SUBJECT, subjectId: q.id, link: `/information-requests/${q.id}` }
        let told = await notifyMemberships(trx, P, [q.requested_by], notice, now)
        // the requester has left: those who stand in for them (who can open the request and its answers); nobody at all:
        // the answer stays recorded, and the request says to everyone who sees it that it reached nobody
        if (!told.length) told = await notifyMemberships(trx, P, await requesterStandIns(trx, q, now), notice, now)
        return {
          result: { id: q.id, status, entryIds, agencyRecordId: record?.id ?? null, createdAgencyRecord: record?.created ?? false, sharingDecisionId: decision.id, late, reachedNobody: !told.length },
          audit: {
            action: 'request.answer',
            outcome: 'success' as const,
            entityType: 'information_request',
            entityId: q.id,
            childIds: [q.child_id],
            details: {
              response: input.response,
              entries: entryIds,
              agencyRecordId: record?.id ?? null,
              createdAgencyRecord: record?.created ?? false,
              late,
              told,
              sharingDecision: { id: decision.id, ...decision.auditRecord.details },
            },
          },
        }
      })
    },

    /**
     * The requester withdraws an open request, with the reason; the agency asked is told. Once the requester has left,
     * one of those who stand in for them may (actsForRequester); the request, its chronology entry and the audit row
     * say who withdrew it, and for whom.
     */
    async withdraw(requestId: string, reason: string) {
      return auditedTransaction(ctx, actor, 'request.withdraw', async (trx, now) => {
        const found = await requestAccess(trx, requestId, now, { forUpdate: true })
        if (!found || !(found.requester || found.actsForRequester)) return { result: null, audit: { action: 'request.withdraw', outcome: 'not_found' as const, entityType: 'information_request', entityId: isUuid(requestId) ? requestId : null } }
        const { q } = found
        if (q.status !== 'open') throw new RefusedError(`This request has already been ${q.status}: it cannot be withdrawn`)
        if (!reason.trim()) throw new FieldRefusedError('Say why the request is withdrawn', 'reason')
        const inPlace = !found.requester
        await trx.updateTable('information_request').set({ status: 'withdrawn', withdrawn_by: actor.membershipId, withdrawn_at: now, withdrawn_reason: reason.trim(), row_version: q.row_version + 1 }).where('id', '=', q.id).execute()
        await trx
          .updateTable('clock')
          .set({ state: 'stopped', met_at: now, reason: `Request withdrawn: ${reason.trim()}` })
          .where('partnership_id', '=', P)
          .where('subject_type', '=', REQUEST_SUBJECT)
          .where('subject_id', '=', q.id)
          .where('state', 'in', ['running', 'overdue'])
          .execute()
        // written by whoever withdrew it (its author), saying for whom when it was not the requester
        const summary = inPlace ? `Withdrew the request to ${q.to_agency_name} in place of ${q.requester_name}, who asked it and has left (the reason is on the request)` : `Withdrew the request to ${q.to_agency_name} (the reason is on the request)`
        await writeEntry(trx, now, { childId: q.child_id, type: ASKED_ENTRY, summary, significance: 'low', visibility: requesterVisibility(q.requester_role), occurredAt: now, detailId: q.id })
        const answerers = await membershipsWithRoles(trx, P, q.to_agency_id, answeringRoles(q.to_agency_kind), now)
        await notifyMemberships(trx, P, answerers.map((m) => m.id), { kind: 'request.withdrawn', childId: q.child_id, subjectType: REQUEST_SUBJECT, subjectId: q.id, link: `/information-requests/${q.id}` }, now)
        return {
          result: { id: q.id, inPlaceOfRequester: inPlace },
          audit: {
            action: 'request.withdraw',
            outcome: 'success' as const,
            entityType: 'information_request',
            entityId: q.id,
            childIds: [q.child_id],
            relationshipId: found.relationshipId,
            // the row's actor is who withdrew it; a stand-in's row names the requester they acted for
            details: inPlace ? { as: 'requester_stand_in', forRequester: q.requested_by } : { as: 'requester' },
          },
        }
      })
    },
  }
}

export type RequestsRepository = ReturnType<typeof requestsRepository>
