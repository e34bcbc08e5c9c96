import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { it } from 'node:test'
import { describeApp } from '../../../test/support/app.ts'
import { stableUuid } from '../../data/ids.ts'
import type { Role } from '../../access/policy.ts'
import { RefusedError } from '../../data/unit-of-work.ts'
import { addChildOutOfReach, addChildrenInReach, fillerNames } from '../../../test/support/children.ts'
import { makeTac, pupilOf } from '../../../test/support/tac.ts'

const id = (k: string) => stableUuid(`northshire:${k}`)
const idempotencyKey = (html: string) => /name="idempotencyKey" value="([^"]+)"/.exec(html)![1]!

// Monday 23 November 2026, 10:00 London (GMT): a working day.
describeApp('the front door: teacher → DSL → front door → decision → the teacher sees the rationale', (ctx) => {
  let childId: string
  let concernId: string
  let referralId: string

  it('a teacher logs a concern; the DSL refers it to the front door (pre-filled), once, however often the button is pressed', async () => {
    childId = (await ctx.s.t.db.selectFrom('relationship').select('child_id').where('type', '=', 'pupil_at').where('holder_agency_id', '=', id('agency:brookside')).executeTakeFirstOrThrow()).child_id
    const teacher = await ctx.s.signIn('teacher.brookside')
    const form = await teacher.get(`/concerns/new?child=${childId}`)
    const made = await teacher.post('/concerns', { idempotencyKey: idempotencyKey(form.body), children: [childId], category: 'physical_abuse', seenOrHeard: 'Bruising to both upper arms; said dad grabbed her.', childWords: 'Dad grabbed me hard', occurredDate: '2026-11-23', occurredTime: '09:10', immediateDanger: 'no' })
    assert.equal(made.statusCode, 303)
    concernId = (made.headers.location as string).split('/')[2]!.split('?')[0]!
    const dsl = await ctx.s.signIn('dsl.brookside')
    const rf = await dsl.get(`/referrals/new?concern=${concernId}`)
    assert.equal(rf.statusCode, 200)
    assert.match(rf.body, /Bruising to both upper arms/)
    const key = idempotencyKey(rf.body)
    const body = { idempotencyKey: key, children: [childId], concernIds: [concernId], kind: 'referral', reason: 'Bruising to both upper arms; she said dad grabbed her hard.', levelBelieved: '4', levelReason: 'Physical injury with a disclosure', parentsKnow: 'no', parentsNotToldReason: 'Telling dad could put her at risk', urgency: 'today' }
    const [a, b] = await Promise.all([dsl.post('/referrals', body), dsl.post('/referrals', body)])
    assert.equal(a.statusCode, 303)
    assert.equal(b.statusCode, 303)
    const rows = await ctx.s.t.db.selectFrom('referral').selectAll().where('idempotency_key', '=', key).execute()
    assert.equal(rows.length, 1, 'a double click makes one referral')
    // the form changed and sent again with its key: refused, with what was typed and a new key; nothing saved
    const changed = await dsl.post('/referrals', { ...body, urgency: 'immediate' })
    assert.equal(changed.statusCode, 400)
    assert.match(changed.body, /This form was already sent with different details/)
    assert.notEqual(idempotencyKey(changed.body), key)
    assert.equal((await ctx.s.t.db.selectFrom('referral').select('id').where('idempotency_key', '=', key).execute()).length, 1)
    assert.equal((await ctx.s.t.db.selectFrom('referral').select('urgency').where('id', '=', rows[0]!.id).executeTakeFirstOrThrow()).urgency, 'today')
    referralId = rows[0]!.id
    assert.equal(rows[0]!.out_of_hours, false)
    // the front door's sight of the child: its queue team's, from receipt, open until the decision sets its end
    const sight = await ctx.s.t.db.selectFrom('relationship').select(['child_id', 'type', 'holder_team_id', 'holder_membership_id', 'holder_agency_id', 'starts_at', 'ends_at', 'reason', 'created_by_membership_id']).where('source', '=', `referral ${referralId}`).execute()
    assert.deepEqual(sight, [{ child_id: childId, type: 'front_door_contact', holder_team_id: rows[0]!.queue_team_id, holder_membership_id: null, holder_agency_id: null, starts_at: rows[0]!.received_at, ends_at: null, reason: 'Open referral at the front door', created_by_membership_id: rows[0]!.recorded_by_membership_id }])
    const clock = await ctx.s.t.db.selectFrom('clock').selectAll().where('subject_id', '=', referralId).where('rule', '=', 'R1').executeTakeFirstOrThrow()
    assert.equal(clock.due_at.toISOString(), '2026-11-24T17:00:00.000Z', 'R1: one working day, due at the end of the next working day')
  })

  it('bad input: a clear error summary; nothing saved', async () => {
    const dsl = await ctx.s.signIn('dsl.brookside')
    const rf = await dsl.get(`/referrals/new?child=${childId}`)
    const before = (await ctx.s.t.db.selectFrom('referral').select('id').execute()).length
    const res = await dsl.post('/referrals', { idempotencyKey: idempotencyKey(rf.body), children: [childId], kind: 'referral', reason: '', parentsKnow: 'no', urgency: 'today' })
    assert.equal(res.statusCode, 400)
    assert.match(res.body, /govuk-error-summary/)
    assert.match(res.body, /Say why the parents or carers have not been told/)
    assert.match(res.body, /Choose the level of need you believe applies/)
    assert.equal((await ctx.s.t.db.selectFrom('referral').select('id').execute()).length, before)
  })

  it('the front door acknowledges, checks and decides with a rationale; an NFA needs a manager’s sign-off first', async () => {
    const fd = await ctx.s.signIn('frontdoor')
    const queue = await fd.get('/front-door')
    assert.match(queue.body, new RegExp(referralId))
    await fd.get(`/front-door/referrals/${referralId}`)
    assert.equal((await fd.post(`/front-door/referrals/${referralId}/acknowledge`)).statusCode, 303)
    assert.equal((await fd.post(`/front-door/referrals/${referralId}/checks`, { agency: 'Police', finding: 'Two domestic incidents at the address this year.' })).statusCode, 303)
    const noRationale = await fd.post(`/front-door/referrals/${referralId}/decision`, { decision: 's17', levelFound: '3', rationale: '' })
    assert.equal(noRationale.statusCode, 400)
    assert.match(noRationale.body, /Record the rationale/)
    const decided = await fd.post(`/front-door/referrals/${referralId}/decision`, { decision: 's47', levelFound: '4', rationale: 'Injury with a disclosure and police history: reasonable cause to suspect significant harm. Strategy discussion today.' })
    assert.equal(decided.statusCode, 303)
    const row = await ctx.s.t.db.selectFrom('referral').selectAll().where('id', '=', referralId).executeTakeFirstOrThrow()
    assert.equal(row.status, 'awaiting_sign_off')
    assert.equal(row.referrer_told_at, null)
    // the referrer is not told before sign-off
    const dsl = await ctx.s.signIn('dsl.brookside')
    const early = await dsl.get(`/referrals/${referralId}`)
    assert.doesNotMatch(early.body, /Strategy discussion today/)
    const manager = await ctx.s.signIn('manager.frontdoor')
    await manager.get(`/front-door/referrals/${referralId}`)
    assert.equal((await manager.post(`/front-door/referrals/${referralId}/sign-off`, { approve: 'yes', note: '' })).statusCode, 303)
  })

  it('the referrer sees the decision and the rationale, never the front door’s checks; the decision is in the chronology', async () => {
    const dsl = await ctx.s.signIn('dsl.brookside')
    const page = await dsl.get(`/referrals/${referralId}`)
    assert.equal(page.statusCode, 200)
    assert.match(page.body, /Strategy discussion today/)
    assert.match(page.body, /Strategy discussion \(section 47 enquiry\)/)
    assert.doesNotMatch(page.body, /Two domestic incidents/)
    const notes = await ctx.s.t.db.selectFrom('notification').select('kind').where('membership_id', '=', id('membership:dsl.brookside:0')).where('kind', '=', 'referral.decided').execute()
    assert.equal(notes.length, 1)
    const r1 = await ctx.s.t.db.selectFrom('clock').select(['state']).where('subject_id', '=', referralId).where('rule', '=', 'R1').executeTakeFirstOrThrow()
    assert.equal(r1.state, 'met')
    // a teacher at the school sees nothing of the referral (not theirs)
    const teacher = await ctx.s.signIn('teacher2.brookside')
    assert.equal((await teacher.get(`/referrals/${referralId}`)).statusCode, 404)
    // the teacher whose concern it came from is told the decision and the rationale on their concern's page
    const raiser = await ctx.s.signIn('teacher.brookside')
    const concernPage = await raiser.get(`/concerns/${concernId}`)
    assert.match(concernPage.body, /The front door&#39;s decision|The front door's decision/)
    assert.match(concernPage.body, /Strategy discussion today/)
    assert.doesNotMatch(concernPage.body, /Two domestic incidents/)
    const told = await ctx.s.t.db.selectFrom('notification').select('kind').where('membership_id', '=', id('membership:teacher.brookside:0')).where('kind', '=', 'concern.referral-decided').execute()
    assert.equal(told.length, 1)
  })

  it('the referrer challenges; the manager answers; the referrer sees the answer', async () => {
    const dsl = await ctx.s.signIn('dsl.brookside')
    await dsl.get(`/referrals/${referralId}`)
    assert.equal((await dsl.post(`/referrals/${referralId}/challenge`, { reason: '' })).statusCode, 400)
    // the reasons sent twice (a hand-made request) are said to be so, not answered as missing
    const twice = await dsl.post(`/referrals/${referralId}/challenge`, { reason: ['We disagree.', 'A joint visit is needed today.'] })
    assert.equal(twice.statusCode, 400)
    assert.match(twice.body, /Your reason was sent more than once: enter it once/)
    assert.equal((await dsl.post(`/referrals/${referralId}/challenge`, { reason: 'We think a joint visit with police is needed today, not tomorrow.' })).statusCode, 303)
    const ch = await ctx.s.t.db.selectFrom('challenge').selectAll().where('referral_id', '=', referralId).executeTakeFirstOrThrow()
    const clock = await ctx.s.t.db.selectFrom('clock').selectAll().where('subject_id', '=', ch.id).executeTakeFirstOrThrow()
    assert.equal(clock.state, 'running')
    const manager = await ctx.s.signIn('manager.frontdoor')
    await manager.get(`/front-door/referrals/${referralId}`)
    assert.equal((await manager.post(`/front-door/referrals/${referralId}/challenge-answer`, { upheld: 'no', response: 'The strategy discussion is at 14:00 today; police are attending and a joint visit will follow.' })).statusCode, 303)
    const page = await dsl.get(`/referrals/${referralId}`)
    assert.match(page.body, /joint visit will follow/)
    assert.equal((await ctx.s.t.db.selectFrom('clock').select('state').where('subject_id', '=', ch.id).executeTakeFirstOrThrow()).state, 'met')
  })

  it('out of hours, a referral goes to the emergency duty team’s queue; a re-referral within 12 months is flagged', async () => {
    ctx.s.clock.set('2026-11-28T11:00:00Z') // a Saturday
    const dsl = await ctx.s.signIn('dsl.brookside')
    const rf = await dsl.get(`/referrals/new?child=${childId}`)
    const res = await dsl.post('/referrals', { idempotencyKey: idempotencyKey(rf.body), children: [childId], kind: 'referral', reason: 'New bruising seen at a weekend club.', levelBelieved: '4', levelReason: 'Injury', parentsKnow: 'yes', urgency: 'immediate' })
    assert.equal(res.statusCode, 303)
    const row = await ctx.s.t.db.selectFrom('referral').selectAll().where('child_id', '=', childId).orderBy('received_at', 'desc').executeTakeFirstOrThrow()
    assert.equal(row.out_of_hours, true)
    assert.equal(row.queue_team_id, id('team:csc:edt'))
    assert.equal(row.re_referral_of, referralId)
    const clock = await ctx.s.t.db.selectFrom('clock').selectAll().where('subject_id', '=', row.id).where('rule', '=', 'R1').executeTakeFirstOrThrow()
    assert.equal(clock.due_at.toISOString(), '2026-12-01T17:00:00.000Z', 'received Saturday → due Tuesday 17:00')
    const edt = await ctx.s.signIn('edt')
    assert.match((await edt.get('/front-door')).body, new RegExp(row.id))
    const fd = await ctx.s.signIn('frontdoor')
    assert.doesNotMatch((await fd.get('/front-door')).body, new RegExp(row.id))
  })
})

describeApp('the front door’s clocks when a decision is returned, and when a challenge is answered late', (ctx) => {
  let childId: string
  let referralId: string
  const work = () => `/front-door/referrals/${referralId}`

  it('a decision returned by the manager and made again: R2 (the referrer told) still runs from the first decision, and is met late', async () => {
    childId = (await ctx.s.t.db.selectFrom('relationship').select('child_id').where('type', '=', 'pupil_at').where('holder_agency_id', '=', id('agency:brookside')).executeTakeFirstOrThrow()).child_id
    const dsl = await ctx.s.signIn('dsl.brookside')
    const rf = await dsl.get(`/referrals/new?child=${childId}`)
    const sent = await dsl.post('/referrals', { idempotencyKey: idempotencyKey(rf.body), children: [childId], kind: 'referral', reason: 'Often hungry and in the same clothes all week.', levelBelieved: '3', levelReason: 'Neglect over months', parentsKnow: 'yes', urgency: 'routine' })
    assert.equal(sent.statusCode, 303)
    referralId = (sent.headers.location as string).split('/')[2]!.split('?')[0]!
    // Monday: an NFA, which waits for a manager's sign-off; the referrer is to be told by Tuesday 17:00
    const fd = await ctx.s.signIn('frontdoor')
    await fd.get(work())
    assert.equal((await fd.post(`${work()}/decision`, { decision: 'nfa', levelFound: '2', rationale: 'Universal services can meet the need.' })).statusCode, 303)
    const first = await ctx.s.t.db.selectFrom('clock').select(['due_at']).where('subject_id', '=', referralId).where('rule', '=', 'R2').executeTakeFirstOrThrow()
    assert.equal(first.due_at.toISOString(), '2026-11-24T17:00:00.000Z')
    // Tuesday 16:00: the manager returns it
    ctx.s.clock.set('2026-11-24T16:00:00Z')
    const manager = await ctx.s.signIn('manager.frontdoor')
    await manager.get(work())
    assert.equal((await manager.post(`${work()}/sign-off`, { approve: 'no', note: 'Speak to the school nurse first.' })).statusCode, 303)
    // the returned decision stays on the record, for the front door only (the referrer was never told it)
    const returned = await ctx.s.t.db.selectFrom('entry').select(['summary', 'visibility', 'addressed_to_membership_id']).where('child_id', '=', childId).where('type', '=', 'decision_returned').execute()
    assert.equal(returned.length, 1)
    assert.equal(returned[0]!.visibility, 'front_door')
    assert.equal(returned[0]!.addressed_to_membership_id, null)
    assert.match(returned[0]!.summary, /No further action.*level 2 found\)\. Rationale: Universal services can meet the need\. Manager’s note: Speak to the school nurse first\./)
    const referrerView = await (await ctx.s.signIn('dsl.brookside')).get(`/children/${childId}/chronology`)
    assert.ok(!referrerView.body.includes('Universal services can meet the need'), 'the referrer does not see the decision that was returned')
    // Wednesday: decided again (early help needs no sign-off) and the referrer is told — a day late
    ctx.s.clock.set('2026-11-25T10:00:00Z')
    const fd2 = await ctx.s.signIn('frontdoor')
    await fd2.get(work())
    assert.equal((await fd2.post(`${work()}/decision`, { decision: 'early_help', levelFound: '2', rationale: 'The school nurse shares the worry: early help with a lead practitioner.' })).statusCode, 303)
    const r2 = await ctx.s.t.db.selectFrom('clock').select(['state', 'due_at', 'reason']).where('subject_id', '=', referralId).where('rule', '=', 'R2').execute()
    assert.deepEqual(
      r2.map((c) => [c.state, c.due_at.toISOString()]),
      [['met_late', '2026-11-24T17:00:00.000Z']],
      'one R2 clock, from the first decision, met late: not restarted by the decision made again',
    )
    assert.ok(r2[0]!.reason)
    const redecided = await ctx.s.t.db.selectFrom('referral').select(['decision', 'sign_off_note', 'signed_off_by']).where('id', '=', referralId).executeTakeFirstOrThrow()
    assert.deepEqual([redecided.decision, redecided.sign_off_note, redecided.signed_off_by], ['early_help', null, null], 'the return’s note does not hang on the new decision')
  })

  it('a challenge answered after its two working days: the manager answers it with the reason it is late (page and API)', async () => {
    ctx.s.clock.set('2026-11-25T11:00:00Z') // Wednesday: the answer is due Friday 17:00
    const dsl = await ctx.s.signIn('dsl.brookside')
    await dsl.get(`/referrals/${referralId}`)
    assert.equal((await dsl.post(`/referrals/${referralId}/challenge`, { reason: 'Early help was tried last term and did not change anything.' })).statusCode, 303)
    ctx.s.clock.set('2026-11-30T10:00:00Z') // the Monday after: late
    const manager = await ctx.s.signIn('manager.frontdoor')
    await manager.get(work())
    const noReason = await manager.post(`${work()}/challenge-answer`, { upheld: 'no', response: 'Early help with a named lead practitioner this time.' })
    assert.equal(noReason.statusCode, 400)
    assert.match(noReason.body, /govuk-error-summary[\s\S]*record the reason it is late/)
    assert.match(noReason.body, /name="lateReason"/, 'the form asks for the reason')
    const answered = await manager.post(`${work()}/challenge-answer`, { upheld: 'no', response: 'Early help with a named lead practitioner this time.', lateReason: 'The manager was on leave; the deputy was not told.' })
    assert.equal(answered.statusCode, 303)
    const first = await ctx.s.t.db.selectFrom('challenge').select(['id', 'status']).where('referral_id', '=', referralId).executeTakeFirstOrThrow()
    assert.equal(first.status, 'not_upheld')
    const ch = await ctx.s.t.db.selectFrom('clock').select(['state', 'reason']).where('subject_id', '=', first.id).where('rule', '=', 'CH').executeTakeFirstOrThrow()
    assert.deepEqual([ch.state, ch.reason], ['met_late', 'The manager was on leave; the deputy was not told.'])
    const dsl2 = await ctx.s.signIn('dsl.brookside')
    assert.match((await dsl2.get(`/referrals/${referralId}`)).body, /named lead practitioner this time/)

    // challenged again; answered late through the API, with its reason
    assert.equal((await dsl2.post(`/referrals/${referralId}/challenge`, { reason: 'The lead practitioner has not been named yet.' })).statusCode, 303)
    ctx.s.clock.set('2026-12-04T10:00:00Z') // Friday: due Wednesday 17:00
    const api = await ctx.s.signIn('manager.frontdoor')
    const token = ((await api.get('/api/v1/me')).json() as { csrfToken: string }).csrfToken
    const read = await api.get(`/api/v1${work()}`)
    assert.equal(read.statusCode, 200)
    const late = await api.postJson(`/api/v1${work()}/challenge-answer`, { upheld: false, response: 'Named today: the school nurse leads.', lateReason: 'Waiting for the nurse to agree.' }, { 'x-csrf-token': token, 'if-match': String(read.headers.etag) })
    assert.equal(late.statusCode, 200, late.body)
    const second = await ctx.s.t.db.selectFrom('challenge').select(['id', 'status']).where('referral_id', '=', referralId).where('id', '<>', first.id).executeTakeFirstOrThrow()
    assert.equal(second.status, 'not_upheld')
    assert.equal((await ctx.s.t.db.selectFrom('clock').select('state').where('subject_id', '=', second.id).executeTakeFirstOrThrow()).state, 'met_late')
  })

  it('a referral naming another school’s concern (a tampered form) is not found: nothing saved, the other school told nothing', async () => {
    ctx.s.clock.set('2026-12-04T11:00:00Z')
    const academyChild = (await ctx.s.t.db.selectFrom('relationship').select('child_id').where('type', '=', 'pupil_at').where('holder_agency_id', '=', id('agency:academy')).executeTakeFirstOrThrow()).child_id
    const teacher = await ctx.s.signIn('teacher.academy')
    const form = await teacher.get(`/concerns/new?child=${academyChild}`)
    const made = await teacher.post('/concerns', { idempotencyKey: idempotencyKey(form.body), children: [academyChild], category: 'neglect', seenOrHeard: 'Hungry again at breakfast club.', occurredDate: '2026-12-03', immediateDanger: 'no' })
    assert.equal(made.statusCode, 303, made.body.match(/govuk-error-summary[\s\S]{0,800}/)?.[0])
    const otherConcern = (made.headers.location as string).split('/')[2]!.split('?')[0]!
    const dsl = await ctx.s.signIn('dsl.brookside')
    const rf = await dsl.get(`/referrals/new?child=${childId}`)
    const before = (await ctx.s.t.db.selectFrom('referral').select('id').execute()).length
    const res = await dsl.post('/referrals', { idempotencyKey: idempotencyKey(rf.body), children: [childId], concernIds: [otherConcern], kind: 'referral', reason: 'Still hungry.', levelBelieved: '3', levelReason: 'Neglect', parentsKnow: 'yes', urgency: 'routine' })
    assert.equal(res.statusCode, 404)
    assert.equal((await ctx.s.t.db.selectFrom('referral').select('id').execute()).length, before)
  })

  it('a referral naming its own school’s concern about another child (a tampered form) is not found: nothing saved', async () => {
    ctx.s.clock.set('2026-12-04T11:30:00Z')
    const other = (await ctx.s.t.db.selectFrom('relationship').select('child_id').where('type', '=', 'pupil_at').where('holder_agency_id', '=', id('agency:brookside')).where('child_id', '<>', childId).orderBy('child_id').executeTakeFirstOrThrow()).child_id
    const teacher = await ctx.s.signIn('teacher.brookside')
    const form = await teacher.get(`/concerns/new?child=${other}`)
    const made = await teacher.post('/concerns', { idempotencyKey: idempotencyKey(form.body), children: [other], category: 'neglect', seenOrHeard: 'No coat in the snow.', occurredDate: '2026-12-03', immediateDanger: 'no' })
    assert.equal(made.statusCode, 303, made.body.match(/govuk-error-summary[\s\S]{0,800}/)?.[0])
    const otherChildsConcern = (made.headers.location as string).split('/')[2]!.split('?')[0]!
    const dsl = await ctx.s.signIn('dsl.brookside')
    const rf = await dsl.get(`/referrals/new?child=${childId}`)
    const before = (await ctx.s.t.db.selectFrom('referral').select('id').execute()).length
    const res = await dsl.post('/referrals', { idempotencyKey: idempotencyKey(rf.body), children: [childId], concernIds: [otherChildsConcern], kind: 'referral', reason: 'Cold and hungry.', levelBelieved: '3', levelReason: 'Neglect', parentsKnow: 'yes', urgency: 'routine' })
    assert.equal(res.statusCode, 404)
    assert.equal((await ctx.s.t.db.selectFrom('referral').select('id').execute()).length, before)
    // named with the child it is about, the same concern is linked
    const rf2 = await dsl.get(`/referrals/new?child=${other}`)
    const ok = await dsl.post('/referrals', { idempotencyKey: idempotencyKey(rf2.body), children: [other], concernIds: [otherChildsConcern], kind: 'referral', reason: 'Cold and hungry.', levelBelieved: '3', levelReason: 'Neglect', parentsKnow: 'yes', urgency: 'routine' })
    assert.equal(ok.statusCode, 303, ok.body.match(/govuk-error-summary[\s\S]{0,800}/)?.[0])
  })

  it('a challenge upheld: the decision and its sign-off are cleared, R1 runs again, and the referrer is told the new decision', async () => {
    ctx.s.clock.set('2026-12-07T10:00:00Z') // Monday
    const dsl = await ctx.s.signIn('dsl.brookside')
    const rf = await dsl.get(`/referrals/new?child=${childId}`)
    const sent = await dsl.post('/referrals', { idempotencyKey: idempotencyKey(rf.body), children: [childId], kind: 'referral', reason: 'Bruise on the cheek; says he walked into a door.', levelBelieved: '3', levelReason: 'Unexplained injury', parentsKnow: 'yes', urgency: 'routine' })
    assert.equal(sent.statusCode, 303)
    const rid = (sent.headers.location as string).split('/')[2]!.split('?')[0]!
    const url = `/front-door/referrals/${rid}`
    const fd = await ctx.s.signIn('frontdoor')
    await fd.get(url)
    assert.equal((await fd.post(`${url}/decision`, { decision: 'nfa', levelFound: '2', rationale: 'A plausible explanation; no other worries.' })).statusCode, 303)
    const manager = await ctx.s.signIn('manager.frontdoor')
    await manager.get(url)
    assert.equal((await manager.post(`${url}/sign-off`, { approve: 'yes', note: 'Agreed.' })).statusCode, 303)
    assert.ok((await ctx.s.t.db.selectFrom('referral').select('referrer_told_at').where('id', '=', rid).executeTakeFirstOrThrow()).referrer_told_at)
    ctx.s.clock.set('2026-12-07T14:00:00Z')
    const dsl2 = await ctx.s.signIn('dsl.brookside')
    await dsl2.get(`/referrals/${rid}`)
    assert.equal((await dsl2.post(`/referrals/${rid}/challenge`, { reason: 'A second bruise today, on the other cheek.' })).statusCode, 303)
    ctx.s.clock.set('2026-12-08T10:00:00Z')
    const manager2 = await ctx.s.signIn('manager.frontdoor')
    await manager2.get(url)
    assert.equal((await manager2.post(`${url}/challenge-answer`, { upheld: 'yes', response: 'We will look at it again today.' })).statusCode, 303)
    const reopened = await ctx.s.t.db.selectFrom('referral').select(['status', 'decision', 'referrer_told_at', 'signed_off_by', 'signed_off_at', 'sign_off_note']).where('id', '=', rid).executeTakeFirstOrThrow()
    assert.deepEqual(reopened, { status: 'checks', decision: null, referrer_told_at: null, signed_off_by: null, signed_off_at: null, sign_off_note: null })
    const r1 = await ctx.s.t.db.selectFrom('clock').select(['state', 'started_at']).where('subject_id', '=', rid).where('rule', '=', 'R1').orderBy('created_at').execute()
    assert.deepEqual(r1.map((c) => c.state), ['met', 'running'])
    assert.ok(r1[1]!.started_at >= new Date('2026-12-08T10:00:00Z'), 'R1 runs again from the answer')
    const fd2 = await ctx.s.signIn('frontdoor')
    await fd2.get(url)
    assert.equal((await fd2.post(`${url}/decision`, { decision: 'early_help', levelFound: '3', rationale: 'Two injuries in two days: early help led by the school nurse, seen again within a week.' })).statusCode, 303)
    const decided = await ctx.s.t.db.selectFrom('referral').select(['status', 'decision', 'referrer_told_at']).where('id', '=', rid).executeTakeFirstOrThrow()
    assert.deepEqual([decided.status, decided.decision], ['decided', 'early_help'])
    assert.ok(decided.referrer_told_at)
    const told = await ctx.s.t.db.selectFrom('entry').select('summary').where('child_id', '=', childId).where('type', '=', 'decision').where('detail_id', '=', rid).orderBy('recorded_at').execute()
    assert.equal(told.length, 2)
    assert.match(told[1]!.summary, /Two injuries in two days/)
  })

  it('more children in reach than the form lists: it says so and links to the search, whose result comes back to the form chosen; out of reach stays not found', async () => {
    // a police officer with a record of more than 500 children; Wilhelmina sorts after the first 500
    const [far] = await addChildrenInReach(ctx.s.t.db, id('agency:police'), 'agency_record', [{ givenName: 'Wilhelmina', familyName: 'Zzyzx' }, ...fillerNames(500)])
    const stranger = await addChildOutOfReach(ctx.s.t.db, { givenName: 'Ottoline', familyName: 'Zzyzx' })
    const officer = await ctx.s.signIn('police.mash')
    const form = await officer.get('/referrals/new')
    assert.equal(form.statusCode, 200)
    assert.doesNotMatch(form.body, new RegExp(far!))
    assert.match(form.body, /Showing the first 500 of your children, by family name\. If the child is not listed, <a class="govuk-link" href="\/search\?for=referral">search for them<\/a>/)
    // the search links each child found to the form with the child chosen; the one out of reach is not found
    const found = await officer.get('/search?for=referral&name=Wilhelmina+Zzyzx')
    assert.equal(found.statusCode, 200)
    assert.match(found.body, new RegExp(`<a class="govuk-link[^"]*" href="/referrals/new\\?child=${far}">Refer this child`))
    assert.doesNotMatch((await officer.get('/search?for=referral&name=Ottoline+Zzyzx')).body, new RegExp(stranger))
    assert.match(found.body, /<input type="hidden" name="for" value="referral">/, 'a second search keeps choosing for the referral')
    const chosen = await officer.get(`/referrals/new?child=${far}`)
    assert.equal(chosen.statusCode, 200)
    assert.match(chosen.body, new RegExp(`value="${far}"[^>]*checked`))
    // sent back with an error, the child stays listed and chosen
    const body = { idempotencyKey: idempotencyKey(chosen.body), children: [far!], kind: 'referral', reason: 'Seen at three incidents this month.', levelBelieved: '3', levelReason: 'Repeated police attendance', parentsKnow: 'yes', urgency: 'routine' }
    const bad = await officer.post('/referrals', { ...body, reason: '' })
    assert.equal(bad.statusCode, 400)
    assert.match(bad.body, new RegExp(`value="${far}"[^>]*checked`))
    const sent = await officer.post('/referrals', body)
    assert.equal(sent.statusCode, 303)
    assert.equal((await ctx.s.t.db.selectFrom('referral').select('child_id').where('idempotency_key', '=', body.idempotencyKey).executeTakeFirstOrThrow()).child_id, far)
    // a child out of reach, named in the address: not listed, and sent anyway, not found with nothing saved
    const tampered = await officer.get(`/referrals/new?child=${stranger}`)
    assert.equal(tampered.statusCode, 200)
    assert.doesNotMatch(tampered.body, new RegExp(stranger))
    assert.equal((await officer.post('/referrals', { ...body, idempotencyKey: idempotencyKey(tampered.body), children: [stranger] })).statusCode, 404)
    assert.equal((await ctx.s.t.db.selectFrom('referral').select('id').where('child_id', '=', stranger).execute()).length, 0)
  })
})

describeApp('the front door’s own record of a call, and a step taken late', (ctx) => {
  let childId: string
  let referralId: string
  const work = () => `/front-door/referrals/${referralId}`

  it('a call from the public recorded by the front door: the worker is sent to a page they can see, and follows it; a caller who gives only a number is still the caller', async () => {
    childId = (await ctx.s.t.db.selectFrom('relationship').select('child_id').where('type', '=', 'pupil_at').where('holder_agency_id', '=', id('agency:brookside')).executeTakeFirstOrThrow()).child_id
    // the school's referral opens the front door's sight of the child
    const dsl = await ctx.s.signIn('dsl.brookside')
    const rf = await dsl.get(`/referrals/new?child=${childId}`)
    const sent = await dsl.post('/referrals', { idempotencyKey: idempotencyKey(rf.body), children: [childId], kind: 'referral', reason: 'Often hungry and in the same clothes all week.', levelBelieved: '3', levelReason: 'Neglect over months', parentsKnow: 'yes', urgency: 'routine' })
    assert.equal(sent.statusCode, 303)
    referralId = (sent.headers.location as string).split('/')[2]!.split('?')[0]!
    const fd = await ctx.s.signIn('frontdoor')
    const form = await fd.get(`/referrals/new?child=${childId}`)
    assert.equal(form.statusCode, 200)
    const call = { children: [childId], kind: 'contact', reason: 'A neighbour heard shouting and a child crying late at night.', levelBelieved: '2', levelReason: 'One report', parentsKnow: 'no', parentsNotToldReason: 'The caller asked not to be named to the family', urgency: 'routine' }
    // the caller's name too long: said beside the field, the call's details kept
    const long = await fd.post('/referrals', { ...call, idempotencyKey: idempotencyKey(form.body), publicName: 'M'.repeat(201), publicContact: '07700 900000' })
    assert.equal(long.statusCode, 400)
    assert.match(long.body, /href="#publicName"/)
    assert.match(long.body, /id="publicName-error"/, 'the error is shown at the caller’s name')
    assert.match(long.body, /07700 900000/)
    const made = await fd.post('/referrals', { ...call, idempotencyKey: idempotencyKey(long.body), publicName: 'Mrs Smith', publicContact: '07700 900000' })
    assert.equal(made.statusCode, 303)
    const followed = await fd.get(made.headers.location as string)
    assert.equal(followed.statusCode, 200, 'the page the worker is sent to after recording the call')
    assert.match(followed.body, /A neighbour heard shouting/)
    assert.doesNotMatch(followed.body, /Challenge the decision/)
    const publicId = (made.headers.location as string).split('/')[2]!.split('?')[0]!
    assert.match((await fd.get('/referrals')).body, new RegExp(publicId), 'listed with the referrals they made')
    // a caller who gives only a number: a call from the public all the same, the number kept
    const again = await fd.get(`/referrals/new?child=${childId}`)
    const anonymous = await fd.post('/referrals', { ...call, idempotencyKey: idempotencyKey(again.body), publicName: '', publicContact: '07700 900123' })
    assert.equal(anonymous.statusCode, 303)
    const row = await ctx.s.t.db.selectFrom('referral').select(['source', 'referrer_membership_id', 'referrer_name', 'referrer_contact']).where('id', '=', (anonymous.headers.location as string).split('/')[2]!.split('?')[0]!).executeTakeFirstOrThrow()
    assert.deepEqual(row, { source: 'public', referrer_membership_id: null, referrer_name: null, referrer_contact: '07700 900123' })
    // someone else at the front door does not follow it as theirs
    assert.equal((await (await ctx.s.signIn('frontdoor2')).get(`/referrals/${publicId}`)).statusCode, 404)
    // the work page's "earlier referrals" are those received before it, not the calls that came after
    assert.doesNotMatch((await fd.get(work())).body, /Earlier referrals for this child/)
    assert.match((await fd.get(`/front-door/referrals/${publicId}`)).body, /Earlier referrals for this child: 1\./)
  })

  it('a decision made after its working day without the reason it is late: the error is at the reason’s field, nothing saved (page and API)', async () => {
    ctx.s.clock.set('2026-11-25T10:00:00Z') // Wednesday: R1 was due Tuesday 17:00
    const fd = await ctx.s.signIn('frontdoor')
    await fd.get(work())
    const late = await fd.post(`${work()}/decision`, { decision: 'early_help', levelFound: '2', rationale: 'Early help with the school nurse.' })
    assert.equal(late.statusCode, 400)
    assert.match(late.body, /govuk-error-summary[\s\S]*href="#lateReason"[^>]*>[^<]*record the reason it is late/)
    assert.match(late.body, /id="lateReason-error"/, 'the error is shown beside the reason’s field')
    assert.match(late.body, /Early help with the school nurse\./, 'what was typed is kept')
    assert.equal((await ctx.s.t.db.selectFrom('referral').select('status').where('id', '=', referralId).executeTakeFirstOrThrow()).status, 'received')
    const token = ((await fd.get('/api/v1/me')).json() as { csrfToken: string }).csrfToken
    const read = await fd.get(`/api/v1${work()}`)
    const api = await fd.postJson(`/api/v1${work()}/decision`, { decision: 'early_help', levelFound: 2, rationale: 'Early help with the school nurse.' }, { 'x-csrf-token': token, 'if-match': String(read.headers.etag) })
    assert.equal(api.statusCode, 400, api.body)
    assert.match(String(api.headers['content-type']), /application\/problem\+json/)
    assert.equal((api.json() as { 'invalid-params': { name: string }[] })['invalid-params'][0]!.name, 'lateReason')
    const ok = await fd.post(`${work()}/decision`, { decision: 'early_help', levelFound: '2', rationale: 'Early help with the school nurse.', lateReason: 'Two staff off sick on Tuesday.' })
    assert.equal(ok.statusCode, 303)
    const r1 = await ctx.s.t.db.selectFrom('clock').select(['state', 'reason']).where('subject_id', '=', referralId).where('rule', '=', 'R1').executeTakeFirstOrThrow()
    assert.deepEqual([r1.state, r1.reason], ['met_late', 'Two staff off sick on Tuesday.'])
  })

  it('a challenged decision is in the front door’s queue, due when the answer is, until it is answered; answered late without the reason, the error is at the reason’s field', async () => {
    const dsl = await ctx.s.signIn('dsl.brookside')
    await dsl.get(`/referrals/${referralId}`)
    assert.equal((await dsl.post(`/referrals/${referralId}/challenge`, { reason: 'Early help was tried last term.' })).statusCode, 303)
    const row = (html: string) => new RegExp(`href="/front-door/referrals/${referralId}">([^<]*)</a>[\\s\\S]*?</tr>`).exec(html)
    const queued = row((await (await ctx.s.signIn('manager.frontdoor')).get('/front-door')).body)
    assert.ok(queued, 'the challenged referral is in the queue')
    assert.equal(queued[1]!.trim(), '27 November 2026 at 5:00pm', 'due when the challenge must be answered (two working days)')
    assert.match(queued[0], /Challenged/)
    ctx.s.clock.set('2026-11-30T10:00:00Z') // due Friday 17:00
    const manager = await ctx.s.signIn('manager.frontdoor')
    await manager.get(work())
    const late = await manager.post(`${work()}/challenge-answer`, { upheld: 'no', response: 'Early help with a named lead practitioner.' })
    assert.equal(late.statusCode, 400)
    assert.match(late.body, /href="#lateReason"/)
    assert.match(late.body, /id="lateReason-error"/)
    assert.equal((await ctx.s.t.db.selectFrom('challenge').select('status').where('referral_id', '=', referralId).executeTakeFirstOrThrow()).status, 'open')
    assert.equal((await manager.post(`${work()}/challenge-answer`, { upheld: 'no', response: 'Early help with a named lead practitioner.', lateReason: 'Manager on leave.' })).statusCode, 303)
    assert.equal(row((await manager.get('/front-door')).body), null, 'answered, it leaves the queue')
  })
  it('a concern routed to another school’s DSL, referred by that DSL: it leaves their triage queue, as their own school’s concern would', async () => {
    ctx.s.clock.set('2026-12-01T10:00:00Z')
    const childId = await pupilOf(ctx.s.t.db, 'academy', 2)
    await makeTac(ctx.s.t.db, { childIds: [childId], lead: 'sw.north', members: ['police.missing'] })
    const police = await ctx.s.signIn('police.missing')
    const form = await police.get(`/concerns/new?child=${childId}`)
    const made = await police.post('/concerns', { idempotencyKey: idempotencyKey(form.body), children: [childId], category: 'neglect', seenOrHeard: 'Found at 2am near the station; said she had nowhere to sleep.', occurredDate: '2026-11-30', immediateDanger: 'no' })
    assert.equal(made.statusCode, 303)
    const concernId = (made.headers.location as string).split('/')[2]!.split('?')[0]!
    assert.ok((await ctx.s.t.db.selectFrom('concern').select('routed_to').where('id', '=', concernId).executeTakeFirstOrThrow()).routed_to.length, 'routed to the school’s DSLs')
    const dsl = await ctx.s.signIn('dsl.academy')
    assert.match((await dsl.get('/triage')).body, new RegExp(concernId))
    const rf = await dsl.get(`/referrals/new?concern=${concernId}`)
    assert.match(rf.body, /nowhere to sleep/)
    const sent = await dsl.post('/referrals', { idempotencyKey: idempotencyKey(rf.body), children: [childId], concernIds: [concernId], kind: 'referral', reason: 'Found at 2am near the station; nowhere to sleep.', levelBelieved: '3', levelReason: 'Missing overnight', parentsKnow: 'yes', urgency: 'today' })
    assert.equal(sent.statusCode, 303)
    assert.equal((await ctx.s.t.db.selectFrom('concern').select('status').where('id', '=', concernId).executeTakeFirstOrThrow()).status, 'triaged')
    assert.doesNotMatch((await dsl.get('/triage')).body, new RegExp(concernId), 'no longer waiting in the triage queue')
  })
})

describeApp('the front door records a call about a child it does not yet reach (found in the partnership’s identity index)', (ctx) => {
  const call = { kind: 'contact', reason: 'A neighbour saw the child locked out in the cold for hours.', levelBelieved: '2', levelReason: 'One report from a neighbour', parentsKnow: 'no', parentsNotToldReason: 'The caller asked not to be named to the family', urgency: 'today', publicName: 'Mr Jones', publicContact: '07700 900456' }
  const referralIdOf = (res: { headers: Record<string, unknown> }) => (res.headers.location as string).split('/')[2]!.split('?')[0]!

  it('a front-door worker finds the child in the index, chooses them, and records the call: saved, caller kept, audited, and the worker then reaches the child while the contact lasts', async () => {
    const stranger = await addChildOutOfReach(ctx.s.t.db, { givenName: 'Perpetua', familyName: 'Quillfeather' })
    const fd = await ctx.s.signIn('frontdoor')
    assert.equal((await fd.get(`/children/${stranger}`)).statusCode, 404, 'not in the worker’s reach before the call')
    // the search (for the referral) links the identity-only result to the form with the child chosen
    const found = await fd.get('/search?for=referral&name=Perpetua+Quillfeather')
    assert.match(found.body, new RegExp(`href="/referrals/new\\?child=${stranger}">Refer this child`))
    assert.doesNotMatch(found.body, new RegExp(`href="/children/${stranger}"`), 'identity only: no link to the record')
    const form = await fd.get(`/referrals/new?child=${stranger}`)
    assert.equal(form.statusCode, 200)
    assert.match(form.body, new RegExp(`value="${stranger}"[^>]*checked`), 'listed on the form, chosen')
    assert.match(form.body, /Perpetua Quillfeather/)
    // sent back with an error, the child stays listed and chosen
    const bad = await fd.post('/referrals', { ...call, idempotencyKey: idempotencyKey(form.body), children: [stranger], reason: '' })
    assert.equal(bad.statusCode, 400)
    assert.match(bad.body, new RegExp(`value="${stranger}"[^>]*checked`))
    const made = await fd.post('/referrals', { ...call, idempotencyKey: idempotencyKey(bad.body), children: [stranger] })
    assert.equal(made.statusCode, 303)
    const referralId = referralIdOf(made)
    const { queue_team_id: queueTeamId, ...row } = await ctx.s.t.db.selectFrom('referral').select(['child_id', 'source', 'referrer_membership_id', 'referrer_name', 'referrer_contact', 'queue_team_id']).where('id', '=', referralId).executeTakeFirstOrThrow()
    assert.deepEqual(row, { child_id: stranger, source: 'public', referrer_membership_id: null, referrer_name: 'Mr Jones', referrer_contact: '07700 900456' })
    const audit = await ctx.s.t.db.selectFrom('audit_event').select(['outcome', 'child_ids']).where('action', '=', 'referral.create').orderBy('id', 'desc').executeTakeFirstOrThrow()
    assert.deepEqual(audit, { outcome: 'success', child_ids: [stranger] })
    // the contact is the front door's sight of the child: the worker opens the call, the child and the referral
    const sight = await ctx.s.t.db.selectFrom('relationship').select(['id', 'type', 'holder_team_id']).where('source', '=', `referral ${referralId}`).executeTakeFirstOrThrow()
    assert.deepEqual({ type: sight.type, holder_team_id: sight.holder_team_id }, { type: 'front_door_contact', holder_team_id: queueTeamId })
    assert.equal((await fd.get(`/referrals/${referralId}`)).statusCode, 200)
    assert.equal((await fd.get(`/children/${stranger}`)).statusCode, 200)
    assert.equal((await fd.get(`/front-door/referrals/${referralId}`)).statusCode, 200)
    // and loses it when that relationship ends, as for any referral
    await ctx.s.t.db.updateTable('relationship').set({ ends_at: new Date('2026-11-23T09:00:00Z') }).where('id', '=', sight.id).execute()
    assert.equal((await fd.get(`/children/${stranger}`)).statusCode, 404)
    assert.equal((await fd.get(`/front-door/referrals/${referralId}`)).statusCode, 404)
  })

  it('only the front-door worker: a school’s DSL or a police officer in the MASH naming a child outside their reach is refused as before (not found, nothing saved)', async () => {
    const stranger = await addChildOutOfReach(ctx.s.t.db, { givenName: 'Ignatius', familyName: 'Quillfeather' })
    // a teacher does not refer at all (their DSL does): refused by permission, as today
    assert.equal((await (await ctx.s.signIn('teacher.brookside')).get(`/referrals/new?child=${stranger}`)).statusCode, 403)
    for (const who of ['dsl.brookside', 'police.mash']) {
      const referrer = await ctx.s.signIn(who)
      const form = await referrer.get(`/referrals/new?child=${stranger}`)
      assert.equal(form.statusCode, 200, who)
      assert.doesNotMatch(form.body, new RegExp(stranger), `${who}: not listed for anyone who does not search the index`)
      const sent = await referrer.post('/referrals', { ...call, publicName: '', publicContact: '', idempotencyKey: idempotencyKey(form.body), children: [stranger] })
      assert.equal(sent.statusCode, 404, who)
      assert.equal((await ctx.s.t.db.selectFrom('referral').select('id').where('child_id', '=', stranger).execute()).length, 0, who)
    }
  })

  it('a front-door worker naming an id that is no child of the partnership: not found, audited as such, nothing saved', async () => {
    const fd = await ctx.s.signIn('frontdoor')
    const form = await fd.get('/referrals/new')
    const before = (await ctx.s.t.db.selectFrom('referral').select('id').execute()).length
    const random = randomUUID()
    const listed = await fd.get(`/referrals/new?child=${random}`)
    assert.equal(listed.statusCode, 200)
    assert.doesNotMatch(listed.body, new RegExp(`value="${random}"`))
    const sent = await fd.post('/referrals', { ...call, idempotencyKey: idempotencyKey(form.body), children: [random] })
    assert.equal(sent.statusCode, 404)
    assert.equal((await ctx.s.t.db.selectFrom('referral').select('id').execute()).length, before)
    assert.equal((await ctx.s.t.db.selectFrom('audit_event').select('outcome').where('action', '=', 'referral.create').orderBy('id', 'desc').executeTakeFirstOrThrow()).outcome, 'not_found')
  })

  const newChild = { newChildGivenName: 'Wilhelmina', newChildFamilyName: 'Thistlewood', newChildDob: '2019-06-01' }
  const counts = async () => ({
    children: (await ctx.s.t.db.selectFrom('child').select('id').execute()).length,
    referrals: (await ctx.s.t.db.selectFrom('referral').select('id').execute()).length,
  })

  it('a front-door worker records a call about a child not yet known: a provisional child and the referral, the caller kept; the worker opens the referral and the child, and finds the child in the index', async () => {
    const fd = await ctx.s.signIn('frontdoor')
    const form = await fd.get('/referrals/new')
    assert.match(form.body, /A child not yet known/)
    assert.match(form.body, /name="newChildGivenName"/)
    const key = idempotencyKey(form.body)
    const made = await fd.post('/referrals', { ...call, ...newChild, idempotencyKey: key })
    assert.equal(made.statusCode, 303)
    const referralId = referralIdOf(made)
    const { child_id: childId, ...row } = await ctx.s.t.db.selectFrom('referral').select(['child_id', 'source', 'referrer_membership_id', 'referrer_name', 'referrer_contact']).where('id', '=', referralId).executeTakeFirstOrThrow()
    assert.deepEqual(row, { source: 'public', referrer_membership_id: null, referrer_name: 'Mr Jones', referrer_contact: '07700 900456' })
    const child = await ctx.s.t.db.selectFrom('child').select(['given_name', 'family_name', 'date_of_birth', 'sex', 'provisional']).where('id', '=', childId).executeTakeFirstOrThrow()
    assert.deepEqual(child, { given_name: 'Wilhelmina', family_name: 'Thistlewood', date_of_birth: '2019-06-01', sex: 'unknown', provisional: true })
    // the front door holds no agency record of the child: its sight is the contact's, as for any child it names
    const held = await ctx.s.t.db.selectFrom('relationship').select(['type', 'source']).where('child_id', '=', childId).execute()
    assert.deepEqual(held, [{ type: 'front_door_contact', source: `referral ${referralId}` }])
    const audit = await ctx.s.t.db.selectFrom('audit_event').select(['outcome', 'child_ids']).where('action', '=', 'referral.create').orderBy('id', 'desc').executeTakeFirstOrThrow()
    assert.deepEqual(audit, { outcome: 'success', child_ids: [childId] })
    assert.equal((await fd.get(`/referrals/${referralId}`)).statusCode, 200)
    assert.equal((await fd.get(`/children/${childId}`)).statusCode, 200)
    assert.equal((await fd.get(`/front-door/referrals/${referralId}`)).statusCode, 200)
    assert.match((await fd.get('/search?for=referral&name=Wilhelmina+Thistlewood')).body, new RegExp(childId))
    // sent again (a double click): the first submission, no second child
    const before = await counts()
    const again = await fd.post('/referrals', { ...call, ...newChild, idempotencyKey: key })
    assert.equal(again.statusCode, 303)
    assert.equal(referralIdOf(again), referralId)
    assert.deepEqual(await counts(), before)
    // changed and sent again with its key: refused, nothing saved
    const changed = await fd.post('/referrals', { ...call, ...newChild, newChildDob: '2019-06-02', idempotencyKey: key })
    assert.equal(changed.statusCode, 400)
    assert.match(changed.body, /This form was already sent with different details/)
    assert.deepEqual(await counts(), before)
  })

  it('a front-door worker names a chosen child and a child not yet known: one referral each, in one submission', async () => {
    const stranger = await addChildOutOfReach(ctx.s.t.db, { givenName: 'Octavia', familyName: 'Thistlewood' })
    const fd = await ctx.s.signIn('frontdoor')
    const form = await fd.get(`/referrals/new?child=${stranger}`)
    const made = await fd.post('/referrals', { ...call, ...newChild, newChildGivenName: 'Bartholomew', idempotencyKey: idempotencyKey(form.body), children: [stranger] })
    assert.equal(made.statusCode, 303)
    const submission = (await ctx.s.t.db.selectFrom('referral').select('submission_id').where('id', '=', referralIdOf(made)).executeTakeFirstOrThrow()).submission_id
    const rows = await ctx.s.t.db.selectFrom('referral as f').innerJoin('child as c', 'c.id', 'f.child_id').select(['c.given_name', 'c.provisional']).where('f.submission_id', '=', submission).orderBy('c.given_name').execute()
    assert.deepEqual(rows, [{ given_name: 'Bartholomew', provisional: true }, { given_name: 'Octavia', provisional: false }])
  })

  it('a child not yet known with no last name, or born in the future: the error summary and the field’s error; nothing saved', async () => {
    const fd = await ctx.s.signIn('frontdoor')
    const form = await fd.get('/referrals/new')
    const before = await counts()
    const noFamily = await fd.post('/referrals', { ...call, ...newChild, newChildFamilyName: '', idempotencyKey: idempotencyKey(form.body) })
    assert.equal(noFamily.statusCode, 400)
    assert.match(noFamily.body, /govuk-error-summary/)
    assert.match(noFamily.body, /href="#newChildFamilyName">Enter the last name of the child not yet known/)
    assert.match(noFamily.body, /value="Wilhelmina"/, 'what was typed is kept')
    assert.doesNotMatch(noFamily.body, /Choose the child or children/, 'a child not yet known is a child named')
    const future = await fd.post('/referrals', { ...call, ...newChild, newChildDob: '2027-01-01', idempotencyKey: idempotencyKey(form.body) })
    assert.equal(future.statusCode, 400)
    assert.match(future.body, /govuk-error-summary/)
    assert.match(future.body, /href="#newChildDob">Date of birth must be today or in the past/)
    assert.deepEqual(await counts(), before)
  })

  it('anyone else (a school’s DSL): the fields are not on the form and, sent anyway, ignored — no child not yet known is made', async () => {
    const pupil = (await ctx.s.t.db.selectFrom('relationship').select('child_id').where('type', '=', 'pupil_at').where('holder_agency_id', '=', id('agency:brookside')).executeTakeFirstOrThrow()).child_id
    const dsl = await ctx.s.signIn('dsl.brookside')
    const form = await dsl.get('/referrals/new')
    assert.doesNotMatch(form.body, /newChildGivenName|A child not yet known/)
    const before = await counts()
    const alone = await dsl.post('/referrals', { ...call, ...newChild, newChildGivenName: 'Cornelius'.repeat(20), publicName: '', publicContact: '', idempotencyKey: idempotencyKey(form.body) })
    assert.equal(alone.statusCode, 400)
    assert.match(alone.body, /Choose the child or children the referral is about/)
    assert.doesNotMatch(alone.body, /Must be 100 characters or fewer|newChildGivenName/, 'a field not on the form is not checked, nor sent back')
    assert.deepEqual(await counts(), before)
    const sent = await dsl.post('/referrals', { ...call, ...newChild, newChildGivenName: 'Cornelius', publicName: '', publicContact: '', idempotencyKey: idempotencyKey(form.body), children: [pupil] })
    assert.equal(sent.statusCode, 303)
    assert.equal((await ctx.s.t.db.selectFrom('referral').select('child_id').where('id', '=', referralIdOf(sent)).executeTakeFirstOrThrow()).child_id, pupil)
    assert.deepEqual(await counts(), { children: before.children, referrals: before.referrals + 1 })
    assert.equal((await ctx.s.t.db.selectFrom('child').select('id').where('given_name', '=', 'Cornelius').execute()).length, 0)
    // and the data layer refuses it outright, whatever the caller: nothing saved
    const m = await ctx.s.t.db.selectFrom('membership').selectAll().where('id', '=', id('membership:dsl.brookside:0')).executeTakeFirstOrThrow()
    const actor = { kind: 'practitioner' as const, partnershipId: m.partnership_id, practitionerId: m.practitioner_id, membershipId: m.id, agencyId: m.agency_id, teamId: m.team_id, role: m.role as Role, requestId: randomUUID() }
    const after = await counts()
    await assert.rejects(
      ctx.s.data.forActor(actor).referrals.submit({ childIds: [pupil], newChild: { givenName: 'Cornelius', familyName: 'Thistlewood', dateOfBirth: '2019-06-01' }, kind: 'referral', reason: 'r', levelBelieved: 2, levelReason: 'r', parentsKnow: true, parentsNotToldReason: null, urgency: 'routine', ppnReference: null, concernIds: [], idempotencyKey: randomUUID() }),
      (err) => err instanceof RefusedError && /Only the front door names a child not yet known/.test(err.message),
    )
    assert.deepEqual(await counts(), after)
  })

  it('the API: a front-door worker names a child not yet known, checked as on the page (problem+json naming each field, nothing saved); the referral and the provisional child are made once', async () => {
    const fd = await ctx.s.signIn('frontdoor')
    const token = ((await fd.get('/api/v1/me')).json() as { csrfToken: string }).csrfToken
    const create = (body: Record<string, unknown>, key = String(body.idempotencyKey)) => fd.postJson('/api/v1/referrals', body, { 'x-csrf-token': token, 'idempotency-key': key })
    const body = { children: [], kind: 'contact', reason: 'A caller saw a child alone at the bus station at midnight.', levelBelieved: 2, levelReason: 'One report from the public', parentsKnow: false, parentsNotToldReason: 'Parents not known', urgency: 'today', idempotencyKey: randomUUID() }
    const params = (res: { json(): unknown }) => (res.json() as { 'invalid-params': { name: string; reason: string }[] })['invalid-params']
    const before = await counts()
    const bad = await create({ ...body, newChild: { givenName: 'Ambrose', familyName: '', dateOfBirth: '2027-01-01' } })
    assert.equal(bad.statusCode, 400, bad.body)
    assert.match(String(bad.headers['content-type']), /application\/problem\+json/)
    assert.deepEqual(params(bad), [
      { name: 'newChild.familyName', reason: 'Enter the last name of the child not yet known' },
      { name: 'newChild.dateOfBirth', reason: 'Date of birth must be today or in the past' },
    ])
    const impossible = await create({ ...body, idempotencyKey: randomUUID(), newChild: { givenName: 'Ambrose', familyName: 'Thistlewood', dateOfBirth: '2019-02-30' } })
    assert.equal(impossible.statusCode, 400)
    assert.deepEqual(params(impossible), [{ name: 'newChild.dateOfBirth', reason: 'Date of birth must be a real date' }])
    const nobody = await create({ ...body, idempotencyKey: randomUUID() })
    assert.equal(nobody.statusCode, 400)
    assert.deepEqual(params(nobody).map((p) => p.name), ['children'])
    assert.deepEqual(await counts(), before, 'nothing saved')
    // the corrected body, with the key the refused one left free
    const made = await create({ ...body, newChild: { givenName: 'Ambrose', familyName: 'Thistlewood', dateOfBirth: '2019-02-28' } })
    assert.equal(made.statusCode, 201, made.body)
    const [referral] = (made.json() as { referrals: { id: string; childId: string }[] }).referrals
    const child = await ctx.s.t.db.selectFrom('child').select(['given_name', 'family_name', 'date_of_birth', 'provisional']).where('id', '=', referral!.childId).executeTakeFirstOrThrow()
    assert.deepEqual(child, { given_name: 'Ambrose', family_name: 'Thistlewood', date_of_birth: '2019-02-28', provisional: true })
    assert.deepEqual(await ctx.s.t.db.selectFrom('relationship').select(['type', 'source']).where('child_id', '=', referral!.childId).execute(), [{ type: 'front_door_contact', source: `referral ${referral!.id}` }])
    const audit = await ctx.s.t.db.selectFrom('audit_event').select(['outcome', 'child_ids']).where('action', '=', 'referral.create').orderBy('id', 'desc').executeTakeFirstOrThrow()
    assert.deepEqual(audit, { outcome: 'success', child_ids: [referral!.childId] })
    assert.deepEqual(await counts(), { children: before.children + 1, referrals: before.referrals + 1 })
    // sent again: the first response, no second child
    const again = await create({ ...body, newChild: { givenName: 'Ambrose', familyName: 'Thistlewood', dateOfBirth: '2019-02-28' } })
    assert.equal(again.statusCode, 201)
    assert.equal(again.headers['idempotent-replayed'], 'true')
    assert.equal((again.json() as { referrals: { id: string }[] }).referrals[0]!.id, referral!.id)
    assert.deepEqual(await counts(), { children: before.children + 1, referrals: before.referrals + 1 })
  })

  it('the API: ids in capitals name the same child, once, and the same referral sent again in capitals is the first one', async () => {
    const pupil = (await ctx.s.t.db.selectFrom('relationship').select('child_id').where('type', '=', 'pupil_at').where('holder_agency_id', '=', id('agency:brookside')).where('ends_at', 'is', null).orderBy('child_id', 'desc').executeTakeFirstOrThrow()).child_id
    const dsl = await ctx.s.signIn('dsl.brookside')
    const token = ((await dsl.get('/api/v1/me')).json() as { csrfToken: string }).csrfToken
    const key = randomUUID()
    const body = { children: [pupil, pupil.toUpperCase()], kind: 'referral', reason: 'Unexplained bruising, seen twice this week.', levelBelieved: 3, levelReason: 'Physical injury', parentsKnow: true, urgency: 'routine', idempotencyKey: key }
    const made = await dsl.postJson('/api/v1/referrals', body, { 'x-csrf-token': token, 'idempotency-key': key })
    assert.equal(made.statusCode, 201, made.body)
    const referrals = (made.json() as { referrals: { id: string; childId: string }[] }).referrals
    assert.deepEqual(referrals.map((r) => r.childId), [pupil])
    // the same referral again, its ids in capitals, after the API's replay store has forgotten the key: the first one
    await ctx.s.t.db.deleteFrom('idempotency_key').execute()
    const again = await dsl.postJson('/api/v1/referrals', { ...body, children: [pupil.toUpperCase()] }, { 'x-csrf-token': token, 'idempotency-key': key })
    assert.equal(again.statusCode, 200, again.body)
    const replayed = again.json() as { referrals: { id: string }[]; replayed: boolean }
    assert.equal(replayed.replayed, true)
    assert.deepEqual(replayed.referrals.map((r) => r.id), referrals.map((r) => r.id))
  })

  it('the API: anyone else (a school’s DSL) naming a child not yet known is refused on the field, nothing saved', async () => {
    const pupil = (await ctx.s.t.db.selectFrom('relationship').select('child_id').where('type', '=', 'pupil_at').where('holder_agency_id', '=', id('agency:brookside')).executeTakeFirstOrThrow()).child_id
    const dsl = await ctx.s.signIn('dsl.brookside')
    const token = ((await dsl.get('/api/v1/me')).json() as { csrfToken: string }).csrfToken
    const key = randomUUID()
    const body = { children: [pupil], kind: 'referral', reason: 'Her younger brother, not at our school, is often left alone.', levelBelieved: 2, levelReason: 'Neglect', parentsKnow: true, urgency: 'routine', idempotencyKey: key }
    const before = await counts()
    const refused = await dsl.postJson('/api/v1/referrals', { ...body, newChild: { givenName: 'Cornelius', familyName: 'Thistlewood', dateOfBirth: '2021-01-01' } }, { 'x-csrf-token': token, 'idempotency-key': key })
    assert.equal(refused.statusCode, 400, refused.body)
    assert.deepEqual((refused.json() as { 'invalid-params': { name: string }[] })['invalid-params'].map((p) => p.name), ['newChild'])
    assert.deepEqual(await counts(), before)
    assert.equal((await ctx.s.t.db.selectFrom('child').select('id').where('given_name', '=', 'Cornelius').execute()).length, 0)
  })

  it('two front-door workers press “Acknowledge” (or one presses it twice): the second lands on the referral, told who acknowledged it and when — no error, nothing changed or written again; the API still answers 409', async () => {
    const stranger = await addChildOutOfReach(ctx.s.t.db, { givenName: 'Lavinia', familyName: 'Quillfeather' })
    const fd = await ctx.s.signIn('frontdoor')
    const form = await fd.get(`/referrals/new?child=${stranger}`)
    const made = await fd.post('/referrals', { ...call, idempotencyKey: idempotencyKey(form.body), children: [stranger] })
    assert.equal(made.statusCode, 303)
    const referralId = referralIdOf(made)
    const work = `/front-door/referrals/${referralId}`
    // both have the page open, with its Acknowledge button
    const other = await ctx.s.signIn('frontdoor2')
    const opened = await other.get(work)
    assert.match(opened.body, /Acknowledged\s*<\/dt>\s*<dd[^>]*>\s*Not yet/)
    assert.match(opened.body, new RegExp(`action="${work}/acknowledge"`))
    await fd.get(work)
    assert.equal((await fd.post(`${work}/acknowledge`)).statusCode, 303)
    const state = async () => ({
      referral: await ctx.s.t.db.selectFrom('referral').select(['status', 'acknowledged_at', 'acknowledged_by', 'row_version']).where('id', '=', referralId).executeTakeFirstOrThrow(),
      acknowledged: (await ctx.s.t.db.selectFrom('audit_event').select('id').where('action', '=', 'referral.acknowledge').where('entity_id', '=', referralId).where('outcome', '=', 'success').execute()).length,
      entries: (await ctx.s.t.db.selectFrom('entry').select('id').where('child_id', '=', stranger).execute()).length,
    })
    const first = await state()
    assert.equal(first.referral.acknowledged_by, id('membership:frontdoor:0'))
    assert.equal(first.acknowledged, 1)
    for (const [who, agent] of [['a colleague', other], ['the same worker again', fd]] as const) {
      const second = await agent.post(`${work}/acknowledge`)
      assert.equal(second.statusCode, 303, `${who}: ${second.body.slice(0, 300)}`)
      assert.equal(second.headers.location, `${work}?notice=already-acknowledged`)
      const landed = await agent.get(second.headers.location as string)
      assert.equal(landed.statusCode, 200)
      assert.doesNotMatch(landed.body, /govuk-error-summary/, `${who}: no error`)
      assert.match(landed.body, /govuk-notification-banner[\s\S]*This referral had already been acknowledged by Joanne Clarke on 23 November 2026 at/, `${who}: told, as information`)
      assert.doesNotMatch(landed.body, /govuk-notification-banner--success/)
      assert.match(landed.body, /Acknowledged\s*<\/dt>\s*<dd[^>]*>\s*23 November 2026 at [^<]*by Joanne Clarke/, `${who}: the referral shows by whom and when`)
      assert.doesNotMatch(landed.body, new RegExp(`action="${work}/acknowledge"`), 'no Acknowledge button now')
      assert.deepEqual(await state(), first, `${who}: nothing changed, no second acknowledgement in the audit or the chronology`)
    }
    // the API keeps its 409
    const token = ((await other.get('/api/v1/me')).json() as { csrfToken: string }).csrfToken
    const read = await other.get(`/api/v1${work}`)
    const api = await other.postJson(`/api/v1${work}/acknowledge`, {}, { 'x-csrf-token': token, 'if-match': String(read.headers.etag) })
    assert.equal(api.statusCode, 409)
    assert.match((api.json() as { detail: string }).detail, /already been acknowledged/)
    assert.deepEqual(await state(), first)
    // the notice is said only of a referral that is acknowledged
    const fresh = await fd.get(`/referrals/new?child=${stranger}`)
    const next = referralIdOf(await fd.post('/referrals', { ...call, reason: 'A second call about the same child.', idempotencyKey: idempotencyKey(fresh.body), children: [stranger] }))
    assert.doesNotMatch((await fd.get(`/front-door/referrals/${next}?notice=already-acknowledged`)).body, /already been acknowledged/)
  })
})
