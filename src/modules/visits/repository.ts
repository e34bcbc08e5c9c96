// Visits to a child and management oversight on the child's file (issue 5, scope 7 and 8):
// - statutory visits to a child on a child protection plan, each meeting the running visit clock (CPV) and starting
//   the next one (was the child seen, seen alone, their words — kept in their own field);
// - joint visits by two agencies: planned (who, when, purpose), then recorded (what was agreed, follow-ups) or
//   cancelled with a reason; optimistic concurrency on visit.row_version when two people record the same visit;
// - management oversight and supervision notes, with the manager's decisions.
// Every call is one audited transaction; a child out of reach is not found.
import { randomUUID } from 'node:crypto'
import { sql, type Transaction } from 'kysely'
import { REACH, ROLES, hasPermission, type Role } from '../../access/policy.ts'
import { entryVisible } from '../../data/access-sql.ts'
import type { Actor } from '../../data/actor.ts'
import type { ClockPort } from '../../data/clock-port.ts'
import { notifyMemberships } from '../../data/notify.ts'
import { childWithRelationship, isUuid } from '../../data/repositories/children.ts'
import type { DB } from '../../data/schema.ts'
import { auditedTransaction, RefusedError, type Ctx } from '../../data/unit-of-work.ts'
import { inOpenTeamOf, writeTacEntries } from '../tac/access.ts'
import { startVisitClock, VISIT_RULE, VISIT_SUBJECT, visitWorkingDays } from './visit-clock.ts'
import { currentMembershipsQuery } from '../../data/memberships.ts'

const CASE_ROLES: readonly Role[] = ROLES.filter((r) => REACH[r].identity)

export interface StatutoryVisitInput {
  visitedAt: Date
  childSeen: boolean
  seenAlone: boolean | null
  notSeenReason: string | null
  childWords: string
  observations: string
  lateReason: string | null
}

export interface JointPlanInput {
  plannedFor: Date
  withMembershipId: string
  purpose: string
}

export interface JointRecordInput {
  visitedAt: Date
  agreed: string
  followUps: string
  childSeen: boolean | null
  seenAlone: boolean | null
  notSeenReason: string | null
  childWords: string
}

export interface OversightInput {
  kind: 'oversight' | 'supervision'
  note: string
  decisions: string
}

/** A change to a planned joint visit: done, or refused because someone else changed it first (their version). */
export type JointChange = { conflict: true; current: Record<string, unknown> } | { conflict: false; id: string }

const OVERSIGHT_LABELS = { oversight: 'Management oversight', supervision: 'Supervision' } as const

function seenText(seen: boolean | null, alone: boolean | null, reason: string | null): string {
  if (seen === null) return 'whether the child was seen was not recorded'
  if (!seen) return `the child was NOT seen (${reason ?? 'no reason given'})`
  return alone ? 'the child was seen alone' : 'the child was seen, not alone'
}

export function visitsRepository(ctx: Ctx, actor: Actor, clocks: ClockPort) {
  /**
   * The child, if in reach, with what the actor's relationships amount to: `caseReach` when the role sees the
   * team's entries, the actor holds break-glass, or they are a joined member of one of the child's teams (a
   * classroom teacher reaching a pupil sees only the visits they took part in).
   */
  async function childAccess(trx: Transaction<DB>, childId: string, now: Date) {
    const found = await childWithRelationship(trx, actor, childId, now)
    return found && { ...found, caseReach: found.teamReach || (await inOpenTeamOf(trx, actor, childId)) }
  }

  /** The child's current child protection plan (not ended), locked when about to be visited. */
  async function activePlan(trx: Transaction<DB>, childId: string, forUpdate = false) {
    let q = trx.selectFrom('cp_plan').selectAll().where('partnership_id', '=', actor.partnershipId).where('child_id', '=', childId).where('ended_at', 'is', null).orderBy('started_at', 'desc').limit(1)
    if (forUpdate) q = q.forUpdate()
    return q.executeTakeFirst()
  }

  /** The latest visit clock of a plan: the next statutory visit due, and its state. */
  async function visitClock(trx: Transaction<DB>, planId: string) {
    return trx
      .selectFrom('clock')
      .select(['id', 'due_at', 'state', 'met_at', 'reason', 'started_at'])
      .where('partnership_id', '=', actor.partnershipId)
      .where('subject_type', '=', VISIT_SUBJECT)
      .where('subject_id', '=', planId)
      .where('rule', '=', VISIT_RULE)
      .orderBy('created_at', 'desc')
      .limit(1)
      .executeTakeFirst()
  }

  /** An open team of the child for a visit or note (the actor's own team first). */
  async function teamOf(trx: Transaction<DB>, childId: string) {
    const t = await trx
      .selectFrom('tac_child as tc')
      .innerJoin('tac as t', 't.id', 'tc.tac_id')
      .select('t.id')
      .where('tc.partnership_id', '=', actor.partnershipId)
      .where('tc.child_id', '=', childId)
      .where('t.status', '=', 'open')
      .orderBy(sql`exists (select 1 from tac_member m where m.tac_id = t.id and m.membership_id = ${actor.membershipId} and m.status = 'joined')`, 'desc')
      .orderBy('t.started_at', 'desc')
      .executeTakeFirst()
    return t?.id ?? null
  }

  /** Practitioners of other agencies who can make a joint visit (a current membership in a case role). */
  function otherAgencyPractitioners(trx: Transaction<DB>, now: Date) {
    return currentMembershipsQuery(trx, actor.partnershipId, now)
      .innerJoin('agency as a', 'a.id', 'm.agency_id')
      .select(['m.id', 'm.role', 'p.given_name', 'p.family_name', 'a.name as agency_name'])
      .where('m.agency_id', '!=', actor.agencyId)
      .where('m.role', 'in', CASE_ROLES)
  }

  /** A visit of this child (the URL names both), with the child in reach; locked for the change. */
  async function visitForChange(trx: Transaction<DB>, childId: string, visitId: string, now: Date) {
    if (!isUuid(visitId)) return undefined
    const access = await childAccess(trx, childId, now)
    if (!access) return undefined
    const v = await trx.selectFrom('visit').selectAll().where('partnership_id', '=', actor.partnershipId).where('id', '=', visitId).where('child_id', '=', childId).forUpdate().executeTakeFirst()
    if (!v) return undefined
    // a practitioner who cannot see the child's visits cannot find this one either, unless they are one of its two
    if (!access.caseReach && v.by_membership_id !== actor.membershipId && v.with_membership_id !== actor.membershipId) return undefined
    return { v, access }
  }

  function visitsWithNames(trx: Transaction<DB>) {
    return trx
      .selectFrom('visit as v')
      .innerJoin('membership as bm', 'bm.id', 'v.by_membership_id')
      .innerJoin('practitioner as bp', 'bp.id', 'bm.practitioner_id')
      .innerJoin('agency as ba', 'ba.id', 'bm.agency_id')
      .leftJoin('membership as wm', 'wm.id', 'v.with_membership_id')
      .leftJoin('practitioner as wp', 'wp.id', 'wm.practitioner_id')
      .leftJoin('agency as wa', 'wa.id', 'wm.agency_id')
      .leftJoin('membership as rm', 'rm.id', 'v.recorded_by')
      .leftJoin('practitioner as rp', 'rp.id', 'rm.practitioner_id')
      .selectAll('v')
      .select([
        sql<string>`bp.given_name || ' ' || bp.family_name`.as('by_name'),
        'bm.role as by_role',
        'ba.name as by_agency',
        sql<string | null>`wp.given_name || ' ' || wp.family_name`.as('with_name'),
        'wm.role as with_role',
        'wa.name as with_agency',
        sql<string | null>`rp.given_name || ' ' || rp.family_name`.as('recorded_by_name'),
      ])
  }

  return {
    /** The child's visits (newest first), the next statutory visit due, and who can be asked on a joint visit. */
    async forChild(childId: string) {
      return auditedTransaction(ctx, actor, 'visit.list', async (trx, now) => {
        const access = await childAccess(trx, childId, now)
        if (!access) return { result: null, audit: { action: 'visit.list', outcome: 'not_found' as const, entityId: childId } }
        let q = visitsWithNames(trx).where('v.partnership_id', '=', actor.partnershipId).where('v.child_id', '=', childId)
        if (!access.caseReach) q = q.where((eb) => eb.or([eb('v.by_membership_id', '=', actor.membershipId), eb('v.with_membership_id', '=', actor.membershipId)]))
        const visits = await q.orderBy(sql`coalesce(v.visited_at, v.planned_for)`, 'desc').orderBy('v.created_at', 'desc').execute()
        const plan = access.caseReach ? await activePlan(trx, childId) : undefined
        const clock = plan ? await visitClock(trx, plan.id) : undefined
        const frequency = plan ? await visitWorkingDays(trx, actor.partnershipId) : null
        const open = clock && (clock.state === 'running' || clock.state === 'overdue')
        const due = clock && open ? { dueAt: clock.due_at, overdue: clock.state === 'overdue' || now > clock.due_at } : null
        const canPlanJoint = access.caseReach && hasPermission(actor.role, 'tac:work')
        const practitioners = canPlanJoint ? await otherAgencyPractitioners(trx, now).orderBy('a.name').orderBy('p.family_name').orderBy('p.given_name').execute() : []
        return {
          result: { child: access.child, caseReach: access.caseReach, visits, plan: plan ?? null, due, frequency, practitioners, canPlanJoint },
          audit: { action: 'visit.list', outcome: 'success', entityType: 'child', entityId: childId, childIds: [childId], relationshipId: access.relationshipId, details: { visits: visits.length } },
        }
      })
    },

    /**
     * A statutory visit (a child on a CP plan; otherwise recorded as another visit): meets the running visit clock
     * — late needs the reason — and starts the next one from the visit.
     */
    async recordStatutory(childId: string, input: StatutoryVisitInput) {
      return auditedTransaction(ctx, actor, 'visit.record', async (trx, now) => {
        if (!hasPermission(actor.role, 'cp:record')) throw new RefusedError('Statutory visits are recorded by social workers and their managers')
        const access = await childAccess(trx, childId, now)
        if (!access) return { result: null, audit: { action: 'visit.record', outcome: 'not_found' as const, entityId: childId } }
        if (input.visitedAt > now) throw new RefusedError('The visit cannot be in the future')
        if (!input.childSeen && !input.notSeenReason) throw new RefusedError('The child was not seen: record why')
        const plan = await activePlan(trx, childId, true)
        let late = false
        let nextDue: Date | null = null
        if (plan) {
          if (input.visitedAt < plan.started_at) throw new RefusedError('The visit is before the child protection plan started')
          const last = await trx.selectFrom('visit').select('visited_at').where('partnership_id', '=', actor.partnershipId).where('cp_plan_id', '=', plan.id).where('kind', '=', 'statutory').where('status', '=', 'done').orderBy('visited_at', 'desc').limit(1).executeTakeFirst()
          if (last?.visited_at && input.visitedAt < last.visited_at) throw new RefusedError('A statutory visit after this one is already recorded: statutory visits are recorded in order')
          const clock = await visitClock(trx, plan.id)
          late = Boolean(clock && (clock.state === 'running' || clock.state === 'overdue') && input.visitedAt > clock.due_at)
          // the clock refuses a late visit without its reason (RefusedError: shown in the error summary)
          await clocks.meet(trx, actor.partnershipId, VISIT_SUBJECT, plan.id, input.visitedAt, late ? input.lateReason : null)
        }
        const id = randomUUID()
        await trx
          .insertInto('visit')
          .values({
            id,
            partnership_id: actor.partnershipId,
            child_id: childId,
            tac_id: plan?.tac_id ?? (await teamOf(trx, childId)),
            cp_plan_id: plan?.id ?? null,
            kind: plan ? 'statutory' : 'other',
            status: 'done',
            planned_for: null,
            visited_at: input.visitedAt,
            by_membership_id: actor.membershipId,
            with_membership_id: null,
            child_seen: input.childSeen,
            seen_alone: input.childSeen ? input.seenAlone : null,
            not_seen_reason: input.childSeen ? null : input.notSeenReason,
            child_words: input.childWords,
            observations: input.observations,
            late_reason: late ? input.lateReason : null,
            recorded_by: actor.membershipId,
            recorded_at: now,
            created_at: now,
          })
          .execute()
        if (plan) nextDue = (await startVisitClock(trx, actor, plan.id, childId, input.visitedAt, clocks)).dueAt
        await writeTacEntries(trx, actor, now, [childId], {
          type: 'visit',
          summary: `${plan ? 'Statutory visit (child protection plan)' : 'Visit'}: ${seenText(input.childSeen, input.childSeen ? input.seenAlone : null, input.notSeenReason)}.${late ? ` Later than due: ${input.lateReason}` : ''}`,
          significance: input.childSeen ? 'medium' : 'high',
          occurredAt: input.visitedAt,
          detailType: 'visit',
          detailId: id,
        })
        return {
          result: { id, late, nextDue, statutory: Boolean(plan) },
          audit: { action: 'visit.record', outcome: 'success', entityType: 'visit', entityId: id, childIds: [childId], relationshipId: access.relationshipId, details: { statutory: Boolean(plan), late, seen: input.childSeen } },
        }
      })
    },

    /** Plans a joint visit with a practitioner of another agency, who is told. */
    async planJoint(childId: string, input: JointPlanInput) {
      return auditedTransaction(ctx, actor, 'visit.joint.plan', async (trx, now) => {
        const access = await childAccess(trx, childId, now)
        if (!access) return { result: null, audit: { action: 'visit.joint.plan', outcome: 'not_found' as const, entityId: childId } }
        if (!access.caseReach) throw new RefusedError('Joint visits are planned by practitioners working with the child’s case')
        if (input.plannedFor < now) throw new RefusedError('A joint visit is planned for a time still to come')
        if (!isUuid(input.withMembershipId)) throw new RefusedError('Choose the practitioner from another agency')
        const other = await trx.selectFrom('membership').select(['id', 'agency_id']).where('partnership_id', '=', actor.partnershipId).where('id', '=', input.withMembershipId).executeTakeFirst()
        if (other && other.agency_id === actor.agencyId) throw new RefusedError('A joint visit is made by two agencies: choose a practitioner from a different agency')
        const eligible = await otherAgencyPractitioners(trx, now).where('m.id', '=', input.withMembershipId).executeTakeFirst()
        if (!eligible) throw new RefusedError('Choose the practitioner from another agency')
        const id = randomUUID()
        await trx
          .insertInto('visit')
          .values({ id, partnership_id: actor.partnershipId, child_id: childId, tac_id: await teamOf(trx, childId), cp_plan_id: null, kind: 'joint', status: 'planned', planned_for: input.plannedFor, visited_at: null, by_membership_id: actor.membershipId, with_membership_id: eligible.id, purpose: input.purpose, created_at: now })
          .execute()
        await writeTacEntries(trx, actor, now, [childId], {
          type: 'joint_visit',
          summary: `Joint visit planned with ${eligible.given_name} ${eligible.family_name} (${eligible.agency_name}). Purpose: ${input.purpose}`,
          significance: 'low',
          occurredAt: now,
          detailType: 'visit',
          detailId: id,
        })
        await notifyMemberships(trx, actor.partnershipId, [eligible.id], { kind: 'visit.joint', childId, subjectType: 'visit', subjectId: id, link: `/children/${childId}/visits` }, now)
        return { result: { id }, audit: { action: 'visit.joint.plan', outcome: 'success', entityType: 'visit', entityId: id, childIds: [childId], relationshipId: access.relationshipId, details: { with: eligible.id } } }
      })
    },

    /**
     * Records what happened on a planned joint visit. `rowVersion` is the version the form was drawn from: if
     * someone else recorded or cancelled it meanwhile, nothing is written and both versions come back.
     */
    async recordJoint(childId: string, visitId: string, rowVersion: number, input: JointRecordInput) {
      return auditedTransaction<JointChange | null>(ctx, actor, 'visit.joint.record', async (trx, now) => {
        const found = await visitForChange(trx, childId, visitId, now)
        if (!found || found.v.kind !== 'joint') return { result: null, audit: { action: 'visit.joint.record', outcome: 'not_found' as const, entityId: visitId } }
        const { v, access } = found
        if (v.row_version !== rowVersion || v.status !== 'planned') {
          const current = await visitsWithNames(trx).where('v.id', '=', v.id).executeTakeFirstOrThrow()
          return { result: { conflict: true as const, current }, audit: { action: 'visit.joint.record', outcome: 'refused', entityType: 'visit', entityId: v.id, childIds: [childId], relationshipId: access.relationshipId, details: { conflict: true, expected: rowVersion, found: v.row_version } } }
        }
        if (input.visitedAt > now) throw new RefusedError('The visit cannot be in the future')
        if (input.childSeen === false && !input.notSeenReason) throw new RefusedError('The child was not seen: record why')
        const updated = await trx
          .updateTable('visit')
          .set({
            status: 'done',
            visited_at: input.visitedAt,
            agreed: input.agreed,
            follow_ups: input.followUps,
            child_seen: input.childSeen,
            seen_alone: input.childSeen ? input.seenAlone : null,
            not_seen_reason: input.childSeen === false ? input.notSeenReason : null,
            child_words: input.childWords,
            recorded_by: actor.membershipId,
            recorded_at: now,
            row_version: v.row_version + 1,
          })
          .where('id', '=', v.id)
          .where('row_version', '=', rowVersion)
          .executeTakeFirst()
        if (Number(updated.numUpdatedRows) !== 1) throw new Error('visit changed under its lock')
        await writeTacEntries(trx, actor, now, [childId], {
          type: 'joint_visit',
          summary: `Joint visit made${input.childSeen === null ? '' : `: ${seenText(input.childSeen, input.seenAlone, input.notSeenReason)}`}. Agreed: ${input.agreed}${input.followUps ? ` Follow-ups: ${input.followUps}` : ''}`,
          significance: input.childSeen === false ? 'high' : 'medium',
          occurredAt: input.visitedAt,
          detailType: 'visit',
          detailId: v.id,
        })
        const other = [v.by_membership_id, v.with_membership_id].filter((m): m is string => Boolean(m) && m !== actor.membershipId)
        await notifyMemberships(trx, actor.partnershipId, other, { kind: 'visit.joint-recorded', childId, subjectType: 'visit', subjectId: v.id, link: `/children/${childId}/visits` }, now)
        return { result: { conflict: false as const, id: v.id }, audit: { action: 'visit.joint.record', outcome: 'success', entityType: 'visit', entityId: v.id, childIds: [childId], relationshipId: access.relationshipId, details: { seen: input.childSeen } } }
      })
    },

    /** Cancels a planned joint visit with the reason (the plan is kept). */
    async cancelJoint(childId: string, visitId: string, rowVersion: number, reason: string) {
      return auditedTransaction<JointChange | null>(ctx, actor, 'visit.joint.cancel', async (trx, now) => {
        const found = await visitForChange(trx, childId, visitId, now)
        if (!found || found.v.kind !== 'joint') return { result: null, audit: { action: 'visit.joint.cancel', outcome: 'not_found' as const, entityId: visitId } }
        const { v, access } = found
        if (v.row_version !== rowVersion || v.status !== 'planned') {
          const current = await visitsWithNames(trx).where('v.id', '=', v.id).executeTakeFirstOrThrow()
          return { result: { conflict: true as const, current }, audit: { action: 'visit.joint.cancel', outcome: 'refused', entityType: 'visit', entityId: v.id, childIds: [childId], relationshipId: access.relationshipId, details: { conflict: true, expected: rowVersion, found: v.row_version } } }
        }
        await trx.updateTable('visit').set({ status: 'cancelled', cancel_reason: reason, recorded_by: actor.membershipId, recorded_at: now, row_version: v.row_version + 1 }).where('id', '=', v.id).where('row_version', '=', rowVersion).execute()
        await writeTacEntries(trx, actor, now, [childId], { type: 'joint_visit', summary: `Planned joint visit cancelled: ${reason}`, significance: 'low', occurredAt: now, detailType: 'visit', detailId: v.id })
        const other = [v.by_membership_id, v.with_membership_id].filter((m): m is string => Boolean(m) && m !== actor.membershipId)
        await notifyMemberships(trx, actor.partnershipId, other, { kind: 'visit.joint-cancelled', childId, subjectType: 'visit', subjectId: v.id, link: `/children/${childId}/visits` }, now)
        return { result: { conflict: false as const, id: v.id }, audit: { action: 'visit.joint.cancel', outcome: 'success', entityType: 'visit', entityId: v.id, childIds: [childId], relationshipId: access.relationshipId } }
      })
    },

    /**
     * Oversight and supervision notes the actor may see: a note is listed exactly when its chronology entry is
     * visible to them (the one visibility rule; the entries are `agency`, see addOversight).
     */
    async oversight(childId: string) {
      return auditedTransaction(ctx, actor, 'oversight.list', async (trx, now) => {
        const access = await childAccess(trx, childId, now)
        if (!access) return { result: null, audit: { action: 'oversight.list', outcome: 'not_found' as const, entityId: childId } }
        const notes = await trx
          .selectFrom('oversight_note as o')
          .innerJoin('entry as e', (j) => j.onRef('e.detail_id', '=', 'o.id').on('e.detail_type', '=', 'oversight_note').onRef('e.child_id', '=', 'o.child_id'))
          .innerJoin('membership as m', 'm.id', 'o.by_membership_id')
          .innerJoin('practitioner as p', 'p.id', 'm.practitioner_id')
          .innerJoin('agency as a', 'a.id', 'm.agency_id')
          .select(['o.id', 'o.kind', 'o.at', 'o.note', 'o.decisions', 'm.role as by_role', 'a.name as by_agency', sql<string>`p.given_name || ' ' || p.family_name`.as('by_name')])
          .where('o.partnership_id', '=', actor.partnershipId)
          .where('o.child_id', '=', childId)
          .where(entryVisible(actor, now) as never)
          .orderBy('o.at', 'desc')
          .execute()
        return {
          result: { child: access.child, notes, canWrite: hasPermission(actor.role, 'oversight:record') },
          audit: { action: 'oversight.list', outcome: 'success', entityType: 'child', entityId: childId, childIds: [childId], relationshipId: access.relationshipId, details: { notes: notes.length } },
        }
      })
    },

    /** A manager's oversight or supervision note, with their decisions. */
    async addOversight(childId: string, input: OversightInput) {
      return auditedTransaction(ctx, actor, 'oversight.record', async (trx, now) => {
        if (!hasPermission(actor.role, 'oversight:record')) throw new RefusedError('Oversight and supervision notes are recorded by team managers')
        const access = await childAccess(trx, childId, now)
        if (!access) return { result: null, audit: { action: 'oversight.record', outcome: 'not_found' as const, entityId: childId } }
        if (!input.decisions.trim()) throw new RefusedError('Record the decisions you made')
        const id = randomUUID()
        await trx.insertInto('oversight_note').values({ id, partnership_id: actor.partnershipId, child_id: childId, tac_id: await teamOf(trx, childId), kind: input.kind, by_membership_id: actor.membershipId, at: now, note: input.note, decisions: input.decisions }).execute()
        // Visibility 'agency': oversight and supervision are the authoring agency's own management record (in
        // practice children's social care): its safeguarding roles with a current relationship see it — the
        // allocated social worker of the same agency does (REACH social_worker ownAgency) — while the partner
        // agencies in the team do not; decisions they need to act on reach them through the plan and meetings.
        await writeTacEntries(trx, actor, now, [childId], {
          type: 'oversight',
          summary: `${OVERSIGHT_LABELS[input.kind]}. Decisions: ${input.decisions}`,
          significance: 'medium',
          occurredAt: now,
          detailType: 'oversight_note',
          detailId: id,
          visibility: 'agency',
        })
        return { result: { id }, audit: { action: 'oversight.record', outcome: 'success', entityType: 'oversight_note', entityId: id, childIds: [childId], relationshipId: access.relationshipId, details: { kind: input.kind } } }
      })
    },
  }
}
