import assert from 'node:assert/strict'
import { it } from 'node:test'
import { randomUUID } from 'node:crypto'
import { describeApp } from '../../../test/support/app.ts'
import { stableUuid } from '../../data/ids.ts'
import { addChildOutOfReach, addChildrenInReach, fillerNames } from '../../../test/support/children.ts'

const id = (k: string) => stableUuid(`northshire:${k}`)
const P = stableUuid('partnership:northshire')

describeApp('Operation Encompass', (ctx) => {
  let brooksideChild: string
  let academyChild: string

  it('police record an incident involving two children at two schools: each school’s DSL is told before its next school day', async () => {
    const pick = async (school: string) => (await ctx.s.t.db.selectFrom('relationship').select('child_id').where('type', '=', 'pupil_at').where('holder_agency_id', '=', id(`agency:${school}`)).executeTakeFirstOrThrow()).child_id
    brooksideChild = await pick('brookside')
    academyChild = await pick('academy')
    // the officer holds a police record of both children
    for (const child of [brooksideChild, academyChild]) {
      await ctx.s.t.db.insertInto('relationship').values({ id: randomUUID(), partnership_id: P, child_id: child, type: 'agency_record', holder_agency_id: id('agency:police'), holder_team_id: null, holder_membership_id: null, starts_at: new Date('2026-01-01'), ends_at: null, source: 'test', reason: 'Named in an incident', created_by_membership_id: null, created_at: new Date('2026-01-01') }).execute()
    }
    ctx.s.clock.set('2026-11-20T22:30:00Z') // Friday night
    const officer = await ctx.s.signIn('police.mash')
    const form = await officer.get('/encompass/new')
    const key = /name="idempotencyKey" value="([^"]+)"/.exec(form.body)![1]!
    const bad = await officer.post('/encompass', { idempotencyKey: key, children: [], incidentDate: '2026-11-20', incidentTime: '25:00', summary: '' })
    assert.equal(bad.statusCode, 400)
    assert.match(bad.body, /Choose the children involved/)
    const res = await officer.post('/encompass', { idempotencyKey: key, children: [brooksideChild, academyChild], incidentDate: '2026-11-20', incidentTime: '21:40', incidentReference: 'NS-2026-11-20-0457', summary: 'Police attended a domestic incident at home; the children were present.' })
    assert.equal(res.statusCode, 200)
    const notices = await ctx.s.t.db.selectFrom('encompass_notice').selectAll().orderBy('school_agency_id').execute()
    assert.equal(notices.length, 2)
    // the officer sees which child each notice is for, each linked to its notice, which they open
    for (const n of notices) {
      const c = await ctx.s.t.db.selectFrom('child').select(['given_name', 'family_name']).where('id', '=', n.child_id).executeTakeFirstOrThrow()
      assert.match(res.body, new RegExp(`<a class="govuk-link" href="/encompass/${n.id}">${c.given_name} ${c.family_name}</a>: the school has it`))
      assert.equal((await officer.get(`/encompass/${n.id}`)).statusCode, 200)
    }
    const due = Object.fromEntries(notices.map((n) => [n.school_agency_id, n.due_at!.toISOString()]))
    assert.equal(due[id('agency:brookside')], '2026-11-23T08:45:00.000Z') // Monday, Brookside starts 08:45
    assert.equal(due[id('agency:academy')], '2026-11-23T08:30:00.000Z') // the Academy starts 08:30
  })

  it('a child with no school: the entry alone; sent again, one entry; changed and sent again with its key, refused and nothing saved', async () => {
    const childId = randomUUID()
    await ctx.s.t.db.insertInto('child').values({ id: childId, partnership_id: P, given_name: 'Noor', family_name: 'Unschooled', date_of_birth: '2022-03-04', expected_date_of_birth: null, sex: 'female', nhs_number: null, upn: null, ethnicity: null, first_language: null, disability: null, provisional: false, created_at: new Date('2026-01-01') }).execute()
    await ctx.s.t.db.insertInto('relationship').values({ id: randomUUID(), partnership_id: P, child_id: childId, type: 'agency_record', holder_agency_id: id('agency:police'), holder_team_id: null, holder_membership_id: null, starts_at: new Date('2026-01-01'), ends_at: null, source: 'test', reason: 'Named in an incident', created_by_membership_id: null, created_at: new Date('2026-01-01') }).execute()
    const officer = await ctx.s.signIn('police.mash')
    const key = /name="idempotencyKey" value="([^"]+)"/.exec((await officer.get('/encompass/new')).body)![1]!
    const body = { idempotencyKey: key, children: [childId], incidentDate: '2026-11-20', incidentTime: '21:40', summary: 'Police attended a domestic incident at home; the child was present.' }
    const entries = () => ctx.s.t.db.selectFrom('entry').select(['id', 'summary']).where('child_id', '=', childId).execute()
    const first = await officer.post('/encompass', body)
    assert.equal(first.statusCode, 200)
    // the officer is told which child has no school to tell (by name, linked to the notice)
    assert.match(first.body, /<li><a class="govuk-link" href="\/encompass\/[0-9a-f-]{36}">Noor Unschooled<\/a>: no school on roll/)
    assert.equal((await entries()).length, 1)
    const again = await officer.post('/encompass', body)
    assert.equal(again.statusCode, 200)
    assert.equal((await entries()).length, 1, 'sent again: the first submission, not a second entry')
    const changed = await officer.post('/encompass', { ...body, summary: 'Police attended; the child was asleep upstairs.' })
    assert.equal(changed.statusCode, 400)
    assert.match(changed.body, /This form was already sent with different details/)
    assert.match(changed.body, /asleep upstairs/)
    assert.notEqual(/name="idempotencyKey" value="([^"]+)"/.exec(changed.body)![1], key)
    assert.deepEqual((await entries()).map((e) => /present/.test(e.summary)), [true])
    // the same key with another child added, or with another child instead: refused too
    assert.equal((await officer.post('/encompass', { ...body, children: [childId, brooksideChild] })).statusCode, 400)
    assert.equal((await officer.post('/encompass', { ...body, children: [brooksideChild] })).statusCode, 400)
    const notices = await ctx.s.t.db.selectFrom('encompass_notice').select(['child_id', 'school_agency_id', 'due_at']).where('idempotency_key', '=', key).execute()
    assert.deepEqual(notices, [{ child_id: childId, school_agency_id: null, due_at: null }], 'the child with no school has the submission’s notice row, and no clock')
    assert.equal((await ctx.s.t.db.selectFrom('clock').select('id').where('child_id', '=', childId).execute()).length, 0)
    // the officer opens the notice they recorded (it has no school), and its back link goes to a page they may open
    // (the schools' list of notices is the safeguarding leads')
    const [notice] = await ctx.s.t.db.selectFrom('encompass_notice').select('id').where('idempotency_key', '=', key).execute()
    const page = await officer.get(`/encompass/${notice!.id}`)
    assert.equal(page.statusCode, 200)
    assert.match(page.body, /No school on roll/)
    const back = /<a href="([^"]+)" class="govuk-back-link/.exec(page.body)![1]!
    assert.equal((await officer.get(back)).statusCode, 200)
    const audit = await ctx.s.t.db.selectFrom('audit_event').select(['outcome', 'child_ids']).where('action', '=', 'encompass.view').where('entity_id', '=', notice!.id).execute()
    assert.deepEqual(audit, [{ outcome: 'success', child_ids: [childId] }])
  })

  it('each school sees only its own pupil’s notice and entry', async () => {
    const dsl = await ctx.s.signIn('dsl.brookside')
    const list = await dsl.get('/encompass')
    const n = await ctx.s.t.db.selectFrom('encompass_notice').select(['id', 'school_agency_id']).execute()
    const mine = n.find((x) => x.school_agency_id === id('agency:brookside'))!
    const theirs = n.find((x) => x.school_agency_id === id('agency:academy'))!
    assert.match(list.body, new RegExp(mine.id))
    assert.doesNotMatch(list.body, new RegExp(theirs.id))
    assert.equal((await dsl.get(`/encompass/${theirs.id}`)).statusCode, 404)
    const entries = JSON.parse((await dsl.get(`/api/v1/children/${brooksideChild}/entries`)).body) as { data: { type: string }[] }
    assert.ok(entries.data.some((e) => e.type === 'notice'))
    const academyDsl = await ctx.s.signIn('dsl.academy')
    const other = JSON.parse((await academyDsl.get(`/api/v1/children/${academyChild}/entries`)).body) as { data: { type: string }[] }
    assert.ok(other.data.some((e) => e.type === 'notice'))
  })

  it('the DSL acknowledges before the start of the day: the R12 clock is met; late needs a reason', async () => {
    ctx.s.clock.set('2026-11-23T08:10:00Z')
    const dsl = await ctx.s.signIn('dsl.brookside')
    const mine = await ctx.s.t.db.selectFrom('encompass_notice').select('id').where('school_agency_id', '=', id('agency:brookside')).executeTakeFirstOrThrow()
    await dsl.get(`/encompass/${mine.id}`)
    assert.equal((await dsl.post(`/encompass/${mine.id}/acknowledge`, { response: 'Class teacher briefed; key adult at the gate.' })).statusCode, 303)
    assert.equal((await ctx.s.t.db.selectFrom('clock').select('state').where('subject_id', '=', mine.id).executeTakeFirstOrThrow()).state, 'met')
    ctx.s.clock.set('2026-11-23T10:00:00Z')
    const academy = await ctx.s.signIn('dsl.academy')
    const theirs = await ctx.s.t.db.selectFrom('encompass_notice').select('id').where('school_agency_id', '=', id('agency:academy')).executeTakeFirstOrThrow()
    await academy.get(`/encompass/${theirs.id}`)
    const late = await academy.post(`/encompass/${theirs.id}/acknowledge`, { response: '' })
    assert.equal(late.statusCode, 400)
    // the clock's refusal (clocks.meet), in the page's words, beside the response (the late reason); nothing recorded
    assert.match(late.body, /id="response-error"[^>]*>[\s\S]*?The notice is acknowledged after the start of the school day: record why, and what the school has done/)
    assert.equal((await ctx.s.t.db.selectFrom('encompass_notice').select('acknowledged_at').where('id', '=', theirs.id).executeTakeFirstOrThrow()).acknowledged_at, null)
    const long = await academy.post(`/encompass/${theirs.id}/acknowledge`, { response: 'x'.repeat(5001) })
    assert.equal(long.statusCode, 400, 'too long: an error, never cut short')
    assert.match(long.body, /The response must be 5,000 characters or fewer/)
    assert.equal((await academy.post(`/encompass/${theirs.id}/acknowledge`, { response: 'DSL off site until 10:00; deputy briefed the tutor at 10:05.' })).statusCode, 303)
    const c = await ctx.s.t.db.selectFrom('clock').select(['state', 'reason']).where('subject_id', '=', theirs.id).executeTakeFirstOrThrow()
    assert.equal(c.state, 'met_late')
    assert.match(c.reason!, /deputy briefed/)
  })

  it('after the last term a school has recorded (next year’s dates not yet entered): the notice is recorded and due on the next working day', async () => {
    ctx.s.clock.set('2027-07-21T20:00:00Z') // Wednesday evening, the last day of Brookside's recorded terms
    const officer = await ctx.s.signIn('police.mash')
    const key = /name="idempotencyKey" value="([^"]+)"/.exec((await officer.get('/encompass/new')).body)![1]!
    const res = await officer.post('/encompass', { idempotencyKey: key, children: [brooksideChild], incidentDate: '2027-07-21', incidentTime: '19:30', summary: 'Police attended a domestic incident at home; the child was present.' })
    assert.equal(res.statusCode, 200, res.body.slice(0, 300))
    const n = await ctx.s.t.db.selectFrom('encompass_notice').select(['id', 'school_agency_id', 'due_at']).where('idempotency_key', '=', key).executeTakeFirstOrThrow()
    assert.equal(n.school_agency_id, id('agency:brookside'))
    assert.equal(n.due_at!.toISOString(), '2027-07-22T07:45:00.000Z') // Thursday 08:45 BST
    const told = await ctx.s.t.db.selectFrom('notification').select('membership_id').where('kind', '=', 'encompass.notice').where('subject_id', '=', n.id).execute()
    assert.ok(told.some((t) => t.membership_id === id('membership:dsl.brookside:0')), 'the DSL is told')
  })

  it('more children in reach than the form lists: it says so; two children found by search, one after the other, are both chosen; out of reach stays not found', async () => {
    // siblings the officer holds a record of, after the first 500 by family name
    const [wil, xav] = await addChildrenInReach(ctx.s.t.db, id('agency:police'), 'agency_record', [{ givenName: 'Wilhelmina', familyName: 'Zzyzx' }, { givenName: 'Xavier', familyName: 'Zzyzx' }, ...fillerNames(500)])
    const stranger = await addChildOutOfReach(ctx.s.t.db, { givenName: 'Ottoline', familyName: 'Zzyzx' })
    const officer = await ctx.s.signIn('police.mash')
    const form = await officer.get('/encompass/new')
    assert.doesNotMatch(form.body, new RegExp(`${wil}|${xav}`))
    assert.match(form.body, /Showing the first 500 of your children, by family name\. If the child is not listed, <a class="govuk-link" href="\/search\?for=encompass">search for them<\/a>/)
    const first = await officer.get('/search?for=encompass&name=Wilhelmina+Zzyzx')
    assert.match(first.body, new RegExp(`href="/encompass/new\\?child=${wil}">Add to the notice`))
    const one = await officer.get(`/encompass/new?child=${wil}`)
    assert.match(one.body, new RegExp(`value="${wil}"[^>]*checked`))
    // the form's link to the search keeps the child chosen, and the next child found is added to it
    const again = `/search?for=encompass&amp;child=${wil}`
    assert.ok(one.body.includes(`href="${again}"`))
    const second = await officer.get(`${again.replace('&amp;', '&')}&name=Xavier+Zzyzx`)
    assert.match(second.body, new RegExp(`<input type="hidden" name="child" value="${wil}">`))
    assert.match(second.body, new RegExp(`href="/encompass/new\\?child=${wil}&amp;child=${xav}">Add to the notice`))
    const both = await officer.get(`/encompass/new?child=${wil}&child=${xav}`)
    assert.match(both.body, new RegExp(`value="${wil}"[^>]*checked`))
    assert.match(both.body, new RegExp(`value="${xav}"[^>]*checked`))
    const key = /name="idempotencyKey" value="([^"]+)"/.exec(both.body)![1]!
    const body = { idempotencyKey: key, children: [wil!, xav!], incidentDate: '2027-07-21', incidentTime: '19:00', summary: 'Police attended a domestic incident at home; both children were present.' }
    assert.equal((await officer.post('/encompass', body)).statusCode, 200)
    assert.deepEqual((await ctx.s.t.db.selectFrom('encompass_notice').select('child_id').where('idempotency_key', '=', key).execute()).map((n) => n.child_id).sort(), [wil, xav].sort())
    // a child out of reach, named in the address: not listed; sent anyway, not found and nothing saved
    const tampered = await officer.get(`/encompass/new?child=${stranger}`)
    assert.doesNotMatch(tampered.body, new RegExp(stranger))
    const k2 = /name="idempotencyKey" value="([^"]+)"/.exec(tampered.body)![1]!
    assert.equal((await officer.post('/encompass', { ...body, idempotencyKey: k2, children: [stranger] })).statusCode, 404)
    assert.equal((await ctx.s.t.db.selectFrom('encompass_notice').select('id').where('child_id', '=', stranger).execute()).length, 0)
  })
})
