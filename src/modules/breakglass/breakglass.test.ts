import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { it } from 'node:test'
import { describeApp } from '../../../test/support/app.ts'
import { membershipOf, PARTNERSHIP as P } from '../../../test/support/tac.ts'
import type { Agent } from '../../../test/support/agent.ts'
import { BREAK_GLASS_MINUTES, ROLES, SELF_CLAIM_DAYS, hasPermission, type Role } from '../../access/policy.ts'
import type { Actor } from '../../data/actor.ts'
import { nhsCheckDigit, stableUuid } from '../../data/ids.ts'
import { demoPractitioners } from '../../data/seed.ts'
import { RefusedError } from '../../data/unit-of-work.ts'
import { totpAt } from '../../platform/auth/totp.ts'
import { identifierHash } from './identifiers.ts'

/** A valid NHS number (modulus 11) no seeded child has, from a nine-digit stem. */
function nhsFrom(stem: number): string {
  for (let n = stem; ; n++) {
    const nine = String(n).padStart(9, '0')
    const check = nhsCheckDigit(nine)
    if (check !== null) return `${nine}${check}`
  }
}

const CASE_CONTENT = 'Canary case narrative: stays out of every IG page'

describeApp('break-glass, self-claimed relationships and the IG review queue', (ctx) => {
  const db = () => ctx.s.t.db
  const people = demoPractitioners()
  const child = { id: randomUUID(), given: 'Tamsin', family: 'Okonkwo-Hale', dob: '2016-04-11', nhs: '' }
  const other = { id: randomUUID(), given: 'Idris', family: 'Penhallow', dob: '2014-09-02', nhs: '' }
  let sw: Agent
  let ig: Agent
  let breakGlassReview = ''
  let notFoundReview = ''
  let claimReview = ''

  /** A new authenticator code for a demo practitioner (the clock moves on a step, so no code is reused by accident). */
  async function freshCode(key: string): Promise<string> {
    ctx.s.clock.advance(31_000)
    return totpAt(people.find((p) => p.key === key)!.totpSecret, ctx.s.clock.now())
  }
  async function actorOf(key: string): Promise<Actor> {
    const m = await db().selectFrom('membership').select(['id', 'practitioner_id', 'agency_id', 'team_id', 'role']).where('id', '=', membershipOf(key)).executeTakeFirstOrThrow()
    return { kind: 'practitioner', partnershipId: P, practitionerId: m.practitioner_id, membershipId: m.id, agencyId: m.agency_id, teamId: m.team_id, role: m.role as Role, requestId: 'test' }
  }
  const auditsOf = (action: string, key: string) =>
    db().selectFrom('audit_event').selectAll().where('action', '=', action).where('actor_membership_id', '=', membershipOf(key)).orderBy('id', 'desc').execute()
  const reviewsOf = (key: string) => db().selectFrom('access_review').selectAll().where('membership_id', '=', membershipOf(key)).orderBy('requested_at').execute()
  const relationshipsOf = (key: string, childId: string) => db().selectFrom('relationship').selectAll().where('holder_membership_id', '=', membershipOf(key)).where('child_id', '=', childId).execute()
  const igNotices = (reviewId: string) => db().selectFrom('notification').selectAll().where('subject_type', '=', 'access_review').where('subject_id', '=', reviewId).where('membership_id', '=', membershipOf('ig')).execute()
  /** The page with what differs between two renders of the same page taken out (CSRF, nonces, ids). */
  const strip = (s: string) => s.replace(/nonce-[^'"]+|nonce="[^"]+"|name="_csrf" value="[^"]*"|data-csrf="[^"]*"|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, '')

  it('setup: two children known to nobody, one with a team entry of case content', async () => {
    const taken = new Set((await db().selectFrom('child').select('nhs_number').where('nhs_number', 'is not', null).execute()).map((r) => r.nhs_number))
    let stem = 987_654_300
    for (const c of [child, other]) {
      do c.nhs = nhsFrom(stem++)
      while (taken.has(c.nhs))
      await db()
        .insertInto('child')
        .values({ id: c.id, partnership_id: P, given_name: c.given, family_name: c.family, date_of_birth: c.dob, expected_date_of_birth: null, sex: 'female', nhs_number: c.nhs, upn: null, ethnicity: null, first_language: null, disability: null, created_at: ctx.s.clock.now() })
        .execute()
    }
    await db()
      .insertInto('entry')
      .values({ id: randomUUID(), partnership_id: P, child_id: child.id, type: 'note', category: null, occurred_at: ctx.s.clock.now(), recorded_at: ctx.s.clock.now(), author_membership_id: membershipOf('police.mash'), author_team_id: null, source_agency_id: stableUuid('northshire:agency:police'), significance: 'high', summary: CASE_CONTENT, detail_type: null, detail_id: null, visibility: 'team', addressed_to_membership_id: null, supersedes_entry_id: null })
      .execute()
    sw = await ctx.s.signIn('sw.south')
    assert.equal((await sw.get(`/children/${child.id}`)).statusCode, 404, 'no relationship: not found')
  })

  it('the emergency access page: a labelled form with the identifiers, the reason and the code; not for IG, administrators or classroom staff', async () => {
    const page = await sw.get('/access/emergency')
    assert.equal(page.statusCode, 200)
    assert.match(page.body, /<h1 class="govuk-heading-l">Emergency access to a child’s record<\/h1>/)
    for (const id of ['nhsNumber', 'givenName', 'familyName', 'dateOfBirth', 'reason', 'code']) {
      assert.match(page.body, new RegExp(`<label class="govuk-label[^"]*" for="${id}">`), `${id} has a label`)
      assert.match(page.body, new RegExp(`id="${id}"`))
    }
    assert.match(page.body, /<legend class="govuk-fieldset__legend govuk-fieldset__legend--s">\s*Or the full name and date of birth/)
    assert.match(page.body, /autocomplete="one-time-code"/)
    assert.match(page.body, /name="_csrf"/)
    for (const key of ['ig', 'admin.csc', 'partnership.admin', 'teacher.brookside']) {
      const a = await ctx.s.signIn(key)
      assert.equal((await a.get('/access/emergency')).statusCode, 403, `${key} cannot break the glass`)
    }
    const teacher = await ctx.s.signIn('teacher.brookside')
    assert.equal((await teacher.get('/access/claim')).statusCode, 200, 'a teacher can claim a relationship')
    assert.equal((await sw.get('/access/reviews')).statusCode, 403, 'only IG reviews')
  })

  it('no reason: refused with the error summary, audited as refused, nothing granted, nobody alerted', async () => {
    await sw.get('/access/emergency')
    const before = (await auditsOf('access.break-glass', 'sw.south')).length
    const res = await sw.post('/access/emergency', { nhsNumber: child.nhs, reason: '', code: await freshCode('sw.south') })
    assert.equal(res.statusCode, 400)
    assert.match(res.body, /govuk-error-summary/)
    assert.match(res.body, /href="#reason">Give the reason you need access/)
    assert.match(res.body, new RegExp(`value="${child.nhs}"`), 'what was typed is kept (but not the code)')
    const short = await sw.post('/access/emergency', { nhsNumber: child.nhs, reason: 'urgent', code: await freshCode('sw.south') })
    assert.equal(short.statusCode, 400)
    assert.match(short.body, /at least 20 characters/)
    const audits = await auditsOf('access.break-glass', 'sw.south')
    assert.equal(audits.length, before + 2)
    assert.equal(audits[0]!.outcome, 'refused')
    assert.deepEqual((audits[0]!.details as { fields: string[] }).fields, ['reason'])
    assert.doesNotMatch(JSON.stringify(audits.map((a) => a.details)), new RegExp(child.nhs), 'the identifiers are not in the audit')
    assert.equal((await reviewsOf('sw.south')).length, 0, 'nothing queued')
    assert.equal((await relationshipsOf('sw.south', child.id)).length, 0, 'nothing granted')
    assert.equal((await sw.get(`/children/${child.id}`)).statusCode, 404)
  })

  it('no reason: refused by the data layer too (audited), with a valid code', async () => {
    const actor = await actorOf('sw.south')
    const repo = ctx.s.data.forActor(actor).breakGlass
    const ids = { kind: 'nhs_number' as const, nhsNumber: child.nhs }
    await assert.rejects(repo.breakGlass({ identifiers: ids, identifierHash: identifierHash('k', P, ids), reason: '   ', totpStep: Math.floor(ctx.s.clock.now().getTime() / 30_000) + 1000 }), RefusedError)
    const [audit] = await auditsOf('access.break-glass', 'sw.south')
    assert.equal(audit!.outcome, 'refused')
    assert.match(String((audit!.details as { error: string }).error), /reason/)
    assert.equal((await reviewsOf('sw.south')).length, 0)
    assert.equal((await relationshipsOf('sw.south', child.id)).length, 0)
    const practitioner = await db().selectFrom('practitioner').select('totp_last_step').where('id', '=', actor.practitionerId).executeTakeFirstOrThrow()
    assert.ok(Number(practitioner.totp_last_step) < Math.floor(ctx.s.clock.now().getTime() / 30_000) + 1000, 'the refused request spent no code')
  })

  it('a wrong or replayed code is refused, audited, and opens nothing', async () => {
    await sw.get('/access/emergency')
    const wrong = await sw.post('/access/emergency', { nhsNumber: child.nhs, reason: 'Child presented at hospital with injuries, out of hours', code: '000000' })
    assert.equal(wrong.statusCode, 400)
    assert.match(wrong.body, /href="#code">The code is not right or has already been used/)
    // the code that has just signed sw.south in cannot be used again here
    sw = await ctx.s.signIn('sw.south')
    await sw.get('/access/emergency')
    const spent = await totpAt(people.find((p) => p.key === 'sw.south')!.totpSecret, ctx.s.clock.now())
    const replay = await sw.post('/access/emergency', { nhsNumber: other.nhs, reason: 'Child presented at hospital with injuries, out of hours', code: spent })
    assert.equal(replay.statusCode, 400)
    assert.match(replay.body, /already been used/)
    const refusals = (await auditsOf('access.break-glass', 'sw.south')).slice(0, 2)
    assert.ok(refusals.every((a) => a.outcome === 'refused'))
    assert.equal((await reviewsOf('sw.south')).length, 0)
    assert.equal((await sw.get(`/children/${other.id}`)).statusCode, 404)
  })

  it('break-glass by NHS number: 60 minutes of access, the child’s page with the banner, IG alerted at once, queued, audited', async () => {
    await sw.get('/access/emergency')
    const code = await freshCode('sw.south')
    const at = ctx.s.clock.now()
    const res = await sw.post('/access/emergency', { nhsNumber: child.nhs.replace(/^(\d{3})(\d{3})/, '$1 $2 '), reason: 'Child presented at hospital with injuries, out of hours', code })
    assert.equal(res.statusCode, 303, res.body.slice(0, 800))
    assert.equal(res.headers.location, `/children/${child.id}`)
    const [rel] = await relationshipsOf('sw.south', child.id)
    assert.equal(rel!.type, 'break_glass')
    assert.equal(rel!.ends_at!.getTime() - at.getTime(), BREAK_GLASS_MINUTES * 60_000)
    const [review] = await reviewsOf('sw.south')
    breakGlassReview = review!.id
    assert.equal(review!.kind, 'break_glass')
    assert.equal(review!.child_id, child.id)
    assert.equal(review!.relationship_id, rel!.id)
    assert.equal(review!.identifier_kind, 'nhs_number')
    assert.doesNotMatch(JSON.stringify(review), new RegExp(child.nhs), 'the NHS number itself is not kept')
    const [audit] = await auditsOf('access.break-glass', 'sw.south')
    assert.equal(audit!.outcome, 'success')
    assert.deepEqual(audit!.child_ids, [child.id])
    assert.equal(audit!.relationship_id, rel!.id)
    const notices = await igNotices(review!.id)
    assert.equal(notices.length, 1, 'every IG officer is told')
    assert.equal(notices[0]!.kind, 'access.break-glass')
    assert.equal(notices[0]!.child_id, null)
    const mail = await db().selectFrom('outbox').selectAll().where('created_at', '=', at).execute()
    assert.ok(mail.length >= 1)
    assert.doesNotMatch(JSON.stringify(mail), /Tamsin|Okonkwo/, 'no personal data in the email')
    // the same code cannot be used twice
    const replay = await sw.post('/access/emergency', { nhsNumber: other.nhs, reason: 'Child presented at hospital with injuries, out of hours', code })
    assert.equal(replay.statusCode, 400)
    assert.match(replay.body, /already been used/)
    assert.equal((await reviewsOf('sw.south')).length, 1)

    const page = await sw.get(`/children/${child.id}`)
    assert.equal(page.statusCode, 200)
    assert.match(page.body, /govuk-notification-banner/)
    assert.match(page.body, /emergency access \(break-glass\), until 23 November 2026 at \d{1,2}:\d{2}(am|pm)/)
    assert.match(page.body, new RegExp(CASE_CONTENT), 'break-glass gives team reach')
    const chronology = await sw.get(`/children/${child.id}/chronology`)
    assert.equal(chronology.statusCode, 200)
    assert.match(chronology.body, /You are seeing this record through emergency access/, 'the banner is on every page of the child')
  })

  it('after 60 minutes the record is not found on the next request', async () => {
    ctx.s.clock.advance(25 * 60_000)
    assert.equal((await sw.get(`/children/${child.id}`)).statusCode, 200)
    ctx.s.clock.advance(25 * 60_000)
    const late = await sw.get(`/children/${child.id}`)
    assert.equal(late.statusCode, 200)
    assert.match(late.body, /emergency access \(break-glass\), until/, 'the banner, read with the session, while the access runs')
    assert.doesNotMatch((await sw.get('/')).body, /emergency access \(break-glass\)/, 'only on the child’s own pages')
    ctx.s.clock.advance(11 * 60_000)
    const after = await sw.get(`/children/${child.id}`)
    assert.equal(after.statusCode, 404)
    assert.doesNotMatch(after.body, /emergency access/i)
  })

  it('no exact match: the same neutral page for a near miss and for nothing at all; audited, IG alerted, queued', async () => {
    await sw.get('/access/emergency')
    const reason = 'Police asked for urgent checks on a child found wandering'
    const near = await sw.post('/access/emergency', { givenName: child.given, familyName: 'Okonkwo Hale', dateOfBirth: child.dob, reason, code: await freshCode('sw.south') })
    assert.equal(near.statusCode, 200)
    assert.match(near.body, /No record matches exactly/)
    const nothing = await sw.post('/access/emergency', { givenName: 'Nobody', familyName: 'Atall', dateOfBirth: '2013-01-01', reason, code: await freshCode('sw.south') })
    assert.equal(nothing.statusCode, 200)
    assert.equal(strip(nothing.body), strip(near.body), 'a near miss looks exactly like nothing')
    assert.doesNotMatch(near.body, /Tamsin|Okonkwo-Hale/)
    const reviews = await reviewsOf('sw.south')
    const misses = reviews.filter((r) => r.child_id === null)
    assert.equal(misses.length, 2)
    notFoundReview = misses[0]!.id
    assert.equal(misses[0]!.relationship_id, null)
    assert.equal(misses[0]!.expires_at, null)
    assert.equal(misses[0]!.identifier_kind, 'name_and_dob')
    const [audit] = await auditsOf('access.break-glass', 'sw.south')
    assert.equal(audit!.outcome, 'not_found')
    assert.deepEqual(audit!.child_ids, [])
    assert.doesNotMatch(JSON.stringify(audit!.details), /Nobody|Atall|2013-01-01/)
    for (const m of misses) assert.equal((await igNotices(m.id)).length, 1, 'IG told whether or not a record matched')
    // an exact match on name and date of birth works (case and spaces do not matter, the spelling does) — and a child
    // a reviewer's merge left empty, with the same name and date of birth, is not a second match
    await db().insertInto('child').values({ id: randomUUID(), partnership_id: P, given_name: child.given, family_name: child.family, date_of_birth: child.dob, expected_date_of_birth: null, sex: 'female', nhs_number: null, upn: null, ethnicity: null, first_language: null, disability: null, merged_into_child_id: child.id, created_at: ctx.s.clock.now() }).execute()
    const exact = await sw.post('/access/emergency', { givenName: '  tamsin ', familyName: 'OKONKWO-HALE', dateOfBirth: child.dob, reason, code: await freshCode('sw.south') })
    assert.equal(exact.statusCode, 303)
    assert.equal(exact.headers.location, `/children/${child.id}`)
  })

  it('bad identifiers are refused before anything is looked up', async () => {
    await sw.get('/access/emergency')
    const before = (await reviewsOf('sw.south')).length
    const res = await sw.post('/access/emergency', { nhsNumber: '1234567890', reason: 'Police asked for urgent checks on a child found wandering', code: await freshCode('sw.south') })
    assert.equal(res.statusCode, 400)
    assert.match(res.body, /Enter a valid 10-digit NHS number/)
    const none = await sw.post('/access/emergency', { reason: 'Police asked for urgent checks on a child found wandering' })
    assert.equal(none.statusCode, 400)
    assert.match(none.body, /Enter the child’s NHS number, or their full name and date of birth/)
    assert.match(none.body, /Enter the 6-digit code/)
    const name = await sw.post('/access/emergency', { givenName: 'Tamsin', dateOfBirth: '2016-02-30', reason: 'Police asked for urgent checks on a child found wandering', code: '123456' })
    assert.equal(name.statusCode, 400)
    assert.match(name.body, /Enter the child’s family name/)
    assert.match(name.body, /real date/)
    const both = await sw.post('/access/emergency', { nhsNumber: child.nhs, givenName: 'Tamsin', familyName: 'Okonkwo-Hale', dateOfBirth: child.dob, reason: 'Police asked for urgent checks on a child found wandering', code: '123456' })
    assert.equal(both.statusCode, 400)
    assert.match(both.body, /not both/)
    assert.equal((await reviewsOf('sw.south')).length, before)
  })

  it('self-claim: a reason is required; a claimed relationship for 30 days; the manager and IG alerted; the manager sees no child', async () => {
    await sw.get('/access/claim')
    const refused = await sw.post('/access/claim', { nhsNumber: other.nhs, reason: '', code: await freshCode('sw.south') })
    assert.equal(refused.statusCode, 400)
    assert.match(refused.body, /Give the reason you need access/)
    assert.equal((await auditsOf('access.self-claim', 'sw.south'))[0]!.outcome, 'refused')
    const at = new Date(ctx.s.clock.now().getTime() + 31_000)
    const res = await sw.post('/access/claim', { nhsNumber: other.nhs, reason: 'New allocation from the south team duty rota today', code: await freshCode('sw.south') })
    assert.equal(res.statusCode, 303, res.body.slice(0, 600))
    assert.equal(res.headers.location, `/children/${other.id}`)
    const [rel] = await relationshipsOf('sw.south', other.id)
    assert.equal(rel!.type, 'self_claimed')
    assert.equal(rel!.ends_at!.getTime() - at.getTime(), SELF_CLAIM_DAYS * 86_400_000)
    const review = (await reviewsOf('sw.south')).find((r) => r.kind === 'self_claimed')!
    claimReview = review.id
    assert.equal((await igNotices(review.id)).length, 1)
    const managerNotice = await db().selectFrom('notification').selectAll().where('subject_id', '=', review.id).where('membership_id', '=', membershipOf('manager.south')).execute()
    assert.equal(managerNotice.length, 1)
    assert.equal(managerNotice[0]!.kind, 'access.self-claim.manager')
    assert.equal(managerNotice[0]!.child_id, null)
    assert.equal((await sw.get(`/children/${other.id}`)).statusCode, 200)

    const manager = await ctx.s.signIn('manager.south')
    const alert = await manager.get(managerNotice[0]!.link)
    assert.equal(alert.statusCode, 200)
    assert.match(alert.body, /Ryan Hughes/)
    assert.doesNotMatch(alert.body, /Idris|Penhallow|duty rota/, 'neither the child nor the reason')
    assert.ok((await auditsOf('access.alert.view', 'manager.south')).length >= 1)
    const otherManager = await ctx.s.signIn('manager.north')
    assert.equal((await otherManager.get(managerNotice[0]!.link)).statusCode, 404, 'a manager who was not told: not found')
  })

  it('the front door claims a child found in the identity index; nobody else can claim by id', async () => {
    const fd = await ctx.s.signIn('frontdoor')
    const search = await fd.get(`/search?name=${encodeURIComponent(`${other.given} ${other.family}`)}&dob=${other.dob}`)
    assert.match(search.body, new RegExp(`href="/access/claim\\?child=${other.id}"`), 'the identity-only result offers a claim')
    const form = await fd.get(`/access/claim?child=${other.id}`)
    assert.equal(form.statusCode, 200)
    assert.match(form.body, /Idris Penhallow/)
    assert.equal((await sw.get(`/access/claim?child=${other.id}`)).statusCode, 404, 'not a way to learn names for other roles')
    assert.equal((await fd.get(`/access/claim?child=${randomUUID()}`)).statusCode, 404)
    const res = await fd.post('/access/claim', { child: other.id, reason: 'Contact received about this child this morning', code: await freshCode('frontdoor') })
    assert.equal(res.statusCode, 303)
    const [rel] = await relationshipsOf('frontdoor', other.id)
    assert.equal(rel!.type, 'self_claimed')
    assert.equal((await reviewsOf('frontdoor'))[0]!.identifier_kind, 'identity_index')
  })

  it('IG: the queue oldest first with who, when, reason and found or not; a request with what was looked at; no case content anywhere', async () => {
    ig = await ctx.s.signIn('ig') // the earlier session has timed out while the clock moved on
    const queue = await ig.get('/access/reviews')
    assert.equal(queue.statusCode, 200)
    assert.match(queue.body, /Ryan Hughes/)
    assert.match(queue.body, /Child presented at hospital with injuries, out of hours/)
    assert.match(queue.body, /No record matched/)
    assert.match(queue.body, /Tamsin Okonkwo-Hale/, 'IG sees the child’s name (identity only)')
    const order = [breakGlassReview, notFoundReview, claimReview].map((id) => queue.body.indexOf(`/access/reviews/${id}"`))
    assert.ok(order.every((i) => i > 0) && order[0]! < order[1]! && order[1]! < order[2]!, 'oldest first')
    const page = await ig.get(`/access/reviews/${breakGlassReview}`)
    assert.equal(page.statusCode, 200)
    assert.match(page.body, /What they looked at/)
    assert.match(page.body, /child\.view/)
    assert.match(page.body, /chronology/)
    for (const body of [queue.body, page.body]) assert.doesNotMatch(body, new RegExp(CASE_CONTENT))
    assert.equal((await ig.get(`/children/${child.id}`)).statusCode, 404, 'IG cannot open the record')
    assert.equal((await ig.get(`/access/reviews/${randomUUID()}`)).statusCode, 404)
    assert.equal((await ig.get('/access/reviews/not-a-uuid')).statusCode, 404)
    const audits = await auditsOf('access.review.view', 'ig')
    assert.deepEqual(audits.find((a) => a.entity_id === breakGlassReview)?.child_ids, [child.id])
    assert.equal(audits[0]!.outcome, 'not_found', 'a review that does not exist is audited as not found')
    assert.ok((await auditsOf('access.review.list', 'ig')).length >= 1)
    const missing = await ig.get(`/access/reviews/${notFoundReview}`)
    assert.match(missing.body, /No record matched exactly/)
    assert.match(missing.body, /Nothing: no record matched/)
  })

  it('IG records outcomes: notes needed for a follow-up, which stays queued; appropriate moves to history; a stale form is a conflict', async () => {
    await ig.get(`/access/reviews/${breakGlassReview}`)
    const noNotes = await ig.post(`/access/reviews/${breakGlassReview}`, { rowVersion: '1', outcome: 'needs_follow_up', notes: '' })
    assert.equal(noNotes.statusCode, 400)
    assert.match(noNotes.body, /Say what was wrong, or what needs to follow up/)
    const follow = await ig.post(`/access/reviews/${breakGlassReview}`, { rowVersion: '1', outcome: 'needs_follow_up', notes: 'Check with the hospital that the child was there' })
    assert.equal(follow.statusCode, 303)
    let queue = await ig.get('/access/reviews')
    assert.match(queue.body, new RegExp(`/access/reviews/${breakGlassReview}"`), 'a follow-up stays in the queue')
    const stale = await ig.post(`/access/reviews/${breakGlassReview}`, { rowVersion: '1', outcome: 'appropriate', notes: '' })
    assert.equal(stale.statusCode, 409)
    assert.match(stale.body, /Someone else has reviewed this/)
    const ok = await ig.post(`/access/reviews/${breakGlassReview}`, { rowVersion: '2', outcome: 'appropriate', notes: 'Hospital confirmed the attendance' })
    assert.equal(ok.statusCode, 303)
    queue = await ig.get('/access/reviews')
    assert.doesNotMatch(queue.body, new RegExp(`/access/reviews/${breakGlassReview}"`))
    const history = await ig.get('/access/reviews/history')
    assert.match(history.body, new RegExp(`/access/reviews/${breakGlassReview}"`))
    assert.match(history.body, /Appropriate/)
    const decisions = await db().selectFrom('access_review_decision').selectAll().where('review_id', '=', breakGlassReview).orderBy('decided_at').execute()
    assert.deepEqual(decisions.map((d) => d.outcome), ['needs_follow_up', 'appropriate'], 'both decisions kept')
    const audits = await auditsOf('access.review.record', 'ig')
    assert.deepEqual(audits.slice(0, 3).map((a) => a.outcome), ['success', 'refused', 'success'])
  })

  it('an inappropriate outcome ends the claimed relationship on the next request and tells the manager', async () => {
    assert.equal((await sw.get(`/children/${other.id}`)).statusCode, 200)
    await ig.get(`/access/reviews/${claimReview}`)
    const res = await ig.post(`/access/reviews/${claimReview}`, { rowVersion: '1', outcome: 'inappropriate', notes: 'No allocation was made; the duty rota shows no such case' })
    assert.equal(res.statusCode, 303)
    assert.equal((await sw.get(`/children/${other.id}`)).statusCode, 404, 'ended at once')
    const review = await db().selectFrom('access_review').selectAll().where('id', '=', claimReview).executeTakeFirstOrThrow()
    assert.equal(review.outcome, 'inappropriate')
    assert.ok(review.ended_at)
    assert.equal(review.ended_by, membershipOf('ig'))
    const notice = await db().selectFrom('notification').selectAll().where('subject_id', '=', claimReview).where('kind', '=', 'access.inappropriate').execute()
    assert.deepEqual(notice.map((n) => n.membership_id), [membershipOf('manager.south')])
    const [audit] = await auditsOf('access.review.record', 'ig')
    assert.deepEqual(audit!.details, { outcome: 'inappropriate', endedAccess: true })
  })

  it('IG ends a running break-glass: the record closes on the practitioner’s next request', async () => {
    // a new break-glass (the one above expired): another practitioner, another child
    const police = await ctx.s.signIn('police.missing')
    await police.get('/access/emergency')
    const res = await police.post('/access/emergency', { nhsNumber: child.nhs, reason: 'Child reported missing tonight; need the address history', code: await freshCode('police.missing') })
    assert.equal(res.statusCode, 303)
    assert.equal((await police.get(`/children/${child.id}`)).statusCode, 200)
    const [review] = await reviewsOf('police.missing')
    await ig.get(`/access/reviews/${review!.id}`)
    const end = await ig.post(`/access/reviews/${review!.id}/end`, { rowVersion: '1' })
    assert.equal(end.statusCode, 303)
    assert.equal((await police.get(`/children/${child.id}`)).statusCode, 404)
    const again = await ig.post(`/access/reviews/${review!.id}/end`, { rowVersion: '2' })
    assert.equal(again.statusCode, 400)
    assert.match(again.body, /already ended/)
    const audits = await auditsOf('access.review.end', 'ig')
    assert.deepEqual(audits.slice(0, 2).map((a) => a.outcome), ['refused', 'success'])
    const page = await ig.get(`/access/reviews/${review!.id}`)
    assert.match(page.body, /Ended early/)
  })

  it('nobody reviews their own access: a practitioner who is also an IG officer is not told of it, and cannot see, record or end it', async () => {
    const police = await actorOf('police.missing')
    const now = ctx.s.clock.now()
    const igMembership = randomUUID()
    const own = await db().selectFrom('membership').select(['partnership_id', 'agency_id']).where('id', '=', police.membershipId).executeTakeFirstOrThrow()
    await db().insertInto('membership').values({ id: igMembership, partnership_id: own.partnership_id, practitioner_id: police.practitionerId, agency_id: own.agency_id, team_id: null, role: 'ig_officer', starts_at: now, ends_at: null, created_at: now }).execute()
    // a new break-glass by the police officer: the other IG officer is told, their own IG membership is not
    const ids = { kind: 'nhs_number' as const, nhsNumber: other.nhs }
    const asked = await ctx.s.data.forActor(police).breakGlass.breakGlass({ identifiers: ids, identifierHash: identifierHash('k', P, ids), reason: 'Found alone at the station late at night', totpStep: Math.floor(ctx.s.clock.now().getTime() / 30_000) + 5000 })
    assert.ok(asked.found)
    const told = await db().selectFrom('notification').select('membership_id').where('subject_type', '=', 'access_review').where('subject_id', '=', asked.reviewId).execute()
    assert.ok(told.some((t) => t.membership_id === membershipOf('ig')), 'the other IG officer is told')
    assert.ok(!told.some((t) => t.membership_id === igMembership), 'not the requester’s own IG membership')
    // as IG, the officer does not see it in the queue, and it is not found to view, record or end
    const asIg = ctx.s.data.forActor({ ...police, membershipId: igMembership, role: 'ig_officer', teamId: null })
    assert.ok(!(await asIg.breakGlass.queue()).some((r) => r.id === asked.reviewId))
    assert.equal(await asIg.breakGlass.review(asked.reviewId), null)
    const row = await db().selectFrom('access_review').select('row_version').where('id', '=', asked.reviewId).executeTakeFirstOrThrow()
    assert.equal(await asIg.breakGlass.decide(asked.reviewId, { outcome: 'appropriate', notes: '', endAccess: false, rowVersion: row.row_version }), null)
    const after = await db().selectFrom('access_review').select(['outcome', 'reviewer_membership_id']).where('id', '=', asked.reviewId).executeTakeFirstOrThrow()
    assert.deepEqual(after, { outcome: null, reviewer_membership_id: null })
    // the other IG officer sees and reviews it as usual
    assert.equal((await ig.get(`/access/reviews/${asked.reviewId}`)).statusCode, 200)
  })

  it('these routes for every role, in the access matrix’s terms: the permission gates them, record routes hide existence, never a 500', async () => {
    const keyFor: Record<Role, string> = {
      teacher: 'teacher.brookside', headteacher: 'head.brookside', dsl: 'dsl.brookside', deputy_dsl: 'deputy.brookside', senco: 'senco.academy', pastoral_worker: 'pastoral.brookside',
      school_social_worker: 'ssw', front_door_social_worker: 'frontdoor', social_worker: 'sw.north', team_manager: 'manager.north', police_officer: 'police.mash', school_nurse: 'nurse',
      health_visitor: 'hv', gp: 'gp', agency_admin: 'admin.csc', partnership_admin: 'partnership.admin', ig_officer: 'ig', lado: 'lado',
    }
    const mine = ctx.s.app.routeTable.filter((r) => r.url.startsWith('/access/') && (r.method === 'GET' || r.method === 'POST'))
    assert.equal(mine.length, 10)
    const problems: string[] = []
    for (const role of ROLES) {
      const agent = await ctx.s.signIn(keyFor[role])
      await agent.get('/')
      for (const route of mine) {
        const url = route.url.replace(/:[a-zA-Z]+/g, () => randomUUID())
        const res = route.method === 'GET' ? await agent.get(url) : await agent.post(url, {})
        const allowed = hasPermission(role, route.declaration!.permission)
        if (res.statusCode >= 500) problems.push(`${role} ${route.method} ${route.url}: ${res.statusCode}`)
        if (!allowed && res.statusCode < 400) problems.push(`${role} ${route.method} ${route.url}: ${res.statusCode} without the permission`)
        if (!allowed && route.declaration!.record && res.statusCode !== 404) problems.push(`${role} ${route.method} ${route.url}: ${res.statusCode}, a record route must answer 404`)
        if (route.url.includes(':') && res.statusCode !== 404) problems.push(`${role} ${route.method} ${route.url} with a random id: ${res.statusCode}`)
        if (allowed && route.method === 'GET' && !route.url.includes(':') && res.statusCode !== 200) problems.push(`${role} GET ${route.url}: ${res.statusCode} with the permission`)
        if (allowed && route.method === 'POST' && !route.url.includes(':') && res.statusCode !== 400) problems.push(`${role} POST ${route.url} empty: ${res.statusCode}, expected 400`)
      }
    }
    assert.deepEqual(problems, [])
  })
})
