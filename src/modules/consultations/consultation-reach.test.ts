// A consultation about a child follows the child's reach (found by review): once the child's relationships have ended,
// the school that asked and the school-based social worker no longer open, list or answer it — not found, as the child's
// own page. A consultation about no named child is unaffected.
import assert from 'node:assert/strict'
import { it } from 'node:test'
import { describeApp } from '../../../test/support/app.ts'
import { stableUuid } from '../../data/ids.ts'

const id = (k: string) => stableUuid(`northshire:${k}`)

describeApp('consultations and the child’s reach', (ctx) => {
  it('after the child leaves: 404 for the asker and the social worker, not listed, not answerable; one about no child stays', async () => {
    const db = ctx.s.t.db
    ctx.s.clock.set('2026-11-23T10:00:00Z')
    const childId = (await db.selectFrom('relationship').select('child_id').where('type', '=', 'pupil_at').where('holder_agency_id', '=', id('agency:brookside')).where('ends_at', 'is', null).orderBy('child_id').executeTakeFirstOrThrow()).child_id
    const dsl = await ctx.s.signIn('dsl.brookside')
    await dsl.get('/consultations/new')
    const asked = await dsl.post('/consultations', { childId, question: 'Worried about home: who should we talk to?' })
    assert.equal(asked.statusCode, 303)
    const cid = String(asked.headers.location).split('/')[2]!.split('?')[0]!
    const general = await dsl.post('/consultations', { childId: '', question: 'How do we refer a family for early help?' })
    assert.equal(general.statusCode, 303)
    const gid = String(general.headers.location).split('/')[2]!.split('?')[0]!
    const ssw = await ctx.s.signIn('ssw')
    assert.equal((await ssw.get(`/consultations/${cid}`)).statusCode, 200, 'while the child is in reach')
    // the child leaves
    await db.updateTable('relationship').set({ ends_at: new Date('2026-11-23T10:30:00Z') }).where('child_id', '=', childId).where('ends_at', 'is', null).execute()
    ctx.s.clock.set('2026-11-23T11:00:00Z')
    for (const who of ['dsl.brookside', 'ssw']) {
      const a = await ctx.s.signIn(who)
      assert.equal((await a.get(`/children/${childId}`)).statusCode, 404, `${who}: the child`)
      const page = await a.get(`/consultations/${cid}`)
      assert.equal(page.statusCode, 404, `${who}: the consultation`)
      assert.doesNotMatch(page.body, /Worried about home/)
      const list = await a.get('/consultations')
      assert.doesNotMatch(list.body, /Worried about home/, `${who}: not listed`)
      assert.equal((await a.get(`/consultations/${gid}`)).statusCode, 200, `${who}: the one about no child`)
    }
    const a = await ctx.s.signIn('ssw')
    const answer = await a.post(`/consultations/${cid}/answer`, { advice: 'Talk to the family', nextStep: 'Early help assessment', followUpOn: '' })
    assert.equal(answer.statusCode, 404)
    assert.equal((await db.selectFrom('consultation').select('status').where('id', '=', cid).executeTakeFirstOrThrow()).status, 'asked')
  })
})
