import assert from 'node:assert/strict'
import { it } from 'node:test'
import { randomUUID } from 'node:crypto'
import { describeApp } from '../../../test/support/app.ts'
import { disablePractitionerOf, makeTac, membershipOf, pupilOf } from '../../../test/support/tac.ts'
import { stableUuid } from '../../data/ids.ts'
import { systemRepository } from '../../data/system.ts'

const id = (k: string) => stableUuid(`northshire:${k}`)
const P = stableUuid('partnership:northshire')

describeApp('risk signals when strands combine', (ctx) => {
  it('a domestic abuse notice and a health attendance 10 days apart fire a signal naming both, routed to the allocated worker', async () => {
    const system = systemRepository({ db: ctx.s.t.db, clock: ctx.s.clock }, 'signals-test')
    await system.evaluateSignals() // the demo data's own signals first
    const childId = (await ctx.s.t.db.selectFrom('relationship').select('child_id').where('type', '=', 'allocated_worker').where('holder_membership_id', '=', id('membership:sw.north:0')).executeTakeFirstOrThrow()).child_id
    const before = await ctx.s.t.db.selectFrom('risk_signal').select('id').where('child_id', '=', childId).where('rule_code', '=', 'domestic_abuse_and_health').execute()
    const mk = (type: string, category: string | null, agency: string, day: string) => ({ id: randomUUID(), partnership_id: P, child_id: childId, type, category, occurred_at: new Date(`${day}T12:00:00Z`), recorded_at: ctx.s.clock.now(), author_membership_id: null, author_team_id: null, source_agency_id: id(`agency:${agency}`), significance: 'high' as const, summary: `${type} test`, visibility: 'team' as const })
    const notice = mk('notice', 'domestic_abuse', 'police', '2026-11-10')
    const health = mk('health_attendance', 'physical_abuse', 'health', '2026-11-20')
    ctx.s.clock.advance(60_000)
    await ctx.s.t.db.insertInto('entry').values([{ ...notice, recorded_at: ctx.s.clock.now() }, { ...health, recorded_at: ctx.s.clock.now() }]).execute()
    ctx.s.clock.advance(60_000)
    assert.ok((await system.evaluateSignals()) >= 1)
    const fired = await ctx.s.t.db.selectFrom('risk_signal').selectAll().where('child_id', '=', childId).where('rule_code', '=', 'domestic_abuse_and_health').execute()
    assert.equal(fired.length, before.length + 1)
    const s = fired.find((f) => f.entry_ids.includes(notice.id))!
    assert.deepEqual([...s.entry_ids].sort(), [notice.id, health.id].sort())
    assert.ok(s.routed_to.includes(id('membership:sw.north:0')))
    // its entry in the chronology (seen by everyone with case reach) names the rule and nothing of the entries that
    // caused it — no count, and filed under the agency it went to, not under the police's or the health service's lane
    const onRecord = await ctx.s.t.db.selectFrom('entry').select(['type', 'summary', 'source_agency_id', 'visibility']).where('detail_id', '=', s.id).executeTakeFirstOrThrow()
    assert.deepEqual(onRecord, { type: 'signal', summary: 'Risk signal: A domestic abuse notice and a health attendance within 14 days.', source_agency_id: id('agency:csc'), visibility: 'team' })
    // not fired again for the same entries
    ctx.s.clock.advance(60_000)
    await ctx.s.t.db.insertInto('entry').values(mk('concern', 'neglect', 'brookside', '2026-11-21')).execute()
    ctx.s.clock.advance(60_000)
    await system.evaluateSignals()
    assert.equal((await ctx.s.t.db.selectFrom('risk_signal').select('id').where('child_id', '=', childId).where('rule_code', '=', 'domestic_abuse_and_health').execute()).length, before.length + 1)

    // the entries' categories as the partnership names them (its label, renamed here), not their codes humanised
    await ctx.s.t.db.updateTable('concern_category').set({ label: 'Domestic abuse (DA)' }).where('partnership_id', '=', P).where('code', '=', 'domestic_abuse').execute()
    const sw = await ctx.s.signIn('sw.north')
    const page = await sw.get(`/signals/${s.id}`)
    await ctx.s.t.db.updateTable('concern_category').set({ label: 'Domestic abuse' }).where('partnership_id', '=', P).where('code', '=', 'domestic_abuse').execute()
    assert.equal(page.statusCode, 200)
    assert.match(page.body, /A domestic abuse notice and a health attendance within 14 days/)
    assert.match(page.body, /Notice \(Domestic abuse \(DA\)\)<\/li>/)
    assert.equal((await sw.post(`/signals/${s.id}/acknowledge`, { response: '' })).statusCode, 400)
    const long = await sw.post(`/signals/${s.id}/acknowledge`, { response: 'x'.repeat(10_001) })
    assert.equal(long.statusCode, 400)
    assert.match(long.body, /Your response must be 10,000 characters or fewer/)
    assert.equal((await sw.post(`/signals/${s.id}/acknowledge`, { response: 'Joint visit with police booked for Wednesday; GP asked for the attendance notes.' })).statusCode, 303)
    const ack = await ctx.s.t.db.selectFrom('risk_signal').select(['acknowledged_at', 'response']).where('id', '=', s.id).executeTakeFirstOrThrow()
    assert.ok(ack.acknowledged_at)
    // someone the signal was not routed to cannot see it
    const dsl = await ctx.s.signIn('dsl.academy')
    assert.equal((await dsl.get(`/signals/${s.id}`)).statusCode, 404)
  })

  it('a signal whose allocated worker is disabled goes to the front door’s current members, not to the disabled account', async () => {
    const db = ctx.s.t.db
    const system = systemRepository({ db, clock: ctx.s.clock }, 'signals-test')
    await system.evaluateSignals()
    const worker = id('membership:sw.south:0')
    // a child whose only allocated worker is sw.south
    const allocated = await db.selectFrom('relationship').select(['child_id', 'holder_membership_id']).where('type', '=', 'allocated_worker').where('ends_at', 'is', null).execute()
    const childId = allocated.find((a) => a.holder_membership_id === worker && allocated.filter((b) => b.child_id === a.child_id).length === 1)!.child_id
    await disablePractitionerOf(db, worker, ctx.s.clock.now())
    await disablePractitionerOf(db, id('membership:frontdoor2:0'), ctx.s.clock.now())
    ctx.s.clock.advance(60_000)
    const mk = (type: string, category: string | null, agency: string, day: string) => ({ id: randomUUID(), partnership_id: P, child_id: childId, type, category, occurred_at: new Date(`${day}T12:00:00Z`), recorded_at: ctx.s.clock.now(), author_membership_id: null, author_team_id: null, source_agency_id: id(`agency:${agency}`), significance: 'high' as const, summary: `${type} test`, visibility: 'team' as const })
    const notice = mk('notice', 'domestic_abuse', 'police', '2026-11-11')
    await db.insertInto('entry').values([notice, mk('health_attendance', 'physical_abuse', 'health', '2026-11-19')]).execute()
    ctx.s.clock.advance(60_000)
    await system.evaluateSignals()
    const s = (await db.selectFrom('risk_signal').selectAll().where('child_id', '=', childId).where('rule_code', '=', 'domestic_abuse_and_health').execute()).find((f) => f.entry_ids.includes(notice.id))!
    assert.ok(s, 'the signal fired')
    assert.ok(!s.routed_to.includes(worker), 'not to the disabled allocated worker')
    assert.ok(!s.routed_to.includes(id('membership:frontdoor2:0')), 'not to a disabled front-door worker')
    assert.ok(s.routed_to.includes(id('membership:frontdoor:0')), 'to the front door')
    const told = await db.selectFrom('notification').select('membership_id').where('subject_id', '=', s.id).execute()
    assert.deepEqual(new Set(told.map((t) => t.membership_id)), new Set(s.routed_to))
    // the front door holds a reason to see the child while the signal is open
    assert.ok(await db.selectFrom('relationship').select('id').where('child_id', '=', childId).where('type', '=', 'front_door_contact').where('source', '=', `signal ${s.id}`).executeTakeFirst())
  })

  it('a signal goes to the lead practitioner of the child’s open team around the child; failing them (closed team, disabled lead) to the allocated worker', async () => {
    const db = ctx.s.t.db
    const system = systemRepository({ db, clock: ctx.s.clock }, 'signals-test')
    await system.evaluateSignals()
    const nurse = membershipOf('nurse')
    const worker = membershipOf('sw.north')
    // three pupils known to nobody else, each allocated to sw.north and in a team around the child led by the school nurse
    const kids: string[] = []
    for (const n of [0, 1, 2]) {
      const childId = await pupilOf(db, 'stannes', n)
      await db.insertInto('relationship').values({ id: randomUUID(), partnership_id: P, child_id: childId, type: 'allocated_worker', holder_agency_id: null, holder_team_id: null, holder_membership_id: worker, starts_at: new Date('2026-10-01'), ends_at: null, source: 'test', reason: 'Allocated', created_by_membership_id: null, created_at: new Date('2026-10-01') }).execute()
      const tacId = await makeTac(db, { childIds: [childId], lead: 'nurse' })
      if (n === 1) await db.updateTable('tac').set({ status: 'closed', closed_at: new Date('2026-11-15T10:00:00Z'), closure_reason: 'Needs met' }).where('id', '=', tacId).execute()
      kids.push(childId)
    }
    const fire = async (childId: string) => {
      ctx.s.clock.advance(60_000)
      const mk = (type: string, category: string | null, agency: string, day: string) => ({ id: randomUUID(), partnership_id: P, child_id: childId, type, category, occurred_at: new Date(`${day}T12:00:00Z`), recorded_at: ctx.s.clock.now(), author_membership_id: null, author_team_id: null, source_agency_id: id(`agency:${agency}`), significance: 'high' as const, summary: `${type} test`, visibility: 'team' as const })
      const notice = mk('notice', 'domestic_abuse', 'police', '2026-11-12')
      await db.insertInto('entry').values([notice, mk('health_attendance', null, 'health', '2026-11-18')]).execute()
      ctx.s.clock.advance(60_000)
      await system.evaluateSignals()
      return (await db.selectFrom('risk_signal').selectAll().where('child_id', '=', childId).where('rule_code', '=', 'domestic_abuse_and_health').execute()).find((f) => f.entry_ids.includes(notice.id))!
    }
    // the open team's lead, and only them (the allocated worker is not the lead here)
    const led = await fire(kids[0]!)
    assert.deepEqual(led.routed_to, [nurse], 'to the lead practitioner')
    assert.deepEqual((await db.selectFrom('notification').select('membership_id').where('subject_id', '=', led.id).execute()).map((t) => t.membership_id), [nurse])
    const lead = await ctx.s.signIn('nurse')
    assert.equal((await lead.get(`/signals/${led.id}`)).statusCode, 200, 'the lead sees the signal (the team gives them the child)')
    assert.match((await lead.get('/signals')).body, new RegExp(led.id))
    assert.ok(!(await db.selectFrom('relationship').select('id').where('source', '=', `signal ${led.id}`).executeTakeFirst()), 'no front-door relationship when someone holds the child')
    // a closed team's lead is nobody's lead now: the allocated worker
    assert.deepEqual((await fire(kids[1]!)).routed_to, [worker], 'a closed team: to the allocated worker')
    // a lead whose account is disabled is not in post: the allocated worker
    await disablePractitionerOf(db, nurse, ctx.s.clock.now())
    assert.deepEqual((await fire(kids[2]!)).routed_to, [worker], 'a disabled lead: to the allocated worker')
  })

  it('acknowledging a signal whose child is out of the actor’s reach is “not found”, exactly like one that does not exist; nothing is stored', async () => {
    const db = ctx.s.t.db
    // routed to sw.north, about a child sw.north has no relationship with (the allocation has since ended, say)
    const childId = await pupilOf(db, 'brookside', 3)
    const signalId = randomUUID()
    await db.insertInto('risk_signal').values({ id: signalId, partnership_id: P, child_id: childId, rule_code: 'repeat_missing', rule_version: 1, fingerprint: signalId, entry_ids: [], fired_at: ctx.s.clock.now(), routed_to: [membershipOf('sw.north')] }).execute()
    const sw = await ctx.s.signIn('sw.north')
    const absent = randomUUID()
    const strip = (b: string) => b.replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|nonce-[^'"]+|nonce="[^"]+"|value="[^"]*"/g, '')
    const none = await sw.post(`/signals/${absent}/acknowledge`, { response: 'Spoke to the school.' })
    assert.equal(none.statusCode, 404)
    assert.equal((await sw.get(`/signals/${signalId}`)).statusCode, 404)
    const res = await sw.post(`/signals/${signalId}/acknowledge`, { response: 'Spoke to the school.' })
    assert.equal(res.statusCode, 404, 'out of reach: not found')
    assert.equal(strip(res.body), strip(none.body), 'the same page as a signal that does not exist')
    const row = await db.selectFrom('risk_signal').select(['acknowledged_at', 'acknowledged_by', 'response']).where('id', '=', signalId).executeTakeFirstOrThrow()
    assert.deepEqual([row.acknowledged_at, row.acknowledged_by, row.response], [null, null, null], 'nothing stored')
    const audit = await db.selectFrom('audit_event').select(['outcome', 'child_ids']).where('action', '=', 'signal.acknowledge').where('entity_id', '=', signalId).execute()
    assert.deepEqual(audit.map((a) => a.outcome), ['not_found'])
    assert.deepEqual(audit[0]!.child_ids, [], 'the audit row does not name the child')
    // once the child is in reach again, the same signal can be acknowledged
    await db.insertInto('relationship').values({ id: randomUUID(), partnership_id: P, child_id: childId, type: 'allocated_worker', holder_agency_id: null, holder_team_id: null, holder_membership_id: membershipOf('sw.north'), starts_at: new Date('2026-10-01'), ends_at: null, source: 'test', reason: 'Allocated', created_by_membership_id: null, created_at: new Date('2026-10-01') }).execute()
    assert.equal((await sw.post(`/signals/${signalId}/acknowledge`, { response: 'Spoke to the school.' })).statusCode, 303)
    assert.ok((await db.selectFrom('risk_signal').select('acknowledged_at').where('id', '=', signalId).executeTakeFirstOrThrow()).acknowledged_at)
  })

  it('end to end: entries as the import, the missing-episode page and a teacher’s concern write them fire the three rules, naming those entries', async () => {
    const db = ctx.s.t.db
    const system = systemRepository({ db, clock: ctx.s.clock }, 'signals-test')
    await system.evaluateSignals()
    // a Brookside pupil known to no other agency (so no demo police or health entries), with an NHS number and a date
    // of birth no other child shares: each agency's record matches them
    const kid = await db
      .selectFrom('child as c')
      .innerJoin('relationship as r', (j) => j.onRef('r.child_id', '=', 'c.id').on('r.type', '=', 'pupil_at').on('r.holder_agency_id', '=', id('agency:brookside')))
      .select(['c.id', 'c.given_name', 'c.family_name', 'c.date_of_birth', 'c.sex', 'c.nhs_number'])
      .where('c.nhs_number', 'is not', null)
      .where(({ eb, selectFrom }) => eb(selectFrom('child as d').select((e) => e.fn.countAll<number>().as('n')).whereRef('d.date_of_birth', '=', 'c.date_of_birth'), '=', 1))
      .where(({ not, exists, selectFrom }) => not(exists(selectFrom('relationship as o').select('o.id').whereRef('o.child_id', '=', 'c.id').where('o.type', '!=', 'pupil_at'))))
      .orderBy('c.id')
      .executeTakeFirstOrThrow()
    const mine: Record<string, string> = {}
    for (const [agency, ref] of [['police', 'POL-SIG-1'], ['health', 'NHS-SIG-1'], ['brookside', 'BRK-SIG-1']] as const) {
      const importer = system.recordsImporter(P, id(`agency:${agency}`))
      const records = await importer.importCsv('records', `source_ref,given_name,family_name,date_of_birth,sex,nhs_number\n${ref},${kid.given_name},${kid.family_name},${kid.date_of_birth},${kid.sex},${kid.nhs_number}`)
      assert.equal(records.status, 'finished')
      const rec = await db.selectFrom('agency_record').select(['child_id', 'match_state']).where('agency_id', '=', id(`agency:${agency}`)).where('source_ref', '=', ref).executeTakeFirstOrThrow()
      assert.deepEqual([rec.child_id, rec.match_state], [kid.id, 'matched'])
      const rows = {
        police: [`${ref},2026-11-10T22:15:00Z,police_incident,domestic_abuse,high,Officers attended a domestic incident at the home.,team`, `${ref},2026-11-14,police_incident,,medium,Child found out late at night with older youths.,team`],
        health: [`${ref},2026-11-17,health_attendance,,high,A&E attendance with a wrist injury.,team`],
        brookside: [`${ref},2026-11-19,attendance_drop,attendance,medium,Attendance fell to 78% over four weeks.,team`],
      }[agency]
      ctx.s.clock.advance(60_000)
      const entries = await importer.importCsv('entries', ['source_ref,occurred_at,type,category,significance,summary,visibility', ...rows].join('\n'))
      assert.equal(entries.status, 'finished')
      for (const e of await db.selectFrom('entry').select(['id', 'type', 'occurred_at']).where('agency_record_id', 'in', db.selectFrom('agency_record').select('id').where('source_ref', '=', ref)).execute()) mine[`${e.type}@${e.occurred_at.toISOString().slice(0, 10)}`] = e.id
    }
    // the missing episode, as the police report it on the missing page
    await db.insertInto('relationship').values({ id: randomUUID(), partnership_id: P, child_id: kid.id, type: 'team_member', holder_agency_id: null, holder_team_id: null, holder_membership_id: membershipOf('police.missing'), starts_at: new Date('2026-01-01'), ends_at: null, source: 'test', reason: 'Missing children officer', created_by_membership_id: null, created_at: new Date('2026-01-01') }).execute()
    const officer = await ctx.s.signIn('police.missing')
    await officer.get(`/children/${kid.id}/missing`)
    assert.equal((await officer.post(`/children/${kid.id}/missing`, { missingDate: '2026-11-21', missingTime: '19:00', risk: 'medium', circumstances: 'Did not come home after school.' })).statusCode, 303)
    mine.missing = (await db.selectFrom('entry').select('id').where('child_id', '=', kid.id).where('type', '=', 'missing_episode').orderBy('recorded_at', 'desc').executeTakeFirstOrThrow()).id
    // the teacher's concern
    const teacher = await ctx.s.signIn('teacher.brookside')
    const form = await teacher.get(`/concerns/new?child=${kid.id}`)
    const key = /name="idempotencyKey" value="([^"]+)"/.exec(form.body)![1]!
    assert.equal((await teacher.post('/concerns', { idempotencyKey: key, children: [kid.id], category: 'neglect', seenOrHeard: 'Hungry and tired; said nobody was home last night.', childWords: '', occurredDate: '2026-11-20', occurredTime: '09:00', immediateDanger: 'no' })).statusCode, 303)
    mine.concern = (await db.selectFrom('concern').select('entry_id').where('idempotency_key', '=', key).executeTakeFirstOrThrow()).entry_id!
    ctx.s.clock.advance(60_000)
    assert.ok((await system.evaluateSignals()) >= 3)
    const fired = await db.selectFrom('risk_signal').select(['rule_code', 'entry_ids']).where('child_id', '=', kid.id).execute()
    const named = (code: string) => fired.filter((f) => f.rule_code === code).map((f) => [...f.entry_ids].sort())
    assert.deepEqual(named('missing_and_attendance'), [[mine.missing, mine['attendance_drop@2026-11-19']!].sort()], 'a missing episode and the school’s attendance drop')
    assert.deepEqual(named('domestic_abuse_and_health'), [[mine['police_incident@2026-11-10']!, mine['health_attendance@2026-11-17']!].sort()], 'the police’s domestic-abuse incident and the A&E attendance')
    const three = [mine['police_incident@2026-11-10']!, mine['police_incident@2026-11-14']!, mine.concern]
    assert.ok(named('multi_agency_concerns').some((ids) => three.every((e) => ids.includes(e))), 'two police incidents and the school’s concern: three concerns from two agencies')
  })
  it('an entry whose transaction commits after a run has passed its recorded_at is still looked at by the next run', async () => {
    const db = ctx.s.t.db
    const system = systemRepository({ db, clock: ctx.s.clock }, 'signals-test')
    const childId = await pupilOf(db, 'brookside', 11)
    await system.evaluateSignals()
    const mk = (type: string, category: string | null, agency: string, day: string, recordedAt: Date) => ({ id: randomUUID(), partnership_id: P, child_id: childId, type, category, occurred_at: new Date(`${day}T12:00:00Z`), recorded_at: recordedAt, author_membership_id: null, author_team_id: null, source_agency_id: id(`agency:${agency}`), significance: 'high' as const, summary: `${type} late`, visibility: 'team' as const })
    // both written at a moment before the run below, but committed only after it
    const writtenAt = ctx.s.clock.now()
    ctx.s.clock.advance(30_000)
    await system.evaluateSignals()
    await db.insertInto('entry').values([mk('notice', 'domestic_abuse', 'police', '2026-11-10', writtenAt), mk('health_attendance', null, 'health', '2026-11-12', writtenAt)]).execute()
    ctx.s.clock.advance(60_000)
    await system.evaluateSignals()
    const fired = await db.selectFrom('risk_signal').select('entry_ids').where('child_id', '=', childId).where('rule_code', '=', 'domestic_abuse_and_health').execute()
    assert.equal(fired.length, 1, 'the late entries were seen')
    // and the run after does not fire it again
    ctx.s.clock.advance(60_000)
    await system.evaluateSignals()
    assert.equal((await db.selectFrom('risk_signal').select('id').where('child_id', '=', childId).where('rule_code', '=', 'domestic_abuse_and_health').execute()).length, 1)
  })

  it('the signal’s page shows an entry of unknown time by its date only, and says who acknowledged it and their response', async () => {
    const db = ctx.s.t.db
    const childId = (await db.selectFrom('relationship').select('child_id').where('type', '=', 'allocated_worker').where('holder_membership_id', '=', id('membership:sw.north:0')).executeTakeFirstOrThrow()).child_id
    // as an agency's import writes an entry with a date and no time (src/modules/records/validate.ts): midday UTC, time unknown
    const mk = (type: string, category: string | null, agency: string, day: string) => ({ id: randomUUID(), partnership_id: P, child_id: childId, type, category, occurred_at: new Date(`${day}T12:00:00Z`), occurred_time_known: false, recorded_at: ctx.s.clock.now(), author_membership_id: null, author_team_id: null, source_agency_id: id(`agency:${agency}`), significance: 'high' as const, summary: `${type} dated only`, visibility: 'team' as const })
    const notice = mk('notice', 'domestic_abuse', 'police', '2026-08-03')
    const health = mk('health_attendance', null, 'health', '2026-08-07')
    await db.insertInto('entry').values([notice, health]).execute()
    const signalId = randomUUID()
    await db.insertInto('risk_signal').values({ id: signalId, partnership_id: P, child_id: childId, rule_code: 'domestic_abuse_and_health', rule_version: 1, fingerprint: signalId, entry_ids: [notice.id, health.id].sort(), fired_at: ctx.s.clock.now(), routed_to: [membershipOf('sw.north')] }).execute()
    const sw = await ctx.s.signIn('sw.north')
    const page = await sw.get(`/signals/${signalId}`)
    assert.equal(page.statusCode, 200)
    const listed = [...page.body.matchAll(/<li><strong>([^<]+)<\/strong> — /g)].map((m) => m[1]!.trim())
    assert.equal(listed.length, 2, page.body)
    for (const when of listed) assert.doesNotMatch(when, /\d{1,2}[:.]\d\d|am|pm/i, `“${when}”: no time the agency did not give`)
    assert.equal((await sw.post(`/signals/${signalId}/acknowledge`, { response: 'Visited with the police on Monday.' })).statusCode, 303)
    const row = await db.selectFrom('risk_signal').select(['acknowledged_by', 'response']).where('id', '=', signalId).executeTakeFirstOrThrow()
    assert.deepEqual([row.acknowledged_by, row.response], [membershipOf('sw.north'), 'Visited with the police on Monday.'])
    const who = await db.selectFrom('membership as m').innerJoin('practitioner as p', 'p.id', 'm.practitioner_id').select(['p.given_name', 'p.family_name']).where('m.id', '=', membershipOf('sw.north')).executeTakeFirstOrThrow()
    const after = await sw.get(`/signals/${signalId}`)
    assert.match(after.body, new RegExp(`Acknowledged [^<]* by ${who.given_name} ${who.family_name}</h2>`))
    assert.match(after.body, /Visited with the police on Monday\./)
  })
})
