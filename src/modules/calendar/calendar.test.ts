import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import fs from 'node:fs'
import path from 'node:path'
import { addMonths, addSchoolDays, addWorkingDays, calendar, isSchoolDay, isWorkingDay, isWorkingTime, nextSchoolDayStart, addHours } from './calendar.ts'

const holidays = (JSON.parse(fs.readFileSync(path.join(import.meta.dirname, 'data/bank-holidays-england-wales.json'), 'utf8')) as { events: { date: string }[] }).events.map((e) => e.date)
const school = 'school-1'
const cal = calendar(
  holidays,
  new Map([
    [
      school,
      {
        terms: [
          ['2026-09-02', '2026-10-23'],
          ['2026-11-02', '2026-12-18'],
          ['2027-01-05', '2027-02-12'],
        ] as const,
        closures: new Set(['2026-11-27']),
        startOfDay: '08:45',
      },
    ],
  ]),
)
const iso = (d: Date) => d.toISOString()

describe('calendar: working days', () => {
  it('knows the bank holidays as data, 2020–2030, including the special ones', () => {
    assert.equal(holidays.length, 91)
    for (const d of ['2020-05-08', '2022-06-03', '2022-09-19', '2023-05-08', '2026-12-28', '2027-12-27', '2027-12-28', '2028-01-03']) assert.ok(holidays.includes(d), d)
    assert.equal(isWorkingDay(cal, '2026-04-03'), false) // Good Friday
    assert.equal(isWorkingDay(cal, '2026-04-06'), false) // Easter Monday
    assert.equal(isWorkingDay(cal, '2026-11-28'), false) // Saturday
    assert.equal(isWorkingDay(cal, '2026-11-23'), true)
  })

  it('1 working day: Friday 16:00 → Monday 17:00; Saturday → Tuesday 17:00; Monday 10:00 → Tuesday 17:00', () => {
    assert.equal(iso(addWorkingDays(cal, new Date('2026-11-27T16:00:00Z'), 1)), '2026-11-30T17:00:00.000Z')
    assert.equal(iso(addWorkingDays(cal, new Date('2026-11-28T11:00:00Z'), 1)), '2026-12-01T17:00:00.000Z')
    assert.equal(iso(addWorkingDays(cal, new Date('2026-11-23T10:00:00Z'), 1)), '2026-11-24T17:00:00.000Z')
  })

  it('edges: 16:59 counts that day, 17:00 the next; 08:59 counts that day; 23:59 and 00:00', () => {
    assert.equal(iso(addWorkingDays(cal, new Date('2026-11-23T16:59:00Z'), 1)), '2026-11-24T17:00:00.000Z')
    assert.equal(iso(addWorkingDays(cal, new Date('2026-11-23T17:00:00Z'), 1)), '2026-11-25T17:00:00.000Z')
    assert.equal(iso(addWorkingDays(cal, new Date('2026-11-23T08:59:00Z'), 1)), '2026-11-24T17:00:00.000Z')
    assert.equal(iso(addWorkingDays(cal, new Date('2026-11-23T23:59:00Z'), 1)), '2026-11-25T17:00:00.000Z')
    assert.equal(iso(addWorkingDays(cal, new Date('2026-11-24T00:00:00Z'), 1)), '2026-11-25T17:00:00.000Z')
    assert.equal(isWorkingTime(cal, new Date('2026-11-23T09:00:00Z')), true)
    assert.equal(isWorkingTime(cal, new Date('2026-11-23T17:00:00Z')), false)
  })

  it('bank holidays are skipped: Thursday before Easter + 1 → Tuesday after; Christmas 2026', () => {
    assert.equal(iso(addWorkingDays(cal, new Date('2026-04-02T10:00:00+01:00'), 1)), '2026-04-07T16:00:00.000Z') // 17:00 BST
    assert.equal(iso(addWorkingDays(cal, new Date('2026-12-24T10:00:00Z'), 1)), '2026-12-29T17:00:00.000Z')
  })

  it('British Summer Time: the clocks change on 29 March and 25 October 2026', () => {
    // Friday 27 March 2026 16:00 GMT + 1 → Monday 30 March 17:00 BST = 16:00 UTC
    assert.equal(iso(addWorkingDays(cal, new Date('2026-03-27T16:00:00Z'), 1)), '2026-03-30T16:00:00.000Z')
    // Friday 23 October 16:00 BST (15:00 UTC) + 1 → Monday 26 October 17:00 GMT
    assert.equal(iso(addWorkingDays(cal, new Date('2026-10-23T15:00:00Z'), 1)), '2026-10-26T17:00:00.000Z')
    // 17:30 BST is outside hours although it is 16:30 UTC
    assert.equal(isWorkingTime(cal, new Date('2026-06-01T16:30:00Z')), false)
  })

  it('45 working days (R3) and 15 (R5)', () => {
    assert.equal(iso(addWorkingDays(cal, new Date('2026-11-23T10:00:00Z'), 15)), '2026-12-14T17:00:00.000Z')
    // 45 working days from Monday 23 Nov 2026 skip 25, 28 Dec and 1 Jan
    assert.equal(iso(addWorkingDays(cal, new Date('2026-11-23T10:00:00Z'), 45)), '2027-01-28T17:00:00.000Z')
  })
})

describe('calendar: school days', () => {
  it('term dates, half term and closures', () => {
    assert.equal(isSchoolDay(cal, school, '2026-10-27'), false) // half term
    assert.equal(isSchoolDay(cal, school, '2026-11-27'), false) // closure
    assert.equal(isSchoolDay(cal, school, '2026-11-26'), true)
    assert.equal(isSchoolDay(cal, school, '2026-12-21'), false) // holidays
  })

  it('after the last term a school has recorded (next year’s dates not yet entered), its days are counted as working days', () => {
    const terms = cal.schools.get(school)!.terms
    const last = terms.reduce((e, [, end]) => (end > e ? end : e), '')
    const after = (n: number) => new Date(Date.parse(`${last}T12:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10)
    const weekdays = Array.from({ length: 14 }, (_, k) => after(k + 1)).filter((d) => isWorkingDay(cal, d))
    assert.ok(weekdays.length >= 8)
    for (const d of weekdays) assert.equal(isSchoolDay(cal, school, d), true, d)
    // a clock counted in school days still has a due time there
    assert.ok(nextSchoolDayStart(cal, school, new Date(`${after(30)}T12:00:00Z`)) > new Date(`${after(30)}T12:00:00Z`))
    assert.ok(addSchoolDays(cal, school, new Date(`${last}T12:00:00Z`), 5) > new Date(`${last}T12:00:00Z`))
  })

  it('a gap between recorded terms longer than any school holiday (a year not entered, a mistyped year) counts working days; a real holiday does not', () => {
    const gappy = calendar(holidays, new Map([[school, { terms: [['2026-09-02', '2026-12-18'], ['2072-09-01', '2072-10-22']] as const, closures: new Set<string>(), startOfDay: '08:45' }]]))
    assert.equal(isSchoolDay(gappy, school, '2026-12-21'), true)
    assert.equal(isSchoolDay(gappy, school, '2040-06-05'), true)
    assert.equal(iso(nextSchoolDayStart(gappy, school, new Date('2027-03-02T12:00:00Z'))), '2027-03-03T08:45:00.000Z')
    assert.equal(iso(addSchoolDays(gappy, school, new Date('2027-03-02T12:00:00Z'), 5)), '2027-03-09T17:00:00.000Z')
    // before the first term recorded, far from it: dates not entered; just before it: its holiday
    assert.equal(isSchoolDay(gappy, school, '2026-03-03'), true)
    assert.equal(isSchoolDay(gappy, school, '2026-08-25'), false)
    // the Christmas holiday of the calendar above stays a holiday
    assert.equal(isSchoolDay(cal, school, '2026-12-22'), false)
  })

  it('R12: before the next school day — Friday evening → Monday 08:45; the night before a closure; across half term', () => {
    assert.equal(iso(nextSchoolDayStart(cal, school, new Date('2026-11-20T21:00:00Z'))), '2026-11-23T08:45:00.000Z')
    assert.equal(iso(nextSchoolDayStart(cal, school, new Date('2026-11-26T22:00:00Z'))), '2026-11-30T08:45:00.000Z')
    assert.equal(iso(nextSchoolDayStart(cal, school, new Date('2026-10-23T20:00:00+01:00'))), '2026-11-02T08:45:00.000Z')
    // an incident at 02:00 on a school day: the same morning
    assert.equal(iso(nextSchoolDayStart(cal, school, new Date('2026-11-24T02:00:00Z'))), '2026-11-24T08:45:00.000Z')
    // at 09:30 on a school day: the next morning
    assert.equal(iso(nextSchoolDayStart(cal, school, new Date('2026-11-24T09:30:00Z'))), '2026-11-25T08:45:00.000Z')
  })

  it('R9: 5 school days, across the Christmas holiday', () => {
    assert.equal(iso(addSchoolDays(cal, school, new Date('2026-12-16T10:00:00Z'), 5)), '2027-01-07T17:00:00.000Z') // Thu 17, Fri 18 Dec; Tue 5, Wed 6, Thu 7 Jan
  })
})

describe('calendar: hours and months', () => {
  it('72 hours is exact elapsed time, across the clock change', () => {
    assert.equal(iso(addHours(new Date('2026-10-24T12:00:00Z'), 72)), '2026-10-27T12:00:00.000Z')
  })
  it('N months: same date, or the last day of a shorter month, end of that day (London)', () => {
    assert.equal(iso(addMonths(new Date('2027-01-31T10:00:00Z'), 1)), '2027-02-28T23:59:59.999Z')
    assert.equal(iso(addMonths(new Date('2026-11-23T10:00:00Z'), 3)), '2027-02-23T23:59:59.999Z')
    assert.equal(iso(addMonths(new Date('2026-03-15T10:00:00Z'), 3)), '2026-06-15T22:59:59.999Z') // BST
  })
})
