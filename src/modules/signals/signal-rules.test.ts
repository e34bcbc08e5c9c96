import assert from 'node:assert/strict'
import { it } from 'node:test'
import { randomUUID } from 'node:crypto'
import type { Kysely } from 'kysely'
import { describeApp } from '../../../test/support/app.ts'
import { membershipOf, pupilOf } from '../../../test/support/tac.ts'
import { stableUuid } from '../../data/ids.ts'
import { systemRepository } from '../../data/system.ts'
import { up as fixDefaultRules } from '../../../migrations/20261129T2300_signal_rules.ts'

const id = (k: string) => stableUuid(`northshire:${k}`)
const P = stableUuid('partnership:northshire')
const URL = '/settings/risk-signals'

describeApp('the partnership administrator’s risk signal rules', (ctx) => {
  const db = () => ctx.s.t.db
  const versions = (code: string) => db().selectFrom('signal_rule').selectAll().where('partnership_id', '=', P).where('code', '=', code).orderBy('version').execute()
  const pair = async (childId: string, noticeDay: string, healthDay: string) => {
    ctx.s.clock.advance(60_000)
    const mk = (type: string, category: string | null, agency: string, day: string) => ({ id: randomUUID(), partnership_id: P, child_id: childId, type, category, occurred_at: new Date(`${day}T12:00:00Z`), recorded_at: ctx.s.clock.now(), author_membership_id: null, author_team_id: null, source_agency_id: id(`agency:${agency}`), significance: 'high' as const, summary: `${type} test`, visibility: 'team' as const })
    const entries = [mk('police_incident', 'domestic_abuse', 'police', noticeDay), mk('health_attendance', null, 'health', healthDay)]
    await db().insertInto('entry').values(entries).execute()
    ctx.s.clock.advance(60_000)
    return entries.map((e) => e.id).sort()
  }
  const signalsFor = (childId: string) => db().selectFrom('risk_signal').select(['rule_code', 'rule_version', 'entry_ids']).where('child_id', '=', childId).where('rule_code', '=', 'domestic_abuse_and_health').execute()

  it('an administrator saves a new version (the old row untouched); the next evaluation uses it, even for entries already there; a later version that stops the rule stops it', async () => {
    const system = systemRepository({ db: db(), clock: ctx.s.clock }, 'signal-rules-test')
    await system.evaluateSignals()
    // a domestic-abuse incident and an A&E attendance 20 days apart: outside the default 14 days
    const childId = await pupilOf(db(), 'academy', 0)
    const ids = await pair(childId, '2026-11-01', '2026-11-21')
    await system.evaluateSignals()
    assert.equal((await signalsFor(childId)).length, 0, 'version 1 (14 days) does not fire')

    const admin = await ctx.s.signIn('partnership.admin')
    // the categories a rule matches, as the partnership names them (its label, renamed here)
    await db().updateTable('concern_category').set({ label: 'Domestic abuse (DA)' }).where('partnership_id', '=', P).where('code', '=', 'domestic_abuse').execute()
    const page = await admin.get(URL)
    await db().updateTable('concern_category').set({ label: 'Domestic abuse' }).where('partnership_id', '=', P).where('code', '=', 'domestic_abuse').execute()
    assert.equal(page.statusCode, 200)
    assert.match(page.body, /A domestic abuse notice and a health attendance within 14 days/)
    assert.match(page.body, /\(category: Domestic abuse \(DA\)\)/)
    assert.match(page.body, /href="\/settings\/risk-signals"/, 'in the service navigation')
    assert.match(page.body, /Save as version 2/)
    assert.match(page.body, /Counted in calendar days in UK time, the first and the last day included, whatever the time of day/, 'the window’s hint says what “within” means')
    const saved = await admin.post(`${URL}/domestic_abuse_and_health`, { version: '1', windowDays: '30', active: 'yes' })
    assert.equal(saved.statusCode, 303, saved.body.slice(0, 500))
    const after = await admin.get(saved.headers.location as string)
    assert.match(after.body, /Saved as version 2/)
    assert.match(after.body, /A domestic abuse notice and a health attendance within 30 days/)

    const rows = await versions('domestic_abuse_and_health')
    assert.deepEqual(rows.map((r) => [r.version, r.active, r.definition.windowDays]), [[1, true, 14], [2, true, 30]], 'a new row; version 1 as it was')
    assert.equal(rows[1]!.name, 'A domestic abuse notice and a health attendance within 30 days')
    assert.deepEqual(rows[1]!.definition.kind === 'combination' && rows[1]!.definition.first, rows[0]!.definition.kind === 'combination' && rows[0]!.definition.first, 'what it fires on is kept')
    const audit = await db().selectFrom('audit_event').selectAll().where('action', '=', 'signal.rule.save').where('outcome', '=', 'success').execute()
    assert.equal(audit.length, 1)
    assert.deepEqual([audit[0]!.actor_membership_id, audit[0]!.entity_id, audit[0]!.details.fromVersion, audit[0]!.details.toVersion], [membershipOf('partnership.admin'), 'domestic_abuse_and_health', 1, 2])

    // no new entry for this child: the changed rule is looked at again for entries inside its window
    await system.evaluateSignals()
    const fired = await signalsFor(childId)
    assert.deepEqual(fired.map((f) => [f.rule_version, [...f.entry_ids].sort()]), [[2, ids]], 'fired under version 2, naming the two entries')

    // the same values again: nothing saved
    assert.equal((await admin.post(`${URL}/domestic_abuse_and_health`, { version: '2', windowDays: '30', active: 'yes' })).statusCode, 303)
    assert.equal((await versions('domestic_abuse_and_health')).length, 2, 'unchanged: no new version')

    // version 3 stops the rule: a new pair 5 days apart fires nothing
    assert.equal((await admin.post(`${URL}/domestic_abuse_and_health`, { version: '2', windowDays: '30', active: 'no' })).statusCode, 303)
    assert.deepEqual((await versions('domestic_abuse_and_health')).map((r) => [r.version, r.active]), [[1, true], [2, true], [3, false]])
    const other = await pupilOf(db(), 'academy', 1)
    await pair(other, '2026-11-15', '2026-11-20')
    await system.evaluateSignals()
    assert.equal((await signalsFor(other)).length, 0, 'the latest version is inactive: the rule does not run')
    assert.match((await admin.get(URL)).body, /Not active/)

    // a count rule's counts: two concerns from two agencies now fire
    assert.equal((await admin.post(`${URL}/multi_agency_concerns`, { version: '1', minCount: '2', minAgencies: '2', windowDays: '45', active: 'yes' })).statusCode, 303)
    const concerns = await versions('multi_agency_concerns')
    assert.deepEqual(concerns.map((r) => r.definition.kind === 'count' && [r.version, r.definition.minCount, r.definition.minAgencies, r.definition.windowDays]), [[1, 3, 2, 30], [2, 2, 2, 45]])
    assert.equal(concerns[1]!.name, 'Two or more concerns from two or more agencies within 45 days')
  })

  it('bad input: 400 with the GOV.UK error summary, the input kept, nothing saved', async () => {
    const admin = await ctx.s.signIn('partnership.admin')
    await admin.get(URL)
    const before = await db().selectFrom('signal_rule').select(['code', 'version']).execute()
    const cases: [string, Record<string, string>, RegExp][] = [
      ['repeat_missing', { version: '1', minCount: '3', minAgencies: '1', windowDays: '0', active: 'yes' }, /Enter the window in days as a whole number from 1 to 365/],
      ['repeat_missing', { version: '1', minCount: '3', minAgencies: '1', windowDays: '1000', active: 'yes' }, /Enter the window in days as a whole number from 1 to 365/],
      ['repeat_missing', { version: '1', minCount: '0', minAgencies: '1', windowDays: '30', active: 'yes' }, /Enter how many entries as a whole number from 1 to 50/],
      ['repeat_missing', { version: '1', minCount: 'three', minAgencies: '1', windowDays: 'thirty', active: 'yes' }, /Enter how many entries as a whole number/],
      ['repeat_missing', { version: '1', minCount: '', minAgencies: '1', windowDays: '30', active: 'yes' }, /Enter how many entries/],
      ['repeat_missing', { version: '1', minCount: '2', minAgencies: '3', windowDays: '30', active: 'yes' }, /The number of agencies cannot be more than the number of entries/],
      ['missing_and_attendance', { version: '1', windowDays: '-5', active: 'yes' }, /Enter the window in days as a whole number from 1 to 365/],
      ['missing_and_attendance', { version: '1', windowDays: '30' }, /Say whether the rule runs/],
    ]
    for (const [code, form, message] of cases) {
      const res = await admin.post(`${URL}/${code}`, form)
      assert.equal(res.statusCode, 400, `${code} ${JSON.stringify(form)}`)
      assert.match(res.body, /govuk-error-summary/)
      assert.match(res.body, message)
      assert.match(res.body, new RegExp(`href="#${code}-`), 'the summary links to the rule’s field')
      if (form.minCount === '0') assert.doesNotMatch(res.body, /agencies cannot be more/, 'one problem, said once')
    }
    const kept = await admin.post(`${URL}/repeat_missing`, { version: '1', minCount: '7', minAgencies: '1', windowDays: '999', active: 'yes' })
    assert.match(kept.body, /id="repeat_missing-windowDays"[^>]*value="999"/, 'the input is kept')
    assert.match(kept.body, /id="repeat_missing-minCount"[^>]*value="7"/)
    // an unknown rule is not found
    assert.equal((await admin.post(`${URL}/no_such_rule`, { version: '1', windowDays: '30', active: 'yes' })).statusCode, 404)
    // a form opened at a version someone else has since replaced: 409, nothing overwritten
    const stale = await admin.post(`${URL}/domestic_abuse_and_health`, { version: '1', windowDays: '20', active: 'yes' })
    assert.equal(stale.statusCode, 409)
    assert.match(stale.body, /Someone else saved version 3 of this rule/)
    assert.deepEqual(await db().selectFrom('signal_rule').select(['code', 'version']).execute(), before, 'nothing saved')
  })

  it('only the partnership administrator: others are refused by the gate (and by the data layer), nothing saved', async () => {
    const before = (await db().selectFrom('signal_rule').select('version').execute()).length
    for (const key of ['sw.north', 'admin.csc', 'dsl.brookside']) {
      const agent = await ctx.s.signIn(key)
      await agent.get('/')
      const page = await agent.get(URL)
      assert.equal(page.statusCode, 403, key)
      assert.doesNotMatch(page.body, /Save as version/)
      assert.doesNotMatch((await agent.get('/')).body, /href="\/settings\/risk-signals"/, `${key}: not in the navigation`)
      assert.equal((await agent.post(`${URL}/repeat_missing`, { version: '1', minCount: '1', minAgencies: '1', windowDays: '30', active: 'yes' })).statusCode, 403, key)
    }
    const m = await db().selectFrom('membership').select(['practitioner_id', 'agency_id', 'team_id']).where('id', '=', membershipOf('admin.csc')).executeTakeFirstOrThrow()
    const repo = ctx.s.data.forActor({ kind: 'practitioner', partnershipId: P, practitionerId: m.practitioner_id, membershipId: membershipOf('admin.csc'), agencyId: m.agency_id, teamId: m.team_id, role: 'agency_admin', requestId: 'test' }).signals
    await assert.rejects(repo.rules(), /Only a partnership administrator/)
    await assert.rejects(repo.saveRule('repeat_missing', { version: 1, active: false, windowDays: 30, minCount: 1, minAgencies: 1 }), /Only a partnership administrator/)
    assert.equal((await db().selectFrom('signal_rule').select('version').execute()).length, before)
    assert.ok(await db().selectFrom('audit_event').select('id').where('action', '=', 'signal.rule.save').where('outcome', '=', 'refused').where('actor_membership_id', '=', membershipOf('sw.north')).executeTakeFirst(), 'the refusal is audited')
  })

  it('migration 20261129T2300 gives a partnership still on the first defaults a version that matches the types the product writes, and leaves a rule it changed alone', async () => {
    const d = db()
    await d.deleteFrom('signal_rule').where('partnership_id', '=', P).execute()
    const at = new Date('2026-09-01T00:00:00Z')
    const first = [
      { code: 'multi_agency_concerns', definition: { kind: 'count', match: { types: ['concern', 'incident', 'notice', 'contact', 'referral'] }, minCount: 3, minAgencies: 2, windowDays: 30 } },
      { code: 'missing_and_attendance', definition: { kind: 'combination', first: { types: ['missing_episode'] }, second: { types: ['attendance'] }, windowDays: 30 } },
      // changed by the partnership: left alone
      { code: 'domestic_abuse_and_health', definition: { kind: 'combination', first: { types: ['notice', 'incident'], categories: ['domestic_abuse'] }, second: { types: ['health_attendance'] }, windowDays: 21 } },
      { code: 'repeat_missing', definition: { kind: 'count', match: { types: ['missing_episode'] }, minCount: 3, minAgencies: 1, windowDays: 30 } },
    ]
    await d.insertInto('signal_rule').values(first.map((r) => ({ partnership_id: P, code: r.code, version: 1, name: r.code, definition: JSON.stringify(r.definition), created_at: at }))).execute()
    await fixDefaultRules(d as unknown as Kysely<unknown>)
    const rows = await d.selectFrom('signal_rule').selectAll().where('partnership_id', '=', P).orderBy('code').orderBy('version').execute()
    const latest = (code: string) => rows.filter((r) => r.code === code).at(-1)!
    assert.deepEqual(rows.map((r) => `${r.code}@${r.version}`), ['domestic_abuse_and_health@1', 'missing_and_attendance@1', 'missing_and_attendance@2', 'multi_agency_concerns@1', 'multi_agency_concerns@2', 'repeat_missing@1'])
    const mat = latest('missing_and_attendance').definition
    assert.deepEqual(mat.kind === 'combination' && mat.second.types, ['attendance_drop'])
    const mac = latest('multi_agency_concerns').definition
    assert.ok(mac.kind === 'count' && mac.match.types.includes('police_incident'))
    await fixDefaultRules(d as unknown as Kysely<unknown>)
    assert.equal((await d.selectFrom('signal_rule').select('version').where('partnership_id', '=', P).execute()).length, rows.length, 'running it again adds nothing')
  })
})
