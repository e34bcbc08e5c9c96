// One missing episode at a time (found by review): a child still missing is not reported missing again — by a second
// officer, or after a reload — which would also count towards the repeat-episode prompt (R14); once found, a new episode
// is reported as before.
import assert from 'node:assert/strict'
import { it } from 'node:test'
import { randomUUID } from 'node:crypto'
import { describeApp } from '../../../test/support/app.ts'
import { stableUuid } from '../../data/ids.ts'

const id = (k: string) => stableUuid(`northshire:${k}`)
const P = stableUuid('partnership:northshire')

describeApp('missing episodes: one at a time', (ctx) => {
  it('a child still missing is refused a second report (the form says so); found, they can be reported again', async () => {
    const db = ctx.s.t.db
    ctx.s.clock.set('2026-11-23T10:00:00Z')
    const childId = (await db.selectFrom('relationship').select('child_id').where('type', '=', 'allocated_worker').where('holder_membership_id', '=', id('membership:sw.north:0')).executeTakeFirstOrThrow()).child_id
    await db.insertInto('relationship').values({ id: randomUUID(), partnership_id: P, child_id: childId, type: 'team_member', holder_agency_id: null, holder_team_id: null, holder_membership_id: id('membership:police.missing:0'), starts_at: new Date('2026-01-01'), ends_at: null, source: 'test', reason: 'the missing-persons officer', created_by_membership_id: null, created_at: new Date('2026-01-01') }).execute()
    const officer = await ctx.s.signIn('police.missing')
    const report = async (time: string) => {
      await officer.get(`/children/${childId}/missing`)
      return officer.post(`/children/${childId}/missing`, { missingDate: '2026-11-22', missingTime: time, risk: 'medium', circumstances: 'Did not return home after school' })
    }
    assert.equal((await report('19:00')).statusCode, 303)
    for (const time of ['20:00', '21:00']) {
      const again = await report(time)
      assert.equal(again.statusCode, 400, time)
      assert.match(again.body, /govuk-error-summary[\s\S]*already recorded as missing since/, time)
    }
    const episodes = await db.selectFrom('missing_episode').select(['id', 'found_at', 'strategy_meeting_prompted']).where('child_id', '=', childId).execute()
    assert.equal(episodes.length, 1)
    assert.equal(episodes[0]!.strategy_meeting_prompted, false)
    // found, then missing again: a new episode
    await db.updateTable('missing_episode').set({ found_at: new Date('2026-11-23T08:00:00Z'), where_found: 'A friend’s house' }).where('id', '=', episodes[0]!.id).execute()
    await officer.get(`/children/${childId}/missing`)
    assert.equal((await officer.post(`/children/${childId}/missing`, { missingDate: '2026-11-23', missingTime: '09:00', risk: 'high', circumstances: 'Left school at break' })).statusCode, 303)
    assert.equal((await db.selectFrom('missing_episode').select('id').where('child_id', '=', childId).execute()).length, 2)
    // an earlier episode reported late is not the same disappearance: taken while the child is missing again
    await officer.get(`/children/${childId}/missing`)
    assert.equal((await officer.post(`/children/${childId}/missing`, { missingDate: '2026-10-01', missingTime: '22:00', risk: 'low', circumstances: 'Stayed out overnight in October; reported late' })).statusCode, 303)
    assert.equal((await db.selectFrom('missing_episode').select('id').where('child_id', '=', childId).execute()).length, 3)
  })
})
