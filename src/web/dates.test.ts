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

describe('real calendar dates: one check for every date field, and toInstant refuses what does not exist', () => {
  it('calendarDateProblem: the format, the day that does not exist, and the years allowed', async () => {
    const { calendarDateProblem, isCalendarDate } = await import('./dates.ts')
    for (const ok of ['2026-02-28', '2024-02-29', '2000-02-29', '1900-01-01', '2100-12-31', '2026-12-31']) assert.equal(calendarDateProblem(ok), null, ok)
    for (const real of ['2026-02-30', '2026-02-29', '1900-02-29', '2026-09-31', '2026-11-31', '2026-13-01', '2026-00-45', '2026-01-00', '2026-01-32', '0000-01-01']) assert.equal(calendarDateProblem(real), 'real', real)
    for (const format of ['', '2026-2-3', '26-02-03', '02/03/2026', '2026-02-03T00:00', ' 2026-02-03', '２０２６-01-01', '+02026-01-01']) assert.equal(calendarDateProblem(format), 'format', format)
    for (const range of ['0001-01-01', '1899-12-31', '2101-01-01', '9999-12-31']) assert.equal(calendarDateProblem(range), 'range', range)
    assert.equal(isCalendarDate('1850-06-01', { min: 1800, max: 1900 }), true, 'a field may allow other years')
    assert.equal(isCalendarDate('2026-02-30', { min: 0, max: 9999 }), false)
  })
  it('dateError: the field’s own GOV.UK message', async () => {
    const { dateError } = await import('./forms.ts')
    assert.equal(dateError('2016-05-01', 'Date of birth'), null)
    assert.equal(dateError('2026-02-30', 'Date of birth'), 'Date of birth must be a real date')
    assert.equal(dateError('0000-01-01', 'Date of birth'), 'Date of birth must be a real date')
    assert.equal(dateError('0001-01-01', 'Date of birth'), 'Date of birth must be between 1 January 1900 and 31 December 2100')
    assert.equal(dateError('1/5/2016', 'Date of birth', { format: 'Enter the date of birth as YYYY-MM-DD' }), 'Enter the date of birth as YYYY-MM-DD')
    assert.equal(dateError('1/5/2016', 'Date of birth'), 'Date of birth must be a real date, as YYYY-MM-DD')
    assert.equal(dateError('2026-13-45', 'The “from” date', { real: 'Enter the “from” date as YYYY-MM-DD: it must be a real date' }), 'Enter the “from” date as YYYY-MM-DD: it must be a real date')
  })
  it('queryInt: whole numbers in range only (no 1e9, 1e400, 99999999999, 1.5 or -1 reaching the database)', async () => {
    const { queryInt } = await import('./forms.ts')
    const page = { min: 1, max: 10_000, fallback: 1 }
    assert.equal(queryInt(undefined, page), 1)
    assert.equal(queryInt('', page), 1)
    assert.equal(queryInt('2', page), 2)
    assert.equal(queryInt('10000', page), 10_000)
    for (const bad of ['0', '-1', '1.5', '1e9', '1e400', '99999999999', '10001', 'abc', 'Infinity', '0x10', ' ', '9'.repeat(400)]) assert.equal(queryInt(bad, page), null, bad)
    assert.equal(queryInt(['1', '2'], page), null, 'a repeated parameter')
    assert.equal(queryInt(undefined, { min: 0, max: 5 }), null, 'no fallback: required')
  })
  it('toInstant throws on a date that does not round-trip, instead of rolling it over (30 February → 2 March, 0001 → 1901)', () => {
    for (const bad of ['2026-02-30', '2026-09-31', '2026-11-31', '2026-00-45', '2026-13-01', '0000-01-01', '2026-1-1', 'x', '']) assert.throws(() => londonDateTime.toInstant(bad, '12:00'), RangeError, bad)
    for (const bad of ['24:00', '25:00', '12:60', '9:00', '12']) assert.throws(() => londonDateTime.toInstant('2026-06-01', bad), RangeError, bad)
    assert.equal(londonDateTime.toInstant('0099-06-01', '12:00').getUTCFullYear(), 99, 'a real year 99 is year 99, not 1999')
    assert.equal(londonDateTime.toInstant('2024-02-29', '12:00').toISOString(), '2024-02-29T12:00:00.000Z')
    assert.equal(londonDateTime.toInstant('2026-02-28').toISOString(), '2026-02-28T00:00:00.000Z')
  })
})
