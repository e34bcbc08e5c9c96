// Working days and school days, in Europe/London local time, from data: the partnership's bank holidays, each
// school's term dates, closures and start of day. Instants are UTC Dates; local days are 'YYYY-MM-DD' strings.
// Counting rules: ../../../../shared/design/statutory-clocks.md ("Counting").
import { londonDateTime } from '../../web/dates.ts'

export interface SchoolCalendar {
  /** inclusive [start, end] local dates */
  terms: readonly (readonly [string, string])[]
  closures: ReadonlySet<string>
  startOfDay: string // 'HH:MM'
}

export interface Calendar {
  bankHolidays: ReadonlySet<string>
  workStart: string // 'HH:MM'
  workEnd: string // 'HH:MM'
  schools: ReadonlyMap<string, SchoolCalendar>
}

export const DEFAULT_WORKING_HOURS = { workStart: '09:00', workEnd: '17:00' } as const
export const DEFAULT_SCHOOL_START = '08:45'

export function calendar(bankHolidays: Iterable<string>, schools: ReadonlyMap<string, SchoolCalendar> = new Map(), hours: { workStart: string; workEnd: string } = DEFAULT_WORKING_HOURS): Calendar {
  return { bankHolidays: new Set(bankHolidays), schools, ...hours }
}

/** The local date `n` days after `day` (n may be negative). */
export function addDays(day: string, n: number): string {
  const [y, m, d] = day.split('-').map(Number)
  return new Date(Date.UTC(y!, m! - 1, d! + n)).toISOString().slice(0, 10)
}

function weekday(day: string): number {
  const [y, m, d] = day.split('-').map(Number)
  return new Date(Date.UTC(y!, m! - 1, d!)).getUTCDay() // 0 Sunday … 6 Saturday
}

export function isWorkingDay(cal: Calendar, day: string): boolean {
  const w = weekday(day)
  return w !== 0 && w !== 6 && !cal.bankHolidays.has(day)
}

/**
 * The longest school holiday: more days than this between the end of one recorded term and the start of the next
 * (or before the first recorded term) are dates not entered, not a holiday.
 */
export const MAX_SCHOOL_HOLIDAY_DAYS = 84

export function isSchoolDay(cal: Calendar, schoolId: string, day: string): boolean {
  const school = cal.schools.get(schoolId)
  // a school with no term dates recorded is treated as open on working days (and says so on its page); so are the
  // days after the last term a school has recorded (next year's dates not yet entered: the summer holidays), so a
  // clock counted in school days always has a due time — before, none was found and the request failed. So, too, are
  // the days of a "holiday" longer than any school holiday (a year not entered, or a term typed with the wrong year,
  // 2072 for 2027): before, everything up to that term was a holiday, and an Operation Encompass notice found no
  // school day within a year (a 500) and a file transfer's school days could not be counted
  if (!school || !school.terms.length) return isWorkingDay(cal, day)
  if (!isWorkingDay(cal, day) || school.closures.has(day)) return false
  if (school.terms.some(([start, end]) => day >= start && day <= end)) return true
  let previousEnd = ''
  let nextStart = ''
  for (const [start, end] of school.terms) {
    if (end < day && end > previousEnd) previousEnd = end
    if (start > day && (!nextStart || start < nextStart)) nextStart = start
  }
  if (!nextStart) return true // after the last term recorded
  return daysBetween(previousEnd || day, nextStart) > MAX_SCHOOL_HOLIDAY_DAYS
}

function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000)
}

/** Whether an instant is inside working hours on a working day. */
export function isWorkingTime(cal: Calendar, at: Date): boolean {
  const { date, time } = londonDateTime(at)
  return isWorkingDay(cal, date) && time >= cal.workStart && time < cal.workEnd
}

/** The working day an event counts on: its own day if it happened before the end of working hours on a working
 * day; otherwise the next working day ("an event outside working hours counts as happening at the start of the
 * next working day"). */
function countingDay(cal: Calendar, at: Date, isDay: (d: string) => boolean, end: string): string {
  const { date, time } = londonDateTime(at)
  let day = date
  if (isDay(day) && time < end) return day
  do day = addDays(day, 1)
  while (!isDay(day))
  return day
}

function nthDayAfter(day: string, n: number, isDay: (d: string) => boolean): string {
  let d = day
  let left = n
  let guard = 0
  while (left > 0) {
    d = addDays(d, 1)
    if (isDay(d)) left--
    if (++guard > 5000) throw new Error('calendar has no working days in range')
  }
  return d
}

/** "Within N working days": due at the end of working hours on the N-th working day after the counting day. */
export function addWorkingDays(cal: Calendar, at: Date, n: number): Date {
  const isDay = (d: string) => isWorkingDay(cal, d)
  const day = nthDayAfter(countingDay(cal, at, isDay, cal.workEnd), n, isDay)
  return londonDateTime.toInstant(day, cal.workEnd)
}

/** "Within N school days", on the school's calendar: due at the end of the school's working day. */
export function addSchoolDays(cal: Calendar, schoolId: string, at: Date, n: number): Date {
  const isDay = (d: string) => isSchoolDay(cal, schoolId, d)
  const day = nthDayAfter(countingDay(cal, at, isDay, cal.workEnd), n, isDay)
  return londonDateTime.toInstant(day, cal.workEnd)
}

/** "Before the start of the next school day": the school's start of day on the first school day that starts after the event. */
export function nextSchoolDayStart(cal: Calendar, schoolId: string, at: Date): Date {
  const start = cal.schools.get(schoolId)?.startOfDay ?? DEFAULT_SCHOOL_START
  let day = londonDateTime(at).date
  for (let i = 0; i < 400; i++) {
    if (isSchoolDay(cal, schoolId, day)) {
      const instant = londonDateTime.toInstant(day, start)
      if (instant > at) return instant
    }
    day = addDays(day, 1)
  }
  throw new Error('no school day within a year')
}

export function addHours(at: Date, hours: number): Date {
  return new Date(at.getTime() + hours * 3_600_000)
}

/** "Within N months": the same date N months later (the month's last day if it has none), end of that day. */
export function addMonths(at: Date, n: number): Date {
  const [y, m, d] = londonDateTime(at).date.split('-').map(Number)
  const target = new Date(Date.UTC(y!, m! - 1 + n, 1))
  const last = new Date(Date.UTC(target.getUTCFullYear(), target.getUTCMonth() + 1, 0)).getUTCDate()
  const day = `${target.toISOString().slice(0, 8)}${String(Math.min(d!, last)).padStart(2, '0')}`
  return new Date(londonDateTime.toInstant(addDays(day, 1), '00:00').getTime() - 1)
}
