import assert from 'node:assert/strict'
import { it } from 'node:test'
import { describeApp } from '../../../test/support/app.ts'

describeApp('a child’s access log', (ctx) => {
  it('a page past the last says so and links to the last page (keeping the dates), rather than “Nobody has looked”', async () => {
    const childId = (await ctx.s.t.db.selectFrom('child').select('id').orderBy('id').limit(1).executeTakeFirstOrThrow()).id
    const ig = await ctx.s.signIn('ig')
    // two looks at least: this one, and the one before
    await ig.get(`/children/${childId}/access-log`)
    const first = await ig.get(`/children/${childId}/access-log?from=2000-01-01`)
    assert.equal(first.statusCode, 200)
    assert.doesNotMatch(first.body, /Nobody has looked/)
    const past = await ig.get(`/children/${childId}/access-log?from=2000-01-01&page=40`)
    assert.equal(past.statusCode, 200)
    assert.doesNotMatch(past.body, /Nobody has looked at this record in these dates/)
    assert.doesNotMatch(past.body, /page 40 of/)
    assert.match(past.body, /There is no page 40\. <a class="govuk-link" href="\?from=2000-01-01&amp;page=1">Go to the last page \(1\)<\/a>/)
  })
})
