import assert from 'node:assert/strict'
import { it } from 'node:test'
import { randomUUID } from 'node:crypto'
import { describeApp } from '../../../test/support/app.ts'
import { stableUuid } from '../../data/ids.ts'

const id = (k: string) => stableUuid(`northshire:${k}`)
const P = stableUuid('partnership:northshire')

describeApp('missing episodes and return home interviews', (ctx) => {
  let childId: string
  /** The child's open episodes recorded found (setup: a child still missing is not reported missing again). */
  const foundAll = (at: string) => ctx.s.t.db.updateTable('missing_episode').set({ found_at: new Date(at), where_found: 'Home' }).where('child_id', '=', childId).where('found_at', 'is', null).execute()

  it('police report a child missing and found; the RHI clock is 72 hours from being found', async () => {
    const alloc = await ctx.s.t.db.selectFrom('relationship').select('child_id').where('type', '=', 'allocated_worker').where('holder_membership_id', '=', id('membership:sw.north:0')).executeTakeFirstOrThrow()
    childId = alloc.child_id
    await ctx.s.t.db.insertInto('relationship').values({ id: randomUUID(), partnership_id: P, child_id: childId, type: 'team_member', holder_agency_id: null, holder_team_id: null, holder_membership_id: id('membership:police.missing:0'), starts_at: new Date('2026-01-01'), ends_at: null, source: 'test', reason: 'Missing children officer', created_by_membership_id: null, created_at: new Date('2026-01-01') }).onConflict((oc) => oc.doNothing()).execute()
    const officer = await ctx.s.signIn('police.missing')
    await officer.get(`/children/${childId}/missing`)
    const bad = await officer.post(`/children/${childId}/missing`, { missingDate: '2026-11-22', missingTime: '', risk: '', circumstances: '' })
    assert.equal(bad.statusCode, 400)
    assert.match(bad.body, /govuk-error-summary/)
    // a time in the future (a typo'd year) is refused: the child could not be recorded found before it
    const future = await officer.post(`/children/${childId}/missing`, { missingDate: '2062-11-22', missingTime: '19:00', risk: 'medium', circumstances: 'A typo in the year' })
    assert.equal(future.statusCode, 400)
    assert.match(future.body, /href="#missingDate">The time the child went missing cannot be in the future/)
    assert.equal((await ctx.s.t.db.selectFrom('missing_episode').select('id').where('child_id', '=', childId).execute()).length, 0)
    // a day that does not exist is refused, never saved as another day
    const impossible = await officer.post(`/children/${childId}/missing`, { missingDate: '2026-02-30', missingTime: '19:00', risk: 'medium', circumstances: 'x' })
    assert.equal(impossible.statusCode, 400)
    assert.match(impossible.body, /The date must be a real date/)
    assert.equal((await officer.post(`/children/${childId}/missing`, { missingDate: '2026-11-22', missingTime: '19:00', risk: 'medium', circumstances: 'Did not return home after school; phone off.' })).statusCode, 303)
    const ep = await ctx.s.t.db.selectFrom('missing_episode').selectAll().where('child_id', '=', childId).executeTakeFirstOrThrow()
    // the episode is found only at its own child's address: under another child (here one that does not exist), not found
    const elsewhere = await officer.post(`/children/${randomUUID()}/missing/${ep.id}/found`, { foundDate: '2026-11-23', foundTime: '01:00', whereFound: 'Somewhere else' })
    assert.equal(elsewhere.statusCode, 404)
    assert.equal((await ctx.s.t.db.selectFrom('missing_episode').select('found_at').where('id', '=', ep.id).executeTakeFirstOrThrow()).found_at, null)
    assert.equal((await officer.post(`/children/${childId}/missing/${ep.id}/found`, { foundDate: '2026-11-23', foundTime: '02:00', whereFound: 'Bus station, with older peers' })).statusCode, 303)
    const clock = await ctx.s.t.db.selectFrom('clock').selectAll().where('subject_id', '=', ep.id).executeTakeFirstOrThrow()
    assert.equal(clock.rule, 'R13')
    assert.equal(clock.due_at.toISOString(), '2026-11-26T02:00:00.000Z')
    const note = await ctx.s.t.db.selectFrom('notification').select('membership_id').where('kind', '=', 'missing.rhi').execute()
    assert.ok(note.some((n) => n.membership_id === id('membership:sw.north:0')), 'the allocated social worker is told')
  })

  it('the return home interview is by an independent person, with what the child said; late needs a reason', async () => {
    ctx.s.clock.set('2026-11-24T17:00:00Z') // the interviews below were offered at 16:00
    const sw = await ctx.s.signIn('sw.north')
    const ep = await ctx.s.t.db.selectFrom('missing_episode').select('id').where('child_id', '=', childId).executeTakeFirstOrThrow()
    await sw.get(`/children/${childId}/missing`)
    // the time offered meets the R13 clock: never before the child was found (02:00 on the 23rd), never in the future
    const beforeFound = await sw.post(`/children/${childId}/missing/${ep.id}/rhi`, { offeredDate: '2026-11-22', offeredTime: '20:00', by: 'Safe Futures (commissioned RHI service)', independent: 'yes', accepted: 'yes', childSaid: '' })
    assert.equal(beforeFound.statusCode, 400)
    assert.match(beforeFound.body, /govuk-error-summary[\s\S]*cannot have been offered before the child was found/)
    const future = await sw.post(`/children/${childId}/missing/${ep.id}/rhi`, { offeredDate: '2026-11-25', offeredTime: '09:00', by: 'Safe Futures (commissioned RHI service)', independent: 'yes', accepted: 'yes', childSaid: '' })
    assert.equal(future.statusCode, 400)
    assert.match(future.body, new RegExp(`govuk-error-summary[\\s\\S]*href="#offeredDate-${ep.id}"[^>]*>The time the interview was offered cannot be in the future`))
    const unsaved = await ctx.s.t.db.selectFrom('missing_episode').select('rhi_offered_at').where('id', '=', ep.id).executeTakeFirstOrThrow()
    assert.equal(unsaved.rhi_offered_at, null)
    assert.equal((await ctx.s.t.db.selectFrom('clock').select('state').where('subject_id', '=', ep.id).executeTakeFirstOrThrow()).state, 'running')
    const notIndependent = await sw.post(`/children/${childId}/missing/${ep.id}/rhi`, { offeredDate: '2026-11-24', offeredTime: '16:00', by: 'Ben Carter (allocated social worker)', independent: 'no', accepted: 'yes', childSaid: '' })
    assert.equal(notIndependent.statusCode, 400)
    assert.match(notIndependent.body, /independent person/)
    // a field's error is on that episode's form: its ids carry the episode, and the summary links to them
    const incomplete = await sw.post(`/children/${childId}/missing/${ep.id}/rhi`, { offeredDate: '2026-11-24', offeredTime: '16:00', by: '', independent: 'yes', accepted: 'yes' })
    assert.equal(incomplete.statusCode, 400)
    assert.match(incomplete.body, new RegExp(`govuk-error-summary[\\s\\S]*href="#by-${ep.id}"[^>]*>Say who offered the interview`))
    assert.match(incomplete.body, new RegExp(`id="by-${ep.id}"`))
    assert.doesNotMatch(incomplete.body, /id="by"/)
    const ok = await sw.post(`/children/${childId}/missing/${ep.id}/rhi`, { offeredDate: '2026-11-24', offeredTime: '16:00', by: 'Safe Futures (commissioned RHI service)', independent: 'yes', accepted: 'yes', childSaid: 'I was with friends from the park. I did not want to go home because of the arguing.' })
    assert.equal(ok.statusCode, 303)
    assert.equal((await ctx.s.t.db.selectFrom('clock').select('state').where('subject_id', '=', ep.id).executeTakeFirstOrThrow()).state, 'met')
    // sent again from the old page, with a field left out: the form is gone, and the error says why rather than
    // linking to a field that is no longer there
    const again = await sw.post(`/children/${childId}/missing/${ep.id}/rhi`, { offeredDate: '2026-11-24', offeredTime: '16:00', by: '', independent: 'yes', accepted: 'yes' })
    assert.equal(again.statusCode, 400)
    assert.match(again.body, /govuk-error-summary[\s\S]*href="#main-content"[^>]*>The return home interview has already been recorded for this episode/)
    const entries = JSON.parse((await sw.get(`/api/v1/children/${childId}/entries`)).body) as { data: { type: string; summary: string }[] }
    assert.ok(entries.data.some((e) => e.type === 'return_home_interview' && /arguing/.test(e.summary)))
  })

  it('three episodes in 30 days prompt a strategy meeting (R14)', async () => {
    const officer = await ctx.s.signIn('police.missing')
    await officer.get(`/children/${childId}/missing`)
    await officer.post(`/children/${childId}/missing`, { missingDate: '2026-11-10', missingTime: '20:00', risk: 'low', circumstances: 'Late home' })
    await foundAll('2026-11-11T08:00:00Z')
    await officer.post(`/children/${childId}/missing`, { missingDate: '2026-11-23', missingTime: '09:00', risk: 'high', circumstances: 'Missing from school; seen with adults of concern' })
    const prompted = await ctx.s.t.db.selectFrom('missing_episode').select('strategy_meeting_prompted').where('child_id', '=', childId).where('strategy_meeting_prompted', '=', true).execute()
    assert.equal(prompted.length, 1)
    const signal = await ctx.s.t.db.selectFrom('entry').select('summary').where('child_id', '=', childId).where('type', '=', 'signal').executeTakeFirstOrThrow()
    assert.match(signal.summary, /strategy meeting/)
  })
  it('an episode reported late is counted with the episodes around it (R14), never with those months after it', async () => {
    const prompts = async () => (await ctx.s.t.db.selectFrom('entry').select('summary').where('child_id', '=', childId).where('type', '=', 'signal').execute()).filter((e) => /\(R14\)/.test(e.summary)).length
    const before = await prompts()
    const officer = await ctx.s.signIn('police.missing')
    await officer.get(`/children/${childId}/missing`)
    assert.equal((await officer.post(`/children/${childId}/missing`, { missingDate: '2026-09-01', missingTime: '22:00', risk: 'low', circumstances: 'Stayed out overnight in September; reported late.' })).statusCode, 303)
    const late = await ctx.s.t.db.selectFrom('missing_episode').select('strategy_meeting_prompted').where('child_id', '=', childId).where('missing_from', '=', new Date('2026-09-01T21:00:00Z')).executeTakeFirstOrThrow()
    assert.equal(late.strategy_meeting_prompted, false, 'one episode in the 30 days around 1 September')
    assert.equal(await prompts(), before, 'no strategy meeting prompt')
  })

  it('the report form carries the page’s key: sent twice, one episode; changed and sent again with it, refused; shown again with errors, it can be corrected and sent', async () => {
    ctx.s.clock.set('2026-11-27T12:00:00Z') // the episodes below went missing on the 25th and 26th
    const officer = await ctx.s.signIn('police.missing')
    const url = `/children/${childId}/missing`
    const page = await officer.get(url)
    const key = /name="formKey" value="([^"]+)"/.exec(page.body)?.[1]
    assert.ok(key, 'the report form has a key')
    const count = async () => Number((await ctx.s.t.db.selectFrom('missing_episode').select((eb) => eb.fn.countAll().as('n')).where('child_id', '=', childId).executeTakeFirstOrThrow()).n)
    await foundAll('2026-11-24T08:00:00Z')
    const before = await count()
    const body = { formKey: key, missingDate: '2026-11-25', missingTime: '21:00', risk: 'low', circumstances: 'Late home again.' }
    const first = await officer.post(url, body)
    assert.equal(first.statusCode, 303)
    const again = await officer.post(url, body)
    assert.equal(again.statusCode, 303)
    assert.equal(again.headers.location, first.headers.location)
    assert.equal(await count(), before + 1, 'one episode for the form sent twice')
    // back, changed, sent again with the same key: refused, nothing more saved
    const changed = await officer.post(url, { ...body, risk: 'high' })
    assert.equal(changed.statusCode, 422)
    assert.match(changed.body, /This form was already sent/)
    assert.equal(await count(), before + 1)
    // a form shown again with errors keeps no claim on its key: corrected, it saves
    await foundAll('2026-11-26T06:00:00Z')
    const key2 = randomUUID()
    assert.equal((await officer.post(url, { ...body, formKey: key2, circumstances: '' })).statusCode, 400)
    assert.equal((await officer.post(url, { ...body, formKey: key2, missingDate: '2026-11-26', circumstances: 'Missing overnight.' })).statusCode, 303)
    assert.equal(await count(), before + 2)
  })

  it('a field over its length is refused with a message naming it, shown at the field (the police reference too); nothing saved', async () => {
    ctx.s.clock.set('2026-11-28T12:00:00Z')
    const officer = await ctx.s.signIn('police.missing')
    const url = `/children/${childId}/missing`
    await officer.get(url)
    const count = async () => Number((await ctx.s.t.db.selectFrom('missing_episode').select((eb) => eb.fn.countAll().as('n')).where('child_id', '=', childId).executeTakeFirstOrThrow()).n)
    const before = await count()
    const res = await officer.post(url, { formKey: randomUUID(), missingDate: '2026-11-27', missingTime: '22:00', risk: 'low', policeReference: 'R'.repeat(51), circumstances: 'C'.repeat(5001) })
    assert.equal(res.statusCode, 400)
    assert.match(res.body, /govuk-error-summary[\s\S]*href="#policeReference"[^>]*>The police reference must be 50 characters or fewer/)
    assert.match(res.body, /id="policeReference-error"[\s\S]*The police reference must be 50 characters or fewer/, 'the message is shown at the field')
    assert.match(res.body, /href="#circumstances"[^>]*>The circumstances must be 5,000 characters or fewer/)
    assert.doesNotMatch(res.body, /Too big/)
    assert.equal(await count(), before)
  })

  it('classroom staff see the pupil, never the episodes’ record (circumstances, where found, what the child said); the DSL does', async () => {
    await ctx.s.t.db.insertInto('relationship').values({ id: randomUUID(), partnership_id: P, child_id: childId, type: 'pupil_at', holder_agency_id: id('agency:brookside'), holder_team_id: null, holder_membership_id: null, starts_at: new Date('2026-01-01'), ends_at: null, source: 'test', reason: 'Pupil on roll', created_by_membership_id: null, created_at: new Date('2026-01-01') }).execute()
    const teacher = await ctx.s.signIn('teacher.brookside')
    const page = await teacher.get(`/children/${childId}/missing`)
    assert.equal(page.statusCode, 200)
    for (const said of [/Did not return home after school/, /Bus station/, /arguing/, /Missing from school; seen with adults of concern/]) assert.doesNotMatch(page.body, said)
    const dsl = await ctx.s.signIn('dsl.brookside')
    const seen = await dsl.get(`/children/${childId}/missing`)
    assert.equal(seen.statusCode, 200)
    for (const said of [/Did not return home after school/, /Bus station/, /arguing/]) assert.match(seen.body, said)
  })
  it('a return home interview offered after the 72 hours is refused without the reason, beside its field; with it, met late', async () => {
    ctx.s.clock.set('2026-12-05T12:00:00Z')
    await foundAll('2026-11-30T08:00:00Z')
    const officer = await ctx.s.signIn('police.missing')
    await officer.get(`/children/${childId}/missing`)
    assert.equal((await officer.post(`/children/${childId}/missing`, { missingDate: '2026-12-01', missingTime: '09:00', risk: 'medium', circumstances: 'Left the house after an argument.' })).statusCode, 303)
    const ep = await ctx.s.t.db.selectFrom('missing_episode').select('id').where('child_id', '=', childId).orderBy('missing_from', 'desc').executeTakeFirstOrThrow()
    assert.equal((await officer.post(`/children/${childId}/missing/${ep.id}/found`, { foundDate: '2026-12-01', foundTime: '10:00', whereFound: 'At a friend’s house' })).statusCode, 303)
    const sw = await ctx.s.signIn('sw.north')
    await sw.get(`/children/${childId}/missing`)
    const rhi = { offeredDate: '2026-12-05', offeredTime: '09:00', by: 'Safe Futures (commissioned RHI service)', independent: 'yes', accepted: 'no', childSaid: '' }
    // the clock's refusal (clocks.meet), in the page's words, beside the episode's late-reason field; nothing saved
    const late = await sw.post(`/children/${childId}/missing/${ep.id}/rhi`, rhi)
    assert.equal(late.statusCode, 400)
    assert.match(late.body, new RegExp(`id="lateReason-${ep.id}-error"[^>]*>[\\s\\S]*?The interview was offered after 72 hours: record why`))
    assert.match(late.body, new RegExp(`govuk-error-summary[\\s\\S]*href="#lateReason-${ep.id}"[^>]*>The interview was offered after 72 hours: record why`))
    assert.equal((await ctx.s.t.db.selectFrom('missing_episode').select('rhi_offered_at').where('id', '=', ep.id).executeTakeFirstOrThrow()).rhi_offered_at, null)
    assert.equal((await ctx.s.t.db.selectFrom('clock').select('state').where('subject_id', '=', ep.id).executeTakeFirstOrThrow()).state, 'running')
    assert.equal((await sw.post(`/children/${childId}/missing/${ep.id}/rhi`, { ...rhi, lateReason: 'The service had no worker free until Saturday.' })).statusCode, 303)
    const c = await ctx.s.t.db.selectFrom('clock').select(['state', 'reason']).where('subject_id', '=', ep.id).executeTakeFirstOrThrow()
    assert.deepEqual(c, { state: 'met_late', reason: 'The service had no worker free until Saturday.' })
  })
})
