// Operation Encompass notices follow the child's reach (found by review): once the child has left the school (its
// relationships ended) the school's lead and the officer who sent it no longer open or list the notice — not found, as
// the child's own page. Ids sent in capitals are the same child; a second click of Acknowledge is the first.
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { it } from 'node:test'
import { describeApp } from '../../../test/support/app.ts'
import { stableUuid } from '../../data/ids.ts'

const id = (k: string) => stableUuid(`northshire:${k}`)
const P = stableUuid('partnership:northshire')
const key = (html: string) => /name="idempotencyKey" value="([^"]+)"/.exec(html)![1]!

describeApp('Operation Encompass notices and the child’s reach', (ctx) => {
  const db = () => ctx.s.t.db
  let childId: string
  let noticeId: string

  it('sent with the child’s id in capitals: the child named; sent again, the same notice; the id twice in two cases, one notice', async () => {
    ctx.s.clock.set('2026-11-20T22:30:00Z')
    childId = (await db().selectFrom('relationship').select('child_id').where('type', '=', 'pupil_at').where('holder_agency_id', '=', id('agency:brookside')).where('ends_at', 'is', null).orderBy('child_id').executeTakeFirstOrThrow()).child_id
    await db().insertInto('relationship').values({ id: randomUUID(), partnership_id: P, child_id: childId, type: 'agency_record', holder_agency_id: id('agency:police'), holder_team_id: null, holder_membership_id: null, starts_at: new Date('2026-01-01'), ends_at: null, source: 'test', reason: 'a police record of the child', created_by_membership_id: null, created_at: new Date('2026-01-01') }).execute()
    const c = await db().selectFrom('child').select(['given_name', 'family_name']).where('id', '=', childId).executeTakeFirstOrThrow()
    const officer = await ctx.s.signIn('police.mash')
    const form = await officer.get('/encompass/new')
    const body = { idempotencyKey: key(form.body), children: [childId.toUpperCase(), childId], incidentDate: '2026-11-20', incidentTime: '21:40', summary: 'Domestic abuse incident at home; the children were present.' }
    const first = await officer.post('/encompass', body)
    assert.equal(first.statusCode, 200)
    assert.ok(first.body.includes(`${c.given_name} ${c.family_name}`), 'the child is named')
    const again = await officer.post('/encompass', body)
    assert.equal(again.statusCode, 200, 'the same form again is the first submission')
    const notices = await db().selectFrom('encompass_notice').select(['id', 'child_id']).where('recorded_by_membership_id', '=', id('membership:police.mash:0')).execute()
    assert.deepEqual(notices.map((n) => n.child_id), [childId])
    noticeId = notices[0]!.id
  })

  it('the school’s lead acknowledges it; a second click is the first acknowledgement, not an error', async () => {
    const dsl = await ctx.s.signIn('dsl.brookside')
    await dsl.get(`/encompass/${noticeId}`)
    const a = await dsl.post(`/encompass/${noticeId}/acknowledge`, { response: 'Key adult ready at the gate' })
    const b = await dsl.post(`/encompass/${noticeId}/acknowledge`, { response: 'Key adult ready at the gate' })
    assert.deepEqual([a.statusCode, b.statusCode], [303, 303])
  })

  it('once the child has left the school, the lead and the officer no longer open or list the notice (404, audited not found)', async () => {
    assert.equal((await (await ctx.s.signIn('dsl.brookside')).get(`/encompass/${noticeId}`)).statusCode, 200)
    // the child leaves: every relationship ends, the police's record too
    ctx.s.clock.set('2026-11-23T12:00:00Z')
    await db().updateTable('relationship').set({ ends_at: new Date('2026-11-23T11:00:00Z') }).where('child_id', '=', childId).where('ends_at', 'is', null).execute()
    for (const who of ['dsl.brookside', 'police.mash']) {
      const a = await ctx.s.signIn(who)
      assert.equal((await a.get(`/children/${childId}`)).statusCode, 404, `${who}: the child`)
      const notice = await a.get(`/encompass/${noticeId}`)
      assert.equal(notice.statusCode, 404, `${who}: the notice`)
      assert.doesNotMatch(notice.body, /Domestic abuse incident/)
      const list = await a.get('/encompass')
      assert.ok(!list.body.includes(noticeId), `${who}: not listed`)
    }
    const last = await db().selectFrom('audit_event').select(['outcome']).where('action', '=', 'encompass.view').orderBy('id', 'desc').limit(1).executeTakeFirstOrThrow()
    assert.equal(last.outcome, 'not_found')
    const dsl = await ctx.s.signIn('dsl.brookside')
    assert.equal((await dsl.post(`/encompass/${noticeId}/acknowledge`, { response: 'x' })).statusCode, 404)
  })
})
