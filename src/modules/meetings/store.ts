// Scheduling a meeting of a team around the child, used by the meetings pages and by the child-protection and
// exploitation pages (strategy discussions, conferences, core groups, MACE panels are meetings like any other:
// the meeting page records their attendance, decisions, minutes and actions). Runs in the caller's audited
// transaction; the caller has checked the team may be changed (tacForChange).
import { randomUUID } from 'node:crypto'
import type { Transaction } from 'kysely'
import { ROLE_LABELS, isRole } from '../../access/policy.ts'
import type { Actor } from '../../data/actor.ts'
import { notifyMemberships } from '../../data/notify.ts'
import { tacMembersInPostQuery } from '../../data/memberships.ts'
import type { DB, MeetingKind } from '../../data/schema.ts'
import { RefusedError } from '../../data/unit-of-work.ts'
import { formatDateTime } from '../../platform/http/render.ts'
import { writeTacEntries, type TacAccess } from '../tac/access.ts'

export const MEETING_KIND_LABELS: Record<MeetingKind, string> = {
  team: 'Team around the child meeting',
  review: 'Review meeting',
  strategy_discussion: 'Strategy discussion',
  icpc: 'Initial child protection conference',
  review_conference: 'Review child protection conference',
  core_group: 'Core group meeting',
  mace_panel: 'Exploitation (MACE) panel',
}

export type MeetingMode = 'in_person' | 'online' | 'phone'
export const MODE_LABELS: Record<MeetingMode, string> = { in_person: 'In person', online: 'Online', phone: 'By phone' }
export type Attendance = 'invited' | 'present' | 'apologies' | 'absent'
export const ATTENDANCE_LABELS: Record<Attendance, string> = { invited: 'Not recorded yet', present: 'Present', apologies: 'Sent apologies', absent: 'Absent' }

export interface OtherInvitee {
  name: string
  role: string
  /** The organisation, or 'Family' for the child's family. */
  agency: string
}

export interface ScheduleMeeting {
  kind: MeetingKind
  title: string
  scheduledAt: Date
  mode: MeetingMode
  place: string
  agenda: string
  chairMembershipId: string
  /** Joined members of the team to invite (the chair is always invited). */
  inviteMembershipIds: string[]
  others: OtherInvitee[]
}

/** The joined members of the team in post, with the labels an invitation records (agency, role in the team). */
export function teamMembers(trx: Transaction<DB>, partnershipId: string, tacId: string, now: Date) {
  return tacMembersInPostQuery(trx, partnershipId, tacId, now)
    .innerJoin('agency as a', 'a.id', 'm.agency_id')
    .select(['tm.membership_id', 'tm.team_role', 'm.role', 'p.given_name', 'p.family_name', 'a.name as agency_name'])
    .orderBy('p.family_name')
    .orderBy('p.given_name')
    .execute()
}

export function roleLabelOf(role: string, teamRole: string): string {
  const base = isRole(role) ? ROLE_LABELS[role] : role
  return teamRole && !['member', 'started the team'].includes(teamRole.toLowerCase()) && teamRole.toLowerCase() !== base.toLowerCase() ? `${base} (${teamRole.toLowerCase()})` : base
}

/**
 * Schedules a meeting, invites the members and others named, notifies the practitioners invited (the email carries
 * no personal data), and writes a low-significance 'meeting_scheduled' entry for each child of the team.
 */
export async function scheduleMeeting(trx: Transaction<DB>, actor: Actor, now: Date, tac: TacAccess, input: ScheduleMeeting): Promise<string> {
  const members = await teamMembers(trx, actor.partnershipId, tac.id, now)
  const byId = new Map(members.map((m) => [m.membership_id, m]))
  if (!byId.has(input.chairMembershipId)) throw new RefusedError('The chair must be a member of the team')
  const unknown = input.inviteMembershipIds.filter((m) => !byId.has(m))
  if (unknown.length) throw new RefusedError('Only members of the team can be invited from the list: invite others by name')
  if (input.mode === 'in_person' && !input.place.trim()) throw new RefusedError('Enter where the meeting will take place')
  const id = randomUUID()
  await trx
    .insertInto('meeting')
    .values({
      id,
      partnership_id: actor.partnershipId,
      tac_id: tac.id,
      kind: input.kind,
      title: input.title,
      scheduled_at: input.scheduledAt,
      mode: input.mode,
      place: input.place,
      agenda: input.agenda,
      chair_membership_id: input.chairMembershipId,
      created_by: actor.membershipId,
      created_at: now,
    })
    .execute()
  const invited = [...new Set([input.chairMembershipId, ...input.inviteMembershipIds])]
  const rows = [
    ...invited.map((mid) => {
      const m = byId.get(mid)!
      return { id: randomUUID(), partnership_id: actor.partnershipId, meeting_id: id, membership_id: mid, name: `${m.given_name} ${m.family_name}`, agency_label: m.agency_name, role_label: roleLabelOf(m.role, m.team_role) }
    }),
    ...input.others.map((o) => ({ id: randomUUID(), partnership_id: actor.partnershipId, meeting_id: id, membership_id: null, name: o.name, agency_label: o.agency, role_label: o.role })),
  ]
  if (rows.length) await trx.insertInto('meeting_invitee').values(rows).execute()
  await notifyMemberships(
    trx,
    actor.partnershipId,
    invited.filter((m) => m !== actor.membershipId),
    { kind: 'meeting.invited', subjectType: 'meeting', subjectId: id, link: `/teams/${tac.id}/meetings/${id}` },
    now,
  )
  await writeTacEntries(trx, actor, now, tac.childIds, {
    type: 'meeting_scheduled',
    summary: `${MEETING_KIND_LABELS[input.kind]} arranged for ${formatDateTime(input.scheduledAt)} (${MODE_LABELS[input.mode].toLowerCase()}); ${rows.length} invited.`,
    significance: 'low',
    occurredAt: now,
    detailType: 'meeting',
    detailId: id,
  })
  return id
}
