// Retention dates (rule R17: school safeguarding records are kept until the child's date of birth + 25 years, then
// reviewed; a legal hold overrides). Pure functions: the job, the pages and the tests share them.
//
// - The anchor is the child's date of birth; for an unborn child, the expected date of birth; a child with neither
//   (the database does not allow it today, but an import might one day) falls back to the date the record was
//   created. The same anchor serves every record of the child: a record's retention date is per child and type.
// - Years per record type come from the partnership setting `retention.years`, a JSON object such as
//   {"entry": 25, "concern": 25, "referral": 25, …, "identity": 25}; a missing or invalid value is the default (25).
// - A 29 February anchor in a year that is not a leap year gives 1 March (the record is kept the full term).
// - The child's identity is anonymised last: its date is the latest of its own and every other type's date.
// - Records of a team around the child belong to all its children: they fall due when every child's date has.
import type { RetentionRecordType } from '../../data/schema.ts'

export const RETENTION_SETTING_KEY = 'retention.years'
export const DEFAULT_RETENTION_YEARS = 25
export const MIN_RETENTION_YEARS = 1
export const MAX_RETENTION_YEARS = 100

/** Every record type the job acts on, in the order the pages list them; the identity is always last. */
export const RETENTION_TYPES: readonly { code: RetentionRecordType; label: string; action: string }[] = [
  { code: 'entry', label: 'Chronology entries', action: 'Summary replaced with “[removed under retention on DATE]”' },
  { code: 'concern', label: 'Concerns', action: 'What was seen or heard and the triage reasons replaced; the child’s words, location, other children and body map cleared' },
  { code: 'referral', label: 'Referrals and contacts', action: 'The referrer’s details, reasons, rationale, checks and challenges replaced' },
  { code: 'consultation', label: 'Consultations', action: 'The question, advice and next step replaced' },
  { code: 'information_request', label: 'Information requests', action: 'The question and the answer’s note replaced' },
  { code: 'sharing_decision', label: 'Sharing decisions', action: 'What was shared, with whom and the reasons replaced; the lawful basis and consent kept' },
  { code: 'assessment', label: 'Assessments', action: 'Views, analysis, recommendation, domains and contributions replaced' },
  { code: 'plan', label: 'The child’s plan outcomes', action: 'Outcomes and their measures replaced' },
  {
    code: 'team_around_the_child',
    label: 'Team around the child records',
    action: 'Meetings, minutes, decisions, actions, reviews, plan versions and family members replaced, once every child in the team has reached this date',
  },
  { code: 'cp', label: 'Child protection enquiries and plans', action: 'Decision, outcome and end reasons replaced' },
  { code: 'visit', label: 'Visits and oversight notes', action: 'What was seen, said and agreed, and the notes, replaced' },
  { code: 'missing', label: 'Missing episodes', action: 'Circumstances, where found and what the child said replaced' },
  { code: 'exploitation', label: 'Exploitation screenings and MACE referrals', action: 'Notes, links, reasons and attendees replaced' },
  { code: 'notice', label: 'Operation Encompass notices and risk signals', action: 'The notice, the school’s response and signal responses replaced' },
  { code: 'subject_access', label: 'Subject access requests and disputes', action: 'Requester’s details, item content, statements and responses replaced' },
  { code: 'transfer', label: 'Child-protection file transfers', action: 'Contacts and notes replaced; any encrypted export emptied' },
  { code: 'identity', label: 'The child’s identity', action: 'Name replaced, identifiers cleared, agencies’ record identities anonymised; other names, addresses and family members deleted (date of birth kept as the anchor)' },
]

export const RETENTION_TYPE_LABELS = Object.fromEntries(RETENTION_TYPES.map((t) => [t.code, t.label])) as Record<RetentionRecordType, string>

export type RetentionYears = Record<RetentionRecordType, number>
export type AnchorBasis = 'date_of_birth' | 'expected_date_of_birth' | 'created'

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/

/** Validated years per type: whole numbers from 1 to 100; anything else is the default. */
export function retentionYears(value: unknown): RetentionYears {
  const v = (value && typeof value === 'object' && !Array.isArray(value) ? value : {}) as Record<string, unknown>
  const one = (k: RetentionRecordType) => {
    const n = v[k]
    return typeof n === 'number' && Number.isInteger(n) && n >= MIN_RETENTION_YEARS && n <= MAX_RETENTION_YEARS ? n : DEFAULT_RETENTION_YEARS
  }
  return Object.fromEntries(RETENTION_TYPES.map((t) => [t.code, one(t.code)])) as RetentionYears
}

/** A calendar date plus whole years; 29 February into a common year is 1 March. */
export function addYears(date: string, years: number): string {
  const m = DATE.exec(date)
  if (!m) throw new Error(`not a date: ${date}`)
  const y = Number(m[1]) + years
  const mo = Number(m[2])
  let d = Number(m[3])
  let month = mo
  const leap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0
  if (mo === 2 && d === 29 && !leap) {
    month = 3
    d = 1
  }
  return `${String(y).padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(d).padStart(2, '0')}`
}

/** The date the child's retention runs from, and why. `createdDate` is the London date the record was created. */
export function anchorOf(child: { dateOfBirth: string | null; expectedDateOfBirth: string | null; createdDate: string }): { date: string; basis: AnchorBasis } {
  if (child.dateOfBirth) return { date: child.dateOfBirth, basis: 'date_of_birth' }
  if (child.expectedDateOfBirth) return { date: child.expectedDateOfBirth, basis: 'expected_date_of_birth' }
  return { date: child.createdDate, basis: 'created' }
}

/** Each record type's retention date for a child: the anchor plus the type's years; identity the latest of all. */
export function retentionDates(anchor: string, years: RetentionYears): Record<RetentionRecordType, string> {
  const dates = Object.fromEntries(RETENTION_TYPES.map((t) => [t.code, addYears(anchor, years[t.code])])) as Record<RetentionRecordType, string>
  dates.identity = Object.values(dates).sort().at(-1)!
  return dates
}

/** The earliest of a child's retention dates: when something of theirs first falls due. */
export const firstDate = (dates: Record<RetentionRecordType, string>): string => Object.values(dates).sort()[0]!

/** Is a retention date reached on `today` (both London dates)? The record may go on its retention date. */
export const isDue = (retentionDate: string, today: string): boolean => retentionDate <= today

export const removedText = (today: string): string => `[removed under retention on ${today}]`

export const ANCHOR_LABELS: Record<AnchorBasis, string> = {
  date_of_birth: 'date of birth',
  expected_date_of_birth: 'expected date of birth (unborn)',
  created: 'date the record was created (no date of birth)',
}
