// Stored statutory clocks on the partnership's calendars (the ClockPort the capabilities use). Every function
// runs inside the caller's audited transaction and takes business time from the injected clock.
import fs from 'node:fs'
import path from 'node:path'
import { randomUUID } from 'node:crypto'
import { sql, type Kysely, type Transaction } from 'kysely'
import type { ClockPort, StartClock } from '../../data/clock-port.ts'
import type { DB } from '../../data/schema.ts'
import { FieldRefusedError } from '../../data/unit-of-work.ts'
import { addHours, addMonths, addSchoolDays, addWorkingDays, calendar, DEFAULT_SCHOOL_START, isWorkingTime, nextSchoolDayStart, type Calendar, type SchoolCalendar } from './calendar.ts'

/** The rules and how they count (statutory-clocks.md); partnerships may override the numbers. */
export const RULES: Record<string, { label: string; count: 'working_days' | 'school_days' | 'hours' | 'months' | 'given'; n: number }> = {
  R1: { label: 'Front door decision (1 working day)', count: 'working_days', n: 1 },
  R2: { label: 'Referrer told the decision (1 working day)', count: 'working_days', n: 1 },
  R3: { label: 'Assessment completed (45 working days)', count: 'working_days', n: 45 },
  R5: { label: 'Initial child protection conference (15 working days)', count: 'working_days', n: 15 },
  R6: { label: 'First core group (10 working days)', count: 'working_days', n: 10 },
  R7: { label: 'First review conference (3 months after the initial conference)', count: 'months', n: 3 },
  R7R: { label: 'Review conference (6 months after the last)', count: 'months', n: 6 },
  CPV: { label: 'Statutory visit to a child on a child protection plan (10 working days)', count: 'working_days', n: 10 },
  CG: { label: 'Core group (every 6 weeks after the first)', count: 'hours', n: 6 * 7 * 24 },
  R9: { label: 'Child protection file to the new school (5 school days)', count: 'school_days', n: 5 },
  R12: { label: 'Operation Encompass notice before the next school day', count: 'given', n: 0 },
  R13: { label: 'Return home interview offered (72 hours)', count: 'hours', n: 72 },
  R21: { label: 'Team around the child review (on the date the team set)', count: 'given', n: 0 },
  R22: { label: 'Exploitation (MACE) review (12 weeks)', count: 'hours', n: 12 * 7 * 24 },
  CH: { label: 'Challenge to a front door decision answered (2 working days)', count: 'working_days', n: 2 },
  IR: { label: 'Information request answered (3 working days; the partnership may set its own number)', count: 'working_days', n: 3 },
  IRU: { label: 'Urgent information request answered (by the end of the working day)', count: 'working_days', n: 0 },
  SAR: { label: 'Subject access request answered (one calendar month; three for a complex request, extended with the reason)', count: 'months', n: 1 },
}

export const BANK_HOLIDAYS: { date: string; title: string }[] = (
  JSON.parse(fs.readFileSync(path.join(import.meta.dirname, 'data/bank-holidays-england-wales.json'), 'utf8')) as { events: { date: string; title: string }[] }
).events

/** A new partnership starts with England and Wales' bank holidays; an administrator can change them. */
export async function insertBankHolidays(db: Kysely<DB> | Transaction<DB>, partnershipId: string): Promise<void> {
  await db
    .insertInto('bank_holiday')
    .values(BANK_HOLIDAYS.map((h) => ({ partnership_id: partnershipId, on_date: h.date, name: h.title })))
    .onConflict((oc) => oc.doNothing())
    .execute()
}

export async function loadCalendar(db: Kysely<DB> | Transaction<DB>, partnershipId: string, schoolIds: readonly string[] = []): Promise<Calendar> {
  const [holidays, terms, closures, starts] = await Promise.all([
    db.selectFrom('bank_holiday').select('on_date').where('partnership_id', '=', partnershipId).execute(),
    schoolIds.length ? db.selectFrom('school_term').select(['school_agency_id', 'starts_on', 'ends_on']).where('partnership_id', '=', partnershipId).where('school_agency_id', 'in', schoolIds).orderBy('starts_on').execute() : [],
    schoolIds.length ? db.selectFrom('school_closure').select(['school_agency_id', 'on_date']).where('partnership_id', '=', partnershipId).where('school_agency_id', 'in', schoolIds).execute() : [],
    schoolIds.length ? db.selectFrom('agency').select(['id', 'school_start_of_day']).where('partnership_id', '=', partnershipId).where('id', 'in', schoolIds).execute() : [],
  ])
  const schools = new Map<string, SchoolCalendar>()
  for (const id of schoolIds) {
    schools.set(id, {
      terms: terms.filter((t) => t.school_agency_id === id).map((t) => [t.starts_on, t.ends_on] as const),
      closures: new Set(closures.filter((c) => c.school_agency_id === id).map((c) => c.on_date)),
      startOfDay: starts.find((s) => s.id === id)?.school_start_of_day?.slice(0, 5) ?? DEFAULT_SCHOOL_START,
    })
  }
  return calendar(
    holidays.map((h) => h.on_date),
    schools,
  )
}

export function dueFor(cal: Calendar, rule: string, startedAt: Date, schoolId?: string | null): Date {
  const r = RULES[rule]
  if (!r) throw new Error(`unknown clock rule ${rule}`)
  switch (r.count) {
    case 'working_days':
      return addWorkingDays(cal, startedAt, r.n)
    case 'school_days':
      if (!schoolId) throw new Error(`rule ${rule} counts school days: name the school`)
      return addSchoolDays(cal, schoolId, startedAt, r.n)
    case 'hours':
      return addHours(startedAt, r.n)
    case 'months':
      return addMonths(startedAt, r.n)
    default:
      throw new Error(`rule ${rule} needs an explicit due time`)
  }
}

export const clockPort: ClockPort = {
  async isWorkingTime(trx, partnershipId, at) {
    return isWorkingTime(await loadCalendar(trx, partnershipId), at)
  },
  async addWorkingDays(trx, partnershipId, from, n) {
    return addWorkingDays(await loadCalendar(trx, partnershipId), from, n)
  },
  async nextSchoolDayStart(trx, partnershipId, schoolId, from) {
    return nextSchoolDayStart(await loadCalendar(trx, partnershipId, [schoolId]), schoolId, from)
  },
  async start(trx, c: StartClock) {
    if (c.keepRunning) {
      const kept = await trx.selectFrom('clock').select(['id', 'due_at']).where('partnership_id', '=', c.partnershipId).where('subject_type', '=', c.subjectType).where('subject_id', '=', c.subjectId).where('rule', '=', c.rule).where('state', 'in', ['running', 'overdue']).executeTakeFirst()
      if (kept) return { id: kept.id, dueAt: kept.due_at }
    }
    const dueAt = c.dueAt ?? dueFor(await loadCalendar(trx, c.partnershipId, c.schoolId ? [c.schoolId] : []), c.rule, c.startedAt, c.schoolId)
    const id = randomUUID()
    // a subject has one running clock per rule: a restarted clock (e.g. a reopened referral) replaces the old one
    await trx
      .updateTable('clock')
      .set({ state: 'stopped', reason: 'restarted', met_at: c.startedAt })
      .where('partnership_id', '=', c.partnershipId)
      .where('subject_type', '=', c.subjectType)
      .where('subject_id', '=', c.subjectId)
      .where('rule', '=', c.rule)
      .where('state', 'in', ['running', 'overdue'])
      .execute()
    await trx
      .insertInto('clock')
      .values({ id, partnership_id: c.partnershipId, rule: c.rule, child_id: c.childId, subject_type: c.subjectType, subject_id: c.subjectId, started_at: c.startedAt, due_at: dueAt, escalate_to_membership_id: c.escalateToMembershipId ?? null, created_at: c.startedAt })
      .execute()
    return { id, dueAt }
  },
  async meet(trx, partnershipId, subjectType, subjectId, at, reason, lateMessage) {
    const open = await trx.selectFrom('clock').select(['id', 'due_at', 'rule']).where('partnership_id', '=', partnershipId).where('subject_type', '=', subjectType).where('subject_id', '=', subjectId).where('state', 'in', ['running', 'overdue']).execute()
    for (const c of open) {
      const late = at > c.due_at
      // refused on the step's late-reason field (its form's and API body's `lateReason`); the caller's transaction, and
      // so the whole step, writes nothing
      if (late && !reason) throw new FieldRefusedError(lateMessage ?? `${RULES[c.rule]?.label ?? c.rule}: the timescale was missed — record the reason it is late`, 'lateReason')
      await trx.updateTable('clock').set({ state: late ? 'met_late' : 'met', met_at: at, reason: late ? reason! : null }).where('id', '=', c.id).execute()
    }
  },
  async due(trx, partnershipId, subjectType, subjectId, rule) {
    const c = await trx.selectFrom('clock').select('due_at').where('partnership_id', '=', partnershipId).where('subject_type', '=', subjectType).where('subject_id', '=', subjectId).where('rule', '=', rule).orderBy('created_at', 'desc').limit(1).executeTakeFirst()
    return c?.due_at ?? null
  },
  async runningSince(trx, partnershipId, subjectType, subjectId) {
    const c = await trx.selectFrom('clock').select((eb) => eb.fn.max('started_at').as('since')).where('partnership_id', '=', partnershipId).where('subject_type', '=', subjectType).where('subject_id', '=', subjectId).where('state', 'in', ['running', 'overdue']).executeTakeFirst()
    return c?.since ?? null
  },
  dueExpression(rule, subjectRef = 'f.id') {
    return sql<Date | null>`(select k.due_at from clock k where k.subject_id = ${sql.ref(subjectRef)} and k.rule = ${rule} and k.state in ('running', 'overdue') order by k.created_at desc limit 1)`
  },
}

/** Late or overdue: whether a clock's timescale was missed at `at`. */
export function lateAt(dueAt: Date, at: Date): boolean {
  return at > dueAt
}
