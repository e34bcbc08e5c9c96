// Bulk export in Chromium, axe on every page: information governance asks for an export of two children's records
// (the reason left out first: the error summary), a second IG officer approves it, the requester downloads the JSON —
// which never holds a sealed entry.
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { describe, it } from 'node:test'
import { sql } from 'kysely'
import type { E2eServer } from './support/server.ts'
import { withE2eServer } from './support/suite.ts'
import { signInAs } from './support/flows.ts'
import { AnyPage, Page } from './support/pages/index.ts'
import { stableUuid } from '../../src/data/ids.ts'

const P = stableUuid('partnership:northshire')
const CSC = stableUuid('northshire:agency:csc')

describe('bulk export pages in a browser (Chromium, axe on every page)', () => {
  let server: E2eServer
  const { browser } = withE2eServer((s) => (server = s))

  it('ask (an error first), approve as a second officer, download the JSON', async () => {
    const db = server.s.t.db
    const now = server.s.clock.now()
    const children = [randomUUID(), randomUUID()]
    const at = new Date(now.getTime() - 5 * 86_400_000)
    for (const [i, id] of children.entries()) {
      await db.insertInto('child').values({ id, partnership_id: P, given_name: i ? 'Noah' : 'Maya', family_name: 'Bulkexport', date_of_birth: '2012-04-05', expected_date_of_birth: null, sex: 'female', nhs_number: null, upn: null, ethnicity: null, first_language: null, disability: null, created_at: now }).execute()
    }
    const entry = (childId: string, summary: string, visibility: 'team' | 'sealed') => ({ id: randomUUID(), partnership_id: P, child_id: childId, type: 'home_visit', category: 'neglect', occurred_at: at, recorded_at: at, author_membership_id: stableUuid('northshire:membership:sw.north:0'), author_team_id: stableUuid('northshire:team:csc:north'), source_agency_id: CSC, significance: 'medium' as const, summary, visibility, addressed_to_membership_id: null, agency_record_id: null, supersedes_entry_id: null, detail_type: null, detail_id: null })
    await db.insertInto('entry').values([entry(children[0]!, 'Home visit to Maya.', 'team'), entry(children[0]!, 'SEALED: a sealed disclosure.', 'sealed'), entry(children[1]!, 'Home visit to Noah.', 'team')]).execute()

    const ig = await browser()
    await signInAs(ig.page, server, 'ig')
    await ig.page.goto('/exports')
    await Page.verifyOnPage(AnyPage, ig.page, 'Bulk exports')
    await ig.page.getByRole('button', { name: 'Ask for a bulk export' }).click()
    await Page.verifyOnPage(AnyPage, ig.page, 'Ask for a bulk export')
    await ig.page.getByLabel('The children').fill(children.join('\n'))
    await ig.page.getByLabel('Chronology entries only').check()
    await ig.page.getByLabel('A Child Safeguarding Practice Review').check()
    await ig.page.getByLabel('Public task — Article 6(1)(e)').check()
    await ig.page.getByRole('button', { name: 'Ask for approval' }).click()
    const invalid = await Page.verifyOnPage(AnyPage, ig.page, 'Ask for a bulk export')
    assert.deepEqual(await invalid.errorMessages(), ['Give the reason for the export'])
    await ig.page.getByLabel('Reason', { exact: true }).fill('The CSPR panel’s independent reviewer needs our chronologies of both children')
    await ig.page.getByRole('button', { name: 'Ask for approval' }).click()
    await Page.verifyOnPage(AnyPage, ig.page, 'A Child Safeguarding Practice Review')
    assert.match(await ig.page.locator('.govuk-notification-banner').innerText(), /waiting for a second information governance officer/)
    ig.assertEveryPageChecked()
    const x = await db.selectFrom('bulk_export').select('id').where('child_ids', '@>', sql<string[]>`array[${children[0]!}]::uuid[]`).executeTakeFirstOrThrow()

    const ig2 = await browser()
    await signInAs(ig2.page, server, 'ig2')
    await ig2.page.goto('/exports')
    await Page.verifyOnPage(AnyPage, ig2.page, 'Bulk exports')
    await ig2.page.getByRole('link', { name: /A Child Safeguarding Practice Review, 2 children/ }).click()
    await Page.verifyOnPage(AnyPage, ig2.page, 'A Child Safeguarding Practice Review')
    await ig2.page.getByRole('button', { name: 'Decide' }).click()
    const noChoice = await Page.verifyOnPage(AnyPage, ig2.page, 'A Child Safeguarding Practice Review')
    assert.deepEqual(await noChoice.errorMessages(), ['Choose whether to approve the export'])
    await ig2.page.getByLabel('Approve: the officer who asked can download it').check()
    await ig2.page.getByRole('button', { name: 'Decide' }).click()
    await Page.verifyOnPage(AnyPage, ig2.page, 'A Child Safeguarding Practice Review')
    assert.match(await ig2.page.locator('.govuk-notification-banner').innerText(), /approved/)
    assert.equal(await ig2.page.getByRole('link', { name: 'Download the export (JSON)' }).count(), 0, 'only the requester downloads')
    ig2.assertEveryPageChecked()

    await ig.page.goto(`/exports/${x.id}`)
    await Page.verifyOnPage(AnyPage, ig.page, 'A Child Safeguarding Practice Review')
    const link = ig.page.getByRole('link', { name: 'Download the export (JSON)' })
    assert.equal(await link.count(), 1)
    const res = await ig.page.request.get(`/exports/${x.id}/export.json`)
    assert.equal(res.status(), 200)
    const body = await res.text()
    assert.match(body, /Home visit to Maya/)
    assert.match(body, /Home visit to Noah/)
    assert.doesNotMatch(body, /SEALED|sealed/)
    ig.assertEveryPageChecked()
  })
})
