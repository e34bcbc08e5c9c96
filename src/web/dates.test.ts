// London wall-clock time: the cached offset gives exactly what Intl gives, across clock changes and centuries.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { londonDateTime, londonOffset, londonPartsForTest } from './dates.ts'

describe('London dates', () => {
  it('the cached offset agrees with Intl at every instant tried: random ones from 1900 to 2100, and each minute around the changes', () => {
    let seed = 42
    const rand = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31)
    const instants: number[] = []
    for (let i = 0; i < 20_000; i++) instants.push(Date.UTC(1900, 0, 1) + Math.floor(rand() * (Date.UTC(2100, 0, 1) - Date.UTC(1900, 0, 1))))
    for (const change of [Date.UTC(2026, 2, 29, 1), Date.UTC(2026, 9, 25, 1), Date.UTC(1996, 2, 31, 1), Date.UTC(1971, 9, 31, 2)]) {
      for (let m = -90; m <= 90; m++) instants.push(change + m * 60_000 + 30_000)
    }
    for (const t of instants) assert.deepEqual(londonPartsForTest.cached(new Date(t)), londonPartsForTest.intl(new Date(t)), new Date(t).toISOString())
  })
  it('offsets, wall-clock dates and the autumn overlap', () => {
    assert.equal(londonOffset(new Date('2026-01-15T12:00:00Z')), 0)
    assert.equal(londonOffset(new Date('2026-07-15T12:00:00Z')), 3_600_000)
    assert.deepEqual(londonDateTime(new Date('2026-03-29T00:59:00Z')), { date: '2026-03-29', time: '00:59' })
    assert.deepEqual(londonDateTime(new Date('2026-03-29T01:00:00Z')), { date: '2026-03-29', time: '02:00' })
    assert.deepEqual(londonDateTime(new Date('2026-06-30T23:30:00Z')), { date: '2026-07-01', time: '00:30' })
    assert.equal(londonDateTime.toInstant('2026-10-25', '01:30').toISOString(), '2026-10-25T00:30:00.000Z', 'the earlier of the two 01:30s')
    assert.equal(londonDateTime.toInstant('2026-10-25', '02:30').toISOString(), '2026-10-25T02:30:00.000Z')
    assert.equal(londonDateTime.toInstant('2026-03-29', '01:30').toISOString(), '2026-03-29T01:30:00.000Z', 'in the spring gap: moved forward (02:30 BST)')
    assert.equal(londonDateTime.toInstant('2026-03-29', '02:30').toISOString(), '2026-03-29T01:30:00.000Z')
    assert.equal(londonDateTime.toInstant('2026-07-01', '09:00').toISOString(), '2026-07-01T08:00:00.000Z')
    assert.equal(londonDateTime.toInstant('2026-12-01').toISOString(), '2026-12-01T00:00:00.000Z')
  })
})

describe('dates on pages', () => {
  it('formatDate and formatDateTime write what Intl writes for London, at random instants and around the clock changes', async () => {
    const { formatDate, formatDateTime } = await import('../platform/http/render.ts')
    const london = (opts: Intl.DateTimeFormatOptions) => new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/London', ...opts })
    const dateFmt = london({ day: 'numeric', month: 'long', year: 'numeric' })
    const timeFmt = london({ hour: 'numeric', minute: '2-digit', hour12: true })
    let seed = 7
    const rand = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31)
    const instants = Array.from({ length: 5000 }, () => Date.UTC(1990, 0, 1) + Math.floor(rand() * (Date.UTC(2060, 0, 1) - Date.UTC(1990, 0, 1))))
    for (let m = -120; m <= 120; m += 7) instants.push(Date.UTC(2026, 9, 25, 1) + m * 60_000, Date.UTC(2026, 2, 29, 1) + m * 60_000)
    instants.push(Date.UTC(2026, 0, 1, 0, 5), Date.UTC(2026, 6, 1, 11, 5), Date.UTC(2026, 0, 1, 12, 0))
    for (const t of instants) {
      const d = new Date(t)
      assert.equal(formatDate(d), dateFmt.format(d), d.toISOString())
      assert.equal(formatDateTime(d), `${dateFmt.format(d)} at ${timeFmt.format(d).replace(' ', '')}`, d.toISOString())
    }
    const utcDate = new Intl.DateTimeFormat('en-GB', { timeZone: 'UTC', day: 'numeric', month: 'long', year: 'numeric' })
    for (const s of ['2026-01-01', '2012-02-29', '1999-12-31', '2026-03-29', '2026-10-25']) assert.equal(formatDate(s), utcDate.format(new Date(`${s}T00:00:00Z`)), s)
    assert.equal(formatDateTime(new Date('2026-01-01T00:05:00Z')), '1 January 2026 at 12:05am')
    assert.equal(formatDateTime(new Date('2026-07-01T11:05:00Z')), '1 July 2026 at 12:05pm')
  })
})
