// Scope leaks found in review, each now closed: a practitioner never learns of what their reach hides — not another's
// MACE referral or screening, not a referral after the front door's sight of the child has ended, not the id of a
// correction they may not see, not that another agency recorded something about the child in an entry hidden from them.
import assert from 'node:assert/strict'
import { it } from 'node:test'
import { randomUUID } from 'node:crypto'
import { describeApp } from '../support/app.ts'
import { membershipOf, PARTNERSHIP, pupilOf } from '../support/tac.ts'
import { stableUuid } from '../../src/data/ids.ts'
import { DEFAULT_RULES } from '../../src/modules/exploitation/scoring.ts'

const screening = (score: number) => ({ rulesVersion: '1', notes: 'x', ...Object.fromEntries(DEFAULT_RULES.indicators.map((i) => [`score_${i.code}`, String(score)])) })

describeApp('scope: what reach hides stays hidden', (ctx) => {
  const db = () => ctx.s.t.db

  it('exploitation: a pastoral worker (own items only) is not told of another’s MACE referral, and refers with their own screening only', async () => {
    const childA = await pupilOf(db(), 'brookside', 3)
    const childB = await pupilOf(db(), 'brookside', 4)
    const dsl = await ctx.s.signIn('dsl.brookside')
    const pastoral = await ctx.s.signIn('pastoral.brookside')
    // A: baseline, nothing recorded
    const before = await pastoral.get(`/children/${childA}/exploitation`)
    assert.equal(before.statusCode, 200)
    const beforeHasPrompt = /Screen the child before referring to the panel/.test(before.body)
    // the DSL screens and refers child A
    await dsl.get(`/children/${childA}/exploitation`)
    assert.equal((await dsl.post(`/children/${childA}/exploitation/screenings`, screening(3))).statusCode, 303)
    assert.equal((await dsl.post(`/children/${childA}/exploitation/referrals`, { referReason: 'Seen with older males at the station' })).statusCode, 303)
    const after = await pastoral.get(`/children/${childA}/exploitation`)
    assert.equal(after.statusCode, 200)
    assert.match(after.body, /Not referred to the panel/, 'the pastoral worker is shown no referral...')
    assert.equal(/Screen the child before referring to the panel/.test(after.body), beforeHasPrompt, 'the page is as it was before the DSL’s referral')
    // the pastoral worker screens themselves, then tries to refer: told a referral exists
    await pastoral.post(`/children/${childA}/exploitation/screenings`, screening(0))
    const refer = await pastoral.post(`/children/${childA}/exploitation/referrals`, { referReason: 'worried' })
    assert.equal(refer.statusCode, 303, 'their referral is taken: the panel hears both')
    assert.doesNotMatch(refer.body, /already referred/)
    const open = await db().selectFrom('mace_referral').select('referred_by').where('child_id', '=', childA).where('status', '=', 'referred').execute()
    assert.deepEqual(open.map((r) => r.referred_by).sort(), [membershipOf('dsl.brookside'), membershipOf('pastoral.brookside')].sort())
    // the panel is told the child has two open referrals, on its queue and on each referral, to hear them together
    const panel = await ctx.s.signIn('police.missing')
    assert.match((await panel.get('/mace')).body, /2 open referrals for this child/)
    const both = await db().selectFrom('mace_referral').select('id').where('child_id', '=', childA).where('status', '=', 'referred').orderBy('referred_at').execute()
    const first = await panel.get(`/mace/${both[0]!.id}`)
    assert.match(first.body, /This child has another open referral to the panel/)
    assert.match(first.body, new RegExp(`href="/mace/${both[1]!.id}"`))
    const ownAgain = await pastoral.post(`/children/${childA}/exploitation/referrals`, { referReason: 'still worried' })
    assert.equal(ownAgain.statusCode, 400, 'their own open referral does stop a second one')
    assert.match(ownAgain.body, /already referred/)
    // B: the DSL screens only (high); the pastoral worker, with no screening of their own, refers using it
    await dsl.post(`/children/${childB}/exploitation/screenings`, screening(3))
    const pb = await pastoral.get(`/children/${childB}/exploitation`)
    assert.equal(pb.statusCode, 200)
    const referB = await pastoral.post(`/children/${childB}/exploitation/referrals`, { referReason: 'worried' })
    assert.equal(referB.statusCode, 400, 'the DSL’s screening is not theirs to refer with')
    assert.match(referB.body, /Screen the child for risk of exploitation before referring/)
    const none = await db().selectFrom('mace_referral').select('id').where('child_id', '=', childB).execute()
    assert.equal(none.length, 0)
  })

  it('front door: a referral is not found (page and API) once the front door’s sight of the child has ended, and a challenge opens it again', async () => {
    const childId = await pupilOf(db(), 'brookside', 5)
    const dsl = await ctx.s.signIn('dsl.brookside')
    const rf = await dsl.get(`/referrals/new?child=${childId}`)
    const key = /name="idempotencyKey" value="([^"]+)"/.exec(rf.body)![1]!
    const made = await dsl.post('/referrals', { idempotencyKey: key, children: [childId], kind: 'referral', reason: 'Secret reason text XYZZY', levelBelieved: '2', levelReason: 'x', parentsKnow: 'yes', urgency: 'routine' })
    assert.equal(made.statusCode, 303)
    const referralId = (await db().selectFrom('referral').select('id').where('idempotency_key', '=', key).executeTakeFirstOrThrow()).id
    const fd = await ctx.s.signIn('frontdoor')
    assert.equal((await fd.post(`/front-door/referrals/${referralId}/decision`, { decision: 'advice', levelFound: '2', rationale: 'Advice given' })).statusCode, 303)
    ctx.s.clock.advance(40 * 86_400_000) // well past 10 working days
    const fd2 = await ctx.s.signIn('frontdoor')
    const child = await fd2.get(`/children/${childId}`)
    const page = await fd2.get(`/front-door/referrals/${referralId}`)
    const api = await fd2.get(`/api/v1/front-door/referrals/${referralId}`)
    assert.equal(child.statusCode, 404)
    assert.equal(page.statusCode, 404)
    assert.doesNotMatch(page.body, /XYZZY/)
    assert.equal(api.statusCode, 404)
    assert.doesNotMatch(api.body, /XYZZY/)
    // the referrer challenges the decision: the front door's managers can read the referral again to answer it
    const dsl2 = await ctx.s.signIn('dsl.brookside')
    assert.equal((await dsl2.post(`/referrals/${referralId}/challenge`, { reason: 'The risk is higher than advice' })).statusCode, 303)
    const manager = await ctx.s.signIn('manager.frontdoor')
    assert.equal((await manager.get(`/front-door/referrals/${referralId}`)).statusCode, 200)
  })

  it('entries: a visible entry does not name a correction the viewer may not see (sealed), nor a correction an original they may not see', async () => {
    const childId = await pupilOf(db(), 'brookside', 6)
    const now = ctx.s.clock.now()
    await db().insertInto('relationship').values({ id: randomUUID(), partnership_id: PARTNERSHIP, child_id: childId, type: 'allocated_worker', holder_agency_id: null, holder_team_id: null, holder_membership_id: membershipOf('sw.north'), starts_at: new Date(now.getTime() - 86_400_000), ends_at: null, source: 'review', reason: 'review', created_by_membership_id: null, created_at: now }).execute()
    const e1 = randomUUID()
    const e2 = randomUUID()
    const base = { partnership_id: PARTNERSHIP, child_id: childId, agency_record_id: null, type: 'dsl_action', category: null, occurred_at: new Date(now.getTime() - 3_600_000), recorded_at: now, author_membership_id: membershipOf('dsl.brookside'), author_team_id: stableUuid('northshire:team:brookside:safeguarding'), source_agency_id: stableUuid('northshire:agency:brookside'), significance: 'medium' as const, detail_type: null, detail_id: null, addressed_to_membership_id: null }
    await db().insertInto('entry').values({ ...base, id: e1, summary: 'Original', visibility: 'team', supersedes_entry_id: null }).execute()
    await db().insertInto('entry').values({ ...base, id: e2, summary: 'Sealed correction', visibility: 'sealed', supersedes_entry_id: e1 }).execute()
    const sw = await ctx.s.signIn('sw.north')
    const api = await sw.get(`/api/v1/children/${childId}/entries`)
    assert.equal(api.statusCode, 200)
    const rows = JSON.parse(api.body).data as { id: string; supersededBy: string | null }[]
    assert.ok(!rows.map((r) => r.id).includes(e2))
    assert.equal(rows.find((r) => r.id === e1)?.supersededBy, null)
    const page = await sw.get(`/children/${childId}`)
    assert.doesNotMatch(page.body, /Corrected by a later entry/)
    assert.equal((await sw.get(`/entries/${e2}`)).statusCode, 404)
    // and the other way: a visible correction of a sealed original does not say it corrects something
    const e3 = randomUUID()
    const e4 = randomUUID()
    await db().insertInto('entry').values({ ...base, id: e3, summary: 'Sealed original', visibility: 'sealed', supersedes_entry_id: null }).execute()
    await db().insertInto('entry').values({ ...base, id: e4, summary: 'Team correction', visibility: 'team', supersedes_entry_id: e3 }).execute()
    const again = JSON.parse((await sw.get(`/api/v1/children/${childId}/entries`)).body).data as { id: string; supersedesEntryId: string | null }[]
    assert.equal(again.find((r) => r.id === e4)?.supersedesEntryId, null)
    const chronology = await sw.get(`/children/${childId}/chronology`)
    assert.match(chronology.body, /Team correction/)
    assert.doesNotMatch(chronology.body, /A correction of an earlier entry/)
    assert.doesNotMatch((await sw.get(`/entries/${e4}`)).body, /This entry corrects an earlier one/)
    const csv = (await sw.get(`/children/${childId}/chronology.csv`)).body
    assert.ok(!csv.includes(e3), 'the CSV does not name the sealed original')
  })

  it('access log: a manager is not shown that another agency recorded a decision not to share that is hidden from them', async () => {
    const childId = await pupilOf(db(), 'brookside', 8)
    const now = ctx.s.clock.now()
    await db().insertInto('relationship').values({ id: randomUUID(), partnership_id: PARTNERSHIP, child_id: childId, type: 'allocated_worker', holder_agency_id: null, holder_team_id: null, holder_membership_id: membershipOf('manager.north'), starts_at: new Date(now.getTime() - 86_400_000), ends_at: null, source: 'review', reason: 'review', created_by_membership_id: null, created_at: now }).execute()
    const { data } = ctx.s
    const actor = { kind: 'practitioner' as const, partnershipId: PARTNERSHIP, practitionerId: (await db().selectFrom('membership').select('practitioner_id').where('id', '=', membershipOf('dsl.brookside')).executeTakeFirstOrThrow()).practitioner_id, membershipId: membershipOf('dsl.brookside'), agencyId: stableUuid('northshire:agency:brookside'), teamId: stableUuid('northshire:team:brookside:safeguarding'), role: 'dsl' as const, requestId: 'review' }
    const { GOLDEN_RULES } = await import('../../src/modules/sharing/codes.ts')
    const done = await data.forActor(actor).sharing.record(childId, {
      shared: false,
      what: 'Disclosure details WITHHELD',
      withAgencyIds: [stableUuid('northshire:agency:csc')],
      purpose: 'safeguarding',
      lawfulBasis: '6.1.e',
      specialCategory: false,
      consent: 'not_sought',
      consentReason: 'x',
      goldenRules: Object.fromEntries(GOLDEN_RULES.map((r) => [r.code, true])),
      reasons: 'Not proportionate',
    } as never)
    assert.ok(done)
    const mgr = await ctx.s.signIn('manager.north')
    const chron = await mgr.get(`/children/${childId}/chronology`)
    const alog = await mgr.get(`/children/${childId}/access-log`)
    assert.equal(chron.statusCode, 200)
    assert.doesNotMatch(chron.body, /Sharing decision/)
    assert.equal(alog.statusCode, 200)
    assert.doesNotMatch(alog.body, /sharing\.decision/)
    const kept = (await db().selectFrom('audit_event').select('child_ids').where('action', '=', 'sharing.decision.record').execute()).filter((r) => r.child_ids.includes(childId))
    assert.equal(kept.length, 1, 'the row itself is kept')
  })
})
