// Governance in Chromium, axe on every page: a social worker narrows an entry, starts to widen it (the sharing
// decision's page), then asks for it to be sealed (a missing reason first); information governance approves it from
// the approvals list; the access log and the unusual-access report.
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { describe, it } from 'node:test'
import type { E2eServer } from './support/server.ts'
import { withE2eServer } from './support/suite.ts'
import { openBrowser } from './support/browser.ts'
import { signInAs } from './support/flows.ts'
import { AnyPage, Page } from './support/pages/index.ts'
import { stableUuid } from '../../src/data/ids.ts'

describe('governance pages in a browser (Chromium, axe on every page)', () => {
  let server: E2eServer
  const { browsers } = withE2eServer((s) => (server = s))

  it('narrow, widen (the sharing decision page), ask to seal, approve as a second person; the access reports', async () => {
    const child = await server.allocatedChildInTeamNorthWithBrooksideDsl()
    const entryId = randomUUID()
    const at = new Date('2026-11-20T10:00:00Z')
    await server.s.t.db
      .insertInto('entry')
      .values({ id: entryId, partnership_id: stableUuid('partnership:northshire'), child_id: child.id, type: 'home_visit', category: 'neglect', occurred_at: at, recorded_at: at, author_membership_id: stableUuid('northshire:membership:sw.north:0'), author_team_id: stableUuid('northshire:team:csc:north'), source_agency_id: stableUuid('northshire:agency:csc'), significance: 'high', summary: 'Home visit: disclosure recorded.', visibility: 'team', addressed_to_membership_id: null, agency_record_id: null, supersedes_entry_id: null, detail_type: null, detail_id: null })
      .execute()
    // the author, who works with the child (the child may be allocated to either social worker of team North)
    await server.s.t.db
      .insertInto('relationship')
      .values({ id: randomUUID(), partnership_id: stableUuid('partnership:northshire'), child_id: child.id, type: 'team_member', holder_agency_id: null, holder_team_id: null, holder_membership_id: stableUuid('northshire:membership:sw.north:0'), starts_at: at, ends_at: null, source: 'test', reason: 'Member of the team around the child', created_by_membership_id: null, created_at: at })
      .execute()
    const sw = await openBrowser(server.baseUrl)
    browsers.push(sw)
    await signInAs(sw.page, server, 'sw.north')
    await sw.page.goto(`/entries/${entryId}`)
    await Page.verifyOnPage(AnyPage, sw.page, 'Home visit')
    await sw.page.getByLabel('Our agency').check()
    await sw.page.getByLabel('Why', { exact: true }).fill('Names an adult: our agency only for now')
    await sw.page.getByRole('button', { name: 'Continue' }).click()
    await Page.verifyOnPage(AnyPage, sw.page, 'Home visit')
    assert.match(await sw.page.locator('.govuk-notification-banner').innerText(), /narrowed/)
    await sw.page.getByLabel('The team around the child').check()
    await sw.page.getByLabel('Why', { exact: true }).fill('The team needs it')
    await sw.page.getByRole('button', { name: 'Continue' }).click()
    await Page.verifyOnPage(AnyPage, sw.page, 'Record the sharing decision')
    await sw.page.getByRole('button', { name: /Record the decision/ }).click()
    const invalid = await Page.verifyOnPage(AnyPage, sw.page, 'Record the sharing decision')
    assert.ok((await invalid.errorMessages()).some((m) => /lawful basis/.test(m)))
    await sw.page.getByRole('link', { name: 'Cancel: leave the entry as it is' }).click()
    await Page.verifyOnPage(AnyPage, sw.page, 'Home visit')
    await sw.page.getByRole('button', { name: 'Ask for it to be sealed' }).click()
    const noReason = await Page.verifyOnPage(AnyPage, sw.page, 'Home visit')
    assert.deepEqual(await noReason.errorMessages(), ['Give the reason for asking to seal the entry'])
    await sw.page.getByLabel('Why it should be sealed').fill('An allegation against a relative who works in a partner agency')
    await sw.page.getByRole('button', { name: 'Ask for it to be sealed' }).click()
    await Page.verifyOnPage(AnyPage, sw.page, 'Home visit')
    await sw.page.goto('/approvals')
    await Page.verifyOnPage(AnyPage, sw.page, 'Approvals')
    sw.assertEveryPageChecked()

    // information governance: the list, the request, the approval; the access log; the report
    const ig = await openBrowser(server.baseUrl)
    browsers.push(ig)
    await signInAs(ig.page, server, 'ig')
    await ig.page.goto('/approvals')
    await Page.verifyOnPage(AnyPage, ig.page, 'Approvals')
    await ig.page.getByRole('link', { name: 'Seal an entry' }).first().click()
    await Page.verifyOnPage(AnyPage, ig.page, 'Seal an entry')
    await ig.page.getByLabel('Approve: seal the entry').check()
    await ig.page.getByRole('button', { name: 'Record your decision' }).click()
    await Page.verifyOnPage(AnyPage, ig.page, 'Seal an entry')
    assert.match(await ig.page.locator('.govuk-notification-banner').innerText(), /Approved/)
    const sealed = await server.s.t.db.selectFrom('entry').select('visibility').where('id', '=', entryId).executeTakeFirstOrThrow()
    assert.equal(sealed.visibility, 'sealed')
    await ig.page.goto(`/children/${child.id}/access-log`)
    await Page.verifyOnPage(AnyPage, ig.page, 'Who has looked at this record')
    await ig.page.goto('/governance/access-report')
    await Page.verifyOnPage(AnyPage, ig.page, 'Unusual access')
    ig.assertEveryPageChecked()
  })
})
