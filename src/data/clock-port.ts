// What capabilities need of the statutory clocks (src/modules/clocks): calendars and stored clocks, used inside
// the caller's audited transaction with the injected business time.
import type { RawBuilder, Transaction } from 'kysely'
import type { DB } from './schema.ts'

export interface StartClock {
  partnershipId: string
  rule: string
  childId: string | null
  subjectType: string
  subjectId: string
  startedAt: Date
  /** Overrides the rule's computed due time (e.g. a school's start of day). */
  dueAt?: Date
  escalateToMembershipId?: string | null
  /** For rules counted in school days: whose calendar (the sending school's, for file transfers). */
  schoolId?: string | null
  /**
   * A clock of this rule already running for the subject is kept, not restarted (e.g. R2 when a returned decision is
   * made again: the referrer has been waiting since the first). Its due time is returned.
   */
  keepRunning?: boolean
}

export interface ClockPort {
  isWorkingTime(trx: Transaction<DB>, partnershipId: string, at: Date): Promise<boolean>
  addWorkingDays(trx: Transaction<DB>, partnershipId: string, from: Date, n: number): Promise<Date>
  nextSchoolDayStart(trx: Transaction<DB>, partnershipId: string, schoolAgencyId: string, from: Date): Promise<Date>
  start(trx: Transaction<DB>, c: StartClock): Promise<{ id: string; dueAt: Date }>
  /**
   * Meets the running clock(s) of a subject: met, or met late (a reason is then required). A late step without its
   * reason is refused on the form's late-reason field (FieldRefusedError on `lateReason`: the page shows the message
   * beside it, the API names it), nothing written; `lateMessage` is the step's own wording, else the clock's rule says
   * it ("<rule>: the timescale was missed — record the reason it is late").
   */
  meet(trx: Transaction<DB>, partnershipId: string, subjectType: string, subjectId: string, at: Date, reason?: string | null, lateMessage?: string): Promise<void>
  due(trx: Transaction<DB>, partnershipId: string, subjectType: string, subjectId: string, rule: string): Promise<Date | null>
  /** When the subject's running (or overdue) clock started — the step the next one follows — or null when none runs. */
  runningSince(trx: Transaction<DB>, partnershipId: string, subjectType: string, subjectId: string): Promise<Date | null>
  /** The due time of a subject's running clock, as a correlated subquery on `subjectRef` (default `f.id`). */
  dueExpression(rule: string, subjectRef?: string): RawBuilder<Date | null>
}
