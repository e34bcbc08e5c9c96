// Subject access in Chromium, axe on every page: information governance logs a request (a missing field first),
// decides each item (withholding one under the Sch 3 Pt 5 exemption), asks for the release; a second IG officer
// approves it; a social worker records a parent's dispute beside an entry, shown on the entry's page and the chronology.
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { describe, it } from 'node:test'
import type { E2eServer } from './support/server.ts'
import { withE2eServer } from './support/suite.ts'
import { openBrowser } from './support/browser.ts'
import { signInAs } from './support/flows.ts'
import { AnyPage, Page } from './support/pages/index.ts'
import { stableUuid } from '../../src/data/ids.ts'

const P = stableUuid('partnership:northshire')
const CSC = stableUuid('northshire:agency:csc')

describe('subject access pages in a browser (Chromium, axe on every page)', () => {
  let server: E2eServer
  const { browsers } = withE2eServer((s) => (server = s))

  it('log, decide, ask for the release, approve as a second officer; a dispute beside an entry', async () => {
    const db = server.s.t.db
    const now = server.s.clock.now()
    const childId = randomUUID()
    const entryId = randomUUID()
    const withheldId = randomUUID()
    await db.insertInto('child').values({ id: childId, partnership_id: P, given_name: 'Ruby', family_name: 'Ashdown', date_of_birth: '2013-02-03', expected_date_of_birth: null, sex: 'female', nhs_number: null, upn: null, ethnicity: null, first_language: null, disability: null, created_at: now }).execute()
    await db.insertInto('family_member').values({ id: randomUUID(), partnership_id: P, child_id: childId, related_child_id: null, name: 'Leon Ashdown', relationship: 'brother', parental_responsibility: false, same_household: true, phone: null }).execute()
    const at = new Date(now.getTime() - 5 * 86_400_000)
    const entry = (id: string, summary: string) => ({ id, partnership_id: P, child_id: childId, type: 'home_visit', category: 'neglect', occurred_at: at, recorded_at: at, author_membership_id: stableUuid('northshire:membership:sw.north:0'), author_team_id: stableUuid('northshire:team:csc:north'), source_agency_id: CSC, significance: 'medium' as const, summary, visibility: 'team' as const, addressed_to_membership_id: null, agency_record_id: null, supersedes_entry_id: null, detail_type: null, detail_id: null })
    await db.insertInto('entry').values([entry(entryId, 'Home visit: Leon Ashdown was shouting.'), entry(withheldId, 'A disclosure Ruby asked us to keep from her father.')]).execute()
    await db.insertInto('relationship').values({ id: randomUUID(), partnership_id: P, child_id: childId, type: 'allocated_worker', holder_agency_id: null, holder_team_id: null, holder_membership_id: stableUuid('northshire:membership:sw.north:0'), starts_at: at, ends_at: null, source: 'test', reason: 'Allocated', created_by_membership_id: null, created_at: at }).execute()

    const ig = await openBrowser(server.baseUrl)
    browsers.push(ig)
    await signInAs(ig.page, server, 'ig')
    await ig.page.goto('/subject-access')
    await Page.verifyOnPage(AnyPage, ig.page, 'Subject access requests')
    await ig.page.getByRole('button', { name: 'Log a subject access request' }).click()
    await Page.verifyOnPage(AnyPage, ig.page, 'Log a subject access request')
    await ig.page.getByLabel('Given name, in full').fill('Ruby')
    await ig.page.getByLabel('Family name, in full').fill('Ashdown')
    await ig.page.getByLabel('Date of birth').fill('2013-02-03')
    await ig.page.getByLabel('A parent').check()
    await ig.page.getByLabel('Their name').fill('Paul Ashdown')
    await ig.page.getByRole('button', { name: 'Log the request' }).click()
    const invalid = await Page.verifyOnPage(AnyPage, ig.page, 'Log a subject access request')
    assert.ok((await invalid.errorMessages()).some((m) => /identity/.test(m)))
    await ig.page.getByLabel('How their identity was verified').fill('Passport and birth certificate seen')
    await ig.page.getByRole('button', { name: 'Log the request' }).click()
    await Page.verifyOnPage(AnyPage, ig.page, 'Ruby Ashdown')
    const sar = await db.selectFrom('subject_access_request').select('id').where('child_id', '=', childId).executeTakeFirstOrThrow()
    const items = await db.selectFrom('subject_access_item').selectAll().where('request_id', '=', sar.id).execute()
    const visit = items.find((i) => i.source_id === entryId)!
    const withheld = items.find((i) => i.source_id === withheldId)!
    await ig.page.locator(`#item-${visit.id}`).getByRole('button', { name: 'Save the decision' }).click()
    await Page.verifyOnPage(AnyPage, ig.page, 'Ruby Ashdown')
    await ig.page.locator(`#item-${withheld.id}`).getByLabel(/Withhold: DPA 2018 Sch 3 Pt 5/).check()
    await ig.page.locator(`#item-${withheld.id}`).getByRole('button', { name: 'Save the decision' }).click()
    const noReason = await Page.verifyOnPage(AnyPage, ig.page, 'Ruby Ashdown')
    assert.deepEqual(await noReason.errorMessages(), ['Give the reason for withholding this item'])
    await ig.page.locator(`#item-${withheld.id}`).getByLabel('Reason (required to withhold)').fill('Not in Ruby’s best interests')
    await ig.page.locator(`#item-${withheld.id}`).getByRole('button', { name: 'Save the decision' }).click()
    await Page.verifyOnPage(AnyPage, ig.page, 'Ruby Ashdown')
    await ig.page.getByLabel('Ask a second information governance officer to approve the release').fill('One released redacted, one withheld')
    await ig.page.getByRole('button', { name: 'Ask for approval' }).click()
    await Page.verifyOnPage(AnyPage, ig.page, 'Ruby Ashdown')
    ig.assertEveryPageChecked()

    const ig2 = await openBrowser(server.baseUrl)
    browsers.push(ig2)
    await signInAs(ig2.page, server, 'ig2')
    await ig2.page.goto(`/subject-access/${sar.id}`)
    await Page.verifyOnPage(AnyPage, ig2.page, 'Ruby Ashdown')
    await ig2.page.getByLabel('Approve: release it').check()
    await ig2.page.getByRole('button', { name: 'Decide' }).click()
    await Page.verifyOnPage(AnyPage, ig2.page, 'Ruby Ashdown')
    assert.match(await ig2.page.locator('.govuk-notification-banner').innerText(), /released/)
    assert.equal(await ig2.page.getByRole('link', { name: 'Download the response (JSON)' }).count(), 1)
    ig2.assertEveryPageChecked()
    const closed = await db.selectFrom('subject_access_request').select(['state', 'outcome']).where('id', '=', sar.id).executeTakeFirstOrThrow()
    assert.deepEqual(closed, { state: 'closed', outcome: 'met' })

    const sw = await openBrowser(server.baseUrl)
    browsers.push(sw)
    await signInAs(sw.page, server, 'sw.north')
    await sw.page.goto(`/entries/${entryId}`)
    await Page.verifyOnPage(AnyPage, sw.page, 'Home visit')
    await sw.page.getByRole('link', { name: 'Record or answer a dispute of this entry' }).click()
    await Page.verifyOnPage(AnyPage, sw.page, 'Disputes and corrections')
    await sw.page.getByRole('button', { name: 'Record the dispute' }).click()
    const bad = await Page.verifyOnPage(AnyPage, sw.page, 'Disputes and corrections')
    assert.ok((await bad.errorMessages()).length >= 3)
    await sw.page.getByLabel('They dispute the entry').check()
    await sw.page.getByLabel('Their name').fill('Paul Ashdown')
    await sw.page.getByLabel('A parent').check()
    await sw.page.getByLabel('What they say is wrong, in their words').fill('Leon was not at home that day.')
    await sw.page.getByRole('button', { name: 'Record the dispute' }).click()
    await Page.verifyOnPage(AnyPage, sw.page, 'Disputes and corrections')
    await sw.page.goto(`/entries/${entryId}`)
    await Page.verifyOnPage(AnyPage, sw.page, 'Home visit')
    assert.match(await sw.page.locator('#disputes').innerText(), /Disputed/)
    await sw.page.goto(`/children/${childId}/chronology`)
    await Page.verifyOnPage(AnyPage, sw.page, 'Ruby Ashdown')
    assert.equal(await sw.page.getByRole('link', { name: 'Disputed' }).count(), 1)
    sw.assertEveryPageChecked()
  })
})
