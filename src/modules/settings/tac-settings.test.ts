import assert from 'node:assert/strict'
import { it } from 'node:test'
import { randomUUID } from 'node:crypto'
import { describeApp } from '../../../test/support/app.ts'
import type { Agent } from '../../../test/support/agent.ts'
import { makeTac, membershipOf, PARTNERSHIP as P, pupilOf } from '../../../test/support/tac.ts'
import type { Actor } from '../../data/actor.ts'
import type { Role } from '../../access/policy.ts'
import { stableUuid } from '../../data/ids.ts'
import { DEFAULT_DOMAINS } from '../assessments/codes.ts'
import { DEFAULT_RULES, RULES_KEY, rulesArchiveKey } from '../exploitation/scoring.ts'
import { startVisitClock } from '../visits/visit-clock.ts'
import { indicatorCode } from './tac-settings.ts'

const U = '/settings/team-around-the-child'

/** The hidden rowVersion of the form on a page. */
const versionOf = (body: string) => {
  const m = /name="rowVersion" value="(\d+)"/.exec(body)
  assert.ok(m, 'the form carries the version it was opened at')
  return m[1]!
}

/** The form fields of the domains page as it was rendered (every domain unchanged). */
function domainsForm(body: string): Record<string, string> {
  const form: Record<string, string> = { rowVersion: versionOf(body) }
  for (const m of body.matchAll(/name="(key|label|side|position)_(\d+)"(?: type="\w+")? value="([^"]*)"/g)) form[`${m[1]}_${m[2]}`] = m[3]!.replace(/&amp;/g, '&').replace(/&#39;/g, "'").replace(/&quot;/g, '"')
  for (const m of body.matchAll(/name="retired_(\d+)" type="checkbox" value="yes" checked/g)) form[`retired_${m[1]}`] = 'yes'
  return form
}
/** The form fields of the rules page as it was rendered. */
function rulesForm(body: string): Record<string, string> {
  const form: Record<string, string> = { rowVersion: versionOf(body) }
  for (const m of body.matchAll(/name="(code|label|hint)_(\d+)"(?: type="\w+")? value="([^"]*)"/g)) form[`${m[1]}_${m[2]}`] = m[3]!.replace(/&amp;/g, '&').replace(/&#39;/g, "'").replace(/&quot;/g, '"')
  for (const f of ['medium', 'high']) form[f] = new RegExp(`name="${f}" type="text" value="(\\d+)"`).exec(body)![1]!
  form.anyThreeIsHigh = /name="anyThreeIsHigh" type="radio" value="yes" checked/.test(body) ? 'yes' : 'no'
  return form
}
const keyIndex = (form: Record<string, string>, prefix: 'key' | 'code', value: string) => {
  const k = Object.entries(form).find(([f, v]) => f.startsWith(`${prefix}_`) && v === value)
  assert.ok(k, `${prefix} ${value} is on the form`)
  return k[0].slice(prefix.length + 1)
}

describeApp('team-around-the-child settings: screens for the partnership administrator', (ctx) => {
  const db = () => ctx.s.t.db
  const setting = (key: string) => db().selectFrom('partnership_setting').selectAll().where('partnership_id', '=', P).where('key', '=', key).executeTakeFirst()
  const auditOf = (action: string) => db().selectFrom('audit_event').select(['action', 'outcome', 'details', 'entity_id', 'actor_membership_id']).where('action', '=', action).orderBy('id').execute()
  let admin: Agent

  it('the settings page links the four screens for the partnership administrator, and says which are defaults', async () => {
    admin = await ctx.s.signIn('partnership.admin')
    const page = await admin.get('/settings')
    assert.equal(page.statusCode, 200)
    assert.match(page.body, /<h1 class="govuk-heading-l">Settings<\/h1>/)
    assert.match(page.body, /class="govuk-service-navigation__link" href="\/settings"[^>]*>\s*(<strong[^>]*>)?Settings</, 'the menu calls it Settings for the partnership administrator')
    for (const path of ['assessment-domains', 'visit-frequency', 'exploitation-rules', 'mace-panel']) assert.ok(page.body.includes(`href="${U}/${path}"`), `links ${path}`)
    assert.match(page.body, /11 in use \(the built-in default\)/)
    assert.match(page.body, /At least every 10 working days \(the built-in default\)/)
    assert.match(page.body, /Version 1: 15 questions, medium from 8, high from 16 \(the built-in default\)/)
    assert.match(page.body, /Missing and Exploited Children Team \(the built-in default\), with every children’s social care team manager/)
    // an agency administrator keeps the calendars page, without these
    const agencyAdmin = await ctx.s.signIn('admin.csc')
    const theirs = await agencyAdmin.get('/settings')
    assert.equal(theirs.statusCode, 200)
    assert.match(theirs.body, /Calendars and lists/)
    assert.doesNotMatch(theirs.body, /team-around-the-child/)
  })

  it('access: only the partnership administrator (partnership:administer); every other role is refused by the route gate, and the refusal is audited', async () => {
    const urls = ['assessment-domains', 'visit-frequency', 'exploitation-rules', 'exploitation-rules/versions/1', 'mace-panel']
    for (const u of urls) assert.equal((await admin.get(`${U}/${u}`)).statusCode, 200, u)
    const before = await db().selectFrom('partnership_setting').select(['key', 'row_version']).where('partnership_id', '=', P).execute()
    for (const key of ['admin.csc', 'manager.north', 'dsl.brookside', 'ig', 'police.missing']) {
      const other = await ctx.s.signIn(key)
      for (const u of urls) assert.equal((await other.get(`${U}/${u}`)).statusCode, 403, `${key} GET ${u}`)
      assert.equal((await other.post(`${U}/visit-frequency`, { rowVersion: '0', days: '3' })).statusCode, 403, key)
      assert.equal((await other.post(`${U}/mace-panel`, { rowVersion: '0', teams: stableUuid('northshire:team:police:mash-desk') })).statusCode, 403, key)
      assert.equal((await other.post(`${U}/exploitation-rules`, { rowVersion: '0', medium: '1', high: '2', anyThreeIsHigh: 'no' })).statusCode, 403, key)
      assert.equal((await other.post(`${U}/assessment-domains`, { rowVersion: '0', newLabel: 'Not mine' })).statusCode, 403, key)
    }
    assert.deepEqual(await db().selectFrom('partnership_setting').select(['key', 'row_version']).where('partnership_id', '=', P).execute(), before, 'nothing was changed')
    const refused = (await auditOf('settings.visit-frequency')).filter((a) => a.outcome === 'refused')
    assert.equal(refused.length, 5)
    assert.ok(refused.every((a) => (a.details as { permission?: string }).permission === 'partnership:administer'))
    // the data layer refuses too (a second gate, whatever the route)
    const m = await db().selectFrom('membership').select(['id', 'practitioner_id', 'agency_id', 'team_id', 'role']).where('id', '=', membershipOf('admin.csc')).executeTakeFirstOrThrow()
    const actor: Actor = { kind: 'practitioner', partnershipId: P, practitionerId: m.practitioner_id, membershipId: m.id, agencyId: m.agency_id, teamId: m.team_id, role: m.role as Role, requestId: 'test' }
    await assert.rejects(ctx.s.data.forActor(actor).tacSettings.saveVisitFrequency({ rowVersion: 0, days: 3 }), /Only a partnership administrator/)
    await assert.rejects(ctx.s.data.forActor(actor).tacSettings.rules(), /Only a partnership administrator/)
  })

  it('visit frequency: bad input → 400 with the error summary and the input kept, nothing saved', async () => {
    const page = await admin.get(`${U}/visit-frequency`)
    assert.match(page.body, /Not changed yet: the built-in default applies/)
    assert.match(page.body, /name="days" type="text" value="10"/)
    for (const [days, message] of [
      ['0', 'from 1 to 30'],
      ['31', 'from 1 to 30'],
      ['7.5', 'whole number'],
      ['ten', 'whole number'],
      ['', 'Enter the number of working days'],
    ] as const) {
      const bad = await admin.post(`${U}/visit-frequency`, { rowVersion: versionOf(page.body), days })
      assert.equal(bad.statusCode, 400, days)
      assert.match(bad.body, /govuk-error-summary/)
      assert.match(bad.body, new RegExp(`href="#days">[^<]*${message}`))
      assert.ok(bad.body.includes(`name="days" type="text" value="${days}"`), 'the input is kept')
    }
    assert.equal((await admin.post(`${U}/visit-frequency`, { days: '5' })).statusCode, 400, 'without the version the form was opened at')
    assert.equal(await setting('cp.visit_working_days'), undefined)
  })

  it('visit frequency: a change is audited, and the next statutory visit clock counts it (a clock already running keeps its due date)', async () => {
    // a child on a CP plan since Monday 1 February 2027, 10:00: the first visit is due in 10 working days
    const alloc = await db().selectFrom('relationship').select('child_id').where('type', '=', 'allocated_worker').where('holder_membership_id', '=', membershipOf('sw.north')).where('ends_at', 'is', null).orderBy('child_id').executeTakeFirstOrThrow()
    const childId = alloc.child_id
    const tacId = await makeTac(db(), { childIds: [childId], level: 'child_protection', lead: 'sw.north' })
    const icpcAt = new Date('2027-02-01T10:00:00Z')
    ctx.s.clock.set(icpcAt)
    const meetingId = randomUUID()
    await db().insertInto('meeting').values({ id: meetingId, partnership_id: P, tac_id: tacId, kind: 'icpc', title: 'Initial child protection conference', scheduled_at: icpcAt, mode: 'in_person', chair_membership_id: membershipOf('manager.north'), status: 'held', held_at: icpcAt, created_by: membershipOf('sw.north'), created_at: icpcAt }).execute()
    const planId = randomUUID()
    await db().insertInto('cp_plan').values({ id: planId, partnership_id: P, tac_id: tacId, child_id: childId, enquiry_id: null, icpc_meeting_id: meetingId, category: 'neglect', started_at: icpcAt, ended_at: null, end_reason: null, created_at: icpcAt }).execute()
    const m = await db().selectFrom('membership').select(['id', 'practitioner_id', 'agency_id', 'team_id', 'role']).where('id', '=', membershipOf('sw.north')).executeTakeFirstOrThrow()
    const sw: Actor = { kind: 'practitioner', partnershipId: P, practitionerId: m.practitioner_id, membershipId: m.id, agencyId: m.agency_id, teamId: m.team_id, role: m.role as Role, requestId: 'test' }
    const first = await db().transaction().execute((trx) => startVisitClock(trx, sw, planId, childId, icpcAt))
    assert.equal(first.dueAt.toISOString(), '2027-02-15T17:00:00.000Z')

    admin = await ctx.s.signIn('partnership.admin')
    const page = await admin.get(`${U}/visit-frequency`)
    const res = await admin.post(`${U}/visit-frequency`, { rowVersion: versionOf(page.body), days: '5' })
    assert.equal(res.statusCode, 303)
    assert.equal(res.headers.location, `${U}/visit-frequency?saved=saved`)
    const row = await setting('cp.visit_working_days')
    assert.deepEqual([row?.value, row?.row_version, row?.updated_by], [5, 1, membershipOf('partnership.admin')])
    const after = await admin.get(`${U}/visit-frequency?saved=saved`)
    assert.match(after.body, /Saved\. The next statutory visit clock/)
    assert.match(after.body, /Last changed .* by George Allen/)
    const [audit] = (await auditOf('settings.visit-frequency')).filter((a) => a.outcome === 'success')
    assert.deepEqual([audit!.entity_id, audit!.actor_membership_id, (audit!.details as { from: number }).from, (audit!.details as { to: number }).to], ['cp.visit_working_days', membershipOf('partnership.admin'), 10, 5])

    // the next request uses it: the visits page, and the clock started by the next visit (Wednesday 3 February)
    ctx.s.clock.set(new Date('2027-02-03T12:00:00Z'))
    const worker = await ctx.s.signIn('sw.north')
    const visits = await worker.get(`/children/${childId}/visits`)
    assert.match(visits.body, /At least every 5 working days/)
    assert.match(visits.body, /15 February 2027/, 'the clock already running keeps its due date')
    const done = await worker.post(`/children/${childId}/visits`, { visitedDate: '2027-02-03', visitedTime: '11:00', childSeen: 'yes', seenAlone: 'yes', childWords: 'Fine', observations: '' })
    assert.equal(done.statusCode, 303, done.body.slice(0, 300))
    const clocks = await db().selectFrom('clock').select(['state', 'due_at']).where('subject_type', '=', 'cp_plan.visit').where('subject_id', '=', planId).orderBy('created_at').execute()
    // 4, 5, 8, 9, 10 February: Wednesday 10 February 17:00
    assert.deepEqual(clocks.map((c) => [c.state, c.due_at.toISOString()]), [
      ['met', '2027-02-15T17:00:00.000Z'],
      ['running', '2027-02-10T17:00:00.000Z'],
    ])
  })

  it('visit frequency: two administrators at once — the second is told, nothing of the first is overwritten, and can then save over it', async () => {
    const a = await ctx.s.signIn('partnership.admin')
    const b = await ctx.s.signIn('partnership.admin')
    const pageA = await a.get(`${U}/visit-frequency`)
    const pageB = await b.get(`${U}/visit-frequency`)
    assert.equal((await a.post(`${U}/visit-frequency`, { rowVersion: versionOf(pageA.body), days: '7' })).statusCode, 303)
    const stale = await b.post(`${U}/visit-frequency`, { rowVersion: versionOf(pageB.body), days: '12' })
    assert.equal(stale.statusCode, 409)
    assert.match(stale.body, /Someone else changed the visit frequency while you were editing/)
    assert.match(stale.body, /George Allen saved a change/)
    assert.match(stale.body, /7 working days/)
    assert.match(stale.body, /name="days" type="text" value="12"/, 'their input is kept in the form')
    assert.equal((await setting('cp.visit_working_days'))?.value, 7, 'the first change stands')
    const conflicts = (await auditOf('settings.visit-frequency')).filter((x) => x.outcome === 'refused' && (x.details as { conflict?: boolean }).conflict)
    assert.equal(conflicts.length, 1)
    // saving again from the conflict page (it carries the current version) applies theirs on top, knowingly
    assert.equal((await b.post(`${U}/visit-frequency`, { rowVersion: versionOf(stale.body), days: '12' })).statusCode, 303)
    assert.deepEqual([(await setting('cp.visit_working_days'))?.value, (await setting('cp.visit_working_days'))?.row_version], [12, 3])
    // the same number again: nothing to save, no new version
    const again = await b.get(`${U}/visit-frequency`)
    const same = await b.post(`${U}/visit-frequency`, { rowVersion: versionOf(again.body), days: '12' })
    assert.equal(same.headers.location, `${U}/visit-frequency?saved=unchanged`)
    assert.equal((await setting('cp.visit_working_days'))?.row_version, 3)
    // leave the default for the tests after this one
    const last = await b.get(`${U}/visit-frequency`)
    assert.equal((await b.post(`${U}/visit-frequency`, { rowVersion: versionOf(last.body), days: '10' })).statusCode, 303)
  })

  let tacId: string
  let oldAssessment: string
  it('assessment domains: rename, reorder, retire and add; an assessment already started keeps its domains, a new one gets the new list', async () => {
    const childId = await pupilOf(db(), 'brookside', 3)
    tacId = await makeTac(db(), { childIds: [childId], lead: 'dsl.brookside' })
    const dsl = await ctx.s.signIn('dsl.brookside')
    await dsl.get(`/teams/${tacId}/assessments/new`)
    const started = await dsl.post(`/teams/${tacId}/assessments`, { childId, kind: 'early_help' })
    assert.equal(started.statusCode, 303, started.body.slice(0, 300))
    oldAssessment = (await db().selectFrom('assessment').select('id').where('tac_id', '=', tacId).executeTakeFirstOrThrow()).id

    admin = await ctx.s.signIn('partnership.admin')
    const page = await admin.get(`${U}/assessment-domains`)
    assert.equal(page.statusCode, 200)
    const form = domainsForm(page.body)
    assert.equal(Object.keys(form).filter((k) => k.startsWith('key_')).length, DEFAULT_DOMAINS.length)
    const health = keyIndex(form, 'key', 'health')
    const community = keyIndex(form, 'key', 'community')
    const housing = keyIndex(form, 'key', 'housing_income')
    form[`label_${health}`] = 'Physical and mental health'
    form[`retired_${community}`] = 'yes'
    form[`position_${housing}`] = '1'
    form.newLabel = 'Young carers'
    form.newSide = 'Family and environmental factors'
    const res = await admin.post(`${U}/assessment-domains`, form)
    assert.equal(res.statusCode, 303, res.body.slice(0, 500))
    const stored = (await setting('assessment.domains'))!.value as { key: string; label: string; retired?: boolean }[]
    assert.equal(stored[0]!.key, 'housing_income', 'moved to the top')
    assert.equal(stored.find((d) => d.key === 'health')!.label, 'Physical and mental health')
    assert.equal(stored.find((d) => d.key === 'community')!.retired, true)
    assert.equal(stored.at(-1)!.key, 'young_carers')
    const [audit] = (await auditOf('settings.assessment-domains')).filter((a) => a.outcome === 'success')
    assert.deepEqual(audit!.details, { rowVersion: 1, added: ['young_carers'], renamed: ['health'], retired: ['community'], reinstated: [], reordered: true })

    // a new assessment (next request) starts with the new list; the one already started keeps its own
    await db().updateTable('assessment').set({ status: 'completed', completed_at: ctx.s.clock.now() }).where('id', '=', oldAssessment).execute()
    await dsl.get(`/teams/${tacId}/assessments/new`)
    assert.equal((await dsl.post(`/teams/${tacId}/assessments`, { childId, kind: 'early_help' })).statusCode, 303)
    const fresh = (await db().selectFrom('assessment').select('id').where('tac_id', '=', tacId).where('id', '!=', oldAssessment).executeTakeFirstOrThrow()).id
    const domainsOf = async (id: string) => (await db().selectFrom('assessment_domain').select('domain').where('assessment_id', '=', id).execute()).map((d) => d.domain).sort()
    assert.deepEqual(await domainsOf(oldAssessment), DEFAULT_DOMAINS.map((d) => d.key).sort())
    assert.deepEqual(await domainsOf(fresh), [...DEFAULT_DOMAINS.map((d) => d.key).filter((k) => k !== 'community'), 'young_carers'].sort())
    const oldPage = await dsl.get(`/teams/${tacId}/assessments/${oldAssessment}`)
    assert.equal(oldPage.statusCode, 200)
    assert.match(oldPage.body, /Social integration and community resources/, 'the retired domain keeps its name on the assessment that used it')
    assert.doesNotMatch(oldPage.body, /Young carers/)
    const newPage = await dsl.get(`/teams/${tacId}/assessments/${fresh}`)
    assert.match(newPage.body, /Young carers/)
    assert.match(newPage.body, /Physical and mental health/)
    assert.doesNotMatch(newPage.body, /Social integration and community resources/)
    assert.ok(newPage.body.indexOf('Housing, employment and income') < newPage.body.indexOf('Physical and mental health'), 'in the new order')
    // the screen counts how many assessments use each domain
    const counts = await admin.get(`${U}/assessment-domains`)
    assert.match(counts.body, /Young carers"[\s\S]*?govuk-table__cell--numeric">1</)
  })

  it('assessment domains: bad input → 400 with the error summary, input kept, nothing saved; a retired domain can come back', async () => {
    const page = await admin.get(`${U}/assessment-domains`)
    const form = domainsForm(page.body)
    const before = (await setting('assessment.domains'))!.row_version
    const keys = Object.keys(form).filter((k) => k.startsWith('key_')).map((k) => k.slice(4))
    const cases: [Record<string, string>, RegExp][] = [
      [{ [`label_${keys[1]}`]: '   ' }, /href="#label_1">Enter a name for domain 2/],
      [{ [`label_${keys[2]}`]: form[`label_${keys[0]}`]! }, /href="#label_2">Domain 3 has the same name as domain 1/],
      [{ newLabel: form[`label_${keys[0]}`]!.toUpperCase() }, /href="#newLabel">There is already a domain called/],
      [{ newSide: 'A heading alone' }, /href="#newLabel">Enter a name for the new domain/],
      [{ [`position_${keys[0]}`]: 'first' }, /href="#position_0">Enter the position of domain 1 as a whole number/],
      [Object.fromEntries(keys.map((k) => [`retired_${k}`, 'yes'])), /Keep at least one domain in use/],
      [{ [`key_${keys[0]}`]: 'not_a_domain' }, /does not match the saved list/],
    ]
    for (const [change, message] of cases) {
      const bad = await admin.post(`${U}/assessment-domains`, { ...form, ...change })
      assert.equal(bad.statusCode, 400, String(message))
      assert.match(bad.body, /govuk-error-summary/)
      assert.match(bad.body, message)
    }
    const kept = await admin.post(`${U}/assessment-domains`, { ...form, [`label_${keys[1]}`]: '', newLabel: 'Kept new domain' })
    assert.match(kept.body, /name="newLabel" type="text" value="Kept new domain"/, 'the input is kept')
    assert.equal((await setting('assessment.domains'))!.row_version, before, 'nothing was saved')
    // bring the retired domain back
    const community = keyIndex(form, 'key', 'community')
    const back = await admin.post(`${U}/assessment-domains`, { ...Object.fromEntries(Object.entries(form).filter(([k]) => k !== `retired_${community}`)) })
    assert.equal(back.statusCode, 303)
    const stored = (await setting('assessment.domains'))!.value as { key: string; retired?: boolean }[]
    assert.equal(stored.find((d) => d.key === 'community')!.retired, undefined)
    const audits = (await auditOf('settings.assessment-domains')).filter((a) => a.outcome === 'success')
    assert.deepEqual((audits.at(-1)!.details as { reinstated: string[] }).reinstated, ['community'])
  })

  it('assessment domains: a stale form is refused with both versions; theirs stands', async () => {
    const a = await ctx.s.signIn('partnership.admin')
    const b = await ctx.s.signIn('partnership.admin')
    const formA = domainsForm((await a.get(`${U}/assessment-domains`)).body)
    const formB = domainsForm((await b.get(`${U}/assessment-domains`)).body)
    assert.equal((await a.post(`${U}/assessment-domains`, { ...formA, newLabel: 'Faith and culture' })).statusCode, 303)
    const stale = await b.post(`${U}/assessment-domains`, { ...formB, newLabel: 'Friendships' })
    assert.equal(stale.statusCode, 409)
    assert.match(stale.body, /Someone else changed the domains/)
    assert.match(stale.body, /Faith and culture/)
    assert.match(stale.body, /Friendships \(new\)/)
    assert.match(stale.body, /name="newLabel" type="text" value="Friendships"/)
    const stored = (await setting('assessment.domains'))!.value as { label: string }[]
    assert.ok(stored.some((d) => d.label === 'Faith and culture'))
    assert.ok(!stored.some((d) => d.label === 'Friendships'))
  })

  it('assessment domains: a name with markup is shown as text, never run', async () => {
    const form = domainsForm((await admin.get(`${U}/assessment-domains`)).body)
    assert.equal((await admin.post(`${U}/assessment-domains`, { ...form, newLabel: '<script>alert("x")</script> & <b>bold</b>' })).statusCode, 303)
    const page = await admin.get(`${U}/assessment-domains`)
    assert.ok(page.body.includes('value="&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;"'))
    assert.ok(page.body.includes('Retired<span class="govuk-visually-hidden">: &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;</span>'))
    assert.ok(!page.body.includes('<script>alert'))
    assert.ok(!page.body.includes('<b>bold</b>'))
  })

  let childId: string
  it('exploitation rules: a change makes version 2 and archives version 1; a new screening scores under 2, the old one keeps 1', async () => {
    childId = await pupilOf(db(), 'brookside', 5)
    const dsl = await ctx.s.signIn('dsl.brookside')
    await dsl.get(`/children/${childId}/exploitation`)
    const v1 = Object.fromEntries(DEFAULT_RULES.indicators.map((i, k) => [`score_${i.code}`, k < 4 ? '2' : i.code === 'injuries' ? '1' : '0']))
    assert.equal((await dsl.post(`/children/${childId}/exploitation/screenings`, { ...v1, rulesVersion: '1' })).statusCode, 303)

    admin = await ctx.s.signIn('partnership.admin')
    const page = await admin.get(`${U}/exploitation-rules`)
    assert.equal(page.statusCode, 200)
    assert.match(page.body, /this is version 1/)
    const form = rulesForm(page.body)
    assert.deepEqual([form.medium, form.high, form.anyThreeIsHigh], ['8', '16', 'yes'])
    const injuries = keyIndex(form, 'code', 'injuries')
    form[`remove_${injuries}`] = 'yes'
    form[`label_${keyIndex(form, 'code', 'missing')}`] = 'Going missing, or returning late'
    form.newLabel_1 = 'County lines activity'
    form.newHint_1 = 'Holding or moving drugs for others'
    Object.assign(form, { medium: '4', high: '8', anyThreeIsHigh: 'no' })
    const res = await admin.post(`${U}/exploitation-rules`, form)
    assert.equal(res.statusCode, 303, res.body.slice(0, 500))
    const current = (await setting(RULES_KEY))!.value as typeof DEFAULT_RULES
    assert.equal(current.version, 2)
    assert.deepEqual(current.thresholds, { medium: 4, high: 8 })
    assert.equal(current.anyThreeIsHigh, false)
    assert.ok(!current.indicators.some((i) => i.code === 'injuries'))
    assert.deepEqual(current.indicators.at(-1), { code: 'county_lines_activity', label: 'County lines activity', hint: 'Holding or moving drugs for others' })
    assert.equal(current.indicators[0]!.label, 'Going missing, or returning late')
    const archived = (await setting(rulesArchiveKey(1)))!
    assert.deepEqual((archived.value as typeof DEFAULT_RULES).indicators, DEFAULT_RULES.indicators, 'version 1 is archived as it was')
    assert.equal(archived.updated_by, membershipOf('partnership.admin'))
    const [audit] = (await auditOf('settings.exploitation-rules')).filter((a) => a.outcome === 'success')
    assert.deepEqual(audit!.details, { fromVersion: 1, toVersion: 2, archivedAs: 'exploitation.rules@v1', added: ['county_lines_activity'], removed: ['injuries'], thresholds: { medium: 4, high: 8 }, anyThreeIsHigh: false })

    // the next screening asks the version 2 questions and scores under them (the same 2+2+2+2 is high at 8)
    const form2 = await dsl.get(`/children/${childId}/exploitation`)
    assert.match(form2.body, /County lines activity/)
    assert.match(form2.body, /name="rulesVersion" value="2"/)
    const v2 = Object.fromEntries(current.indicators.map((i, k) => [`score_${i.code}`, k < 4 ? '2' : '0']))
    assert.equal((await dsl.post(`/children/${childId}/exploitation/screenings`, { ...v2, rulesVersion: '2' })).statusCode, 303)
    const rows = await db().selectFrom('exploitation_screening').select(['total', 'level', 'rules_version']).where('child_id', '=', childId).orderBy('at').execute()
    assert.deepEqual(rows, [
      { total: 9, level: 'medium', rules_version: 1 },
      { total: 8, level: 'high', rules_version: 2 },
    ])
    const shown = await dsl.get(`/children/${childId}/exploitation`)
    assert.match(shown.body, /rules version 1/)
    assert.match(shown.body, /rules version 2/)
    assert.match(shown.body, /Unexplained injuries\s*<\/dt>\s*<dd class="govuk-summary-list__value">\s*1 Some concern/, 'the old screening reads under version 1')

    // the history: both versions, how many screenings each scored, and each version's questions
    const history = await admin.get(`${U}/exploitation-rules`)
    assert.match(history.body, /Version 2<\/a> <strong class="govuk-tag govuk-tag--green">Current/)
    assert.match(history.body, /Version 1<\/a><\/td>\s*<td class="govuk-table__cell">From the start<br>until [^<]+, replaced by George Allen/)
    const v1page = await admin.get(`${U}/exploitation-rules/versions/1`)
    assert.equal(v1page.statusCode, 200)
    assert.match(v1page.body, /Unexplained injuries/)
    assert.match(v1page.body, /These rules have been replaced/)
    assert.doesNotMatch(v1page.body, /County lines activity/)
    assert.equal((await admin.get(`${U}/exploitation-rules/versions/3`)).statusCode, 404)
    assert.equal((await admin.get(`${U}/exploitation-rules/versions/two`)).statusCode, 404)
  })

  it('exploitation rules: bad input → 400 with the error summary and input kept; no new version', async () => {
    const page = await admin.get(`${U}/exploitation-rules`)
    const form = rulesForm(page.body)
    const codes = Object.keys(form).filter((k) => k.startsWith('code_')).map((k) => k.slice(5))
    const cases: [Record<string, string>, RegExp][] = [
      [{ medium: '9', high: '5' }, /href="#medium">The medium threshold cannot be above the high threshold/],
      [{ high: '200' }, /href="#high">The high threshold cannot be above the highest possible score \(48: 16 questions/],
      [{ medium: '' }, /href="#medium">Enter the score at which the risk is medium/],
      [{ medium: 'four' }, /href="#medium">Enter the medium threshold as a whole number/],
      [{ anyThreeIsHigh: 'maybe' }, /href="#anyThreeIsHigh">Say whether any question scored 3/],
      [{ [`label_${codes[2]}`]: '' }, /href="#label_2">Enter question 3, or tick ‘Remove’/],
      [{ [`label_${codes[3]}`]: form[`label_${codes[0]}`]! }, /href="#label_3">Question 4 is the same as question 1/],
      [{ newHint_2: 'A hint alone' }, /href="#newLabel_2">Enter new question 2, or clear its hint/],
      [{ [`code_${codes[0]}`]: 'not_a_question' }, /do not match the saved rules/],
    ]
    for (const [change, message] of cases) {
      const bad = await admin.post(`${U}/exploitation-rules`, { ...form, ...change, newLabel_1: 'Kept question' })
      assert.equal(bad.statusCode, 400, String(message))
      assert.match(bad.body, /govuk-error-summary/)
      assert.match(bad.body, message)
      assert.match(bad.body, /name="newLabel_1" type="text" value="Kept question"/)
    }
    const none = await admin.post(`${U}/exploitation-rules`, { ...form, ...Object.fromEntries(codes.map((c) => [`remove_${c}`, 'yes'])) })
    assert.equal(none.statusCode, 400)
    assert.match(none.body, /href="#remove_0">Keep at least one question/)
    assert.equal(((await setting(RULES_KEY))!.value as { version: number }).version, 2)
    // saving the same rules makes no new version
    const same = await admin.post(`${U}/exploitation-rules`, form)
    assert.equal(same.headers.location, `${U}/exploitation-rules?saved=unchanged`)
    assert.equal(((await setting(RULES_KEY))!.value as { version: number }).version, 2)
  })

  it('exploitation rules: a form opened at version 2 and saved after version 3 is refused (409) with both; version 3 stands; history shows all three', async () => {
    const a = await ctx.s.signIn('partnership.admin')
    const b = await ctx.s.signIn('partnership.admin')
    const formA = rulesForm((await a.get(`${U}/exploitation-rules`)).body)
    const formB = rulesForm((await b.get(`${U}/exploitation-rules`)).body)
    assert.equal((await a.post(`${U}/exploitation-rules`, { ...formA, medium: '5' })).statusCode, 303)
    const stale = await b.post(`${U}/exploitation-rules`, { ...formB, high: '10' })
    assert.equal(stale.statusCode, 409)
    assert.match(stale.body, /Someone else changed the screening rules/)
    assert.match(stale.body, /Version 3, saved by George Allen/)
    assert.match(stale.body, /name="high" type="text" value="10"/, 'their change is kept in the form')
    const current = (await setting(RULES_KEY))!.value as typeof DEFAULT_RULES
    assert.deepEqual([current.version, current.thresholds], [3, { medium: 5, high: 8 }])
    assert.ok(await setting(rulesArchiveKey(2)))
    const history = await b.get(`${U}/exploitation-rules`)
    assert.deepEqual([...history.body.matchAll(/>Version (\d+)<\/a>/g)].map((m) => m[1]), ['3', '2', '1'])
    // the screening form opened under version 2 is not scored under version 3
    const dsl = await ctx.s.signIn('dsl.brookside')
    await dsl.get(`/children/${childId}/exploitation`)
    const v2 = Object.fromEntries(current.indicators.map((i) => [`score_${i.code}`, '0']))
    const refused = await dsl.post(`/children/${childId}/exploitation/screenings`, { ...v2, rulesVersion: '2' })
    assert.equal(refused.statusCode, 400)
    assert.match(refused.body, /questions have changed/)
  })

  it('MACE panel: the built-in default is said on the page; choosing teams changes who sees the panel’s queue at the next request', async () => {
    const mash = stableUuid('northshire:team:police:mash-desk')
    const exploitation = stableUuid('northshire:team:police:exploitation')
    const page = await admin.get(`${U}/mace-panel`)
    assert.equal(page.statusCode, 200)
    assert.match(page.body, /No teams are chosen, so the built-in default applies/)
    assert.match(page.body, /today: Missing and Exploited Children Team, Northshire Police/)
    assert.match(page.body, /Hannah Lee/)
    assert.doesNotMatch(page.body, /Mark Evans/)
    const police = await ctx.s.signIn('police.mash')
    assert.match((await police.get('/mace')).body, /You are not on the panel/)

    // bad input: a team that is not a police team, an id that is not an id
    const csc = stableUuid('northshire:team:csc:north')
    for (const teams of [csc, 'north']) {
      const bad = await admin.post(`${U}/mace-panel`, { rowVersion: versionOf(page.body), teams })
      assert.equal(bad.statusCode, 400)
      assert.match(bad.body, /govuk-error-summary/)
      assert.match(bad.body, /href="#teams">Choose from the police teams listed/)
    }
    assert.equal(await setting('mace.panelTeams'), undefined)

    assert.equal((await admin.post(`${U}/mace-panel`, { rowVersion: versionOf(page.body), teams: mash })).statusCode, 303)
    assert.deepEqual((await setting('mace.panelTeams'))!.value, [mash])
    assert.match((await police.get('/mace')).body, /Children referred to the multi-agency child exploitation panel/, 'the MASH desk officer is on the panel now')
    const missing = await ctx.s.signIn('police.missing')
    assert.match((await missing.get('/mace')).body, /You are not on the panel/, 'the exploitation team is not, as chosen')
    const chosen = await admin.get(`${U}/mace-panel`)
    assert.match(chosen.body, /If you clear every team, the built-in default applies/)
    assert.match(chosen.body, /Mark Evans/)

    // both teams, then none: back to the default (said so)
    assert.equal((await admin.post(`${U}/mace-panel`, { rowVersion: versionOf(chosen.body), teams: [mash, exploitation] })).statusCode, 303)
    assert.match((await missing.get('/mace')).body, /Children referred/)
    const both = await admin.get(`${U}/mace-panel`)
    assert.equal((await admin.post(`${U}/mace-panel`, { rowVersion: versionOf(both.body) })).statusCode, 303)
    assert.deepEqual((await setting('mace.panelTeams'))!.value, [])
    assert.match((await admin.get(`${U}/mace-panel`)).body, /No teams are chosen, so the built-in default applies/)
    assert.match((await police.get('/mace')).body, /You are not on the panel/)
    const audits = (await auditOf('settings.mace-panel')).filter((a) => a.outcome === 'success')
    assert.deepEqual(audits.map((a) => (a.details as { to: string[] }).to), [[mash], [mash, exploitation], []])
    assert.equal((audits.at(-1)!.details as { builtInDefault: boolean }).builtInDefault, true)
  })

  it('MACE panel: two administrators starting from the built-in default — only the first creates the setting; the second sees both', async () => {
    await db().deleteFrom('partnership_setting').where('partnership_id', '=', P).where('key', '=', 'mace.panelTeams').execute()
    const mash = stableUuid('northshire:team:police:mash-desk')
    const exploitation = stableUuid('northshire:team:police:exploitation')
    const a = await ctx.s.signIn('partnership.admin')
    const b = await ctx.s.signIn('partnership.admin')
    const pageA = await a.get(`${U}/mace-panel`)
    const pageB = await b.get(`${U}/mace-panel`)
    assert.equal(versionOf(pageA.body), '0')
    assert.equal((await a.post(`${U}/mace-panel`, { rowVersion: '0', teams: mash })).statusCode, 303)
    const stale = await b.post(`${U}/mace-panel`, { rowVersion: versionOf(pageB.body), teams: exploitation })
    assert.equal(stale.statusCode, 409)
    assert.match(stale.body, /Someone else changed the panel’s teams/)
    assert.match(stale.body, /in force now\)[\s\S]*?MASH Police Desk/)
    assert.match(stale.body, /Yours \(not saved\)[\s\S]*?Missing and Exploited Children Team/)
    assert.match(stale.body, new RegExp(`value="${exploitation}" checked`), 'their choice is kept in the form')
    assert.deepEqual((await setting('mace.panelTeams'))!.value, [mash])
  })

  it('a code for a new screening question: from its label, starting with a letter, never one used before', () => {
    assert.equal(indicatorCode('County lines activity', new Set()), 'county_lines_activity')
    assert.equal(indicatorCode('County lines activity', new Set(['county_lines_activity'])), 'county_lines_activity_2')
    assert.equal(indicatorCode('3 or more missing episodes', new Set()), 'i_3_or_more_missing_episodes')
    assert.match(indicatorCode('x'.repeat(200), new Set()), /^[a-z][a-z0-9_]{0,39}$/)
  })
})
