// The whole early-help journey through the pages, with a fake clock asserting every due date: start → early help
// assessment (a health contribution collated) → team meeting (attendance, minutes approved by the chair, an action
// agreed into the plan) → plan → review 1 (little progress: stepped up to child in need) → review 2 (good progress:
// stepped down to early help) → closed. The CP journey is src/modules/cp/cp.test.ts.
import assert from 'node:assert/strict'
import { it } from 'node:test'
import { describeApp } from '../../../test/support/app.ts'
import { membershipOf, pupilOf } from '../../../test/support/tac.ts'

const idFrom = (location: unknown) => String(location).split('?')[0]!.split('/').pop()!
const rowVersionIn = (body: string, action: string) => /name="rowVersion" value="(\d+)"/.exec(body.slice(body.indexOf(`action="${action}"`)))![1]!

describeApp('the early-help journey, start to close, on a fake clock', (ctx) => {
  it('start → assessment → meeting → plan → two reviews → step up and down → close', async () => {
    const db = ctx.s.t.db
    const childId = await pupilOf(db, 'brookside', 1)
    let dsl = await ctx.s.signIn('dsl.brookside')

    // start: Monday 23 November 2026
    const started = await dsl.post(`/children/${childId}/teams`, { level: 'early_help', leadMembershipId: membershipOf('dsl.brookside'), reason: 'Late most mornings; mum asking for help' })
    assert.equal(started.statusCode, 303)
    const tacId = idFrom(started.headers.location)
    const team = `/teams/${tacId}`
    await dsl.post(`${team}/members`, { membershipId: membershipOf('nurse'), teamRole: 'School nurse' })
    const nurse = await ctx.s.signIn('nurse')
    assert.equal((await nurse.post(`${team}/invitation`, { answer: 'join' })).statusCode, 303)

    // the early help assessment, with the nurse's contribution collated under health; no statutory clock
    const a = await dsl.post(`${team}/assessments`, { childId, kind: 'early_help' })
    assert.equal(a.statusCode, 303)
    const assessment = `${team}/assessments/${idFrom(a.headers.location)}`
    await nurse.get(assessment)
    assert.equal((await nurse.post(`${assessment}/contributions`, { domain: 'health', body: 'Tired in the mornings; sleep routine advice given.' })).statusCode, 303)
    const page = await dsl.get(assessment)
    assert.match(page.body, /sleep routine advice given/)
    assert.equal((await dsl.post(assessment, { rowVersion: rowVersionIn(page.body, assessment), childViews: 'I am tired in the mornings.', familyViews: 'Mornings are hard with the baby.', analysis: 'Routines, not safety, are the need.', recommendation: 'A family plan with routine support.' })).statusCode, 303)
    const ready = await dsl.get(assessment)
    assert.equal((await dsl.post(`${assessment}/complete`, { rowVersion: rowVersionIn(ready.body, `${assessment}/complete`) })).statusCode, 303)
    assert.equal((await db.selectFrom('clock').select('id').where('subject_id', '=', idFrom(a.headers.location)).execute()).length, 0, 'an early help assessment has no statutory clock')

    // the plan's first outcome
    assert.equal((await dsl.post(`${team}/plan/outcomes`, { body: 'On time for school every day', measure: 'scale' })).statusCode, 303)
    const outcome = await db.selectFrom('plan_outcome').select('id').where('tac_id', '=', tacId).executeTakeFirstOrThrow()

    // the team meeting: Monday 30 November, 10:00 London (GMT)
    const m = await dsl.post(`${team}/meetings`, { kind: 'team', title: 'First team meeting', date: '2026-11-30', time: '10:00', mode: 'in_person', place: 'Brookside, room 2', agenda: 'The plan', chair: membershipOf('dsl.brookside'), invite: [membershipOf('dsl.brookside'), membershipOf('nurse')] })
    assert.equal(m.statusCode, 303)
    const meetingId = (await db.selectFrom('meeting').select(['id', 'scheduled_at']).where('tac_id', '=', tacId).executeTakeFirstOrThrow())
    assert.equal(meetingId.scheduled_at.toISOString(), '2026-11-30T10:00:00.000Z')
    const meeting = `${team}/meetings/${meetingId.id}`
    ctx.s.clock.set('2026-11-30T11:30:00Z')
    dsl = await ctx.s.signIn('dsl.brookside')
    const invitees = await db.selectFrom('meeting_invitee').select('id').where('meeting_id', '=', meetingId.id).execute()
    assert.equal((await dsl.post(`${meeting}/attendance`, Object.fromEntries(invitees.map((i) => [`att-${i.id}`, 'present'])))).statusCode, 303)
    assert.equal((await dsl.post(`${meeting}/held`, { heldDate: '2026-11-30', heldTime: '10:00' })).statusCode, 303)
    assert.equal((await dsl.post(`${meeting}/actions`, { outcomeId: outcome.id, what: 'Breakfast club place', owner: membershipOf('dsl.brookside'), dueOn: '2026-12-07', place: 'Brookside', cost: '60' })).statusCode, 303)
    const v1 = (await db.selectFrom('meeting').select('row_version').where('id', '=', meetingId.id).executeTakeFirstOrThrow()).row_version
    assert.equal((await dsl.post(`${meeting}/minutes`, { minutes: 'Agreed a breakfast club place and a sleep routine.', rowVersion: String(v1) })).statusCode, 303)
    const v2 = (await db.selectFrom('meeting').select('row_version').where('id', '=', meetingId.id).executeTakeFirstOrThrow()).row_version
    assert.equal((await dsl.post(`${meeting}/minutes/approve`, { rowVersion: String(v2) })).statusCode, 303)
    const action = await db.selectFrom('plan_action').select(['id', 'meeting_id', 'due_on', 'cost_pence']).where('tac_id', '=', tacId).executeTakeFirstOrThrow()
    assert.deepEqual([action.meeting_id, action.due_on, action.cost_pence], [meetingId.id, '2026-12-07', 6000])

    // the review date the team set: the R21 clock is due at the end of that working day
    const planPage = await dsl.get(`${team}/plan`)
    assert.equal(planPage.statusCode, 200)
    const reviewDate = await dsl.post(`${team}/plan/review-date`, { nextReviewOn: '2027-01-11', previous: '' })
    assert.equal(reviewDate.statusCode, 303)
    const r21 = () => db.selectFrom('clock').select(['due_at', 'state', 'reason']).where('subject_id', '=', tacId).where('rule', '=', 'R21').orderBy('created_at', 'desc').executeTakeFirstOrThrow()
    assert.equal((await r21()).due_at.toISOString(), '2027-01-11T17:00:00.000Z')

    // review 1 on the day: little progress → stepped up to child in need
    ctx.s.clock.set('2027-01-11T15:00:00Z')
    dsl = await ctx.s.signIn('dsl.brookside')
    assert.equal((await dsl.post(`${team}/reviews`, { heldOn: '2027-01-11', [`score_${outcome.id}`]: '2', [`status_${action.id}`]: 'in_progress', childView: 'Still late.', familyView: 'It is not getting easier.', summary: 'Little progress', nextReviewOn: '2027-02-22' })).statusCode, 303)
    const met = await db.selectFrom('clock').select(['state']).where('subject_id', '=', tacId).where('rule', '=', 'R21').where('state', '=', 'met').execute()
    assert.equal(met.length, 1, 'review 1 met the review clock')
    assert.equal((await r21()).due_at.toISOString(), '2027-02-22T17:00:00.000Z')
    let teamPage = await dsl.get(team)
    assert.equal((await dsl.post(`${team}/level`, { to: 'child_in_need', reason: 'Little progress after six weeks: a social work assessment is needed', rowVersion: rowVersionIn(teamPage.body, `${team}/level`) })).statusCode, 303)

    // review 2, a day late (summer has not started: still GMT): the reason is required
    ctx.s.clock.set('2027-02-23T15:00:00Z')
    dsl = await ctx.s.signIn('dsl.brookside')
    const review2 = { heldOn: '2027-02-23', [`score_${outcome.id}`]: '8', [`status_${action.id}`]: 'done', childView: 'I like breakfast club.', familyView: 'Mornings are calmer.', summary: 'Good progress', nextReviewOn: '2027-04-06' }
    const late = await dsl.post(`${team}/reviews`, review2)
    assert.equal(late.statusCode, 400)
    assert.match(late.body, /govuk-error-summary/)
    assert.equal((await dsl.post(`${team}/reviews`, { ...review2, lateReason: 'The nurse was off sick on the 22nd' })).statusCode, 303)
    const metLate = await db.selectFrom('clock').select(['state', 'reason']).where('subject_id', '=', tacId).where('rule', '=', 'R21').where('state', '=', 'met_late').executeTakeFirstOrThrow()
    assert.equal(metLate.reason, 'The nurse was off sick on the 22nd')
    // the next review falls in British Summer Time: 17:00 London is 16:00 UTC
    assert.equal((await r21()).due_at.toISOString(), '2027-04-06T16:00:00.000Z')
    const progress = await dsl.get(`${team}/progress`)
    assert.equal(progress.statusCode, 200)
    assert.match(progress.body, /<svg/)

    // step down, then close: the running review clock stops with the reason; team relationships end
    teamPage = await dsl.get(team)
    assert.equal((await dsl.post(`${team}/level`, { to: 'early_help', reason: 'Good progress: attendance 96%', rowVersion: rowVersionIn(teamPage.body, `${team}/level`) })).statusCode, 303)
    teamPage = await dsl.get(team)
    assert.equal((await dsl.post(`${team}/level`, { to: 'closed', reason: 'Outcomes met; the family can carry on without the team', rowVersion: rowVersionIn(teamPage.body, `${team}/level`) })).statusCode, 303)
    const last = await r21()
    assert.deepEqual([last.state, last.reason], ['stopped', 'The team closed'])
    const kinds = (await db.selectFrom('level_change').select('kind').where('tac_id', '=', tacId).orderBy('decided_at').execute()).map((k) => k.kind)
    assert.deepEqual(kinds, ['start', 'step_up', 'step_down', 'close'])
    assert.equal((await (await ctx.s.signIn('nurse')).get(`/children/${childId}`)).statusCode, 404, 'the nurse’s access ended with the team')

    // everything landed in the chronology, in order
    const types = (await db.selectFrom('entry').select('type').where('child_id', '=', childId).orderBy('recorded_at').execute()).map((e) => e.type)
    for (const t of ['tac_started', 'tac_member_joined', 'assessment_started', 'assessment_completed', 'meeting_scheduled', 'meeting', 'plan_change', 'review', 'level_change', 'tac_closed']) assert.ok(types.includes(t), `${t} is in the chronology (${types.join(', ')})`)
    // and in the audit: every change, named with the child
    const audited = await db.selectFrom('audit_event').select('action').where('outcome', '=', 'success').where(({ eb, val }) => eb(val(childId), '=', eb.fn.any('child_ids'))).execute()
    for (const action of ['tac.start', 'assessment.complete', 'meeting.minutes-approve', 'review.record', 'tac.level']) assert.ok(audited.some((x) => x.action === action), `${action} audited`)
  })
})
