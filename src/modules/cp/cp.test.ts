// The child-protection journey on its statutory clocks (strategy discussion → s47 → ICPC → plan → core group →
// review conference → plan ends), every due date asserted exactly on a fake clock, and the manager's dashboard.
import assert from 'node:assert/strict'
import { it } from 'node:test'
import { randomUUID } from 'node:crypto'
import { describeApp } from '../../../test/support/app.ts'
import { makeTac, membershipOf, PARTNERSHIP } from '../../../test/support/tac.ts'

describeApp('the child-protection route and the manager’s clocks', (ctx) => {
  let tacId: string
  let ruby: string // a section 47 enquiry, a conference and a plan
  let kai: string // her brother: no enquiry
  let enquiryId: string
  let planId: string
  const db = () => ctx.s.t.db
  /** A strategy discussion's form for both children, online with social care, health and police unless told otherwise. */
  const strategyForm = (heldDate: string, heldTime: string, decisions: { ruby: ['yes' | 'no', string]; kai: ['yes' | 'no', string] }, participants = [membershipOf('sw.north'), membershipOf('hv'), membershipOf('police.missing')], mode = 'online') => ({
    heldDate,
    heldTime,
    mode,
    participants,
    childIds: [ruby, kai],
    [`s47-${ruby}`]: decisions.ruby[0],
    [`reason-${ruby}`]: decisions.ruby[1],
    [`s47-${kai}`]: decisions.kai[0],
    [`reason-${kai}`]: decisions.kai[1],
  })
  const clockOf = (subjectType: string, subjectId: string, rule: string) => db().selectFrom('clock').selectAll().where('subject_type', '=', subjectType).where('subject_id', '=', subjectId).where('rule', '=', rule).orderBy('created_at', 'desc').executeTakeFirstOrThrow()
  const meetingOf = async (kind: string) => (await db().selectFrom('meeting').select('id').where('tac_id', '=', tacId).where('kind', '=', kind as never).where('status', '=', 'scheduled').executeTakeFirstOrThrow()).id

  it('setup: a child-in-need team for two siblings, led by the social worker, with police and health', async () => {
    const at = new Date('2026-11-02T10:00:00Z')
    ruby = randomUUID()
    kai = randomUUID()
    for (const [id, given] of [
      [ruby, 'Ruby'],
      [kai, 'Kai'],
    ] as const) {
      await db().insertInto('child').values({ id, partnership_id: PARTNERSHIP, given_name: given, family_name: 'Cpjourney', date_of_birth: '2018-03-04', expected_date_of_birth: null, sex: given === 'Ruby' ? 'female' : 'male', nhs_number: null, upn: null, ethnicity: null, first_language: null, disability: null, created_at: at }).execute()
    }
    tacId = await makeTac(db(), { childIds: [ruby, kai], level: 'child_in_need', lead: 'sw.north', members: ['police.mash', 'nurse'] })
  })

  it('access: a non-member gets 404; a police member sees the page but cannot record (404 on the form)', async () => {
    const outsider = await ctx.s.signIn('sw.south')
    assert.equal((await outsider.get(`/teams/${tacId}/cp`)).statusCode, 404)
    assert.equal((await outsider.post(`/teams/${tacId}/cp/strategy-discussions`, {})).statusCode, 404)
    const police = await ctx.s.signIn('police.mash')
    const page = await police.get(`/teams/${tacId}/cp`)
    assert.equal(page.statusCode, 200)
    assert.doesNotMatch(page.body, /Record a strategy discussion/)
    assert.equal((await police.post(`/teams/${tacId}/cp/strategy-discussions`, {})).statusCode, 404)
    const sw = await ctx.s.signIn('sw.north')
    assert.equal((await sw.get(`/teams/${randomUUID()}/cp`)).statusCode, 404)
    assert.equal((await sw.get(`/teams/not-a-uuid/cp`)).statusCode, 404)
  })

  it('strategy discussion: police, health and social care must take part; a s47 enquiry starts R5 (15 working days)', async () => {
    ctx.s.clock.set('2026-11-24T15:00:00Z')
    const sw = await ctx.s.signIn('sw.north')
    const page = await sw.get(`/teams/${tacId}/cp`)
    assert.equal(page.statusCode, 200)
    assert.match(page.body, /Record a strategy discussion/)
    const form = {
      heldDate: '2026-11-24',
      heldTime: '14:00',
      mode: 'phone',
      participants: [membershipOf('sw.north'), membershipOf('nurse'), membershipOf('police.mash')],
      others: 'Jo Pike, Brookside Primary, designated safeguarding lead',
      childIds: [ruby, kai],
      [`s47-${ruby}`]: 'yes',
      [`reason-${ruby}`]: 'Bruising to her upper arms explained inconsistently; reasonable cause to suspect significant harm.',
      [`s47-${kai}`]: 'no',
      [`reason-${kai}`]: 'No indication of harm to Kai; his needs are met through the child in need plan.',
    }
    // no police present → refused, the user's input kept
    const noPolice = await sw.post(`/teams/${tacId}/cp/strategy-discussions`, { ...form, participants: [membershipOf('sw.north'), membershipOf('nurse')] })
    assert.equal(noPolice.statusCode, 400)
    assert.match(noPolice.body, /govuk-error-summary/)
    assert.match(noPolice.body, /no one from police took part/)
    assert.match(noPolice.body, /Bruising to her upper arms/)
    const noHealthNoSocialCare = await sw.post(`/teams/${tacId}/cp/strategy-discussions`, { ...form, participants: [membershipOf('police.mash')] })
    assert.equal(noHealthNoSocialCare.statusCode, 400)
    assert.match(noHealthNoSocialCare.body, /no one from health or children’s social care took part/)
    // bad input: no reason for a child, a time that is not a time, a date in the future
    const bad = await sw.post(`/teams/${tacId}/cp/strategy-discussions`, { ...form, heldTime: '25:00', [`reason-${kai}`]: '', [`s47-${ruby}`]: 'maybe' })
    assert.equal(bad.statusCode, 400)
    assert.match(bad.body, /Enter the time as HH:MM/)
    assert.match(bad.body, new RegExp(`href="#reason-${kai}"`))
    assert.match(bad.body, new RegExp(`href="#s47-${ruby}"`))
    const future = await sw.post(`/teams/${tacId}/cp/strategy-discussions`, { ...form, heldDate: '2026-11-25' })
    assert.equal(future.statusCode, 400)
    assert.match(future.body, /cannot be in the future/)
    const ancient = await sw.post(`/teams/${tacId}/cp/strategy-discussions`, { ...form, heldDate: '1899-12-31' })
    assert.equal(ancient.statusCode, 400)
    assert.match(ancient.body, /Enter a real date/)
    const unknownParticipant = await sw.post(`/teams/${tacId}/cp/strategy-discussions`, { ...form, participants: [...form.participants, membershipOf('dsl.brookside')] })
    assert.equal(unknownParticipant.statusCode, 400)
    assert.equal(await db().selectFrom('meeting').select('id').where('tac_id', '=', tacId).executeTakeFirst(), undefined, 'nothing saved')

    const ok = await sw.post(`/teams/${tacId}/cp/strategy-discussions`, form)
    assert.equal(ok.statusCode, 303)
    assert.equal(ok.headers.location, `/teams/${tacId}/cp`)
    const meeting = await db().selectFrom('meeting').selectAll().where('tac_id', '=', tacId).where('kind', '=', 'strategy_discussion').executeTakeFirstOrThrow()
    assert.equal(meeting.status, 'held')
    assert.equal(meeting.held_at?.toISOString(), '2026-11-24T14:00:00.000Z')
    const invitees = await db().selectFrom('meeting_invitee').select(['name', 'agency_label', 'attendance', 'membership_id']).where('meeting_id', '=', meeting.id).execute()
    assert.equal(invitees.length, 4)
    assert.ok(invitees.every((i) => i.attendance === 'present'))
    assert.deepEqual(invitees.map((i) => i.agency_label).sort(), ['Brookside Primary', 'Northshire Children\'s Social Care', 'Northshire Community Health NHS Trust', 'Northshire Police'])
    const enquiries = await db().selectFrom('cp_enquiry').selectAll().where('tac_id', '=', tacId).execute()
    assert.equal(enquiries.length, 2)
    const rubys = enquiries.find((e) => e.child_id === ruby)!
    const kais = enquiries.find((e) => e.child_id === kai)!
    assert.equal(rubys.start_s47, true)
    assert.equal(kais.start_s47, false)
    enquiryId = rubys.id
    // R5: Tuesday 24 November 2026 14:00 counts that day; the 15th working day after is Tuesday 15 December, 17:00
    const r5 = await clockOf('cp_enquiry', rubys.id, 'R5')
    assert.equal(r5.started_at.toISOString(), '2026-11-24T14:00:00.000Z')
    assert.equal(r5.due_at.toISOString(), '2026-12-15T17:00:00.000Z')
    assert.equal(r5.state, 'running')
    assert.equal(r5.escalate_to_membership_id, membershipOf('manager.north'), 'overdue escalates to the social worker’s manager')
    assert.equal(await db().selectFrom('clock').select('id').where('subject_id', '=', kais.id).executeTakeFirst(), undefined, 'no enquiry, no clock')
    const entries = await db().selectFrom('entry').select(['child_id', 'significance', 'summary']).where('detail_type', '=', 'cp_enquiry').where('type', '=', 'strategy_discussion').execute()
    assert.equal(entries.length, 2, 'one entry per child')
    assert.ok(entries.every((e) => e.significance === 'high'))
    assert.match(entries.find((e) => e.child_id === ruby)!.summary, /a section 47 enquiry starts/)
    assert.match(entries.find((e) => e.child_id === kai)!.summary, /no section 47 enquiry/)
    const audit = await db().selectFrom('audit_event').select(['child_ids', 'outcome']).where('action', '=', 'cp.strategy').where('actor_membership_id', '=', membershipOf('sw.north')).orderBy('id').execute()
    assert.deepEqual(audit.map((a) => a.outcome), ['refused', 'refused', 'refused', 'success'])
    assert.deepEqual([...audit.at(-1)!.child_ids].sort(), [ruby, kai].sort())
    const shown = await sw.get(`/teams/${tacId}/cp`)
    assert.match(shown.body, /Jo Pike/)
    assert.match(shown.body, /15 December 2026 at 5:00pm/)
  })

  it('a strategy discussion cannot be recorded as held before the team began (R5 would start, already overdue)', async () => {
    const sw = await ctx.s.signIn('sw.north')
    await sw.get(`/teams/${tacId}/cp`)
    const before = await db().selectFrom('cp_enquiry').select('id').where('tac_id', '=', tacId).execute()
    // the team began on Monday 2 November 2026 at 10:00 (UTC, winter time): a year's typo is refused
    const typo = await sw.post(`/teams/${tacId}/cp/strategy-discussions`, strategyForm('2025-11-24', '14:00', { ruby: ['yes', 'Bruising.'], kai: ['no', 'No indication of harm.'] }, [membershipOf('sw.north'), membershipOf('nurse'), membershipOf('police.mash')], 'phone'))
    assert.equal(typo.statusCode, 400)
    assert.match(typo.body, /govuk-error-summary/)
    assert.match(typo.body, /cannot have been held before the team around the child began/)
    assert.equal((await db().selectFrom('cp_enquiry').select('id').where('tac_id', '=', tacId).execute()).length, before.length, 'nothing saved')
    assert.equal(await db().selectFrom('clock').select('id').where('rule', '=', 'R5').where('child_id', '=', ruby).where('started_at', '<', new Date('2026-11-02T10:00:00Z')).executeTakeFirst(), undefined, 'no clock started a year ago')
  })

  it('section 47 outcome: a conference is needed (reason required); no enquiry, no outcome', async () => {
    const sw = await ctx.s.signIn('sw.north')
    await sw.get(`/teams/${tacId}/cp`)
    const bad = await sw.post(`/teams/${tacId}/cp/enquiries/${enquiryId}/outcome`, { outcome: 'icpc', outcomeReason: '' })
    assert.equal(bad.statusCode, 400)
    assert.match(bad.body, new RegExp(`href="#outcomeReason-${enquiryId}"`))
    const badOutcome = await sw.post(`/teams/${tacId}/cp/enquiries/${enquiryId}/outcome`, { outcome: 'maybe', outcomeReason: 'x' })
    assert.equal(badOutcome.statusCode, 400)
    const kais = await db().selectFrom('cp_enquiry').select('id').where('child_id', '=', kai).executeTakeFirstOrThrow()
    const notStarted = await sw.post(`/teams/${tacId}/cp/enquiries/${kais.id}/outcome`, { outcome: 'icpc', outcomeReason: 'x' })
    assert.equal(notStarted.statusCode, 400)
    assert.match(notStarted.body, /decided not to start a section 47 enquiry/)
    assert.equal((await sw.post(`/teams/${tacId}/cp/enquiries/${randomUUID()}/outcome`, { outcome: 'icpc', outcomeReason: 'x' })).statusCode, 404)
    // an ICPC cannot be arranged before the outcome says one is needed
    const early = await sw.post(`/teams/${tacId}/cp/meetings`, { kind: 'icpc', scheduledDate: '2026-12-16', scheduledTime: '10:00', meetingMode: 'in_person', place: 'Civic Centre' })
    assert.equal(early.statusCode, 400)
    assert.match(early.body, /record that outcome first/)
    const ok = await sw.post(`/teams/${tacId}/cp/enquiries/${enquiryId}/outcome`, { outcome: 'icpc', outcomeReason: 'Medical opinion: non-accidental injury. Concerns substantiated.' })
    assert.equal(ok.statusCode, 303)
    const e = await db().selectFrom('cp_enquiry').selectAll().where('id', '=', enquiryId).executeTakeFirstOrThrow()
    assert.equal(e.outcome, 'icpc')
    assert.equal((await clockOf('cp_enquiry', enquiryId, 'R5')).state, 'running', 'R5 runs on to the conference')
    const entry = await db().selectFrom('entry').select(['child_id', 'significance']).where('type', '=', 's47_outcome').execute()
    assert.deepEqual(entry, [{ child_id: ruby, significance: 'high' }])
  })

  it('ICPC held late: refused without a reason; with one R5 is met late, a plan starts R6 and R7, and the team steps up', async () => {
    const sw = await ctx.s.signIn('sw.north')
    await sw.get(`/teams/${tacId}/cp`)
    const badSchedule = await sw.post(`/teams/${tacId}/cp/meetings`, { kind: 'icpc', scheduledDate: '2026-12-16', scheduledTime: '10:00', meetingMode: 'in_person', place: '' })
    assert.equal(badSchedule.statusCode, 400)
    assert.match(badSchedule.body, /Enter where the meeting will take place/)
    assert.equal((await sw.post(`/teams/${tacId}/cp/meetings`, { kind: 'icpc', scheduledDate: '2026-12-16', scheduledTime: '10:00', meetingMode: 'in_person', place: 'Civic Centre, room 2' })).statusCode, 303)
    const icpc = await meetingOf('icpc')
    const invited = await db().selectFrom('meeting_invitee').select('membership_id').where('meeting_id', '=', icpc).execute()
    assert.equal(invited.length, 3, 'the team’s members are invited')

    ctx.s.clock.set('2026-12-16T12:00:00Z')
    const sw2 = await ctx.s.signIn('sw.north')
    await sw2.get(`/teams/${tacId}/cp`)
    const form = { heldDate: '2026-12-16', heldTime: '10:00', childIds: [ruby], [`plan-${ruby}`]: 'yes', [`category-${ruby}`]: 'physical', reason: 'Ruby is at continuing risk of physical harm; a child protection plan is needed.', lateReason: '' }
    const noCategory = await sw2.post(`/teams/${tacId}/cp/meetings/${icpc}/icpc`, { ...form, [`category-${ruby}`]: '' })
    assert.equal(noCategory.statusCode, 400)
    assert.match(noCategory.body, new RegExp(`href="#category-${ruby}-${icpc}"`))
    const late = await sw2.post(`/teams/${tacId}/cp/meetings/${icpc}/icpc`, form)
    assert.equal(late.statusCode, 400)
    assert.match(late.body, /govuk-error-summary/)
    assert.match(late.body, /Initial child protection conference \(15 working days\): the timescale was missed — record the reason it is late/)
    // beside the conference form's late-reason field, and the summary links to it
    assert.match(late.body, new RegExp(`id="lateReason-${icpc}-error"[^>]*>[\\s\\S]*?Initial child protection conference \\(15 working days\\): the timescale was missed`))
    assert.match(late.body, new RegExp(`href="#lateReason-${icpc}"`))
    assert.equal((await clockOf('cp_enquiry', enquiryId, 'R5')).state, 'running', 'nothing saved')
    assert.equal((await db().selectFrom('cp_plan').select('id').where('tac_id', '=', tacId).execute()).length, 0)

    const ok = await sw2.post(`/teams/${tacId}/cp/meetings/${icpc}/icpc`, { ...form, lateReason: 'The paediatric report was not ready until 14 December.' })
    assert.equal(ok.statusCode, 303)
    const r5 = await clockOf('cp_enquiry', enquiryId, 'R5')
    assert.equal(r5.state, 'met_late')
    assert.equal(r5.met_at?.toISOString(), '2026-12-16T10:00:00.000Z')
    assert.equal(r5.reason, 'The paediatric report was not ready until 14 December.')
    const m = await db().selectFrom('meeting').selectAll().where('id', '=', icpc).executeTakeFirstOrThrow()
    assert.equal(m.status, 'held')
    assert.equal(m.late_reason, 'The paediatric report was not ready until 14 December.')
    const plan = await db().selectFrom('cp_plan').selectAll().where('tac_id', '=', tacId).executeTakeFirstOrThrow()
    planId = plan.id
    assert.equal(plan.child_id, ruby)
    assert.equal(plan.category, 'physical')
    assert.equal(plan.enquiry_id, enquiryId)
    assert.equal(plan.started_at.toISOString(), '2026-12-16T10:00:00.000Z')
    assert.equal((await db().selectFrom('child').select('child_protection_plan').where('id', '=', ruby).executeTakeFirstOrThrow()).child_protection_plan, true)
    assert.equal((await db().selectFrom('child').select('child_protection_plan').where('id', '=', kai).executeTakeFirstOrThrow()).child_protection_plan, false)
    // R6: Wednesday 16 December counts that day; 10 working days skip Christmas (25th) and the Boxing Day
    // substitute (28th) and New Year's Day: Monday 4 January 2027, 17:00
    const r6 = await clockOf('cp_plan.core_group', planId, 'R6')
    assert.equal(r6.due_at.toISOString(), '2027-01-04T17:00:00.000Z')
    // R7: 3 months after the conference, end of that day (London, winter time)
    const r7 = await clockOf('cp_plan.review', planId, 'R7')
    assert.equal(r7.due_at.toISOString(), '2027-03-16T23:59:59.999Z')
    // the first statutory visit: 10 working days after the conference (the partnership's default), as R6
    const visit = await clockOf('cp_plan.visit', planId, 'CPV')
    assert.equal(visit.due_at.toISOString(), '2027-01-04T17:00:00.000Z')
    const tac = await db().selectFrom('tac').select(['level']).where('id', '=', tacId).executeTakeFirstOrThrow()
    assert.equal(tac.level, 'child_protection')
    const step = await db().selectFrom('level_change').selectAll().where('tac_id', '=', tacId).where('kind', '=', 'step_up').executeTakeFirstOrThrow()
    assert.equal(step.from_level, 'child_in_need')
    assert.equal(step.to_level, 'child_protection')
    assert.equal(step.reason, form.reason)
    const entries = await db().selectFrom('entry').select(['type', 'significance']).where('child_id', '=', ruby).where('type', 'in', ['cp_conference', 'cp_plan']).orderBy('type').execute()
    assert.deepEqual(entries, [
      { type: 'cp_conference', significance: 'critical' },
      { type: 'cp_plan', significance: 'critical' },
    ])
    // held already: cannot be recorded twice
    const again = await sw2.post(`/teams/${tacId}/cp/meetings/${icpc}/icpc`, { ...form, lateReason: 'x' })
    assert.equal(again.statusCode, 400)
  })

  it('the manager’s dashboard lists the clocks by due time; a social worker cannot open it', async () => {
    const manager = await ctx.s.signIn('manager.north')
    const page = await manager.get('/clocks')
    assert.equal(page.statusCode, 200)
    const body = page.body
    const at = (s: string) => body.indexOf(s)
    assert.ok(at('15 December 2026 at 5:00pm') > 0 && at('4 January 2027 at 5:00pm') > at('15 December 2026 at 5:00pm') && at('16 March 2027 at 11:59pm') > at('4 January 2027 at 5:00pm'), 'R5, R6, R7 in due order')
    assert.match(body, /Met late/)
    assert.match(body, /The paediatric report was not ready/)
    assert.match(body, /Ruby Cpjourney/)
    const audit = await db().selectFrom('audit_event').select(['child_ids', 'details']).where('action', '=', 'clocks.list').orderBy('id', 'desc').executeTakeFirstOrThrow()
    assert.ok(audit.child_ids.includes(ruby))
    const filtered = await manager.get('/clocks?rule=R6')
    assert.equal(filtered.statusCode, 200)
    assert.match(filtered.body, /4 January 2027 at 5:00pm/)
    assert.doesNotMatch(filtered.body, /15 December 2026 at 5:00pm/)
    assert.equal((await manager.get('/clocks?rule=R99')).statusCode, 400)
    const sw = await ctx.s.signIn('sw.north')
    assert.equal((await sw.get('/clocks')).statusCode, 404)
    const south = await ctx.s.signIn('manager.south')
    const theirs = await south.get('/clocks')
    assert.equal(theirs.statusCode, 200)
    assert.doesNotMatch(theirs.body, /Cpjourney/, 'another team’s manager does not reach these children')
    // an information request about the child, overdue, is on the same dashboard (its own filter too)
    const now = ctx.s.clock.now()
    await db().insertInto('clock').values({ id: randomUUID(), partnership_id: (await db().selectFrom('child').select('partnership_id').where('id', '=', ruby).executeTakeFirstOrThrow()).partnership_id, rule: 'IR', child_id: ruby, subject_type: 'information_request', subject_id: randomUUID(), started_at: new Date(now.getTime() - 10 * 86_400_000), due_at: new Date(now.getTime() - 86_400_000), escalate_to_membership_id: null, created_at: now }).execute()
    const ir = await manager.get('/clocks?rule=IR')
    assert.equal(ir.statusCode, 200)
    assert.match(ir.body, /Ruby Cpjourney/)
    assert.match(ir.body, /Overdue/)
  })

  it('the first core group meets R6 and starts CG (every 6 weeks)', async () => {
    const sw = await ctx.s.signIn('sw.north')
    await sw.get(`/teams/${tacId}/cp`)
    assert.equal((await sw.post(`/teams/${tacId}/cp/meetings`, { kind: 'core_group', scheduledDate: '2027-01-04', scheduledTime: '10:00', meetingMode: 'online', place: '' })).statusCode, 303)
    const cg = await meetingOf('core_group')
    ctx.s.clock.set('2027-01-04T12:00:00Z')
    const sw2 = await ctx.s.signIn('sw.north')
    await sw2.get(`/teams/${tacId}/cp`)
    const bad = await sw2.post(`/teams/${tacId}/cp/meetings/${cg}/core-group`, { heldDate: '2027-01-04', heldTime: '10:00', summary: '' })
    assert.equal(bad.statusCode, 400)
    assert.match(bad.body, new RegExp(`href="#summary-${cg}"`))
    assert.equal((await sw2.post(`/teams/${tacId}/cp/meetings/${cg}/core-group`, { heldDate: '2027-01-04', heldTime: '10:00', summary: 'Plan actions agreed: nursery attendance daily; health visitor weekly.' })).statusCode, 303)
    const r6 = await clockOf('cp_plan.core_group', planId, 'R6')
    assert.equal(r6.state, 'met')
    assert.equal(r6.met_at?.toISOString(), '2027-01-04T10:00:00.000Z')
    const next = await clockOf('cp_plan.core_group', planId, 'CG')
    assert.equal(next.state, 'running')
    assert.equal(next.due_at.toISOString(), '2027-02-15T10:00:00.000Z')
    assert.equal((await clockOf('cp_plan.review', planId, 'R7')).state, 'running', 'a core group does not meet the review clock')
  })

  it('a core group recorded as held before the last one is refused: the six-week clock (CG) is not met before it started', async () => {
    ctx.s.clock.set('2027-01-05T12:00:00Z')
    const sw = await ctx.s.signIn('sw.north')
    await sw.get(`/teams/${tacId}/cp`)
    assert.equal((await sw.post(`/teams/${tacId}/cp/meetings`, { kind: 'core_group', scheduledDate: '2027-01-05', scheduledTime: '09:00', meetingMode: 'online', place: '' })).statusCode, 303)
    const cg = await meetingOf('core_group')
    const before = await clockOf('cp_plan.core_group', planId, 'CG')
    const early = await sw.post(`/teams/${tacId}/cp/meetings/${cg}/core-group`, { heldDate: '2027-01-03', heldTime: '10:00', summary: 'Recorded out of order' })
    assert.equal(early.statusCode, 400)
    assert.match(early.body, /govuk-error-summary[\s\S]*The meeting cannot have been held before the last core group meeting/)
    assert.deepEqual(await clockOf('cp_plan.core_group', planId, 'CG'), before, 'the clock is as it was')
    // (the meeting is called off, so the tests below see the plan as they did)
    await db().updateTable('meeting').set({ status: 'cancelled', cancelled_at: ctx.s.clock.now() }).where('id', '=', cg).execute()
  })

  it('an overdue clock: the manager records why it is late; it stays overdue', async () => {
    ctx.s.clock.set('2027-02-20T10:00:00Z')
    const manager = await ctx.s.signIn('manager.north')
    const page = await manager.get('/clocks?rule=CG')
    assert.equal(page.statusCode, 200)
    assert.match(page.body, /govuk-tag--red">Overdue/)
    const cg = await clockOf('cp_plan.core_group', planId, 'CG')
    const empty = await manager.post(`/clocks/${cg.id}/reason`, { reason: '', rule: 'CG' })
    assert.equal(empty.statusCode, 400)
    assert.match(empty.body, new RegExp(`href="#reason-${cg.id}"`))
    const r7 = await clockOf('cp_plan.review', planId, 'R7')
    const notLate = await manager.post(`/clocks/${r7.id}/reason`, { reason: 'x' })
    assert.equal(notLate.statusCode, 400)
    assert.match(notLate.body, /Only an overdue clock/)
    assert.equal((await manager.post(`/clocks/${randomUUID()}/reason`, { reason: 'x' })).statusCode, 404)
    const ok = await manager.post(`/clocks/${cg.id}/reason`, { reason: 'Core group moved: the health visitor was on leave; rearranged for 24 February.', rule: 'CG' })
    assert.equal(ok.statusCode, 303)
    assert.equal(ok.headers.location, '/clocks?rule=CG')
    const after = await clockOf('cp_plan.core_group', planId, 'CG')
    assert.equal(after.state, 'overdue')
    assert.equal(after.reason, 'Core group moved: the health visitor was on leave; rearranged for 24 February.')
    const audit = await db().selectFrom('audit_event').select(['child_ids', 'details', 'outcome']).where('action', '=', 'clock.reason').where('outcome', '=', 'success').executeTakeFirstOrThrow()
    assert.deepEqual(audit.child_ids, [ruby])
    assert.doesNotMatch(JSON.stringify(audit.details), /health visitor/, 'no narrative in the audit')
    assert.match((await manager.get('/clocks')).body, /rearranged for 24 February/)
    const sw = await ctx.s.signIn('sw.north')
    assert.equal((await sw.post(`/clocks/${cg.id}/reason`, { reason: 'x' })).statusCode, 404)
  })

  it('the review conference meets R7 and starts R7R (6 months, end of day in summer time)', async () => {
    const sw = await ctx.s.signIn('sw.north')
    await sw.get(`/teams/${tacId}/cp`)
    assert.equal((await sw.post(`/teams/${tacId}/cp/meetings`, { kind: 'review_conference', scheduledDate: '2027-03-10', scheduledTime: '10:00', meetingMode: 'in_person', place: 'Civic Centre' })).statusCode, 303)
    const rc = await meetingOf('review_conference')
    ctx.s.clock.set('2027-03-10T12:00:00Z')
    const sw2 = await ctx.s.signIn('sw.north')
    await sw2.get(`/teams/${tacId}/cp`)
    const noDecision = await sw2.post(`/teams/${tacId}/cp/meetings/${rc}/review-conference`, { heldDate: '2027-03-10', heldTime: '10:00', childIds: [ruby], reason: 'Progress but risk remains.' })
    assert.equal(noDecision.statusCode, 400)
    assert.match(noDecision.body, new RegExp(`href="#continue-${ruby}-${rc}"`))
    const stepDownTooSoon = await sw2.post(`/teams/${tacId}/cp/meetings/${rc}/review-conference`, { heldDate: '2027-03-10', heldTime: '10:00', childIds: [ruby], [`continue-${ruby}`]: 'yes', reason: 'Progress but risk remains.', stepDown: 'yes' })
    assert.equal(stepDownTooSoon.statusCode, 400)
    assert.match(stepDownTooSoon.body, /only when every child’s plan ends/)
    assert.equal((await sw2.post(`/teams/${tacId}/cp/meetings/${rc}/review-conference`, { heldDate: '2027-03-10', heldTime: '10:00', childIds: [ruby], [`continue-${ruby}`]: 'yes', reason: 'Progress but risk remains.' })).statusCode, 303)
    const r7 = await clockOf('cp_plan.review', planId, 'R7')
    assert.equal(r7.state, 'met')
    assert.equal(r7.met_at?.toISOString(), '2027-03-10T10:00:00.000Z')
    const r7r = await clockOf('cp_plan.review', planId, 'R7R')
    assert.equal(r7r.state, 'running')
    assert.equal(r7r.started_at.toISOString(), '2027-03-10T10:00:00.000Z')
    assert.equal(r7r.due_at.toISOString(), '2027-09-10T22:59:59.999Z')
    assert.equal((await clockOf('cp_plan.core_group', planId, 'CG')).state, 'overdue', 'the review conference does not meet the core group clock')
    const e = await db().selectFrom('entry').select(['summary', 'significance']).where('child_id', '=', ruby).where('type', '=', 'review_conference').executeTakeFirstOrThrow()
    assert.equal(e.significance, 'high')
    assert.match(e.summary, /the plan continues/)
  })

  it('a later review conference ends the plan, stops its clocks and steps the team down', async () => {
    const sw = await ctx.s.signIn('sw.north')
    await sw.get(`/teams/${tacId}/cp`)
    assert.equal((await sw.post(`/teams/${tacId}/cp/meetings`, { kind: 'review_conference', scheduledDate: '2027-04-01', scheduledTime: '10:00', meetingMode: 'online', place: '' })).statusCode, 303)
    const rc = await meetingOf('review_conference')
    ctx.s.clock.set('2027-04-01T12:00:00Z')
    // already marked held on the meeting page (attendance, minutes): its decisions and clocks are recorded here
    await db().updateTable('meeting').set({ status: 'held', held_at: new Date('2027-04-01T09:00:00Z') }).where('id', '=', rc).execute()
    const sw2 = await ctx.s.signIn('sw.north')
    await sw2.get(`/teams/${tacId}/cp`)
    const ok = await sw2.post(`/teams/${tacId}/cp/meetings/${rc}/review-conference`, { heldDate: '2027-04-01', heldTime: '10:00', childIds: [ruby], [`continue-${ruby}`]: 'no', reason: 'Risk reduced: the family engaged fully; continue support as a child in need.', stepDown: 'yes' })
    assert.equal(ok.statusCode, 303)
    const plan = await db().selectFrom('cp_plan').selectAll().where('id', '=', planId).executeTakeFirstOrThrow()
    assert.equal(plan.ended_at?.toISOString(), '2027-04-01T09:00:00.000Z', '10:00 London summer time')
    assert.match(plan.end_reason ?? '', /Risk reduced/)
    assert.equal((await db().selectFrom('child').select('child_protection_plan').where('id', '=', ruby).executeTakeFirstOrThrow()).child_protection_plan, false)
    const open = await db().selectFrom('clock').select(['rule', 'state']).where('subject_id', '=', planId).where('state', 'in', ['running', 'overdue']).execute()
    assert.deepEqual(open, [], 'the plan’s clocks stop')
    assert.equal((await clockOf('cp_plan.review', planId, 'R7R')).state, 'met')
    assert.equal((await clockOf('cp_plan.core_group', planId, 'CG')).state, 'stopped')
    assert.equal((await db().selectFrom('tac').select('level').where('id', '=', tacId).executeTakeFirstOrThrow()).level, 'child_in_need')
    const down = await db().selectFrom('level_change').selectAll().where('tac_id', '=', tacId).where('kind', '=', 'step_down').executeTakeFirstOrThrow()
    assert.equal(down.from_level, 'child_protection')
    const page = await sw2.get(`/teams/${tacId}/cp`)
    assert.match(page.body, /Ended/)
  })

  it('a later strategy discussion: an enquiry with no further action stops R5', async () => {
    ctx.s.clock.set('2027-04-03T11:00:00Z') // a Saturday
    const sw = await ctx.s.signIn('sw.north')
    await sw.get(`/teams/${tacId}/cp`)
    const ok = await sw.post(`/teams/${tacId}/cp/strategy-discussions`, strategyForm('2027-04-03', '10:00', { ruby: ['no', 'Ruby is safe with her grandmother.'], kai: ['yes', 'Kai disclosed being hit at the weekend.'] }))
    assert.equal(ok.statusCode, 303)
    const e = await db().selectFrom('cp_enquiry').select('id').where('child_id', '=', kai).where('start_s47', '=', true).executeTakeFirstOrThrow()
    // held on a Saturday: it counts as Monday 5 April 2027 (Easter Monday was 29 March); the 15th working day after
    // that is Monday 26 April, 17:00 London summer time
    const r5 = await clockOf('cp_enquiry', e.id, 'R5')
    assert.equal(r5.due_at.toISOString(), '2027-04-26T16:00:00.000Z')
    assert.equal((await sw.post(`/teams/${tacId}/cp/enquiries/${e.id}/outcome`, { outcome: 'no_further_action', outcomeReason: 'Injury explained; no concerns substantiated.' })).statusCode, 303)
    const after = await clockOf('cp_enquiry', e.id, 'R5')
    assert.equal(after.state, 'stopped')
    assert.match(after.reason ?? '', /No further action/)
  })

  it('a child already on a plan in another team (the exploitation panel’s) is not given a second plan by this team’s conference', async () => {
    // Kai's plan, made by the conference of the panel's team (a child may be in an open team and the panel's at once)
    const at = new Date('2027-04-05T09:00:00Z')
    const panelTac = await makeTac(db(), { childIds: [kai], level: 'child_protection', lead: 'sw.north', mace: true, at })
    const panelIcpc = randomUUID()
    await db().insertInto('meeting').values({ id: panelIcpc, partnership_id: PARTNERSHIP, tac_id: panelTac, kind: 'icpc', title: 'Initial child protection conference', scheduled_at: at, mode: 'in_person', chair_membership_id: membershipOf('sw.north'), status: 'held', held_at: at, created_by: membershipOf('sw.north'), created_at: at }).execute()
    const kaisPlan = randomUUID()
    await db().insertInto('cp_plan').values({ id: kaisPlan, partnership_id: PARTNERSHIP, tac_id: panelTac, child_id: kai, enquiry_id: null, icpc_meeting_id: panelIcpc, category: 'physical', started_at: at, created_at: at }).execute()
    await db().updateTable('child').set({ child_protection_plan: true }).where('id', '=', kai).execute()

    ctx.s.clock.set('2027-04-06T15:00:00Z')
    let sw = await ctx.s.signIn('sw.north')
    await sw.get(`/teams/${tacId}/cp`)
    const strategy = await sw.post(`/teams/${tacId}/cp/strategy-discussions`, strategyForm('2027-04-06', '10:00', { ruby: ['no', 'Ruby is safe with her grandmother.'], kai: ['yes', 'A new injury to Kai.'] }))
    assert.equal(strategy.statusCode, 303)
    const e = await db().selectFrom('cp_enquiry').select('id').where('tac_id', '=', tacId).where('child_id', '=', kai).where('start_s47', '=', true).where('outcome', 'is', null).executeTakeFirstOrThrow()
    assert.equal((await sw.post(`/teams/${tacId}/cp/enquiries/${e.id}/outcome`, { outcome: 'icpc', outcomeReason: 'Concerns substantiated.' })).statusCode, 303)
    assert.equal((await sw.post(`/teams/${tacId}/cp/meetings`, { kind: 'icpc', scheduledDate: '2027-04-07', scheduledTime: '10:00', meetingMode: 'online', place: '' })).statusCode, 303)
    const icpc = await meetingOf('icpc')
    ctx.s.clock.set('2027-04-07T12:00:00Z')
    sw = await ctx.s.signIn('sw.north')
    await sw.get(`/teams/${tacId}/cp`)
    const second = await sw.post(`/teams/${tacId}/cp/meetings/${icpc}/icpc`, { heldDate: '2027-04-07', heldTime: '10:00', childIds: [kai], [`plan-${kai}`]: 'yes', [`category-${kai}`]: 'physical', reason: 'Kai needs a plan.', lateReason: '' })
    assert.equal(second.statusCode, 400)
    assert.match(second.body, /govuk-error-summary/)
    assert.match(second.body, /Kai Cpjourney already has a child protection plan/)
    const plans = await db().selectFrom('cp_plan').select('id').where('child_id', '=', kai).where('ended_at', 'is', null).execute()
    assert.deepEqual(plans.map((p) => p.id), [kaisPlan], 'one plan for one child')
    assert.equal((await clockOf('cp_enquiry', e.id, 'R5')).state, 'running', 'nothing saved')
  })

  it('a member who leaves loses access at the next request', async () => {
    const nurse = await ctx.s.signIn('nurse')
    assert.equal((await nurse.get(`/teams/${tacId}/cp`)).statusCode, 200)
    const now = ctx.s.clock.now()
    await db().updateTable('tac_member').set({ status: 'left', left_at: now, left_reason: 'test' }).where('tac_id', '=', tacId).where('membership_id', '=', membershipOf('nurse')).execute()
    await db().updateTable('relationship').set({ ends_at: now }).where('source', '=', `tac:${tacId}`).where('holder_membership_id', '=', membershipOf('nurse')).execute()
    assert.equal((await nurse.get(`/teams/${tacId}/cp`)).statusCode, 404)
  })
})
