// Who is told: every routing (the front door's queue, IG's review queue, risk signals) reaches only current members —
// started, not ended, and not a disabled account (whose inbox nobody reads).
import assert from 'node:assert/strict'
import { it } from 'node:test'
import { describeApp } from '../../test/support/app.ts'
import { membershipOf, PARTNERSHIP as P } from '../../test/support/tac.ts'
import type { Role } from '../access/policy.ts'
import type { Actor } from './actor.ts'
import { identifierHash } from '../modules/breakglass/identifiers.ts'

const idempotencyKey = (html: string) => /name="idempotencyKey" value="([^"]+)"/.exec(html)![1]!

describeApp('routing reaches current members only: not a disabled account, not an ended membership', (ctx) => {
  const db = () => ctx.s.t.db
  const disable = async (key: string) => {
    const { practitioner_id } = await db().selectFrom('membership').select('practitioner_id').where('id', '=', membershipOf(key)).executeTakeFirstOrThrow()
    await db().updateTable('practitioner').set({ disabled_at: ctx.s.clock.now() }).where('id', '=', practitioner_id).execute()
  }
  const told = async (subjectId: string) => new Set((await db().selectFrom('notification').select('membership_id').where('subject_id', '=', subjectId).execute()).map((n) => n.membership_id))

  it('a new referral tells the front door’s current workers, not a disabled one nor one whose membership has ended', async () => {
    await disable('frontdoor2')
    // a front-door worker who has left: an ended membership
    const team = (await db().selectFrom('membership').select('team_id').where('id', '=', membershipOf('frontdoor')).executeTakeFirstOrThrow()).team_id!
    const leaver = await db().selectFrom('membership').select('id').where('team_id', '=', team).where('id', 'not in', [membershipOf('frontdoor'), membershipOf('frontdoor2')]).executeTakeFirst()
    if (leaver) await db().updateTable('membership').set({ ends_at: ctx.s.clock.now() }).where('id', '=', leaver.id).execute()
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
    if (leaver) assert.ok(!to.has(leaver.id), 'the leaver is not')
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
})
