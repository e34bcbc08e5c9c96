// Europe/London local date and time <-> UTC instants, correct across the clock changes.
const parts = new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/London', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' })

/** London's wall-clock parts at an instant, as Intl gives them (slow: a formatToParts call). */
function intlParts(d: Date) {
  const p = Object.fromEntries(parts.formatToParts(d).map((x) => [x.type, x.value]))
  return { y: Number(p.year), m: Number(p.month), d: Number(p.day), h: Number(p.hour), mi: Number(p.minute), s: Number(p.second) }
}

// London's offset changes only on the hour (01:00 UTC, since 1972), so it is asked of Intl once per UTC hour and
// remembered: formatting dates was a measurable share of every request (the concern form, the pages' dates).
const HOUR = 3_600_000
/** The instant of a UTC wall-clock time (month 1-12): Date.UTC, but years 0-99 are those years, not 1900-1999. */
function utc(y: number, m: number, d: number, h = 0, mi = 0, s = 0): number {
  const t = new Date(0)
  t.setUTCFullYear(y, m - 1, d)
  t.setUTCHours(h, mi, s, 0)
  return t.getTime()
}
const offsets = new Map<number, number>()
function offsetAt(t: number): number {
  const hour = Math.floor(t / HOUR)
  let o = offsets.get(hour)
  if (o === undefined) {
    const at = new Date(hour * HOUR)
    const l = intlParts(at)
    o = utc(l.y, l.m, l.d, l.h, l.mi, l.s) - at.getTime()
    if (offsets.size > 50_000) offsets.clear()
    offsets.set(hour, o)
  }
  return o
}

/** London's wall-clock parts at an instant (month 1-12). */
export function londonParts(d: Date): { y: number; m: number; d: number; h: number; mi: number; s: number } {
  const l = new Date(d.getTime() + offsetAt(d.getTime()))
  return { y: l.getUTCFullYear(), m: l.getUTCMonth() + 1, d: l.getUTCDate(), h: l.getUTCHours(), mi: l.getUTCMinutes(), s: l.getUTCSeconds() }
}

/** London's offset from UTC at an instant, in ms (0 in winter, 3 600 000 in summer). */
export function londonOffset(at: Date): number {
  return offsetAt(at.getTime())
}

/** For the tests: the parts as Intl gives them, and as the cached offset gives them. */
export const londonPartsForTest = { intl: intlParts, cached: londonParts }

export function londonDateTime(at: Date): { date: string; time: string } {
  const l = londonParts(at)
  const pad = (n: number) => String(n).padStart(2, '0')
  return { date: `${l.y}-${pad(l.m)}-${pad(l.d)}`, time: `${pad(l.h)}:${pad(l.mi)}` }
}

/**
 * The instant of a London wall-clock time ('YYYY-MM-DD', 'HH:MM'). In the autumn overlap (the hour that happens
 * twice) the earlier instant; in the spring gap (the hour that never happens) the time is moved forward by the gap,
 * as Temporal's 'compatible' disambiguation does (01:30 on the spring change day is 02:30 BST).
 */
londonDateTime.toInstant = function toInstant(date: string, time = '00:00'): Date {
  // refused, not rolled over: 30 February is not 2 March, year 0001 is not 1901, 25:00 is not tomorrow
  if (!roundTrips(date)) throw new RangeError(`Not a calendar date as YYYY-MM-DD: ${JSON.stringify(date)}`)
  if (!TIME.test(time)) throw new RangeError(`Not a time as HH:MM: ${JSON.stringify(time)}`)
  const [y, m, d] = date.split('-').map(Number)
  const [h, mi] = time.split(':').map(Number)
  const naive = utc(y!, m!, d!, h!, mi!)
  const before = offsetAt(naive - 12 * HOUR)
  const after = offsetAt(naive + 12 * HOUR)
  const matching = [...new Set([before, after])]
    .map((o) => naive - o)
    .filter((t) => {
      const l = londonParts(new Date(t))
      return l.y === y && l.m === m && l.d === d && l.h === h && l.mi === mi
    })
  return new Date(matching.length ? Math.min(...matching) : naive - before)
}

const DATE = /^\d{4}-\d{2}-\d{2}$/
const TIME = /^([01]\d|2[0-3]):[0-5]\d$/

/** 'YYYY-MM-DD' naming a day that exists (no 30 February, no month 13, no day 00, no year 0), whatever the year. */
function roundTrips(v: string): boolean {
  if (!DATE.test(v)) return false
  const [y, m, d] = v.split('-').map(Number)
  if (y! < 1) return false // there is no year 0 (nor in PostgreSQL's calendar: 1 BC is followed by AD 1)
  const t = new Date(utc(y!, m!, d!))
  return t.getUTCFullYear() === y && t.getUTCMonth() === m! - 1 && t.getUTCDate() === d
}

/** The years a date typed into a form may have, unless the field says otherwise. */
export const DATE_YEARS = { min: 1900, max: 2100 } as const

/** The years a date may fall in, in words: "between 1 January 1900 and 31 December 2100" (every date message says it so). */
export function dateRangeText(years: { min: number; max: number } = DATE_YEARS): string {
  return `between 1 January ${years.min} and 31 December ${years.max}`
}

export type DateProblem = 'format' | 'real' | 'range'

/**
 * Why a typed date is not a calendar date, or null when it is one: 'format' when it is not YYYY-MM-DD, 'real' when
 * that day does not exist (2026-02-30, 2026-13-01, 0000-01-01), 'range' when its year is outside the years given.
 * The one check for every date field: the database and toInstant must never see anything else.
 */
export function calendarDateProblem(value: string, years: { min: number; max: number } = DATE_YEARS): DateProblem | null {
  if (!DATE.test(value)) return 'format'
  if (!roundTrips(value)) return 'real'
  const y = Number(value.slice(0, 4))
  return y < years.min || y > years.max ? 'range' : null
}

/** A real calendar date as YYYY-MM-DD, in the years given (1900 to 2100 by default). */
export function isCalendarDate(value: string, years: { min: number; max: number } = DATE_YEARS): boolean {
  return calendarDateProblem(value, years) === null
}
