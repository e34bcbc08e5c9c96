// The child-protection route of a team around the child, on its statutory clocks (statutory-clocks.md):
// - a strategy discussion (police, health and children's social care all present) decides, per child, whether to
//   start a section 47 enquiry; an enquiry starts R5 (initial child protection conference within 15 working days
//   of the strategy discussion);
// - the enquiry's outcome: conference needed, continue as child in need, or no further action (R5 stops);
// - the initial child protection conference (ICPC) meets R5 (late: the reason is required) and decides, per child,
//   a child protection plan and its category; a plan starts R6 (first core group, 10 working days) and R7 (first
//   review conference, 3 months), and steps the team up to child protection;
// - core groups meet R6, then CG (every 6 weeks); review conferences meet R7, then R7R (every 6 months), and may
//   end the plan (and step the team down to child in need).
// Clock subjects: clockPort.meet meets every open clock of a subject, so each sequence has its own subject:
// 'cp_enquiry' (R5), 'cp_plan.core_group' (R6 then CG) and 'cp_plan.review' (R7 then R7R), the plan's id for both.
// And the manager's dashboard of the statutory clocks of the children they reach, with reasons when late.
import { randomUUID } from 'node:crypto'
import { sql, type Transaction } from 'kysely'
import { childInReach } from '../../data/access-sql.ts'
import type { Actor } from '../../data/actor.ts'
import type { ClockPort } from '../../data/clock-port.ts'
import { isUuid, lockChildren } from '../../data/repositories/children.ts'
import type { AgencyKind, CpCategory, DB, MeetingKind } from '../../data/schema.ts'
import { auditedTransaction, RefusedError, type Ctx } from '../../data/unit-of-work.ts'
import { londonDateTime } from '../../web/dates.ts'
import { formatDateTime } from '../../platform/http/render.ts'
import { RULES } from '../calendar/clocks.ts'
import { MEETING_KIND_LABELS, scheduleMeeting, type MeetingMode } from '../meetings/store.ts'
import { startVisitClock, VISIT_SUBJECT } from '../visits/visit-clock.ts'
import { casePractitioners, teamManagerOf, LEVEL_LABELS, memberIds, tacForChange, tacInReach, writeTacEntries, type TacAccess } from '../tac/access.ts'

export const SUBJECT = { enquiry: 'cp_enquiry', coreGroup: 'cp_plan.core_group', review: 'cp_plan.review' } as const

export const CATEGORY_LABELS: Record<CpCategory, string> = { neglect: 'Neglect', physical: 'Physical abuse', sexual: 'Sexual abuse', emotional: 'Emotional abuse', multiple: 'Multiple categories' }

export type S47Outcome = 'icpc' | 'no_icpc_cin' | 'no_further_action'
export const OUTCOME_LABELS: Record<S47Outcome, string> = {
  icpc: 'Concerns substantiated: an initial child protection conference is needed',
  no_icpc_cin: 'No conference: continue as a child in need',
  no_further_action: 'No further action',
}

/** The clocks on the manager's dashboard. */
export const DASHBOARD_RULES = ['R3', 'R5', 'R6', 'R7', 'R7R', 'CG', 'CPV', 'IR', 'IRU', 'R9'] as const
export type DashboardRule = (typeof DASHBOARD_RULES)[number]
/** How long a clock met late stays on the dashboard. */
export const RECENT_DAYS = 30

/** The agencies a strategy discussion needs (Working Together): at least one practitioner from each. */
export const STRATEGY_AGENCIES: { kind: AgencyKind; label: string }[] = [
  { kind: 'police', label: 'Police' },
  { kind: 'health', label: 'Health' },
  { kind: 'childrens_social_care', label: 'Children’s social care' },
]


export type CpMeetingKind = Extract<MeetingKind, 'icpc' | 'core_group' | 'review_conference'>
/** The entry a conference's recorded decisions write (one per child): its presence marks the decisions recorded. */
const DECIDED_ENTRY: Record<CpMeetingKind, string> = { icpc: 'cp_conference', core_group: 'core_group', review_conference: 'review_conference' }

export interface OtherParticipant {
  name: string
  agency: string
  role: string
}

export function cpRepository(ctx: Ctx, actor: Actor, clocks: ClockPort) {
  const notFound = (action: string, entityId?: string | null) => ({ result: null, audit: { action, outcome: 'not_found' as const, entityType: 'tac', entityId: entityId ?? null } })
  const open = ['running', 'overdue'] as const

  const managerOf = (trx: Transaction<DB>, now: Date) => teamManagerOf(trx, actor, now)

  /** Practitioners who may take part in a strategy discussion: police, health and children's social care. */
  const participantOptions = (trx: Transaction<DB>, now: Date, only?: readonly string[]) => casePractitioners(trx, actor.partnershipId, now, { agencyKinds: STRATEGY_AGENCIES.map((a) => a.kind), ...(only ? { ids: only } : {}) })

  async function childrenOf(trx: Transaction<DB>, tac: TacAccess) {
    if (!tac.childIds.length) return []
    return trx.selectFrom('child').select(['id', 'given_name', 'family_name', 'date_of_birth', 'child_protection_plan']).where('partnership_id', '=', actor.partnershipId).where('id', 'in', tac.childIds).orderBy('given_name').execute()
  }

  /** Enquiries whose conference is awaited: the outcome says a conference is needed and R5 is still open. */
  function awaitingConference(trx: Transaction<DB>, tacId: string) {
    return trx
      .selectFrom('cp_enquiry as e')
      .selectAll('e')
      .where('e.partnership_id', '=', actor.partnershipId)
      .where('e.tac_id', '=', tacId)
      .where('e.outcome', '=', 'icpc')
      .where((eb) => eb.exists(eb.selectFrom('clock as k').select('k.id').where('k.subject_type', '=', SUBJECT.enquiry).whereRef('k.subject_id', '=', 'e.id').where('k.rule', '=', 'R5').where('k.state', 'in', open)))
      .orderBy('e.created_at')
      .execute()
  }

  function activePlans(trx: Transaction<DB>, tacId: string) {
    return trx.selectFrom('cp_plan').selectAll().where('partnership_id', '=', actor.partnershipId).where('tac_id', '=', tacId).where('ended_at', 'is', null).orderBy('started_at').execute()
  }

  /**
   * A conference of this team whose decisions are still to be recorded, of the kind the form is for, locked. It may
   * already be marked held on the meeting page (attendance, minutes): the clocks and decisions are recorded here.
   * Its decisions are recorded once its entry of that type exists (entries are immutable).
   */
  async function undecided(trx: Transaction<DB>, tacId: string, meetingId: string, kind: CpMeetingKind) {
    if (!isUuid(meetingId)) return undefined
    const m = await trx.selectFrom('meeting').selectAll().where('partnership_id', '=', actor.partnershipId).where('tac_id', '=', tacId).where('id', '=', meetingId).where('kind', '=', kind).forUpdate().executeTakeFirst()
    if (!m) return undefined
    if (m.status === 'cancelled') throw new RefusedError(`This ${MEETING_KIND_LABELS[kind].toLowerCase()} was cancelled`)
    if (await isDecided(trx, meetingId, kind)) throw new RefusedError(`The decisions of this ${MEETING_KIND_LABELS[kind].toLowerCase()} have already been recorded`)
    return m
  }

  async function isDecided(trx: Transaction<DB>, meetingId: string, kind: CpMeetingKind) {
    const e = await trx.selectFrom('entry').select('id').where('partnership_id', '=', actor.partnershipId).where('detail_type', '=', 'meeting').where('detail_id', '=', meetingId).where('type', '=', DECIDED_ENTRY[kind]).limit(1).executeTakeFirst()
    return Boolean(e)
  }

  async function endClocksOf(trx: Transaction<DB>, subjectId: string, reason: string, at: Date) {
    await trx.updateTable('clock').set({ state: 'stopped', reason, met_at: at }).where('partnership_id', '=', actor.partnershipId).where('subject_id', '=', subjectId).where('state', 'in', open).execute()
  }

  function heldNotBefore(heldAt: Date, earliest: Date, what: string) {
    if (heldAt < earliest) throw new RefusedError(`The meeting cannot have been held before ${what}`)
  }

  const names = (children: { id: string; given_name: string; family_name: string }[]) => new Map(children.map((c) => [c.id, `${c.given_name} ${c.family_name}`]))

  async function markHeld(trx: Transaction<DB>, meetingId: string, heldAt: Date, lateReason: string | null, decision: string, now: Date) {
    await trx.updateTable('meeting').set({ status: 'held', held_at: heldAt, late_reason: lateReason, row_version: sql`row_version + 1` }).where('id', '=', meetingId).execute()
    await trx.insertInto('meeting_decision').values({ id: randomUUID(), partnership_id: actor.partnershipId, meeting_id: meetingId, body: decision, recorded_by: actor.membershipId, recorded_at: now }).execute()
  }

  /** Whether any clock of these subjects would be met late at `at` (so the meeting records the reason). */
  async function anyLate(trx: Transaction<DB>, subjectType: string, subjectIds: string[], at: Date) {
    if (!subjectIds.length) return false
    const r = await trx.selectFrom('clock').select('id').where('partnership_id', '=', actor.partnershipId).where('subject_type', '=', subjectType).where('subject_id', 'in', subjectIds).where('state', 'in', open).where('due_at', '<', at).executeTakeFirst()
    return Boolean(r)
  }

  return {
    /** The team's child-protection page: strategy discussions, enquiries, conferences, plans and their clocks. */
    async route(tacId: string) {
      return auditedTransaction(ctx, actor, 'cp.view', async (trx, now) => {
        const tac = await tacInReach(trx, actor, tacId, now)
        if (!tac) return notFound('cp.view', tacId)
        const children = await childrenOf(trx, tac)
        const meetings = await trx
          .selectFrom('meeting')
          .select(['id', 'kind', 'title', 'scheduled_at', 'mode', 'place', 'status', 'held_at', 'late_reason', 'chair_membership_id'])
          .where('partnership_id', '=', actor.partnershipId)
          .where('tac_id', '=', tacId)
          .where('kind', 'in', ['strategy_discussion', 'icpc', 'core_group', 'review_conference'])
          .orderBy('scheduled_at')
          .execute()
        const meetingIds = meetings.map((m) => m.id)
        const invitees = meetingIds.length ? await trx.selectFrom('meeting_invitee').select(['meeting_id', 'name', 'agency_label', 'role_label', 'attendance']).where('partnership_id', '=', actor.partnershipId).where('meeting_id', 'in', meetingIds).orderBy('agency_label').orderBy('name').execute() : []
        const decisions = meetingIds.length ? await trx.selectFrom('meeting_decision').select(['meeting_id', 'body']).where('partnership_id', '=', actor.partnershipId).where('meeting_id', 'in', meetingIds).orderBy('recorded_at').execute() : []
        const decidedRows = meetingIds.length ? await trx.selectFrom('entry').select(['detail_id', 'type']).distinct().where('partnership_id', '=', actor.partnershipId).where('detail_type', '=', 'meeting').where('detail_id', 'in', meetingIds).where('type', 'in', Object.values(DECIDED_ENTRY)).execute() : []
        const decided = new Set(decidedRows.map((d) => d.detail_id))
        const enquiries = await trx.selectFrom('cp_enquiry').selectAll().where('partnership_id', '=', actor.partnershipId).where('tac_id', '=', tacId).orderBy('strategy_held_at').execute()
        const plans = await trx.selectFrom('cp_plan').selectAll().where('partnership_id', '=', actor.partnershipId).where('tac_id', '=', tacId).orderBy('started_at').execute()
        const subjectIds = [...enquiries.map((e) => e.id), ...plans.map((p) => p.id)]
        const clockRows = subjectIds.length
          ? await trx.selectFrom('clock').select(['id', 'rule', 'subject_type', 'subject_id', 'started_at', 'due_at', 'state', 'met_at', 'reason']).where('partnership_id', '=', actor.partnershipId).where('subject_id', 'in', subjectIds).orderBy('created_at').execute()
          : []
        const clocksOf = (subjectType: string, subjectId: string) => clockRows.filter((c) => c.subject_type === subjectType && c.subject_id === subjectId).map((c) => ({ ...c, label: RULES[c.rule]?.label ?? c.rule, overdue: (c.state === 'running' || c.state === 'overdue') && c.due_at < now }))
        const childName = names(children)
        const awaiting = await awaitingConference(trx, tacId)
        const active = plans.filter((p) => !p.ended_at)
        const canRecord = tac.isMember && tac.status === 'open'
        return {
          result: {
            tac,
            levelLabel: LEVEL_LABELS[tac.level],
            children,
            canRecord,
            participants: canRecord ? await participantOptions(trx, now) : [],
            strategyDiscussions: meetings
              .filter((m) => m.kind === 'strategy_discussion')
              .map((m) => ({
                ...m,
                participants: invitees.filter((i) => i.meeting_id === m.id),
                enquiries: enquiries.filter((e) => e.strategy_meeting_id === m.id).map((e) => ({ ...e, childName: childName.get(e.child_id) ?? '', outcomeLabel: e.outcome ? OUTCOME_LABELS[e.outcome] : null, clocks: clocksOf(SUBJECT.enquiry, e.id) })),
              })),
            conferences: meetings
              .filter((m) => m.kind !== 'strategy_discussion')
              .map((m) => ({ ...m, kindLabel: MEETING_KIND_LABELS[m.kind], decided: decided.has(m.id), heldLocal: m.held_at ? londonDateTime(m.held_at) : null, attendees: invitees.filter((i) => i.meeting_id === m.id), decisions: decisions.filter((d) => d.meeting_id === m.id).map((d) => d.body) })),
            awaiting: awaiting.map((e) => ({ ...e, childName: childName.get(e.child_id) ?? '' })),
            plans: plans.map((p) => ({ ...p, childName: childName.get(p.child_id) ?? '', categoryLabel: CATEGORY_LABELS[p.category], coreGroupClocks: clocksOf(SUBJECT.coreGroup, p.id), reviewClocks: clocksOf(SUBJECT.review, p.id) })),
            activePlans: active.map((p) => ({ ...p, childName: childName.get(p.child_id) ?? '' })),
          },
          audit: { action: 'cp.view', outcome: 'success', entityType: 'tac', entityId: tacId, childIds: tac.childIds, relationshipId: tac.relationshipId },
        }
      })
    },

    /** A strategy discussion held: who took part, and per child whether a section 47 enquiry starts (R5). */
    async strategyDiscussion(tacId: string, input: { heldAt: Date; mode: MeetingMode; participantIds: string[]; others: OtherParticipant[]; decisions: { childId: string; startS47: boolean; reason: string }[] }) {
      return auditedTransaction(ctx, actor, 'cp.strategy', async (trx, now) => {
        const tac = await tacForChange(trx, actor, tacId, now)
        if (!tac) return notFound('cp.strategy', tacId)
        if (input.heldAt > now) throw new RefusedError('The strategy discussion cannot be in the future: record it once it has been held')
        // a meeting is held no earlier than its team began (ADR 0009): a mistyped year would start R5 long overdue
        if (input.heldAt < tac.startedAt) throw new RefusedError(`The strategy discussion cannot have been held before the team around the child began, on ${formatDateTime(tac.startedAt)}`)
        const decided = new Set(input.decisions.map((d) => d.childId))
        if (decided.size !== input.decisions.length || tac.childIds.some((c) => !decided.has(c)) || input.decisions.some((d) => !tac.childIds.includes(d.childId))) throw new RefusedError('Record the decision for each child of the team')
        const people = await participantOptions(trx, now, [...new Set(input.participantIds)])
        if (people.length !== new Set(input.participantIds).size) throw new RefusedError('Choose the participants from the list')
        const missing = STRATEGY_AGENCIES.filter((a) => !people.some((p) => p.agencyKind === a.kind))
        if (missing.length) throw new RefusedError(`A strategy discussion needs police, health and children’s social care: no one from ${missing.map((m) => m.label.toLowerCase()).join(' or ')} took part`)
        const id = randomUUID()
        await trx
          .insertInto('meeting')
          .values({ id, partnership_id: actor.partnershipId, tac_id: tacId, kind: 'strategy_discussion', title: 'Strategy discussion', scheduled_at: input.heldAt, mode: input.mode, chair_membership_id: actor.membershipId, status: 'held', held_at: input.heldAt, created_by: actor.membershipId, created_at: now })
          .execute()
        await trx
          .insertInto('meeting_invitee')
          .values([
            ...people.map((p) => ({ id: randomUUID(), partnership_id: actor.partnershipId, meeting_id: id, membership_id: p.membershipId, name: p.name, agency_label: p.agency, role_label: p.roleLabel, attendance: 'present' as const })),
            ...input.others.map((o) => ({ id: randomUUID(), partnership_id: actor.partnershipId, meeting_id: id, membership_id: null, name: o.name, agency_label: o.agency, role_label: o.role, attendance: 'present' as const })),
          ])
          .execute()
        const escalateTo = await managerOf(trx, now)
        let started = 0
        for (const d of input.decisions) {
          const enquiryId = randomUUID()
          await trx.insertInto('cp_enquiry').values({ id: enquiryId, partnership_id: actor.partnershipId, tac_id: tacId, child_id: d.childId, strategy_meeting_id: id, strategy_held_at: input.heldAt, start_s47: d.startS47, decision_reason: d.reason, recorded_by: actor.membershipId, created_at: now }).execute()
          if (d.startS47) {
            started++
            await clocks.start(trx, { partnershipId: actor.partnershipId, rule: 'R5', childId: d.childId, subjectType: SUBJECT.enquiry, subjectId: enquiryId, startedAt: input.heldAt, escalateToMembershipId: escalateTo })
          }
          await writeTacEntries(trx, actor, now, [d.childId], {
            type: 'strategy_discussion',
            category: 'child_protection',
            summary: `Strategy discussion (${[...new Set(people.map((p) => p.agency))].join(', ')}${input.others.length ? ` and ${input.others.length} other${input.others.length > 1 ? 's' : ''}` : ''}): ${d.startS47 ? 'a section 47 enquiry starts' : 'no section 47 enquiry'}. ${d.reason}`,
            significance: 'high',
            occurredAt: input.heldAt,
            detailType: 'cp_enquiry',
            detailId: enquiryId,
          })
        }
        return { result: { id, started }, audit: { action: 'cp.strategy', outcome: 'success', entityType: 'meeting', entityId: id, childIds: tac.childIds, details: { s47: started, participants: people.length + input.others.length } } }
      })
    },

    /** The outcome of a section 47 enquiry; without a conference, R5 stops. */
    async s47Outcome(tacId: string, enquiryId: string, input: { outcome: S47Outcome; reason: string }) {
      return auditedTransaction(ctx, actor, 'cp.s47_outcome', async (trx, now) => {
        const tac = await tacForChange(trx, actor, tacId, now)
        if (!tac || !isUuid(enquiryId)) return notFound('cp.s47_outcome', enquiryId)
        const e = await trx.selectFrom('cp_enquiry').selectAll().where('partnership_id', '=', actor.partnershipId).where('tac_id', '=', tacId).where('id', '=', enquiryId).forUpdate().executeTakeFirst()
        if (!e) return notFound('cp.s47_outcome', enquiryId)
        if (!e.start_s47) throw new RefusedError('The strategy discussion decided not to start a section 47 enquiry for this child')
        if (e.outcome) throw new RefusedError('The outcome of this enquiry has already been recorded')
        await trx.updateTable('cp_enquiry').set({ outcome: input.outcome, outcome_reason: input.reason, outcome_at: now }).where('id', '=', enquiryId).execute()
        if (input.outcome !== 'icpc') await endClocksOf(trx, enquiryId, `Section 47 outcome: ${OUTCOME_LABELS[input.outcome]}`, now)
        await writeTacEntries(trx, actor, now, [e.child_id], {
          type: 's47_outcome',
          category: 'child_protection',
          summary: `Section 47 enquiry outcome — ${OUTCOME_LABELS[input.outcome]}. ${input.reason}`,
          significance: 'high',
          occurredAt: now,
          detailType: 'cp_enquiry',
          detailId: enquiryId,
        })
        return { result: { ok: true }, audit: { action: 'cp.s47_outcome', outcome: 'success', entityType: 'cp_enquiry', entityId: enquiryId, childIds: [e.child_id], details: { outcome: input.outcome } } }
      })
    },

    /** Arranges a conference or core group (a meeting like any other: the members are invited). */
    async schedule(tacId: string, input: { kind: CpMeetingKind; scheduledAt: Date; mode: MeetingMode; place: string }) {
      return auditedTransaction(ctx, actor, 'cp.schedule', async (trx, now) => {
        const tac = await tacForChange(trx, actor, tacId, now)
        if (!tac) return notFound('cp.schedule', tacId)
        if (input.kind === 'icpc' && !(await awaitingConference(trx, tacId)).length) throw new RefusedError('An initial child protection conference follows a section 47 enquiry whose outcome is that a conference is needed: record that outcome first')
        if (input.kind !== 'icpc' && !(await activePlans(trx, tacId)).length) throw new RefusedError(`A ${MEETING_KIND_LABELS[input.kind].toLowerCase()} needs a child protection plan in place`)
        const invite = (await memberIds(trx, actor.partnershipId, tacId)).filter((m) => m !== actor.membershipId)
        const id = await scheduleMeeting(trx, actor, now, tac, { kind: input.kind, title: MEETING_KIND_LABELS[input.kind], scheduledAt: input.scheduledAt, mode: input.mode, place: input.place, agenda: '', chairMembershipId: actor.membershipId, inviteMembershipIds: invite, others: [] })
        return { result: { id }, audit: { action: 'cp.schedule', outcome: 'success', entityType: 'meeting', entityId: id, childIds: tac.childIds, details: { kind: input.kind } } }
      })
    },

    /**
     * The initial child protection conference held: meets R5 for each enquiry awaiting it (late → the reason is
     * required), and decides per child a plan with its category (R6 and R7 start; the team steps up).
     */
    async holdIcpc(tacId: string, meetingId: string, input: { heldAt: Date; reason: string; lateReason: string | null; decisions: { childId: string; plan: boolean; category: CpCategory | null }[] }) {
      return auditedTransaction(ctx, actor, 'cp.icpc', async (trx, now) => {
        const tac = await tacForChange(trx, actor, tacId, now)
        if (!tac) return notFound('cp.icpc', meetingId)
        const m = await undecided(trx, tacId, meetingId, 'icpc')
        if (!m) return notFound('cp.icpc', meetingId)
        if (input.heldAt > now) throw new RefusedError('The conference cannot be recorded as held in the future')
        const awaiting = await awaitingConference(trx, tacId)
        if (!awaiting.length) throw new RefusedError('No section 47 enquiry of this team is waiting for a conference')
        const byChild = new Map(input.decisions.map((d) => [d.childId, d]))
        if (awaiting.some((e) => !byChild.has(e.child_id)) || input.decisions.some((d) => !awaiting.some((e) => e.child_id === d.childId))) throw new RefusedError('Record the conference’s decision for each child whose enquiry led to it')
        for (const e of awaiting) heldNotBefore(input.heldAt, e.strategy_held_at, 'the strategy discussion')
        const late = await anyLate(trx, SUBJECT.enquiry, awaiting.map((e) => e.id), input.heldAt)
        // the children's rows are updated below (a plan starts): taken first, in id order, as every other such lock is
        await lockChildren(trx, actor.partnershipId, awaiting.map((e) => e.child_id))
        // R5: the conference within 15 working days of the strategy discussion (a late one needs the reason)
        for (const e of awaiting) await clocks.meet(trx, actor.partnershipId, SUBJECT.enquiry, e.id, input.heldAt, input.lateReason)
        const children = names(await childrenOf(trx, tac))
        const escalateTo = await managerOf(trx, now)
        const planned: string[] = []
        for (const e of awaiting) {
          const d = byChild.get(e.child_id)!
          await writeTacEntries(trx, actor, now, [e.child_id], {
            type: 'cp_conference',
            category: 'child_protection',
            summary: `Initial child protection conference${late ? ' (held outside 15 working days)' : ''}: ${d.plan ? `a child protection plan (${CATEGORY_LABELS[d.category!].toLowerCase()})` : 'no child protection plan'}. ${input.reason}`,
            significance: 'critical',
            occurredAt: input.heldAt,
            detailType: 'meeting',
            detailId: meetingId,
          })
          if (!d.plan) continue
          // one plan per child, whichever team's conference made it (a child may be in the panel's team as well)
          const existing = await trx.selectFrom('cp_plan').select('id').where('partnership_id', '=', actor.partnershipId).where('child_id', '=', e.child_id).where('ended_at', 'is', null).executeTakeFirst()
          if (existing) throw new RefusedError(`${children.get(e.child_id) ?? 'This child'} already has a child protection plan: a review conference decides whether it continues`)
          const planId = randomUUID()
          await trx.insertInto('cp_plan').values({ id: planId, partnership_id: actor.partnershipId, tac_id: tacId, child_id: e.child_id, enquiry_id: e.id, icpc_meeting_id: meetingId, category: d.category!, started_at: input.heldAt, created_at: now }).execute()
          await trx.updateTable('child').set({ child_protection_plan: true }).where('id', '=', e.child_id).where('partnership_id', '=', actor.partnershipId).execute()
          await clocks.start(trx, { partnershipId: actor.partnershipId, rule: 'R6', childId: e.child_id, subjectType: SUBJECT.coreGroup, subjectId: planId, startedAt: input.heldAt, escalateToMembershipId: escalateTo })
          await clocks.start(trx, { partnershipId: actor.partnershipId, rule: 'R7', childId: e.child_id, subjectType: SUBJECT.review, subjectId: planId, startedAt: input.heldAt, escalateToMembershipId: escalateTo })
          // statutory visits: the first is due the partnership's number of working days after the conference
          await startVisitClock(trx, actor, planId, e.child_id, input.heldAt, clocks)
          await writeTacEntries(trx, actor, now, [e.child_id], {
            type: 'cp_plan',
            category: 'child_protection',
            summary: `Child protection plan started: ${CATEGORY_LABELS[d.category!].toLowerCase()}.`,
            significance: 'critical',
            occurredAt: input.heldAt,
            detailType: 'cp_plan',
            detailId: planId,
          })
          planned.push(e.child_id)
        }
        await markHeld(trx, meetingId, input.heldAt, late ? input.lateReason : null, input.reason, now)
        let steppedUp = false
        if (planned.length && tac.level !== 'child_protection') {
          await trx.updateTable('tac').set({ level: 'child_protection', row_version: sql`row_version + 1` }).where('id', '=', tacId).execute()
          await trx.insertInto('level_change').values({ id: randomUUID(), partnership_id: actor.partnershipId, tac_id: tacId, from_level: tac.level, to_level: 'child_protection', kind: 'step_up', reason: input.reason, decided_by: actor.membershipId, decided_at: now }).execute()
          await writeTacEntries(trx, actor, now, tac.childIds, { type: 'level_change', summary: `Stepped up from ${LEVEL_LABELS[tac.level].toLowerCase()} to child protection by the initial child protection conference.`, significance: 'high', occurredAt: input.heldAt, detailType: 'tac', detailId: tacId })
          steppedUp = true
        }
        return { result: { plans: planned.length, late, steppedUp }, audit: { action: 'cp.icpc', outcome: 'success', entityType: 'meeting', entityId: meetingId, childIds: tac.childIds, details: { plans: planned.length, late, steppedUp } } }
      })
    },

    /** A core group held: meets R6 (the first) or CG, and starts CG for the next (every 6 weeks). */
    async holdCoreGroup(tacId: string, meetingId: string, input: { heldAt: Date; summary: string; lateReason: string | null }) {
      return auditedTransaction(ctx, actor, 'cp.core_group', async (trx, now) => {
        const tac = await tacForChange(trx, actor, tacId, now)
        if (!tac) return notFound('cp.core_group', meetingId)
        const m = await undecided(trx, tacId, meetingId, 'core_group')
        if (!m) return notFound('cp.core_group', meetingId)
        if (input.heldAt > now) throw new RefusedError('The core group cannot be recorded as held in the future')
        const plans = await activePlans(trx, tacId)
        if (!plans.length) throw new RefusedError('A core group needs a child protection plan in place')
        for (const p of plans) heldNotBefore(input.heldAt, p.started_at, 'the conference that made the plan')
        // nor before the last core group, from which the next one's timescale runs (recorded out of order, it would meet
        // that clock before it started and restart it from an earlier date)
        for (const p of plans) heldNotBefore(input.heldAt, (await clocks.runningSince(trx, actor.partnershipId, SUBJECT.coreGroup, p.id)) ?? p.started_at, 'the last core group meeting')
        const late = await anyLate(trx, SUBJECT.coreGroup, plans.map((p) => p.id), input.heldAt)
        const escalateTo = await managerOf(trx, now)
        for (const p of plans) {
          await clocks.meet(trx, actor.partnershipId, SUBJECT.coreGroup, p.id, input.heldAt, input.lateReason)
          await clocks.start(trx, { partnershipId: actor.partnershipId, rule: 'CG', childId: p.child_id, subjectType: SUBJECT.coreGroup, subjectId: p.id, startedAt: input.heldAt, escalateToMembershipId: escalateTo })
        }
        await markHeld(trx, meetingId, input.heldAt, late ? input.lateReason : null, input.summary, now)
        const childIds = plans.map((p) => p.child_id)
        await writeTacEntries(trx, actor, now, childIds, { type: 'core_group', category: 'child_protection', summary: `Core group meeting${late ? ' (late)' : ''}: ${input.summary}`, significance: 'medium', occurredAt: input.heldAt, detailType: 'meeting', detailId: meetingId })
        return { result: { late }, audit: { action: 'cp.core_group', outcome: 'success', entityType: 'meeting', entityId: meetingId, childIds: tac.childIds, details: { plans: plans.length, late } } }
      })
    },

    /**
     * A review conference held: meets R7 (the first) or R7R; per child the plan continues (R7R: the next review
     * within 6 months) or ends (its clocks stop); when every plan has ended the team may step down to child in need.
     */
    async holdReviewConference(tacId: string, meetingId: string, input: { heldAt: Date; reason: string; lateReason: string | null; decisions: { childId: string; continuePlan: boolean }[]; stepDown: boolean }) {
      return auditedTransaction(ctx, actor, 'cp.review_conference', async (trx, now) => {
        const tac = await tacForChange(trx, actor, tacId, now)
        if (!tac) return notFound('cp.review_conference', meetingId)
        const m = await undecided(trx, tacId, meetingId, 'review_conference')
        if (!m) return notFound('cp.review_conference', meetingId)
        if (input.heldAt > now) throw new RefusedError('The review conference cannot be recorded as held in the future')
        const plans = await activePlans(trx, tacId)
        if (!plans.length) throw new RefusedError('A review conference needs a child protection plan in place')
        const byChild = new Map(input.decisions.map((d) => [d.childId, d]))
        if (plans.some((p) => !byChild.has(p.child_id)) || input.decisions.some((d) => !plans.some((p) => p.child_id === d.childId))) throw new RefusedError('Record the conference’s decision for each child with a plan')
        for (const p of plans) heldNotBefore(input.heldAt, p.started_at, 'the conference that made the plan')
        for (const p of plans) heldNotBefore(input.heldAt, (await clocks.runningSince(trx, actor.partnershipId, SUBJECT.review, p.id)) ?? p.started_at, 'the last review conference')
        const ending = plans.filter((p) => !byChild.get(p.child_id)!.continuePlan)
        if (input.stepDown && ending.length !== plans.length) throw new RefusedError('The team can step down only when every child’s plan ends')
        const late = await anyLate(trx, SUBJECT.review, plans.map((p) => p.id), input.heldAt)
        // the children's rows may be updated below (a plan ends): taken first, in id order, as every other such lock is
        await lockChildren(trx, actor.partnershipId, plans.map((p) => p.child_id))
        const escalateTo = await managerOf(trx, now)
        for (const p of plans) {
          await clocks.meet(trx, actor.partnershipId, SUBJECT.review, p.id, input.heldAt, input.lateReason)
          const carryOn = byChild.get(p.child_id)!.continuePlan
          await writeTacEntries(trx, actor, now, [p.child_id], {
            type: 'review_conference',
            category: 'child_protection',
            summary: `Review child protection conference${late ? ' (late)' : ''}: ${carryOn ? 'the plan continues' : 'the plan ends'}. ${input.reason}`,
            significance: 'high',
            occurredAt: input.heldAt,
            detailType: 'meeting',
            detailId: meetingId,
          })
          if (carryOn) {
            await clocks.start(trx, { partnershipId: actor.partnershipId, rule: 'R7R', childId: p.child_id, subjectType: SUBJECT.review, subjectId: p.id, startedAt: input.heldAt, escalateToMembershipId: escalateTo })
            continue
          }
          await trx.updateTable('cp_plan').set({ ended_at: input.heldAt, end_reason: input.reason }).where('id', '=', p.id).execute()
          await endClocksOf(trx, p.id, 'The child protection plan ended', input.heldAt)
          const other = await trx.selectFrom('cp_plan').select('id').where('partnership_id', '=', actor.partnershipId).where('child_id', '=', p.child_id).where('ended_at', 'is', null).where('id', '!=', p.id).executeTakeFirst()
          if (!other) await trx.updateTable('child').set({ child_protection_plan: false }).where('id', '=', p.child_id).where('partnership_id', '=', actor.partnershipId).execute()
          await writeTacEntries(trx, actor, now, [p.child_id], { type: 'cp_plan', category: 'child_protection', summary: `Child protection plan ended (${CATEGORY_LABELS[p.category].toLowerCase()}): ${input.reason}`, significance: 'high', occurredAt: input.heldAt, detailType: 'cp_plan', detailId: p.id })
        }
        await markHeld(trx, meetingId, input.heldAt, late ? input.lateReason : null, input.reason, now)
        let steppedDown = false
        if (input.stepDown && tac.level === 'child_protection') {
          await trx.updateTable('tac').set({ level: 'child_in_need', row_version: sql`row_version + 1` }).where('id', '=', tacId).execute()
          await trx.insertInto('level_change').values({ id: randomUUID(), partnership_id: actor.partnershipId, tac_id: tacId, from_level: 'child_protection', to_level: 'child_in_need', kind: 'step_down', reason: input.reason, decided_by: actor.membershipId, decided_at: now }).execute()
          await writeTacEntries(trx, actor, now, tac.childIds, { type: 'level_change', summary: `Stepped down from child protection to child in need by the review conference: ${input.reason}`, significance: 'medium', occurredAt: input.heldAt, detailType: 'tac', detailId: tacId })
          steppedDown = true
        }
        return { result: { late, ended: ending.length, steppedDown }, audit: { action: 'cp.review_conference', outcome: 'success', entityType: 'meeting', entityId: meetingId, childIds: tac.childIds, details: { late, ended: ending.length, steppedDown } } }
      })
    },

    /** The manager's dashboard: running, overdue and recently met-late clocks of the children they reach. */
    async dashboard(filter: { rule: DashboardRule | null }) {
      return auditedTransaction(ctx, actor, 'clocks.list', async (trx, now) => {
        const since = new Date(now.getTime() - RECENT_DAYS * 86_400_000)
        const rows = await trx
          .selectFrom('clock as k')
          .innerJoin('child as c', 'c.id', 'k.child_id')
          .leftJoin('cp_enquiry as e', (j) => j.onRef('e.id', '=', 'k.subject_id').on('k.subject_type', '=', SUBJECT.enquiry))
          .leftJoin('cp_plan as p', (j) => j.onRef('p.id', '=', 'k.subject_id').on('k.subject_type', 'in', [SUBJECT.coreGroup, SUBJECT.review, VISIT_SUBJECT]))
          .select(['k.id', 'k.rule', 'k.child_id', 'k.subject_type', 'k.started_at', 'k.due_at', 'k.state', 'k.met_at', 'k.reason', 'c.given_name', 'c.family_name', 'e.tac_id as enquiry_tac_id', 'p.tac_id as plan_tac_id'])
          .where('k.partnership_id', '=', actor.partnershipId)
          .where('k.rule', 'in', filter.rule ? [filter.rule] : [...DASHBOARD_RULES])
          .where((eb) => eb.or([eb('k.state', 'in', open), eb.and([eb('k.state', '=', 'met_late'), eb('k.met_at', '>=', since)])]))
          .where(childInReach(actor, now) as never)
          .orderBy('k.due_at')
          .orderBy('k.id')
          .execute()
        const clocksShown = rows.map((r) => {
          const state = r.state === 'running' && r.due_at < now ? ('overdue' as const) : r.state
          const tacId = r.enquiry_tac_id ?? r.plan_tac_id
          return { id: r.id, rule: r.rule, label: RULES[r.rule]?.label ?? r.rule, childId: r.child_id!, childName: `${r.given_name} ${r.family_name}`, startedAt: r.started_at, dueAt: r.due_at, state, metAt: r.met_at, reason: r.reason, link: tacId ? `/teams/${tacId}/cp` : `/children/${r.child_id}` }
        })
        const childIds = [...new Set(clocksShown.map((c) => c.childId))]
        return { result: { clocks: clocksShown, overdueCount: clocksShown.filter((c) => c.state === 'overdue').length, now }, audit: { action: 'clocks.list', outcome: 'success', entityType: 'clock', childIds, details: { rule: filter.rule, count: clocksShown.length } } }
      })
    },

    /** The manager records why an overdue clock is late; it stays overdue until met. */
    async lateReason(clockId: string, reason: string) {
      return auditedTransaction(ctx, actor, 'clock.reason', async (trx, now) => {
        if (!isUuid(clockId)) return { result: null, audit: { action: 'clock.reason', outcome: 'not_found' as const, entityType: 'clock', entityId: clockId } }
        const k = await trx
          .selectFrom('clock as k')
          .innerJoin('child as c', 'c.id', 'k.child_id')
          .select(['k.id', 'k.rule', 'k.child_id', 'k.state', 'k.due_at'])
          .where('k.partnership_id', '=', actor.partnershipId)
          .where('k.id', '=', clockId)
          .where('k.rule', 'in', [...DASHBOARD_RULES])
          .where(childInReach(actor, now) as never)
          // the clock's row only, not the joined child's (which would hold up every entry written about the child)
          .forUpdate('k')
          .executeTakeFirst()
        if (!k) return { result: null, audit: { action: 'clock.reason', outcome: 'not_found' as const, entityType: 'clock', entityId: clockId } }
        if (!(open as readonly string[]).includes(k.state) || k.due_at >= now) throw new RefusedError('Only an overdue clock needs a reason recorded here')
        await trx.updateTable('clock').set({ state: 'overdue', reason }).where('id', '=', clockId).execute()
        return { result: { ok: true }, audit: { action: 'clock.reason', outcome: 'success', entityType: 'clock', entityId: clockId, childIds: [k.child_id!], details: { rule: k.rule } } }
      })
    },
  }
}
