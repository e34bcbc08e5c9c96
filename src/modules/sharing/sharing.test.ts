// Sharing decisions on a child's record, over HTTP (no browser): recording one (shared and not shared) from the child's
// page, every validation rule shown as a GOV.UK error summary, the information-sharing agreement check, who sees a
// decision (its chronology entry's visibility), access (out of scope → the same 404), the audit rows, the JSON API
// (problem+json, idempotency), the partnership administrator's agreement screen (versions, conflicts), and a referral
// to the front door recorded as a sharing decision.
import assert from 'node:assert/strict'
import { it } from 'node:test'
import { randomUUID } from 'node:crypto'
import { describeApp } from '../../../test/support/app.ts'
import type { Agent } from '../../../test/support/agent.ts'
import { makeTac, membershipOf, pupilOf } from '../../../test/support/tac.ts'
import { stableUuid } from '../../data/ids.ts'
import { GOLDEN_RULES } from './codes.ts'

const agency = (k: string) => stableUuid(`northshire:agency:${k}`)
const ALL_RULES = GOLDEN_RULES.map((r) => r.code)
/** A page without its per-response tokens (nonces, CSRF): two 404s compare equal when they say the same. */
const strip = (s: string) => s.replace(/nonce-[^'"]+|nonce="[^"]+"|data-csrf="[^"]+"|value="[^"]*"/g, '')

/** A complete, valid decision to share, as the form sends it. */
const form = (over: Record<string, string | string[]> = {}): Record<string, string | string[]> => ({
  shared: 'yes',
  what: 'The concern of 3 November and this term’s attendance',
  categories: ['safeguarding', 'education'],
  withAgencyIds: [agency('csc')],
  purpose: 'safeguarding',
  lawfulBasis: '6.1.e',
  specialCategory: 'no',
  consent: 'not_sought',
  consentReason: 'Telling the family could put the child at risk',
  goldenRules: ALL_RULES,
  reasons: 'Neglect concerns over several weeks; the allocated social worker needs the school’s picture',
  idempotencyKey: randomUUID(),
  ...over,
})

describeApp('sharing decisions', (ctx) => {
  const db = () => ctx.s.t.db
  let childId: string
  let dsl: Agent
  let decisionId: string
  const decisions = () => db().selectFrom('sharing_decision').selectAll().where('child_id', '=', childId).orderBy('created_at').execute()
  const audits = (action: string) => db().selectFrom('audit_event').selectAll().where('action', '=', action).orderBy('id').execute()
  const summary = (body: string) => /govuk-error-summary__list">([\s\S]*?)<\/ul>/.exec(body)?.[1] ?? ''

  it('a DSL records a decision to share from the child’s page: the record, its entry in the chronology (team), its audit rows', async () => {
    childId = await pupilOf(db(), 'brookside')
    await makeTac(db(), { childIds: [childId], lead: 'dsl.brookside', members: ['sw.north', 'police.mash'] })
    dsl = await ctx.s.signIn('dsl.brookside')
    const child = await dsl.get(`/children/${childId}`)
    assert.match(child.body, new RegExp(`href="/children/${childId}/sharing-decisions/new">Record a sharing decision`))
    const page = await dsl.get(`/children/${childId}/sharing-decisions/new`)
    assert.equal(page.statusCode, 200)
    assert.match(page.body, /Schedule 1 paragraph 18/)
    assert.match(page.body, /Safeguarding of children and of individuals at risk/)
    assert.match(page.body, /Public task — Article 6\(1\)\(e\)/)
    assert.match(page.body, /Rule 7: I am recording this decision/)
    assert.doesNotMatch(page.body, new RegExp(`value="${agency('brookside')}"`), 'the own agency is not offered as a recipient')
    const before = (await audits('sharing.decision.record')).length
    const res = await dsl.post(`/children/${childId}/sharing-decisions`, form())
    assert.equal(res.statusCode, 303, summary(res.body))
    const [d] = await decisions()
    decisionId = d!.id
    assert.equal(res.headers.location, `/sharing-decisions/${decisionId}?saved=1`)
    assert.equal(d!.shared, true)
    assert.equal(d!.author_membership_id, membershipOf('dsl.brookside'))
    assert.equal(d!.author_agency_id, agency('brookside'))
    assert.deepEqual(d!.with_agency_ids, [agency('csc')])
    assert.equal(d!.lawful_basis, '6.1.e')
    assert.equal(d!.consent, 'not_sought')
    assert.equal(d!.within_agreement, true)
    assert.equal(d!.agreement_version, 1)
    assert.equal(d!.context, 'manual')
    assert.equal(d!.visibility, 'team')
    assert.deepEqual(d!.golden_rules, Object.fromEntries(ALL_RULES.map((r) => [r, true])))
    const entries = await db().selectFrom('entry').selectAll().where('detail_id', '=', decisionId).execute()
    assert.equal(entries.length, 1)
    assert.equal(entries[0]!.type, 'sharing_decision')
    assert.equal(entries[0]!.child_id, childId)
    assert.equal(entries[0]!.visibility, 'team')
    assert.match(entries[0]!.summary, /shared with Northshire Children's Social Care/)
    const rec = await audits('sharing.decision.record')
    assert.equal(rec.length, before + 1, 'one audit row for the decision')
    assert.equal(rec.at(-1)!.entity_id, decisionId)
    assert.deepEqual(rec.at(-1)!.child_ids, [childId])
    assert.ok(rec.at(-1)!.relationship_id, 'the relationship that granted access is named')
    assert.ok((await audits('sharing.decision.form')).some((a) => a.child_ids.includes(childId)))

    const detail = await dsl.get(`/sharing-decisions/${decisionId}?saved=1`)
    assert.equal(detail.statusCode, 200)
    assert.match(detail.body, /Decision to share/)
    assert.match(detail.body, /Sharing decision recorded/)
    assert.match(detail.body, /Within the agreement \(version 1\)/)
    assert.match(detail.body, /Telling the family could put the child at risk/)
    assert.ok((await audits('sharing.decision.read')).some((a) => a.entity_id === decisionId))

    // the chronology shows it to the team: the social worker in the team around the child sees it, with its label
    const sw = await ctx.s.signIn('sw.north')
    const chron = await sw.get(`/children/${childId}/chronology`)
    assert.equal(chron.statusCode, 200)
    assert.match(chron.body, /Sharing decision: information \(safeguarding[^)]*\) shared with Northshire Children/)
    assert.doesNotMatch(chron.body, /The concern of 3 November/, 'the entry names the kinds of information, not a description of it')
    const list = await sw.get(`/children/${childId}/sharing-decisions`)
    assert.equal(list.statusCode, 200)
    assert.match(list.body, /The concern of 3 November/)
    assert.match(list.body, /Public task/)
    assert.ok((await audits('sharing.decision.list')).some((a) => a.actor_membership_id === membershipOf('sw.north') && a.child_ids.includes(childId)))
  })

  it('a decision NOT to share is recorded with its reasons; its entry is the deciding agency’s (agency), unseen by others', async () => {
    const res = await dsl.post(`/children/${childId}/sharing-decisions`, form({ shared: 'no', withAgencyIds: [agency('police')], what: 'The mother’s disclosure about her new partner', consent: 'refused', consentReason: 'The mother asked us not to tell the police', reasons: 'No risk to the child from sharing it now; we will review if anything changes' }))
    assert.equal(res.statusCode, 303, summary(res.body))
    const d = (await decisions()).at(-1)!
    assert.equal(d.shared, false)
    assert.equal(d.within_agreement, null, 'the agreement is not consulted for a decision not to share')
    assert.equal(d.visibility, 'agency')
    const entry = await db().selectFrom('entry').selectAll().where('detail_id', '=', d.id).executeTakeFirstOrThrow()
    assert.equal(entry.visibility, 'agency')
    assert.match(entry.summary, /decided NOT to share with Northshire Police/)
    const deputy = await ctx.s.signIn('deputy.brookside')
    assert.match((await deputy.get(`/children/${childId}/sharing-decisions`)).body, /The mother’s disclosure/, 'the school’s other safeguarding lead sees it')
    assert.equal((await deputy.get(`/sharing-decisions/${d.id}`)).statusCode, 200)
    const police = await ctx.s.signIn('police.mash')
    const theirs = await police.get(`/children/${childId}/sharing-decisions`)
    assert.equal(theirs.statusCode, 200)
    assert.doesNotMatch(theirs.body, /The mother’s disclosure/, 'the police do not learn what was withheld from them')
    assert.doesNotMatch(theirs.body, /The concern of 3 November/, 'not involved in the school’s share with social care: the police see that it happened, not what it was')
    assert.match(theirs.body, /Seen only by the agencies involved/)
    assert.doesNotMatch((await police.get(`/children/${childId}/chronology`)).body, /decided NOT to share/)
    const hidden = await police.get(`/sharing-decisions/${d.id}`)
    const absent = await police.get(`/sharing-decisions/${randomUUID()}`)
    assert.equal(hidden.statusCode, 404)
    assert.equal(strip(hidden.body), strip(absent.body))
  })

  it('every validation rule: the error summary says what to fix, the input is kept, nothing is saved', async () => {
    const before = (await decisions()).length
    const cases: [string, Record<string, string | string[]>, string, RegExp][] = [
      ['no reasons on a decision not to share', { shared: 'no', reasons: '' }, 'reasons', /Record the reasons for deciding not to share/],
      ['no reasons on a decision to share', { reasons: '  ' }, 'reasons', /Record the reasons for sharing/],
      ['special-category data without an Article 9 condition', { specialCategory: 'yes' }, 'art9Condition', /choose the Article 9 condition/],
      ['health information not marked special category', { categories: ['health'] }, 'specialCategory', /Health information is special-category data/],
      ['Article 9(2)(g) without a Schedule 1 condition', { specialCategory: 'yes', art9Condition: '9.2.g' }, 'schedule1Condition', /Schedule 1 condition/],
      ['paragraph 18 without consent and without its reason', { specialCategory: 'yes', art9Condition: '9.2.g', schedule1Condition: 'sch1.18' }, 'para18Reason', /say which reason applies/],
      ['explicit consent as the Article 9 condition when consent was not given', { specialCategory: 'yes', art9Condition: '9.2.a' }, 'art9Condition', /Explicit consent applies only when consent has been given/],
      ['consent not sought without why', { consentReason: '' }, 'consentReason', /Consent was not sought: record why/],
      ['consent refused without why', { consent: 'refused', consentReason: '' }, 'consentReason', /Consent was refused/],
      ['consent as the lawful basis when consent was not given', { lawfulBasis: '6.1.a' }, 'lawfulBasis', /Consent is the lawful basis only when consent has been given/],
      ['no recipient', { withAgencyIds: [] }, 'withAgencyIds', /Choose who the information is shared with/],
      ['no purpose', { purpose: '' }, 'purpose', /Choose the purpose/],
      ['no lawful basis', { lawfulBasis: '' }, 'lawfulBasis', /Choose the lawful basis/],
      ['nothing said about what', { what: '' }, 'what', /Say what information/],
      ['shared without confirming golden rules 5, 6 and 7', { goldenRules: ['child_protected'] }, 'goldenRules', /confirm golden rules 5, 6 and 7/],
      ['neither shared nor not shared', { shared: '' }, 'shared', /Say whether you shared/],
      ['a lawful basis sent twice', { lawfulBasis: ['6.1.e', '6.1.a'] }, 'lawfulBasis', /This answer was sent more than once: enter it once/],
      ['outside the agreement without a justification', { withAgencyIds: [agency('gp')], purpose: 'crime_prevention' }, 'outsideAgreementReason', /does not cover this \(Riverside Medical Practice: the agreement does not cover sharing with them for preventing or detecting crime\)/],
    ]
    for (const [name, over, field, message] of cases) {
      const res = await dsl.post(`/children/${childId}/sharing-decisions`, form(over))
      assert.equal(res.statusCode, 400, name)
      assert.match(summary(res.body), message, name)
      assert.match(res.body, new RegExp(`href="#${field}"`), `${name}: the summary links to ${field}`)
      assert.match(res.body, 'what' in over ? /Neglect concerns over several weeks/ : /The concern of 3 November/, `${name}: the input is kept`)
    }
    // every problem at once
    const many = await dsl.post(`/children/${childId}/sharing-decisions`, form({ shared: 'no', reasons: '', specialCategory: 'yes', consentReason: '' }))
    for (const m of [/Record the reasons/, /Article 9 condition/, /Consent was not sought/]) assert.match(summary(many.body), m)
    assert.equal((await decisions()).length, before)
    // the agreement check runs in the data layer: its refusal is audited
    assert.ok((await audits('sharing.decision.record')).some((a) => a.outcome === 'refused' && JSON.stringify(a.details).includes('information-sharing agreement')))
  })

  it('consent as the basis needs the record of the consent (who, when, to what): refused without it, kept and shown with it', async () => {
    const before = (await decisions()).length
    const overs: Record<string, string | string[]>[] = [{ lawfulBasis: '6.1.a' }, { specialCategory: 'yes', categories: ['safeguarding', 'health'], art9Condition: '9.2.a' }]
    for (const over of overs) {
      const res = await dsl.post(`/children/${childId}/sharing-decisions`, form({ ...over, consent: 'given', consentReason: ' ' }))
      assert.equal(res.statusCode, 400, JSON.stringify(over))
      assert.match(summary(res.body), /Consent is the basis for sharing: record who gave consent, when, and what they agreed to share/)
      assert.match(res.body, /href="#consentReason"/)
    }
    const token = ((await dsl.get('/api/v1/me')).json() as { csrfToken: string }).csrfToken
    const api = await dsl.postJson(`/api/v1/children/${childId}/sharing-decisions`, { shared: true, what: 'Attendance this term', withAgencyIds: [agency('csc')], purpose: 'safeguarding', categories: ['education'], lawfulBasis: '6.1.a', specialCategory: false, consent: 'given', goldenRules: Object.fromEntries(ALL_RULES.map((r) => [r, true])), reasons: 'The family asked us to share it', idempotencyKey: randomUUID() }, { 'x-csrf-token': token })
    assert.equal(api.statusCode, 400, api.body)
    assert.match(String(api.headers['content-type']), /application\/problem\+json/)
    assert.match(api.body, /consentReason/)
    assert.equal((await decisions()).length, before, 'nothing recorded')
    const record = 'Given by the mother, Sarah Marsh, in person on 28 November 2026, to share this term’s attendance with social care'
    const ok = await dsl.post(`/children/${childId}/sharing-decisions`, form({ lawfulBasis: '6.1.a', consent: 'given', consentReason: record }))
    assert.equal(ok.statusCode, 303, summary(ok.body))
    const d = (await decisions()).at(-1)!
    assert.equal(d.lawful_basis, '6.1.a')
    assert.equal(d.consent_reason, record)
    assert.match((await dsl.get(`/sharing-decisions/${d.id}`)).body, /Given by the mother, Sarah Marsh, in person on 28 November 2026/)
  })

  it('sharing outside the agreement with a justification is recorded and flagged; special-category data without consent names paragraph 18(2)', async () => {
    const res = await dsl.post(`/children/${childId}/sharing-decisions`, form({ withAgencyIds: [agency('gp')], withOther: 'Eastshire Children’s Services', purpose: 'crime_prevention', outsideAgreementReason: 'The GP must know today: the child may be at risk of serious harm tonight' }))
    assert.equal(res.statusCode, 303, summary(res.body))
    const d = (await decisions()).at(-1)!
    assert.equal(d.within_agreement, false)
    assert.equal(d.outside_agreement_reason, 'The GP must know today: the child may be at risk of serious harm tonight')
    assert.deepEqual((d.not_covered as { name: string }[]).map((n) => n.name), ['Riverside Medical Practice', 'Eastshire Children’s Services'])
    const entry = await db().selectFrom('entry').selectAll().where('detail_id', '=', d.id).executeTakeFirstOrThrow()
    assert.equal(entry.significance, 'high')
    assert.match(entry.summary, /outside the information-sharing agreement/)
    const detail = await dsl.get(`/sharing-decisions/${d.id}`)
    assert.match(detail.body, /Shared outside the partnership’s information-sharing agreement/)
    assert.match(detail.body, /Eastshire Children’s Services \(outside the partnership\)/)
    assert.match((await dsl.get(`/children/${childId}/sharing-decisions`)).body, /Outside the agreement/)

    const health = await dsl.post(`/children/${childId}/sharing-decisions`, form({ categories: ['health', 'safeguarding'], specialCategory: 'yes', art9Condition: '9.2.g', schedule1Condition: 'sch1.18', para18Reason: 'would_prejudice' }))
    assert.equal(health.statusCode, 303, summary(health.body))
    const h = (await decisions()).at(-1)!
    assert.equal(h.special_category, true)
    assert.equal(h.art9_condition, '9.2.g')
    assert.equal(h.schedule1_condition, 'sch1.18')
    assert.equal(h.para18_reason, 'would_prejudice')
    const page = await dsl.get(`/sharing-decisions/${h.id}`)
    assert.match(page.body, /Paragraph 18\(2\): without consent because/)
    assert.match(page.body, /Asking for consent would put the protection at risk/)
  })

  it('access: out of scope, no permission and a child that does not exist all answer the same 404; nothing is saved', async () => {
    const stannes = await ctx.s.signIn('dsl.stannes')
    const teacher = await ctx.s.signIn('teacher.brookside')
    const absentId = randomUUID()
    const absent = await stannes.get(`/children/${absentId}/sharing-decisions`)
    assert.equal(absent.statusCode, 404)
    for (const agent of [stannes, teacher]) {
      for (const url of [`/children/${childId}/sharing-decisions`, `/children/${childId}/sharing-decisions/new`, `/sharing-decisions/${decisionId}`]) {
        const res = await agent.get(url)
        assert.equal(res.statusCode, 404, url)
      }
    }
    assert.equal(strip((await stannes.get(`/children/${childId}/sharing-decisions`)).body), strip(absent.body))
    const before = (await decisions()).length
    assert.equal((await stannes.post(`/children/${childId}/sharing-decisions`, form())).statusCode, 404)
    assert.equal((await teacher.post(`/children/${childId}/sharing-decisions`, form())).statusCode, 404)
    assert.equal((await decisions()).length, before)
    assert.ok((await audits('sharing.decision.record')).some((a) => a.actor_membership_id === membershipOf('dsl.stannes') && a.outcome === 'not_found'))
    // a classroom teacher sees the child but records no sharing decision: no link on the child's page
    assert.doesNotMatch((await teacher.get(`/children/${childId}`)).body, /Record a sharing decision/)
  })

  it('the API: GET and POST /api/v1/children/:childId/sharing-decisions, problem+json on bad input, idempotent by key', async () => {
    const me = await dsl.get('/api/v1/me')
    const token = (me.json() as { csrfToken: string }).csrfToken
    const post = (body: unknown, id = childId) => dsl.postJson(`/api/v1/children/${id}/sharing-decisions`, body, { 'x-csrf-token': token })
    const body = {
      shared: true,
      what: 'Attendance this term',
      categories: ['education'],
      withAgencyIds: [agency('health')],
      purpose: 'safeguarding',
      lawfulBasis: '6.1.e',
      specialCategory: false,
      consent: 'given',
      goldenRules: Object.fromEntries(ALL_RULES.map((r) => [r, true])),
      reasons: 'The school nurse is seeing the child on Monday',
      idempotencyKey: randomUUID(),
    }
    const first = await post(body)
    assert.equal(first.statusCode, 201, first.body)
    const made = first.json() as { id: string; withinAgreement: boolean }
    assert.equal(made.withinAgreement, true)
    const again = await post(body)
    assert.equal(again.statusCode, 201, 'the same key and body: the same response again')
    assert.equal(again.headers['idempotent-replayed'], 'true')
    assert.equal((again.json() as { id: string }).id, made.id)
    assert.equal((await db().selectFrom('sharing_decision').select('id').where('idempotency_key', '=', body.idempotencyKey).execute()).length, 1)
    const different = await post({ ...body, what: 'Something else' })
    assert.equal(different.statusCode, 422)
    assert.match(String(different.headers['content-type']), /application\/problem\+json/)

    const bad = await post({ ...body, idempotencyKey: randomUUID(), shared: false, reasons: '', specialCategory: true, consent: 'not_sought', extra: 1 })
    assert.equal(bad.statusCode, 400)
    assert.match(String(bad.headers['content-type']), /application\/problem\+json/)
    const badTypes = (bad.json() as { 'invalid-params': { name: string }[] })['invalid-params'].map((p) => p.name)
    assert.ok(badTypes.includes('body'), `unknown fields are refused: ${badTypes.join(', ')}`)
    const rules = await post({ ...body, idempotencyKey: randomUUID(), shared: false, reasons: '', specialCategory: true, consent: 'not_sought' })
    assert.equal(rules.statusCode, 400)
    const names = (rules.json() as { 'invalid-params': { name: string }[] })['invalid-params'].map((p) => p.name)
    for (const n of ['reasons', 'art9Condition', 'consentReason']) assert.ok(names.includes(n), `${n} is listed: ${names.join(', ')}`)
    const outside = await post({ ...body, idempotencyKey: randomUUID(), withAgencyIds: [agency('gp')], purpose: 'crime_prevention' })
    assert.equal(outside.statusCode, 400)
    assert.ok((outside.json() as { 'invalid-params': { name: string }[] })['invalid-params'].some((p) => p.name === 'outsideAgreementReason'))

    const list = await dsl.get(`/api/v1/children/${childId}/sharing-decisions`)
    assert.equal(list.statusCode, 200)
    const got = list.json() as { decisions: { id: string; shared: boolean; lawfulBasis: string; consent: string; withAgencyIds: string[] }[] }
    const mine = got.decisions.find((d) => d.id === made.id)!
    assert.equal(mine.lawfulBasis, '6.1.e')
    assert.equal(mine.consent, 'given')
    assert.deepEqual(mine.withAgencyIds, [agency('health')])
    assert.ok(got.decisions.some((d) => !d.shared), 'decisions not to share are listed for their own agency')

    const stannes = await ctx.s.signIn('dsl.stannes')
    assert.equal((await stannes.get(`/api/v1/children/${childId}/sharing-decisions`)).statusCode, 404)
    const theirToken = ((await stannes.get('/api/v1/me')).json() as { csrfToken: string }).csrfToken
    assert.equal((await stannes.postJson(`/api/v1/children/${childId}/sharing-decisions`, { ...body, idempotencyKey: randomUUID() }, { 'x-csrf-token': theirToken })).statusCode, 404)
  })

  it('the information-sharing agreement: seeded, changed by the partnership administrator in versions (stale → 409, nothing lost), audited; decisions follow it', async () => {
    const admin = await ctx.s.signIn('partnership.admin')
    const page = await admin.get('/settings/sharing-agreement')
    assert.equal(page.statusCode, 200)
    assert.match(page.body, /Version 1/)
    assert.match(page.body, /Any agency tells children’s social care/)
    assert.equal((await dsl.get('/settings/sharing-agreement')).statusCode, 403)
    assert.equal((await dsl.post('/settings/sharing-agreement', { version: '1', from: 'any', to: 'any', categories: 'identity', purposes: 'safeguarding' })).statusCode, 403)

    const rule = { from: `kind:school`, to: `agency:${agency('gp')}`, categories: ['identity', 'safeguarding', 'family', 'education'], purposes: ['crime_prevention'], note: 'Schools tell the practice about exploitation risks' }
    const bad = await admin.post('/settings/sharing-agreement', { version: '1', from: '', to: 'any', categories: [], purposes: [] })
    assert.equal(bad.statusCode, 400)
    assert.match(summary(bad.body), /Choose who shares/)
    assert.match(summary(bad.body), /Choose at least one purpose/)
    // a single-value field sent twice (a hand-made request) is refused, not read as its first value
    const twice = await admin.post('/settings/sharing-agreement', { version: '1', ...rule, from: ['kind:school', 'any'] })
    assert.equal(twice.statusCode, 400)
    assert.match(summary(twice.body), /This answer was sent more than once/)
    const endTwice = await admin.post(`/settings/sharing-agreement/rules/${randomUUID()}/end`, { version: ['1', '1'] })
    assert.equal(endTwice.statusCode, 400)
    assert.equal((await db().selectFrom('sharing_agreement').select('version').executeTakeFirstOrThrow()).version, 1, 'nothing changed')
    const added = await admin.post('/settings/sharing-agreement', { version: '1', ...rule })
    assert.equal(added.statusCode, 303, summary(added.body))
    const head = await db().selectFrom('sharing_agreement').selectAll().executeTakeFirstOrThrow()
    assert.equal(head.version, 2)
    const stale = await admin.post('/settings/sharing-agreement', { version: '1', ...rule, note: 'My change, made against version 1' })
    assert.equal(stale.statusCode, 409)
    assert.match(stale.body, /Someone else changed the agreement/)
    assert.match(stale.body, /My change, made against version 1/, 'the stale change is kept in the form')
    assert.equal((await db().selectFrom('sharing_agreement').select('version').executeTakeFirstOrThrow()).version, 2)
    const changes = await audits('sharing.agreement.change')
    assert.ok(changes.some((a) => a.outcome === 'success' && (a.details as { version?: number }).version === 2))
    assert.ok(changes.some((a) => a.outcome === 'refused'))

    // the school → GP share for crime prevention is now within the agreement (version 2)
    const res = await dsl.post(`/children/${childId}/sharing-decisions`, form({ withAgencyIds: [agency('gp')], purpose: 'crime_prevention' }))
    assert.equal(res.statusCode, 303, summary(res.body))
    const d = (await decisions()).at(-1)!
    assert.equal(d.within_agreement, true)
    assert.equal(d.agreement_version, 2)

    // ending the rule (version 3) keeps it, ended; the same share is outside the agreement again
    const added2 = await db().selectFrom('sharing_agreement_rule').select('id').where('added_in_version', '=', 2).executeTakeFirstOrThrow()
    const changePage = await admin.get(`/settings/sharing-agreement?edit=${added2.id}`)
    assert.match(changePage.body, /Change a rule/)
    const ended = await admin.post(`/settings/sharing-agreement/rules/${added2.id}/end`, { version: '2' })
    assert.equal(ended.statusCode, 303)
    const row = await db().selectFrom('sharing_agreement_rule').selectAll().where('id', '=', added2.id).executeTakeFirstOrThrow()
    assert.equal(row.ended_in_version, 3)
    assert.ok(row.effective_to)
    assert.match((await admin.get('/settings/sharing-agreement')).body, /Rules no longer in force/)
    assert.equal((await admin.post(`/settings/sharing-agreement/rules/${randomUUID()}/end`, { version: '3' })).statusCode, 404)
    const outside = await dsl.post(`/children/${childId}/sharing-decisions`, form({ withAgencyIds: [agency('gp')], purpose: 'crime_prevention' }))
    assert.equal(outside.statusCode, 400)
    assert.match(summary(outside.body), /record why sharing outside the agreement is justified/)
  })

  it('a referral to the front door is recorded as a sharing decision derived from the referral', async () => {
    const newPage = await dsl.get(`/referrals/new?child=${childId}`)
    const key = /name="idempotencyKey" value="([^"]+)"/.exec(newPage.body)?.[1] ?? randomUUID()
    const res = await dsl.post('/referrals', { children: childId, kind: 'referral', reason: 'Bruising seen on both arms; the child said Dad grabbed him.', levelBelieved: '4', levelReason: 'Possible significant harm', parentsKnow: 'no', parentsNotToldReason: 'Telling Dad could put the child at risk', urgency: 'today', idempotencyKey: key })
    assert.equal(res.statusCode, 303, res.body.slice(0, 400))
    const referral = await db().selectFrom('referral').select(['id', 'child_id']).where('idempotency_key', '=', key).executeTakeFirstOrThrow()
    const d = await db().selectFrom('sharing_decision').selectAll().where('context', '=', 'referral').where('context_id', '=', referral.id).executeTakeFirstOrThrow()
    assert.equal(d.child_id, childId)
    assert.equal(d.shared, true)
    assert.deepEqual(d.with_agency_ids, [agency('csc')])
    assert.equal(d.purpose, 'referral')
    assert.equal(d.lawful_basis, '6.1.e')
    assert.equal(d.consent, 'not_sought')
    assert.equal(d.consent_reason, 'The parents or carers were not told: Telling Dad could put the child at risk')
    assert.equal(d.within_agreement, true)
    assert.doesNotMatch(d.what + d.reasons, /Bruising/, 'the referral’s narrative stays on the referral')
    const entry = await db().selectFrom('entry').selectAll().where('detail_id', '=', d.id).executeTakeFirstOrThrow()
    assert.equal(entry.type, 'sharing_decision')
    assert.equal(entry.visibility, 'team')
    assert.ok((await audits('sharing.decision.record')).some((a) => a.entity_id === d.id && (a.details as { context?: string }).context === 'referral'))
    // the front door records a call from the public: nothing moves between agencies, no sharing decision
    const fd = await ctx.s.signIn('frontdoor')
    const fdNew = await fd.get(`/referrals/new?child=${childId}`)
    const fdKey = /name="idempotencyKey" value="([^"]+)"/.exec(fdNew.body)?.[1] ?? randomUUID()
    const pub = await fd.post('/referrals', { children: childId, kind: 'contact', reason: 'A neighbour heard shouting', levelBelieved: '3', levelReason: 'Unclear', parentsKnow: 'yes', urgency: 'routine', publicName: 'A neighbour', publicContact: '01632 960 000', idempotencyKey: fdKey })
    assert.equal(pub.statusCode, 303, pub.body.slice(0, 400))
    const fdReferral = await db().selectFrom('referral').select('id').where('idempotency_key', '=', fdKey).executeTakeFirstOrThrow()
    assert.equal((await db().selectFrom('sharing_decision').select('id').where('context_id', '=', fdReferral.id).execute()).length, 0)
  })
})
