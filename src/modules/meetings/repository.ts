// Meetings of a team around the child: scheduling with invitations, attendance (present, apologies, absent, with
// agency and role), decisions, actions agreed at the meeting that flow into the joint plan, and minutes drafted by
// any member and approved (then locked) by the chair. Every call is one audited transaction naming the team's
// children; a team or meeting out of reach is not found.
//
// Concurrency: the minutes are the one long text several members edit, so saving them checks and bumps
// meeting.row_version (a stale save comes back as a conflict with both texts, nothing lost). Attendance, decisions
// and actions are separate rows and do not bump it; every change locks the team row first (tacForChange), so
// changes to one team queue rather than interleave.
import { randomUUID } from 'node:crypto'
import type { Transaction } from 'kysely'
import type { Actor } from '../../data/actor.ts'
import { notifyMemberships } from '../../data/notify.ts'
import type { DB, MeetingKind } from '../../data/schema.ts'
import { auditedTransaction, FieldRefusedError, RefusedError, type Ctx } from '../../data/unit-of-work.ts'
import { isUuid } from '../../data/repositories/children.ts'
import { formatDateTime } from '../../platform/http/render.ts'
import { childForTeamRead, tacForChange, tacInReach, tacsOfChild, writeTacEntries, type TacAccess } from '../tac/access.ts'
import { addPlanAction, formatPence, type NewPlanAction } from '../plans/plan-store.ts'
import { MEETING_KIND_LABELS, MODE_LABELS, scheduleMeeting, teamMembers, roleLabelOf, type Attendance, type MeetingMode, type ScheduleMeeting } from './store.ts'

const CP_KINDS: readonly MeetingKind[] = ['strategy_discussion', 'icpc', 'review_conference']

/** A cancelled meeting whose cancellation was recorded once its start time had passed: it did not take place. */
export const didNotTakePlace = (m: { status: string; scheduled_at: Date; cancelled_at: Date | null }) => m.status === 'cancelled' && m.cancelled_at !== null && m.cancelled_at.getTime() >= m.scheduled_at.getTime()

/** An action agreed at a meeting: a plan action, the meeting named by the route. */
export type ActionInput = Omit<NewPlanAction, 'meetingId'>

export type MinutesSave = { saved: true } | { conflict: { current: string; yours: string; rowVersion: number; currentStatus: 'none' | 'draft' | 'approved' } }

export function meetingsRepository(ctx: Ctx, actor: Actor) {
  const notFound = (action: string, entityId?: string) => ({ result: null, audit: { action, outcome: 'not_found' as const, ...(entityId ? { entityId } : {}) } })
  const ok = (action: string, tac: TacAccess, entityId: string, details?: Record<string, unknown>) => ({
    action,
    outcome: 'success' as const,
    entityType: 'meeting',
    entityId,
    childIds: tac.childIds,
    relationshipId: tac.relationshipId,
    ...(details ? { details } : {}),
  })

  function meetingRow(trx: Transaction<DB>, tacId: string, meetingId: string) {
    return trx.selectFrom('meeting').selectAll('meeting').where('meeting.partnership_id', '=', actor.partnershipId).where('meeting.tac_id', '=', tacId).where('meeting.id', '=', meetingId)
  }

  /** The team (for a change) and the meeting, or undefined when either is out of reach. */
  async function forChange(trx: Transaction<DB>, tacId: string, meetingId: string, now: Date) {
    if (!isUuid(meetingId)) return undefined
    // a stranger is not found; a viewer who is not a member is refused
    const tac = await tacForChange(trx, actor, tacId, now)
    if (!tac) return undefined
    const meeting = await meetingRow(trx, tacId, meetingId).forUpdate().executeTakeFirst()
    if (!meeting) return undefined
    if (meeting.status === 'cancelled') throw new RefusedError(didNotTakePlace(meeting) ? 'This meeting did not take place' : 'This meeting was cancelled')
    return { tac, meeting }
  }

  const started = (m: { scheduled_at: Date }, now: Date) => m.scheduled_at.getTime() <= now.getTime()

  /** The practitioners invited (members of a team then), but the actor: whom a change to the meeting is told to. */
  async function invitedToTell(trx: Transaction<DB>, meetingId: string) {
    const invited = await trx.selectFrom('meeting_invitee').select('membership_id').where('partnership_id', '=', actor.partnershipId).where('meeting_id', '=', meetingId).where('membership_id', 'is not', null).execute()
    return invited.map((i) => i.membership_id!).filter((m) => m !== actor.membershipId)
  }

  async function people(trx: Transaction<DB>, meetingId: string) {
    return trx
      .selectFrom('meeting_invitee as i')
      .leftJoin('membership as m', 'm.id', 'i.membership_id')
      .leftJoin('practitioner as p', 'p.id', 'm.practitioner_id')
      .select(['i.id', 'i.membership_id', 'i.name', 'i.agency_label', 'i.role_label', 'i.attendance', 'p.email', 'p.phone'])
      .where('i.partnership_id', '=', actor.partnershipId)
      .where('i.meeting_id', '=', meetingId)
      .orderBy((eb) => eb.case().when('i.membership_id', 'is', null).then(1).else(0).end())
      .orderBy('i.agency_label')
      .orderBy('i.name')
      .execute()
  }

  function childrenOf(trx: Transaction<DB>, tac: TacAccess) {
    return trx
      .selectFrom('child')
      .select(['id', 'given_name', 'family_name'])
      .where('partnership_id', '=', actor.partnershipId)
      .where('id', 'in', tac.childIds.length ? tac.childIds : ['00000000-0000-0000-0000-000000000000'])
      .orderBy('given_name')
      .orderBy('id')
      .execute()
  }

  /** Decisions or actions recorded at the meeting: it took place, whatever its status says. */
  async function tookPlace(trx: Transaction<DB>, meetingId: string): Promise<boolean> {
    const [decisions, actions] = await Promise.all([
      trx.selectFrom('meeting_decision').select('id').where('partnership_id', '=', actor.partnershipId).where('meeting_id', '=', meetingId).limit(1).execute(),
      trx.selectFrom('plan_action').select('id').where('partnership_id', '=', actor.partnershipId).where('meeting_id', '=', meetingId).where('removed_at', 'is', null).limit(1).execute(),
    ])
    return decisions.length > 0 || actions.length > 0
  }

  async function details(trx: Transaction<DB>, tac: TacAccess, meetingId: string) {
    const meeting = await meetingRow(trx, tac.id, meetingId)
      .innerJoin('membership as cm', 'cm.id', 'meeting.chair_membership_id')
      .innerJoin('practitioner as cp', 'cp.id', 'cm.practitioner_id')
      .leftJoin('membership as am', 'am.id', 'meeting.minutes_approved_by')
      .leftJoin('practitioner as ap', 'ap.id', 'am.practitioner_id')
      .select(['cp.given_name as chair_given', 'cp.family_name as chair_family', 'ap.given_name as approver_given', 'ap.family_name as approver_family'])
      .executeTakeFirst()
    if (!meeting) return undefined
    const [invitees, decisions, actions, children] = await Promise.all([
      people(trx, meetingId),
      trx
        .selectFrom('meeting_decision as d')
        .innerJoin('membership as m', 'm.id', 'd.recorded_by')
        .innerJoin('practitioner as p', 'p.id', 'm.practitioner_id')
        .select(['d.id', 'd.body', 'd.recorded_at', 'p.given_name', 'p.family_name'])
        .where('d.partnership_id', '=', actor.partnershipId)
        .where('d.meeting_id', '=', meetingId)
        .orderBy('d.recorded_at')
        .orderBy('d.id')
        .execute(),
      trx
        .selectFrom('plan_action as a')
        .innerJoin('plan_outcome as o', 'o.id', 'a.outcome_id')
        .select(['a.id', 'a.what', 'a.owner_name', 'a.owner_agency', 'a.due_on', 'a.place', 'a.cost_pence', 'a.status', 'o.body as outcome'])
        .where('a.partnership_id', '=', actor.partnershipId)
        .where('a.tac_id', '=', tac.id)
        .where('a.meeting_id', '=', meetingId)
        .where('a.removed_at', 'is', null)
        .orderBy('a.due_on')
        .orderBy('a.created_at')
        .execute(),
      childrenOf(trx, tac),
    ])
    // the cost as the plan's page gives it (£1,234.50)
    const priced = actions.map((a) => ({ ...a, cost: formatPence(a.cost_pence) }))
    return { meeting, invitees, decisions, actions: priced, children }
  }

  return {
    /** The team's meetings, upcoming (soonest first) and past (latest first). */
    async list(tacId: string) {
      return auditedTransaction(ctx, actor, 'meeting.list', async (trx, now) => {
        const tac = await tacInReach(trx, actor, tacId, now)
        if (!tac) return notFound('meeting.list', tacId)
        const rows = await trx
          .selectFrom('meeting as mt')
          .select(['mt.id', 'mt.kind', 'mt.title', 'mt.scheduled_at', 'mt.mode', 'mt.status', 'mt.held_at', 'mt.cancelled_at', 'mt.minutes_status'])
          .select((eb) => [
            eb.selectFrom('meeting_invitee as i').select((e) => e.fn.countAll<string>().as('n')).whereRef('i.meeting_id', '=', 'mt.id').as('invited'),
            eb.selectFrom('meeting_invitee as i').select((e) => e.fn.countAll<string>().as('n')).whereRef('i.meeting_id', '=', 'mt.id').where('i.attendance', '=', 'present').as('present'),
          ])
          .where('mt.partnership_id', '=', actor.partnershipId)
          .where('mt.tac_id', '=', tac.id)
          .orderBy('mt.scheduled_at')
          .execute()
          .then((all) => all.map((r) => ({ ...r, notHeld: didNotTakePlace(r) })))
        const isPast = (r: (typeof rows)[number]) => r.status !== 'scheduled' || r.scheduled_at.getTime() < now.getTime()
        const upcoming = rows.filter((r) => !isPast(r))
        const past = rows.filter(isPast).reverse()
        const children = await childrenOf(trx, tac)
        return { result: { tac, children, upcoming, past }, audit: { action: 'meeting.list', outcome: 'success', entityType: 'tac', entityId: tac.id, childIds: tac.childIds, relationshipId: tac.relationshipId } }
      })
    },

    /**
     * The API's meetings of a child: every meeting of each team around the child the actor may see (tacInReach, as
     * the meetings pages), soonest first, with its chair. One audited read; a child out of reach is not found.
     */
    async forChild(childId: string) {
      return auditedTransaction(ctx, actor, 'meeting.child-list', async (trx, now) => {
        const child = await childForTeamRead(trx, actor, childId, now)
        if (!child) return { result: null, audit: { action: 'meeting.child-list', outcome: 'not_found' as const, entityType: 'child', entityId: childId } }
        const teams: TacAccess[] = []
        for (const t of await tacsOfChild(trx, actor, childId).execute()) {
          const tac = await tacInReach(trx, actor, t.id, now)
          if (tac) teams.push(tac)
        }
        const meetings = teams.length
          ? await trx
              .selectFrom('meeting as mt')
              .innerJoin('membership as cm', 'cm.id', 'mt.chair_membership_id')
              .innerJoin('practitioner as cp', 'cp.id', 'cm.practitioner_id')
              .select(['mt.id', 'mt.tac_id', 'mt.kind', 'mt.title', 'mt.scheduled_at', 'mt.mode', 'mt.place', 'mt.status', 'mt.held_at', 'mt.cancelled_at', 'mt.minutes_status', 'cp.given_name as chair_given', 'cp.family_name as chair_family'])
              .where('mt.partnership_id', '=', actor.partnershipId)
              .where('mt.tac_id', 'in', teams.map((t) => t.id))
              .orderBy('mt.scheduled_at')
              .orderBy('mt.id')
              .execute()
          : []
        return {
          result: { child, meetings: meetings.map((m) => ({ ...m, notHeld: didNotTakePlace(m) })) },
          audit: { action: 'meeting.child-list', outcome: 'success', entityType: 'child', entityId: childId, childIds: [...new Set([childId, ...teams.flatMap((t) => t.childIds)])], details: { meetingIds: meetings.map((m) => m.id) } },
        }
      })
    },

    /**
     * The API's meeting, named by its id alone: what its page shows (details, decisions, the actions agreed at it,
     * the minutes as the page shows them), for an actor who may see its team. Audited as the page's read.
     */
    async byId(meetingId: string) {
      return auditedTransaction(ctx, actor, 'meeting.view', async (trx, now) => {
        if (!isUuid(meetingId)) return notFound('meeting.view', meetingId)
        const row = await trx.selectFrom('meeting').select('tac_id').where('partnership_id', '=', actor.partnershipId).where('id', '=', meetingId).executeTakeFirst()
        const tac = row ? await tacInReach(trx, actor, row.tac_id, now) : undefined
        if (!tac) return notFound('meeting.view', meetingId)
        const d = await details(trx, tac, meetingId)
        if (!d) return notFound('meeting.view', meetingId)
        return { result: { tac, ...d, notHeld: didNotTakePlace(d.meeting) }, audit: ok('meeting.view', tac, meetingId) }
      })
    },

    /** What the scheduling form offers: the team's members (chair and invitations) and its recorded family. */
    async scheduleForm(tacId: string) {
      return auditedTransaction(ctx, actor, 'meeting.new', async (trx, now) => {
        const tac = await tacInReach(trx, actor, tacId, now)
        if (!tac) return notFound('meeting.new', tacId)
        const members = (await teamMembers(trx, actor.partnershipId, tac.id, now)).map((m) => ({ ...m, roleLabel: roleLabelOf(m.role, m.team_role) }))
        const family = await trx.selectFrom('tac_family_member').select(['id', 'name', 'relationship']).where('partnership_id', '=', actor.partnershipId).where('tac_id', '=', tac.id).orderBy('name').execute()
        const children = await childrenOf(trx, tac)
        return { result: { tac, children, members, family }, audit: { action: 'meeting.new', outcome: 'success', entityType: 'tac', entityId: tac.id, childIds: tac.childIds, relationshipId: tac.relationshipId } }
      })
    },

    async schedule(tacId: string, input: ScheduleMeeting & { familyMemberIds: string[] }) {
      return auditedTransaction(ctx, actor, 'meeting.schedule', async (trx, now) => {
        const tac = await tacForChange(trx, actor, tacId, now)
        if (!tac) return notFound('meeting.schedule', tacId)
        const ids = input.familyMemberIds.filter(isUuid)
        const family = ids.length ? await trx.selectFrom('tac_family_member').select(['id', 'name', 'relationship']).where('partnership_id', '=', actor.partnershipId).where('tac_id', '=', tac.id).where('id', 'in', ids).execute() : []
        const others = [...family.map((f) => ({ name: f.name, role: f.relationship, agency: 'Family' })), ...input.others]
        const id = await scheduleMeeting(trx, actor, now, tac, { ...input, others })
        return { result: { id }, audit: ok('meeting.schedule', tac, id, { kind: input.kind, invited: input.inviteMembershipIds.length + others.length }) }
      })
    },

    /** The meeting page: details, invitees, decisions, actions from this meeting, minutes; and what the actor may do. */
    async get(tacId: string, meetingId: string) {
      return auditedTransaction(ctx, actor, 'meeting.view', async (trx, now) => {
        if (!isUuid(meetingId)) return notFound('meeting.view', meetingId)
        const tac = await tacInReach(trx, actor, tacId, now)
        if (!tac) return notFound('meeting.view', meetingId)
        const d = await details(trx, tac, meetingId)
        if (!d) return notFound('meeting.view', meetingId)
        const m = d.meeting
        const open = tac.isMember && tac.status === 'open' && m.status !== 'cancelled'
        const approved = m.minutes_status === 'approved'
        const [members, outcomes] = open
          ? await Promise.all([
              teamMembers(trx, actor.partnershipId, tac.id, now),
              trx.selectFrom('plan_outcome').select(['id', 'body']).where('partnership_id', '=', actor.partnershipId).where('tac_id', '=', tac.id).where('removed_at', 'is', null).orderBy('sort').orderBy('created_at').execute(),
            ])
          : [[], []]
        const isChair = m.chair_membership_id === actor.membershipId
        return {
          result: {
            tac,
            ...d,
            members,
            outcomes,
            started: started(m, now),
            notHeld: didNotTakePlace(m),
            can: {
              attendance: open && started(m, now) && !approved,
              markHeld: open && started(m, now) && m.status === 'scheduled',
              decide: open && started(m, now) && !approved,
              act: open && started(m, now) && !approved,
              draft: open && started(m, now) && !approved,
              approve: open && isChair && m.status === 'held' && m.minutes_status === 'draft',
              // before its start a meeting is called off (cancel); once its start has passed, what is left to say is
              // that it did not take place (a record of the past, not news of a future meeting being off)
              cancel: open && m.status === 'scheduled' && !started(m, now),
              recordNotHeld: open && m.status === 'scheduled' && started(m, now) && m.minutes_status === 'none',
              // ...and not once decisions or actions show it took place (as recordNotHeld): its time is then history
              reschedule: open && m.status === 'scheduled' && m.minutes_status === 'none' && !d.decisions.length && !d.actions.length,
              invite: open && !approved,
              // the chair can be handed on until the minutes are approved (a chair who leaves the team could not approve them)
              changeChair: open && !approved && (tac.isLead || isChair),
            },
            isChair,
          },
          audit: ok('meeting.view', tac, meetingId),
        }
      })
    },

    /** Attendance for each invitee, once the meeting has started (and until the minutes are approved). */
    async recordAttendance(tacId: string, meetingId: string, attendance: Record<string, Exclude<Attendance, 'invited'>>) {
      return auditedTransaction(ctx, actor, 'meeting.attendance', async (trx, now) => {
        const f = await forChange(trx, tacId, meetingId, now)
        if (!f) return notFound('meeting.attendance', meetingId)
        if (!started(f.meeting, now)) throw new RefusedError('Attendance can be recorded once the meeting has started')
        if (f.meeting.minutes_status === 'approved') throw new RefusedError('The minutes have been approved: attendance can no longer be changed')
        const invitees = await trx.selectFrom('meeting_invitee').select('id').where('partnership_id', '=', actor.partnershipId).where('meeting_id', '=', meetingId).execute()
        const known = new Set(invitees.map((i) => i.id))
        const given = Object.entries(attendance).filter(([id]) => known.has(id))
        if (!given.length) throw new RefusedError('Choose present, apologies or absent for at least one person')
        for (const [id, value] of given) {
          await trx.updateTable('meeting_invitee').set({ attendance: value }).where('partnership_id', '=', actor.partnershipId).where('meeting_id', '=', meetingId).where('id', '=', id).execute()
        }
        return { result: { id: meetingId }, audit: ok('meeting.attendance', f.tac, meetingId, { recorded: given.length }) }
      })
    },

    /** Adds someone to the invitation (a member of the team, or another person by name and role). */
    async invite(tacId: string, meetingId: string, input: { membershipId: string | null; name: string; role: string; agency: string }) {
      return auditedTransaction(ctx, actor, 'meeting.invite', async (trx, now) => {
        const f = await forChange(trx, tacId, meetingId, now)
        if (!f) return notFound('meeting.invite', meetingId)
        if (f.meeting.minutes_status === 'approved') throw new RefusedError('The minutes have been approved: the meeting can no longer be changed')
        if (input.membershipId) {
          const m = (await teamMembers(trx, actor.partnershipId, f.tac.id, now)).find((x) => x.membership_id === input.membershipId)
          if (!m) throw new RefusedError('Choose a member of the team')
          const already = await trx.selectFrom('meeting_invitee').select('id').where('meeting_id', '=', meetingId).where('membership_id', '=', m.membership_id).executeTakeFirst()
          if (already) throw new RefusedError(`${m.given_name} ${m.family_name} is already invited`)
          await trx.insertInto('meeting_invitee').values({ id: randomUUID(), partnership_id: actor.partnershipId, meeting_id: meetingId, membership_id: m.membership_id, name: `${m.given_name} ${m.family_name}`, agency_label: m.agency_name, role_label: roleLabelOf(m.role, m.team_role) }).execute()
          if (m.membership_id !== actor.membershipId) {
            await notifyMemberships(trx, actor.partnershipId, [m.membership_id], { kind: 'meeting.invited', subjectType: 'meeting', subjectId: meetingId, link: `/teams/${f.tac.id}/meetings/${meetingId}` }, now)
          }
        } else {
          await trx.insertInto('meeting_invitee').values({ id: randomUUID(), partnership_id: actor.partnershipId, meeting_id: meetingId, membership_id: null, name: input.name, agency_label: input.agency, role_label: input.role }).execute()
        }
        return { result: { id: meetingId }, audit: ok('meeting.invite', f.tac, meetingId) }
      })
    },

    /** The meeting took place (at the time given, not in the future); attendance must be recorded for everyone. */
    async markHeld(tacId: string, meetingId: string, heldAt: Date) {
      return auditedTransaction(ctx, actor, 'meeting.held', async (trx, now) => {
        const f = await forChange(trx, tacId, meetingId, now)
        if (!f) return notFound('meeting.held', meetingId)
        if (f.meeting.status === 'held') throw new RefusedError('This meeting has already been marked as held')
        if (!started(f.meeting, now)) throw new RefusedError('A meeting can be marked as held once it has started')
        if (heldAt.getTime() > now.getTime()) throw new RefusedError('The time the meeting was held cannot be in the future')
        if (heldAt.getTime() < f.tac.startedAt.getTime()) throw new RefusedError(`The meeting cannot have been held before the team around the child began, on ${formatDateTime(f.tac.startedAt)}`)
        const rows = await people(trx, meetingId)
        if (rows.some((r) => r.attendance === 'invited')) throw new RefusedError('Record attendance for everyone invited before marking the meeting as held')
        if (!rows.some((r) => r.attendance === 'present')) throw new RefusedError('Nobody is recorded as present: record attendance first')
        await trx.updateTable('meeting').set({ status: 'held', held_at: heldAt }).where('id', '=', meetingId).where('partnership_id', '=', actor.partnershipId).execute()
        return { result: { id: meetingId }, audit: ok('meeting.held', f.tac, meetingId) }
      })
    },

    /**
     * Hands the chair to another member of the team in post (the lead practitioner or the chair does), until the
     * minutes are approved: the chair who leaves the team, or their post, would otherwise leave them unapprovable.
     */
    async changeChair(tacId: string, meetingId: string, membershipId: string) {
      return auditedTransaction(ctx, actor, 'meeting.chair', async (trx, now) => {
        const f = await forChange(trx, tacId, meetingId, now)
        if (!f) return notFound('meeting.chair', meetingId)
        if (!f.tac.isLead && f.meeting.chair_membership_id !== actor.membershipId) throw new RefusedError('Only the lead practitioner or the chair can change the chair of a meeting')
        if (f.meeting.minutes_status === 'approved') throw new RefusedError('The chair has approved these minutes: the chair can no longer change')
        const members = await teamMembers(trx, actor.partnershipId, f.tac.id, now)
        if (!members.some((m) => m.membership_id === membershipId)) throw new RefusedError('The chair must be a member of the team')
        if (membershipId === f.meeting.chair_membership_id) return { result: { id: meetingId }, audit: ok('meeting.chair', f.tac, meetingId, { unchanged: true }) }
        await trx.updateTable('meeting').set({ chair_membership_id: membershipId }).where('id', '=', meetingId).where('partnership_id', '=', actor.partnershipId).execute()
        // the new chair is asked, and the former chair told (while still a member of the team: anyone else could not
        // open the meeting); whoever made the change knows already
        const link = `/teams/${f.tac.id}/meetings/${meetingId}`
        const tell = (ids: string[], kind: string) => notifyMemberships(trx, actor.partnershipId, ids.filter((id) => id !== actor.membershipId), { kind, subjectType: 'meeting', subjectId: meetingId, link }, now)
        await tell([membershipId], 'meeting.chair')
        await tell(members.some((m) => m.membership_id === f.meeting.chair_membership_id) ? [f.meeting.chair_membership_id] : [], 'meeting.chair-handed-on')
        return { result: { id: meetingId }, audit: ok('meeting.chair', f.tac, meetingId, { from: f.meeting.chair_membership_id, to: membershipId }) }
      })
    },

    /**
     * Calls off a meeting that has not started: the practitioners invited are told and the chronology notes it. Once
     * its start time has passed it is not "cancelled" (news that a future meeting is off): the chair records that it
     * did not take place instead (recordNotHeld).
     */
    async cancel(tacId: string, meetingId: string, reason: string) {
      return auditedTransaction(ctx, actor, 'meeting.cancel', async (trx, now) => {
        const f = await forChange(trx, tacId, meetingId, now)
        if (!f) return notFound('meeting.cancel', meetingId)
        if (f.meeting.status !== 'scheduled') throw new RefusedError('Only a meeting that has not been held can be cancelled')
        if (started(f.meeting, now)) throw new FieldRefusedError('The meeting’s start time has passed, so it can no longer be cancelled: record that it did not take place, and why', 'reason')
        await trx.updateTable('meeting').set({ status: 'cancelled', cancelled_at: now }).where('id', '=', meetingId).where('partnership_id', '=', actor.partnershipId).execute()
        await notifyMemberships(trx, actor.partnershipId, await invitedToTell(trx, meetingId), { kind: 'meeting.cancelled', subjectType: 'meeting', subjectId: meetingId, link: `/teams/${f.tac.id}/meetings/${meetingId}` }, now)
        await writeTacEntries(trx, actor, now, f.tac.childIds, {
          type: 'meeting_cancelled',
          summary: `${MEETING_KIND_LABELS[f.meeting.kind]} arranged for ${formatDateTime(f.meeting.scheduled_at)} was cancelled: ${reason}`,
          significance: 'low',
          occurredAt: now,
          detailType: 'meeting',
          detailId: meetingId,
        })
        return { result: { id: meetingId }, audit: ok('meeting.cancel', f.tac, meetingId) }
      })
    },

    /**
     * A meeting whose start time has passed did not take place: recorded with the reason (a cancelled meeting, so
     * nothing more is recorded on it, cancelled_at at or after its start). Refused before the start (cancel it), and
     * once anything shows it did take place (minutes drafted, decisions or actions recorded: mark it as held). The
     * practitioners invited are told; each child's chronology has it at the time it was arranged for.
     */
    async recordNotHeld(tacId: string, meetingId: string, reason: string) {
      return auditedTransaction(ctx, actor, 'meeting.not-held', async (trx, now) => {
        const f = await forChange(trx, tacId, meetingId, now)
        if (!f) return notFound('meeting.not-held', meetingId)
        const m = f.meeting
        if (m.status !== 'scheduled') throw new RefusedError('This meeting has been marked as held')
        if (!started(m, now)) throw new FieldRefusedError('The meeting has not started yet: cancel it instead, with the reason', 'reason')
        if (m.minutes_status !== 'none' || (await tookPlace(trx, meetingId))) throw new RefusedError('Minutes, decisions or actions have been recorded for this meeting, so it took place: mark it as held instead')
        await trx.updateTable('meeting').set({ status: 'cancelled', cancelled_at: now }).where('id', '=', meetingId).where('partnership_id', '=', actor.partnershipId).execute()
        await notifyMemberships(trx, actor.partnershipId, await invitedToTell(trx, meetingId), { kind: 'meeting.not-held', subjectType: 'meeting', subjectId: meetingId, link: `/teams/${f.tac.id}/meetings/${meetingId}` }, now)
        await writeTacEntries(trx, actor, now, f.tac.childIds, {
          type: 'meeting_not_held',
          summary: `${MEETING_KIND_LABELS[m.kind]} arranged for ${formatDateTime(m.scheduled_at)} did not take place: ${reason}`,
          significance: 'low',
          occurredAt: m.scheduled_at,
          detailType: 'meeting',
          detailId: meetingId,
        })
        return { result: { id: meetingId }, audit: ok('meeting.not-held', f.tac, meetingId) }
      })
    },

    /**
     * Moves a meeting that has not been held to a new date and time (and, if given, a new way of meeting and place),
     * with the reason. The invited practitioners are told; each child's chronology records the change. A stale form
     * (someone else changed the meeting since it was opened) is refused rather than overwriting their change.
     */
    async reschedule(tacId: string, meetingId: string, input: { scheduledAt: Date; mode: MeetingMode; place: string; reason: string; rowVersion: number }) {
      return auditedTransaction(ctx, actor, 'meeting.reschedule', async (trx, now) => {
        const f = await forChange(trx, tacId, meetingId, now)
        if (!f) return notFound('meeting.reschedule', meetingId)
        if (f.meeting.status !== 'scheduled') throw new RefusedError('Only a meeting that has not been held can be moved')
        if (f.meeting.minutes_status !== 'none') throw new RefusedError('Minutes have been drafted for this meeting: it cannot be moved')
        if (await tookPlace(trx, meetingId)) throw new RefusedError('Decisions or actions have been recorded for this meeting, so it took place: mark it as held instead of moving it')
        if (input.scheduledAt.getTime() <= now.getTime()) throw new RefusedError('The new date and time must be in the future')
        if (input.mode === 'in_person' && !input.place.trim()) throw new RefusedError('Enter where the meeting will take place')
        const moved = await trx
          .updateTable('meeting')
          .set({ scheduled_at: input.scheduledAt, mode: input.mode, place: input.place, row_version: f.meeting.row_version + 1 })
          .where('id', '=', meetingId)
          .where('partnership_id', '=', actor.partnershipId)
          .where('row_version', '=', input.rowVersion)
          .executeTakeFirst()
        if (Number(moved.numUpdatedRows) !== 1) throw new RefusedError('Someone else changed this meeting since you opened it: check its details and move it again')
        await notifyMemberships(
          trx,
          actor.partnershipId,
          await invitedToTell(trx, meetingId),
          { kind: 'meeting.rescheduled', subjectType: 'meeting', subjectId: meetingId, link: `/teams/${f.tac.id}/meetings/${meetingId}` },
          now,
        )
        await writeTacEntries(trx, actor, now, f.tac.childIds, {
          type: 'meeting_rescheduled',
          summary: `${MEETING_KIND_LABELS[f.meeting.kind]} moved from ${formatDateTime(f.meeting.scheduled_at)} to ${formatDateTime(input.scheduledAt)} (${MODE_LABELS[input.mode].toLowerCase()}): ${input.reason}`,
          significance: 'low',
          occurredAt: now,
          detailType: 'meeting',
          detailId: meetingId,
        })
        return { result: { id: meetingId }, audit: ok('meeting.reschedule', f.tac, meetingId, { from: f.meeting.scheduled_at, to: input.scheduledAt, rowVersion: f.meeting.row_version + 1 }) }
      })
    },

    async addDecision(tacId: string, meetingId: string, body: string) {
      return auditedTransaction(ctx, actor, 'meeting.decision', async (trx, now) => {
        const f = await forChange(trx, tacId, meetingId, now)
        if (!f) return notFound('meeting.decision', meetingId)
        if (!started(f.meeting, now)) throw new RefusedError('Decisions can be recorded once the meeting has started')
        if (f.meeting.minutes_status === 'approved') throw new RefusedError('The minutes have been approved: decisions can no longer be added')
        const id = randomUUID()
        await trx.insertInto('meeting_decision').values({ id, partnership_id: actor.partnershipId, meeting_id: meetingId, body, recorded_by: actor.membershipId, recorded_at: now }).execute()
        return { result: { id }, audit: ok('meeting.decision', f.tac, meetingId, { decisionId: id }) }
      })
    },

    /** An action agreed at the meeting: it goes into the joint plan (plan_action.meeting_id names this meeting). */
    async addAction(tacId: string, meetingId: string, input: ActionInput) {
      return auditedTransaction(ctx, actor, 'meeting.action', async (trx, now) => {
        const f = await forChange(trx, tacId, meetingId, now)
        if (!f) return notFound('meeting.action', meetingId)
        if (!started(f.meeting, now)) throw new RefusedError('Actions can be agreed once the meeting has started')
        if (f.meeting.minutes_status === 'approved') throw new RefusedError('The minutes have been approved: add further actions to the plan itself')
        const outcome = isUuid(input.outcomeId)
          ? await trx.selectFrom('plan_outcome').select('id').where('partnership_id', '=', actor.partnershipId).where('tac_id', '=', f.tac.id).where('id', '=', input.outcomeId).where('removed_at', 'is', null).executeTakeFirst()
          : undefined
        if (!outcome) throw new RefusedError('Choose one of the plan’s outcomes')
        let { ownerName, ownerAgency } = input
        if (input.ownerMembershipId) {
          const m = (await teamMembers(trx, actor.partnershipId, f.tac.id, now)).find((x) => x.membership_id === input.ownerMembershipId)
          if (!m) throw new RefusedError('The owner must be a member of the team, or someone named')
          ownerName = `${m.given_name} ${m.family_name}`
          ownerAgency = m.agency_name
        }
        const id = await addPlanAction(trx, actor, now, f.tac, {
          outcomeId: outcome.id,
          what: input.what,
          ownerMembershipId: input.ownerMembershipId,
          ownerName,
          ownerAgency,
          dueOn: input.dueOn,
          place: input.place,
          costPence: input.costPence,
          meetingId,
        })
        return { result: { id }, audit: ok('meeting.action', f.tac, meetingId, { actionId: id }) }
      })
    },

    /** Saves the draft minutes if nobody else saved since `rowVersion`; otherwise the conflict, with both texts. */
    async saveMinutes(tacId: string, meetingId: string, input: { minutes: string; rowVersion: number }): Promise<MinutesSave | null> {
      return auditedTransaction<MinutesSave | null>(ctx, actor, 'meeting.minutes', async (trx, now) => {
        const f = await forChange(trx, tacId, meetingId, now)
        if (!f) return notFound('meeting.minutes', meetingId)
        if (f.meeting.minutes_status === 'approved') throw new RefusedError('The chair has approved these minutes: they can no longer be changed')
        if (!started(f.meeting, now)) throw new RefusedError('Minutes can be drafted once the meeting has started')
        if (f.meeting.row_version !== input.rowVersion && f.meeting.minutes === input.minutes) {
          // what is saved is exactly what was sent (the same save sent twice, a double click): saved, nothing to merge
          return { result: { saved: true as const }, audit: { action: 'meeting.minutes', outcome: 'success' as const, entityType: 'meeting', entityId: meetingId, childIds: f.tac.childIds, details: { replay: true } } }
        }
        if (f.meeting.row_version !== input.rowVersion) {
          return {
            result: { conflict: { current: f.meeting.minutes, yours: input.minutes, rowVersion: f.meeting.row_version, currentStatus: f.meeting.minutes_status } },
            audit: { action: 'meeting.minutes', outcome: 'refused' as const, entityType: 'meeting', entityId: meetingId, childIds: f.tac.childIds, details: { reason: 'stale', had: input.rowVersion, now: f.meeting.row_version } },
          }
        }
        await trx
          .updateTable('meeting')
          .set({ minutes: input.minutes, minutes_status: 'draft', row_version: f.meeting.row_version + 1 })
          .where('id', '=', meetingId)
          .where('partnership_id', '=', actor.partnershipId)
          .where('row_version', '=', input.rowVersion)
          .execute()
        return { result: { saved: true as const }, audit: ok('meeting.minutes', f.tac, meetingId, { rowVersion: f.meeting.row_version + 1 }) }
      })
    },

    /**
     * The chair approves the minutes they have read (rowVersion): locked from then on. Writes a 'meeting' entry for
     * each child: the kind, the date, who attended by agency, and how many decisions and actions — no narrative.
     */
    async approveMinutes(tacId: string, meetingId: string, rowVersion: number) {
      return auditedTransaction(ctx, actor, 'meeting.minutes-approve', async (trx, now) => {
        const f = await forChange(trx, tacId, meetingId, now)
        if (!f) return notFound('meeting.minutes-approve', meetingId)
        const m = f.meeting
        if (m.chair_membership_id !== actor.membershipId) throw new RefusedError('Only the chair of the meeting can approve the minutes')
        if (m.minutes_status === 'approved') throw new RefusedError('These minutes have already been approved')
        if (m.status !== 'held') throw new RefusedError('Mark the meeting as held before approving the minutes')
        if (m.minutes_status !== 'draft' || !m.minutes.trim()) throw new RefusedError('There are no draft minutes to approve')
        if (m.row_version !== rowVersion) throw new RefusedError('The minutes have changed since you opened them: read them again before approving')
        await trx
          .updateTable('meeting')
          .set({ minutes_status: 'approved', minutes_approved_at: now, minutes_approved_by: actor.membershipId, row_version: m.row_version + 1 })
          .where('id', '=', meetingId)
          .where('partnership_id', '=', actor.partnershipId)
          .execute()
        const [invitees, decisions, actions] = await Promise.all([
          people(trx, meetingId),
          trx.selectFrom('meeting_decision').select((eb) => eb.fn.countAll<string>().as('n')).where('partnership_id', '=', actor.partnershipId).where('meeting_id', '=', meetingId).executeTakeFirstOrThrow(),
          trx.selectFrom('plan_action').select((eb) => eb.fn.countAll<string>().as('n')).where('partnership_id', '=', actor.partnershipId).where('meeting_id', '=', meetingId).where('removed_at', 'is', null).executeTakeFirstOrThrow(),
        ])
        const byAgency = (a: Attendance) => {
          const counts = new Map<string, number>()
          for (const i of invitees.filter((x) => x.attendance === a)) counts.set(i.agency_label || 'Other', (counts.get(i.agency_label || 'Other') ?? 0) + 1)
          return [...counts].map(([agency, n]) => (n > 1 ? `${agency} (${n})` : agency)).join(', ')
        }
        const present = byAgency('present')
        const apologies = byAgency('apologies')
        const nd = Number(decisions.n)
        const na = Number(actions.n)
        const summary = [
          `${MEETING_KIND_LABELS[m.kind]} held ${formatDateTime(m.held_at ?? m.scheduled_at)}; minutes approved by the chair.`,
          `Present: ${present || 'none recorded'}.`,
          apologies ? `Apologies: ${apologies}.` : '',
          `${nd} ${nd === 1 ? 'decision' : 'decisions'}, ${na} ${na === 1 ? 'action' : 'actions'} for the plan.`,
        ]
          .filter(Boolean)
          .join(' ')
        await writeTacEntries(trx, actor, now, f.tac.childIds, {
          type: 'meeting',
          summary,
          significance: CP_KINDS.includes(m.kind) ? 'high' : 'medium',
          occurredAt: m.held_at ?? m.scheduled_at,
          detailType: 'meeting',
          detailId: meetingId,
        })
        return { result: { id: meetingId }, audit: ok('meeting.minutes-approve', f.tac, meetingId) }
      })
    },

    /** The minutes for printing, read (and audited) as an export; the family's version only once approved. */
    async forExport(tacId: string, meetingId: string, audience: 'members' | 'family') {
      return auditedTransaction(ctx, actor, 'meeting.minutes-export', async (trx, now) => {
        if (!isUuid(meetingId)) return notFound('meeting.minutes-export', meetingId)
        const tac = await tacInReach(trx, actor, tacId, now)
        if (!tac) return notFound('meeting.minutes-export', meetingId)
        const d = await details(trx, tac, meetingId)
        if (!d) return notFound('meeting.minutes-export', meetingId)
        if (audience === 'family' && d.meeting.minutes_status !== 'approved') throw new RefusedError('The family’s copy can be printed once the chair has approved the minutes')
        return { result: { tac, ...d }, audit: ok('meeting.minutes-export', tac, meetingId, { format: 'pdf', audience }) }
      })
    },
  }
}
