// Validating agency records and entries, one row at a time: the same rules for a CSV row and an API body, so an
// integration and an import refuse the same things with the same reasons.
import { nhsCheckDigit } from '../../data/ids.ts'
import { calendarDateProblem, dateRangeText, isCalendarDate, londonDateTime } from '../../web/dates.ts'
import { parse } from 'csv-parse/sync'
import { ALL_VISIBILITIES } from '../../access/policy.ts'
import type { Significance, Visibility } from '../../data/schema.ts'

/**
 * Records CSV, one row per child the agency holds a record of (header row required, UTF-8, comma-separated):
 *   source_ref     required  the agency's own id for the record (pupil id, person id, nominal id, patient id); unique per agency
 *   given_name     required
 *   family_name    required
 *   date_of_birth  required  YYYY-MM-DD, not in the future, from 1900 to 2100 (the years every date field takes)
 *   sex            optional  female | male | unknown | indeterminate (F / M accepted); blank = unknown
 *   nhs_number     optional  10 digits (spaces allowed) with a valid modulus-11 check digit
 *   upn            optional  unique pupil number: 13 characters, a letter then 11 digits then a digit or letter
 *   postcode       optional  a UK postcode, e.g. NS1 4AB
 *   address        optional  the address as one line
 */
export const RECORD_COLUMNS = ['source_ref', 'given_name', 'family_name', 'date_of_birth', 'sex', 'nhs_number', 'upn', 'postcode', 'address'] as const
export const RECORD_REQUIRED = ['source_ref', 'given_name', 'family_name', 'date_of_birth'] as const

/**
 * Entries CSV, one row per event the agency records about a child it holds a record of:
 *   source_ref     required  the agency record the entry concerns (must already be loaded)
 *   occurred_at    required  YYYY-MM-DD, or an ISO 8601 date and time with an offset (2026-11-20T21:30:00Z); not in the future,
 *                            from 1900 to 2100
 *   type           required  police_incident | health_attendance | missed_appointment | attendance_drop | exclusion
 *   category       optional  the partnership's category (e.g. domestic_abuse, neglect), up to 100 characters
 *   significance   required  low | medium | high | critical
 *   summary        required  up to 2000 characters
 *   visibility     optional  agency | team | front_door | restricted | sealed; blank = team (restricted = this agency only)
 */
export const ENTRY_COLUMNS = ['source_ref', 'occurred_at', 'type', 'category', 'significance', 'summary', 'visibility'] as const
export const ENTRY_REQUIRED = ['source_ref', 'occurred_at', 'type', 'significance', 'summary'] as const
export const ENTRY_TYPES = ['police_incident', 'health_attendance', 'missed_appointment', 'attendance_drop', 'exclusion'] as const
const SIGNIFICANCES: readonly Significance[] = ['low', 'medium', 'high', 'critical']
const SEXES = ['female', 'male', 'unknown', 'indeterminate'] as const
export type Sex = (typeof SEXES)[number]

export interface RecordInput {
  sourceRef: string
  givenName: string
  familyName: string
  dateOfBirth: string
  sex: Sex
  nhsNumber: string | null
  upn: string | null
  postcode: string | null
  address: string | null
}

export interface EntryInput {
  sourceRef: string
  occurredAt: Date
  occurredTimeKnown: boolean
  type: (typeof ENTRY_TYPES)[number]
  category: string | null
  significance: Significance
  summary: string
  visibility: Visibility
}

export type Checked<T> = { ok: true; value: T } | { ok: false; problems: { field: string; reason: string }[] }

/** NHS number: 10 digits, the tenth a modulus-11 check digit over the first nine (weights 10..2); 10 is never valid. */
export function validNhsNumber(s: string): boolean {
  return /^\d{10}$/.test(s) && nhsCheckDigit(s.slice(0, 9)) === Number(s[9])
}

const POSTCODE = /^([A-Z]{1,2}[0-9][A-Z0-9]?) ?([0-9][A-Z]{2})$/


/** A row's date written correctly but in a year outside the years every date field takes: the reason says so, with the range. */
const outOfRange = (value: string) => `"${value}" is out of range: a date must be ${dateRangeText()}`
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d+)?)?(Z|[+-](0\d|1[0-4]):[0-5]\d)$/

const str = (v: unknown) => (typeof v === 'string' ? v.trim() : v === undefined || v === null ? '' : String(v).trim())

/** Each field given as a list or an object (JSON) is a problem: read as text it would be "a,b" or "[object Object]". */
function scalarsOnly(raw: Record<string, unknown>, columns: readonly string[], bad: (field: string, reason: string) => void): void {
  for (const c of columns) if (raw[c] !== null && typeof raw[c] === 'object') bad(c, 'must be text, not a list or an object')
}

export function checkRecord(raw: Record<string, unknown>, now: Date): Checked<RecordInput> {
  const problems: { field: string; reason: string }[] = []
  const bad = (field: string, reason: string) => problems.push({ field, reason })
  const v = Object.fromEntries(RECORD_COLUMNS.map((c) => [c, str(raw[c])])) as Record<(typeof RECORD_COLUMNS)[number], string>
  scalarsOnly(raw, RECORD_COLUMNS, bad)
  for (const f of RECORD_REQUIRED) if (!v[f]) bad(f, 'is required')
  if (v.source_ref.length > 100) bad('source_ref', 'must be 100 characters or fewer')
  if (v.given_name.length > 100) bad('given_name', 'must be 100 characters or fewer')
  if (v.family_name.length > 100) bad('family_name', 'must be 100 characters or fewer')
  const dobProblem = v.date_of_birth ? calendarDateProblem(v.date_of_birth) : null
  if (dobProblem === 'range') bad('date_of_birth', outOfRange(v.date_of_birth))
  else if (dobProblem) bad('date_of_birth', `"${v.date_of_birth}" is not a date as YYYY-MM-DD`)
  // today is today in England: a child born at 00:30 on a summer morning is born on that day, not UTC's day before
  else if (v.date_of_birth && v.date_of_birth > londonDateTime(now).date) bad('date_of_birth', 'is in the future')
  const sexRaw = v.sex.toLowerCase()
  const sex = sexRaw === '' ? 'unknown' : sexRaw === 'f' ? 'female' : sexRaw === 'm' ? 'male' : sexRaw
  if (!(SEXES as readonly string[]).includes(sex)) bad('sex', `"${v.sex}" is not one of female, male, unknown, indeterminate`)
  const nhs = v.nhs_number.replace(/[\s-]/g, '')
  if (nhs && !/^\d{10}$/.test(nhs)) bad('nhs_number', `"${v.nhs_number}" is not 10 digits`)
  else if (nhs && !validNhsNumber(nhs)) bad('nhs_number', `"${v.nhs_number}" fails the NHS number check digit`)
  const upn = v.upn.toUpperCase()
  if (upn && !/^[A-Z]\d{11}[0-9A-Z]$/.test(upn)) bad('upn', `"${v.upn}" is not a unique pupil number (a letter, 11 digits, then a digit or letter)`)
  const pc = v.postcode.toUpperCase().replace(/\s+/g, ' ')
  const m = POSTCODE.exec(pc)
  if (pc && !m) bad('postcode', `"${v.postcode}" is not a UK postcode`)
  if (v.address.length > 500) bad('address', 'must be 500 characters or fewer')
  if (problems.length) return { ok: false, problems }
  return {
    ok: true,
    value: {
      sourceRef: v.source_ref,
      givenName: v.given_name,
      familyName: v.family_name,
      dateOfBirth: v.date_of_birth,
      sex: sex as Sex,
      nhsNumber: nhs || null,
      upn: upn || null,
      postcode: m ? `${m[1]} ${m[2]}` : null,
      address: v.address || null,
    },
  }
}

export function checkEntry(raw: Record<string, unknown>, now: Date, opts: { sealedAllowed: boolean }): Checked<EntryInput> {
  const problems: { field: string; reason: string }[] = []
  const bad = (field: string, reason: string) => problems.push({ field, reason })
  const v = Object.fromEntries(ENTRY_COLUMNS.map((c) => [c, str(raw[c])])) as Record<(typeof ENTRY_COLUMNS)[number], string>
  scalarsOnly(raw, ENTRY_COLUMNS, bad)
  for (const f of ENTRY_REQUIRED) if (!v[f]) bad(f, 'is required')
  if (v.source_ref.length > 100) bad('source_ref', 'must be 100 characters or fewer')
  let occurredAt: Date | null = null
  let occurredTimeKnown = true
  if (v.occurred_at) {
    if (isCalendarDate(v.occurred_at)) {
      occurredAt = new Date(`${v.occurred_at}T12:00:00Z`)
      occurredTimeKnown = false
    } else if (DATE_TIME.test(v.occurred_at) && isCalendarDate(v.occurred_at.slice(0, 10)) && !Number.isNaN(Date.parse(v.occurred_at))) {
      occurredAt = new Date(v.occurred_at)
    } else if (calendarDateProblem(DATE_TIME.test(v.occurred_at) ? v.occurred_at.slice(0, 10) : v.occurred_at) === 'range') bad('occurred_at', outOfRange(v.occurred_at))
    else bad('occurred_at', `"${v.occurred_at}" is not a date (YYYY-MM-DD) or an ISO 8601 date and time with an offset`)
    if (occurredAt && occurredAt.getTime() > now.getTime() + (occurredTimeKnown ? 0 : 86_400_000)) bad('occurred_at', 'is in the future')
  }
  if (v.type && !(ENTRY_TYPES as readonly string[]).includes(v.type)) bad('type', `"${v.type}" is not one of ${ENTRY_TYPES.join(', ')}`)
  if (v.category.length > 100) bad('category', 'must be 100 characters or fewer')
  if (v.significance && !(SIGNIFICANCES as readonly string[]).includes(v.significance)) bad('significance', `"${v.significance}" is not one of ${SIGNIFICANCES.join(', ')}`)
  if (v.summary.length > 2000) bad('summary', 'must be 2000 characters or fewer')
  const visibility = v.visibility || 'team'
  if (!(ALL_VISIBILITIES as readonly string[]).includes(visibility)) bad('visibility', `"${v.visibility}" is not one of ${ALL_VISIBILITIES.join(', ')}`)
  else if (visibility === 'sealed' && !opts.sealedAllowed) bad('visibility', 'sealed entries need an authoring team, and this import has none')
  if (problems.length || !occurredAt) return { ok: false, problems }
  return {
    ok: true,
    value: {
      sourceRef: v.source_ref,
      occurredAt,
      occurredTimeKnown,
      type: v.type as EntryInput['type'],
      category: v.category || null,
      significance: v.significance as Significance,
      summary: v.summary,
      visibility: visibility as Visibility,
    },
  }
}

export interface CsvRow {
  /** the line of the file the row ends on (the header is line 1) */
  line: number
  values: Record<string, string>
}

/** Parses a CSV file with a header row; a file-level problem (not CSV, missing or unknown columns) is thrown. */
export function parseCsv(text: string, columns: readonly string[], required: readonly string[]): CsvRow[] {
  let parsed: { record: string[]; info: { lines: number } }[]
  try {
    // line ends as one: csv-parse counts a quoted CRLF (a pasted textarea's, or Excel's, multi-line address) as two
    // lines, which would put every later row's line number one out
    parsed = parse(text.replace(/\r\n?/g, '\n'), { bom: true, trim: true, skip_empty_lines: true, relax_column_count: true, info: true }) as unknown as { record: string[]; info: { lines: number } }[]
  } catch (err) {
    // csv-parse names the line it stopped at (counted on the text as normalised above, so the file's own)
    const at = (err as { lines?: unknown }).lines
    throw new CsvFileError(`the file is not valid CSV: ${(err as Error).message}`, typeof at === 'number' && at >= 1 ? at : 1)
  }
  if (!parsed.length) throw new CsvFileError('the file is empty: it needs a header row and at least one row')
  const header = parsed[0]!.record.map((h) => h.trim().toLowerCase())
  const unknown = header.filter((h) => !columns.includes(h))
  if (unknown.length) throw new CsvFileError(`unknown column${unknown.length > 1 ? 's' : ''} ${unknown.map((u) => `"${u}"`).join(', ')} (the columns are ${columns.join(', ')})`)
  const missing = required.filter((c) => !header.includes(c))
  if (missing.length) throw new CsvFileError(`missing column${missing.length > 1 ? 's' : ''} ${missing.join(', ')}`)
  const dup = header.find((h, i) => header.indexOf(h) !== i)
  if (dup) throw new CsvFileError(`the column "${dup}" appears twice`)
  if (parsed.length === 1) throw new CsvFileError('the file has a header row but no rows')
  return parsed.slice(1).map(({ record, info }) => {
    const values: Record<string, string> = {}
    header.forEach((h, i) => (values[h] = record[i] ?? ''))
    if (record.length > header.length) values['__extra'] = String(record.length - header.length)
    return { line: info.lines, values }
  })
}

/** A problem with the file as a whole, or with its CSV at `line` (1, the header, when it is the file's). */
export class CsvFileError extends Error {
  readonly line: number
  constructor(message: string, line = 1) {
    super(message)
    this.line = line
  }
}
