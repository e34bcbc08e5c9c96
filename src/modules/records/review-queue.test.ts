// The review queue a page at a time: most likely matches first, 25 records a page, a page past the last is the last,
// a page number that is not one is refused with the error summary; a decision sent back with an error shows that
// record's form alone, wherever it sits in the queue.
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { it } from 'node:test'
import { describeApp } from '../../../test/support/app.ts'
import { CSC, P } from '../../../test/support/agency-records.ts'

describeApp('agency records: the review queue in pages', (ctx) => {
  const db = () => ctx.s.t.db
  const ref = (i: number) => `REVIEWQ-${String(i).padStart(2, '0')}`
  const ids: string[] = []
  const refsOn = (body: string) => [...body.matchAll(/record (REVIEWQ-\d\d)/g)].map((m) => m[1])

  it('setup: thirty records waiting, each against a candidate child, the first the likeliest', async () => {
    const children = await db().selectFrom('child').select(['id']).where('partnership_id', '=', P).where('merged_into_child_id', 'is', null).orderBy('id').limit(31).execute()
    const now = ctx.s.clock.now()
    for (let i = 1; i <= 30; i++) {
      const id = randomUUID()
      ids.push(id)
      await db()
        .insertInto('agency_record')
        .values({ id, partnership_id: P, agency_id: CSC, source_ref: ref(i), given_name: 'Zebedee', family_name: `Queue${i}`, date_of_birth: '2015-03-04', sex: 'unknown', child_id: children[i - 1]!.id, match_state: 'review', match_probability: 0.49 - i / 100, review_child_id: children[i]!.id, created_at: now, updated_at: now })
        .execute()
    }
  })

  it('25 a page, most likely first; the next page has the rest; a page past the last is the last; a page that is not a number is refused', async () => {
    const reviewer = await ctx.s.signIn('partnership.admin')
    const first = await reviewer.get('/records/review')
    assert.equal(first.statusCode, 200)
    assert.deepEqual(refsOn(first.body), Array.from({ length: 25 }, (_, i) => ref(i + 1)))
    assert.match(first.body, /30 records are waiting: showing 1 to 25, most likely matches first/)
    assert.match(first.body, /class="govuk-pagination"[\s\S]*href="\?page=2"/)
    const second = await reviewer.get('/records/review?page=2')
    assert.deepEqual(refsOn(second.body), [26, 27, 28, 29, 30].map(ref))
    assert.match(second.body, /showing 26 to 30/)
    const past = await reviewer.get('/records/review?page=40')
    assert.equal(past.statusCode, 200)
    assert.deepEqual(refsOn(past.body), [26, 27, 28, 29, 30].map(ref))
    for (const bad of ['abc', '0', '-1', '2.5']) {
      const res = await reviewer.get(`/records/review?page=${bad}`)
      assert.equal(res.statusCode, 400, bad)
      assert.match(res.body, /govuk-error-summary[\s\S]*Enter a page number/, bad)
      assert.deepEqual(refsOn(res.body).length, 25, 'the first page, under the error')
    }
    // each page's look is audited with the records it showed
    const audits = await db().selectFrom('audit_event').select(['details']).where('action', '=', 'records.review-queue').orderBy('id').execute()
    const pageTwo = audits.find((a) => (a.details as { page?: number }).page === 2)!
    assert.deepEqual((pageTwo.details as { records: string[] }).records, ids.slice(25))
  })

  it('a decision without its reason, on a record of the second page, shows that record’s form alone with the error; a record not waiting is not found', async () => {
    const reviewer = await ctx.s.signIn('partnership.admin')
    await reviewer.get('/records/review?page=2')
    const id = ids[29]!
    for (const action of ['merge', 'not-same']) {
      const res = await reviewer.post(`/records/${id}/${action}`, { reason: '' })
      assert.equal(res.statusCode, 400, action)
      assert.match(res.body, new RegExp(`govuk-error-summary[\\s\\S]*href="#reason-${id}"`), action)
      assert.match(res.body, new RegExp(`<p id="reason-${id}-error" class="govuk-error-message">`), action)
      assert.deepEqual(refsOn(res.body), [ref(30)], action)
      assert.match(res.body, /Showing only the record you were deciding/)
      assert.doesNotMatch(res.body, /class="govuk-pagination"/)
    }
    assert.equal((await db().selectFrom('agency_record').select('match_state').where('id', '=', id).executeTakeFirstOrThrow()).match_state, 'review', 'nothing decided')
    assert.equal((await reviewer.post(`/records/${randomUUID()}/merge`, { reason: '' })).statusCode, 404)
    // decided with its reason, it leaves the queue: 29 wait
    assert.equal((await reviewer.post(`/records/${id}/not-same`, { reason: 'Different child: another school and address' })).statusCode, 303)
    assert.match((await reviewer.get('/records/review')).body, /29 records are waiting/)
  })
})
