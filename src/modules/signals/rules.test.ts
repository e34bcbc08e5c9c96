import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { ENTRY_TYPES } from '../records/validate.ts'
import { CONCERN_TYPES, DEFAULT_SIGNAL_RULES, evaluate, ruleName, withParameters, type SignalEntry } from './rules.ts'

const rule = (code: string) => DEFAULT_SIGNAL_RULES.find((r) => r.code === code)!.definition
let n = 0
// `day` is the entry's calendar day number (in SQL, londonDay); the instant is that day at noon
const e = (type: string, day: number, agency: string, category: string | null = null): SignalEntry => ({ id: `e${n++}`, type, category, occurredAt: new Date(Date.UTC(2026, 10, 1, 12) + day * 86_400_000), day: 9_800 + day, sourceAgencyId: agency })

// The entry types as the product writes them: imported from agencies' systems (API and CSV, records/validate.ts), a
// school's concern, a contact or referral to the front door, an Operation Encompass notice, a missing episode; and
// the demo data's police strand (`incident`).
const WRITTEN = new Set<string>([...ENTRY_TYPES, 'concern', 'contact', 'referral', 'notice', 'missing_episode', 'incident'])

describe('risk signal rules', () => {
  it('name only entry types the product writes (an import’s police_incident, attendance_drop, health_attendance…)', () => {
    for (const r of DEFAULT_SIGNAL_RULES) {
      const matches = r.definition.kind === 'count' ? [r.definition.match] : [r.definition.first, r.definition.second]
      for (const m of matches) for (const t of m.types) assert.ok(WRITTEN.has(t), `${r.code} waits for "${t}", which nothing writes`)
    }
  })

  it('3+ concerns from 2+ agencies within 30 days: a school concern, a police incident from the import, a referral', () => {
    const school = [e('concern', 0, 'school'), e('concern', 5, 'school'), e('concern', 10, 'school')]
    assert.equal(evaluate(rule('multi_agency_concerns'), school), null, 'one agency is not enough')
    const mixed = [e('concern', 0, 'school'), e('police_incident', 12, 'police'), e('concern', 29, 'school')]
    assert.deepEqual(evaluate(rule('multi_agency_concerns'), mixed)?.map((x) => x.type), ['concern', 'police_incident', 'concern'])
    const encompass = [e('notice', 1, 'police', 'domestic_abuse'), e('referral', 3, 'health'), e('contact', 4, 'school')]
    assert.equal(evaluate(rule('multi_agency_concerns'), encompass)?.length, 3, 'a notice, a referral and a contact are concerns')
    const demo = [e('concern', 0, 'school'), e('incident', 12, 'police'), e('concern', 29, 'school')]
    assert.ok(evaluate(rule('multi_agency_concerns'), demo), 'the demo data’s police incidents still count')
    const spread = [e('concern', 0, 'school'), e('police_incident', 20, 'police'), e('concern', 31, 'school')]
    assert.equal(evaluate(rule('multi_agency_concerns'), spread), null, 'outside 30 days')
    const notConcerns = [e('concern', 0, 'school'), e('health_attendance', 2, 'health'), e('attendance_drop', 3, 'school'), e('dsl_action', 4, 'school')]
    assert.equal(evaluate(rule('multi_agency_concerns'), notConcerns), null, 'attendances and a DSL’s action on the same concern are not further concerns')
  })

  it('a missing episode plus falling attendance (an attendance_drop from the school’s import)', () => {
    assert.ok(evaluate(rule('missing_and_attendance'), [e('missing_episode', 0, 'police'), e('attendance_drop', 20, 'school')]))
    assert.ok(evaluate(rule('missing_and_attendance'), [e('attendance_drop', 0, 'school'), e('missing_episode', 25, 'police')]), 'either order')
    assert.equal(evaluate(rule('missing_and_attendance'), [e('missing_episode', 0, 'police'), e('attendance_drop', 45, 'school')]), null)
    assert.equal(evaluate(rule('missing_and_attendance'), [e('missing_episode', 0, 'police'), e('exclusion', 5, 'school')]), null, 'an exclusion is not falling attendance')
  })

  it('a domestic-abuse notice or police incident plus a health attendance within 14 days (category matters)', () => {
    assert.ok(evaluate(rule('domestic_abuse_and_health'), [e('notice', 3, 'police', 'domestic_abuse'), e('health_attendance', 10, 'health')]))
    assert.ok(evaluate(rule('domestic_abuse_and_health'), [e('police_incident', 3, 'police', 'domestic_abuse'), e('health_attendance', 16, 'health')]))
    assert.ok(evaluate(rule('domestic_abuse_and_health'), [e('incident', 3, 'police', 'domestic_abuse'), e('health_attendance', 10, 'health')]), 'the demo data’s incidents')
    assert.equal(evaluate(rule('domestic_abuse_and_health'), [e('police_incident', 3, 'police', 'neglect'), e('health_attendance', 10, 'health')]), null)
    assert.equal(evaluate(rule('domestic_abuse_and_health'), [e('notice', 3, 'police', 'domestic_abuse'), e('health_attendance', 18, 'health')]), null)
    assert.equal(evaluate(rule('domestic_abuse_and_health'), [e('police_incident', 3, 'police', 'domestic_abuse'), e('missed_appointment', 5, 'health')]), null, 'a missed appointment is not an attendance')
  })

  it('of two notices before one attendance, the pair is the attendance and the nearer notice (the most recent pair)', () => {
    const early = e('police_incident', 0, 'police', 'domestic_abuse')
    const near = e('police_incident', 11, 'police', 'domestic_abuse')
    const seen = e('health_attendance', 13, 'health')
    assert.deepEqual(evaluate(rule('domestic_abuse_and_health'), [early, near, seen])?.map((x) => x.id).sort(), [near.id, seen.id].sort())
    assert.deepEqual(evaluate(rule('domestic_abuse_and_health'), [near, seen, early])?.map((x) => x.id).sort(), [near.id, seen.id].sort(), 'whatever the order read')
    // when that pair is not wanted (already named by a signal), the older notice still pairs with the attendance
    assert.deepEqual(evaluate(rule('domestic_abuse_and_health'), [early, near, seen], (set) => !set.includes(near))?.map((x) => x.id).sort(), [early.id, seen.id].sort())
    // a preference comes first: the pair with the older notice when it is the one preferred (newly recorded, say)
    assert.deepEqual(evaluate(rule('domestic_abuse_and_health'), [early, near, seen], undefined, (set) => (set.includes(early) ? 1 : 0))?.map((x) => x.id).sort(), [early.id, seen.id].sort())
  })

  it('a count rule with a preference takes the window it scores highest, of equal scores the most recent', () => {
    const days = [0, 8, 16, 24, 34].map((d) => e('missing_episode', d, 'police'))
    const ids = (set: readonly SignalEntry[] | null) => set?.map((x) => x.id)
    assert.deepEqual(ids(evaluate(rule('repeat_missing'), days)), ids(days.slice(1)), 'the most recent window: days 8 to 34')
    assert.deepEqual(ids(evaluate(rule('repeat_missing'), days, undefined, (set) => (set.includes(days[0]!) ? 1 : 0))), ids(days.slice(0, 4)), 'the window with the preferred entry')
    assert.deepEqual(ids(evaluate(rule('repeat_missing'), days, undefined, () => 1)), ids(days.slice(1)), 'a tie: the most recent')
  })

  it('3+ missing episodes in 30 days', () => {
    assert.ok(evaluate(rule('repeat_missing'), [e('missing_episode', 0, 'police'), e('missing_episode', 10, 'police'), e('missing_episode', 25, 'police')]))
    assert.equal(evaluate(rule('repeat_missing'), [e('missing_episode', 0, 'police'), e('missing_episode', 10, 'police')]), null)
  })

  it('a window of N days is N calendar days, the first and the last both included, whatever the times of day', () => {
    // a notice at 23:59 on one day and an attendance at 00:01 thirteen days on: 13 days and 2 minutes elapsed, within
    // 14 calendar days; the next day is the 15th, outside, though under 14 × 24 hours have passed since the notice
    const at = (type: string, day: number, hhmm: string, agency: string, category: string | null = null): SignalEntry => ({ ...e(type, day, agency, category), occurredAt: new Date(`2026-11-${String(1 + day).padStart(2, '0')}T${hhmm}:00Z`) })
    const da = rule('domestic_abuse_and_health')
    assert.ok(evaluate(da, [at('notice', 0, '23:59', 'police', 'domestic_abuse'), at('health_attendance', 13, '23:59', 'health')]), 'day 1 and day 14')
    assert.equal(evaluate(da, [at('notice', 0, '23:59', 'police', 'domestic_abuse'), at('health_attendance', 14, '00:01', 'health')]), null, 'day 1 and day 15, 13 days and 2 minutes apart')
    const missing = rule('repeat_missing')
    assert.ok(evaluate(missing, [e('missing_episode', 0, 'police'), e('missing_episode', 15, 'police'), e('missing_episode', 29, 'police')]), '1st and 30th of a month')
    assert.equal(evaluate(missing, [e('missing_episode', 0, 'police'), e('missing_episode', 15, 'police'), e('missing_episode', 30, 'police')]), null, '1st and 31st')
    const sameDay = withParameters(missing, { windowDays: 1, minCount: 2, minAgencies: 1 })
    assert.ok(evaluate(sameDay, [at('missing_episode', 3, '00:01', 'police'), at('missing_episode', 3, '23:59', 'police')]), 'within 1 day: the same date')
    assert.equal(evaluate(sameDay, [at('missing_episode', 3, '23:59', 'police'), at('missing_episode', 4, '00:01', 'police')]), null, 'two minutes apart, on two dates')
  })

  it('with `accept`, the most recent set it takes: an older pattern that a late entry completes, though a later one exists', () => {
    const da = rule('domestic_abuse_and_health')
    const late = e('police_incident', 0, 'police', 'domestic_abuse')
    const old = e('health_attendance', 5, 'health')
    const recent = [e('notice', 100, 'police', 'domestic_abuse'), e('health_attendance', 104, 'health')]
    const all = [late, old, ...recent]
    assert.deepEqual(evaluate(da, all)?.map((x) => x.id), recent.map((x) => x.id), 'the most recent pair')
    assert.deepEqual(evaluate(da, all, (set) => set.includes(late))?.map((x) => x.id), [late.id, old.id], 'the pair naming the late entry')
    const concerns = [e('concern', 0, 'school'), e('police_incident', 3, 'police'), e('concern', 6, 'school'), e('concern', 200, 'school'), e('referral', 201, 'health'), e('contact', 202, 'school')]
    assert.deepEqual(evaluate(rule('multi_agency_concerns'), concerns, (set) => set.includes(concerns[1]!))?.map((x) => x.id), concerns.slice(0, 3).map((x) => x.id))
    assert.equal(evaluate(rule('multi_agency_concerns'), concerns, () => false), null)
  })

  it('a new version’s parameters change what fires, and its name says them', () => {
    const wider = withParameters(rule('domestic_abuse_and_health'), { windowDays: 30 })
    const pair = [e('police_incident', 0, 'police', 'domestic_abuse'), e('health_attendance', 20, 'health')]
    assert.equal(evaluate(rule('domestic_abuse_and_health'), pair), null)
    assert.ok(evaluate(wider, pair))
    assert.equal(ruleName('domestic_abuse_and_health', wider, 'x'), 'A domestic abuse notice and a health attendance within 30 days')
    const two = withParameters(rule('multi_agency_concerns'), { windowDays: 60, minCount: 2, minAgencies: 2 })
    assert.ok(two.kind === 'count')
    assert.deepEqual([two.minCount, two.minAgencies, two.windowDays, two.match], [2, 2, 60, { types: CONCERN_TYPES }], 'what it matches is kept')
    assert.equal(ruleName('multi_agency_concerns', two, 'x'), 'Two or more concerns from two or more agencies within 60 days')
    assert.equal(ruleName('repeat_missing', withParameters(rule('repeat_missing'), { windowDays: 1, minCount: 4, minAgencies: 1 }), 'x'), 'Four or more missing episodes within 1 day')
  })
})
