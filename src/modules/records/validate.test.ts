// A record's date of birth is a real day (no year 0, no 30 February), and an entry's time a real time of day: each a
// row-level reason, never a database error or another day.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { checkEntry, checkRecord, parseCsv, RECORD_COLUMNS, RECORD_REQUIRED } from './validate.ts'

const now = new Date('2026-11-29T12:00:00Z')
const row = (dob: string) => ({ source_ref: 'R1', given_name: 'Zoë', family_name: 'Brontë', date_of_birth: dob, sex: 'F' })

describe('agency record validation', () => {
  it('refuses a date of birth that is not a real day, and takes one that is', () => {
    for (const dob of ['0000-01-01', '2026-02-30', '2015-13-01', '1066-10-14']) {
      const checked = checkRecord(row(dob), now)
      assert.equal(checked.ok, false, dob)
      if (!checked.ok) assert.ok(checked.problems.some((p) => p.field === 'date_of_birth'), dob)
    }
    const good = checkRecord(row('2015-06-01'), now)
    assert.equal(good.ok, true, JSON.stringify(good))
  })

  it('a date written correctly in a year outside 1900 to 2100 is said to be out of range, with the range, in its column', () => {
    const range = 'is out of range: a date must be between 1 January 1900 and 31 December 2100'
    for (const dob of ['1066-10-14', '1899-12-31', '2101-01-01']) {
      const checked = checkRecord(row(dob), now)
      assert.equal(checked.ok, false, dob)
      if (!checked.ok) assert.deepEqual(checked.problems, [{ field: 'date_of_birth', reason: `"${dob}" ${range}` }])
    }
    assert.equal(checkRecord(row('1900-01-01'), now).ok, true)
    const entry = (occurredAt: string) => checkEntry({ source_ref: 'E1', occurred_at: occurredAt, type: 'police_incident', significance: 'low', summary: 'x' }, now, { sealedAllowed: false })
    for (const t of ['1850-06-01', '1899-12-31T23:30:00Z', '2150-01-01', '2101-01-01T00:00:00+01:00']) {
      const checked = entry(t)
      assert.equal(checked.ok, false, t)
      if (!checked.ok) assert.deepEqual(checked.problems, [{ field: 'occurred_at', reason: `"${t}" ${range}` }])
    }
    // not a date at all is still said so
    const garbled = entry('1850-13-01')
    assert.ok(!garbled.ok && /is not a date/.test(garbled.problems[0]!.reason))
  })

  it('an entry\'s time is a real time of day with a real offset: 24:00 is not rolled over into the next day', () => {
    const entry = (occurredAt: string) => checkEntry({ source_ref: 'E1', occurred_at: occurredAt, type: 'police_incident', significance: 'low', summary: 'x' }, now, { sealedAllowed: false })
    for (const t of ['2026-11-20T24:00:00Z', '2026-11-20T23:60:00Z', '2026-11-20T12:00:60Z', '2026-11-20T12:00:00+15:00', '2026-02-30T12:00:00Z']) {
      const checked = entry(t)
      assert.equal(checked.ok, false, t)
      if (!checked.ok) assert.ok(checked.problems.some((p) => p.field === 'occurred_at'), t)
    }
    for (const [t, iso] of [['2026-11-20T23:59:59Z', '2026-11-20T23:59:59.000Z'], ['2026-11-20T10:00:00+01:00', '2026-11-20T09:00:00.000Z'], ['2026-11-20T00:00Z', '2026-11-20T00:00:00.000Z']] as const) {
      const checked = entry(t)
      assert.equal(checked.ok, true, `${t}: ${JSON.stringify(checked)}`)
      if (checked.ok) assert.equal(checked.value.occurredAt.toISOString(), iso)
    }
  })

  it('a field given as a list or an object (JSON) is a problem, not "a,b" or "[object Object]"', () => {
    const checked = checkRecord({ ...row('2015-06-01'), given_name: ['Zoë', 'Ann'], address: { line: '1 High St' } }, now)
    assert.equal(checked.ok, false)
    if (!checked.ok) assert.deepEqual(checked.problems.map((p) => p.field).sort(), ['address', 'given_name'])
    const entry = checkEntry({ source_ref: 'E1', occurred_at: '2026-11-20', type: 'police_incident', significance: 'low', summary: ['a', 'b'] }, now, { sealedAllowed: false })
    assert.equal(entry.ok, false)
    if (!entry.ok) assert.deepEqual(entry.problems.map((p) => p.field), ['summary'])
  })

  it('a child born today in England is not born in the future, even in the first hour of a summer day (UTC’s yesterday)', () => {
    const early = new Date('2026-07-01T00:30:00+01:00')
    assert.equal(checkRecord(row('2026-07-01'), early).ok, true)
    const tomorrow = checkRecord(row('2026-07-02'), early)
    assert.equal(tomorrow.ok, false)
    if (!tomorrow.ok) assert.deepEqual(tomorrow.problems.map((p) => [p.field, p.reason]), [['date_of_birth', 'is in the future']])
  })

  it('a row’s line number is the file’s, whatever its line ends, past a quoted field over two lines', () => {
    const lines = ['source_ref,given_name,family_name,date_of_birth,sex,address', 'R1,Ann,Lee,2015-01-01,F,"1 High St', 'Townsville"', 'R2,Bob,Lee,2015-01-01,M,', 'R3,Cy,Lee,2015-01-01,M,']
    for (const eol of ['\n', '\r\n', '\r']) {
      const rows = parseCsv(lines.join(eol), RECORD_COLUMNS, RECORD_REQUIRED)
      assert.deepEqual(rows.map((r) => [r.values['source_ref'], r.line]), [['R1', 3], ['R2', 4], ['R3', 5]], JSON.stringify(eol))
      assert.equal(rows[0]!.values['address'], '1 High St\nTownsville')
    }
  })
})
