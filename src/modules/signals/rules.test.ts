import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { DEFAULT_SIGNAL_RULES, evaluate, type SignalEntry } from './rules.ts'

const rule = (code: string) => DEFAULT_SIGNAL_RULES.find((r) => r.code === code)!.definition
let n = 0
const e = (type: string, day: number, agency: string, category: string | null = null): SignalEntry => ({ id: `e${n++}`, type, category, occurredAt: new Date(Date.UTC(2026, 10, 1) + day * 86_400_000), sourceAgencyId: agency })

describe('risk signal rules', () => {
  it('3+ concerns from 2+ agencies within 30 days', () => {
    const school = [e('concern', 0, 'school'), e('concern', 5, 'school'), e('concern', 10, 'school')]
    assert.equal(evaluate(rule('multi_agency_concerns'), school), null, 'one agency is not enough')
    const mixed = [e('concern', 0, 'school'), e('incident', 12, 'police'), e('concern', 29, 'school')]
    assert.deepEqual(evaluate(rule('multi_agency_concerns'), mixed)?.map((x) => x.type), ['concern', 'incident', 'concern'])
    const spread = [e('concern', 0, 'school'), e('incident', 20, 'police'), e('concern', 31, 'school')]
    assert.equal(evaluate(rule('multi_agency_concerns'), spread), null, 'outside 30 days')
  })
  it('a missing episode plus falling attendance', () => {
    assert.ok(evaluate(rule('missing_and_attendance'), [e('missing_episode', 0, 'police'), e('attendance', 20, 'school')]))
    assert.equal(evaluate(rule('missing_and_attendance'), [e('missing_episode', 0, 'police'), e('attendance', 45, 'school')]), null)
  })
  it('a domestic-abuse notice plus a health attendance within 14 days (category matters)', () => {
    assert.ok(evaluate(rule('domestic_abuse_and_health'), [e('notice', 3, 'police', 'domestic_abuse'), e('health_attendance', 10, 'health')]))
    assert.equal(evaluate(rule('domestic_abuse_and_health'), [e('notice', 3, 'police', 'neglect'), e('health_attendance', 10, 'health')]), null)
    assert.equal(evaluate(rule('domestic_abuse_and_health'), [e('notice', 3, 'police', 'domestic_abuse'), e('health_attendance', 18, 'health')]), null)
  })
  it('3+ missing episodes in 30 days', () => {
    assert.ok(evaluate(rule('repeat_missing'), [e('missing_episode', 0, 'police'), e('missing_episode', 10, 'police'), e('missing_episode', 25, 'police')]))
    assert.equal(evaluate(rule('repeat_missing'), [e('missing_episode', 0, 'police'), e('missing_episode', 10, 'police')]), null)
  })
})
