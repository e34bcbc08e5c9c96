import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { it } from 'node:test'
import { describeApp } from '../../../test/support/app.ts'
import { makeTac, membershipOf } from '../../../test/support/tac.ts'
import { stableUuid } from '../../data/ids.ts'
import { systemRepository } from '../../data/system.ts'
import { FieldRefusedError } from '../../data/unit-of-work.ts'
import { currentMatcherModel, MATCHER_MIN_MATCHES, MATCHER_MIN_RECORDS, matchPair, MATCH_FIELDS, nearbyBirthDates, oneEditVariants } from './repository.ts'
import { DEFAULTS, FIELDS, startingM } from '../linkage/matcher.ts'
import { validNhsNumber } from './validate.ts'

const P = stableUuid('partnership:northshire')
const id = (k: string) => stableUuid(`northshire:${k}`)
const CSC = id('agency:csc')
const HEADER = 'source_ref,given_name,family_name,date_of_birth,sex,nhs_number,upn,postcode,address'
const csvLine = (v: (string | null | undefined)[]) => v.map((x) => (x ?? '').includes(',') ? `"${x}"` : (x ?? '')).join(',')
const typo = (s: string) => s.slice(0, -1) + (s.endsWith('x') ? 'y' : 'x')
const NICKNAME: Record<string, string> = { Oliver: 'Ollie', Jack: 'John', Harry: 'Henry', Charlie: 'Charles', Freddie: 'Fred', Jacob: 'Jake', Theo: 'Theodore' }
const ymd = (iso: string) => iso.split('-').map(Number) as [number, number, number]
const isoOf = (t: number) => new Date(t).toISOString().slice(0, 10)
const addDays = (iso: string, n: number) => isoOf(Date.parse(`${iso}T00:00:00Z`) + n * 86_400_000)
/** Another day in the same year, neither a day either side nor day and month swapped. */
const sameYearElsewhere = (iso: string) => (ymd(iso)[1] === 12 && ymd(iso)[2] > 15 ? addDays(iso, -9) : addDays(iso, 9))

describeApp('agency records: import, matching, review, merge and unmerge', (ctx) => {
  type Kid = { id: string; given_name: string; family_name: string; date_of_birth: string | null; sex: string; nhs_number: string | null; upn: string | null }
  let kids: Kid[]
  const recordOf = (ref: string) => ctx.s.t.db.selectFrom('agency_record').selectAll().where('partnership_id', '=', P).where('agency_id', '=', CSC).where('source_ref', '=', ref).executeTakeFirstOrThrow()
  const entriesOf = async (childId: string) => (await ctx.s.t.db.selectFrom('entry').select('id').where('child_id', '=', childId).orderBy('id').execute()).map((e) => e.id)
  let goodCsv: string
  let nearMisses: { ref: string; kidId: string }[] = []
  let farOtherId = ''

  it('importing records that match demo children links them, with a field-by-field explanation', async () => {
    // children whose date of birth no other child shares, so each record has one candidate
    kids = await ctx.s.t.db
      .selectFrom('child as c')
      .selectAll()
      .where('c.nhs_number', 'is not', null)
      .where('c.date_of_birth', 'is not', null)
      .where(({ eb, selectFrom }) => eb(selectFrom('child as d').select((e) => e.fn.countAll<number>().as('n')).whereRef('d.date_of_birth', '=', 'c.date_of_birth'), '=', 1))
      .orderBy('c.id')
      .limit(5)
      .execute()
    assert.equal(kids.length, 5)
    goodCsv = [HEADER, ...kids.slice(0, 2).map((k, i) => csvLine([`CSC-${i + 1}`, typo(k.given_name), k.family_name, k.date_of_birth, k.sex, k.nhs_number, k.upn, null, null]))].join('\n')
    const admin = await ctx.s.signIn('admin.csc')
    assert.equal((await admin.get('/records/import')).statusCode, 200)
    const res = await admin.post('/records/import', { kind: 'records', csv: goodCsv, fileName: 'csc.csv' })
    assert.equal(res.statusCode, 200, res.body)
    assert.match(res.body, /Imported 2 rows/)
    for (const [i, k] of kids.slice(0, 2).entries()) {
      const rec = await recordOf(`CSC-${i + 1}`)
      assert.equal(rec.child_id, k.id)
      assert.equal(rec.match_state, 'matched')
      assert.ok(rec.match_probability! >= 0.5)
      const fields = (rec.match_explanation as { fields: { field: string; level: string; log2BayesFactor: number }[] }).fields
      assert.notEqual(fields.find((f) => f.field === 'given_name')!.level, 'exact', 'the typo shows in the explanation')
      assert.equal(fields.find((f) => f.field === 'nhs_number')!.level, 'exact')
      assert.ok(fields.find((f) => f.field === 'dob')!.log2BayesFactor > 0)
      const rel = await ctx.s.t.db.selectFrom('relationship').selectAll().where('source', '=', `agency record ${rec.id}`).executeTakeFirstOrThrow()
      assert.deepEqual([rel.child_id, rel.type, rel.holder_agency_id], [k.id, 'agency_record', CSC])
    }
    const audit = await ctx.s.t.db.selectFrom('audit_event').selectAll().where('action', '=', 'records.import').where('outcome', '=', 'success').execute()
    assert.equal(audit.length, 1)
    assert.deepEqual([...audit[0]!.child_ids].sort(), kids.slice(0, 2).map((k) => k.id).sort())
  })

  it('re-importing the same file is refused, and nothing changes', async () => {
    const admin = await ctx.s.signIn('admin.csc')
    const before = await ctx.s.t.db.selectFrom('agency_record').select('id').execute()
    const res = await admin.post('/records/import', { kind: 'records', csv: goodCsv })
    assert.equal(res.statusCode, 409)
    assert.match(res.body, /already imported/)
    assert.equal((await ctx.s.t.db.selectFrom('agency_record').select('id').execute()).length, before.length)
  })

  it('a bad CSV (bad rows among good ones) saves nothing and lists each row and why', async () => {
    const admin = await ctx.s.signIn('admin.csc')
    const k = kids[2]!
    const badNhs = k.nhs_number!.slice(0, 9) + String((Number(k.nhs_number![9]) + 1) % 10)
    assert.equal(validNhsNumber(badNhs), false)
    const csv = [
      HEADER,
      csvLine(['BAD-1', k.given_name, k.family_name, k.date_of_birth, k.sex, null, null, null, null]),
      csvLine(['BAD-2', k.given_name, k.family_name, '2014-02-30', k.sex, badNhs, null, 'NOT A PC', null]),
      csvLine(['BAD-3', '', k.family_name, k.date_of_birth, k.sex, null, null, null, null]),
    ].join('\n')
    const children = Number((await ctx.s.t.db.selectFrom('child').select((e) => e.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n)
    const res = await admin.post('/records/import', { kind: 'records', csv })
    assert.equal(res.statusCode, 400)
    assert.match(res.body, /Nothing was imported/)
    assert.match(res.body, /date_of_birth &quot;2014-02-30&quot; is not a date/)
    assert.match(res.body, /nhs_number .* fails the NHS number check digit/)
    assert.match(res.body, /postcode &quot;NOT A PC&quot; is not a UK postcode/)
    assert.match(res.body, /given_name is required/)
    assert.equal((await ctx.s.t.db.selectFrom('agency_record').select('id').where('source_ref', 'like', 'BAD-%').execute()).length, 0, 'not even the good row')
    assert.equal(Number((await ctx.s.t.db.selectFrom('child').select((e) => e.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n), children)
    const run = await ctx.s.t.db.selectFrom('import_run').selectAll().where('status', '=', 'rejected').executeTakeFirstOrThrow()
    const rejections = await ctx.s.t.db.selectFrom('import_rejection').select(['row_number', 'reason']).where('import_run_id', '=', run.id).orderBy('row_number').execute()
    assert.deepEqual(rejections.map((r) => r.row_number), [3, 4])
    assert.match(rejections[0]!.reason, /date_of_birth.*nhs_number.*postcode/)
  })

  let reviewRef: string
  let reviewKid: Kid
  it('a near match goes to the review queue, with the pair side by side and the reasons', async () => {
    reviewKid = kids[2]!
    reviewRef = 'CSC-REVIEW'
    // another first name, same family name and date of birth, sex not recorded: possibly the same child
    const csv = [HEADER, csvLine([reviewRef, 'Zebedee', reviewKid.family_name, reviewKid.date_of_birth, '', null, null, null, null]), csvLine(['CSC-REVIEW-2', 'Quentin', kids[3]!.family_name, kids[3]!.date_of_birth, '', null, null, null, null])].join('\n')
    const admin = await ctx.s.signIn('admin.csc')
    assert.equal((await admin.post('/records/import', { kind: 'records', csv })).statusCode, 200)
    const rec = await recordOf(reviewRef)
    assert.equal(rec.match_state, 'review')
    assert.equal(rec.review_child_id, reviewKid.id)
    assert.notEqual(rec.child_id, reviewKid.id, 'on a child of its own until a reviewer decides')
    assert.ok(rec.match_probability! >= 0.2 && rec.match_probability! < 0.5)
    const reviewer = await ctx.s.signIn('partnership.admin')
    const page = await reviewer.get('/records/review')
    assert.equal(page.statusCode, 200)
    assert.match(page.body, /Zebedee/)
    assert.ok(page.body.includes(reviewKid.given_name))
    assert.match(page.body, /Same child: merge/)
    assert.match(page.body, /Not the same child/)
    assert.match(page.body, /Given name<\/td>\s*<td[^>]*>Else<\/td>/)
  })

  it('a pasted file over 1 MB is refused with a clear message; a body beyond the limit too, and nothing is saved', async () => {
    const admin = await ctx.s.signIn('admin.csc')
    await admin.get('/records/import')
    const before = (await ctx.s.t.db.selectFrom('import_run').select('id').execute()).length
    const big = `${HEADER}\n${'X-1,Ann,Lee,2015-01-01,female,,,,\n'.repeat(32_000)}`
    assert.ok(big.length > 1_000_000)
    const tooBig = await admin.post('/records/import', { kind: 'records', csv: big })
    assert.equal(tooBig.statusCode, 400)
    assert.match(tooBig.body, /1 MB or smaller/)
    const huge = await admin.post('/records/import', { kind: 'records', csv: big.repeat(5) })
    assert.equal(huge.statusCode, 413)
    assert.match(huge.body, /too large/)
    assert.equal((await ctx.s.t.db.selectFrom('import_run').select('id').execute()).length, before)
  })

  it('a field sent twice is said so, and nothing is saved: two pasted files are not joined into one, nor two reasons', async () => {
    const admin = await ctx.s.signIn('admin.csc')
    const before = (await ctx.s.t.db.selectFrom('import_run').select('id').execute()).length
    const records = await ctx.s.t.db.selectFrom('agency_record').select('id').execute()
    // "a" and "b" would be one quoted address, "a,b", if the two were joined
    const split = await admin.post('/records/import', { kind: 'records', csv: [`${HEADER}\nTWICE-1,Ann,Lee,2015-01-01,female,,,,"a`, 'b"'] })
    assert.equal(split.statusCode, 400)
    assert.match(split.body, /The CSV file was sent more than once: enter it once/)
    for (const form of [{ kind: ['records', 'entries'], fileName: '', csv: `${HEADER}\nTWICE-2,Ann,Lee,2015-01-01,female,,,,` }, { kind: 'records', fileName: ['a', 'b'], csv: `${HEADER}\nTWICE-3,Ann,Lee,2015-01-01,female,,,,` }]) {
      const r = await admin.post('/records/import', form)
      assert.equal(r.statusCode, 400)
      assert.match(r.body, /was sent more than once: enter it once/)
    }
    assert.equal((await ctx.s.t.db.selectFrom('import_run').select('id').execute()).length, before)
    assert.equal((await ctx.s.t.db.selectFrom('agency_record').select('id').execute()).length, records.length)
    const reviewer = await ctx.s.signIn('partnership.admin')
    const rec = await recordOf('CSC-1')
    const decisions = (await ctx.s.t.db.selectFrom('link_decision').select('id').execute()).length
    const unmerge = await reviewer.post(`/records/${rec.id}/unmerge`, { reason: ['a', 'b'] })
    assert.equal(unmerge.statusCode, 400)
    assert.match(unmerge.body, /The reason was sent more than once: enter it once/)
    const withdraw = await reviewer.post(`/records/${rec.id}/withdraw`, { childId: [rec.child_id, rec.child_id], withdrawReason: 'x' })
    assert.equal(withdraw.statusCode, 400)
    assert.match(withdraw.body, /The decision to withdraw was sent more than once: enter it once/)
    assert.equal((await ctx.s.t.db.selectFrom('link_decision').select('id').execute()).length, decisions)
    assert.equal((await recordOf('CSC-1')).child_id, rec.child_id)
  })

  it('a twin (another first name; the same surname, date of birth and sex) is never linked automatically', async () => {
    const k = kids[4]!
    const csv = [HEADER, csvLine(['CSC-TWIN', k.given_name === 'Zara' ? 'Yusuf' : 'Zara', k.family_name, k.date_of_birth, k.sex, null, null, null, null])].join('\n')
    const admin = await ctx.s.signIn('admin.csc')
    assert.equal((await admin.post('/records/import', { kind: 'records', csv })).statusCode, 200)
    const rec = await recordOf('CSC-TWIN')
    assert.notEqual(rec.child_id, k.id, 'a child of its own')
    assert.notEqual(rec.match_state, 'matched')
    if (rec.match_state === 'review') assert.equal(rec.review_child_id, k.id, 'a person decides')
  })

  it('entries import lands each entry on its record’s child, with agency_record_id; an unknown source_ref is a row-level rejection', async () => {
    const admin = await ctx.s.signIn('admin.csc')
    const bad = ['source_ref,occurred_at,type,category,significance,summary,visibility', 'CSC-1,2026-11-20,police_incident,domestic_abuse,high,Attended a domestic incident at home,team', 'NOPE-9,2026-11-20,exclusion,,low,Fixed-term exclusion,'].join('\n')
    const rejected = await admin.post('/records/import', { kind: 'entries', csv: bad })
    assert.equal(rejected.statusCode, 400)
    assert.match(rejected.body, /source_ref NOPE-9: this agency has no record/)
    assert.equal((await ctx.s.t.db.selectFrom('entry').select('id').where('agency_record_id', 'is not', null).execute()).length, 0)
    const csv = ['source_ref,occurred_at,type,category,significance,summary,visibility', 'CSC-1,2026-11-20T21:30:00Z,police_incident,domestic_abuse,high,Attended a domestic incident at home,team', `${reviewRef},2026-11-18,missed_appointment,,medium,Missed a second health appointment,`, `${reviewRef},2026-11-19,attendance_drop,,medium,Attendance fell to 82% this half term,agency`].join('\n')
    const res = await admin.post('/records/import', { kind: 'entries', csv })
    assert.equal(res.statusCode, 200, res.body)
    const one = await recordOf('CSC-1')
    const e1 = await ctx.s.t.db.selectFrom('entry').selectAll().where('agency_record_id', '=', one.id).execute()
    assert.equal(e1.length, 1)
    assert.deepEqual([e1[0]!.child_id, e1[0]!.source_agency_id, e1[0]!.type, e1[0]!.visibility], [kids[0]!.id, CSC, 'police_incident', 'team'])
    const rev = await recordOf(reviewRef)
    const e2 = await ctx.s.t.db.selectFrom('entry').selectAll().where('agency_record_id', '=', rev.id).execute()
    assert.equal(e2.length, 2)
    assert.ok(e2.every((e) => e.child_id === rev.child_id))
  })

  it('a later file that sends an entry again (a cumulative extract) adds only what is new, and says how many were already held', async () => {
    const admin = await ctx.s.signIn('admin.csc')
    const one = await recordOf('CSC-1')
    const before = (await ctx.s.t.db.selectFrom('entry').select('id').where('agency_record_id', '=', one.id).execute()).length
    // the same row as before, and a new one, with other line ends (another file, by its bytes); the new one twice
    const csv = ['source_ref,occurred_at,type,category,significance,summary,visibility', 'CSC-1,2026-11-20T21:30:00Z,police_incident,domestic_abuse,high,Attended a domestic incident at home,team', 'CSC-1,2026-11-21,exclusion,,medium,Fixed-term exclusion for two days,team', 'CSC-1,2026-11-21,exclusion,,medium,Fixed-term exclusion for two days,team'].join('\r\n')
    const res = await admin.post('/records/import', { kind: 'entries', csv })
    assert.equal(res.statusCode, 200, res.body.slice(0, 300))
    assert.match(res.body, /Entries already held[\s\S]*?2/)
    const after = await ctx.s.t.db.selectFrom('entry').select(['summary']).where('agency_record_id', '=', one.id).execute()
    assert.equal(after.length, before + 1)
    assert.equal(after.filter((e) => e.summary === 'Attended a domestic incident at home').length, 1)
    assert.equal(after.filter((e) => e.summary === 'Fixed-term exclusion for two days').length, 1)
  })

  it('merge moves exactly that record’s entries and relationship; unmerge moves exactly those back; both audited', async () => {
    const rec = await recordOf(reviewRef)
    const own = rec.child_id
    const target = reviewKid.id
    const moved = (await ctx.s.t.db.selectFrom('entry').select('id').where('agency_record_id', '=', rec.id).orderBy('id').execute()).map((e) => e.id)
    const targetBefore = await entriesOf(target)
    assert.ok(targetBefore.length > 0, 'the demo child has entries of its own')
    const reviewer = await ctx.s.signIn('partnership.admin')
    const noReason = await reviewer.post(`/records/${rec.id}/merge`, { reason: '' })
    assert.equal(noReason.statusCode, 400)
    assert.match(noReason.body, /Give the reason these records are the same child/)
    const merged = await reviewer.post(`/records/${rec.id}/merge`, { reason: 'Same child: confirmed with the school, first name is a mistake' })
    assert.equal(merged.statusCode, 303)
    assert.deepEqual(await entriesOf(target), [...targetBefore, ...moved].sort())
    assert.deepEqual(await entriesOf(own), [])
    const after = await recordOf(reviewRef)
    assert.deepEqual([after.child_id, after.match_state, after.review_child_id], [target, 'merged_by_reviewer', null])
    assert.equal((await ctx.s.t.db.selectFrom('relationship').select('child_id').where('source', '=', `agency record ${rec.id}`).executeTakeFirstOrThrow()).child_id, target)
    const page = await reviewer.get(`/records/${rec.id}`)
    assert.equal(page.statusCode, 200)
    assert.match(page.body, /Same child: confirmed with the school/)
    assert.ok(!(await reviewer.get('/records/review')).body.includes('CSC-REVIEW<'), 'left the queue')

    // the record's own child, left empty, is marked as merged: the next record with the same details is weighed against
    // the child it went to, never the empty one, and the search does not offer the empty one
    const mark = async () => (await ctx.s.t.db.selectFrom('child').select('merged_into_child_id').where('id', '=', own).executeTakeFirstOrThrow()).merged_into_child_id
    assert.equal(await mark(), target)
    const admin = await ctx.s.signIn('admin.csc')
    const again = [HEADER, csvLine(['CSC-REVIEW-AGAIN', 'Zebedee', reviewKid.family_name, reviewKid.date_of_birth, '', null, null, null, null])].join('\n')
    assert.equal((await admin.post('/records/import', { kind: 'records', csv: again })).statusCode, 200)
    const second = await recordOf('CSC-REVIEW-AGAIN')
    assert.notEqual(second.child_id, own)
    assert.deepEqual([second.match_state, second.review_child_id], ['review', target], 'weighed against the child the first was merged into')
    const front = await ctx.s.signIn('frontdoor')
    const found = await front.get(`/search?name=${encodeURIComponent(`Zebedee ${reviewKid.family_name}`)}&dob=${reviewKid.date_of_birth}`)
    assert.equal(found.statusCode, 200)
    const searched = await ctx.s.t.db.selectFrom('audit_event').select('child_ids').where('action', '=', 'child.search').orderBy('id', 'desc').limit(1).executeTakeFirstOrThrow()
    assert.ok(searched.child_ids.includes(target), 'the child it was merged into is found')
    assert.ok(!searched.child_ids.includes(own), 'the empty child is not')

    // a correction of one of the record's entries, written on the child it was merged into (as a dispute's response
    // writes it: no agency record of its own), goes back with the entry it corrects
    assert.ok(moved.length > 0)
    const correction = randomUUID()
    const original = await ctx.s.t.db.selectFrom('entry').selectAll().where('id', '=', moved[0]!).executeTakeFirstOrThrow()
    await ctx.s.t.db.insertInto('entry').values({ ...original, id: correction, summary: 'Corrected: missed a second appointment', recorded_at: new Date(), agency_record_id: null, supersedes_entry_id: original.id }).execute()

    const unmerged = await reviewer.post(`/records/${rec.id}/unmerge`, { reason: 'The school has two pupils with this name and birthday' })
    assert.equal(unmerged.statusCode, 303)
    assert.deepEqual(await entriesOf(target), targetBefore, 'the candidate child is exactly as before')
    assert.deepEqual(await entriesOf(own), [...moved, correction].sort(), 'exactly the record’s entries, and the correction of one, went back')
    assert.equal(await mark(), null, 'the child has its record again')
    const back = await recordOf(reviewRef)
    assert.deepEqual([back.child_id, back.match_state], [own, 'new_child'])
    assert.equal((await ctx.s.t.db.selectFrom('relationship').select('child_id').where('source', '=', `agency record ${rec.id}`).executeTakeFirstOrThrow()).child_id, own)
    const history = await ctx.s.t.db.selectFrom('link_decision').select('kind').where('agency_record_id', '=', rec.id).orderBy('decided_at').orderBy('kind').execute()
    assert.deepEqual(history.map((h) => h.kind).sort(), ['merge', 'review', 'unmerge'])
    for (const action of ['records.merge', 'records.unmerge']) {
      const a = await ctx.s.t.db.selectFrom('audit_event').selectAll().where('action', '=', action).where('outcome', '=', 'success').executeTakeFirstOrThrow()
      assert.deepEqual([...a.child_ids].sort(), [own, target].sort())
      assert.equal(a.entity_id, rec.id)
    }
  })

  it('“not the same child” is remembered: a later import does not propose the pair again', async () => {
    const rec = await recordOf('CSC-REVIEW-2')
    assert.equal(rec.match_state, 'review')
    const candidate = rec.review_child_id!
    const reviewer = await ctx.s.signIn('partnership.admin')
    assert.equal((await reviewer.post(`/records/${rec.id}/not-same`, { reason: 'Different child: checked the birth register' })).statusCode, 303)
    assert.equal((await recordOf('CSC-REVIEW-2')).match_state, 'new_child')
    assert.ok(await ctx.s.t.db.selectFrom('not_same_child').select('child_id').where('agency_record_id', '=', rec.id).where('child_id', '=', candidate).executeTakeFirst())
    // the same identity again (a new file, with a postcode now): the record stays out of the queue
    const k = kids[3]!
    const again = (postcode: string) => [HEADER, csvLine(['CSC-REVIEW-2', 'Quentin', k.family_name, k.date_of_birth, '', null, null, postcode, null])].join('\n')
    const admin = await ctx.s.signIn('admin.csc')
    assert.equal((await admin.post('/records/import', { kind: 'records', csv: again('NS1 4AB') })).statusCode, 200)
    const after = await recordOf('CSC-REVIEW-2')
    assert.deepEqual([after.match_state, after.review_child_id, after.postcode], ['new_child', null, 'NS1 4AB'])
    // control: forget the decision and the same import proposes the pair again
    await ctx.s.t.db.deleteFrom('not_same_child').where('agency_record_id', '=', rec.id).execute()
    assert.equal((await admin.post('/records/import', { kind: 'records', csv: again('NS1 4AC') })).statusCode, 200)
    const control = await recordOf('CSC-REVIEW-2')
    assert.deepEqual([control.match_state, control.review_child_id], ['review', candidate], 'without the memory the pair is proposed')
    assert.ok(await ctx.s.t.db.selectFrom('audit_event').select('id').where('action', '=', 'records.not-same').where('outcome', '=', 'success').executeTakeFirst())
  })

  it('a mistaken unmerge can be withdrawn: the pair is back in review with its explanation, and merging again restores exactly the same entries', async () => {
    const rec = await recordOf(reviewRef)
    const own = rec.child_id
    const target = reviewKid.id
    assert.equal(rec.match_state, 'new_child')
    const moved = await entriesOf(own)
    assert.equal(moved.length, 3, 'the record’s two entries, and the correction of one (the test above)')
    const targetBefore = await entriesOf(target)
    const remembered = () => ctx.s.t.db.selectFrom('not_same_child').select('child_id').where('agency_record_id', '=', rec.id).execute()
    assert.deepEqual((await remembered()).map((r) => r.child_id), [target])
    const reviewer = await ctx.s.signIn('partnership.admin')
    const page = await reviewer.get(`/records/${rec.id}`)
    assert.match(page.body, /Remembered as not the same child/)
    assert.match(page.body, /Withdraw the decision/)
    // out of scope (no records:match): 404, nothing changes
    for (const who of ['dsl.brookside', 'admin.csc']) {
      const other = await ctx.s.signIn(who)
      assert.equal((await other.post(`/records/${rec.id}/withdraw`, { childId: target, withdrawReason: 'x' })).statusCode, 404, who)
    }
    // bad ids and missing reasons: clear errors, never 500
    assert.equal((await reviewer.post('/records/not-a-record/withdraw', { childId: target, withdrawReason: 'x' })).statusCode, 404)
    assert.equal((await reviewer.post(`/records/${randomUUID()}/withdraw`, { childId: target, withdrawReason: 'x' })).statusCode, 404)
    const badChild = await reviewer.post(`/records/${rec.id}/withdraw`, { childId: 'not-a-child', withdrawReason: 'x' })
    assert.equal(badChild.statusCode, 400)
    assert.match(badChild.body, /Choose the decision to withdraw/)
    const noReason = await reviewer.post(`/records/${rec.id}/withdraw`, { childId: target, withdrawReason: '' })
    assert.equal(noReason.statusCode, 400)
    assert.match(noReason.body, /Give the reason this decision was wrong/)
    const unknownChild = await reviewer.post(`/records/${rec.id}/withdraw`, { childId: randomUUID(), withdrawReason: 'x' })
    assert.equal(unknownChild.statusCode, 409)
    assert.match(unknownChild.body, /no remembered “not the same child” decision/)
    assert.deepEqual((await remembered()).map((r) => r.child_id), [target], 'still remembered')
    assert.equal((await recordOf(reviewRef)).match_state, 'new_child')

    const withdrawn = await reviewer.post(`/records/${rec.id}/withdraw`, { childId: target, withdrawReason: 'The school confirmed it is one pupil after all' })
    assert.equal(withdrawn.statusCode, 303)
    const queued = await recordOf(reviewRef)
    assert.deepEqual([queued.child_id, queued.match_state, queued.review_child_id], [own, 'review', target])
    assert.equal((queued.match_explanation as { candidateChildId: string }).candidateChildId, target)
    assert.ok((queued.match_explanation as { fields: unknown[] }).fields.length > 0)
    assert.deepEqual(await remembered(), [], 'the memory is withdrawn')
    assert.deepEqual(await entriesOf(own), moved, 'nothing moved yet')
    assert.ok((await reviewer.get('/records/review')).body.includes(`/records/${rec.id}`), 'back in the queue')
    assert.match((await reviewer.get(`/records/${rec.id}`)).body, /Withdrew the unmerge decision/)
    const audit = await ctx.s.t.db.selectFrom('audit_event').selectAll().where('action', '=', 'records.withdraw').where('outcome', '=', 'success').where('entity_id', '=', rec.id).execute()
    assert.equal(audit.length, 1)
    assert.deepEqual([...audit[0]!.child_ids].sort(), [own, target].sort())

    assert.equal((await reviewer.post(`/records/${rec.id}/merge`, { reason: 'Same child: the unmerge was a mistake' })).statusCode, 303)
    assert.deepEqual(await entriesOf(target), [...targetBefore, ...moved].sort(), 'exactly the same entries are on the child again')
    assert.deepEqual(await entriesOf(own), [])
    const merged = await recordOf(reviewRef)
    assert.deepEqual([merged.child_id, merged.match_state], [target, 'merged_by_reviewer'])
    assert.equal((await ctx.s.t.db.selectFrom('relationship').select('child_id').where('source', '=', `agency record ${rec.id}`).executeTakeFirstOrThrow()).child_id, target)
  })

  it('a dispute of one of the record’s entries follows the entry: an unmerge takes it back, a merge again brings it', async () => {
    const rec = await recordOf(reviewRef)
    const own = (await ctx.s.t.db.selectFrom('link_decision').select('from_child_id').where('agency_record_id', '=', rec.id).where('kind', '=', 'merge').orderBy('decided_at', 'desc').executeTakeFirstOrThrow()).from_child_id!
    const target = reviewKid.id
    assert.deepEqual([rec.child_id, rec.match_state], [target, 'merged_by_reviewer'])
    const entry = await ctx.s.t.db.selectFrom('entry').select(['id', 'child_id']).where('agency_record_id', '=', rec.id).orderBy('id').executeTakeFirstOrThrow()
    assert.equal(entry.child_id, target)
    // a parent disputes the entry while it is on the child it was merged into (as recordDispute writes it: the entry's child)
    const dispute = randomUUID()
    await ctx.s.t.db
      .insertInto('entry_dispute')
      .values({ partnership_id: P, id: dispute, entry_id: entry.id, child_id: entry.child_id, kind: 'dispute', raised_by_name: 'A parent', raised_by_relationship: 'parent', statement: 'That appointment was rearranged, not missed', subject_access_item_id: null, recorded_by: id('membership:dsl.brookside:0'), recorded_at: new Date(), outcome: null, correcting_entry_id: null, response: null, responded_by: null, responded_at: null })
      .execute()
    const disputeChild = async () => (await ctx.s.t.db.selectFrom('entry_dispute').select('child_id').where('id', '=', dispute).executeTakeFirstOrThrow()).child_id
    const reviewer = await ctx.s.signIn('partnership.admin')
    assert.equal((await reviewer.post(`/records/${rec.id}/unmerge`, { reason: 'Two pupils after all' })).statusCode, 303)
    assert.equal((await recordOf(reviewRef)).child_id, own)
    assert.equal(await disputeChild(), own, 'the dispute went back with its entry (or the other child’s retention would clear it, and its own would not)')
    assert.equal((await reviewer.post(`/records/${rec.id}/withdraw`, { childId: target, withdrawReason: 'One pupil: the unmerge was a mistake' })).statusCode, 303)
    assert.equal((await reviewer.post(`/records/${rec.id}/merge`, { reason: 'Same child again' })).statusCode, 303)
    assert.equal(await disputeChild(), target, 'and came with it again')
  })

  it('a record waiting in review against a child that a merge has since emptied goes to the child that one went into, never onto the hidden child', async () => {
    const admin = await ctx.s.signIn('admin.csc')
    const reviewer = await ctx.s.signIn('partnership.admin')
    const row = (ref: string, given: string, postcode: string) => csvLine([ref, given, 'Quarrington', '2015-03-07', 'female', null, null, postcode, null])
    const load = async (...rows: string[]) => assert.equal((await admin.post('/records/import', { kind: 'records', csv: [HEADER, ...rows].join('\n') })).statusCode, 200)
    await load(row('MRG-0', 'Anwen', 'NS9 2BB'))
    const k = (await recordOf('MRG-0')).child_id
    // twins of the child above by first name: a person decides each
    await load(row('MRG-1', 'Bryony', 'NS9 1AA'))
    const r1 = await recordOf('MRG-1')
    assert.deepEqual([r1.match_state, r1.review_child_id], ['review', k])
    const a = r1.child_id
    await load(row('MRG-2', 'Cressida', 'NS9 1AA'))
    const r2 = await recordOf('MRG-2')
    assert.deepEqual([r2.match_state, r2.review_child_id], ['review', a], 'weighed against the first twin’s child (the same address)')
    const own2 = r2.child_id
    // the first is the child above after all: its child is left empty, and marked as merged into that child
    assert.equal((await reviewer.post(`/records/${r1.id}/merge`, { reason: 'Same child: one pupil, registered twice' })).statusCode, 303)
    const markOf = async (c: string) => (await ctx.s.t.db.selectFrom('child').select('merged_into_child_id').where('id', '=', c).executeTakeFirstOrThrow()).merged_into_child_id
    assert.equal(await markOf(a), k)
    // the second waited against that emptied child; the reviewer says it is the same child as it
    assert.equal((await reviewer.post(`/records/${r2.id}/merge`, { reason: 'Same child as the pupil at that address' })).statusCode, 303)
    const after = await recordOf('MRG-2')
    assert.equal(after.child_id, k, 'on the child the emptied one went into')
    assert.ok(!(await ctx.s.t.db.selectFrom('agency_record').select('id').where('child_id', '=', a).executeTakeFirst()), 'nothing is put on a child the matcher and the search no longer offer')
    assert.equal((await ctx.s.t.db.selectFrom('relationship').select('child_id').where('source', '=', `agency record ${r2.id}`).executeTakeFirstOrThrow()).child_id, k)
    const decided = await ctx.s.t.db.selectFrom('link_decision').select(['from_child_id', 'to_child_id']).where('agency_record_id', '=', r2.id).where('kind', '=', 'merge').executeTakeFirstOrThrow()
    assert.deepEqual([decided.from_child_id, decided.to_child_id], [own2, k])
    // and an unmerge gives it back to its own child exactly
    assert.equal((await reviewer.post(`/records/${r2.id}/unmerge`, { reason: 'Not the same pupil after all' })).statusCode, 303)
    assert.equal((await recordOf('MRG-2')).child_id, own2)
    assert.equal(await markOf(own2), null)
  })

  it('risk signals follow the entries they name: a merge brings them to the child’s lead practitioner, an unmerge takes them back, a response is kept', async () => {
    const db = ctx.s.t.db
    const admin = await ctx.s.signIn('admin.csc')
    const reviewer = await ctx.s.signIn('partnership.admin')
    const system = systemRepository({ db, clock: ctx.s.clock }, 'records-test')
    await system.evaluateSignals()
    const row = (ref: string, given: string) => csvLine([ref, given, 'Threlkeld', '2014-06-09', 'female', null, null, 'NS8 1AA', null])
    assert.equal((await admin.post('/records/import', { kind: 'records', csv: [HEADER, row('SIG-0', 'Imogen')].join('\n') })).statusCode, 200)
    const target = (await recordOf('SIG-0')).child_id
    // a twin by first name: a person decides; the child the school's record is on has a team around it, led by the nurse
    assert.equal((await admin.post('/records/import', { kind: 'records', csv: [HEADER, row('SIG-1', 'Juniper')].join('\n') })).statusCode, 200)
    const rec = await recordOf('SIG-1')
    assert.deepEqual([rec.match_state, rec.review_child_id], ['review', target])
    const own = rec.child_id
    await makeTac(db, { childIds: [target], lead: 'nurse' })
    const nurse = membershipOf('nurse')
    // the record's entries fire two signals on its own child, a fortnight apart (nobody works with it yet: the front door is told)
    const HEAD = 'source_ref,occurred_at,type,category,significance,summary,visibility'
    const fire = async (...rows: string[]) => {
      ctx.s.clock.advance(60_000)
      assert.equal((await admin.post('/records/import', { kind: 'entries', csv: [HEAD, ...rows].join('\n') })).statusCode, 200)
      ctx.s.clock.advance(60_000)
      await system.evaluateSignals()
      return db.selectFrom('risk_signal').selectAll().where('child_id', '=', own).where('rule_code', '=', 'domestic_abuse_and_health').orderBy('fired_at', 'desc').executeTakeFirstOrThrow()
    }
    const answered = await fire('SIG-1,2026-11-01,police_incident,domestic_abuse,high,Police called to a domestic incident at home,team', 'SIG-1,2026-11-03,health_attendance,,medium,Seen at the emergency department with a bruised arm,team')
    const open = await fire('SIG-1,2026-11-12,police_incident,domestic_abuse,high,Police called to the home again,team', 'SIG-1,2026-11-14,health_attendance,,medium,Attended the walk-in centre with a cut hand,team')
    assert.notEqual(open.id, answered.id)
    const recordEntries = (await db.selectFrom('entry').select('id').where('agency_record_id', '=', rec.id).orderBy('id').execute()).map((e) => e.id)
    assert.equal(recordEntries.length, 4)
    assert.deepEqual([open.child_id, answered.child_id], [own, own])
    assert.ok(!open.routed_to.includes(nurse))
    const front = await ctx.s.signIn('frontdoor')
    const response = 'Strategy discussion with police booked; the school is tracking attendance daily.'
    assert.equal((await front.post(`/signals/${answered.id}/acknowledge`, { response })).statusCode, 303)
    const acknowledged = await db.selectFrom('risk_signal').selectAll().where('id', '=', answered.id).executeTakeFirstOrThrow()
    assert.ok(acknowledged.acknowledged_at)
    const signalEntry = async (signalId: string) => (await db.selectFrom('entry').select(['id', 'child_id']).where('detail_type', '=', 'risk_signal').where('detail_id', '=', signalId).executeTakeFirstOrThrow())
    const signalEntries = [(await signalEntry(open.id)).id, (await signalEntry(answered.id)).id]
    const told = async (signalId: string) => (await db.selectFrom('notification').select('membership_id').where('subject_id', '=', signalId).orderBy('membership_id').execute()).map((n) => n.membership_id)
    const toldAnswered = await told(answered.id)
    const targetBefore = await entriesOf(target)

    assert.equal((await reviewer.post(`/records/${rec.id}/merge`, { reason: 'Same child: one pupil, registered twice' })).statusCode, 303)
    // both signals went with their entries, each with its own entry in the chronology; the child left behind holds nothing
    const merged = await db.selectFrom('risk_signal').selectAll().where('id', 'in', [open.id, answered.id]).orderBy('fired_at').execute()
    assert.deepEqual(merged.map((s) => s.child_id), [target, target], 'the signals follow the entries that caused them')
    assert.deepEqual(await entriesOf(target), [...targetBefore, ...recordEntries, ...signalEntries].sort())
    assert.deepEqual(await entriesOf(own), [])
    assert.equal((await db.selectFrom('child').select('merged_into_child_id').where('id', '=', own).executeTakeFirstOrThrow()).merged_into_child_id, target, 'the empty child is marked as merged')
    assert.equal((await db.selectFrom('relationship').select('child_id').where('source', '=', `signal ${open.id}`).executeTakeFirstOrThrow()).child_id, target, 'the front door’s reason to see the child went with the signal')
    // the open one reached the lead practitioner of the child it is on now; the answered one keeps its response, and nobody is told of it again
    const movedOpen = merged.find((s) => s.id === open.id)!
    assert.deepEqual(movedOpen.routed_to, [...open.routed_to, nurse])
    assert.deepEqual(await told(open.id), [...open.routed_to, nurse].sort())
    const movedAnswered = merged.find((s) => s.id === answered.id)!
    assert.deepEqual([movedAnswered.acknowledged_at, movedAnswered.acknowledged_by, movedAnswered.response, movedAnswered.routed_to], [acknowledged.acknowledged_at, acknowledged.acknowledged_by, response, acknowledged.routed_to])
    assert.deepEqual(await told(answered.id), toldAnswered)
    const lead = await ctx.s.signIn('nurse')
    assert.match((await lead.get('/signals')).body, new RegExp(open.id))
    const page = await lead.get(`/signals/${open.id}`)
    assert.equal(page.statusCode, 200)
    const listed = page.body.split('The entries that caused it')[1]!.split('</ul>')[0]!
    assert.equal((listed.match(/<li>/g) ?? []).length, 2, 'with the two entries that caused it')
    const mergeAudit = await db.selectFrom('audit_event').select(['child_ids', 'details']).where('action', '=', 'records.merge').where('entity_id', '=', rec.id).where('outcome', '=', 'success').executeTakeFirstOrThrow()
    const mergeDetails = mergeAudit.details as { entries: string[]; signals: string[]; signalsRoutedTo: Record<string, string[]> }
    assert.deepEqual([...mergeDetails.signals].sort(), [open.id, answered.id].sort())
    assert.deepEqual([...mergeDetails.entries].sort(), [...recordEntries, ...signalEntries].sort())
    assert.deepEqual(mergeDetails.signalsRoutedTo, { [open.id]: [nurse] })

    // on the child it went to, the record's entries combine with the child's own: that signal names entries of both
    ctx.s.clock.advance(60_000)
    const ownEntry = { id: randomUUID(), partnership_id: P, child_id: target, type: 'health_attendance', category: null, occurred_at: new Date('2026-11-20T12:00:00Z'), recorded_at: ctx.s.clock.now(), author_membership_id: null, author_team_id: null, source_agency_id: id('agency:health'), significance: 'high' as const, summary: 'Seen by the GP with a burn', visibility: 'team' as const }
    await db.insertInto('entry').values(ownEntry).execute()
    ctx.s.clock.advance(60_000)
    await system.evaluateSignals()
    const mixed = await db.selectFrom('risk_signal').selectAll().where('child_id', '=', target).where('rule_code', '=', 'domestic_abuse_and_health').where('id', 'not in', [open.id, answered.id]).executeTakeFirstOrThrow()
    assert.ok(mixed.entry_ids.includes(ownEntry.id) && mixed.entry_ids.some((e) => recordEntries.includes(e)))
    const mixedEntry = await signalEntry(mixed.id)
    // a signal's entry moves only to the child its signal is on
    await assert.rejects(db.updateTable('entry').set({ child_id: own }).where('id', '=', mixedEntry.id).execute(), /entries are immutable/)

    const toldOpen = await told(open.id)
    assert.equal((await reviewer.post(`/records/${rec.id}/unmerge`, { reason: 'Two pupils after all: the school confirmed twins' })).statusCode, 303)
    // exactly back: the record's signals, with their entries, to its own child; the response kept; nobody told twice
    const back = await db.selectFrom('risk_signal').selectAll().where('id', 'in', [open.id, answered.id]).orderBy('fired_at').execute()
    assert.deepEqual(back.map((s) => s.child_id), [own, own], 'the signals return with their entries')
    assert.deepEqual(await entriesOf(own), [...recordEntries, ...signalEntries].sort())
    assert.equal((await db.selectFrom('child').select('merged_into_child_id').where('id', '=', own).executeTakeFirstOrThrow()).merged_into_child_id, null)
    const backAnswered = back.find((s) => s.id === answered.id)!
    assert.deepEqual([backAnswered.acknowledged_at, backAnswered.acknowledged_by, backAnswered.response], [acknowledged.acknowledged_at, acknowledged.acknowledged_by, response], 'the response is kept')
    assert.deepEqual(await told(open.id), toldOpen, 'the front door, told when it fired, is not told again')
    assert.deepEqual((await db.selectFrom('relationship').select('child_id').where('source', '=', `signal ${open.id}`).execute()).map((r) => r.child_id), [own])
    // the signal whose entries are now split between the two children stays where it was raised
    assert.equal((await db.selectFrom('risk_signal').select('child_id').where('id', '=', mixed.id).executeTakeFirstOrThrow()).child_id, target)
    assert.equal((await signalEntry(mixed.id)).child_id, target)
    const unmergeAudit = await db.selectFrom('audit_event').select('details').where('action', '=', 'records.unmerge').where('entity_id', '=', rec.id).where('outcome', '=', 'success').executeTakeFirstOrThrow()
    const unmergeDetails = unmergeAudit.details as { entries: string[]; signals: string[]; signalsRoutedTo?: unknown }
    assert.deepEqual([...unmergeDetails.signals].sort(), [open.id, answered.id].sort())
    assert.deepEqual([...unmergeDetails.entries].sort(), [...recordEntries, ...signalEntries].sort())
    assert.equal(unmergeDetails.signalsRoutedTo, undefined, 'nobody new was told')
  })

  it('a merge that brings two strands together fires the signal they make at the next evaluation, without waiting for a new entry; once', async () => {
    const db = ctx.s.t.db
    const admin = await ctx.s.signIn('admin.csc')
    const system = systemRepository({ db, clock: ctx.s.clock }, 'records-test')
    const row = (ref: string, given: string) => csvLine([ref, given, 'Ravenglass', '2013-02-11', 'male', null, null, 'NS8 2BB', null])
    assert.equal((await admin.post('/records/import', { kind: 'records', csv: [HEADER, row('STR-0', 'Osian')].join('\n') })).statusCode, 200)
    const target = (await recordOf('STR-0')).child_id
    // a twin by first name: held for a person to decide, on a child of its own
    assert.equal((await admin.post('/records/import', { kind: 'records', csv: [HEADER, row('STR-1', 'Peredur')].join('\n') })).statusCode, 200)
    const rec = await recordOf('STR-1')
    assert.deepEqual([rec.match_state, rec.review_child_id], ['review', target])
    const HEAD = 'source_ref,occurred_at,type,category,significance,summary,visibility'
    // one strand on each: an attendance on the child, a domestic-abuse incident on the record held for review
    assert.equal((await admin.post('/records/import', { kind: 'entries', csv: [HEAD, 'STR-0,2026-11-05,health_attendance,,medium,Seen at the emergency department with a burn,team', 'STR-1,2026-11-02,police_incident,domestic_abuse,high,Police called to a domestic incident at home,team'].join('\n') })).statusCode, 200)
    const strands = (await db.selectFrom('entry').select('id').where('agency_record_id', 'in', [rec.id, (await recordOf('STR-0')).id]).execute()).map((e) => e.id).sort()
    assert.equal(strands.length, 2)
    const signalsOn = async (c: string) => (await db.selectFrom('risk_signal').select('entry_ids').where('child_id', '=', c).where('rule_code', '=', 'domestic_abuse_and_health').execute()).map((r) => [...r.entry_ids].sort())
    ctx.s.clock.advance(60_000)
    await system.evaluateSignals()
    assert.deepEqual([await signalsOn(target), await signalsOn(rec.child_id)], [[], []], 'apart, neither strand fires')
    // long past the commit grace: the entries are new to no evaluation now
    ctx.s.clock.advance(30 * 60_000)
    await system.evaluateSignals()
    // (signed in now: a session idle for half an hour has ended)
    const reviewer = await ctx.s.signIn('partnership.admin')
    assert.equal((await reviewer.post(`/records/${rec.id}/merge`, { reason: 'Same child: one pupil, registered twice' })).statusCode, 303)
    ctx.s.clock.advance(60_000)
    await system.evaluateSignals()
    assert.deepEqual(await signalsOn(target), [strands], 'seen together, they fire at once')
    assert.equal((await db.selectFrom('signal_recheck').select('child_id').where('child_id', '=', target).execute()).length, 0, 'the re-check is done')
    ctx.s.clock.advance(60_000)
    await system.evaluateSignals()
    assert.deepEqual(await signalsOn(target), [strands], 'once')
  })

  it('a mistaken “not the same child” can be withdrawn: the pair is in the review queue again, audited', async () => {
    const rec = await recordOf('CSC-REVIEW-2')
    assert.equal(rec.match_state, 'review')
    const candidate = rec.review_child_id!
    const reviewer = await ctx.s.signIn('partnership.admin')
    const early = await reviewer.post(`/records/${rec.id}/withdraw`, { childId: candidate, withdrawReason: 'x' })
    assert.equal(early.statusCode, 409, 'nothing to withdraw while the record is in review')
    assert.match(early.body, /cannot be changed that way now/)
    assert.equal((await reviewer.post(`/records/${rec.id}/not-same`, { reason: 'Different child, I thought' })).statusCode, 303)
    assert.equal((await recordOf('CSC-REVIEW-2')).match_state, 'new_child')
    assert.ok(!(await reviewer.get('/records/review')).body.includes(`/records/${rec.id}`))
    const dsl = await ctx.s.signIn('dsl.brookside')
    assert.equal((await dsl.post(`/records/${rec.id}/withdraw`, { childId: candidate, withdrawReason: 'x' })).statusCode, 404)
    assert.ok(await ctx.s.t.db.selectFrom('not_same_child').select('child_id').where('agency_record_id', '=', rec.id).where('child_id', '=', candidate).executeTakeFirst(), 'still remembered')
    assert.equal((await reviewer.post(`/records/${rec.id}/withdraw`, { childId: candidate, withdrawReason: 'Misread the birth register' })).statusCode, 303)
    const after = await recordOf('CSC-REVIEW-2')
    assert.deepEqual([after.match_state, after.review_child_id, after.child_id], ['review', candidate, rec.child_id])
    assert.equal((after.match_explanation as { candidateChildId: string }).candidateChildId, candidate)
    assert.equal(await ctx.s.t.db.selectFrom('not_same_child').select('child_id').where('agency_record_id', '=', rec.id).executeTakeFirst(), undefined)
    assert.ok((await reviewer.get('/records/review')).body.includes(`/records/${rec.id}`), 'in the review queue again')
    assert.match((await reviewer.get(`/records/${rec.id}`)).body, /Withdrew the “not the same child” decision/)
    const a = await ctx.s.t.db.selectFrom('audit_event').selectAll().where('action', '=', 'records.withdraw').where('outcome', '=', 'success').where('entity_id', '=', rec.id).executeTakeFirstOrThrow()
    assert.deepEqual([...a.child_ids].sort(), [rec.child_id, candidate].sort())
    assert.equal((a.details as { withdrawn: string }).withdrawn, 'not_same')
  })

  it('the API creates a record (its state, never the candidate child or the comparison with it) and an entry; bad input is problem+json', async () => {
    const admin = await ctx.s.signIn('admin.csc')
    const me = await admin.get('/api/v1/me')
    admin.csrf = (JSON.parse(me.body) as { csrfToken: string }).csrfToken
    const k = kids[4]!
    const made = await admin.postJson('/api/v1/records', { sourceRef: 'API-1', givenName: k.given_name, familyName: k.family_name, dateOfBirth: k.date_of_birth, sex: k.sex, nhsNumber: k.nhs_number }, { 'idempotency-key': randomUUID() })
    assert.equal(made.statusCode, 201, made.body)
    const body = JSON.parse(made.body) as { id: string; childId: string; matchState: string }
    assert.deepEqual([body.childId, body.matchState], [k.id, 'matched'])
    assert.deepEqual(Object.keys(body).sort(), ['childId', 'created', 'id', 'matchState', 'sourceRef'])
    // a near match waits for the reviewers: the importing agency is not told whom it resembles, or how
    const near = await admin.postJson('/api/v1/records', { sourceRef: 'API-NEAR', givenName: 'Zebedee', familyName: k.family_name, dateOfBirth: k.date_of_birth, sex: 'unknown' }, { 'idempotency-key': randomUUID() })
    assert.equal(near.statusCode, 201, near.body)
    const nearBody = JSON.parse(near.body) as { id: string; childId: string; matchState: string }
    assert.equal(nearBody.matchState, 'review')
    const queued = await recordOf('API-NEAR')
    assert.ok(queued.review_child_id && queued.match_explanation, 'the reviewers have the candidate and why')
    assert.notEqual(nearBody.childId, queued.review_child_id)
    assert.ok(!near.body.includes(queued.review_child_id), 'the candidate child is not named')
    assert.doesNotMatch(near.body, /explanation|probability|candidate|family_name|date_of_birth/)
    const entry = await admin.postJson('/api/v1/entries', { sourceRef: 'API-1', occurredAt: '2026-11-21', type: 'health_attendance', category: 'injury', significance: 'high', summary: 'A&E attendance with a head injury' }, { 'idempotency-key': randomUUID() })
    assert.equal(entry.statusCode, 201, entry.body)
    const e = JSON.parse(entry.body) as { id: string }
    const row = await ctx.s.t.db.selectFrom('entry').selectAll().where('id', '=', e.id).executeTakeFirstOrThrow()
    assert.deepEqual([row.child_id, row.agency_record_id, row.source_agency_id], [k.id, body.id, CSC])
    const bad = await admin.postJson('/api/v1/records', { sourceRef: 'API-2', givenName: 'A', familyName: 'B', dateOfBirth: '2015-13-01', nhsNumber: '1234567890', colour: 'red' }, { 'idempotency-key': randomUUID() })
    assert.equal(bad.statusCode, 400)
    assert.equal(bad.headers['content-type'], 'application/problem+json; charset=utf-8')
    const names = (JSON.parse(bad.body) as { 'invalid-params': { name: string }[] })['invalid-params'].map((p) => p.name)
    assert.ok(names.includes('colour'))
    const bad2 = await admin.postJson('/api/v1/records', { sourceRef: 'API-2', givenName: 'A', familyName: 'B', dateOfBirth: '2015-13-01', nhsNumber: '1234567890' }, { 'idempotency-key': randomUUID() })
    assert.deepEqual((JSON.parse(bad2.body) as { 'invalid-params': { name: string }[] })['invalid-params'].map((p) => p.name), ['dateOfBirth', 'nhsNumber'])
    const unknown = await admin.postJson('/api/v1/entries', { sourceRef: 'NOPE', occurredAt: '2026-11-21', type: 'exclusion', significance: 'low', summary: 'x' }, { 'idempotency-key': randomUUID() })
    assert.equal(unknown.statusCode, 400)
    assert.equal((await ctx.s.t.db.selectFrom('agency_record').select('id').where('source_ref', '=', 'API-2').execute()).length, 0)
  })

  it('a role without the permission: 404 on record routes, refused elsewhere, nothing written', async () => {
    const rec = await recordOf(reviewRef)
    const dsl = await ctx.s.signIn('dsl.brookside')
    assert.equal((await dsl.get(`/records/${rec.id}`)).statusCode, 404)
    assert.equal((await dsl.post(`/records/${rec.id}/unmerge`, { reason: 'x' })).statusCode, 404)
    assert.equal((await dsl.post(`/records/${rec.id}/merge`, { reason: 'x' })).statusCode, 404)
    assert.ok((await dsl.get('/records/review')).statusCode >= 400)
    const admin = await ctx.s.signIn('admin.csc') // records:import, not records:match
    assert.equal((await admin.get(`/records/${rec.id}`)).statusCode, 404)
    const police = await ctx.s.signIn('police.mash')
    assert.ok((await police.post('/records/import', { kind: 'records', csv: goodCsv.replace(/CSC-/g, 'POL-') })).statusCode >= 400)
    assert.equal((await ctx.s.t.db.selectFrom('agency_record').select('id').where('source_ref', 'like', 'POL-%').execute()).length, 0)
  })

  it('a file that stopped part-way resumes after its last committed batch (the command line’s path)', async () => {
    const importer = systemRepository({ db: ctx.s.t.db, clock: ctx.s.clock }, 'records-import-test').recordsImporter(P, CSC)
    const csv = [HEADER, ...['One', 'Two', 'Three'].map((n, i) => csvLine([`RES-${i}`, n, 'Resumeson', `2019-0${i + 1}-11`, 'female', null, null, null, null]))].join('\n')
    let calls = 0
    await assert.rejects(
      importer.importCsv('records', csv, {
        chunkSize: 1,
        onProgress: (done) => {
          calls++
          if (done === 1) throw new Error('interrupted')
        },
      }),
      /interrupted/,
    )
    assert.ok(calls >= 1)
    assert.equal((await ctx.s.t.db.selectFrom('agency_record').select('id').where('source_ref', 'like', 'RES-%').execute()).length, 1)
    const result = await importer.importCsv('records', csv, { chunkSize: 1 })
    assert.deepEqual([result.status, result.resumedFrom, result.rowsDone], ['finished', 1, 3])
    assert.equal((await ctx.s.t.db.selectFrom('agency_record').select('id').where('source_ref', 'like', 'RES-%').execute()).length, 3)
    await assert.rejects(importer.importCsv('records', csv), /already imported/)
  })

  it('the blocking keys: nearby dates of birth and identifiers one edit away', () => {
    assert.deepEqual(nearbyBirthDates('2015-03-07').sort(), ['2015-03-06', '2015-03-07', '2015-03-08', '2015-07-03'])
    assert.deepEqual(nearbyBirthDates('2016-01-01').sort(), ['2015-12-31', '2016-01-01', '2016-01-02'], 'the same day and month: nothing to swap')
    assert.deepEqual(nearbyBirthDates('2016-02-29').sort(), ['2016-02-28', '2016-02-29', '2016-03-01'], 'day 29 cannot be a month')
    const v = oneEditVariants('9434765919')
    assert.ok(v.includes('9434765910') && v.includes('4934765919') && v.includes('9434765991'))
    assert.ok(!v.includes('9434765919') && v.every((x) => x.length === 10 && /^\d+$/.test(x)))
    assert.equal(v.length, 10 * 9 + 9, 'nine substitutions per digit, and a transposition per pair of unequal neighbours')
    assert.ok(oneEditVariants('N880000000012').includes('M880000000012') && oneEditVariants('N880000000012').includes('N880000000021'))
  })

  it('near misses without an exact date of birth, NHS number or UPN are candidates: linked or in the review queue, never a silent new child', async () => {
    const used = new Set(kids.map((k) => k.id))
    const pool = (
      await ctx.s.t.db
        .selectFrom('child as c')
        .selectAll()
        .where('c.date_of_birth', 'is not', null)
        .where('c.upn', 'is not', null)
        .where('c.given_name', '<>', 'Unborn')
        .where(({ eb, selectFrom }) => eb(selectFrom('child as d').select((e) => e.fn.countAll<number>().as('n')).whereRef('d.date_of_birth', '=', 'c.date_of_birth'), '=', 1))
        .orderBy('c.id')
        .execute()
    ).filter((k) => !used.has(k.id))
    const take = (ok: (k: Kid) => boolean) => {
      const i = pool.findIndex(ok)
      assert.ok(i >= 0, 'a demo child for the case')
      return pool.splice(i, 1)[0]!
    }
    const swappable = (k: Kid) => ymd(k.date_of_birth!)[2] <= 12 && ymd(k.date_of_birth!)[2] !== ymd(k.date_of_birth!)[1]
    const cases: { ref: string; kid: Kid; row: (k: Kid) => (string | null)[] }[] = [
      // day and month transposed, nothing else to go on
      { ref: 'NEAR-TRANSPOSED', kid: take(swappable), row: (k) => { const [y, m, d] = ymd(k.date_of_birth!); return [k.given_name, k.family_name, `${y}-${String(d).padStart(2, '0')}-${String(m).padStart(2, '0')}`, k.sex, null] } },
      // a day out and a typo in the first name
      { ref: 'NEAR-DAY-TYPO', kid: take(() => true), row: (k) => [typo(k.given_name), k.family_name, addDays(k.date_of_birth!, 1), k.sex, null] },
      // names the wrong way round and a day out the other way
      { ref: 'NEAR-SWAPPED', kid: take(() => true), row: (k) => [k.family_name, k.given_name, addDays(k.date_of_birth!, -1), k.sex, null] },
      // a hyphenated (double-barrelled) family name and a date elsewhere in the same year
      { ref: 'NEAR-HYPHEN', kid: take(() => true), row: (k) => [k.given_name, `${k.family_name}-Okonjo`, sameYearElsewhere(k.date_of_birth!), k.sex, null] },
      // a nickname and a slip in the year
      { ref: 'NEAR-NICKNAME', kid: take((k) => k.given_name in NICKNAME && !ymd(k.date_of_birth!).slice(1).join('').startsWith('229')), row: (k) => [NICKNAME[k.given_name]!, k.family_name, `${ymd(k.date_of_birth!)[0] + 1}${k.date_of_birth!.slice(4)}`, k.sex, null] },
      // a mistyped UPN (one digit) and a date of birth years out: only the UPN is near
      { ref: 'NEAR-UPN', kid: take(() => true), row: (k) => [k.given_name, k.family_name, `${ymd(k.date_of_birth!)[0] - 3}-06-15`, k.sex, k.upn!.slice(0, 12) + String((Number(k.upn!.slice(12)) + 1) % 10)] },
    ]
    const other = take(() => true)
    const csv = [
      HEADER,
      ...cases.map((c) => { const [g, f, dob, sex, upn] = c.row(c.kid); return csvLine([c.ref, g, f, dob, sex, null, upn, null, null]) }),
      // a clearly different child born the day after another: a candidate by date, not by anything else
      csvLine(['FAR-1', 'Xanthe', 'Quigley-Varga', addDays(other.date_of_birth!, 1), other.sex === 'female' ? 'male' : 'female', null, null, null, null]),
    ].join('\n')
    const children = Number((await ctx.s.t.db.selectFrom('child').select((e) => e.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n)
    const admin = await ctx.s.signIn('admin.csc')
    const res = await admin.post('/records/import', { kind: 'records', csv, fileName: 'near-misses.csv' })
    assert.equal(res.statusCode, 200, res.body)
    const outcome = async (c: (typeof cases)[number]) => {
      const rec = await recordOf(c.ref)
      return rec.match_state === 'matched' ? (rec.child_id === c.kid.id ? 'linked' : 'linked elsewhere') : rec.match_state === 'review' ? (rec.review_child_id === c.kid.id ? 'queued' : 'queued elsewhere') : rec.match_state
    }
    const outcomes = await Promise.all(cases.map(async (c) => [c.ref, await outcome(c)]))
    assert.deepEqual(outcomes.filter(([, o]) => o !== 'linked' && o !== 'queued'), [], 'each near miss is linked to its child or queued with it')
    for (const c of cases) {
      const rec = await recordOf(c.ref)
      assert.ok(rec.match_probability! >= 0.2)
      const fields = (rec.match_explanation as { fields: { field: string; level: string }[] }).fields
      assert.notEqual(fields.find((f) => f.field === 'dob')!.level, 'exact', `${c.ref}: the date of birth is not exact`)
    }
    const levels = async (ref: string) => Object.fromEntries(((await recordOf(ref)).match_explanation as { fields: { field: string; level: string }[] }).fields.map((f) => [f.field, f.level]))
    assert.equal((await levels('NEAR-TRANSPOSED'))['dob'], 'day_month_transposed')
    assert.equal((await levels('NEAR-SWAPPED'))['given_name'], 'swapped')
    assert.equal((await levels('NEAR-HYPHEN'))['family_name'], 'hyphen_part')
    assert.equal((await levels('NEAR-NICKNAME'))['given_name'], 'nickname')
    assert.equal((await levels('NEAR-UPN'))['upn'], 'one_edit')
    nearMisses = cases.map((c) => ({ ref: c.ref, kidId: c.kid.id }))
    farOtherId = other.id
    const far = await recordOf('FAR-1')
    assert.deepEqual([far.match_state, far.review_child_id], ['new_child', null], 'a clearly different child is neither linked nor queued')
    assert.notEqual(far.child_id, other.id)
    const linked = (await Promise.all(cases.map((c) => recordOf(c.ref)))).filter((r) => r.match_state === 'matched').length
    assert.equal(Number((await ctx.s.t.db.selectFrom('child').select((e) => e.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n), children + (cases.length - linked) + 1, 'a child of its own only for the queued and the different one')
    const reviewer = await ctx.s.signIn('partnership.admin')
    const queue = (await reviewer.get('/records/review')).body
    for (const c of cases) if ((await recordOf(c.ref)).match_state === 'review') assert.ok(queue.includes(c.ref), `${c.ref} is in the review queue`)
  })
  it('re-estimating the matcher (EM over two overlapping agency files) moves m off the starting m, versioned and audited; near misses hold', async () => {
    const FIRST = ['Amara', 'Bilal', 'Corin', 'Delphine', 'Eamon', 'Fenella', 'Gideon', 'Hester', 'Ivo', 'Juno', 'Kester', 'Lark', 'Mungo', 'Nell', 'Orla', 'Piran', 'Quilla', 'Rufus', 'Saffi', 'Tobin']
    const LAST = ['Abernethy', 'Blackadder', 'Cruickshank', 'Drummond', 'Farquhar', 'Gillespie', 'Halloran', 'Inchbald', 'Jardine', 'Kilbride', 'Lennox', 'Macrae']
    const person = (i: number) => ({ given: FIRST[i % FIRST.length]!, family: LAST[Math.floor(i / FIRST.length) % LAST.length]!, dob: addDays('2011-01-01', (i * 37) % 3300), sex: i % 2 ? 'female' : 'male', postcode: `NS${(i % 9) + 1} ${(i % 7) + 1}E${'ABDEFGHJ'[i % 8]}`, address: `${i + 1} Estimate Road` })
    const row = (ref: string, p: ReturnType<typeof person>) => csvLine([ref, p.given, p.family, p.dob, p.sex, null, null, p.postcode, p.address])
    // 150 children both agencies know (the second with the slips real files have), and 100 each that only one knows
    const slip = (i: number, p: ReturnType<typeof person>) =>
      i % 10 === 1 ? { ...p, given: typo(p.given) } : i % 10 === 3 ? { ...p, dob: addDays(p.dob, 1) } : i % 10 === 5 ? { ...p, postcode: '' } : i % 10 === 7 ? { ...p, address: `${p.address} (flat)` } : p
    const fileA = [HEADER, ...Array.from({ length: 250 }, (_, i) => row(`EMA-${i}`, person(i)))].join('\n')
    const fileB = [HEADER, ...Array.from({ length: 150 }, (_, i) => row(`EMB-${i}`, slip(i, person(i)))), ...Array.from({ length: 100 }, (_, i) => row(`EMB-X${i}`, person(i + 250)))].join('\n')
    const system = systemRepository({ db: ctx.s.t.db, clock: ctx.s.clock }, 'records-estimate-test')
    assert.equal((await system.recordsImporter(P, CSC).importCsv('records', fileA)).status, 'finished')
    assert.equal((await system.recordsImporter(P, id('agency:brookside')).importCsv('records', fileB)).status, 'finished')
    assert.equal(await currentMatcherModel(ctx.s.t.db, P), null, 'not estimated yet')

    const dsl = await ctx.s.signIn('dsl.brookside')
    assert.ok((await dsl.post('/records/review/reestimate', {})).statusCode >= 400)
    assert.equal(await currentMatcherModel(ctx.s.t.db, P), null)
    const reviewer = await ctx.s.signIn('partnership.admin')
    assert.match((await reviewer.get('/records/review')).body, /Re-estimate the matcher/)
    assert.equal((await reviewer.post('/records/review/reestimate', {})).statusCode, 303)
    const model = (await currentMatcherModel(ctx.s.t.db, P))!
    assert.equal(model.version, 1)
    assert.ok(model.records >= MATCHER_MIN_RECORDS, `${model.records} records`)
    assert.ok(model.expectedMatches >= MATCHER_MIN_MATCHES, `${model.expectedMatches} expected matches`)
    const start = startingM(MATCH_FIELDS.map((f) => FIELDS[f].levels.length))
    const moved = Math.max(...model.m.flatMap((r, f) => r.map((x, l) => Math.abs(x - start[f]![l]!))))
    assert.ok(moved > 0.05, `m moved off the starting m (by ${moved})`)
    assert.match((await reviewer.get('/records/review')).body, /Estimated model version 1/)
    assert.ok(await ctx.s.t.db.selectFrom('partnership_setting').select('key').where('partnership_id', '=', P).where('key', '=', 'records.matcher_model@v1').executeTakeFirst(), 'the version is kept')
    const audit = await ctx.s.t.db.selectFrom('audit_event').selectAll().where('action', '=', 'records.reestimate').where('outcome', '=', 'success').execute()
    assert.equal(audit.length, 1)

    // the near misses are still linked or queued with their child under the estimated model; the different child is not
    assert.ok(nearMisses.length > 0)
    const inputOf = async (ref: string) => {
      const r = await recordOf(ref)
      return { sourceRef: r.source_ref, givenName: r.given_name, familyName: r.family_name, dateOfBirth: r.date_of_birth, sex: r.sex, nhsNumber: r.nhs_number, upn: r.upn, postcode: r.postcode, address: r.address }
    }
    for (const c of nearMisses) {
      const m = (await matchPair(ctx.s.t.db, P, await inputOf(c.ref), c.kidId))!
      assert.ok(m.probability >= DEFAULTS.reviewThreshold, `${c.ref}: ${m.probability}`)
      assert.equal(m.explanation.modelVersion, 1)
    }
    assert.ok((await matchPair(ctx.s.t.db, P, await inputOf('FAR-1'), farOtherId))!.probability < DEFAULTS.reviewThreshold)
    // a new record is matched with the estimate, and says which version
    const k = kids[4]!
    const res = await system.recordsImporter(P, CSC).importCsv('records', [HEADER, csvLine(['EM-NEW', k.given_name, k.family_name, k.date_of_birth, k.sex, k.nhs_number, null, null, null])].join('\n'))
    assert.equal(res.status, 'finished')
    const made = await recordOf('EM-NEW')
    assert.deepEqual([made.match_state, made.child_id, (made.match_explanation as { modelVersion: number }).modelVersion], ['matched', k.id, 1])
    assert.equal((await reviewer.post('/records/review/reestimate', {})).statusCode, 303)
    assert.equal((await currentMatcherModel(ctx.s.t.db, P))!.version, 2, 'a new version each time')
  })

  it('a date outside 1900 to 2100 is refused as out of range, naming the range, the column and the line; nothing is imported', async () => {
    const admin = await ctx.s.signIn('admin.csc')
    const runs = (await ctx.s.t.db.selectFrom('import_run').select('id').execute()).length
    const records = (await ctx.s.t.db.selectFrom('agency_record').select('id').execute()).length
    const entries = (await ctx.s.t.db.selectFrom('entry').select('id').execute()).length
    const range = 'is out of range: a date must be between 1 January 1900 and 31 December 2100'
    const rowOf = (body: string, line: number) => new RegExp(`<td class="govuk-table__cell">${line}</td><td class="govuk-table__cell">([^<]*)</td>`).exec(body)?.[1]?.replace(/&quot;/g, '"')
    const recs = await admin.post('/records/import', { kind: 'records', csv: [HEADER, 'RANGE-1,Ann,Lee,2015-01-01,female,,,,', 'RANGE-2,Bea,Lee,1066-10-14,female,,,,'].join('\n') })
    assert.equal(recs.statusCode, 400)
    assert.match(recs.body, /Nothing was imported: 1 row has a problem/)
    assert.equal(rowOf(recs.body, 3), `date_of_birth "1066-10-14" ${range}`)
    const ents = await admin.post('/records/import', { kind: 'entries', csv: ['source_ref,occurred_at,type,category,significance,summary,visibility', 'CSC-1,1850-06-01,exclusion,,low,Excluded,', 'CSC-1,2026-11-20,exclusion,,low,Excluded,', 'CSC-1,2101-01-01T09:00:00Z,exclusion,,low,Excluded,'].join('\n') })
    assert.equal(ents.statusCode, 400)
    assert.equal(rowOf(ents.body, 2), `occurred_at "1850-06-01" ${range}`)
    assert.equal(rowOf(ents.body, 4), `occurred_at "2101-01-01T09:00:00Z" ${range}`)
    assert.equal((await ctx.s.t.db.selectFrom('agency_record').select('id').execute()).length, records, 'not even the good row')
    assert.equal((await ctx.s.t.db.selectFrom('entry').select('id').execute()).length, entries)
    // the rejected runs are kept with their reasons, as any rejected file's are
    assert.equal((await ctx.s.t.db.selectFrom('import_run').select('id').execute()).length, runs + 2)
  })

  it('a file name over 200 characters is refused with the form kept, nothing imported; one of 200 is kept whole', async () => {
    const admin = await ctx.s.signIn('admin.csc')
    const runs = (await ctx.s.t.db.selectFrom('import_run').select('id').execute()).length
    const csv = [HEADER, 'NAMED-1,Cleo,Quillfeather,2011-03-04,female,,,,'].join('\n')
    const long = `${'a'.repeat(196)}.csv`
    const refused = await admin.post('/records/import', { kind: 'records', csv, fileName: `${long}x` })
    assert.equal(refused.statusCode, 400)
    assert.match(refused.body, /govuk-error-summary/)
    assert.match(refused.body, /The file name must be 200 characters or fewer \(it has 201\): shorten it, or leave it blank/)
    assert.ok(refused.body.includes(`${long}x`), 'the name as typed is shown back')
    assert.ok(refused.body.includes('NAMED-1,Cleo,Quillfeather'), 'the pasted file is kept')
    assert.equal((await ctx.s.t.db.selectFrom('import_run').select('id').execute()).length, runs, 'no run, not even a rejected one')
    assert.equal((await ctx.s.t.db.selectFrom('agency_record').select('id').where('source_ref', '=', 'NAMED-1').execute()).length, 0)
    const taken = await admin.post('/records/import', { kind: 'records', csv, fileName: long })
    assert.equal(taken.statusCode, 200, taken.body.slice(0, 300))
    const run = await ctx.s.t.db.selectFrom('import_run').select(['file_name', 'status', 'rows_done']).where('file_name', 'like', 'aaaa%').execute()
    assert.deepEqual(run, [{ file_name: long, status: 'finished', rows_done: 1 }])
  })

  it('the data layer refuses a file name over 200 characters (FieldRefusedError on fileName) before anything is written, whoever imports', async () => {
    const importer = systemRepository({ db: ctx.s.t.db, clock: ctx.s.clock }, 'records-import-test').recordsImporter(P, CSC)
    const count = async (table: 'import_run' | 'agency_record' | 'import_rejection') => (await ctx.s.t.db.selectFrom(table).select('partnership_id').execute()).length
    const before = { runs: await count('import_run'), records: await count('agency_record'), rejections: await count('import_rejection') }
    const good = [HEADER, 'LONGNAME-1,Perpetua,Inkwright,2012-05-06,female,,,,'].join('\n')
    const bad = [HEADER, 'LONGNAME-2,Perpetua,,2012-13-40,female,,,,'].join('\n')
    const long = `${'n'.repeat(197)}.csv` // 201 characters
    for (const [kind, csv] of [['records', good], ['records', bad], ['entries', 'source_ref,occurred_at,type,category,significance,summary,visibility\nLONGNAME-1,2026-11-20,exclusion,,low,Excluded,']] as const) {
      await assert.rejects(importer.importCsv(kind, csv, { fileName: long }), (err: unknown) => {
        assert.ok(err instanceof FieldRefusedError, `a FieldRefusedError, not ${String(err)}`)
        assert.equal(err.field, 'fileName')
        assert.equal(err.message, 'The file name must be 200 characters or fewer (it has 201)')
        return true
      })
    }
    assert.deepEqual({ runs: await count('import_run'), records: await count('agency_record'), rejections: await count('import_rejection') }, before, 'no run (not even a rejected one), no record, no rejection')
    const refusals = await ctx.s.t.db.selectFrom('audit_event').select(['action', 'details']).where('outcome', '=', 'refused').where('action', 'in', ['records.import', 'entries.import']).orderBy('id', 'desc').limit(3).execute()
    assert.deepEqual(refusals.map((a) => [a.action, (a.details as { error?: string }).error]).sort(), [['entries.import', 'The file name must be 200 characters or fewer (it has 201)'], ['records.import', 'The file name must be 200 characters or fewer (it has 201)'], ['records.import', 'The file name must be 200 characters or fewer (it has 201)']], 'each refusal audited as refused')
    // one of 200 is kept whole, and the same file imports under it (the refusal left nothing behind to make it "already imported")
    const result = await importer.importCsv('records', good, { fileName: long.slice(1) })
    assert.equal(result.status, 'finished')
    assert.equal((await ctx.s.t.db.selectFrom('import_run').select('file_name').where('id', '=', result.runId).executeTakeFirstOrThrow()).file_name, long.slice(1))
  })

  // last: its 501 new children change the population the matcher samples for chance agreement
  it('the page’s import is one transaction: a file longer than a command-line batch is saved whole, with one audit row', async () => {
    const admin = await ctx.s.signIn('admin.csc')
    const rows = Array.from({ length: 501 }, (_, i) => `BATCH-${i},Wren${String.fromCharCode(97 + (i % 26))}${String.fromCharCode(97 + Math.floor(i / 26) % 26)},Quillfeather,2012-0${1 + (i % 9)}-1${i % 10},female,,,,`)
    const r = await admin.post('/records/import', { kind: 'records', csv: [HEADER, ...rows].join('\n') })
    assert.equal(r.statusCode, 200, r.body.slice(0, 300))
    const run = await ctx.s.t.db.selectFrom('import_run').select(['id', 'status', 'rows_done']).where('partnership_id', '=', P).orderBy('started_at', 'desc').orderBy('id').execute()
    const mine = run.find((x) => x.rows_done === 501)!
    assert.equal(mine.status, 'finished')
    const audited = await ctx.s.t.db.selectFrom('audit_event').select('details').where('action', '=', 'records.import').where('entity_id', '=', mine.id).where('outcome', '=', 'success').execute()
    assert.deepEqual(audited.map((a) => (a.details as { rows: number[] }).rows), [[1, 501]], 'one batch')
  })
})
