// Starting a team around the child, used by the team pages and by the exploitation panel (a MACE plan is a team
// plan like any other). Runs in the caller's audited transaction; the caller has checked the children are in reach.
import { randomUUID } from 'node:crypto'
import type { Transaction } from 'kysely'
import type { Actor } from '../../data/actor.ts'
import { notifyMemberships } from '../../data/notify.ts'
import type { DB, TacLevel } from '../../data/schema.ts'
import { sql } from 'kysely'
import { closeAssessmentsWithTeam } from '../assessments/repository.ts'
import { endTeamRelationships, grantTeamRelationships, LEVEL_LABELS, writeTacEntries } from './access.ts'

export interface StartTac {
  childIds: string[]
  level: TacLevel
  leadMembershipId: string
  leadRole: string
  reason: string
  mace?: boolean
}

export async function startTac(trx: Transaction<DB>, actor: Actor, now: Date, input: StartTac): Promise<string> {
  const id = randomUUID()
  await trx
    .insertInto('tac')
    .values({ id, partnership_id: actor.partnershipId, level: input.level, mace: input.mace ?? false, lead_membership_id: input.leadMembershipId, started_by_membership_id: actor.membershipId, started_at: now, reason: input.reason, created_at: now })
    .execute()
  await trx.insertInto('tac_child').values(input.childIds.map((child_id) => ({ partnership_id: actor.partnershipId, tac_id: id, child_id }))).execute()
  await trx.insertInto('level_change').values({ id: randomUUID(), partnership_id: actor.partnershipId, tac_id: id, from_level: null, to_level: input.level, kind: input.mace ? 'mace' : 'start', reason: input.reason, decided_by: actor.membershipId, decided_at: now }).execute()
  // the lead is a member from the start; whoever started it (if not the lead) joins too
  const members = [...new Set([input.leadMembershipId, actor.membershipId])]
  for (const m of members) {
    await trx
      .insertInto('tac_member')
      .values({ id: randomUUID(), partnership_id: actor.partnershipId, tac_id: id, membership_id: m, team_role: m === input.leadMembershipId ? input.leadRole || 'Lead practitioner' : 'Started the team', status: 'joined', invited_by: actor.membershipId, invited_at: now, joined_at: now })
      .execute()
    await grantTeamRelationships(trx, actor.partnershipId, id, m, input.childIds, now, actor.membershipId)
  }
  await writeTacEntries(trx, actor, now, input.childIds, {
    type: 'tac_started',
    summary: `${input.mace ? 'Exploitation (MACE) plan' : `Team around the child started (${LEVEL_LABELS[input.level].toLowerCase()})`}: ${input.reason}`,
    significance: input.level === 'child_protection' ? 'high' : 'medium',
    occurredAt: now,
    detailType: 'tac',
    detailId: id,
  })
  if (input.leadMembershipId !== actor.membershipId) {
    await notifyMemberships(trx, actor.partnershipId, [input.leadMembershipId], { kind: 'tac.lead', subjectType: 'tac', subjectId: id, link: `/teams/${id}` }, now)
  }
  return id
}

/**
 * Whether a child protection plan is in place on the team. Only a review conference ends a plan, and the team is its
 * core group: while one is in place the team is not closed (by its page, or by the exploitation panel stepping out).
 */
export async function cpPlanInPlace(trx: Transaction<DB>, partnershipId: string, tacId: string): Promise<boolean> {
  return Boolean(await trx.selectFrom('cp_plan').select('id').where('partnership_id', '=', partnershipId).where('tac_id', '=', tacId).where('ended_at', 'is', null).executeTakeFirst())
}

/**
 * Closes a team with a reason: the level history records it, every team relationship ends (members keep a child's
 * record only through their other relationships), invitations lapse, assessments still in progress are closed with
 * the team (each with its chronology entry), and clocks still running on the team's work (the team's own, its
 * assessments', its s47 enquiries') stop with the reason. Used by the team page and the panel; answers the ids of
 * the assessments it closed (for the caller's audit row).
 */
export async function closeTac(trx: Transaction<DB>, actor: Actor, now: Date, tac: { id: string; level: TacLevel; childIds: readonly string[] }, reason: string, at: Date = now): Promise<{ closedAssessments: string[] }> {
  await trx.updateTable('tac').set({ status: 'closed', closed_at: at, closure_reason: reason, next_review_on: null, row_version: sql`row_version + 1` }).where('id', '=', tac.id).execute()
  await trx.insertInto('level_change').values({ id: randomUUID(), partnership_id: actor.partnershipId, tac_id: tac.id, from_level: tac.level, to_level: null, kind: 'close', reason, decided_by: actor.membershipId, decided_at: at }).execute()
  await endTeamRelationships(trx, actor.partnershipId, tac.id, null, now)
  await trx.updateTable('tac_member').set({ status: 'left', left_at: now, left_reason: 'The team closed' }).where('tac_id', '=', tac.id).where('status', 'in', ['joined', 'invited']).execute()
  const closedAssessments = await closeAssessmentsWithTeam(trx, actor, now, tac.id, reason, at)
  await trx
    .updateTable('clock')
    .set({ state: 'stopped', reason: 'The team closed', met_at: at })
    .where('partnership_id', '=', actor.partnershipId)
    .where('state', 'in', ['running', 'overdue'])
    .where((eb) =>
      eb.or([
        eb('subject_id', '=', tac.id),
        eb('subject_id', 'in', eb.selectFrom('assessment').select('id').where('tac_id', '=', tac.id)),
        eb('subject_id', 'in', eb.selectFrom('cp_enquiry').select('id').where('tac_id', '=', tac.id)),
      ]),
    )
    .execute()
  await writeTacEntries(trx, actor, now, tac.childIds, { type: 'tac_closed', summary: `Team around the child closed (${LEVEL_LABELS[tac.level].toLowerCase()}): ${reason}`, significance: 'medium', occurredAt: at, detailType: 'tac', detailId: tac.id })
  return { closedAssessments }
}
