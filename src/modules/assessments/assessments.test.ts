import assert from 'node:assert/strict'
import fs from 'node:fs'
import { randomUUID } from 'node:crypto'
import { describe, it } from 'node:test'
import { describeApp } from '../../../test/support/app.ts'
import { makeTac, membershipOf, pupilOf, PARTNERSHIP } from '../../../test/support/tac.ts'
import { stableUuid } from '../../data/ids.ts'
import { ASSESSMENT_FACTORS, DEFAULT_DOMAINS, factorProblems, normaliseDomains } from './codes.ts'

const CIN_SCHEMA = '/work/shared/datasets/statutory/cin-census/CIN_schema_2026.xsd'

describe('CIN census assessment factor codes', () => {
  it('are exactly the assessmentfactorstype enumeration of the CIN census schema, with its labels', (t) => {
    if (!fs.existsSync(CIN_SCHEMA)) {
      t.skip(`the CIN census schema is not here (${CIN_SCHEMA}): cannot compare the codes with it`)
      return
    }
    const xsd = fs.readFileSync(CIN_SCHEMA, 'utf8')
    const type = /<xs:simpleType name="assessmentfactorstype">([\s\S]*?)<\/xs:simpleType>/.exec(xsd)
    assert.ok(type, 'the schema defines assessmentfactorstype')
    const enumeration = [...type[1]!.matchAll(/<xs:enumeration value="([^"]+)">([\s\S]*?)<\/xs:enumeration>/g)].map((m) => ({
      code: m[1]!,
      label: (/<xs:documentation>([\s\S]*?)<\/xs:documentation>/.exec(m[2]!)?.[1] ?? '').replace(/&amp;/g, '&').replace(/&lt;/g, '<').replace(/&gt;/g, '>'),
    }))
    assert.ok(enumeration.length > 40)
    assert.deepEqual(
      ASSESSMENT_FACTORS.map((f) => f.code),
      enumeration.map((e) => e.code),
    )
    assert.deepEqual(
      ASSESSMENT_FACTORS.map((f) => ({ code: f.code, label: f.label })),
      enumeration,
    )
  })

  it('validation: unknown codes, none, and "21" with others are refused', () => {
    assert.deepEqual(factorProblems(['1A', '3B', '24A']), [])
    assert.deepEqual(factorProblems(['21']), [])
    assert.match(factorProblems(['99Z']).join(), /Not a CIN census assessment factor: 99Z/)
    assert.match(factorProblems(['21', '1A']).join(), /cannot be chosen with other factors/)
    assert.match(factorProblems([]).join(), /Choose the assessment factors/)
  })

  it('domains: the Assessment Framework triangle by default; a partnership list of labels is accepted', () => {
    assert.equal(new Set(DEFAULT_DOMAINS.map((d) => d.side)).size, 3)
    assert.deepEqual(normaliseDomains(null), DEFAULT_DOMAINS)
    assert.deepEqual(
      normaliseDomains(['Health', 'Housing and income']).map((d) => d.key),
      ['health', 'housing_and_income'],
    )
  })
})

const rowVersionOf = (body: string, action: string) => {
  const form = body.slice(body.indexOf(`action="${action}"`))
  const m = /name="rowVersion" value="(\d+)"/.exec(form)
  assert.ok(m, `a rowVersion in the form posting to ${action}`)
  return m[1]!
}
/** The part of the page for one domain (its card). */
const domainCard = (body: string, key: string) => {
  const start = body.indexOf(`id="domain-${key}"`)
  assert.ok(start > 0, `the page has the domain ${key}`)
  const end = body.indexOf('id="domain-', start + 10)
  return body.slice(start, end > 0 ? end : undefined)
}

describeApp('assessments in a team around the child', (ctx) => {
  let childA: string
  let childB: string
  let tac1: string
  let tac2: string
  let early: string
  let cf: string
  let referralId: string

  it('setup: a team around a Brookside pupil (social care, health, police) and a child-in-need team', async () => {
    const db = ctx.s.t.db
    // a Brookside pupil the police and health know only through the team (so leaving the team ends their access)
    const known = db.selectFrom('relationship').select('child_id').where('holder_agency_id', 'in', [stableUuid('northshire:agency:police'), stableUuid('northshire:agency:health')])
    const pupil = await db
      .selectFrom('relationship')
      .select('child_id')
      .where('type', '=', 'pupil_at')
      .where('holder_agency_id', '=', stableUuid('northshire:agency:brookside'))
      .where('child_id', 'not in', known)
      .orderBy('child_id')
      .executeTakeFirstOrThrow()
    childA = pupil.child_id
    childB = await pupilOf(db, 'brookside', childA === (await pupilOf(db, 'brookside', 0)) ? 1 : 0)
    tac1 = await makeTac(db, { childIds: [childA], lead: 'sw.north', members: ['nurse', 'police.missing'] })
    tac2 = await makeTac(db, { childIds: [childB], level: 'child_in_need', lead: 'sw.north', members: ['nurse'] })
    // the Academy's DSL has no relationship to either child: a non-member without reach
    const academy = await db
      .selectFrom('relationship')
      .select('id')
      .where('child_id', 'in', [childA, childB])
      .where((eb) => eb.or([eb('holder_agency_id', '=', stableUuid('northshire:agency:academy')), eb('holder_membership_id', '=', membershipOf('dsl.academy'))]))
      .execute()
    assert.equal(academy.length, 0)
  })

  it('an early help assessment: any member starts it; two agencies contribute; the page collates them by domain', async () => {
    const sw = await ctx.s.signIn('sw.north')
    const form = await sw.get(`/teams/${tac1}/assessments/new`)
    assert.equal(form.statusCode, 200)
    assert.match(form.body, /Early help assessment/)
    // bad input: nothing chosen → 400 with the error summary
    const bad = await sw.post(`/teams/${tac1}/assessments`, { childId: '' })
    assert.equal(bad.statusCode, 400)
    assert.match(bad.body, /govuk-error-summary/)
    assert.match(bad.body, /Choose the child the assessment is about/)
    assert.match(bad.body, /Choose the kind of assessment/)
    const started = await sw.post(`/teams/${tac1}/assessments`, { childId: childA, kind: 'early_help' })
    assert.equal(started.statusCode, 303)
    early = /\/assessments\/([0-9a-f-]{36})/.exec(started.headers.location as string)![1]!
    const row = await ctx.s.t.db.selectFrom('assessment').selectAll().where('id', '=', early).executeTakeFirstOrThrow()
    assert.equal(row.kind, 'early_help')
    assert.equal(row.status, 'in_progress')
    assert.equal(await ctx.s.t.db.selectFrom('clock').select('id').where('subject_id', '=', early).executeTakeFirst(), undefined, 'an early help assessment has no statutory clock')
    const domains = await ctx.s.t.db.selectFrom('assessment_domain').select('domain').where('assessment_id', '=', early).execute()
    assert.equal(domains.length, DEFAULT_DOMAINS.length)
    const startedEntry = await ctx.s.t.db.selectFrom('entry').select(['type', 'child_id']).where('detail_id', '=', early).execute()
    assert.deepEqual(startedEntry, [{ type: 'assessment_started', child_id: childA }])

    const nurse = await ctx.s.signIn('nurse')
    await nurse.get(`/teams/${tac1}/assessments/${early}`)
    const empty = await nurse.post(`/teams/${tac1}/assessments/${early}/contributions`, { domain: 'health', body: '  ' })
    assert.equal(empty.statusCode, 400)
    assert.match(empty.body, /govuk-error-summary/)
    assert.match(empty.body, /Write your contribution/)
    const unknownDomain = await nurse.post(`/teams/${tac1}/assessments/${early}/contributions`, { domain: 'astrology', body: 'Something' })
    assert.equal(unknownDomain.statusCode, 400)
    assert.equal((await nurse.post(`/teams/${tac1}/assessments/${early}/contributions`, { domain: 'health', body: 'Immunisations up to date; two dental appointments missed this term.' })).statusCode, 303)
    const police = await ctx.s.signIn('police.missing')
    await police.get(`/teams/${tac1}/assessments/${early}`)
    assert.equal((await police.post(`/teams/${tac1}/assessments/${early}/contributions`, { domain: 'family_functioning', body: 'Two call-outs to the home address for verbal arguments in October.' })).statusCode, 303)
    assert.equal((await police.post(`/teams/${tac1}/assessments/${early}/contributions`, { domain: '', body: 'No missing episodes recorded for this child.' })).statusCode, 303)

    const page = await sw.get(`/teams/${tac1}/assessments/${early}`)
    assert.equal(page.statusCode, 200)
    const health = domainCard(page.body, 'health')
    assert.match(health, /two dental appointments missed/)
    assert.match(health, /Northshire Community Health NHS Trust/)
    assert.match(health, /Claire Dawson/)
    const family = domainCard(page.body, 'family_functioning')
    assert.match(family, /verbal arguments/)
    assert.match(family, /Northshire Police/)
    assert.match(family, /Hannah Lee/)
    assert.doesNotMatch(domainCard(page.body, 'housing_income'), /verbal arguments|dental/)
    const general = page.body.slice(page.body.indexOf('id="contributions"'))
    assert.match(general, /No missing episodes recorded/)
    assert.match(page.body, /3 from /)
    // the assessment's author is told of each contribution (not the contributor)
    const notes = await ctx.s.t.db.selectFrom('notification').select('membership_id').where('kind', '=', 'assessment.contribution').where('subject_id', '=', early).execute()
    assert.equal(notes.length, 3)
    assert.ok(notes.every((n) => n.membership_id === membershipOf('sw.north')))
    // the list
    const list = await sw.get(`/teams/${tac1}/assessments`)
    assert.equal(list.statusCode, 200)
    assert.match(list.body, new RegExp(`/teams/${tac1}/assessments/${early}`))
    assert.match(list.body, /Early help assessment/)
  })

  it('concurrency: two members save the same version; the second sees both texts on the conflict page, nothing is overwritten', async () => {
    const sw = await ctx.s.signIn('sw.north')
    const nurse = await ctx.s.signIn('nurse')
    const url = `/teams/${tac1}/assessments/${early}`
    const swPage = await sw.get(url)
    const nursePage = await nurse.get(url)
    const v = rowVersionOf(swPage.body, url)
    assert.equal(rowVersionOf(nursePage.body, url), v)
    const first = await nurse.post(url, { rowVersion: v, childViews: 'Nurse: Sam says school is the best part of the day.', familyViews: '', analysis: '', recommendation: '', strengths_health: 'Registered with a GP and dentist.', needs_health: '' })
    assert.equal(first.statusCode, 303)
    // a domain's field sent twice is refused, not saved empty over what is there
    const twice = await sw.post(url, { rowVersion: v, childViews: '', familyViews: '', analysis: '', recommendation: '', strengths_health: ['a', 'b'], needs_health: '' })
    assert.equal(twice.statusCode, 400)
    assert.match(twice.body, /href="#strengths_health"[^>]*>This field was sent more than once: enter it once/)
    // a field named after Object.prototype's own keys is an unknown domain, never a write to every object's prototype
    try {
      const proto = await sw.post(url, { rowVersion: v, childViews: '', familyViews: '', analysis: '', recommendation: '', strengths___proto__: 'polluted', needs_constructor: 'polluted' })
      assert.equal(proto.statusCode, 409, 'a stale version: the conflict page, as for any other field')
      assert.equal(({} as Record<string, unknown>).strengths, undefined, 'Object.prototype is not changed')
      assert.equal((Object as unknown as Record<string, unknown>).needs, undefined)
    } finally {
      delete (Object.prototype as unknown as Record<string, unknown>).strengths
      delete (Object as unknown as Record<string, unknown>).needs
    }
    const second = await sw.post(url, { rowVersion: v, childViews: 'Social worker: Sam wants to stay at Brookside.', familyViews: 'Mum wants help with routines.', analysis: '', recommendation: '', strengths_health: '', needs_health: 'Dental care' })
    assert.equal(second.statusCode, 409)
    assert.match(second.body, /Someone else changed this assessment/)
    assert.match(second.body, /Sam says school is the best part of the day/, 'their version is shown')
    assert.match(second.body, /Sam wants to stay at Brookside/, 'your version is shown')
    assert.match(second.body, /Mum wants help with routines/)
    const saved = await ctx.s.t.db.selectFrom('assessment').select(['child_views', 'family_views', 'row_version']).where('id', '=', early).executeTakeFirstOrThrow()
    assert.equal(saved.child_views, 'Nurse: Sam says school is the best part of the day.')
    assert.equal(saved.family_views, '')
    const health = await ctx.s.t.db.selectFrom('assessment_domain').select(['strengths', 'needs']).where('assessment_id', '=', early).where('domain', '=', 'health').executeTakeFirstOrThrow()
    assert.deepEqual(health, { strengths: 'Registered with a GP and dentist.', needs: '' })
    // the conflict page's form carries the new version: saving the merged text now succeeds
    const merged = await sw.post(url, {
      rowVersion: rowVersionOf(second.body, url),
      childViews: 'Sam says school is the best part of the day, and wants to stay at Brookside.',
      familyViews: 'Mum wants help with routines.',
      analysis: 'Needs are met at school; home routines are the gap, with some arguing at home.',
      recommendation: 'A team around the family plan with a family support worker.',
      strengths_health: 'Registered with a GP and dentist.',
      needs_health: 'Dental care',
    })
    assert.equal(merged.statusCode, 303)
    const after = await ctx.s.t.db.selectFrom('assessment').select(['child_views', 'row_version']).where('id', '=', early).executeTakeFirstOrThrow()
    assert.equal(after.row_version, saved.row_version + 1)
    assert.match(after.child_views, /wants to stay at Brookside/)
  })

  it('a viewer with team reach (the DSL of the child’s school) reads but cannot change; a non-member without reach gets 404', async () => {
    const dsl = await ctx.s.signIn('dsl.brookside')
    const url = `/teams/${tac1}/assessments/${early}`
    const page = await dsl.get(url)
    assert.equal(page.statusCode, 200)
    assert.match(page.body, /two dental appointments missed/)
    assert.match(page.body, /wants to stay at Brookside/)
    assert.doesNotMatch(page.body, /name="childViews"/)
    assert.doesNotMatch(page.body, /\/contributions"/)
    assert.doesNotMatch(page.body, /\/complete"/)
    assert.equal((await dsl.get(`/teams/${tac1}/assessments`)).statusCode, 200)
    assert.equal((await dsl.get(`/teams/${tac1}/assessments/new`)).statusCode, 404)
    const edit = await dsl.post(url, { rowVersion: '3', childViews: 'Overwritten by a viewer' })
    assert.equal(edit.statusCode, 400)
    assert.match(edit.body, /Only members of the team/)
    const contribute = await dsl.post(`${url}/contributions`, { domain: '', body: 'A viewer tries to add' })
    assert.equal(contribute.statusCode, 400)
    assert.doesNotMatch((await ctx.s.t.db.selectFrom('assessment').select('child_views').where('id', '=', early).executeTakeFirstOrThrow()).child_views, /viewer/)
    assert.equal((await ctx.s.t.db.selectFrom('assessment_contribution').select('id').where('body', 'like', '%viewer%').execute()).length, 0)

    const outsider = await ctx.s.signIn('dsl.academy')
    const missing = await outsider.get(`/teams/${tac1}/assessments/${randomUUID()}`)
    assert.equal(missing.statusCode, 404)
    for (const u of [`/teams/${tac1}/assessments`, url, `/teams/${tac1}/assessments/new`]) assert.equal((await outsider.get(u)).statusCode, 404, u)
    assert.equal((await outsider.post(`${url}/contributions`, { domain: '', body: 'x' })).statusCode, 404)
    assert.equal((await outsider.post(url, { rowVersion: '1', childViews: 'x' })).statusCode, 404)
    // an assessment of another team is not found through this team's URL
    assert.equal((await dsl.get(`/teams/${tac2}/assessments/${early}`)).statusCode, 404)
  })

  it('a child and family assessment: social care only; R3 runs 45 working days from the referral, across Christmas', async () => {
    const db = ctx.s.t.db
    // the front door decided on a referral received Friday 20 November 2026 at 16:00 (a later contact was NFA)
    referralId = randomUUID()
    const base = { partnership_id: PARTNERSHIP, child_id: childB, kind: 'referral' as const, source: 'school' as const, source_agency_id: stableUuid('northshire:agency:brookside'), referrer_membership_id: membershipOf('dsl.brookside'), referrer_name: null, referrer_contact: null, recorded_by_membership_id: membershipOf('dsl.brookside'), reason: 'Worries about neglect', level_believed: 3, level_reason: null, parents_know: true, parents_not_told_reason: null, urgency: 'routine' as const, ppn_reference: null, queue_team_id: stableUuid('northshire:team:csc:front-door'), re_referral_of: null, rationale: 'Assessment needed', level_found: 3, decided_by: membershipOf('frontdoor'), needs_sign_off: false, idempotency_key: null }
    await db.insertInto('referral').values({ ...base, id: referralId, submission_id: randomUUID(), status: 'decided', decision: 's17', received_at: new Date('2026-11-20T16:00:00Z'), decided_at: new Date('2026-11-20T16:30:00Z'), created_at: new Date('2026-11-20T16:00:00Z') }).execute()
    await db.insertInto('referral').values({ ...base, id: randomUUID(), submission_id: randomUUID(), status: 'decided', decision: 'nfa', received_at: new Date('2026-11-22T09:00:00Z'), decided_at: new Date('2026-11-22T10:00:00Z'), created_at: new Date('2026-11-22T09:00:00Z') }).execute()

    const nurse = await ctx.s.signIn('nurse')
    const nurseForm = await nurse.get(`/teams/${tac2}/assessments/new`)
    assert.equal(nurseForm.statusCode, 200)
    assert.doesNotMatch(nurseForm.body, /value="child_and_family"/)
    const refused = await nurse.post(`/teams/${tac2}/assessments`, { childId: childB, kind: 'child_and_family' })
    assert.equal(refused.statusCode, 400)
    assert.match(refused.body, /social care/)

    const sw = await ctx.s.signIn('sw.north')
    const started = await sw.post(`/teams/${tac2}/assessments`, { childId: childB, kind: 'child_and_family' })
    assert.equal(started.statusCode, 303)
    cf = /\/assessments\/([0-9a-f-]{36})/.exec(started.headers.location as string)![1]!
    const a = await db.selectFrom('assessment').select(['referral_id', 'kind']).where('id', '=', cf).executeTakeFirstOrThrow()
    assert.deepEqual(a, { referral_id: referralId, kind: 'child_and_family' })
    const clock = await db.selectFrom('clock').selectAll().where('subject_type', '=', 'assessment').where('subject_id', '=', cf).executeTakeFirstOrThrow()
    assert.equal(clock.rule, 'R3')
    assert.equal(clock.state, 'running')
    assert.equal(clock.started_at.toISOString(), '2026-11-20T16:00:00.000Z')
    // counting day Friday 20 November; working days skip Christmas Day, the substitute Boxing Day (Mon 28 Dec) and
    // New Year's Day: the 45th working day is Wednesday 27 January 2027, due at 17:00 London (GMT)
    assert.equal(clock.due_at.toISOString(), '2027-01-27T17:00:00.000Z')
    assert.equal(clock.escalate_to_membership_id, membershipOf('manager.north'))
    const page = await sw.get(`/teams/${tac2}/assessments/${cf}`)
    assert.match(page.body, /Due by 27 January 2027 at 5:00pm/)
    assert.match(page.body, /Referral received/)
    assert.match(page.body, /name="factors"/)

    // without a referral the clock runs from the start of the assessment (Monday 23 November → Thursday 28 January)
    const own = await sw.post(`/teams/${tac1}/assessments`, { childId: childA, kind: 'child_and_family' })
    assert.equal(own.statusCode, 303)
    const ownId = /\/assessments\/([0-9a-f-]{36})/.exec(own.headers.location as string)![1]!
    const ownClock = await db.selectFrom('clock').select(['due_at', 'started_at']).where('subject_id', '=', ownId).executeTakeFirstOrThrow()
    assert.equal(ownClock.due_at.toISOString(), '2027-01-28T17:00:00.000Z')
    assert.equal(ownClock.started_at.toISOString().slice(0, 10), '2026-11-23')
  })

  it('completing a child and family assessment: the factor codes are validated; late needs a reason', async () => {
    const db = ctx.s.t.db
    let sw = await ctx.s.signIn('sw.north')
    const url = `/teams/${tac2}/assessments/${cf}`
    let page = await sw.get(url)
    // the nurse contributes; only social care edits and completes
    const nurse = await ctx.s.signIn('nurse')
    assert.doesNotMatch((await nurse.get(url)).body, /name="childViews"/)
    assert.equal((await nurse.post(`${url}/contributions`, { domain: 'basic_care_safety', body: 'Seen in the same clothes all week; hungry at school.' })).statusCode, 303)
    const nurseEdit = await nurse.post(url, { rowVersion: rowVersionOf(page.body, url), childViews: 'x' })
    assert.equal(nurseEdit.statusCode, 400)
    assert.match(nurseEdit.body, /Only social care/)

    // completion needs the analysis and the recommendation first
    const tooSoon = await sw.post(`${url}/complete`, { rowVersion: rowVersionOf(page.body, `${url}/complete`), factors: ['16A'] })
    assert.equal(tooSoon.statusCode, 400)
    assert.match(tooSoon.body, /analysis and the recommendation/)
    assert.equal((await sw.post(url, { rowVersion: rowVersionOf(page.body, url), childViews: 'Wants more to eat at home.', familyViews: 'Dad says money is short since he lost his job.', analysis: 'Basic care is not consistently met.', recommendation: 'Child in need plan.', needs_basic_care_safety: 'Food and clean clothes' })).statusCode, 303)
    page = await sw.get(url)
    const v = rowVersionOf(page.body, `${url}/complete`)

    const unknown = await sw.post(`${url}/complete`, { rowVersion: v, factors: ['16A', '99Z'] })
    assert.equal(unknown.statusCode, 400)
    assert.match(unknown.body, /govuk-error-summary/)
    assert.match(unknown.body, /Not a CIN census assessment factor: 99Z/)
    const withNone = await sw.post(`${url}/complete`, { rowVersion: v, factors: ['21', '16A'] })
    assert.equal(withNone.statusCode, 400)
    assert.match(withNone.body, /cannot be chosen with other factors/)
    assert.match(withNone.body, /value="16A" checked/, 'the choices are kept')
    const none = await sw.post(`${url}/complete`, { rowVersion: v })
    assert.equal(none.statusCode, 400)
    assert.match(none.body, /Choose the assessment factors/)

    // past the due time (17:00 on 27 January 2027): refused without a reason, accepted with one
    ctx.s.clock.set('2027-01-28T10:00:00Z')
    sw = await ctx.s.signIn('sw.north') // two months on: a new session
    const overdue = await sw.get(url)
    assert.match(overdue.body, /Overdue/)
    const late = await sw.post(`${url}/complete`, { rowVersion: v, factors: ['16A', '7A'] })
    assert.equal(late.statusCode, 400)
    assert.match(late.body, /record the reason it is late/)
    assert.equal((await db.selectFrom('assessment').select('status').where('id', '=', cf).executeTakeFirstOrThrow()).status, 'in_progress')
    assert.equal((await db.selectFrom('clock').select('state').where('subject_id', '=', cf).executeTakeFirstOrThrow()).state, 'running')
    const done = await sw.post(`${url}/complete`, { rowVersion: v, factors: ['16A', '7A'], lateReason: 'Father unavailable for interview over Christmas.' })
    assert.equal(done.statusCode, 303)
    const a = await db.selectFrom('assessment').select(['status', 'factors', 'late_reason', 'completed_at']).where('id', '=', cf).executeTakeFirstOrThrow()
    assert.equal(a.status, 'completed')
    assert.deepEqual([...a.factors].sort(), ['16A', '7A'])
    assert.equal(a.late_reason, 'Father unavailable for interview over Christmas.')
    const clock = await db.selectFrom('clock').select(['state', 'reason']).where('subject_id', '=', cf).executeTakeFirstOrThrow()
    assert.deepEqual(clock, { state: 'met_late', reason: 'Father unavailable for interview over Christmas.' })
    const entry = await db.selectFrom('entry').select(['child_id', 'significance', 'summary', 'visibility']).where('detail_id', '=', cf).where('type', '=', 'assessment_completed').execute()
    assert.equal(entry.length, 1)
    assert.equal(entry[0]!.child_id, childB)
    assert.equal(entry[0]!.significance, 'high')
    assert.equal(entry[0]!.visibility, 'team')
    assert.match(entry[0]!.summary, /16A/)
    const shown = await sw.get(url)
    assert.match(shown.body, /Completed late/)
    assert.match(shown.body, /Father unavailable/)
    assert.doesNotMatch(shown.body, /\/complete"/)
    // completed: no more changes
    const again = await sw.post(`${url}/contributions`, { domain: '', body: 'Too late' })
    assert.equal(again.statusCode, 400)
    const notes = await db.selectFrom('notification').select('membership_id').where('kind', '=', 'assessment.completed').where('subject_id', '=', cf).execute()
    assert.deepEqual(notes.map((n) => n.membership_id), [membershipOf('nurse')])
  })

  it('the early help assessment completes (no statutory clock, no census factors); a member who leaves loses access at the next request', async () => {
    const sw = await ctx.s.signIn('sw.north')
    const url = `/teams/${tac1}/assessments/${early}`
    const page = await sw.get(url)
    assert.doesNotMatch(page.body, /name="factors"/, 'an early help assessment has no census factors')
    assert.equal((await sw.post(`${url}/complete`, { rowVersion: rowVersionOf(page.body, `${url}/complete`) })).statusCode, 303)
    const entry = await ctx.s.t.db.selectFrom('entry').select(['significance', 'summary']).where('detail_id', '=', early).where('type', '=', 'assessment_completed').executeTakeFirstOrThrow()
    assert.equal(entry.significance, 'medium')
    assert.match(entry.summary, /contributions from 2 agencies/)

    const police = await ctx.s.signIn('police.missing')
    assert.equal((await police.get(url)).statusCode, 200)
    const otherReach = await ctx.s.t.db.selectFrom('relationship').select('id').where('child_id', '=', childA).where('source', '<>', `tac:${tac1}`).where((eb) => eb.or([eb('holder_agency_id', '=', stableUuid('northshire:agency:police')), eb('holder_membership_id', '=', membershipOf('police.missing'))])).execute()
    assert.equal(otherReach.length, 0, 'the officer reaches the child only through the team')
    await ctx.s.t.db.updateTable('tac_member').set({ status: 'left', left_at: ctx.s.clock.now() }).where('tac_id', '=', tac1).where('membership_id', '=', membershipOf('police.missing')).execute()
    await ctx.s.t.db.updateTable('relationship').set({ ends_at: ctx.s.clock.now() }).where('source', '=', `tac:${tac1}`).where('holder_membership_id', '=', membershipOf('police.missing')).execute()
    assert.equal((await police.get(url)).statusCode, 404)
  })

  it('one child and family assessment in progress per child: a second, in the child’s other team, is refused and says where the first is', async () => {
    const db = ctx.s.t.db
    // a child in an open team and in the exploitation panel's team at once (the panel's plan is a team plan)
    const child = await pupilOf(db, 'brookside', 10)
    assert.ok(![childA, childB].includes(child))
    const team = await makeTac(db, { childIds: [child], level: 'child_in_need', lead: 'sw.north', members: ['nurse'] })
    const panel = await makeTac(db, { childIds: [child], lead: 'sw.north', members: ['police.missing'], mace: true })
    const sw = await ctx.s.signIn('sw.north')
    await sw.get(`/teams/${team}/assessments/new`)
    const first = await sw.post(`/teams/${team}/assessments`, { childId: child, kind: 'child_and_family' })
    assert.equal(first.statusCode, 303)
    const firstId = /\/assessments\/([0-9a-f-]{36})/.exec(first.headers.location as string)![1]!
    const { given_name, family_name } = await db.selectFrom('child').select(['given_name', 'family_name']).where('id', '=', child).executeTakeFirstOrThrow()

    await sw.get(`/teams/${panel}/assessments/new`)
    const second = await sw.post(`/teams/${panel}/assessments`, { childId: child, kind: 'child_and_family' })
    assert.equal(second.statusCode, 400)
    assert.match(second.body, /govuk-error-summary/)
    assert.match(second.body, new RegExp(`${given_name} ${family_name} already has a child and family assessment in progress, in the child in need team around the child \\(you are a member\\), started on 28 January 2027 by Ben Carter \\(Social worker, Northshire Children(&#39;|’|')s Social Care\\)`))
    assert.match(second.body, /href="#childId"/)
    assert.deepEqual((await db.selectFrom('assessment').select('id').where('child_id', '=', child).where('kind', '=', 'child_and_family').where('status', '=', 'in_progress').execute()).map((a) => a.id), [firstId], 'one assessment, one R3 clock')
    assert.equal((await db.selectFrom('clock').select('id').where('child_id', '=', child).where('rule', '=', 'R3').execute()).length, 1)
    const refusal = await db.selectFrom('audit_event').select('outcome').where('action', '=', 'assessment.start').where('outcome', '=', 'refused').orderBy('id', 'desc').executeTakeFirstOrThrow()
    assert.equal(refusal.outcome, 'refused')
    // an early help assessment is the team's own: the panel's team may still start one
    assert.equal((await sw.post(`/teams/${panel}/assessments`, { childId: child, kind: 'early_help' })).statusCode, 303)

    // a social worker in the panel's team whose reach does not take in the other team is told only that there is one
    await db.insertInto('tac_member').values({ id: randomUUID(), partnership_id: PARTNERSHIP, tac_id: panel, membership_id: membershipOf('sw.south'), team_role: 'Member', status: 'joined', invited_by: membershipOf('sw.north'), invited_at: ctx.s.clock.now(), joined_at: ctx.s.clock.now() }).execute()
    const other = await ctx.s.signIn('sw.south')
    await other.get(`/teams/${panel}/assessments/new`)
    assert.equal((await other.get(`/teams/${team}/assessments`)).statusCode, 404, 'the other team is out of their reach')
    const hidden = await other.post(`/teams/${panel}/assessments`, { childId: child, kind: 'child_and_family' })
    assert.equal(hidden.statusCode, 400)
    assert.match(hidden.body, /govuk-error-summary/)
    assert.match(hidden.body, /already has a child and family assessment in progress, in another team around the child: a child has one assessment at a time, with one lead/)
    assert.doesNotMatch(hidden.body, /child in need team|Ben Carter|started on/, 'nothing of a team they cannot see')
  })

  it('two child and family assessments started at the same moment in the child’s two teams: one starts, the other is refused', async () => {
    const db = ctx.s.t.db
    for (const offset of [11, 12, 13]) {
      const child = await pupilOf(db, 'brookside', offset)
      const team = await makeTac(db, { childIds: [child], level: 'child_in_need', lead: 'sw.north' })
      const panel = await makeTac(db, { childIds: [child], lead: 'sw.north', mace: true })
      const sw = await ctx.s.signIn('sw.north')
      const sw2 = await ctx.s.signIn('sw.north')
      await sw.get(`/teams/${team}/assessments/new`)
      await sw2.get(`/teams/${panel}/assessments/new`)
      const [a, b] = await Promise.all([sw.post(`/teams/${team}/assessments`, { childId: child, kind: 'child_and_family' }), sw2.post(`/teams/${panel}/assessments`, { childId: child, kind: 'child_and_family' })])
      assert.deepEqual([a.statusCode, b.statusCode].sort(), [303, 400], `child ${offset}`)
      assert.match((a.statusCode === 400 ? a : b).body, /already has a child and family assessment in progress/)
      assert.equal((await db.selectFrom('assessment').select('id').where('child_id', '=', child).where('kind', '=', 'child_and_family').execute()).length, 1, `child ${offset}: one assessment`)
    }
  })

  it('closing a team closes its assessments still in progress (recorded, audited, in the chronology); the child’s next team can assess again', async () => {
    const db = ctx.s.t.db
    const child = await pupilOf(db, 'brookside', 14)
    const team = await makeTac(db, { childIds: [child], level: 'child_in_need', lead: 'sw.north', members: ['nurse'] })
    let sw = await ctx.s.signIn('sw.north')
    await sw.get(`/teams/${team}/assessments/new`)
    const started = async (tacId: string, kind: string) => {
      const r = await sw.post(`/teams/${tacId}/assessments`, { childId: child, kind })
      assert.equal(r.statusCode, 303, r.body.slice(0, 300))
      return /\/assessments\/([0-9a-f-]{36})/.exec(r.headers.location as string)![1]!
    }
    const cfId = await started(team, 'child_and_family')
    const ehId = await started(team, 'early_help')
    ctx.s.clock.advance(2 * 86_400_000)
    sw = await ctx.s.signIn('sw.north')
    const page = await sw.get(`/teams/${team}`)
    const rowVersion = /name="rowVersion" value="(\d+)"/.exec(page.body.slice(page.body.indexOf(`action="/teams/${team}/level"`)))![1]!
    assert.equal((await sw.post(`/teams/${team}/level`, { to: 'closed', reason: 'The family moved out of the county', rowVersion })).statusCode, 303)

    const closedAt = ctx.s.clock.now().toISOString()
    const rows = await db.selectFrom('assessment').select(['id', 'status', 'closed_at', 'closure_reason', 'completed_at']).where('tac_id', '=', team).orderBy('kind').execute()
    assert.deepEqual(
      rows.map((a) => ({ ...a, closed_at: a.closed_at?.toISOString() })),
      [cfId, ehId].map((id) => ({ id, status: 'closed', closed_at: closedAt, closure_reason: 'Closed with the team around the child: The family moved out of the county', completed_at: null })),
    )
    const entries = await db.selectFrom('entry').select(['detail_id', 'summary', 'significance']).where('child_id', '=', child).where('type', '=', 'assessment_closed').orderBy('significance').execute()
    assert.deepEqual(entries, [
      { detail_id: cfId, summary: 'Child and family assessment closed with the team around the child, not completed: The family moved out of the county', significance: 'high' },
      { detail_id: ehId, summary: 'Early help assessment closed with the team around the child, not completed: The family moved out of the county', significance: 'medium' },
    ])
    const audit = await db.selectFrom('audit_event').select('details').where('action', '=', 'tac.level').where('entity_id', '=', team).where('outcome', '=', 'success').executeTakeFirstOrThrow()
    assert.deepEqual([...((audit.details as { closedAssessments?: string[] }).closedAssessments ?? [])].sort(), [cfId, ehId].sort())
    assert.deepEqual(await db.selectFrom('clock').select(['state', 'reason']).where('subject_id', '=', cfId).execute(), [{ state: 'stopped', reason: 'The team closed' }])

    // nothing shows them as live: the team's list and the assessment's page (read by the school's DSL)
    const dsl = await ctx.s.signIn('dsl.brookside')
    const list = await dsl.get(`/teams/${team}/assessments`)
    assert.equal(list.statusCode, 200)
    assert.equal((list.body.match(/Closed with the team/g) ?? []).length, 2)
    assert.doesNotMatch(list.body, /In progress|Overdue/)
    const shown = await dsl.get(`/teams/${team}/assessments/${cfId}`)
    assert.match(shown.body, /Closed [^<]*, not completed\. Closed with the team around the child: The family moved out of the county/)
    assert.match(shown.body, /Stopped [^<]*\(was due [^)]*\): The team closed/)
    assert.doesNotMatch(shown.body, /Due by/)

    // the child's next team starts its own child and family assessment: the closed one is not in progress
    const next = await makeTac(db, { childIds: [child], level: 'child_in_need', lead: 'sw.north' })
    sw = await ctx.s.signIn('sw.north')
    await sw.get(`/teams/${next}/assessments/new`)
    await started(next, 'child_and_family')
  })
})

describeApp('starting an assessment in a team of siblings', (ctx) => {
  it('no child chosen: the error says to choose the child (not a field name), and nothing starts', async () => {
    const db = ctx.s.t.db
    const [a, b] = [await pupilOf(db, 'brookside', 3), await pupilOf(db, 'brookside', 4)]
    const tacId = await makeTac(db, { childIds: [a, b], lead: 'sw.north' })
    const sw = await ctx.s.signIn('sw.north')
    const form = await sw.get(`/teams/${tacId}/assessments/new`)
    assert.equal(form.statusCode, 200)
    assert.doesNotMatch(form.body, /name="childId" type="radio" value="[^"]*" checked/, 'two children: none chosen for the user')
    // radios with none chosen send no field at all
    const res = await sw.post(`/teams/${tacId}/assessments`, { kind: 'early_help' })
    assert.equal(res.statusCode, 400)
    assert.match(res.body, /<a href="#childId">Choose the child the assessment is about<\/a>/)
    assert.doesNotMatch(res.body, /Check childId/)
    assert.match(res.body, /value="early_help" checked/, 'the kind chosen is kept')
    assert.equal(await db.selectFrom('assessment').select('id').where('tac_id', '=', tacId).executeTakeFirst(), undefined)
  })
})
