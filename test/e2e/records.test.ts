// Agency records in Chromium, axe on every page: an agency administrator imports a file (pasted, no JavaScript
// needed), a near match waits for a person, the partnership administrator merges it with a reason, then unmerges.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { sql } from 'kysely'
import { startE2eServer, type E2eServer } from './support/server.ts'
import { openBrowser, type BrowserSession } from './support/browser.ts'
import { signInAs } from './support/flows.ts'
import { Page, AnyPage } from './support/pages/index.ts'

describe('agency records in a browser (Chromium, axe on every page)', () => {
  let server: E2eServer
  const browsers: BrowserSession[] = []

  before(async () => {
    server = await startE2eServer()
  })
  after(async () => {
    for (const b of browsers) await b.close().catch(() => undefined)
    await server?.close()
  })

  it('import → review → merge with a reason → the record’s history → unmerge', async () => {
    // a demo child whose date of birth no other child shares
    const kid = await server.s.t.privileged(async (db) => {
      const r = await sql<{ id: string; family_name: string; date_of_birth: string }>`
        select c.id, c.family_name, c.date_of_birth::text as date_of_birth from child c
        where c.date_of_birth is not null and (select count(*) from child d where d.date_of_birth = c.date_of_birth) = 1
        order by c.id limit 1`.execute(db)
      return r.rows[0]!
    })
    const admin = await openBrowser(server.baseUrl, { javaScriptEnabled: false })
    browsers.push(admin)
    await signInAs(admin.page, server, 'admin.csc')
    await admin.page.getByRole('link', { name: 'Import records' }).click()
    await Page.verifyOnPage(AnyPage, admin.page, 'Import agency records')
    await admin.page.getByRole('button', { name: 'Import' }).click()
    const empty = await Page.verifyOnPage(AnyPage, admin.page, 'Import agency records')
    assert.ok((await empty.errorMessages()).length > 0, 'an empty form is an error summary')
    await admin.page.getByRole('radio', { name: 'Records of children' }).check()
    await admin.page.getByLabel('File name (optional)').fill('social-care.csv')
    await admin.page.getByLabel('The CSV file').fill(`source_ref,given_name,family_name,date_of_birth,sex,nhs_number,upn,postcode,address\nE2E-1,Zebedee,${kid.family_name},${kid.date_of_birth},,,,,`)
    await admin.page.getByRole('button', { name: 'Import' }).click()
    const done = await Page.verifyOnPage(AnyPage, admin.page, 'Import agency records')
    assert.match(await done.mainContent.innerText(), /Imported 1 row/)
    admin.assertEveryPageChecked()

    const reviewer = await openBrowser(server.baseUrl)
    browsers.push(reviewer)
    await signInAs(reviewer.page, server, 'partnership.admin')
    await reviewer.page.getByRole('link', { name: 'Records to review' }).click()
    await Page.verifyOnPage(AnyPage, reviewer.page, 'Records to review')
    const item = reviewer.page.locator('section', { hasText: 'record E2E-1' })
    assert.equal(await item.count(), 1)
    assert.match(await item.innerText(), /Zebedee/)
    await item.getByRole('button', { name: 'Same child: merge' }).click()
    const noReason = await Page.verifyOnPage(AnyPage, reviewer.page, 'Records to review')
    assert.ok((await noReason.errorMessages()).length > 0, 'a merge needs a reason')
    await reviewer.page.locator('section', { hasText: 'record E2E-1' }).getByLabel('Reason for your decision').fill('Same NHS number on the social care system; the first name is a nickname.')
    await reviewer.page.locator('section', { hasText: 'record E2E-1' }).getByRole('button', { name: 'Same child: merge' }).click()
    // the merged record's own page: its history says who decided and why
    const page = await Page.verifyOnPage(AnyPage, reviewer.page, 'Agency record E2E-1')
    const record = await server.s.t.db.selectFrom('agency_record').select(['id', 'child_id', 'match_state']).where('source_ref', '=', 'E2E-1').executeTakeFirstOrThrow()
    assert.equal(record.child_id, kid.id)
    assert.match(await page.mainContent.innerText(), /Same NHS number on the social care system/)
    await reviewer.page.getByLabel('Reason').fill('Merged in error: a different child.')
    await reviewer.page.getByRole('button', { name: 'Unmerge' }).click()
    await Page.verifyOnPage(AnyPage, reviewer.page, 'Agency record E2E-1')
    const after = await server.s.t.db.selectFrom('agency_record').select('child_id').where('id', '=', record.id).executeTakeFirstOrThrow()
    assert.notEqual(after.child_id, kid.id)
    reviewer.assertEveryPageChecked()
  })
})
