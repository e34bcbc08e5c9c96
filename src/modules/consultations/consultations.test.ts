import assert from 'node:assert/strict'
import { it } from 'node:test'
import { describeApp } from '../../../test/support/app.ts'
import { stableUuid } from '../../data/ids.ts'
import { addChildOutOfReach, addChildrenInReach, fillerNames } from '../../../test/support/children.ts'

const id = (k: string) => stableUuid(`northshire:${k}`)

describeApp('consultations with the school-based social worker', (ctx) => {
  let consultationId: string
  let childId: string

  it('a DSL asks about a pupil; the school-based social worker serving the school is told', async () => {
    childId = (await ctx.s.t.db.selectFrom('relationship').select('child_id').where('type', '=', 'pupil_at').where('holder_agency_id', '=', id('agency:brookside')).executeTakeFirstOrThrow()).child_id
    const dsl = await ctx.s.signIn('dsl.brookside')
    await dsl.get('/consultations/new')
    const empty = await dsl.post('/consultations', { childId, question: '' })
    assert.equal(empty.statusCode, 400)
    assert.match(empty.body, /Enter your question/)
    const res = await dsl.post('/consultations', { childId, question: 'Mum has asked for help with routines. Early help, or keep supporting in school?' })
    assert.equal(res.statusCode, 303)
    consultationId = (res.headers.location as string).split('/')[2]!.split('?')[0]!
    const n = await ctx.s.t.db.selectFrom('notification').select('membership_id').where('kind', '=', 'consultation.asked').execute()
    assert.deepEqual(n.map((x) => x.membership_id), [id('membership:ssw:0')])
  })

  it('the social worker answers; the answer lands in the chronology and the DSL sees it', async () => {
    const ssw = await ctx.s.signIn('ssw')
    const list = await ssw.get('/consultations')
    assert.match(list.body, new RegExp(consultationId))
    await ssw.get(`/consultations/${consultationId}`)
    const bad = await ssw.post(`/consultations/${consultationId}/answer`, { advice: 'x', nextStep: 'y', followUpOn: '31/12/2026' })
    assert.equal(bad.statusCode, 400)
    // a day that does not exist is the field's error, not a database error (Date.parse rolls 30 February over)
    const notReal = await ssw.post(`/consultations/${consultationId}/answer`, { advice: 'x', nextStep: 'y', followUpOn: '2026-02-30' })
    assert.equal(notReal.statusCode, 400)
    assert.match(notReal.body, /govuk-error-summary[\s\S]*href="#followUpOn"[^>]*>The follow-up date must be a real date/)
    // a follow-up on a day already gone: the field's error, what was typed kept, nothing saved
    const past = await ssw.post(`/consultations/${consultationId}/answer`, { advice: 'Kept advice', nextStep: 'y', followUpOn: '2025-12-07' })
    assert.equal(past.statusCode, 400)
    assert.match(past.body, /href="#followUpOn"[^>]*>The follow-up date must be today or in the future/)
    assert.match(past.body, /id="followUpOn-error"/)
    assert.match(past.body, /Kept advice/)
    // too long: a GOV.UK message naming the field, not the validator's own words
    const long = await ssw.post(`/consultations/${consultationId}/answer`, { advice: 'x'.repeat(10_001), nextStep: 'y'.repeat(5001) })
    assert.equal(long.statusCode, 400)
    assert.match(long.body, /href="#advice"[^>]*>The advice must be 10,000 characters or fewer/)
    assert.match(long.body, /href="#nextStep"[^>]*>The agreed next step must be 5,000 characters or fewer/)
    assert.equal((await ctx.s.t.db.selectFrom('consultation').select('status').where('id', '=', consultationId).executeTakeFirstOrThrow()).status, 'asked')
    const ok = await ssw.post(`/consultations/${consultationId}/answer`, { advice: 'Offer early help; I will join the first meeting.', nextStep: 'DSL to speak to mum this week', followUpOn: '2026-12-07' })
    assert.equal(ok.statusCode, 303)
    const dsl = await ctx.s.signIn('dsl.brookside')
    const page = await dsl.get(`/consultations/${consultationId}`)
    assert.match(page.body, /I will join the first meeting/)
    const entries = JSON.parse((await dsl.get(`/api/v1/children/${childId}/entries`)).body) as { data: { type: string }[] }
    assert.ok(entries.data.some((e) => e.type === 'consultation'))
  })

  it('another school’s DSL cannot see it; a school no social worker serves is told to contact the front door', async () => {
    const other = await ctx.s.signIn('dsl.academy')
    assert.equal((await other.get(`/consultations/${consultationId}`)).statusCode, 404)
    const stannes = await ctx.s.signIn('dsl.stannes')
    await stannes.get('/consultations/new')
    const res = await stannes.post('/consultations', { childId: '', question: 'General question' })
    assert.equal(res.statusCode, 400)
    assert.match(res.body, /contact the front door/)
  })

  it('more pupils than the form lists: it says so and links to the search, whose result comes back chosen; out of reach stays not found', async () => {
    const [far] = await addChildrenInReach(ctx.s.t.db, id('agency:brookside'), 'pupil_at', [{ givenName: 'Wilhelmina', familyName: 'Zzyzx' }, ...fillerNames(500)])
    const stranger = await addChildOutOfReach(ctx.s.t.db, { givenName: 'Ottoline', familyName: 'Zzyzx' })
    const dsl = await ctx.s.signIn('dsl.brookside')
    const form = await dsl.get('/consultations/new')
    assert.doesNotMatch(form.body, new RegExp(far!))
    assert.match(form.body, /Showing the first 500 of your children, by family name\. If the child is not listed, <a class="govuk-link" href="\/search\?for=consultation">search for them<\/a>/)
    const found = await dsl.get('/search?for=consultation&name=Wilhelmina+Zzyzx')
    assert.match(found.body, new RegExp(`href="/consultations/new\\?child=${far}">Ask about this child`))
    const chosen = await dsl.get(`/consultations/new?child=${far}`)
    assert.match(chosen.body, new RegExp(`<option value="${far}" selected>`))
    // sent back with an error, the child stays chosen
    const empty = await dsl.post('/consultations', { childId: far!, question: '' })
    assert.equal(empty.statusCode, 400)
    assert.match(empty.body, new RegExp(`<option value="${far}" selected>`))
    const asked = await dsl.post('/consultations', { childId: far!, question: 'New to the school mid-year: anything we should know?' })
    assert.equal(asked.statusCode, 303)
    const q = (asked.headers.location as string).split('/')[2]!.split('?')[0]!
    assert.equal((await ctx.s.t.db.selectFrom('consultation').select('child_id').where('id', '=', q).executeTakeFirstOrThrow()).child_id, far)
    // a child out of reach, named in the address: not listed; sent anyway, not found and nothing saved
    assert.doesNotMatch((await dsl.get(`/consultations/new?child=${stranger}`)).body, new RegExp(stranger))
    assert.equal((await dsl.post('/consultations', { childId: stranger, question: 'About this child?' })).statusCode, 404)
    assert.equal((await ctx.s.t.db.selectFrom('consultation').select('id').where('child_id', '=', stranger).execute()).length, 0)
  })
})
