// Retention in Chromium, axe on every page: information governance sees who is past their retention date, places a
// legal hold (a missing reason first), tries a bad number of years; the job's dry run; one officer asks, a second
// approves; the job carries it out and the report says what was anonymised, type by type.
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { describe, it } from 'node:test'
import type { E2eServer } from './support/server.ts'
import { withE2eServer } from './support/suite.ts'
import { openBrowser } from './support/browser.ts'
import { signInAs } from './support/flows.ts'
import { AnyPage, Page } from './support/pages/index.ts'
import { stableUuid } from '../../src/data/ids.ts'
import { systemRepository } from '../../src/data/system.ts'

const P = stableUuid('partnership:northshire')

describe('retention pages in a browser (Chromium, axe on every page)', () => {
  let server: E2eServer
  const { browsers } = withE2eServer((s) => (server = s))

  it('past due, a legal hold, the years, the dry run, two people, the run', async () => {
    const db = server.s.t.db
    const at = new Date('2019-05-01T10:00:00Z')
    const [alpha, bravo] = [randomUUID(), randomUUID()]
    for (const [id, given, dob] of [
      [alpha, 'Alpha', '2000-02-29'],
      [bravo, 'Bravo', '2001-05-01'],
    ] as const) {
      await db.insertInto('child').values({ id, partnership_id: P, given_name: given, family_name: 'Retentiontest', date_of_birth: dob, expected_date_of_birth: null, sex: 'female', nhs_number: null, upn: null, ethnicity: null, first_language: null, disability: null, created_at: at }).execute()
      await db
        .insertInto('entry')
        .values({ id: randomUUID(), partnership_id: P, child_id: id, type: 'home_visit', category: 'neglect', occurred_at: at, recorded_at: at, author_membership_id: stableUuid('northshire:membership:sw.north:0'), author_team_id: stableUuid('northshire:team:csc:north'), source_agency_id: stableUuid('northshire:agency:csc'), significance: 'medium', summary: `Synthetic entry about ${given}.`, visibility: 'team', addressed_to_membership_id: null, agency_record_id: null, supersedes_entry_id: null, detail_type: null, detail_id: null })
        .execute()
    }
    const onReport = async (page: Parameters<typeof signInAs>[0]) => {
      const h1 = await page.locator('h1').innerText()
      assert.match(h1, /^Report of \d+ \w+ \d{4}$/)
      return Page.verifyOnPage(AnyPage, page, h1)
    }
    const job = () => systemRepository({ db, clock: server.s.clock }, 'retention-e2e').runRetention()

    const ig = await openBrowser(server.baseUrl)
    browsers.push(ig)
    await signInAs(ig.page, server, 'ig')
    await ig.page.goto('/retention')
    await Page.verifyOnPage(AnyPage, ig.page, 'Retention')
    // the years: a bad value is an error summary, nothing saved
    await ig.page.getByLabel('Referrals and contacts (years from the date of birth)').fill('none')
    await ig.page.getByRole('button', { name: 'Save the years' }).click()
    const bad = await Page.verifyOnPage(AnyPage, ig.page, 'Retention')
    assert.deepEqual(await bad.errorMessages(), ['Enter the years for referrals and contacts as a whole number'])
    // a legal hold on Bravo: a reason is needed
    await ig.page.goto('/retention')
    await Page.verifyOnPage(AnyPage, ig.page, 'Retention')
    await ig.page.getByRole('link', { name: 'Bravo Retentiontest' }).first().click()
    await Page.verifyOnPage(AnyPage, ig.page, 'Bravo Retentiontest')
    await ig.page.getByRole('button', { name: 'Place the legal hold' }).click()
    const noReason = await Page.verifyOnPage(AnyPage, ig.page, 'Bravo Retentiontest')
    assert.equal((await noReason.errorMessages()).length, 1)
    await ig.page.getByLabel('Why must this child’s records be kept?').fill('Synthetic: a civil claim has been notified')
    await ig.page.getByRole('button', { name: 'Place the legal hold' }).click()
    await Page.verifyOnPage(AnyPage, ig.page, 'Bravo Retentiontest')
    assert.match(await ig.page.locator('.govuk-notification-banner').innerText(), /legal hold is on/)

    // the dry run lists Alpha only; the first officer asks
    assert.equal((await job()).reports, 1)
    await ig.page.goto('/retention')
    await Page.verifyOnPage(AnyPage, ig.page, 'Retention')
    await ig.page.locator('a[href^="/retention/reports/"]').first().click()
    await onReport(ig.page)
    const report = await ig.page.locator('main').innerText()
    assert.match(report, /Alpha Retentiontest/)
    assert.doesNotMatch(report, /Bravo|Synthetic entry/)
    assert.match(report, /Chronology entries: 1/)
    await ig.page.getByLabel('Your reason').fill('Synthetic: reviewed the list, no proceedings open')
    await ig.page.getByRole('button', { name: 'Ask for a second person’s approval' }).click()
    await onReport(ig.page)
    assert.match(await ig.page.locator('.govuk-notification-banner').innerText(), /a second person/)
    const reportUrl = new URL(ig.page.url()).pathname
    ig.assertEveryPageChecked()

    // a second officer approves; the job carries it out; the report says what was done
    const ig2 = await openBrowser(server.baseUrl)
    browsers.push(ig2)
    await signInAs(ig2.page, server, 'ig2')
    await ig2.page.goto(reportUrl)
    await onReport(ig2.page)
    await ig2.page.getByLabel('Approve: anonymise the records listed').check()
    await ig2.page.getByRole('button', { name: 'Record your decision' }).click()
    await onReport(ig2.page)
    assert.match(await ig2.page.locator('.govuk-notification-banner').innerText(), /Approved/)
    assert.equal((await job()).executed, 1)
    await ig2.page.goto(reportUrl)
    await onReport(ig2.page)
    assert.match(await ig2.page.locator('main').innerText(), /Records anonymised:\s*Chronology entries: 1/)
    ig2.assertEveryPageChecked()
    const bravoEntry = await db.selectFrom('entry').select('summary').where('child_id', '=', bravo).executeTakeFirstOrThrow()
    assert.equal(bravoEntry.summary, 'Synthetic entry about Bravo.', 'the held child is untouched')
  })
})
