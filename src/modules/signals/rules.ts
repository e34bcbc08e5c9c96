// Risk signals: rules that fire when strands from different agencies combine. Rules are data (per partnership,
// versioned); this is the evaluator. Pure: it takes a child's entries and returns what fires, naming the entries.
import { sql, type RawBuilder } from 'kysely'
import type { EntryMatch, SignalDefinition } from '../../data/schema.ts'

export interface SignalEntry {
  id: string
  type: string
  category: string | null
  occurredAt: Date
  /** The calendar day the entry occurred on in England (Europe/London), as a day number: `londonDay` in SQL. */
  day: number
  sourceAgencyId: string
}

/**
 * A rule's window is in calendar days as a practitioner reads "within 30 days": the dates the entries occurred on in
 * England (Europe/London, so BST or GMT as it was that day), not hours elapsed. "Within N days" means every entry
 * falls in one run of N consecutive calendar days, the first and the last day both included: their dates are at most
 * N − 1 days apart, whatever the times of day. Within 30 days: 1 March and 30 March are, 1 March and 31 March are not;
 * within 1 day: the same date. A clock change between them moves nothing.
 */
export function withinWindow(windowDays: number, dayA: number, dayB: number): boolean {
  return Math.abs(dayA - dayB) <= windowDays - 1
}

/**
 * The calendar day (in Europe/London) of a timestamptz column, as a whole number of days since 1 January 2000: the
 * one definition of an entry's day, worked out in SQL so PostgreSQL and PGlite give the same (both carry the tz data).
 */
export function londonDay(column: string): RawBuilder<number> {
  return sql<number>`((${sql.ref(column)} at time zone 'Europe/London')::date - date '2000-01-01')`
}

/** The instant a day number (`londonDay`) begins in Europe/London: midnight there, BST or GMT as it was. */
export function londonDayStart(day: number): RawBuilder<Date> {
  return sql<Date>`((date '2000-01-01' + ${day}::int)::timestamp at time zone 'Europe/London')`
}

/** The same day number for an instant (the evaluator's "today", from the injected clock). */
export function londonDayOf(instant: Date): RawBuilder<number> {
  return sql<number>`((${instant}::timestamptz at time zone 'Europe/London')::date - date '2000-01-01')`
}

/**
 * The entry types the product writes, by where they come from (so a rule names types that really arrive):
 * - a school's concern (`concern`), a contact or referral to the front door (`contact`, `referral`), an Operation
 *   Encompass notice (`notice`, category domestic_abuse), a missing episode (`missing_episode`);
 * - from agencies' systems through the API and CSV import (records/validate.ts ENTRY_TYPES): `police_incident`,
 *   `health_attendance`, `missed_appointment`, `attendance_drop`, `exclusion`;
 * - the demo data's police strand (seed.ts) writes `incident`, accepted beside `police_incident`.
 */
export const CONCERN_TYPES = ['concern', 'contact', 'referral', 'notice', 'police_incident', 'incident']
export const DOMESTIC_ABUSE_NOTICE_TYPES = ['notice', 'police_incident', 'incident']

/** What each rule of the partnership's defaults is called, for its parameters (a new version is named afresh). */
export function ruleName(code: string, def: SignalDefinition, fallback: string): string {
  const days = `${def.windowDays} ${def.windowDays === 1 ? 'day' : 'days'}`
  if (def.kind === 'count') {
    const agencies = def.minAgencies > 1 ? ` from ${word(def.minAgencies)} or more agencies` : ''
    if (code === 'multi_agency_concerns') return `${capital(word(def.minCount))} or more ${def.minCount === 1 ? 'concern' : 'concerns'}${agencies} within ${days}`
    if (code === 'repeat_missing') return `${capital(word(def.minCount))} or more missing ${def.minCount === 1 ? 'episode' : 'episodes'}${agencies} within ${days}`
    return fallback
  }
  if (code === 'missing_and_attendance') return `A missing episode and falling attendance within ${days}`
  if (code === 'domestic_abuse_and_health') return `A domestic abuse notice and a health attendance within ${days}`
  return fallback
}
const WORDS = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine', 'ten']
const word = (n: number) => WORDS[n] ?? String(n)
const capital = (s: string) => s.charAt(0).toUpperCase() + s.slice(1)

const DEFAULT_DEFINITIONS: { code: string; definition: SignalDefinition }[] = [
  { code: 'multi_agency_concerns', definition: { kind: 'count', match: { types: CONCERN_TYPES }, minCount: 3, minAgencies: 2, windowDays: 30 } },
  { code: 'missing_and_attendance', definition: { kind: 'combination', first: { types: ['missing_episode'] }, second: { types: ['attendance_drop'] }, windowDays: 30 } },
  { code: 'domestic_abuse_and_health', definition: { kind: 'combination', first: { types: DOMESTIC_ABUSE_NOTICE_TYPES, categories: ['domestic_abuse'] }, second: { types: ['health_attendance'] }, windowDays: 14 } },
  { code: 'repeat_missing', definition: { kind: 'count', match: { types: ['missing_episode'] }, minCount: 3, minAgencies: 1, windowDays: 30 } },
]

export const DEFAULT_SIGNAL_RULES: { code: string; name: string; definition: SignalDefinition }[] = DEFAULT_DEFINITIONS.map((r) => ({ ...r, name: ruleName(r.code, r.definition, r.code) }))

/** What an administrator may change in a new version of a rule: its window, its counts (count rules), whether it runs. */
export interface RuleParameters {
  windowDays: number
  minCount?: number
  minAgencies?: number
}
export const WINDOW_DAYS = { min: 1, max: 365 } as const
export const MIN_COUNT = { min: 1, max: 50 } as const
export const MIN_AGENCIES = { min: 1, max: 10 } as const

/** The definition with new parameters; what entries it matches is kept. */
export function withParameters(def: SignalDefinition, p: RuleParameters): SignalDefinition {
  if (def.kind === 'count') return { ...def, windowDays: p.windowDays, minCount: p.minCount ?? def.minCount, minAgencies: p.minAgencies ?? def.minAgencies }
  return { ...def, windowDays: p.windowDays }
}

export function parametersOf(def: SignalDefinition): RuleParameters {
  return def.kind === 'count' ? { windowDays: def.windowDays, minCount: def.minCount, minAgencies: def.minAgencies } : { windowDays: def.windowDays }
}

function matches(e: SignalEntry, m: EntryMatch): boolean {
  return m.types.includes(e.type) && (!m.categories?.length || (e.category !== null && m.categories.includes(e.category)))
}

/**
 * The set of entries that satisfies the rule and that `accept` takes, or null: of those, the one `prefer` scores
 * highest, and of equal scores the most recent. The evaluation passes an `accept` that wants a set naming at least one
 * newly recorded entry, so a late import — an entry recorded now that occurred long ago — is judged in the windows
 * around the day it occurred, even when later sets exist; and a `prefer` that counts the newly recorded entries no
 * signal has named, so one import of a notice and an attendance fires one signal naming both, not one pairing either
 * with an older entry and then another for what it left out.
 */
export function evaluate(
  def: SignalDefinition,
  entries: readonly SignalEntry[],
  accept: (set: readonly SignalEntry[]) => boolean = () => true,
  prefer?: (set: readonly SignalEntry[]) => number,
): SignalEntry[] | null {
  const sorted = [...entries].sort((a, b) => a.occurredAt.getTime() - b.occurredAt.getTime() || a.day - b.day || a.id.localeCompare(b.id))
  if (def.kind === 'count') {
    const hits = sorted.filter((e) => matches(e, def.match))
    // slide a window of calendar days ending on each hit's day, latest first (every set that fits in a window is
    // inside one of these, with the same or more entries and agencies); without `prefer`, the first taken is the one
    let best: SignalEntry[] | null = null
    let bestScore = -Infinity
    for (let end = hits.length - 1; end >= 0; end--) {
      const endDay = hits[end]!.day
      const inWindow = hits.filter((e, i) => i <= end && withinWindow(def.windowDays, endDay, e.day))
      if (inWindow.length < def.minCount || new Set(inWindow.map((e) => e.sourceAgencyId)).size < def.minAgencies || !accept(inWindow)) continue
      if (!prefer) return inWindow
      const score = prefer(inWindow)
      if (score > bestScore) [best, bestScore] = [inWindow, score]
    }
    return best
  }
  const firsts = sorted.filter((e) => matches(e, def.first))
  const seconds = sorted.filter((e) => matches(e, def.second))
  // the pair `prefer` scores highest; of those, the most recent: the one whose later entry is latest and, of those,
  // whose earlier entry is latest too (an attendance on the 14th pairs with the notice of the 12th before one of the 1st)
  const key = (a: SignalEntry, b: SignalEntry): [number, number, number] => {
    const [x, y] = [a.occurredAt.getTime(), b.occurredAt.getTime()]
    return [prefer ? prefer([a, b]) : 0, Math.max(x, y), Math.min(x, y)]
  }
  const before = (k: readonly number[], than: readonly number[]) => k[0]! < than[0]! || (k[0] === than[0] && (k[1]! < than[1]! || (k[1] === than[1] && k[2]! <= than[2]!)))
  let best: [SignalEntry, SignalEntry] | null = null
  let bestKey: [number, number, number] = [-Infinity, -Infinity, -Infinity]
  for (const a of firsts) {
    for (const b of seconds) {
      if (a.id === b.id || !withinWindow(def.windowDays, a.day, b.day) || !accept([a, b])) continue
      const k = key(a, b)
      if (best && before(k, bestKey)) continue
      ;[best, bestKey] = [[a, b], k]
    }
  }
  return best
}

/** The longest window of any rule: how far back the evaluator needs to read. */
export function lookbackDays(defs: readonly SignalDefinition[]): number {
  return Math.max(30, ...defs.map((d) => d.windowDays))
}
