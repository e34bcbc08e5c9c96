// R9 due dates on a school's calendar (terms, a half-term break, an INSET closure, Christmas) and the encrypted export.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { calendar, type SchoolCalendar } from '../calendar/calendar.ts'
import { clockStartDay, decryptExport, encryptExport, EXPORT_FORMAT, newPassphrase, r9Due } from './rules.ts'

const SCHOOL = 'school-1'
const BARE = 'school-without-terms'
const school: SchoolCalendar = {
  terms: [
    ['2026-09-02', '2026-10-23'],
    ['2026-11-02', '2026-12-18'],
    ['2027-01-05', '2027-02-12'],
  ],
  closures: new Set(['2026-11-27']), // an INSET day
  startOfDay: '08:45',
}
const cal = calendar(['2026-12-25', '2026-12-28', '2027-01-01'], new Map([[SCHOOL, school]]))
const iso = (d: Date) => d.toISOString()

describe('R9: when the child protection file is due', () => {
  it('in-year: the 5th school day after the day the child left, skipping a closure day', () => {
    // Monday 23 Nov → Tue 24, Wed 25, Thu 26, (Fri 27 INSET), Mon 30, Tue 1 Dec; 17:00 London = 17:00Z in winter
    const d = r9Due(cal, SCHOOL, '2026-11-23', null)
    assert.equal(d.newTerm, false)
    assert.equal(d.clockStartsOn, '2026-11-23')
    assert.equal(iso(d.dueAt), '2026-12-01T17:00:00.000Z')
  })

  it('the clock starts on the later of leaving and the start at the new school', () => {
    assert.equal(clockStartDay('2026-11-23', null), '2026-11-23')
    assert.equal(clockStartDay('2026-11-23', '2026-11-30'), '2026-11-30')
    assert.equal(clockStartDay('2026-11-23', '2026-11-20'), '2026-11-23')
    // starts Monday 30 Nov (in-year) → Tue 1 … Mon 7 Dec
    assert.equal(iso(r9Due(cal, SCHOOL, '2026-11-23', '2026-11-30').dueAt), '2026-12-07T17:00:00.000Z')
  })

  it('across the Christmas break: starting on the first day of the new term, the 5th school day of that term', () => {
    const d = r9Due(cal, SCHOOL, '2026-12-17', '2027-01-05')
    assert.equal(d.newTerm, true)
    assert.equal(d.clockStartsOn, '2027-01-05')
    // Tue 5 (day 1), Wed 6, Thu 7, Fri 8, Mon 11 Jan
    assert.equal(iso(d.dueAt), '2027-01-11T17:00:00.000Z')
  })

  it('leaving during the holidays counts from the first day of the new term', () => {
    const d = r9Due(cal, SCHOOL, '2026-12-21', null)
    assert.equal(d.newTerm, true)
    assert.equal(iso(d.dueAt), '2027-01-11T17:00:00.000Z')
  })

  it('leaving on the last day of a term is in-year: 5 school days after, the holiday skipped', () => {
    const d = r9Due(cal, SCHOOL, '2026-12-18', null)
    assert.equal(d.newTerm, false)
    // Tue 5, Wed 6, Thu 7, Fri 8, Mon 11 Jan
    assert.equal(iso(d.dueAt), '2027-01-11T17:00:00.000Z')
  })

  it('a half-term break starts a new term: the first 5 school days after it', () => {
    for (const day of ['2026-10-24', '2026-10-26', '2026-10-30', '2026-11-02']) {
      const d = r9Due(cal, SCHOOL, day, null)
      assert.equal(d.newTerm, true, day)
      // Mon 2 Nov (day 1) … Fri 6 Nov
      assert.equal(iso(d.dueAt), '2026-11-06T17:00:00.000Z', day)
    }
    // Friday 23 October (the last day before half term) is in-year: Mon 2 … Fri 6 November
    assert.equal(iso(r9Due(cal, SCHOOL, '2026-10-23', null).dueAt), '2026-11-06T17:00:00.000Z')
    // a weekend inside a term is in-year: Saturday 21 Nov counts as Monday 23 (the next school day) → Tue 1 Dec
    const weekend = r9Due(cal, SCHOOL, '2026-11-21', null)
    assert.equal(weekend.newTerm, false)
    assert.equal(iso(weekend.dueAt), '2026-12-01T17:00:00.000Z')
  })

  it('past the last term the school has recorded (next year’s dates not yet entered): working days, never no due time', () => {
    // the last day of the last recorded term (Friday 12 February), in-year: Mon 15 … Fri 19 February
    const last = r9Due(cal, SCHOOL, '2027-02-12', null)
    assert.equal(last.newTerm, false)
    assert.equal(iso(last.dueAt), '2027-02-19T17:00:00.000Z')
    // a leaver starting at the new school after the recorded terms: that day is day 1 (Mon 15) → Fri 19 February
    const after = r9Due(cal, SCHOOL, '2027-02-12', '2027-02-15')
    assert.equal(after.newTerm, true)
    assert.equal(iso(after.dueAt), '2027-02-19T17:00:00.000Z')
  })

  it('a school with no term dates counts working days (in-year)', () => {
    const d = r9Due(cal, BARE, '2026-12-23', null)
    assert.equal(d.newTerm, false)
    // Thu 24, (Fri 25, Mon 28 bank holidays) Tue 29, Wed 30, Thu 31, (Fri 1 Jan) Mon 4 Jan
    assert.equal(iso(d.dueAt), '2027-01-04T17:00:00.000Z')
  })
})

describe('the encrypted export', () => {
  const content = JSON.stringify({ format: EXPORT_FORMAT, entries: [{ summary: 'A synthetic concern' }] })

  it('decrypts with its passphrase, whatever its case or surrounding spaces', () => {
    const pass = newPassphrase()
    assert.match(pass, /^[A-HJ-NP-Z2-9]{4}(-[A-HJ-NP-Z2-9]{4}){5}$/)
    const file = encryptExport(content, pass)
    assert.doesNotMatch(file.toString(), /synthetic/, 'the content is not in the clear')
    const env = JSON.parse(file.toString()) as { format: string; cipher: string; kdf: { name: string } }
    assert.equal(env.format, EXPORT_FORMAT)
    assert.equal(env.cipher, 'aes-256-gcm')
    assert.equal(env.kdf.name, 'scrypt')
    assert.equal(decryptExport(file, pass), content)
    assert.equal(decryptExport(file, ` ${pass.toLowerCase()} `), content)
  })

  it('fails with a wrong passphrase, and when the file was changed', () => {
    const pass = newPassphrase()
    const file = encryptExport(content, pass)
    assert.throws(() => decryptExport(file, newPassphrase()))
    const env = JSON.parse(file.toString()) as { ciphertext: string }
    const bytes = Buffer.from(env.ciphertext, 'base64')
    bytes[0] = bytes[0]! ^ 1
    assert.throws(() => decryptExport(JSON.stringify({ ...env, ciphertext: bytes.toString('base64') }), pass))
    assert.throws(() => decryptExport(JSON.stringify({ ...env, format: 'other' }), pass), /not a TeamAround/)
  })

  it('two exports of the same file never share a key or an IV', () => {
    const pass = newPassphrase()
    const a = JSON.parse(encryptExport(content, pass).toString()) as { iv: string; kdf: { salt: string }; ciphertext: string }
    const b = JSON.parse(encryptExport(content, pass).toString()) as { iv: string; kdf: { salt: string }; ciphertext: string }
    assert.notEqual(a.iv, b.iv)
    assert.notEqual(a.kdf.salt, b.kdf.salt)
    assert.notEqual(a.ciphertext, b.ciphertext)
  })
})
