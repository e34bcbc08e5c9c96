// Information requests between agencies: the rules that are data or arithmetic, apart from the repository so the
// pages, the API and the tests share them. Due times follow statutory-clocks.md ("Counting"): a standard request is
// due at 17:00 on the partnership's N-th working day after the day it counts on (default 3); an urgent one at 17:00 on
// the day it counts on — the same working day, or the next working day when asked outside working hours.
import type { Transaction } from 'kysely'
import { z } from 'zod'
import { INFORMATION_REQUEST_ANSWERERS, type Role } from '../../access/policy.ts'
import type { ClockPort } from '../../data/clock-port.ts'
import { inPost, membershipsWithRoles } from '../../data/memberships.ts'
import type { AgencyKind, DB, RequestUrgency } from '../../data/schema.ts'
import { setting } from '../tac/access.ts'

export const REQUEST_SUBJECT = 'information_request'
export const RULE_FOR: Record<RequestUrgency, 'IR' | 'IRU'> = { standard: 'IR', urgent: 'IRU' }
export const RESPONSE_SETTING = 'requests.response_working_days'
export const DEFAULT_RESPONSE_WORKING_DAYS = 3
/** Entry types: the request asked (or withdrawn), and what an agency shared in answer. */
export const ASKED_ENTRY = 'information_request'
export const ANSWER_ENTRY = 'information_shared'
/** How many entries one answer may carry. */
export const MAX_ANSWER_ENTRIES = 10

export const URGENCY_LABELS: Record<RequestUrgency, string> = {
  urgent: 'Urgent: by the end of the working day',
  standard: 'Standard',
}

/** Why a request is withdrawn: the page's withdraw form (withdrawReason) and the API's body (reason) check it alike. */
export const withdrawReasonField = z
  .string({ message: 'Say why you are withdrawing the request' })
  .trim()
  .min(1, 'Say why you are withdrawing the request')
  .max(5000, 'Must be 5,000 characters or fewer')

export const STATUS_LABELS = { open: 'Waiting for an answer', answered: 'Answered', declined: 'Declined', withdrawn: 'Withdrawn' } as const

/** The partnership's response time for a standard request, in working days (a whole number 1–20, else 3). */
export async function responseWorkingDays(trx: Transaction<DB>, partnershipId: string): Promise<number> {
  const raw = await setting<unknown>(trx, partnershipId, RESPONSE_SETTING, DEFAULT_RESPONSE_WORKING_DAYS)
  const n = typeof raw === 'string' ? Number(raw.trim()) : raw
  return typeof n === 'number' && Number.isInteger(n) && n >= 1 && n <= 20 ? n : DEFAULT_RESPONSE_WORKING_DAYS
}

/** When a request asked at `at` is due. */
export async function requestDueAt(trx: Transaction<DB>, clocks: ClockPort, partnershipId: string, urgency: RequestUrgency, at: Date): Promise<Date> {
  const n = urgency === 'urgent' ? 0 : await responseWorkingDays(trx, partnershipId)
  return clocks.addWorkingDays(trx, partnershipId, at, n)
}

/** The roles that answer for an agency of this kind (none: the agency cannot be asked through TeamAround). */
export function answeringRoles(kind: AgencyKind): readonly Role[] {
  return INFORMATION_REQUEST_ANSWERERS[kind] ?? []
}

export function answers(kind: AgencyKind, role: Role): boolean {
  return answeringRoles(kind).includes(role)
}

/** The roles an overdue request escalates to in an agency of this kind: its team managers, and a school's headteacher. */
export function escalationManagerRoles(kind: AgencyKind): readonly Role[] {
  return kind === 'school' ? ['team_manager', 'headteacher'] : ['team_manager']
}

/**
 * Whom an overdue request escalates to when the manager it names is no longer in post (their membership ended, or
 * their account disabled): the managers in post of the same agency (escalationManagerRoles). The named manager's
 * agency comes back too, and whether they are in post (then nobody stands in: `managers` is empty).
 */
export async function escalationStandIns(trx: Transaction<DB>, partnershipId: string, namedMembershipId: string, now: Date) {
  const named = await trx
    .selectFrom('membership as m')
    .innerJoin('agency as a', 'a.id', 'm.agency_id')
    .select(['m.agency_id', 'a.kind', 'a.name'])
    .where('m.partnership_id', '=', partnershipId)
    .where('m.id', '=', namedMembershipId)
    .executeTakeFirst()
  if (!named) return { agencyId: null, agencyName: null, inPost: false, managers: [] as string[] }
  const namedInPost = await inPost(trx, partnershipId, namedMembershipId, now)
  const managers = namedInPost ? [] : (await membershipsWithRoles(trx, partnershipId, named.agency_id, escalationManagerRoles(named.kind), now)).map((m) => m.id)
  return { agencyId: named.agency_id, agencyName: named.name, inPost: namedInPost, managers }
}
