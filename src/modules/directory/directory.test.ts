import assert from 'node:assert/strict'
import { it } from 'node:test'
import { describeApp } from '../../../test/support/app.ts'

describeApp('the directory: who does what', (ctx) => {
  it('lists agencies, teams, roles with duties and limits, and the levels of need', async () => {
    const teacher = await ctx.s.signIn('teacher.brookside')
    const page = await teacher.get('/directory')
    assert.equal(page.statusCode, 200)
    assert.match(page.body, /Front Door \(MASH\)/)
    assert.match(page.body, /Emergency Duty Team/)
    assert.match(page.body, /Level 4: Acute: significant harm/)
    assert.match(page.body, /A consultation is not a referral/)
  })

  it('is searchable, and a search with SQL in it is only text', async () => {
    const teacher = await ctx.s.signIn('teacher.brookside')
    const page = await teacher.get('/directory?q=missing')
    assert.equal(page.statusCode, 200)
    assert.match(page.body, /Northshire Police/)
    assert.doesNotMatch(page.body, /Brookside Primary School<\/h2>/)
    const inj = await teacher.get(`/directory?q=${encodeURIComponent("' or 1=1 --")}`)
    assert.equal(inj.statusCode, 200)
    assert.match(inj.body, /Nothing matches/)
  })
})
