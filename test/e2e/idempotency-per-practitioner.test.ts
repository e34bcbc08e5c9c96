// An idempotency key belongs to the practitioner who first used it (migrations/20261129T2340_idempotency_per_practitioner.ts):
// another practitioner sending the same key (clients choose keys independently) makes their own record and gets
// their own answer — never nothing saved, a 500, or the first practitioner's record — while the same practitioner
// sending it again still gets the original answer.
import assert from 'node:assert/strict'
import { it } from 'node:test'
import { randomUUID } from 'node:crypto'
import { describeApp } from '../support/app.ts'
import type { Agent } from '../support/agent.ts'
import { stableUuid } from '../../src/data/ids.ts'

const id = (k: string) => stableUuid(`northshire:${k}`)
const P = stableUuid('partnership:northshire')
const formKey = (html: string) => /name="idempotencyKey" value="([^"]+)"/.exec(html)![1]!

describeApp('an idempotency key is the practitioner’s own', (ctx) => {
  const pupil = async (school: string, skip = 0) =>
    (await ctx.s.t.db.selectFrom('relationship').select('child_id').where('type', '=', 'pupil_at').where('holder_agency_id', '=', id(`agency:${school}`)).orderBy('child_id').offset(skip).limit(1).executeTakeFirstOrThrow()).child_id
  const api = async (who: string) => {
    const agent = await ctx.s.signIn(who)
    const token = (JSON.parse((await agent.get('/api/v1/me')).body) as { csrfToken: string }).csrfToken
    return { agent, post: (url: string, body: Record<string, unknown>) => agent.postJson(url, body, { 'x-csrf-token': token, 'idempotency-key': String(body.idempotencyKey) }) }
  }
  const concernsWithKey = (key: string) => ctx.s.t.db.selectFrom('concern').select(['id', 'raised_by_membership_id', 'seen_or_heard', 'child_id']).where('idempotency_key', '=', key).execute()

  it('concerns (API): two teachers with the same key each save their own concern and get it back; a repeat replays the first', async () => {
    const childId = await pupil('brookside')
    const key = randomUUID()
    const body = (seenOrHeard: string) => ({ children: [childId], category: 'neglect', seenOrHeard, occurredAt: '2026-11-23T09:00:00Z', immediateDanger: false, idempotencyKey: key })
    const first = await api('teacher.brookside')
    const second = await api('teacher2.brookside')
    const a = await first.post('/api/v1/concerns', body('Hungry again at breakfast club.'))
    assert.equal(a.statusCode, 201, a.body)
    const b = await second.post('/api/v1/concerns', body('No coat in the rain.'))
    assert.equal(b.statusCode, 201, b.body)
    const mineA = (JSON.parse(a.body) as { concerns: { id: string }[] }).concerns
    const mineB = (JSON.parse(b.body) as { concerns: { id: string }[] }).concerns
    assert.equal(mineA.length, 1)
    assert.equal(mineB.length, 1, 'the second teacher’s concern is saved and answered')
    assert.notEqual(mineA[0]!.id, mineB[0]!.id)
    const rows = await concernsWithKey(key)
    assert.equal(rows.length, 2)
    assert.equal(rows.find((r) => r.id === mineB[0]!.id)!.raised_by_membership_id, id('membership:teacher2.brookside:0'))
    assert.equal(rows.find((r) => r.id === mineB[0]!.id)!.seen_or_heard, 'No coat in the rain.')
    // the second teacher reads their own concern; never the first teacher's
    assert.equal((await second.agent.get(`/api/v1/concerns/${mineB[0]!.id}`)).statusCode, 200)
    assert.equal((await second.agent.get(`/api/v1/concerns/${mineA[0]!.id}`)).statusCode, 404)
    // the same teacher repeating the request gets the original answer, and nothing more is saved
    const again = await first.post('/api/v1/concerns', body('Hungry again at breakfast club.'))
    assert.equal(again.statusCode, 201)
    assert.equal(again.headers['idempotent-replayed'], 'true')
    assert.deepEqual((JSON.parse(again.body) as { concerns: { id: string }[] }).concerns, mineA)
    // the same key with a different body from the same teacher: refused (src/platform/http/api-reliability.ts)
    const changed = await first.post('/api/v1/concerns', body('Something else entirely.'))
    assert.equal(changed.statusCode, 422)
    assert.match(String(changed.headers['content-type']), /application\/problem\+json/)
    assert.match(changed.body, /This Idempotency-Key was used for a different request/)
    assert.equal((await concernsWithKey(key)).length, 2)
  })

  it('concerns (API, two children, the general path): each teacher’s submission is their own', async () => {
    const [c1, c2] = [await pupil('brookside', 1), await pupil('brookside', 2)]
    const key = randomUUID()
    const body = { children: [c1, c2], category: 'neglect', seenOrHeard: 'Both siblings hungry.', occurredAt: '2026-11-23T09:00:00Z', immediateDanger: false, idempotencyKey: key }
    const a = await (await api('teacher.brookside')).post('/api/v1/concerns', body)
    const b = await (await api('teacher2.brookside')).post('/api/v1/concerns', body)
    assert.equal(a.statusCode, 201, a.body)
    assert.equal(b.statusCode, 201, b.body)
    assert.equal((JSON.parse(b.body) as { concerns: unknown[] }).concerns.length, 2)
    assert.equal((await concernsWithKey(key)).length, 4)
  })

  it('concerns (form): a second teacher posting a form with another teacher’s key has their concern saved and is shown it', async () => {
    const childId = await pupil('brookside')
    const first = await ctx.s.signIn('teacher.brookside')
    const second = await ctx.s.signIn('teacher2.brookside')
    const key = formKey((await first.get(`/concerns/new?child=${childId}`)).body)
    await second.get(`/concerns/new?child=${childId}`)
    const body = (seenOrHeard: string) => ({ idempotencyKey: key, children: [childId], category: 'neglect', seenOrHeard, occurredDate: '2026-11-23', occurredTime: '08:50', immediateDanger: 'no' })
    const a = await first.post('/concerns', body('Asleep in class again.'))
    assert.equal(a.statusCode, 303, a.body.slice(0, 300))
    const b = await second.post('/concerns', body('Bruise on the left wrist.'))
    assert.equal(b.statusCode, 303, b.body.slice(0, 300))
    assert.notEqual(b.headers.location, a.headers.location)
    const shown = await second.get(String(b.headers.location))
    assert.equal(shown.statusCode, 200)
    assert.match(shown.body, /Bruise on the left wrist/)
    assert.doesNotMatch(shown.body, /Asleep in class again/)
    const rows = await concernsWithKey(key)
    assert.deepEqual(rows.map((r) => r.seen_or_heard).sort(), ['Asleep in class again.', 'Bruise on the left wrist.'])
    // a double click by the first teacher: the same concern, nothing more saved
    const again = await first.post('/concerns', body('Asleep in class again.'))
    assert.equal(again.headers.location, a.headers.location)
    assert.equal((await concernsWithKey(key)).length, 2)
  })

  it('referrals (API): two safeguarding leads with the same key each make their own referral (not a 500); a repeat replays', async () => {
    const childId = await pupil('brookside', 3)
    const key = randomUUID()
    const body = (reason: string) => ({ children: [childId], kind: 'referral', reason, levelBelieved: 3, levelReason: 'Persistent', parentsKnow: true, urgency: 'routine', idempotencyKey: key })
    const dsl = await api('dsl.brookside')
    const deputy = await api('deputy.brookside')
    const a = await dsl.post('/api/v1/referrals', body('Persistent neglect.'))
    assert.equal(a.statusCode, 201, a.body)
    const b = await deputy.post('/api/v1/referrals', body('Disclosure at lunch.'))
    assert.equal(b.statusCode, 201, b.body)
    const mineA = (JSON.parse(a.body) as { referrals: { id: string }[] }).referrals
    const mineB = (JSON.parse(b.body) as { referrals: { id: string }[] }).referrals
    assert.equal(mineB.length, 1)
    assert.notEqual(mineB[0]!.id, mineA[0]!.id)
    const rows = await ctx.s.t.db.selectFrom('referral').select(['id', 'recorded_by_membership_id', 'reason']).where('idempotency_key', '=', key).execute()
    assert.equal(rows.length, 2)
    const theirs = rows.find((r) => r.id === mineB[0]!.id)!
    assert.equal(theirs.recorded_by_membership_id, id('membership:deputy.brookside:0'))
    assert.equal(theirs.reason, 'Disclosure at lunch.')
    const again = await dsl.post('/api/v1/referrals', body('Persistent neglect.'))
    assert.equal(again.headers['idempotent-replayed'], 'true')
    assert.deepEqual((JSON.parse(again.body) as { referrals: { id: string }[] }).referrals.map((r) => r.id), mineA.map((r) => r.id))
    assert.equal((await ctx.s.t.db.selectFrom('referral').select('id').where('idempotency_key', '=', key).execute()).length, 2)
  })

  it('referrals (form): the second lead’s referral is saved and they are taken to it', async () => {
    const childId = await pupil('brookside', 4)
    const dsl = await ctx.s.signIn('dsl.brookside')
    const deputy = await ctx.s.signIn('deputy.brookside')
    const key = formKey((await dsl.get(`/referrals/new?child=${childId}`)).body)
    await deputy.get(`/referrals/new?child=${childId}`)
    const body = (reason: string) => ({ idempotencyKey: key, children: [childId], kind: 'referral', reason, levelBelieved: '3', levelReason: 'Persistent', parentsKnow: 'yes', urgency: 'routine' })
    const a = await dsl.post('/referrals', body('Persistent neglect at home.'))
    assert.equal(a.statusCode, 303, a.body.slice(0, 300))
    const b = await deputy.post('/referrals', body('Said she is scared to go home.'))
    assert.equal(b.statusCode, 303, b.body.slice(0, 300))
    assert.notEqual(b.headers.location, a.headers.location)
    const rows = await ctx.s.t.db.selectFrom('referral').select('reason').where('idempotency_key', '=', key).execute()
    assert.deepEqual(rows.map((r) => r.reason).sort(), ['Persistent neglect at home.', 'Said she is scared to go home.'])
  })

  it('Operation Encompass: a second officer with the same key has their own notices stored and shown, never the first officer’s', async () => {
    const brookside = await pupil('brookside', 5)
    const academy = await pupil('academy')
    for (const child of [brookside, academy]) {
      await ctx.s.t.db.insertInto('relationship').values({ id: randomUUID(), partnership_id: P, child_id: child, type: 'agency_record', holder_agency_id: id('agency:police'), holder_team_id: null, holder_membership_id: null, starts_at: new Date('2026-01-01'), ends_at: null, source: 'test', reason: 'Named in an incident', created_by_membership_id: null, created_at: new Date('2026-01-01') }).execute()
    }
    const first: Agent = await ctx.s.signIn('police.mash')
    const second: Agent = await ctx.s.signIn('police.missing')
    const key = formKey((await first.get('/encompass/new')).body)
    await second.get('/encompass/new')
    const body = (child: string, summary: string) => ({ idempotencyKey: key, children: [child], incidentDate: '2026-11-22', incidentTime: '21:40', incidentReference: '', summary })
    const a = await first.post('/encompass', body(brookside, 'Domestic incident A.'))
    assert.equal(a.statusCode, 200, a.body.slice(0, 300))
    const b = await second.post('/encompass', body(academy, 'Domestic incident B.'))
    assert.equal(b.statusCode, 200, b.body.slice(0, 300))
    const sent = (html: string) => /the school has it before[^<]*/i.exec(html)?.[0]
    assert.ok(sent(a.body) && sent(b.body))
    assert.notEqual(sent(b.body), sent(a.body), 'the second officer is shown their own notice (the Academy starts earlier)')
    const notices = await ctx.s.t.db.selectFrom('encompass_notice').select(['child_id', 'school_agency_id', 'recorded_by_membership_id', 'summary']).where('idempotency_key', '=', key).execute()
    assert.equal(notices.length, 2)
    const theirs = notices.find((n) => n.recorded_by_membership_id === id('membership:police.missing:0'))!
    assert.deepEqual([theirs.child_id, theirs.school_agency_id, theirs.summary], [academy, id('agency:academy'), 'Domestic incident B.'])
    // the first officer sending it again: the same answer, nothing more stored
    const again = await first.post('/encompass', body(brookside, 'Domestic incident A.'))
    assert.equal(again.statusCode, 200)
    assert.equal(sent(again.body), sent(a.body))
    assert.equal((await ctx.s.t.db.selectFrom('encompass_notice').select('id').where('idempotency_key', '=', key).execute()).length, 2)
  })
}, { children: 40 })
