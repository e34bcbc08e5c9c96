// A record's date of birth is a real day: no year 0, no 30 February (each a row-level reason, never a database error).
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { checkRecord } from './validate.ts'

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
})
