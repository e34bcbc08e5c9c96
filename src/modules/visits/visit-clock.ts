// The statutory visit clock (CPV) of a child on a child protection plan: the next visit is due the partnership's
// number of working days (partnership_setting 'cp.visit_working_days', default 10) after the plan starts, then
// after each statutory visit. Runs in the caller's audited transaction; the CP route calls startVisitClock when a
// plan starts, the visits module after each statutory visit.
import type { Transaction } from 'kysely'
import type { Actor } from '../../data/actor.ts'
import type { ClockPort } from '../../data/clock-port.ts'
import type { DB } from '../../data/schema.ts'
import { clockPort } from '../calendar/clocks.ts'
import { setting, teamManagerOf } from '../tac/access.ts'

export const VISIT_RULE = 'CPV'
export const VISIT_SUBJECT = 'cp_plan.visit'
export const VISIT_SETTING = 'cp.visit_working_days'
export const DEFAULT_VISIT_WORKING_DAYS = 10

/** The partnership's visit frequency in working days (a whole number 1–60; anything else falls back to 10). */
export async function visitWorkingDays(trx: Transaction<DB>, partnershipId: string): Promise<number> {
  const raw = await setting<unknown>(trx, partnershipId, VISIT_SETTING, DEFAULT_VISIT_WORKING_DAYS)
  const n = typeof raw === 'string' ? Number(raw.trim()) : raw
  return typeof n === 'number' && Number.isInteger(n) && n >= 1 && n <= 60 ? n : DEFAULT_VISIT_WORKING_DAYS
}

/**
 * Starts the clock for the next statutory visit of a child on a CP plan, counted from `from` (the plan's start, or
 * the last visit). Overdue visits escalate to the manager of the actor's team (or the actor, when they have none).
 */
export async function startVisitClock(trx: Transaction<DB>, actor: Actor, cpPlanId: string, childId: string, from: Date, clocks: ClockPort = clockPort): Promise<{ id: string; dueAt: Date }> {
  const n = await visitWorkingDays(trx, actor.partnershipId)
  const dueAt = await clocks.addWorkingDays(trx, actor.partnershipId, from, n)
  const escalateTo = (await teamManagerOf(trx, actor, from)) ?? actor.membershipId
  return clocks.start(trx, { partnershipId: actor.partnershipId, rule: VISIT_RULE, childId, subjectType: VISIT_SUBJECT, subjectId: cpPlanId, startedAt: from, dueAt, escalateToMembershipId: escalateTo })
}

/** When a CP plan ends, its visit clock stops (with the reason); the CP route calls this as it ends the plan. */
export async function stopVisitClock(trx: Transaction<DB>, partnershipId: string, cpPlanId: string, at: Date, reason: string): Promise<void> {
  await trx
    .updateTable('clock')
    .set({ state: 'stopped', met_at: at, reason })
    .where('partnership_id', '=', partnershipId)
    .where('subject_type', '=', VISIT_SUBJECT)
    .where('subject_id', '=', cpPlanId)
    .where('rule', '=', VISIT_RULE)
    .where('state', 'in', ['running', 'overdue'])
    .execute()
}
