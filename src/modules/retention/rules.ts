// Retention dates (rule R17: school safeguarding records are kept until the child's date of birth + 25 years, then
// reviewed; a legal hold overrides). Pure functions: the job, the pages and the tests share them.
//
// - The anchor is the child's date of birth; for an unborn child, the expected date of birth; a child with neither
//   (the database does not allow it today, but an import might one day) falls back to the date the record was
//   created. The same anchor serves every record of the child: a record's retention date is per child and type.
// - Years per record type come from the partnership setting `retention.years`, a JSON object such as
//   {"entry": 25, "concern": 25, "identity": 25}; a missing or invalid value is the default (25).
// - A 29 February anchor in a year that is not a leap year gives 1 March (the record is kept the full term).
// - The child's identity is anonymised last: its date is the latest of its own and every other type's date.
import type { RetentionRecordType } from '../../data/schema.ts'

export const RETENTION_SETTING_KEY = 'retention.years'
export const DEFAULT_RETENTION_YEARS = 25
export const MIN_RETENTION_YEARS = 1
export const MAX_RETENTION_YEARS = 100

export const RETENTION_TYPES: readonly { code: RetentionRecordType; label: string; action: string }[] = [
  { code: 'entry', label: 'Chronology entries', action: 'Summary replaced with “[removed under retention on DATE]”' },
  { code: 'concern', label: 'Concerns', action: 'What was seen or heard replaced; the child’s words, location, other children and body map cleared' },
  { code: 'identity', label: 'The child’s identity', action: 'Name replaced, identifiers cleared; other names, addresses and family members deleted (date of birth kept as the anchor)' },
]

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
  return { entry: one('entry'), concern: one('concern'), identity: one('identity') }
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
  const entry = addYears(anchor, years.entry)
  const concern = addYears(anchor, years.concern)
  const own = addYears(anchor, years.identity)
  const identity = [entry, concern, own].sort().at(-1)!
  return { entry, concern, identity }
}

/** Is a retention date reached on `today` (both London dates)? The record may go on its retention date. */
export const isDue = (retentionDate: string, today: string): boolean => retentionDate <= today

export const removedText = (today: string): string => `[removed under retention on ${today}]`

export const ANCHOR_LABELS: Record<AnchorBasis, string> = {
  date_of_birth: 'date of birth',
  expected_date_of_birth: 'expected date of birth (unborn)',
  created: 'date the record was created (no date of birth)',
}
