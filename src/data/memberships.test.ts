// Who is told: every routing (the front door's queue, IG's review queue, risk signals) reaches only current members —
// started, not ended, and not a disabled account (whose inbox nobody reads).
import assert from 'node:assert/strict'
import { it } from 'node:test'
import { describeApp } from '../../test/support/app.ts'
import { disablePractitionerOf, makeTac, membershipOf, pupilOf, PARTNERSHIP as P } from '../../test/support/tac.ts'
import type { Role } from '../access/policy.ts'
import type { Actor } from './actor.ts'
import { RefusedError } from './unit-of-work.ts'
import { identifierHash } from '../modules/breakglass/identifiers.ts'
import { systemRepository } from './system.ts'

const idempotencyKey = (html: string) => /name="idempotencyKey" value="([^"]+)"/.exec(html)![1]!

describeApp('routing reaches current members only: not a disabled account, not an ended membership', (ctx) => {
  const db = () => ctx.s.t.db
  const disable = (key: string) => disablePractitionerOf(db(), membershipOf(key), ctx.s.clock.now())
  const told = async (subjectId: string) => new Set((await db().selectFrom('notification').select('membership_id').where('subject_id', '=', subjectId).execute()).map((n) => n.membership_id))

  it('a new referral tells the front door’s current workers, not a disabled one nor one whose membership has ended', async () => {
    await disable('frontdoor2')
    // a front-door worker who has left: an ended membership (the emergency duty worker's, from a spell on the front door)
    const fd = await db().selectFrom('membership').select(['agency_id', 'team_id']).where('id', '=', membershipOf('frontdoor')).executeTakeFirstOrThrow()
    const edt = await db().selectFrom('membership').select('practitioner_id').where('id', '=', membershipOf('edt')).executeTakeFirstOrThrow()
    const leaver = { id: crypto.randomUUID() }
    await db().insertInto('membership').values({ id: leaver.id, partnership_id: P, practitioner_id: edt.practitioner_id, agency_id: fd.agency_id, team_id: fd.team_id, role: 'front_door_social_worker', starts_at: new Date('2025-01-01'), ends_at: new Date('2026-11-01'), created_at: new Date('2025-01-01') }).execute()
    ctx.s.clock.advance(60_000)
    const childId = (await db().selectFrom('relationship').select('child_id').where('type', '=', 'pupil_at').where('holder_agency_id', '=', (await db().selectFrom('membership').select('agency_id').where('id', '=', membershipOf('dsl.brookside')).executeTakeFirstOrThrow()).agency_id).executeTakeFirstOrThrow()).child_id
    const dsl = await ctx.s.signIn('dsl.brookside')
    const rf = await dsl.get(`/referrals/new?child=${childId}`)
    const res = await dsl.post('/referrals', { idempotencyKey: idempotencyKey(rf.body), children: [childId], kind: 'referral', reason: 'Bruising to both upper arms; she said dad grabbed her hard.', levelBelieved: '4', levelReason: 'Physical injury with a disclosure', parentsKnow: 'yes', urgency: 'today' })
    assert.equal(res.statusCode, 303)
    const referral = await db().selectFrom('referral').select('id').where('referrer_membership_id', '=', membershipOf('dsl.brookside')).where('child_id', '=', childId).orderBy('created_at', 'desc').executeTakeFirstOrThrow()
    const to = await told(referral.id)
    assert.ok(to.has(membershipOf('frontdoor')), 'the current front-door worker is told')
    assert.ok(!to.has(membershipOf('frontdoor2')), 'the disabled account is not')
    assert.ok(!to.has(leaver.id), 'the leaver is not')
    assert.ok(to.has(membershipOf('manager.frontdoor')), 'the front door’s manager is told')
  })

  it('break-glass tells current IG officers; a disabled IG officer’s account is not told, and the request is still queued', async () => {
    const m = await db().selectFrom('membership').select(['id', 'practitioner_id', 'agency_id', 'team_id', 'role']).where('id', '=', membershipOf('sw.south')).executeTakeFirstOrThrow()
    const actor: Actor = { kind: 'practitioner', partnershipId: P, practitionerId: m.practitioner_id, membershipId: m.id, agencyId: m.agency_id, teamId: m.team_id, role: m.role as Role, requestId: 'test' }
    const child = await db().selectFrom('child').select('nhs_number').where('nhs_number', 'is not', null).executeTakeFirstOrThrow()
    const ids = { kind: 'nhs_number' as const, nhsNumber: child.nhs_number! }
    const breakGlass = () => ctx.s.data.forActor(actor).breakGlass.breakGlass({ identifiers: ids, identifierHash: identifierHash('k', P, ids), reason: 'Child presented at hospital with injuries, out of hours', totpStep: Math.floor(ctx.s.clock.now().getTime() / 30_000) })
    await breakGlass()
    const firstReview = await db().selectFrom('access_review').select('id').where('membership_id', '=', m.id).orderBy('requested_at', 'desc').executeTakeFirstOrThrow()
    assert.ok((await told(firstReview.id)).has(membershipOf('ig')), 'IG is told while the account is live')
    await disable('ig')
    ctx.s.clock.advance(60_000)
    await breakGlass()
    const reviews = await db().selectFrom('access_review').select('id').where('membership_id', '=', m.id).orderBy('requested_at', 'desc').execute()
    assert.equal(reviews.length, 2, 'queued for review all the same')
    assert.ok(!(await told(reviews[0]!.id)).has(membershipOf('ig')), 'the disabled IG officer is not told')
  })

  it('an overdue clock goes to the manager named when it started if still in post; if not, to the front door’s current managers', async () => {
    const referral = await db().selectFrom('referral').select('id').where('referrer_membership_id', '=', membershipOf('dsl.brookside')).orderBy('created_at', 'desc').executeTakeFirstOrThrow()
    // the R1 clock names a manager who has since been disabled
    await db().updateTable('clock').set({ escalate_to_membership_id: membershipOf('frontdoor2') }).where('subject_id', '=', referral.id).where('rule', '=', 'R1').execute()
    ctx.s.clock.advance(5 * 86_400_000)
    const system = systemRepository({ db: db(), clock: ctx.s.clock }, 'memberships-test')
    assert.ok((await system.escalateOverdueClocks()) >= 1)
    const overdue = await db().selectFrom('notification').select('membership_id').where('subject_id', '=', referral.id).where('kind', '=', 'clock.overdue').execute()
    assert.deepEqual(overdue.map((n) => n.membership_id), [membershipOf('manager.frontdoor')], 'the front door’s manager, not the disabled account')
  })

  it('a school whose only school-based social worker is disabled is told to contact the front door, and nothing is saved', async () => {
    await disable('ssw')
    const before = (await db().selectFrom('consultation').select('id').execute()).length
    const dsl = await ctx.s.signIn('dsl.brookside')
    await dsl.get('/consultations/new')
    const res = await dsl.post('/consultations', { childId: '', question: 'Mum has asked for help with routines. Early help, or keep supporting in school?' })
    assert.equal(res.statusCode, 400)
    assert.match(res.body, /contact the front door/)
    assert.equal((await db().selectFrom('consultation').select('id').execute()).length, before)
  })

  it('a missing child’s return home interview clock is escalated to an allocated worker in post, and only those in post are told', async () => {
    // a child allocated to sw.north and to sw.south, with sw.south disabled
    const allocated = await db().selectFrom('relationship').select(['child_id', 'holder_membership_id']).where('type', '=', 'allocated_worker').where('ends_at', 'is', null).execute()
    const childId = allocated.find((a) => a.holder_membership_id === membershipOf('sw.north'))!.child_id
    await db().insertInto('relationship').values({ id: crypto.randomUUID(), partnership_id: P, child_id: childId, type: 'allocated_worker', holder_agency_id: null, holder_team_id: null, holder_membership_id: membershipOf('sw.south'), starts_at: ctx.s.clock.now(), ends_at: null, source: 'test', reason: 'Co-allocated', created_by_membership_id: null, created_at: ctx.s.clock.now() }).execute()
    await disable('sw.south')
    ctx.s.clock.advance(60_000)
    await db().insertInto('relationship').values({ id: crypto.randomUUID(), partnership_id: P, child_id: childId, type: 'team_member', holder_agency_id: null, holder_team_id: null, holder_membership_id: membershipOf('police.missing'), starts_at: new Date('2026-01-01'), ends_at: null, source: 'test', reason: 'Missing children officer', created_by_membership_id: null, created_at: new Date('2026-01-01') }).execute()
    const police = await ctx.s.signIn('police.missing')
    assert.equal((await police.get(`/children/${childId}/missing`)).statusCode, 200)
    const reported = await police.post(`/children/${childId}/missing`, { missingDate: '2026-11-27', missingTime: '18:00', risk: 'medium', circumstances: 'Did not come home after school; phone off.' })
    assert.equal(reported.statusCode, 303, /govuk-error-summary__list[\s\S]*?<\/ul>/.exec(reported.body)?.[0])
    const episode = await db().selectFrom('missing_episode').select('id').where('child_id', '=', childId).orderBy('created_at', 'desc').executeTakeFirstOrThrow()
    const told = await db().selectFrom('notification').select('membership_id').where('subject_id', '=', episode.id).execute()
    assert.ok(told.some((t) => t.membership_id === membershipOf('sw.north')))
    assert.ok(!told.some((t) => t.membership_id === membershipOf('sw.south')), 'not the disabled co-allocated worker')
    const found = await police.post(`/children/${childId}/missing/${episode.id}/found`, { foundDate: '2026-11-28', foundTime: '02:00', whereFound: 'At a friend’s house in town' })
    assert.equal(found.statusCode, 303, found.body.slice(0, 300))
    const r13 = await db().selectFrom('clock').select('escalate_to_membership_id').where('subject_id', '=', episode.id).where('rule', '=', 'R13').executeTakeFirstOrThrow()
    assert.equal(r13.escalate_to_membership_id, membershipOf('sw.north'))
  })

  it('a team member whose account is disabled cannot be made lead, given an action or chosen in the meeting form; those in post can', async () => {
    const childId = await pupilOf(db(), 'brookside', 3)
    const tacId = await makeTac(db(), { childIds: [childId], lead: 'dsl.brookside', members: ['nurse', 'teacher.brookside'] })
    await disable('nurse')
    const m = await db().selectFrom('membership').select(['id', 'practitioner_id', 'agency_id', 'team_id', 'role']).where('id', '=', membershipOf('dsl.brookside')).executeTakeFirstOrThrow()
    const lead = ctx.s.data.forActor({ kind: 'practitioner', partnershipId: P, practitionerId: m.practitioner_id, membershipId: m.id, agencyId: m.agency_id, teamId: m.team_id, role: m.role as Role, requestId: 'test' })
    await assert.rejects(lead.tac.handOver(tacId, membershipOf('nurse'), 'Going on leave'), RefusedError)
    const outcome = await lead.plans.addOutcome(tacId, { childId, body: 'Attends school every day', measure: 'scale', measureName: null })
    const outcomeId = (outcome as { id: string }).id
    const action = { what: 'Check in each morning', ownerName: '', ownerAgency: '', dueOn: '2026-12-11', place: 'School', costPence: null }
    await assert.rejects(lead.plans.addAction(tacId, outcomeId, { ...action, ownerMembershipId: membershipOf('nurse') }), RefusedError)
    assert.ok(await lead.plans.addAction(tacId, outcomeId, { ...action, ownerMembershipId: membershipOf('teacher.brookside') }))
    const form = await (await ctx.s.signIn('dsl.brookside')).get(`/teams/${tacId}/meetings/new`)
    assert.equal(form.statusCode, 200)
    assert.match(form.body, new RegExp(membershipOf('teacher.brookside')))
    assert.doesNotMatch(form.body, new RegExp(membershipOf('nurse')), 'the disabled member is not offered')
    await lead.tac.handOver(tacId, membershipOf('teacher.brookside'), 'Sees her every day')
    assert.equal((await db().selectFrom('tac').select('lead_membership_id').where('id', '=', tacId).executeTakeFirstOrThrow()).lead_membership_id, membershipOf('teacher.brookside'))
  })
})
