import assert from 'node:assert/strict'
import { it } from 'node:test'
import { randomUUID } from 'node:crypto'
import { describeApp } from '../../../test/support/app.ts'
import { stableUuid } from '../../data/ids.ts'

const P = stableUuid('partnership:northshire')
const police = stableUuid('northshire:agency:police')

describeApp('home: my children', (ctx) => {
  it('more children than the page lists: it says so, never a short count as the whole', async () => {
    const officer = await ctx.s.signIn('police.mash')
    const before = (await officer.get('/')).body
    const shown = (body: string) => (body.match(/<a class="govuk-link" href="\/children\/[0-9a-f-]{36}">/g) ?? []).length
    const had = shown(before)
    const extra = 501 - had
    assert.ok(extra > 0)
    const children = Array.from({ length: extra }, (_, n) => ({ id: randomUUID(), partnership_id: P, given_name: 'Test', family_name: `Zz Many ${String(n).padStart(3, '0')}`, date_of_birth: '2015-03-04', expected_date_of_birth: null, sex: 'female' as const, nhs_number: null, upn: null, ethnicity: null, first_language: null, disability: null, provisional: false, created_at: new Date('2026-01-01') }))
    await ctx.s.t.db.insertInto('child').values(children).execute()
    await ctx.s.t.db
      .insertInto('relationship')
      .values(children.map((c) => ({ id: randomUUID(), partnership_id: P, child_id: c.id, type: 'agency_record' as const, holder_agency_id: police, holder_team_id: null, holder_membership_id: null, starts_at: new Date('2026-01-01'), ends_at: null, source: 'test', reason: 'Named in an incident', created_by_membership_id: null, created_at: new Date('2026-01-01') })))
      .execute()
    const page = await officer.get('/')
    assert.equal(page.statusCode, 200)
    assert.equal(shown(page.body), 500)
    assert.doesNotMatch(page.body, />500 children you have a current reason to see/)
    assert.match(page.body, /More than 500 children you have a current reason to see/)
    // the audit row names the children listed, not the one left off
    const audit = await ctx.s.t.db.selectFrom('audit_event').select(['child_ids']).where('action', '=', 'child.list').orderBy('id', 'desc').limit(1).executeTakeFirstOrThrow()
    assert.equal((audit.child_ids as string[]).length, 500)
    // the API's list says so too
    const api = await officer.get('/api/v1/children')
    assert.equal(api.statusCode, 200)
    const body = api.json() as { data: unknown[]; meta: { limit: number; more: boolean } }
    assert.equal(body.data.length, 500)
    assert.deepEqual(body.meta, { limit: 500, more: true })
  })
})
