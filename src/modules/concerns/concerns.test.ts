import assert from 'node:assert/strict'
import { it } from 'node:test'
import { randomUUID } from 'node:crypto'
import { sql } from 'kysely'
import { describeApp } from '../../../test/support/app.ts'
import type { Agent } from '../../../test/support/agent.ts'
import { stableUuid } from '../../data/ids.ts'
import type { Role } from '../../access/policy.ts'
import { disablePractitionerOf, makeTac, membershipOf, PARTNERSHIP, pupilOf } from '../../../test/support/tac.ts'
import { londonDateTime } from '../../web/dates.ts'
import { formatDateTime } from '../../platform/http/render.ts'
import { addChildOutOfReach, addChildrenInReach, fillerNames } from '../../../test/support/children.ts'

const id = (k: string) => stableUuid(`northshire:${k}`)

type Api = { concern: { waitingFor: string | null }; canTriage: boolean }
/** The status a concern's page shows. */
const status = (body: string) => /Status\s*<\/dt>\s*<dd class="govuk-summary-list__value">\s*([^<]*?)\s*<\/dd>/.exec(body)?.[1]
/** Whether the concern is in the agent's queue of concerns to decide (the API's). */
const queued = async (agent: Agent, k: string) => ((await agent.get('/api/v1/triage')).json() as { concerns: { id: string }[] }).concerns.some((c) => c.id === k)
/** Both front-door workers in post find the concern waiting for them in their list, open it and may decide it (page and API). */
async function frontDoorDecides(k: string, frontDoor: Agent, signIn: (key: string) => Promise<Agent>) {
  for (const key of ['frontdoor', 'frontdoor2']) {
    const worker = key === 'frontdoor' ? frontDoor : await signIn(key)
    assert.equal(await queued(worker, k), true, key)
    assert.match((await worker.get('/triage')).body, new RegExp(`href="/concerns/${k}"`), key)
    const page = await worker.get(`/concerns/${k}`)
    assert.equal(page.statusCode, 200, key)
    assert.equal(status(page.body), 'Waiting for the front door', key)
    assert.match(page.body, /Record your decision/, key)
    const api = (await worker.get(`/api/v1/concerns/${k}`)).json() as Api
    assert.deepEqual([api.concern.waitingFor, api.canTriage], ['the front door', true], key)
  }
}

describeApp('concerns: teacher → DSL triage → the outcome and reasons back to the teacher', (ctx) => {
  let childId: string
  let siblingId: string | undefined

  async function pupils() {
    const rows = await ctx.s.t.db
      .selectFrom('relationship as r')
      .innerJoin('family_member as f', 'f.child_id', 'r.child_id')
      .select(['r.child_id', 'f.related_child_id'])
      .where('r.type', '=', 'pupil_at')
      .where('r.holder_agency_id', '=', id('agency:brookside'))
      .execute()
    const withSibling = rows.find((r) => r.related_child_id && rows.some((o) => o.child_id === r.related_child_id))
    childId = withSibling?.child_id ?? rows[0]!.child_id
    siblingId = withSibling?.related_child_id ?? undefined
  }

  it('a body map mark: a position only as the map writes it (0 to 1000), and a description sent twice refused, not joined', async () => {
    await pupils()
    const teacher = await ctx.s.signIn('teacher.brookside')
    const keyOf = async () => /name="idempotencyKey" value="([^"]+)"/.exec((await teacher.get(`/concerns/new?child=${childId}`)).body)![1]!
    const base = { children: [childId], category: 'neglect', seenOrHeard: 'Body map positions', occurredDate: '2026-11-23', occurredTime: '08:00', immediateDanger: 'no', mark1Region: 'left_arm', mark1View: 'front', mark1Description: 'Bruise' }
    const twiceKey = await keyOf()
    const twice = await teacher.post('/concerns', { ...base, idempotencyKey: twiceKey, mark1Description: ['first', 'second'] })
    assert.equal(twice.statusCode, 400)
    assert.match(twice.body, /Body map mark 1: the description was sent more than once: enter it once/)
    assert.equal(await ctx.s.t.db.selectFrom('concern').select('id').where('idempotency_key', '=', twiceKey).executeTakeFirst(), undefined)
    const cases: [string, string, number | null, number | null][] = [
      ['0x10', 'Infinity', null, null],
      ['1e3', '-5', null, null],
      ['12.5', '1000', 12.5, 1000],
      ['', ' ', null, null],
      ['1001', '999.999', null, 999.999],
    ]
    for (const [x, y, ex, ey] of cases) {
      const key = await keyOf()
      const res = await teacher.post('/concerns', { ...base, idempotencyKey: key, mark1X: x, mark1Y: y })
      assert.equal(res.statusCode, 303, /govuk-error-summary[\s\S]*?<\/ul>/.exec(res.body)?.[0])
      const c = await ctx.s.t.db.selectFrom('concern').select('body_map').where('idempotency_key', '=', key).executeTakeFirstOrThrow()
      assert.deepEqual([c.body_map[0]!.x, c.body_map[0]!.y], [ex, ey], `x ${x}, y ${y}`)
      assert.equal(c.body_map[0]!.description, 'Bruise')
    }
  })

  it('a teacher logs a concern about two siblings: one concern and one entry per child, the DSLs alerted without personal data in email', async () => {
    await pupils()
    const teacher = await ctx.s.signIn('teacher.brookside')
    const form = await teacher.get(`/concerns/new?child=${childId}`)
    assert.equal(form.statusCode, 200)
    const key = /name="idempotencyKey" value="([^"]+)"/.exec(form.body)![1]!
    const body = {
      idempotencyKey: key,
      children: siblingId ? [childId, siblingId] : [childId],
      category: 'neglect',
      seenOrHeard: 'Arrived without a coat again; said there was no food at home.',
      childWords: 'There was nothing for tea',
      occurredDate: '2026-11-23',
      occurredTime: '08:50',
      immediateDanger: 'no',
      mark1Region: 'left_arm',
      mark1View: 'front',
      mark1Description: 'Bruise the size of a 10p coin',
    }
    const outboxBefore = await count('outbox')
    const res = await teacher.post('/concerns', body)
    assert.equal(res.statusCode, 303, res.body.slice(0, 500))
    const concerns = await ctx.s.t.db.selectFrom('concern').selectAll().where('idempotency_key', '=', key).execute()
    assert.equal(concerns.length, siblingId ? 2 : 1)
    for (const c of concerns) {
      assert.ok(c.entry_id)
      assert.deepEqual(c.body_map.map((m) => m.region), ['left_arm'])
    }
    // a double click makes one submission
    const again = await teacher.post('/concerns', body)
    assert.equal(again.statusCode, 303)
    assert.equal((await ctx.s.t.db.selectFrom('concern').select('id').where('idempotency_key', '=', key).execute()).length, concerns.length)
    // back, a change, and sent again with the form's key: refused, never answered with the first version; the form
    // comes back with what was typed and a new key, and nothing is saved until it is sent again
    const changed = await teacher.post('/concerns', { ...body, seenOrHeard: 'Arrived without a coat again; said there was no food at home since Friday.' })
    assert.equal(changed.statusCode, 400)
    assert.match(changed.body, /This form was already sent with different details/)
    assert.match(changed.body, /no food at home since Friday/)
    const newKey = /name="idempotencyKey" value="([^"]+)"/.exec(changed.body)![1]!
    assert.equal((await teacher.post('/concerns', { ...body, mark1Description: 'Bruise the size of a 50p coin' })).statusCode, 400, 'a changed body map is a change too')
    // a key used for one child, sent again naming a second child as well: refused (the one-statement path would
    // otherwise add the second child's concern, the first child's being there already), nothing added
    assert.ok(siblingId, 'the demo pupil has a sibling')
    const key2 = /name="idempotencyKey" value="([^"]+)"/.exec((await teacher.get(`/concerns/new?child=${childId}`)).body)![1]!
    assert.equal((await teacher.post('/concerns', { ...body, idempotencyKey: key2, children: [childId] })).statusCode, 303)
    assert.equal((await teacher.post('/concerns', { ...body, idempotencyKey: key2, children: [childId, siblingId] })).statusCode, 400)
    assert.equal((await ctx.s.t.db.selectFrom('concern').select('id').where('idempotency_key', '=', key2).execute()).length, 1)
    assert.notEqual(newKey, key)
    assert.equal((await ctx.s.t.db.selectFrom('concern').select('id').where('seen_or_heard', 'like', '%since Friday%').execute()).length, 0)
    assert.equal((await teacher.post('/concerns', { ...body, idempotencyKey: newKey, seenOrHeard: 'Arrived without a coat again; said there was no food at home since Friday.' })).statusCode, 303)
    assert.equal((await ctx.s.t.db.selectFrom('concern').select('id').where('seen_or_heard', 'like', '%since Friday%').execute()).length, concerns.length)
    // through the API the same key with a different body is 422, and saves nothing
    const api = await teacher.postJson('/api/v1/concerns', { idempotencyKey: key, children: body.children, category: 'neglect', seenOrHeard: 'Something else entirely', occurredAt: '2026-11-23T08:50:00Z', immediateDanger: false, bodyMap: [] })
    assert.equal(api.statusCode, 422, api.body)
    assert.match(api.headers['content-type'] as string, /problem\+json/)
    assert.equal((await ctx.s.t.db.selectFrom('concern').select('id').where('seen_or_heard', '=', 'Something else entirely').execute()).length, 0)
    // DSLs alerted: in-app and by email, and no email holds the child's name
    const child = await ctx.s.t.db.selectFrom('child').select(['given_name', 'family_name']).where('id', '=', childId).executeTakeFirstOrThrow()
    const mail = await ctx.s.t.db.selectFrom('outbox').selectAll().orderBy('created_at', 'desc').execute()
    assert.ok((await count('outbox')) > outboxBefore)
    for (const m of mail) {
      assert.ok(!m.body.includes(child.family_name) && !m.subject.includes(child.family_name))
      assert.ok(!m.body.includes('coat'))
    }
    const notes = await ctx.s.t.db.selectFrom('notification').select('membership_id').where('kind', '=', 'concern.new').execute()
    assert.ok(notes.some((n) => n.membership_id === id('membership:dsl.brookside:0')))
  })

  it('the DSL sees it in the queue, records actions, outcome and reasons; the teacher sees the outcome and reasons', async () => {
    const dsl = await ctx.s.signIn('dsl.brookside')
    const queue = await dsl.get('/triage')
    assert.equal(queue.statusCode, 200)
    // the safeguarding lead's queue as it was: its name, its words, the menu's "Triage"
    assert.match(queue.body, /<h1 class="govuk-heading-l">Concerns to triage<\/h1>\s*<p class="govuk-body">Open concerns logged by staff at your school, children in immediate danger first, then oldest first.<\/p>/)
    assert.match(queue.body, /href="\/triage" aria-current="true">\s*<strong class="govuk-service-navigation__active-fallback">Triage<\/strong>/)
    const concern = await ctx.s.t.db.selectFrom('concern').select('id').where('child_id', '=', childId).orderBy('created_at', 'desc').executeTakeFirstOrThrow()
    assert.match(queue.body, new RegExp(concern.id))
    // the DSL came from the queue, and goes back to it (not to the concerns they have logged themselves)
    assert.match((await dsl.get(`/concerns/${concern.id}`)).body, /<a href="\/triage" class="govuk-back-link/)
    const bad = await dsl.post(`/concerns/${concern.id}/triage`, { actions: ['monitor'], outcome: 'monitor', reasons: '' })
    assert.equal(bad.statusCode, 400)
    assert.match(bad.body, /<a href="\/triage" class="govuk-back-link/)
    assert.match(bad.body, /govuk-error-summary/)
    assert.equal(await count('triage_action'), 0, 'nothing saved half-way')
    const ok = await dsl.post(`/concerns/${concern.id}/triage`, { actions: ['speak_to_parents', 'consult_ssw'], outcome: 'monitor', reasons: 'Second concern about food this month; parents to be seen today.' })
    assert.equal(ok.statusCode, 303)
    const teacher = await ctx.s.signIn('teacher.brookside')
    const page = await teacher.get(`/concerns/${concern.id}`)
    assert.equal(page.statusCode, 200)
    assert.match(page.body, /parents to be seen today/)
    // the outcome lands in the teacher's view of the chronology (addressed to them)
    const entries = await teacher.get(`/api/v1/children/${childId}/entries`)
    assert.ok((JSON.parse(entries.body) as { data: { type: string }[] }).data.some((e) => e.type === 'dsl_action'))
  })

  it('another school’s DSL cannot see the concern (404, same as absent)', async () => {
    const concern = await ctx.s.t.db.selectFrom('concern').select('id').where('child_id', '=', childId).executeTakeFirstOrThrow()
    const other = await ctx.s.signIn('dsl.academy')
    const seen = await other.get(`/concerns/${concern.id}`)
    const absent = await other.get(`/concerns/${randomUUID()}`)
    assert.equal(seen.statusCode, 404)
    assert.equal(absent.statusCode, 404)
  })

  it('a concern about a child not yet known creates a provisional child the DSL can see', async () => {
    const teacher = await ctx.s.signIn('teacher.brookside')
    const form = await teacher.get('/concerns/new')
    const key = /name="idempotencyKey" value="([^"]+)"/.exec(form.body)![1]!
    const sent = { idempotencyKey: key, newChildGivenName: 'Robin', newChildFamilyName: 'Newcome', newChildDob: '2016-05-01', category: 'attendance', seenOrHeard: 'Younger sibling of a pupil, not attending any school.', occurredDate: '2026-11-20', immediateDanger: 'yes' }
    const res = await teacher.post('/concerns', sent)
    assert.equal(res.statusCode, 303)
    // sent again: the same concern; sent again with the child's name changed: refused, no second child
    assert.equal((await teacher.post('/concerns', sent)).headers.location, res.headers.location)
    assert.equal((await teacher.post('/concerns', { ...sent, newChildGivenName: 'Robyn' })).statusCode, 400)
    assert.equal((await ctx.s.t.db.selectFrom('child').select('id').where('family_name', '=', 'Newcome').execute()).length, 1)
    const page = await teacher.get(res.headers.location as string)
    assert.match(page.body, /immediate danger/i)
    assert.match(page.body, /999/)
    const child = await ctx.s.t.db.selectFrom('child').selectAll().where('family_name', '=', 'Newcome').executeTakeFirstOrThrow()
    assert.equal(child.provisional, true)
    const dsl = await ctx.s.signIn('dsl.brookside')
    assert.equal((await dsl.get(`/children/${child.id}`)).statusCode, 200)
  })

  it('bad input: a clear error summary, what was typed kept, nothing saved', async () => {
    const teacher = await ctx.s.signIn('teacher.brookside')
    const form = await teacher.get(`/concerns/new?child=${childId}`)
    const key = /name="idempotencyKey" value="([^"]+)"/.exec(form.body)![1]!
    const before = await count('concern')
    const res = await teacher.post('/concerns', { idempotencyKey: key, children: [childId], category: 'neglect', seenOrHeard: 'Kept text', occurredDate: '23/11/2026', immediateDanger: 'no', mark1Region: 'left_arm' })
    assert.equal(res.statusCode, 400)
    assert.match(res.body, /govuk-error-summary/)
    assert.match(res.body, /Enter the date as YYYY-MM-DD/)
    assert.match(res.body, /describe what you saw/)
    // the body map's error is announced with its fieldset, which is marked as in error, as every GOV.UK field's is
    assert.match(res.body, /<div class="govuk-form-group govuk-form-group--error">\s*<fieldset class="govuk-fieldset" aria-describedby="marks-hint marks">/)
    assert.match(res.body, /<p class="govuk-error-message" id="marks"[^>]*>[\s\S]*?describe what you saw/)
    assert.match(res.body, /<a href="#marks">Body map mark 1: describe what you saw/)
    assert.match(res.body, /Kept text/)
    assert.equal(await count('concern'), before)
  })

  it('a concern about this morning with the time left out (the form offers today’s date, the time is optional): logged, not refused as in the future, and shown by its date alone', async () => {
    const now = ctx.s.clock.now()
    const today = londonDateTime(now)
    assert.ok(today.time < '12:00', 'the test runs before midday, London time')
    const teacher = await ctx.s.signIn('teacher.brookside')
    const own = await pupilOf(ctx.s.t.db, 'brookside', 2)
    const form = await teacher.get(`/concerns/new?child=${own}`)
    assert.match(form.body, new RegExp(`name="occurredDate" type="text" value="${today.date}"`))
    const key = /name="idempotencyKey" value="([^"]+)"/.exec(form.body)![1]!
    // one child of my own school (the one-statement path), and a child not yet known (the general path)
    const sent = { idempotencyKey: key, children: [own], newChildGivenName: 'Morgan', newChildFamilyName: 'Thismorning', newChildDob: '2017-02-03', category: 'neglect', seenOrHeard: 'Came in this morning without breakfast.', occurredDate: today.date, occurredTime: '', immediateDanger: 'no' }
    const res = await teacher.post('/concerns', { ...sent, newChildGivenName: '', newChildFamilyName: '', newChildDob: '' })
    assert.equal(res.statusCode, 303, /govuk-error-summary[\s\S]*?<\/ul>/.exec(res.body)?.[0])
    // a double click is the same concern, not "sent before with different details"
    assert.equal((await teacher.post('/concerns', { ...sent, newChildGivenName: '', newChildFamilyName: '', newChildDob: '' })).headers.location, res.headers.location)
    const both = await teacher.post('/concerns', { ...sent, idempotencyKey: randomUUID() })
    assert.equal(both.statusCode, 303, /govuk-error-summary[\s\S]*?<\/ul>/.exec(both.body)?.[0])
    const made = await ctx.s.t.db
      .selectFrom('concern as k')
      .innerJoin('entry as e', 'e.id', 'k.entry_id')
      .select(['k.id', 'k.occurred_at', 'e.occurred_at as entry_at', 'e.occurred_time_known'])
      .where('k.seen_or_heard', '=', sent.seenOrHeard)
      .execute()
    assert.equal(made.length, 3)
    for (const k of made) {
      assert.ok(k.occurred_at <= ctx.s.clock.now(), 'not in the future')
      assert.equal(londonDateTime(k.occurred_at).date, today.date)
      assert.equal(k.entry_at.getTime(), k.occurred_at.getTime())
      assert.equal(k.occurred_time_known, false, 'the time was not given')
    }
    const page = await teacher.get(res.headers.location as string)
    assert.match(page.body, /time not recorded/)
    // a time given is known, and shown
    const timed = await teacher.post('/concerns', { ...sent, idempotencyKey: randomUUID(), newChildGivenName: '', newChildFamilyName: '', newChildDob: '', seenOrHeard: 'At registration.', occurredTime: '08:45' })
    assert.equal(timed.statusCode, 303)
    const e = await ctx.s.t.db.selectFrom('concern as k').innerJoin('entry as e', 'e.id', 'k.entry_id').select('e.occurred_time_known').where('k.seen_or_heard', '=', 'At registration.').executeTakeFirstOrThrow()
    assert.equal(e.occurred_time_known, true)
    assert.doesNotMatch((await teacher.get(timed.headers.location as string)).body, /time not recorded/)
    // a day still to come is refused
    const tomorrow = await teacher.post('/concerns', { ...sent, idempotencyKey: randomUUID(), newChildGivenName: '', newChildFamilyName: '', newChildDob: '', occurredDate: londonDateTime(new Date(now.getTime() + 86_400_000)).date })
    assert.equal(tomorrow.statusCode, 400)
    assert.match(tomorrow.body, /cannot be in the future/)
  })

  it('a child not yet known with a date of birth still to come (2061 for 2016): refused with the field’s error, what was typed kept, nothing saved', async () => {
    const teacher = await ctx.s.signIn('teacher.brookside')
    const key = /name="idempotencyKey" value="([^"]+)"/.exec((await teacher.get('/concerns/new')).body)![1]!
    const res = await teacher.post('/concerns', { idempotencyKey: key, newChildGivenName: 'Sam', newChildFamilyName: 'Futureborn', newChildDob: '2061-05-01', category: 'neglect', seenOrHeard: 'Typed the year backwards.', occurredDate: '2026-11-20', immediateDanger: 'no' })
    assert.equal(res.statusCode, 400)
    assert.match(res.body, /<a href="#newChildDob">Date of birth must be today or in the past<\/a>/)
    assert.match(res.body, /id="newChildDob-error"/)
    assert.match(res.body, /value="Futureborn"/)
    assert.match(res.body, /Typed the year backwards/)
    assert.equal((await ctx.s.t.db.selectFrom('child').select('id').where('family_name', '=', 'Futureborn').execute()).length, 0)
    assert.equal((await ctx.s.t.db.selectFrom('concern').select('id').where('idempotency_key', '=', key).execute()).length, 0)
  })

  it('the concern statement, built once for a teacher, takes each submission’s own values: children, words, time, danger, body map and audit', async () => {
    const teacher = await ctx.s.signIn('teacher.brookside')
    const others = await ctx.s.t.db
      .selectFrom('relationship')
      .select('child_id')
      .where('type', '=', 'pupil_at')
      .where('holder_agency_id', '=', id('agency:brookside'))
      .where('child_id', 'not in', [childId, ...(siblingId ? [siblingId] : [])])
      .limit(2)
      .execute()
    assert.equal(others.length, 2)
    const submissions: Record<string, string | string[]>[] = [
      { children: [others[0]!.child_id], category: 'neglect', seenOrHeard: 'First: no lunch again.', childWords: '', occurredDate: '2026-11-20', occurredTime: '08:50', location: 'Playground', immediateDanger: 'no' },
      { children: [others[1]!.child_id], category: 'physical_abuse', seenOrHeard: 'Second: a mark on the arm.', childWords: 'Dad did it', occurredDate: '2026-11-21', occurredTime: '13:15', location: '', immediateDanger: 'yes', mark1Region: 'left_arm', mark1View: 'back', mark1Description: 'Red mark' },
    ]
    const requestIds: string[] = []
    for (const s of submissions) {
      const form = await teacher.get('/concerns/new')
      const key = /name="idempotencyKey" value="([^"]+)"/.exec(form.body)![1]!
      const res = await teacher.post('/concerns', { idempotencyKey: key, ...s })
      assert.equal(res.statusCode, 303, res.body.slice(0, 300))
      const [c, ...more] = await ctx.s.t.db.selectFrom('concern').selectAll().where('idempotency_key', '=', key).execute()
      assert.equal(more.length, 0)
      const child = (s.children as string[])[0]
      assert.equal(c!.child_id, child)
      assert.equal(c!.category, s.category)
      assert.equal(c!.seen_or_heard, s.seenOrHeard)
      assert.equal(c!.child_words, s.childWords || null)
      assert.equal(c!.location, s.location || null)
      assert.equal(c!.immediate_danger, s.immediateDanger === 'yes')
      assert.equal(c!.occurred_at.toISOString(), new Date(`${s.occurredDate as string}T${s.occurredTime as string}:00Z`).toISOString()) // GMT in November
      assert.deepEqual(c!.body_map.map((m) => [m.region, m.view, m.description]), s.mark1Region ? [[s.mark1Region, s.mark1View, s.mark1Description]] : [])
      assert.equal(c!.created_at.toISOString(), ctx.s.clock.now().toISOString())
      const e = await ctx.s.t.db.selectFrom('entry').selectAll().where('id', '=', c!.entry_id!).executeTakeFirstOrThrow()
      assert.equal(e.child_id, child)
      assert.equal(e.category, s.category)
      assert.equal(e.significance, s.immediateDanger === 'yes' ? 'critical' : 'medium')
      assert.equal(e.summary, s.seenOrHeard)
      assert.equal(e.occurred_at.toISOString(), c!.occurred_at.toISOString())
      assert.equal(e.recorded_at.toISOString(), c!.created_at.toISOString())
      const a = await ctx.s.t.db.selectFrom('audit_event').selectAll().where('action', '=', 'concern.create').where('entity_id', '=', c!.submission_id).executeTakeFirstOrThrow()
      assert.deepEqual(a.child_ids, s.children)
      assert.deepEqual(a.details, { category: s.category, concernIds: [c!.id] })
      assert.equal(a.at.toISOString(), c!.created_at.toISOString())
      requestIds.push(a.request_id!)
      const told = await ctx.s.t.db.selectFrom('notification').select('child_id').where('subject_id', '=', c!.id).execute()
      assert.ok(told.length > 0 && told.every((n) => n.child_id === child))
    }
    assert.notEqual(requestIds[0], requestIds[1])
  })

  it('a child named by an upper-case id (as some systems write a UUID): one concern, answered as made, and sent again it is the same concern', async () => {
    const teacher = await ctx.s.signIn('teacher.brookside')
    await teacher.get('/concerns/new')
    const pupilsLeft = await ctx.s.t.db
      .selectFrom('relationship')
      .select('child_id')
      .where('type', '=', 'pupil_at')
      .where('holder_agency_id', '=', id('agency:brookside'))
      .where('child_id', 'not in', [childId, ...(siblingId ? [siblingId] : [])])
      .orderBy('child_id', 'desc')
      .limit(2)
      .execute()
    const [viaApi, viaPage] = pupilsLeft.map((r) => r.child_id)
    // the API
    const body = { children: [viaApi!.toUpperCase()], category: 'neglect', seenOrHeard: 'Named by an upper-case id.', occurredAt: '2026-11-20T10:00:00Z', immediateDanger: false, bodyMap: [], idempotencyKey: randomUUID() }
    const first = await teacher.postJson('/api/v1/concerns', body)
    assert.equal(first.statusCode, 201, first.body)
    const made = first.json() as { concerns: { id: string; childId: string }[]; replayed: boolean }
    assert.deepEqual(made.concerns.map((c) => c.childId), [viaApi])
    assert.equal((await ctx.s.t.db.selectFrom('concern').select('id').where('idempotency_key', '=', body.idempotencyKey).execute()).length, 1)
    // audited once, as made (not made and then refused in the same request)
    const { submission_id } = await ctx.s.t.db.selectFrom('concern').select('submission_id').where('id', '=', made.concerns[0]!.id).executeTakeFirstOrThrow()
    const audited = await ctx.s.t.db.selectFrom('audit_event').select('request_id').where('action', '=', 'concern.create').where('entity_id', '=', submission_id).executeTakeFirstOrThrow()
    const outcomes = await ctx.s.t.db.selectFrom('audit_event').select('outcome').where('action', '=', 'concern.create').where('request_id', '=', audited.request_id).execute()
    assert.deepEqual(outcomes.map((o) => o.outcome), ['success'])
    // the page form, sent twice (a double click)
    const key = /name="idempotencyKey" value="([^"]+)"/.exec((await teacher.get('/concerns/new')).body)![1]!
    const form = { idempotencyKey: key, children: [viaPage!.toUpperCase()], category: 'neglect', seenOrHeard: 'Named by an upper-case id, on the page.', occurredDate: '2026-11-20', immediateDanger: 'no' }
    const sent = await teacher.post('/concerns', form)
    assert.equal(sent.statusCode, 303, /govuk-error-summary[\s\S]*?<\/ul>/.exec(sent.body)?.[0])
    const again = await teacher.post('/concerns', form)
    assert.equal(again.statusCode, 303, /govuk-error-summary[\s\S]*?<\/ul>/.exec(again.body)?.[0])
    assert.equal(again.headers.location, sent.headers.location)
    const rows = await ctx.s.t.db.selectFrom('concern').select('child_id').where('idempotency_key', '=', key).execute()
    assert.deepEqual(rows.map((r) => r.child_id), [viaPage])
  })

  it('the DSL’s decision sent twice (a double click, a refresh) is recorded once: one decision, one entry, one notice to the teacher', async () => {
    const teacher = await ctx.s.signIn('teacher.brookside')
    const key = /name="idempotencyKey" value="([^"]+)"/.exec((await teacher.get(`/concerns/new?child=${childId}`)).body)![1]!
    const made = await teacher.post('/concerns', { idempotencyKey: key, children: [childId], category: 'neglect', seenOrHeard: 'Asleep in class again.', occurredDate: '2026-11-20', immediateDanger: 'no' })
    assert.equal(made.statusCode, 303)
    const concern = await ctx.s.t.db.selectFrom('concern').select('id').where('idempotency_key', '=', key).executeTakeFirstOrThrow()
    const dsl = await ctx.s.signIn('dsl.brookside')
    const page = await dsl.get(`/concerns/${concern.id}`)
    assert.equal(page.statusCode, 200)
    const formKey = /name="formKey" value="([^"]+)"/.exec(page.body)?.[1] ?? ''
    const decision = { formKey, actions: ['monitor'], outcome: 'monitor', reasons: 'Tired; will check in with the family this week.' }
    const [a, b] = await Promise.all([dsl.post(`/concerns/${concern.id}/triage`, decision), dsl.post(`/concerns/${concern.id}/triage`, decision)])
    const c = await dsl.post(`/concerns/${concern.id}/triage`, decision)
    for (const r of [a, b, c]) assert.equal(r.statusCode, 303, r.body.slice(0, 300))
    assert.equal((await ctx.s.t.db.selectFrom('triage_action').select('id').where('concern_id', '=', concern.id).execute()).length, 1)
    assert.equal((await ctx.s.t.db.selectFrom('entry').select('id').where('type', '=', 'dsl_action').where('child_id', '=', childId).where('summary', 'like', '%Tired; will check in%').execute()).length, 1)
    assert.equal((await ctx.s.t.db.selectFrom('notification').select('id').where('kind', '=', 'concern.outcome').where('subject_id', '=', concern.id).execute()).length, 1)
  })

  it('two decisions to close sent at the same moment (two tabs, two DSLs): one closes the concern, the other is told it is closed', async () => {
    const teacher = await ctx.s.signIn('teacher.brookside')
    const key = /name="idempotencyKey" value="([^"]+)"/.exec((await teacher.get(`/concerns/new?child=${childId}`)).body)![1]!
    assert.equal((await teacher.post('/concerns', { idempotencyKey: key, children: [childId], category: 'neglect', seenOrHeard: 'No coat in the snow.', occurredDate: '2026-11-20', immediateDanger: 'no' })).statusCode, 303)
    const concern = await ctx.s.t.db.selectFrom('concern').select('id').where('idempotency_key', '=', key).executeTakeFirstOrThrow()
    const dsl = await ctx.s.signIn('dsl.brookside')
    await dsl.get(`/concerns/${concern.id}`)
    const close = (reasons: string) => dsl.post(`/concerns/${concern.id}/triage`, { actions: ['monitor'], outcome: 'closed', reasons })
    const answers = await Promise.all([close('Coat found in lost property.'), close('Mum brought a coat at lunch.')])
    assert.deepEqual(answers.map((r) => r.statusCode).sort(), [303, 400])
    assert.match(answers.find((r) => r.statusCode === 400)!.body, /This concern is closed/)
    assert.equal((await ctx.s.t.db.selectFrom('triage_action').select('id').where('concern_id', '=', concern.id).execute()).length, 1)
  })

  it('a concern write that fails is audited as a failure on the one-statement path, as on the general path', async () => {
    const m = await ctx.s.t.db.selectFrom('membership').selectAll().where('id', '=', id('membership:teacher.brookside:0')).executeTakeFirstOrThrow()
    const actor = { kind: 'practitioner' as const, partnershipId: m.partnership_id, practitionerId: m.practitioner_id, membershipId: m.id, agencyId: m.agency_id, teamId: m.team_id, role: m.role as Role, requestId: randomUUID() }
    const concerns = ctx.s.data.forActor(actor).concerns
    // a time the database refuses: the statement fails, whichever path runs it
    const base = { category: 'neglect', seenOrHeard: 'Fails.', occurredAt: new Date(Number.NaN), immediateDanger: false, bodyMap: [] }
    const failures = async (requestId: string) =>
      (await ctx.s.t.db.selectFrom('audit_event').select('outcome').where('action', '=', 'concern.create').where('request_id', '=', requestId).execute()).map((a) => a.outcome)
    // the general path (a child not yet known)
    await assert.rejects(concerns.submit({ ...base, childIds: [], newChild: { givenName: 'Fay', familyName: 'Failing', dateOfBirth: '2016-01-01' }, idempotencyKey: randomUUID() }))
    assert.deepEqual(await failures(actor.requestId), ['failure'])
    // the one-statement path (a pupil on roll)
    const fastRequest = randomUUID()
    await assert.rejects(ctx.s.data.forActor({ ...actor, requestId: fastRequest }).concerns.submit({ ...base, childIds: [childId], idempotencyKey: randomUUID() }))
    assert.deepEqual(await failures(fastRequest), ['failure'])
  })

  async function count(table: 'outbox' | 'concern' | 'triage_action') {
    const r = await ctx.s.t.db.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()
    return Number(r.n)
  }
})

describeApp('concerns: a child the raiser reaches only personally — the concern goes to someone who can open it and decide', (ctx) => {
  const form = (child: string, seenOrHeard: string, key: string = randomUUID()) => ({ idempotencyKey: key, children: [child], category: 'neglect', seenOrHeard, occurredDate: '2026-11-20', immediateDanger: 'no' })
  const told = async (concernId: string) =>
    (await ctx.s.t.db.selectFrom('notification').select('membership_id').where('kind', '=', 'concern.new').where('subject_id', '=', concernId).execute()).map((n) => n.membership_id).sort()
  const concernBy = (key: string) => ctx.s.t.db.selectFrom('concern').selectAll().where('idempotency_key', '=', key).executeTakeFirstOrThrow()
  const brooksideLeads = ['dsl.brookside', 'deputy.brookside', 'head.brookside'].map((k) => membershipOf(k))

  /** A child known to no agency, reached by the Brookside teacher only through a relationship of their own. */
  async function childKnownToNobody(name: string) {
    const childId = randomUUID()
    await ctx.s.t.db.insertInto('child').values({ id: childId, partnership_id: PARTNERSHIP, given_name: 'Robin', family_name: name, date_of_birth: '2021-03-03', expected_date_of_birth: null, sex: 'male', nhs_number: null, upn: null, ethnicity: null, first_language: null, disability: null, created_at: ctx.s.clock.now() }).execute()
    return childId
  }

  it('another school’s pupil in a team around the child the teacher is in: the concern goes to that school’s DSLs, who open it, see it in their queue and decide; the teacher’s own DSLs are neither told nor let in', async () => {
    const childId = await pupilOf(ctx.s.t.db, 'academy')
    await makeTac(ctx.s.t.db, { childIds: [childId], lead: 'sw.north', members: ['teacher.brookside'] })
    const teacher = await ctx.s.signIn('teacher.brookside')
    const sent = form(childId, 'Came to our after-school club hungry and with a bruise on the cheek.')
    const res = await teacher.post('/concerns', sent)
    assert.equal(res.statusCode, 303, /govuk-error-summary[\s\S]*?<\/ul>/.exec(res.body)?.[0])
    const concern = await concernBy(sent.idempotencyKey)
    assert.equal(concern.child_id, childId)
    // the teacher is told where it went, not that their own DSL was alerted
    const confirmation = (await teacher.get(res.headers.location as string)).body
    assert.match(confirmation, /Concern logged[\s\S]*It has gone to [^<]*\(Deputy [^<]*\)/)
    assert.doesNotMatch(confirmation, /Your designated safeguarding lead has been alerted/)
    // sent again (a double click): the same concern, nobody told twice
    assert.equal((await teacher.post('/concerns', sent)).headers.location, res.headers.location)
    assert.deepEqual(await told(concern.id), [membershipOf('deputy.academy'), membershipOf('dsl.academy')].sort(), 'the DSL and deputy of the child’s own school')
    assert.deepEqual(concern.routed_to.sort(), [membershipOf('deputy.academy'), membershipOf('dsl.academy')].sort())
    // the child's school's DSL opens it, has it in the queue (page and API), and records the decision
    const dsl = await ctx.s.signIn('dsl.academy')
    const page = await dsl.get(`/concerns/${concern.id}`)
    assert.equal(page.statusCode, 200)
    assert.match(page.body, /Record your decision/)
    assert.match((await dsl.get('/triage')).body, new RegExp(concern.id))
    const api = (await dsl.get(`/api/v1/concerns/${concern.id}`)).json() as { canTriage: boolean }
    assert.equal(api.canTriage, true)
    assert.ok(((await dsl.get('/api/v1/triage')).json() as { concerns: { id: string }[] }).concerns.some((k) => k.id === concern.id))
    const decided = await dsl.post(`/concerns/${concern.id}/triage`, { actions: ['speak_to_parents'], outcome: 'monitor', reasons: 'Our pupil: parents seen at pick-up; monitoring.' })
    assert.equal(decided.statusCode, 303, decided.body.slice(0, 300))
    assert.equal((await ctx.s.t.db.selectFrom('concern').select('status').where('id', '=', concern.id).executeTakeFirstOrThrow()).status, 'triaged')
    // the teacher sees the outcome and reasons
    assert.match((await teacher.get(`/concerns/${concern.id}`)).body, /parents seen at pick-up/)
    // and refers it to the front door from the concern (pre-filled, the concern linked: the teacher will be told the decision)
    const rf = await dsl.get(`/referrals/new?concern=${concern.id}`)
    assert.match(rf.body, /hungry and with a bruise/)
    const referral = { idempotencyKey: /name="idempotencyKey" value="([^"]+)"/.exec(rf.body)![1]!, children: [childId], concernIds: [concern.id], kind: 'referral', reason: 'Bruise and hunger seen at another school’s club.', levelBelieved: '3', levelReason: 'Neglect', parentsKnow: 'yes', urgency: 'routine' }
    assert.equal((await dsl.post('/referrals', referral)).statusCode, 303)
    assert.deepEqual((await ctx.s.t.db.selectFrom('referral').select('concern_ids').where('idempotency_key', '=', referral.idempotencyKey).executeTakeFirstOrThrow()).concern_ids, [concern.id])
    // the teacher's own school's safeguarding leads: not told, and the concern is not found for them (nor in their queue)
    for (const key of ['dsl.brookside', 'deputy.brookside']) {
      const lead = await ctx.s.signIn(key)
      assert.equal((await lead.get(`/concerns/${concern.id}`)).statusCode, 404, key)
      assert.equal((await lead.get(`/api/v1/concerns/${concern.id}`)).statusCode, 404, key)
      assert.doesNotMatch((await lead.get('/triage')).body, new RegExp(concern.id), key)
      assert.equal((await lead.post(`/concerns/${concern.id}/triage`, { actions: ['monitor'], outcome: 'closed', reasons: 'Not ours.' })).statusCode, 404, key)
    }
    assert.ok(!(await told(concern.id)).some((m) => brooksideLeads.includes(m)))
    // nor may they name it in a referral of their own (about a pupil of theirs): not found, nothing saved
    const dslB = await ctx.s.signIn('dsl.brookside')
    const own = await pupilOf(ctx.s.t.db, 'brookside')
    const rfB = await dslB.get(`/referrals/new?child=${own}`)
    const refused = await dslB.post('/referrals', { idempotencyKey: /name="idempotencyKey" value="([^"]+)"/.exec(rfB.body)![1]!, children: [own], concernIds: [concern.id], kind: 'referral', reason: 'Tampered.', levelBelieved: '3', levelReason: 'Neglect', parentsKnow: 'yes', urgency: 'routine' })
    assert.equal(refused.statusCode, 404)
  })

  it('a child on roll nowhere, in a team around the child: the concern goes to the team’s lead practitioner, who opens it and decides', async () => {
    const childId = await childKnownToNobody('Teamonly')
    await makeTac(ctx.s.t.db, { childIds: [childId], lead: 'nurse', members: ['teacher.brookside'] })
    const teacher = await ctx.s.signIn('teacher.brookside')
    const sent = form(childId, 'Younger brother at the team meeting: no shoes.')
    assert.equal((await teacher.post('/concerns', sent)).statusCode, 303)
    const concern = await concernBy(sent.idempotencyKey)
    assert.deepEqual(await told(concern.id), [membershipOf('nurse')])
    const lead = await ctx.s.signIn('nurse')
    const page = await lead.get(`/concerns/${concern.id}`)
    assert.equal(page.statusCode, 200)
    assert.match(page.body, /Record your decision/)
    // the lead practitioner (a school nurse) is not a safeguarding lead: the page's back link goes to their list of
    // concerns to decide, before and after a decision sent without its reasons — never to a page they may not open
    const back = (body: string) => /<a href="([^"]+)" class="govuk-back-link/.exec(body)?.[1]
    assert.equal(back(page.body), '/triage')
    const bad = await lead.post(`/concerns/${concern.id}/triage`, { actions: ['early_help'], outcome: 'escalated', reasons: '' })
    assert.equal(bad.statusCode, 400)
    assert.equal(back(bad.body), '/triage')
    assert.equal((await lead.get(back(bad.body)!)).statusCode, 200)
    assert.equal((await lead.post(`/concerns/${concern.id}/triage`, { actions: ['early_help'], outcome: 'escalated', reasons: 'Raised at the team’s next meeting.' })).statusCode, 303)
    const dsl = await ctx.s.signIn('dsl.brookside')
    assert.equal((await dsl.get(`/concerns/${concern.id}`)).statusCode, 404)
    // the raiser goes back to the concerns they have logged
    assert.equal(back((await teacher.get(`/concerns/${concern.id}`)).body), '/concerns')
  })

  it('a child known to no agency and in no team: the concern goes to the front door, which opens it and decides', async () => {
    const childId = await childKnownToNobody('Claimed')
    const now = ctx.s.clock.now()
    await ctx.s.t.db.insertInto('relationship').values({ id: randomUUID(), partnership_id: PARTNERSHIP, child_id: childId, type: 'self_claimed', holder_agency_id: null, holder_team_id: null, holder_membership_id: membershipOf('teacher.brookside'), starts_at: now, ends_at: null, source: 'test', reason: 'Coaches the child at the weekend club', created_by_membership_id: membershipOf('teacher.brookside'), created_at: now }).execute()
    const teacher = await ctx.s.signIn('teacher.brookside')
    const sent = form(childId, 'Said nobody was home all weekend.')
    assert.equal((await teacher.post('/concerns', sent)).statusCode, 303)
    const concern = await concernBy(sent.idempotencyKey)
    const notified = await told(concern.id)
    assert.ok(notified.includes(membershipOf('frontdoor')), 'the front door')
    assert.ok(!notified.some((m) => brooksideLeads.includes(m)))
    const fd = await ctx.s.signIn('frontdoor')
    assert.equal((await fd.get(`/concerns/${concern.id}`)).statusCode, 200)
    assert.equal((await fd.post(`/concerns/${concern.id}/triage`, { actions: ['refer_front_door'], outcome: 'escalated', reasons: 'Taken as a contact.' })).statusCode, 303)
    assert.equal((await (await ctx.s.signIn('dsl.brookside')).get(`/concerns/${concern.id}`)).statusCode, 404)
  })

  it('whoever a concern is routed to finds it in their list of concerns to decide — a team’s lead practitioner, the front door, a teacher leading a team — and nobody else’s, until it is decided', async () => {
    const raiser = await ctx.s.signIn('teacher.brookside')
    const now = ctx.s.clock.now()
    // a child in a team led by a school nurse, a child in a team led by another school's teacher, a child nobody holds
    const nurseTeam = await childKnownToNobody('Listnurse')
    await makeTac(ctx.s.t.db, { childIds: [nurseTeam], lead: 'nurse', members: ['teacher.brookside'] })
    const teacherTeam = await childKnownToNobody('Listteacher')
    await makeTac(ctx.s.t.db, { childIds: [teacherTeam], lead: 'teacher.academy', members: ['teacher.brookside'] })
    const claimed = await childKnownToNobody('Listfrontdoor')
    await ctx.s.t.db.insertInto('relationship').values({ id: randomUUID(), partnership_id: PARTNERSHIP, child_id: claimed, type: 'self_claimed', holder_agency_id: null, holder_team_id: null, holder_membership_id: membershipOf('teacher.brookside'), starts_at: now, ends_at: null, source: 'test', reason: 'Coaches the child at the weekend club', created_by_membership_id: membershipOf('teacher.brookside'), created_at: now }).execute()
    const raise = async (child: string, words: string) => {
      const sent = form(child, words)
      assert.equal((await raiser.post('/concerns', sent)).statusCode, 303)
      return concernBy(sent.idempotencyKey)
    }
    const toNurse = await raise(nurseTeam, 'Came to the team meeting with a black eye.')
    const toTeacher = await raise(teacherTeam, 'Asleep in the corridor after the team meeting.')
    const toFrontDoor = await raise(claimed, 'Says there is no food at home.')
    assert.deepEqual(toNurse.routed_to, [membershipOf('nurse')])
    assert.deepEqual(toTeacher.routed_to, [membershipOf('teacher.academy')])
    assert.ok(toFrontDoor.routed_to.includes(membershipOf('frontdoor')) && toFrontDoor.routed_to.includes(membershipOf('frontdoor2')))
    const ids = [toNurse.id, toTeacher.id, toFrontDoor.id]
    // the open concerns to decide (the page lists those being monitored below them, under their own heading)
    const listed = async (agent: Awaited<ReturnType<typeof ctx.s.signIn>>) => {
      const res = await agent.get('/triage')
      assert.equal(res.statusCode, 200)
      const open = res.body.split('id="monitored"')[0]!
      return ids.filter((k) => open.includes(`href="/concerns/${k}"`))
    }
    const nurse = await ctx.s.signIn('nurse')
    const frontDoor = await ctx.s.signIn('frontdoor')
    const frontDoor2 = await ctx.s.signIn('frontdoor2')
    const teamLeadTeacher = await ctx.s.signIn('teacher.academy')
    assert.deepEqual(await listed(nurse), [toNurse.id])
    // the API's list is the same (it asked concern:triage, and answered 403 to whoever else decides)
    const api = await nurse.get('/api/v1/triage')
    assert.equal(api.statusCode, 200)
    assert.deepEqual((api.json() as { concerns: { id: string }[] }).concerns.map((k) => k.id), [toNurse.id])
    assert.deepEqual(await listed(frontDoor), [toFrontDoor.id])
    assert.deepEqual(await listed(frontDoor2), [toFrontDoor.id])
    assert.deepEqual(await listed(teamLeadTeacher), [toTeacher.id])
    // the raiser decides none of them (a teacher to whom nothing is routed has an empty list), nor do their school's leads
    assert.deepEqual(await listed(raiser), [])
    assert.match((await raiser.get('/triage')).body, /No open concerns/)
    assert.deepEqual(await listed(await ctx.s.signIn('dsl.brookside')), [])
    // a role that raises no concerns has no such page
    assert.equal((await (await ctx.s.signIn('admin.brookside')).get('/triage')).statusCode, 403)
    // the list's name, in the page and the menu (the current page)
    const page = (await nurse.get('/triage')).body
    assert.match(page, /<h1 class="govuk-heading-l">Concerns to decide<\/h1>/)
    assert.match(page, /href="\/triage" aria-current="true">\s*<strong class="govuk-service-navigation__active-fallback">Concerns to decide<\/strong>/)
    // each look is audited, naming the children listed
    const audit = await ctx.s.t.db.selectFrom('audit_event').select(['outcome', 'child_ids']).where('action', '=', 'concern.queue').where('actor_membership_id', '=', membershipOf('nurse')).orderBy('id', 'desc').executeTakeFirstOrThrow()
    assert.equal(audit.outcome, 'success')
    assert.ok(audit.child_ids.includes(nurseTeam) && !audit.child_ids.includes(claimed) && !audit.child_ids.includes(teacherTeam))
    // the concern's back link goes to the list
    const back = (body: string) => /<a href="([^"]+)" class="govuk-back-link/.exec(body)?.[1]
    assert.equal(back((await nurse.get(`/concerns/${toNurse.id}`)).body), '/triage')
    assert.equal(back((await frontDoor.get(`/concerns/${toFrontDoor.id}`)).body), '/triage')
    assert.equal(back((await raiser.get(`/concerns/${toNurse.id}`)).body), '/concerns')
    // decided, it leaves the list — at the front door, every member's, not only the one who decided
    assert.equal((await nurse.post(`/concerns/${toNurse.id}/triage`, { actions: ['monitor'], outcome: 'monitor', reasons: 'Seen with the family; monitoring at the next team meeting.' })).statusCode, 303)
    assert.deepEqual(await listed(nurse), [])
    // …to the list of those being monitored, for whoever decided it (the lead practitioner of any role), and nobody else's
    assert.deepEqual(((await nurse.get('/api/v1/triage')).json() as { monitored: { id: string }[] }).monitored.map((k) => k.id), [toNurse.id])
    assert.deepEqual(((await frontDoor.get('/api/v1/triage')).json() as { monitored: { id: string }[] }).monitored, [])
    assert.equal((await frontDoor.post(`/concerns/${toFrontDoor.id}/triage`, { actions: ['refer_front_door'], outcome: 'escalated', reasons: 'Taken as a contact.' })).statusCode, 303)
    assert.deepEqual(await listed(frontDoor), [])
    assert.deepEqual(await listed(frontDoor2), [])
    assert.deepEqual(await listed(teamLeadTeacher), [toTeacher.id])
  })

  it('one form naming the teacher’s own pupil and another school’s pupil: each child’s concern goes to the leads who can open that child', async () => {
    const own = await pupilOf(ctx.s.t.db, 'brookside', 1)
    const other = await pupilOf(ctx.s.t.db, 'academy', 1)
    await makeTac(ctx.s.t.db, { childIds: [other], lead: 'sw.north', members: ['teacher.brookside'] })
    const teacher = await ctx.s.signIn('teacher.brookside')
    const key = randomUUID()
    assert.equal((await teacher.post('/concerns', { ...form(own, 'Both children at the bus stop, no coats.', key), children: [own, other] })).statusCode, 303)
    const rows = await ctx.s.t.db.selectFrom('concern').selectAll().where('idempotency_key', '=', key).execute()
    const ours = rows.find((r) => r.child_id === own)!
    const theirs = rows.find((r) => r.child_id === other)!
    assert.equal(new Set(rows.map((r) => r.submission_id)).size, 1, 'one submission')
    assert.deepEqual(await told(ours.id), [...brooksideLeads].sort())
    assert.deepEqual(await told(theirs.id), [membershipOf('deputy.academy'), membershipOf('dsl.academy')].sort())
    const dsl = await ctx.s.signIn('dsl.brookside')
    assert.equal((await dsl.get(`/concerns/${ours.id}`)).statusCode, 200)
    assert.equal((await dsl.get(`/concerns/${theirs.id}`)).statusCode, 404)
    const academy = await ctx.s.signIn('dsl.academy')
    assert.equal((await academy.get(`/concerns/${theirs.id}`)).statusCode, 200)
    assert.equal((await academy.get(`/concerns/${ours.id}`)).statusCode, 404)
  })

  it('the teacher’s own pupil still takes the one-statement path to the school’s own DSLs', async () => {
    const childId = await pupilOf(ctx.s.t.db, 'brookside')
    const teacher = await ctx.s.signIn('teacher.brookside')
    const sent = form(childId, 'Our own pupil: tired every morning.')
    assert.equal((await teacher.post('/concerns', sent)).statusCode, 303)
    const concern = await concernBy(sent.idempotencyKey)
    assert.deepEqual(concern.routed_to, [])
    assert.deepEqual(await told(concern.id), [...brooksideLeads].sort())
  })

  it('more pupils than the form lists: it says so and links to the search, whose result comes back to the form chosen; out of reach stays not found', async () => {
    // Brookside with more than 500 pupils on roll; Wilhelmina sorts after the first 500
    const [far] = await addChildrenInReach(ctx.s.t.db, stableUuid('northshire:agency:brookside'), 'pupil_at', [{ givenName: 'Wilhelmina', familyName: 'Zzyzx' }, ...fillerNames(500)])
    const stranger = await addChildOutOfReach(ctx.s.t.db, { givenName: 'Ottoline', familyName: 'Zzyzx' })
    const teacher = await ctx.s.signIn('teacher.brookside')
    const form = await teacher.get('/concerns/new')
    assert.equal(form.statusCode, 200)
    assert.doesNotMatch(form.body, new RegExp(far!))
    assert.match(form.body, /Showing the first 500 of your children, by family name\. If the child is not listed, <a class="govuk-link" href="\/search\?for=concern">search for them<\/a>/)
    const found = await teacher.get('/search?for=concern&name=Wilhelmina+Zzyzx')
    assert.match(found.body, new RegExp(`href="/concerns/new\\?child=${far}">Log a concern about this child`))
    const chosen = await teacher.get(`/concerns/new?child=${far}`)
    assert.match(chosen.body, new RegExp(`value="${far}"[^>]*checked`))
    const key = /name="idempotencyKey" value="([^"]+)"/.exec(chosen.body)![1]!
    const sent = await teacher.post('/concerns', { ...form_(far!, key) })
    assert.equal(sent.statusCode, 303, /govuk-error-summary[\s\S]*?<\/ul>/.exec(sent.body)?.[0])
    assert.equal((await concernBy(key)).child_id, far)
    // a child out of reach, named in the address: not listed, and sent anyway, not found with nothing saved
    assert.doesNotMatch((await teacher.get(`/concerns/new?child=${stranger}`)).body, new RegExp(stranger))
    assert.equal((await teacher.post('/concerns', form_(stranger, randomUUID()))).statusCode, 404)
    assert.equal((await ctx.s.t.db.selectFrom('concern').select('id').where('child_id', '=', stranger).execute()).length, 0)
  })
  const form_ = (child: string, key: string) => form(child, 'Said she had not eaten since yesterday.', key)

  it('concerns kept open and monitored: listed under “Being monitored” on /triage and in the API (when, by whom, oldest decision first) for whoever decides them and nobody else; a later decision to close or escalate takes one off', async () => {
    const own1 = await pupilOf(ctx.s.t.db, 'brookside', 2)
    const own2 = await pupilOf(ctx.s.t.db, 'brookside', 3)
    const other = await pupilOf(ctx.s.t.db, 'academy', 3)
    await makeTac(ctx.s.t.db, { childIds: [other], lead: 'sw.north', members: ['teacher.brookside'] })
    const teacher = await ctx.s.signIn('teacher.brookside')
    const raise = async (child: string, words: string) => {
      const sent = form(child, words)
      assert.equal((await teacher.post('/concerns', sent)).statusCode, 303)
      return concernBy(sent.idempotencyKey)
    }
    const first = await raise(own1, 'Late every day this week.')
    const second = await raise(own2, 'Hungry at breakfast club.')
    const routed = await raise(other, 'A bruise on the wrist at the after-school club.')
    const undecided = await raise(own1, 'Not decided yet.')
    assert.deepEqual(routed.routed_to.sort(), [membershipOf('deputy.academy'), membershipOf('dsl.academy')].sort())
    type Agent = Awaited<ReturnType<typeof ctx.s.signIn>>
    const decide = (agent: Agent, k: string, outcome: string, reasons: string) => agent.post(`/concerns/${k}/triage`, { actions: ['monitor'], outcome, reasons })
    const dsl = await ctx.s.signIn('dsl.brookside')
    const academy = await ctx.s.signIn('dsl.academy')
    // the second concern is decided first: the list runs by the date of the decision, not of the concern
    assert.equal((await decide(dsl, second.id, 'monitor', 'Breakfast club staff to watch.')).statusCode, 303)
    const secondAt = ctx.s.clock.now()
    ctx.s.clock.advance(60_000)
    assert.equal((await decide(dsl, first.id, 'monitor', 'Attendance officer to watch.')).statusCode, 303)
    const firstAt = ctx.s.clock.now()
    ctx.s.clock.advance(60_000)
    assert.equal((await decide(academy, routed.id, 'monitor', 'Our pupil: watching.')).statusCode, 303)
    const ids = [first.id, second.id, routed.id, undecided.id]
    type Row = { id: string; monitored_at: string; monitored_by_given: string; monitored_by_family: string }
    const triage = async (agent: Agent) => {
      const res = await agent.get('/api/v1/triage')
      assert.equal(res.statusCode, 200)
      const body = res.json() as { concerns: { id: string }[]; monitored: Row[] }
      const ours = (rows: { id: string }[]) => rows.map((r) => r.id).filter((k) => ids.includes(k))
      return { open: ours(body.concerns), monitored: ours(body.monitored), rows: body.monitored }
    }
    const q = await triage(dsl)
    assert.deepEqual(q.monitored, [second.id, first.id], 'oldest decision first')
    assert.deepEqual(q.open, [undecided.id], 'the open ones as before, in their own field')
    const row = q.rows.find((r) => r.id === first.id)!
    assert.equal(new Date(row.monitored_at).getTime(), firstAt.getTime())
    assert.equal(`${row.monitored_by_given} ${row.monitored_by_family}`, 'Priya Shah')
    // the page: below the open ones, under its own heading, when and by whom
    const page = (await dsl.get('/triage')).body
    const [openPart, monitoredPart] = page.split('id="monitored"') as [string, string]
    assert.match(monitoredPart, /^>Being monitored<\/h2>/)
    assert.ok(openPart.includes(`href="/concerns/${undecided.id}"`) && !openPart.includes(`href="/concerns/${first.id}"`))
    for (const [k, at] of [[second.id, secondAt], [first.id, firstAt]] as const) {
      assert.match(monitoredPart, new RegExp(`href="/concerns/${k}">${formatDateTime(at)}</a></td>\\s*<td class="govuk-table__cell">Priya Shah</td>`))
    }
    assert.ok(monitoredPart.indexOf(second.id) < monitoredPart.indexOf(first.id))
    // the look is audited as the queue's always was, naming the children of both lists
    const audit = await ctx.s.t.db.selectFrom('audit_event').select(['outcome', 'child_ids']).where('action', '=', 'concern.queue').where('actor_membership_id', '=', membershipOf('dsl.brookside')).orderBy('id', 'desc').executeTakeFirstOrThrow()
    assert.equal(audit.outcome, 'success')
    assert.ok([own1, own2].every((c) => audit.child_ids.includes(c)) && !audit.child_ids.includes(other))
    // the same rule that admits the open ones: the school's other leads; the concern routed to the academy, its leads
    // only; never the raiser, nor another school's leads
    assert.deepEqual((await triage(await ctx.s.signIn('deputy.brookside'))).monitored, [second.id, first.id])
    assert.deepEqual((await triage(academy)).monitored, [routed.id])
    assert.deepEqual((await triage(await ctx.s.signIn('deputy.academy'))).monitored, [routed.id])
    assert.deepEqual((await triage(teacher)).monitored, [])
    assert.doesNotMatch((await teacher.get('/triage')).body, new RegExp(`href="/concerns/(${first.id}|${routed.id})"`))
    assert.match((await teacher.get('/triage')).body, /No concerns are being monitored/)
    // a later decision, from the concern's page: closed, the first leaves the list and is decided no more
    const firstPage = (await dsl.get(`/concerns/${first.id}`)).body
    assert.match(firstPage, /Record your decision/)
    ctx.s.clock.advance(60_000)
    assert.equal((await decide(dsl, first.id, 'closed', 'Attendance back to normal.')).statusCode, 303)
    assert.deepEqual((await triage(dsl)).monitored, [second.id])
    assert.doesNotMatch((await dsl.get(`/concerns/${first.id}`)).body, /Record your decision/)
    assert.equal((await decide(dsl, first.id, 'monitor', 'Again.')).statusCode, 400)
    // escalated, the second leaves it too (its status stays "triaged": the latest decision is what counts)
    ctx.s.clock.advance(60_000)
    assert.equal((await decide(dsl, second.id, 'escalated', 'Referred to early help.')).statusCode, 303)
    assert.equal((await ctx.s.t.db.selectFrom('concern').select('status').where('id', '=', second.id).executeTakeFirstOrThrow()).status, 'triaged')
    assert.deepEqual((await triage(dsl)).monitored, [])
    assert.match((await dsl.get('/triage')).body, /No concerns are being monitored/)
    // …and kept open and monitored again later, it is back, from that decision's date
    ctx.s.clock.advance(60_000)
    assert.equal((await decide(dsl, second.id, 'monitor', 'Early help declined by the family: watching again.')).statusCode, 303)
    const again = await triage(dsl)
    assert.deepEqual(again.monitored, [second.id])
    assert.equal(new Date(again.rows.find((r) => r.id === second.id)!.monitored_at).getTime(), ctx.s.clock.now().getTime())
    assert.deepEqual((await triage(academy)).monitored, [routed.id])
  })

  it('an undecided concern says whom it waits for — the DSL, the child’s school’s safeguarding lead, the team’s lead practitioner by name, or the front door — to its raiser and on its page', async () => {
    const own = await pupilOf(ctx.s.t.db, 'brookside', 4)
    const academyPupil = await pupilOf(ctx.s.t.db, 'academy', 4)
    await makeTac(ctx.s.t.db, { childIds: [academyPupil], lead: 'sw.north', members: ['teacher.brookside'] })
    const teamOnly = await childKnownToNobody('Waitsteam')
    await makeTac(ctx.s.t.db, { childIds: [teamOnly], lead: 'nurse', members: ['teacher.brookside'] })
    const claimed = await childKnownToNobody('Waitsfrontdoor')
    const now = ctx.s.clock.now()
    await ctx.s.t.db.insertInto('relationship').values({ id: randomUUID(), partnership_id: PARTNERSHIP, child_id: claimed, type: 'self_claimed', holder_agency_id: null, holder_team_id: null, holder_membership_id: membershipOf('teacher.brookside'), starts_at: now, ends_at: null, source: 'test', reason: 'Coaches the child at the weekend club', created_by_membership_id: membershipOf('teacher.brookside'), created_at: now }).execute()
    const teacher = await ctx.s.signIn('teacher.brookside')
    const raise = async (child: string, words: string) => {
      const sent = form(child, words)
      assert.equal((await teacher.post('/concerns', sent)).statusCode, 303)
      return concernBy(sent.idempotencyKey)
    }
    const toOwnDsl = await raise(own, 'Waits for our DSL.')
    const toSchool = await raise(academyPupil, 'Waits for the academy.')
    const toTeam = await raise(teamOnly, 'Waits for the team’s lead.')
    const toFrontDoor = await raise(claimed, 'Waits for the front door.')
    assert.deepEqual([toOwnDsl, toSchool, toTeam, toFrontDoor].map((k) => k.routed_via), [null, 'holder_leads', 'team_lead', 'front_door'])
    const expected: [string, string][] = [
      [toOwnDsl.id, 'Waiting for the DSL'],
      [toSchool.id, 'Waiting for the safeguarding lead at Northshire Academy'],
      [toTeam.id, 'Waiting for the lead practitioner, Claire Dawson'],
      [toFrontDoor.id, 'Waiting for the front door'],
    ]
    const mine = (await teacher.get('/concerns')).body
    const rowOf = (body: string, k: string) => new RegExp(`href="/concerns/${k}"[\\s\\S]*?</tr>`).exec(body)?.[0] ?? ''
    for (const [k, status] of expected) {
      assert.match(rowOf(mine, k), new RegExp(`govuk-tag--grey">\\s*${status}\\s*</strong>`), status)
      assert.match((await teacher.get(`/concerns/${k}`)).body, new RegExp(`Status\\s*</dt>\\s*<dd class="govuk-summary-list__value">\\s*${status}\\s*</dd>`), status)
    }
    // nobody named that the status is not about: not the front door's workers, not the academy's leads by name
    assert.doesNotMatch(rowOf(mine, toFrontDoor.id), /Joanne Clarke|Marcus Reid/)
    assert.doesNotMatch(rowOf(mine, toSchool.id), /Fatima Khan|Liam Walsh/)
    // whoever it went to reads the same on its page; decided, it waits for nobody
    const nurse = await ctx.s.signIn('nurse')
    assert.match((await nurse.get(`/concerns/${toTeam.id}`)).body, /Waiting for the lead practitioner, Claire Dawson/)
    assert.equal((await nurse.post(`/concerns/${toTeam.id}/triage`, { actions: ['monitor'], outcome: 'monitor', reasons: 'Watching.' })).statusCode, 303)
    assert.match(rowOf((await teacher.get('/concerns')).body, toTeam.id), /Outcome recorded/)
    assert.doesNotMatch(rowOf((await teacher.get('/concerns')).body, toTeam.id), /Waiting for/)
    // concerns routed before the rung was recorded are given the one routeAway took: the migration, run again on every
    // concern routed in these tests (to a school's leads, to lead practitioners of several roles, to the front door)
    const stored = await ctx.s.t.db.selectFrom('concern').select(['id', 'routed_via']).where(sql<boolean>`routed_to <> '{}'`).orderBy('id').execute()
    assert.deepEqual(new Set(stored.map((k) => k.routed_via)), new Set(['holder_leads', 'team_lead', 'front_door']))
    const migration = await import('../../../migrations/20261201T0501_concern_routed_via.ts')
    await ctx.s.t.privileged(async (db) => {
      await migration.down(db as never)
      await migration.up(db as never)
    })
    assert.deepEqual(await ctx.s.t.db.selectFrom('concern').select(['id', 'routed_via']).where(sql<boolean>`routed_to <> '{}'`).orderBy('id').execute(), stored)
    assert.equal((await ctx.s.t.db.selectFrom('concern').select('id').where('routed_via', 'is not', null).where(sql<boolean>`routed_to = '{}'`).execute()).length, 0)
  })
})

describeApp('concerns: a concern routed to another agency is a sharing decision, in the concern’s transaction', (ctx) => {
  const agencyOf = (key: string) => stableUuid(`northshire:agency:${key}`)
  const form = (children: string[], seenOrHeard: string, key: string = randomUUID()) => ({ idempotencyKey: key, children, category: 'neglect', seenOrHeard, occurredDate: '2026-11-20', immediateDanger: 'no' })
  const concernBy = (key: string) => ctx.s.t.db.selectFrom('concern').selectAll().where('idempotency_key', '=', key).execute()
  const decisionsFor = (childId: string) => ctx.s.t.db.selectFrom('sharing_decision').selectAll().where('child_id', '=', childId).where('context', '=', 'concern').execute()
  const allDecisions = async () => Number((await ctx.s.t.db.selectFrom('sharing_decision').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n)
  const summary = (sent: { statusCode: number; body: string }) => /govuk-error-summary[\s\S]*?<\/ul>/.exec(sent.body)?.[0]
  async function actorOf(key: string) {
    const m = await ctx.s.t.db.selectFrom('membership').selectAll().where('id', '=', membershipOf(key)).executeTakeFirstOrThrow()
    return { kind: 'practitioner' as const, partnershipId: m.partnership_id, practitionerId: m.practitioner_id, membershipId: m.id, agencyId: m.agency_id, teamId: m.team_id, role: m.role as Role, requestId: randomUUID() }
  }
  /** A child known to no agency, reached by `key` only through a self-claimed relationship of their own. */
  async function childReachedOnlyBy(key: string, familyName: string) {
    const childId = randomUUID()
    const now = ctx.s.clock.now()
    await ctx.s.t.db.insertInto('child').values({ id: childId, partnership_id: PARTNERSHIP, given_name: 'Sky', family_name: familyName, date_of_birth: '2020-05-05', expected_date_of_birth: null, sex: 'female', nhs_number: null, upn: null, ethnicity: null, first_language: null, disability: null, created_at: now }).execute()
    await ctx.s.t.db.insertInto('relationship').values({ id: randomUUID(), partnership_id: PARTNERSHIP, child_id: childId, type: 'self_claimed', holder_agency_id: null, holder_team_id: null, holder_membership_id: membershipOf(key), starts_at: now, ends_at: null, source: 'test', reason: 'Knows the child from a community group', created_by_membership_id: membershipOf(key), created_at: now }).execute()
    return childId
  }

  it('a police officer’s concern about a school’s pupil, routed to the school’s DSLs: one sharing decision, seen in the child’s sharing record and chronology by those who may see it', async () => {
    const childId = await pupilOf(ctx.s.t.db, 'academy', 2)
    await makeTac(ctx.s.t.db, { childIds: [childId], lead: 'sw.north', members: ['police.missing'] })
    const police = await ctx.s.signIn('police.missing')
    const sent = form([childId], 'Found at 2am with older youths near the station; said she had nowhere to sleep.')
    const res = await police.post('/concerns', sent)
    assert.equal(res.statusCode, 303, summary(res))
    const [concern] = await concernBy(sent.idempotencyKey)
    assert.deepEqual([...concern!.routed_to].sort(), [membershipOf('deputy.academy'), membershipOf('dsl.academy')].sort())
    const decisions = await decisionsFor(childId)
    assert.equal(decisions.length, 1, 'one decision: one receiving agency')
    const d = decisions[0]!
    assert.equal(d.context_id, concern!.id)
    assert.deepEqual(d.entry_ids, [concern!.entry_id], 'the concern’s chronology entry')
    assert.deepEqual(d.with_agency_ids, [agencyOf('academy')])
    assert.equal(d.with_other, null)
    assert.equal(d.shared, true)
    assert.equal(d.purpose, 'safeguarding')
    assert.equal(d.lawful_basis, '6.1.e', 'public task, not consent')
    assert.equal(d.consent, 'not_sought')
    assert.match(d.consent_reason ?? '', /Working Together to Safeguard Children 2023/)
    assert.equal(d.special_category, false)
    assert.equal(d.within_agreement, true, 'the agreement covers police to schools for safeguarding')
    assert.equal(d.author_membership_id, membershipOf('police.missing'))
    assert.equal(d.author_agency_id, agencyOf('police'))
    assert.doesNotMatch(d.what + d.reasons, /2am|nowhere to sleep/, 'the concern’s words stay on the concern')
    const audit = await ctx.s.t.db.selectFrom('audit_event').select(['details']).where('action', '=', 'sharing.decision.record').where('entity_id', '=', d.id).executeTakeFirstOrThrow()
    assert.equal((audit.details as { context?: string }).context, 'concern')
    // the receiving school's DSL: the child's sharing record (page and API), the decision in full, the chronology
    const dsl = await ctx.s.signIn('dsl.academy')
    const log = await dsl.get(`/children/${childId}/sharing-decisions`)
    assert.equal(log.statusCode, 200)
    assert.match(log.body, new RegExp(`/sharing-decisions/${d.id}`))
    const api = (await dsl.get(`/api/v1/children/${childId}/sharing-decisions`)).body
    assert.match(api, new RegExp(d.id))
    const page = await dsl.get(`/sharing-decisions/${d.id}`)
    assert.equal(page.statusCode, 200)
    assert.match(page.body, /A concern routed to whoever can act on it/)
    assert.match(page.body, /Northshire Academy/)
    assert.match((await dsl.get(`/children/${childId}/chronology`)).body, /Sharing decision: information \(identity and contact details, safeguarding concerns and decisions\) shared with Northshire Academy/)
    // the raiser sees the decision they are recorded as making
    assert.equal((await police.get(`/sharing-decisions/${d.id}`)).statusCode, 200)
    // a school that does not hold the child: not found
    const other = await ctx.s.signIn('dsl.brookside')
    assert.equal((await other.get(`/children/${childId}/sharing-decisions`)).statusCode, 404)
    assert.equal((await other.get(`/sharing-decisions/${d.id}`)).statusCode, 404)
    // sent again (a double click): the same concern, no second decision
    assert.equal((await police.post('/concerns', sent)).statusCode, 303)
    assert.equal((await decisionsFor(childId)).length, 1)
  })

  it('a health visitor’s concern routed to a school: special-category data shared under Art 9(2)(g) and DPA 2018 Sch 1 para 18, without consent', async () => {
    const childId = await pupilOf(ctx.s.t.db, 'academy', 3)
    await makeTac(ctx.s.t.db, { childIds: [childId], lead: 'sw.north', members: ['hv'] })
    const hv = await ctx.s.signIn('hv')
    const sent = form([childId], 'Younger sibling’s visit: the older child has untreated tooth decay and said she is often hungry.')
    const res = await hv.post('/concerns', sent)
    assert.equal(res.statusCode, 303, summary(res))
    const [d, ...more] = await decisionsFor(childId)
    assert.equal(more.length, 0)
    assert.deepEqual(d!.with_agency_ids, [agencyOf('academy')])
    assert.deepEqual([d!.lawful_basis, d!.special_category, d!.art9_condition, d!.schedule1_condition, d!.consent], ['6.1.e', true, '9.2.g', 'sch1.18', 'not_sought'])
    assert.ok(d!.para18_reason, 'the para 18(2) reason for going ahead without consent')
    assert.ok(d!.categories.includes('health'))
    assert.equal(d!.within_agreement, true, 'the agreement covers health to schools')
  })

  it('a teacher’s concern about their own pupil (one statement or the general path) and a concern routed within the raiser’s own agency: no sharing decision', async () => {
    const before = await allDecisions()
    const own = await pupilOf(ctx.s.t.db, 'brookside', 2)
    const teacher = await ctx.s.signIn('teacher.brookside')
    // one statement
    const fast = form([own], 'Our own pupil: no PE kit all term.')
    assert.equal((await teacher.post('/concerns', fast)).statusCode, 303)
    assert.deepEqual((await concernBy(fast.idempotencyKey))[0]!.routed_to, [])
    // the general path (a child not yet known named beside the pupil)
    const general = { ...form([own], 'Our pupil and her cousin, new to the area.'), newChildGivenName: 'Ada', newChildFamilyName: 'Unknownperson', newChildDob: '2017-02-02' }
    const res = await teacher.post('/concerns', general)
    assert.equal(res.statusCode, 303, summary(res))
    const made = await concernBy(general.idempotencyKey)
    assert.equal(made.length, 2, 'the pupil and the child not yet known')
    assert.ok(made.every((k) => k.routed_to.length === 0))
    // a social worker's concern about a child known to no agency goes to the front door: their own agency's
    const sw = await ctx.s.signIn('sw.south')
    const childId = await childReachedOnlyBy('sw.south', 'Ownagency')
    const sent = form([childId], 'Seen alone at the park after dark.')
    assert.equal((await sw.post('/concerns', sent)).statusCode, 303)
    const [routed] = await concernBy(sent.idempotencyKey)
    assert.ok(routed!.routed_to.includes(membershipOf('frontdoor')), 'routed to the front door, of the same agency')
    assert.equal(await allDecisions(), before, 'nothing moved beyond the raiser’s agency')
  })

  it('a concern routed to the front door: one sharing decision for the front door’s agency', async () => {
    const childId = await childReachedOnlyBy('teacher.brookside', 'Frontdoor')
    const teacher = await ctx.s.signIn('teacher.brookside')
    const sent = form([childId], 'Said nobody collected her from the holiday club.')
    const res = await teacher.post('/concerns', sent)
    assert.equal(res.statusCode, 303, summary(res))
    const [concern] = await concernBy(sent.idempotencyKey)
    assert.ok(concern!.routed_to.includes(membershipOf('frontdoor')))
    const decisions = await decisionsFor(childId)
    assert.equal(decisions.length, 1)
    assert.deepEqual(decisions[0]!.with_agency_ids, [agencyOf('csc')])
    assert.equal(decisions[0]!.context_id, concern!.id)
    assert.equal(decisions[0]!.author_agency_id, agencyOf('brookside'))
    assert.match(decisions[0]!.reasons, /front door/)
    const fd = await ctx.s.signIn('frontdoor')
    assert.match((await fd.get(`/children/${childId}/sharing-decisions`)).body, new RegExp(`/sharing-decisions/${decisions[0]!.id}`))
  })

  it('a concern write that fails writes no sharing decision, and a sharing decision that fails writes no concern: one transaction', async () => {
    const first = await pupilOf(ctx.s.t.db, 'academy', 4)
    const second = await pupilOf(ctx.s.t.db, 'academy', 5)
    await makeTac(ctx.s.t.db, { childIds: [first, second], lead: 'sw.north', members: ['police.mash'] })
    const actor = await actorOf('police.mash')
    const submit = (key: string) => ctx.s.data.forActor(actor).concerns.submit({ childIds: [first, second], category: 'neglect', seenOrHeard: 'Both found out late.', occurredAt: new Date('2026-11-20T22:00:00Z'), immediateDanger: false, bodyMap: [], idempotencyKey: key })
    const before = await allDecisions()
    // a trigger made for the test refuses the insert: a submission's second concern (written after the first child's
    // concern and its sharing decision), or any sharing decision
    const failOn = async (table: 'concern' | 'sharing_decision') =>
      ctx.s.t.privileged(async (db) => {
        await sql`create or replace function test_refuse_write() returns trigger language plpgsql as $$
          begin
            if tg_table_name = 'sharing_decision' then
              raise exception 'refused for the test';
            end if;
            if exists (select 1 from concern where submission_id = new.submission_id) then
              raise exception 'refused for the test';
            end if;
            return new;
          end $$`.execute(db)
        await sql`create trigger test_refuse_write before insert on ${sql.table(table)} for each row execute function test_refuse_write()`.execute(db)
      })
    const lift = (table: 'concern' | 'sharing_decision') => ctx.s.t.privileged((db) => sql`drop trigger test_refuse_write on ${sql.table(table)}`.execute(db))
    const key = randomUUID()
    await failOn('concern')
    try {
      await assert.rejects(submit(key), /refused for the test/)
    } finally {
      await lift('concern')
    }
    assert.equal((await concernBy(key)).length, 0)
    assert.equal(await allDecisions(), before, 'no sharing decision for the first child')
    assert.equal((await ctx.s.t.db.selectFrom('entry').select('id').where('type', '=', 'sharing_decision').where('child_id', 'in', [first, second]).execute()).length, 0)
    // the other way round: the first child's sharing decision fails, and no concern is written
    const again = randomUUID()
    await failOn('sharing_decision')
    try {
      await assert.rejects(submit(again), /refused for the test/)
    } finally {
      await lift('sharing_decision')
    }
    assert.equal((await concernBy(again)).length, 0)
    assert.equal((await ctx.s.t.db.selectFrom('notification').select('id').where('kind', '=', 'concern.new').where('child_id', 'in', [first, second]).execute()).length, 0)
    // and with nothing in the way, both concerns and a decision each
    const ok = randomUUID()
    assert.equal((await submit(ok))!.concerns.length, 2)
    assert.equal((await decisionsFor(first)).length + (await decisionsFor(second)).length, 2)
  })
})

describeApp('a concern’s related concerns are named by the partnership’s category labels', (ctx) => {
  it('the DSL’s choice of concerns to link gives each one’s kind as the partnership names it, not its code humanised', async () => {
    const childId = await pupilOf(ctx.s.t.db, 'brookside', 0)
    const teacher = await ctx.s.signIn('teacher.brookside')
    const log = async (category: string, seenOrHeard: string) => {
      const form = await teacher.get(`/concerns/new?child=${childId}`)
      const key = /name="idempotencyKey" value="([^"]+)"/.exec(form.body)![1]!
      const res = await teacher.post('/concerns', { idempotencyKey: key, children: [childId], category, seenOrHeard, occurredDate: '2026-11-23', occurredTime: '08:50', immediateDanger: 'no' })
      assert.equal(res.statusCode, 303, res.body.slice(0, 500))
    }
    await log('child_on_child', 'Pushed over in the playground by older pupils.')
    await log('neglect', 'Arrived hungry again.')
    const [first] = await ctx.s.t.db.selectFrom('concern').select('id').where('child_id', '=', childId).where('category', '=', 'neglect').execute()
    const dsl = await ctx.s.signIn('dsl.brookside')
    const page = await dsl.get(`/concerns/${first!.id}`)
    assert.equal(page.statusCode, 200)
    assert.match(page.body, /<option value="[^"]+">[^<]*\(Child-on-child abuse\)<\/option>/)
    assert.doesNotMatch(page.body, /\(Child on child\)/)
  })
})

describeApp('concerns: a routed concern whose people have all left waits for whoever the routing rule names now, never for nobody', (ctx) => {
  const form = (child: string, seenOrHeard: string) => ({ idempotencyKey: randomUUID(), children: [child], category: 'neglect', seenOrHeard, occurredDate: '2026-11-20', immediateDanger: 'no' })
  const concernBy = (key: string) => ctx.s.t.db.selectFrom('concern').selectAll().where('idempotency_key', '=', key).executeTakeFirstOrThrow()
  const endMembership = (key: string) => ctx.s.t.db.updateTable('membership').set({ ends_at: ctx.s.clock.now() }).where('id', '=', membershipOf(key)).execute()

  it('a lead practitioner who leaves: the concern waits for the front door, which finds it, opens it and decides; the page and the API say so', async () => {
    const childId = randomUUID()
    await ctx.s.t.db.insertInto('child').values({ id: childId, partnership_id: PARTNERSHIP, given_name: 'Robin', family_name: 'Leftlead', date_of_birth: '2021-03-03', expected_date_of_birth: null, sex: 'male', nhs_number: null, upn: null, ethnicity: null, first_language: null, disability: null, created_at: ctx.s.clock.now() }).execute()
    await makeTac(ctx.s.t.db, { childIds: [childId], lead: 'nurse', members: ['teacher.brookside'] })
    const teacher = await ctx.s.signIn('teacher.brookside')
    const sent = form(childId, 'Left at the gate again.')
    assert.equal((await teacher.post('/concerns', sent)).statusCode, 303)
    const k = await concernBy(sent.idempotencyKey)
    assert.deepEqual([k.routed_via, k.routed_to], ['team_lead', [membershipOf('nurse')]])
    const frontDoor = await ctx.s.signIn('frontdoor')
    // while the lead practitioner is in post, the concern is theirs: the front door neither finds nor opens it
    assert.equal(((await teacher.get(`/api/v1/concerns/${k.id}`)).json() as Api).concern.waitingFor, 'the lead practitioner, Claire Dawson')
    assert.equal((await frontDoor.get(`/concerns/${k.id}`)).statusCode, 404)
    assert.equal(await queued(frontDoor, k.id), false)
    // nor may it make a contact from it (the referral's concerns are those its maker decides: the concerns module's rule)
    const token = ((await frontDoor.get('/api/v1/me')).json() as { csrfToken: string }).csrfToken
    const contact = (key: string) =>
      frontDoor.postJson('/api/v1/referrals', { children: [childId], kind: 'contact', reason: 'The lead practitioner has left; the school’s worry taken as a contact.', levelBelieved: 2, levelReason: 'One worry, repeated', parentsKnow: true, urgency: 'today', concernIds: [k.id], idempotencyKey: key }, { 'x-csrf-token': token, 'idempotency-key': key })
    assert.equal((await contact(randomUUID())).statusCode, 404)
    // the nurse leaves their post: nobody it was routed to can act on it any more
    ctx.s.clock.advance(60_000)
    await endMembership('nurse')
    ctx.s.clock.advance(60_000)
    // the raiser is told it now waits for the front door, on the page, in the list and in the API (the same words)
    assert.equal(status((await teacher.get(`/concerns/${k.id}`)).body), 'Waiting for the front door')
    assert.match(new RegExp(`href="/concerns/${k.id}"[\\s\\S]*?</tr>`).exec((await teacher.get('/concerns')).body)![0], /Waiting for the front door/)
    assert.equal(((await teacher.get(`/api/v1/concerns/${k.id}`)).json() as Api).concern.waitingFor, 'the front door')
    assert.equal(((await teacher.get('/api/v1/concerns')).json() as { concerns: { id: string; waiting_for: string | null }[] }).concerns.find((c) => c.id === k.id)!.waiting_for, 'the front door')
    // the front door's members in post find it in their list, open it and may decide it
    await frontDoorDecides(k.id, frontDoor, (key) => ctx.s.signIn(key))
    // standing in, the front door decides it: keep open and monitor — still waiting, so still the front door's
    assert.equal((await frontDoor.post(`/concerns/${k.id}/triage`, { actions: ['monitor'], outcome: 'monitor', reasons: 'Watching the gate at home time this week.' })).statusCode, 303)
    assert.ok(((await frontDoor.get('/api/v1/triage')).json() as { monitored: { id: string }[] }).monitored.some((c) => c.id === k.id))
    assert.equal((await frontDoor.get(`/concerns/${k.id}`)).statusCode, 200)
    // and may make a contact from it, the concern linked to it
    const made = await contact(randomUUID())
    assert.equal(made.statusCode, 201, made.body)
    assert.deepEqual((await ctx.s.t.db.selectFrom('referral').select('concern_ids').where('child_id', '=', childId).execute()).map((r) => r.concern_ids), [[k.id]])
    // nobody else: another agency's safeguarding lead still does not find it
    const other = await ctx.s.signIn('dsl.academy')
    assert.equal((await other.get(`/concerns/${k.id}`)).statusCode, 404)
    assert.equal(await queued(other, k.id), false)
    // being monitored, it is still the front door's: it decides it again, escalated; decided, it waits for nobody (null
    // in the API) and is no longer the front door's to stand in for (it follows its contact): the worker who decided it
    // goes back to their decision, with nothing more to decide; a colleague who did not decide it does not find it
    assert.equal((await frontDoor.post(`/concerns/${k.id}/triage`, { actions: ['refer_front_door'], outcome: 'escalated', reasons: 'Taken as a contact: checks under way.' })).statusCode, 303)
    assert.equal(((await teacher.get(`/api/v1/concerns/${k.id}`)).json() as Api).concern.waitingFor, null)
    assert.match((await teacher.get(`/concerns/${k.id}`)).body, /Taken as a contact: checks under way\./)
    const decided = await frontDoor.get(`/concerns/${k.id}`)
    assert.equal(decided.statusCode, 200)
    assert.doesNotMatch(decided.body, /Record your decision/)
    assert.equal(await queued(frontDoor, k.id), false)
    assert.equal((await (await ctx.s.signIn('frontdoor2')).get(`/concerns/${k.id}`)).statusCode, 404)
  })

  it('a school’s safeguarding leads who all leave: the school’s leads in post now take it; with none, the front door', async () => {
    const childId = await pupilOf(ctx.s.t.db, 'academy', 7)
    await makeTac(ctx.s.t.db, { childIds: [childId], lead: 'sw.north', members: ['teacher.brookside'] })
    const teacher = await ctx.s.signIn('teacher.brookside')
    const sent = form(childId, 'Hungry at the weekend club.')
    assert.equal((await teacher.post('/concerns', sent)).statusCode, 303)
    const k = await concernBy(sent.idempotencyKey)
    assert.deepEqual([k.routed_via, [...k.routed_to].sort()], ['holder_leads', [membershipOf('deputy.academy'), membershipOf('dsl.academy')].sort()])
    const frontDoor = await ctx.s.signIn('frontdoor')
    // one of them leaves: the other is still in post, and it is still theirs alone
    await disablePractitionerOf(ctx.s.t.db, membershipOf('dsl.academy'), ctx.s.clock.now())
    ctx.s.clock.advance(60_000)
    const deputy = await ctx.s.signIn('deputy.academy')
    assert.equal(await queued(deputy, k.id), true)
    assert.equal(await queued(frontDoor, k.id), false)
    // the deputy leaves too, and the school appoints Rachel Green its deputy DSL: she finds it, and it still waits for
    // the school's safeguarding lead
    await endMembership('deputy.academy')
    const { practitioner_id, team_id } = await ctx.s.t.db.selectFrom('membership').select(['practitioner_id', 'team_id']).where('id', '=', membershipOf('senco.academy')).executeTakeFirstOrThrow()
    const deputyTeam = (await ctx.s.t.db.selectFrom('membership').select('team_id').where('id', '=', membershipOf('deputy.academy')).executeTakeFirstOrThrow()).team_id ?? team_id
    await endMembership('senco.academy')
    const appointed = randomUUID()
    await ctx.s.t.db.insertInto('membership').values({ id: appointed, partnership_id: PARTNERSHIP, practitioner_id, agency_id: stableUuid('northshire:agency:academy'), team_id: deputyTeam, role: 'deputy_dsl', starts_at: ctx.s.clock.now(), ends_at: null, created_at: ctx.s.clock.now() }).execute()
    ctx.s.clock.advance(60_000)
    assert.equal(status((await teacher.get(`/concerns/${k.id}`)).body), 'Waiting for the safeguarding lead at Northshire Academy')
    const rachel = await ctx.s.signIn('senco.academy')
    assert.equal(await queued(rachel, k.id), true)
    const api = (await rachel.get(`/api/v1/concerns/${k.id}`)).json() as Api
    assert.deepEqual([api.concern.waitingFor, api.canTriage], ['the safeguarding lead at Northshire Academy', true])
    assert.equal(await queued(frontDoor, k.id), false)
    // she leaves too, and the academy has no safeguarding lead in post: the front door
    await ctx.s.t.db.updateTable('membership').set({ ends_at: ctx.s.clock.now() }).where('id', '=', appointed).execute()
    ctx.s.clock.advance(60_000)
    assert.equal(((await teacher.get(`/api/v1/concerns/${k.id}`)).json() as Api).concern.waitingFor, 'the front door')
    assert.equal(await queued(frontDoor, k.id), true)
    assert.equal(status((await frontDoor.get(`/concerns/${k.id}`)).body), 'Waiting for the front door')
  })
})

describeApp('concerns: a concern not routed away, at an agency whose safeguarding leads have all left, waits for the front door; told when it starts to', (ctx) => {
  const form = (child: string, seenOrHeard: string) => ({ idempotencyKey: randomUUID(), children: [child], category: 'neglect', seenOrHeard, occurredDate: '2026-11-20', immediateDanger: 'no' })
  const concernBy = (key: string) => ctx.s.t.db.selectFrom('concern').selectAll().where('idempotency_key', '=', key).executeTakeFirstOrThrow()
  const leave = (membershipId: string) => ctx.s.t.db.updateTable('membership').set({ ends_at: ctx.s.clock.now() }).where('id', '=', membershipId).execute()
  const told = (k: string) => ctx.s.t.db.selectFrom('notification').select(['membership_id', 'kind', 'link']).where('subject_id', '=', k).where('kind', '=', 'concern.stand-in').execute()
  const practitionerOf = async (membershipId: string) => (await ctx.s.t.db.selectFrom('membership').select('practitioner_id').where('id', '=', membershipId).executeTakeFirstOrThrow()).practitioner_id
  const handOnDecisions = (k: string) => ctx.s.t.db.selectFrom('sharing_decision').selectAll().where('context', '=', 'concern').where('context_id', '=', k).orderBy('created_at').execute()

  it('the academy’s DSL and deputy leave: the front door finds, opens and decides its teacher’s concern; a DSL appointed again takes it back', async () => {
    const childId = await pupilOf(ctx.s.t.db, 'academy', 8)
    const teacher = await ctx.s.signIn('teacher.academy')
    const sent = form(childId, 'Came in with no coat again in the snow.')
    assert.equal((await teacher.post('/concerns', sent)).statusCode, 303)
    const k = await concernBy(sent.idempotencyKey)
    assert.deepEqual([k.routed_via, k.routed_to], [null, []], 'not routed away: the academy’s own leads')
    const frontDoor = await ctx.s.signIn('frontdoor')
    assert.equal(((await teacher.get(`/api/v1/concerns/${k.id}`)).json() as Api).concern.waitingFor, 'the DSL')
    assert.equal((await frontDoor.get(`/concerns/${k.id}`)).statusCode, 404)
    assert.equal(await queued(frontDoor, k.id), false)
    // the DSL's account is disabled and the deputy leaves: the academy has no safeguarding lead in post
    await disablePractitionerOf(ctx.s.t.db, membershipOf('dsl.academy'), ctx.s.clock.now())
    await leave(membershipOf('deputy.academy'))
    ctx.s.clock.advance(60_000)
    assert.equal(status((await teacher.get(`/concerns/${k.id}`)).body), 'Waiting for the front door')
    assert.match(new RegExp(`href="/concerns/${k.id}"[\\s\\S]*?</tr>`).exec((await teacher.get('/concerns')).body)![0], /Waiting for the front door/)
    assert.equal(((await teacher.get(`/api/v1/concerns/${k.id}`)).json() as Api).concern.waitingFor, 'the front door')
    await frontDoorDecides(k.id, frontDoor, (key) => ctx.s.signIn(key))
    // nobody else: another school's DSL
    const other = await ctx.s.signIn('dsl.brookside')
    assert.equal((await other.get(`/concerns/${k.id}`)).statusCode, 404)
    assert.equal(await queued(other, k.id), false)
    // the academy appoints Rachel Green its DSL: the concern, still undecided, is the academy's again
    const { team_id } = await ctx.s.t.db.selectFrom('membership').select('team_id').where('id', '=', membershipOf('deputy.academy')).executeTakeFirstOrThrow()
    const rachelPractitioner = await practitionerOf(membershipOf('senco.academy'))
    await leave(membershipOf('senco.academy'))
    const appointed = randomUUID()
    await ctx.s.t.db.insertInto('membership').values({ id: appointed, partnership_id: PARTNERSHIP, practitioner_id: rachelPractitioner, agency_id: stableUuid('northshire:agency:academy'), team_id, role: 'dsl', starts_at: ctx.s.clock.now(), ends_at: null, created_at: ctx.s.clock.now() }).execute()
    ctx.s.clock.advance(60_000)
    assert.equal(((await teacher.get(`/api/v1/concerns/${k.id}`)).json() as Api).concern.waitingFor, 'the DSL')
    assert.equal(status((await teacher.get(`/concerns/${k.id}`)).body), 'Waiting for the DSL')
    assert.equal(await queued(frontDoor, k.id), false)
    assert.equal((await frontDoor.get(`/concerns/${k.id}`)).statusCode, 404)
    const rachel = await ctx.s.signIn('senco.academy')
    assert.equal(await queued(rachel, k.id), true)
    // she leaves in turn: the front door again, which may make a contact from it and decides it
    await leave(appointed)
    ctx.s.clock.advance(60_000)
    assert.equal(await queued(frontDoor, k.id), true)
    const token = ((await frontDoor.get('/api/v1/me')).json() as { csrfToken: string }).csrfToken
    const key = randomUUID()
    const made = await frontDoor.postJson('/api/v1/referrals', { children: [childId], kind: 'contact', reason: 'The academy has no DSL in post; its teacher’s worry taken as a contact.', levelBelieved: 2, levelReason: 'One worry', parentsKnow: true, urgency: 'today', concernIds: [k.id], idempotencyKey: key }, { 'x-csrf-token': token, 'idempotency-key': key })
    assert.equal(made.statusCode, 201, made.body)
    // the contact decided it: waiting for nobody, and no longer the front door's to stand in for
    assert.equal(((await teacher.get(`/api/v1/concerns/${k.id}`)).json() as Api).concern.waitingFor, null)
    assert.equal((await frontDoor.post(`/concerns/${k.id}/triage`, { actions: ['refer_front_door'], outcome: 'escalated', reasons: 'Taken as a contact while the academy has no DSL.' })).statusCode, 404)
  })

  it('ending the last lead’s membership, or disabling their account, tells the front door’s members in post (an item and an email without personal data), and nobody else', async () => {
    // (the first test's leavers back in post, its appointed DSL gone: this test's own)
    await ctx.s.t.db.updateTable('membership').set({ ends_at: null }).where('id', 'in', [membershipOf('deputy.academy')]).execute()
    await ctx.s.t.db.updateTable('practitioner').set({ disabled_at: null }).where('id', '=', await practitionerOf(membershipOf('dsl.academy'))).execute()
    await ctx.s.t.db.updateTable('membership').set({ ends_at: ctx.s.clock.now() }).where('partnership_id', '=', PARTNERSHIP).where('agency_id', '=', stableUuid('northshire:agency:academy')).where('role', 'in', ['dsl', 'deputy_dsl', 'headteacher']).where('id', 'not in', [membershipOf('dsl.academy'), membershipOf('deputy.academy')]).execute()
    ctx.s.clock.advance(60_000)
    const childId = await pupilOf(ctx.s.t.db, 'academy', 9)
    const teacher = await ctx.s.signIn('teacher.academy')
    const sent = form(childId, 'Said she sleeps on the sofa most nights.')
    assert.equal((await teacher.post('/concerns', sent)).statusCode, 303)
    const k = await concernBy(sent.idempotencyKey)
    assert.deepEqual(k.routed_to, [])
    const admin = await ctx.s.signIn('partnership.admin')
    const outboxBefore = Number((await ctx.s.t.db.selectFrom('outbox').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow()).n)
    // the deputy leaves: the DSL is still in post, and nobody stands in
    assert.equal((await admin.post(`/admin/memberships/${membershipOf('deputy.academy')}/end`, { reason: 'Moved to another school' })).statusCode, 303)
    assert.deepEqual(await told(k.id), [])
    assert.deepEqual(await handOnDecisions(k.id), [], 'nothing left the academy')
    // the DSL leaves: the front door's members in post now stand in, and are told
    ctx.s.clock.advance(60_000)
    assert.equal((await admin.post(`/admin/memberships/${membershipOf('dsl.academy')}/end`, { reason: 'Retired' })).statusCode, 303)
    const first = await told(k.id)
    const frontDoorTeam = (await ctx.s.t.db.selectFrom('membership').select('team_id').where('id', '=', membershipOf('frontdoor')).executeTakeFirstOrThrow()).team_id
    const frontDoorMembers = (await ctx.s.t.db.selectFrom('membership').select('id').where('team_id', '=', frontDoorTeam).execute()).map((m) => m.id)
    const toldTo = first.map((n) => n.membership_id)
    assert.ok(toldTo.includes(membershipOf('frontdoor')) && toldTo.includes(membershipOf('frontdoor2')), 'the front door’s workers')
    assert.ok(toldTo.every((m) => frontDoorMembers.includes(m)), 'nobody outside the front door')
    assert.ok(!toldTo.includes(membershipOf('teacher.academy')) && !toldTo.includes(membershipOf('dsl.brookside')))
    assert.equal(new Set(toldTo).size, toldTo.length, 'once each')
    assert.ok(first.every((n) => n.link === `/concerns/${k.id}`))
    // the change that handed it on says so in its audit row, naming the concern and its child
    const ended = await ctx.s.t.db.selectFrom('audit_event').select(['child_ids', 'details']).where('action', '=', 'membership.end').where('entity_id', '=', membershipOf('dsl.academy')).orderBy('id', 'desc').executeTakeFirstOrThrow()
    assert.deepEqual([ended.child_ids, (ended.details as { concernsHandedOn?: string[] }).concernsHandedOn], [[childId], [k.id]])
    // the academy's information moved to the front door's agency: a sharing decision on the raiser's behalf (the routing
    // rule chose the recipient, not the administrator), on the same terms as a concern routed when logged, with its
    // chronology entry; the change's audit row names it
    const decisions = await handOnDecisions(k.id)
    assert.equal(decisions.length, 1)
    const d = decisions[0]!
    const frontDoorAgency = (await ctx.s.t.db.selectFrom('membership').select('agency_id').where('id', '=', membershipOf('frontdoor')).executeTakeFirstOrThrow()).agency_id
    assert.deepEqual([d.shared, d.with_agency_ids, d.child_id, d.entry_ids, d.author_membership_id, d.author_agency_id], [true, [frontDoorAgency], childId, [k.entry_id], membershipOf('teacher.academy'), stableUuid('northshire:agency:academy')])
    assert.deepEqual([d.purpose, d.lawful_basis, d.consent], ['safeguarding', '6.1.e', 'not_sought'])
    assert.match(d.reasons, /^Handed on: everyone the concern waited for has left/)
    assert.deepEqual((ended.details as { sharingDecisions?: string[] }).sharingDecisions, [d.id])
    const entry = await ctx.s.t.db.selectFrom('entry').select(['type', 'child_id', 'author_membership_id']).where('detail_id', '=', d.id).executeTakeFirstOrThrow()
    assert.deepEqual([entry.type, entry.child_id, entry.author_membership_id], ['sharing_decision', childId, membershipOf('teacher.academy')])
    const emails = await ctx.s.t.db.selectFrom('outbox').select(['to_address', 'subject', 'body']).orderBy('created_at', 'desc').limit(50).execute()
    const frontDoorEmail = (await ctx.s.t.db.selectFrom('practitioner').select('email').where('id', '=', await practitionerOf(membershipOf('frontdoor'))).executeTakeFirstOrThrow()).email
    const mail = emails.find((e) => e.to_address === frontDoorEmail && /waiting for you to decide it/.test(e.body))
    assert.ok(mail, 'an email to the front-door worker')
    const child = await ctx.s.t.db.selectFrom('child').select(['given_name', 'family_name']).where('id', '=', childId).executeTakeFirstOrThrow()
    assert.doesNotMatch(`${mail.subject} ${mail.body}`, new RegExp(`${child.given_name}|${child.family_name}|${k.id}`))
    assert.ok(Number((await ctx.s.t.db.selectFrom('outbox').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow()).n) > outboxBefore)
    // the front door sees it in its notifications and its list
    const frontDoor = await ctx.s.signIn('frontdoor')
    assert.equal(await queued(frontDoor, k.id), true)
    // a DSL is appointed (not told: the concern is theirs as any new concern of the academy), and her account is
    // disabled: the front door stands in again and is told again
    const rachel = randomUUID()
    await ctx.s.t.db.insertInto('membership').values({ id: rachel, partnership_id: PARTNERSHIP, practitioner_id: await practitionerOf(membershipOf('senco.academy')), agency_id: stableUuid('northshire:agency:academy'), team_id: null, role: 'dsl', starts_at: ctx.s.clock.now(), ends_at: null, created_at: ctx.s.clock.now() }).execute()
    ctx.s.clock.advance(60_000)
    assert.equal(await queued(frontDoor, k.id), false)
    assert.equal((await told(k.id)).length, first.length, 'nobody told when the concern goes back to the academy')
    assert.equal((await admin.post(`/admin/practitioners/${await practitionerOf(membershipOf('senco.academy'))}/disable`, { reason: 'Left the academy' })).statusCode, 303)
    const again = await told(k.id)
    assert.equal(again.length, first.length * 2, 'each front-door worker told again')
    // the front door's agency has had the concern: no second decision, and the audit row names none
    assert.deepEqual((await handOnDecisions(k.id)).map((x) => x.id), [d.id])
    const disabled = await ctx.s.t.db.selectFrom('audit_event').select(['details']).where('action', '=', 'practitioner.disable').orderBy('id', 'desc').executeTakeFirstOrThrow()
    assert.deepEqual([(disabled.details as { concernsHandedOn?: string[] }).concernsHandedOn, (disabled.details as { sharingDecisions?: string[] }).sharingDecisions], [[k.id], undefined])
    assert.equal(await queued(frontDoor, k.id), true)
  })
})

describeApp('concerns: a closed concern waits for nobody: those who stand in for people who left never open it', (ctx) => {
  /** A child known only to a team around the child led by `lead`, and a Brookside teacher's concern about them, routed to the lead. */
  async function teamLeadConcern(lead: string, child: { given: string; family: string; dob: string; sex: 'male' | 'female' }, seenOrHeard: string) {
    const childId = randomUUID()
    await ctx.s.t.db.insertInto('child').values({ id: childId, partnership_id: PARTNERSHIP, given_name: child.given, family_name: child.family, date_of_birth: child.dob, expected_date_of_birth: null, sex: child.sex, nhs_number: null, upn: null, ethnicity: null, first_language: null, disability: null, created_at: ctx.s.clock.now() }).execute()
    await makeTac(ctx.s.t.db, { childIds: [childId], lead, members: ['teacher.brookside'] })
    const teacher = await ctx.s.signIn('teacher.brookside')
    const key = randomUUID()
    assert.equal((await teacher.post('/concerns', { idempotencyKey: key, children: [childId], category: 'neglect', seenOrHeard, occurredDate: '2026-11-20', immediateDanger: 'no' })).statusCode, 303)
    const k = await ctx.s.t.db.selectFrom('concern').select(['id', 'routed_via']).where('idempotency_key', '=', key).executeTakeFirstOrThrow()
    assert.equal(k.routed_via, 'team_lead')
    return { childId, k, teacher }
  }

  it('a concern the lead practitioner closed, who then left: the front door neither finds nor opens it (page, API, queue)', async () => {
    const { k, teacher } = await teamLeadConcern('nurse', { given: 'Robin', family: 'Closedcase', dob: '2021-03-03', sex: 'male' }, 'Left at the gate once; collected within minutes.')
    const nurse = await ctx.s.signIn('nurse')
    assert.equal((await nurse.post(`/concerns/${k.id}/triage`, { actions: ['monitor'], outcome: 'closed', reasons: 'Collected within minutes; no further action.' })).statusCode, 303)
    assert.equal((await ctx.s.t.db.selectFrom('concern').select('status').where('id', '=', k.id).executeTakeFirstOrThrow()).status, 'closed')
    ctx.s.clock.advance(60_000)
    await ctx.s.t.db.updateTable('membership').set({ ends_at: ctx.s.clock.now() }).where('id', '=', membershipOf('nurse')).execute()
    ctx.s.clock.advance(60_000)
    const frontDoor = await ctx.s.signIn('frontdoor')
    assert.equal((await frontDoor.get(`/concerns/${k.id}`)).statusCode, 404)
    assert.equal((await frontDoor.get(`/api/v1/concerns/${k.id}`)).statusCode, 404)
    const triage = (await frontDoor.get('/api/v1/triage')).json() as { concerns: { id: string }[]; monitored: { id: string }[] }
    assert.ok(![...triage.concerns, ...triage.monitored].some((c) => c.id === k.id))
    // its raiser still follows it, decided
    assert.equal((await teacher.get(`/concerns/${k.id}`)).statusCode, 200)
  })

  it('the front-door worker who stood in and closed a concern goes back to it (their decision, no form); a colleague who did not decide it does not find it', async () => {
    const { k } = await teamLeadConcern('gp', { given: 'Alex', family: 'Stoodin', dob: '2019-02-02', sex: 'female' }, 'Hungry at breakfast club three days running.')
    ctx.s.clock.advance(60_000)
    await ctx.s.t.db.updateTable('membership').set({ ends_at: ctx.s.clock.now() }).where('id', '=', membershipOf('gp')).execute()
    ctx.s.clock.advance(60_000)
    const frontDoor = await ctx.s.signIn('frontdoor')
    assert.match((await frontDoor.get(`/concerns/${k.id}`)).body, /Record your decision/, 'stood in for')
    assert.equal((await frontDoor.post(`/concerns/${k.id}/triage`, { actions: ['monitor'], outcome: 'closed', reasons: 'Breakfast club now feeds her daily; school will log again if it recurs.' })).statusCode, 303)
    const page = await frontDoor.get(`/concerns/${k.id}`)
    assert.equal(page.statusCode, 200, 'the decider goes back to it')
    assert.match(page.body, /Breakfast club now feeds her daily/)
    assert.doesNotMatch(page.body, /Record your decision/, 'decided: nothing more to decide')
    const api = (await frontDoor.get(`/api/v1/concerns/${k.id}`)).json() as { canTriage: boolean }
    assert.equal(api.canTriage, false)
    assert.equal((await frontDoor.post(`/concerns/${k.id}/triage`, { actions: ['monitor'], outcome: 'escalated', reasons: 'Again.' })).statusCode, 404, 'not theirs to decide again')
    const colleague = await ctx.s.signIn('frontdoor2')
    assert.equal((await colleague.get(`/concerns/${k.id}`)).statusCode, 404)
  })

  it('a pupil who leaves does not strand a concern: the DSL who monitored it still finds it in the queue and closes it, and then no longer finds it; one the DSL raised and escalated is theirs to follow, not to decide again', async () => {
    const childId = randomUUID()
    const now = ctx.s.clock.now()
    await ctx.s.t.db.insertInto('child').values({ id: childId, partnership_id: PARTNERSHIP, given_name: 'Jordan', family_name: 'Movedon', date_of_birth: '2016-06-06', expected_date_of_birth: null, sex: 'male', nhs_number: null, upn: null, ethnicity: null, first_language: null, disability: null, created_at: now }).execute()
    const pupil = randomUUID()
    await ctx.s.t.db.insertInto('relationship').values({ id: pupil, partnership_id: PARTNERSHIP, child_id: childId, type: 'pupil_at', holder_agency_id: stableUuid('northshire:agency:brookside'), holder_team_id: null, holder_membership_id: null, starts_at: now, ends_at: null, source: 'test', reason: 'On roll', created_by_membership_id: null, created_at: now }).execute()
    const raise = async (as: Awaited<ReturnType<typeof ctx.s.signIn>>, seenOrHeard: string) => {
      const key = randomUUID()
      assert.equal((await as.post('/concerns', { idempotencyKey: key, children: [childId], category: 'neglect', seenOrHeard, occurredDate: '2026-11-20', immediateDanger: 'no' })).statusCode, 303)
      return (await ctx.s.t.db.selectFrom('concern').select('id').where('idempotency_key', '=', key).executeTakeFirstOrThrow()).id
    }
    const teacher = await ctx.s.signIn('teacher.brookside')
    const dsl = await ctx.s.signIn('dsl.brookside')
    const k = await raise(teacher, 'Uniform unwashed all week.')
    assert.equal((await dsl.post(`/concerns/${k}/triage`, { actions: ['monitor'], outcome: 'monitor', reasons: 'Watch over the next fortnight.' })).statusCode, 303)
    const own = await raise(dsl, 'Told me he sleeps on the sofa at his uncle’s.')
    assert.equal((await dsl.post(`/concerns/${own}/triage`, { actions: ['refer_front_door'], outcome: 'escalated', reasons: 'Referred the same day.' })).statusCode, 303)
    const monitored = async () => ((await dsl.get('/api/v1/triage')).json() as { monitored: { id: string }[] }).monitored.map((c) => c.id)
    assert.ok((await monitored()).includes(k))
    const before = (await dsl.get(`/concerns/${k}`)).body
    assert.match(before, /name="outcome" type="radio" value="monitor"/, 'while the pupil is on roll, monitoring is offered')
    assert.ok(before.includes(`href="/children/${childId}"`) && before.includes(`href="/referrals/new?concern=${k}"`))
    // the pupil leaves Brookside: the school reaches the child no more
    ctx.s.clock.advance(60_000)
    await ctx.s.t.db.updateTable('relationship').set({ ends_at: ctx.s.clock.now() }).where('id', '=', pupil).execute()
    ctx.s.clock.advance(60_000)
    assert.equal((await dsl.get(`/api/v1/children/${childId}`)).statusCode, 404, 'the child’s record is out of reach')
    // the monitored concern still waits for the school's DSL: found, opened with its decision form, closed
    assert.ok((await monitored()).includes(k), 'still in the queue of whoever it waits for')
    const page = await dsl.get(`/concerns/${k}`)
    assert.equal(page.statusCode, 200)
    assert.match(page.body, /Record your decision/)
    assert.match(page.body, /You no longer work with this child/)
    assert.ok(!page.body.includes(`href="/children/${childId}"`) && !page.body.includes('href="/referrals/new?concern='), 'no way offered into a record out of reach')
    assert.doesNotMatch(page.body, /name="outcome" type="radio" value="monitor"/, 'keeping it open to monitor is not offered')
    assert.equal((await dsl.get(`/api/v1/concerns/${k}`)).statusCode, 200)
    // nor accepted: monitoring a child one no longer works with would keep the concern theirs for ever
    const again = await dsl.post(`/concerns/${k}/triage`, { actions: ['monitor'], outcome: 'monitor', reasons: 'Keep watching.' })
    assert.equal(again.statusCode, 400)
    assert.match(again.body, /govuk-error-summary[\s\S]*href="#outcome"[\s\S]*You no longer work with this child: close the concern or escalate it/)
    const token = ((await dsl.get('/api/v1/me')).json() as { csrfToken: string }).csrfToken
    const etag = String((await dsl.get(`/api/v1/concerns/${k}`)).headers.etag)
    const viaApi = await dsl.postJson(`/api/v1/concerns/${k}/triage`, { actions: ['monitor'], outcome: 'monitor', reasons: 'Keep watching.' }, { 'x-csrf-token': token, 'if-match': etag })
    assert.equal(viaApi.statusCode, 400)
    assert.match(viaApi.headers['content-type'] as string, /application\/problem\+json/)
    assert.equal((await ctx.s.t.db.selectFrom('triage_action').select('id').where('concern_id', '=', k).execute()).length, 1, 'nothing saved')
    assert.equal((await dsl.post(`/concerns/${k}/triage`, { actions: ['monitor'], outcome: 'closed', reasons: 'Left the school; file sent to the new school.' })).statusCode, 303)
    // decided, it waits for nobody: its history stays with those who reach the child
    assert.equal((await dsl.get(`/concerns/${k}`)).statusCode, 404)
    assert.equal((await dsl.get(`/api/v1/concerns/${k}`)).statusCode, 404)
    assert.ok(!(await monitored()).includes(k))
    // its raiser still follows it, and reads the decision
    const followed = await teacher.get(`/concerns/${k}`)
    assert.equal(followed.statusCode, 200)
    assert.match(followed.body, /Left the school; file sent to the new school\./)
    // the concern the DSL raised and escalated: theirs to follow, no longer theirs to decide
    const mine = await dsl.get(`/concerns/${own}`)
    assert.equal(mine.statusCode, 200)
    assert.doesNotMatch(mine.body, /Record your decision/)
    assert.equal((await dsl.post(`/concerns/${own}/triage`, { actions: ['monitor'], outcome: 'closed', reasons: 'Left the school.' })).statusCode, 404)
  })

  it('an escalated concern has been decided too: the front door does not stand in for it', async () => {
    const { k } = await teamLeadConcern('sw.north', { given: 'Rowan', family: 'Escalated', dob: '2020-04-04', sex: 'female' }, 'Bruise on the arm, no explanation.')
    const lead = await ctx.s.signIn('sw.north')
    assert.equal((await lead.post(`/concerns/${k.id}/triage`, { actions: ['refer_front_door'], outcome: 'escalated', reasons: 'Referred the same day.' })).statusCode, 303)
    assert.equal((await ctx.s.t.db.selectFrom('concern').select('status').where('id', '=', k.id).executeTakeFirstOrThrow()).status, 'triaged')
    ctx.s.clock.advance(60_000)
    await ctx.s.t.db.updateTable('membership').set({ ends_at: ctx.s.clock.now() }).where('id', '=', membershipOf('sw.north')).execute()
    ctx.s.clock.advance(60_000)
    const frontDoor = await ctx.s.signIn('frontdoor')
    assert.equal((await frontDoor.get(`/concerns/${k.id}`)).statusCode, 404)
    const triage = (await frontDoor.get('/api/v1/triage')).json() as { concerns: { id: string }[]; monitored: { id: string }[] }
    assert.ok(![...triage.concerns, ...triage.monitored].some((c) => c.id === k.id))
  })

  it('a police concern from before routing (not routed away, at an agency that never had a safeguarding lead) is not the front door’s', async () => {
    const teacher = await ctx.s.signIn('teacher.brookside')
    const childId = await pupilOf(ctx.s.t.db, 'brookside', 3)
    const key = randomUUID()
    assert.equal((await teacher.post('/concerns', { idempotencyKey: key, children: [childId], category: 'neglect', seenOrHeard: 'Seen by an officer at the station.', occurredDate: '2026-11-20', immediateDanger: 'no' })).statusCode, 303)
    // made as a concern logged at the police before concerns were routed: the police's own, routed to nobody
    const k = await ctx.s.t.db.selectFrom('concern').select(['id', 'routed_to']).where('idempotency_key', '=', key).executeTakeFirstOrThrow()
    assert.deepEqual(k.routed_to, [])
    await ctx.s.t.db.updateTable('concern').set({ agency_id: stableUuid('northshire:agency:police') }).where('id', '=', k.id).execute()
    const frontDoor = await ctx.s.signIn('frontdoor')
    assert.equal((await frontDoor.get(`/concerns/${k.id}`)).statusCode, 404)
    assert.ok(!((await frontDoor.get('/api/v1/triage')).json() as { concerns: { id: string }[] }).concerns.some((c) => c.id === k.id))
  })
})

describeApp('concerns: a routed concern handed on is a sharing decision only when it moves to an agency that has not had it', (ctx) => {
  const db = () => ctx.s.t.db
  const decisions = (k: string) => db().selectFrom('sharing_decision').selectAll().where('context', '=', 'concern').where('context_id', '=', k).orderBy('created_at').execute()
  const told = async (k: string) => (await db().selectFrom('notification').select('membership_id').where('subject_id', '=', k).where('kind', '=', 'concern.stand-in').execute()).map((n) => n.membership_id)
  const lastEnd = async (membershipId: string) => (await db().selectFrom('audit_event').select(['child_ids', 'details']).where('action', '=', 'membership.end').where('entity_id', '=', membershipId).orderBy('id', 'desc').executeTakeFirstOrThrow()) as { child_ids: string[]; details: { concernsHandedOn?: string[]; sharingDecisions?: string[] } }

  it('a police concern routed to the academy’s DSLs: their successor at the academy stands in (no new decision); when she leaves too, the front door (a decision for its agency)', async () => {
    const childId = await pupilOf(db(), 'academy', 4)
    await makeTac(db(), { childIds: [childId], lead: 'sw.north', members: ['police.missing'] })
    const police = await ctx.s.signIn('police.missing')
    const key = randomUUID()
    assert.equal((await police.post('/concerns', { idempotencyKey: key, children: [childId], category: 'neglect', seenOrHeard: 'Found asleep in the bus shelter before school.', occurredDate: '2026-11-20', immediateDanger: 'no' })).statusCode, 303)
    const k = await db().selectFrom('concern').selectAll().where('idempotency_key', '=', key).executeTakeFirstOrThrow()
    assert.equal(k.routed_via, 'holder_leads')
    assert.deepEqual([...k.routed_to].sort(), [membershipOf('deputy.academy'), membershipOf('dsl.academy')].sort())
    const [routed] = await decisions(k.id)
    assert.deepEqual(routed!.with_agency_ids, [stableUuid('northshire:agency:academy')], 'routing it to the academy was the first decision')
    // the academy appoints a new DSL; then the deputy and the DSL the concern went to leave
    const successor = randomUUID()
    const { practitioner_id } = await db().selectFrom('membership').select('practitioner_id').where('id', '=', membershipOf('senco.academy')).executeTakeFirstOrThrow()
    await db().insertInto('membership').values({ id: successor, partnership_id: PARTNERSHIP, practitioner_id, agency_id: stableUuid('northshire:agency:academy'), team_id: null, role: 'dsl', starts_at: ctx.s.clock.now(), ends_at: null, created_at: ctx.s.clock.now() }).execute()
    ctx.s.clock.advance(60_000)
    const admin = await ctx.s.signIn('partnership.admin')
    assert.equal((await admin.post(`/admin/memberships/${membershipOf('deputy.academy')}/end`, { reason: 'Moved away' })).statusCode, 303)
    assert.deepEqual(await told(k.id), [], 'the DSL it went to is still in post')
    assert.equal((await admin.post(`/admin/memberships/${membershipOf('dsl.academy')}/end`, { reason: 'Retired' })).statusCode, 303)
    assert.deepEqual(await told(k.id), [successor], 'the academy’s DSL in post now stands in, and is told')
    assert.equal((await decisions(k.id)).length, 1, 'the academy has had the concern: nothing new has left the police')
    const first = await lastEnd(membershipOf('dsl.academy'))
    assert.deepEqual([first.child_ids, first.details.concernsHandedOn, first.details.sharingDecisions], [[childId], [k.id], undefined])
    // she leaves too: the academy has no lead in post, and the front door stands in
    ctx.s.clock.advance(60_000)
    assert.equal((await admin.post(`/admin/memberships/${successor}/end`, { reason: 'Left the academy' })).statusCode, 303)
    assert.ok((await told(k.id)).includes(membershipOf('frontdoor')))
    const all = await decisions(k.id)
    assert.equal(all.length, 2, 'a second decision: the police’s concern has moved to the front door’s agency')
    const handedOn = all[1]!
    const frontDoorAgency = (await db().selectFrom('membership').select('agency_id').where('id', '=', membershipOf('frontdoor')).executeTakeFirstOrThrow()).agency_id
    assert.deepEqual([handedOn.with_agency_ids, handedOn.author_membership_id, handedOn.author_agency_id, handedOn.entry_ids], [[frontDoorAgency], membershipOf('police.missing'), stableUuid('northshire:agency:police'), [k.entry_id]])
    assert.match(handedOn.reasons, /^Handed on/)
    assert.deepEqual((await lastEnd(successor)).details.sharingDecisions, [handedOn.id])
    // the front door opens and decides it
    const frontDoor = await ctx.s.signIn('frontdoor')
    assert.equal((await frontDoor.get(`/concerns/${k.id}`)).statusCode, 200)
  })
})
