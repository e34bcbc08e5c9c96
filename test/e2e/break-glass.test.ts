// Emergency access (break-glass), a claimed relationship and their review, in Chromium with axe on every page: the
// form with its errors, the child's page with the emergency-access banner, the neutral "no record matches" page, the
// claim form, the manager's alert, and information governance's queue, a request and the history.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { sql } from 'kysely'
import type { E2eServer } from './support/server.ts'
import { withE2eServer } from './support/suite.ts'
import { signInAs } from './support/flows.ts'
import { AnyPage, Page } from './support/pages/index.ts'
import { stableUuid } from '../../src/data/ids.ts'

describe('break-glass and claimed access in a browser (Chromium, axe on every page)', () => {
  let server: E2eServer
  const { browser } = withE2eServer((s) => (server = s))

  /** Two children with an NHS number that Ryan Hughes (social worker, team South) has no relationship with. */
  async function strangers(): Promise<{ id: string; name: string; nhs: string }[]> {
    const holder = stableUuid('northshire:membership:sw.south:0')
    const rows = await sql<{ id: string; given_name: string; family_name: string; nhs_number: string }>`
      select c.id, c.given_name, c.family_name, c.nhs_number from child c
      where c.nhs_number is not null
        and not exists (select 1 from relationship r where r.child_id = c.id and r.holder_membership_id = ${holder})
      order by c.id limit 2`.execute(server.s.t.db)
    return rows.rows.map((r) => ({ id: r.id, name: `${r.given_name} ${r.family_name}`, nhs: r.nhs_number }))
  }

  it('a social worker breaks the glass (errors first), sees the banner, finds nothing by a name, and claims another child', async () => {
    const [first, second] = await strangers()
    const { page, assertEveryPageChecked } = await browser()
    await signInAs(page, server, 'sw.south')
    await page.goto('/search')
    await Page.verifyOnPage(AnyPage, page, 'Find a child')
    await page.getByRole('link', { name: 'emergency access' }).click()
    const form = await Page.verifyOnPage(AnyPage, page, 'Emergency access to a child’s record')
    await page.getByRole('button', { name: 'Open the record in an emergency' }).click()
    const errors = await Page.verifyOnPage(AnyPage, page, 'Emergency access to a child’s record')
    assert.deepEqual(await errors.errorMessages(), ['Enter the child’s NHS number, or their full name and date of birth', 'Give the reason you need access', 'Enter the 6-digit code from your authenticator app'])
    void form

    await page.getByLabel('NHS number', { exact: true }).fill(first!.nhs)
    await page.getByLabel('Why do you need emergency access?').fill('Child brought to the out-of-hours duty desk with injuries')
    await page.getByLabel('Code from your authenticator app').fill(await server.nextTotp(server.practitioner('sw.south').totpSecret))
    await page.getByRole('button', { name: 'Open the record in an emergency' }).click()
    await Page.verifyOnPage(AnyPage, page, first!.name)
    assert.match(await page.locator('.govuk-notification-banner').innerText(), /emergency access \(break-glass\), until/)

    await page.goto('/access/emergency')
    await Page.verifyOnPage(AnyPage, page, 'Emergency access to a child’s record')
    await page.getByLabel('Given name, in full').fill('Nobody')
    await page.getByLabel('Family name, in full').fill('Known-Here')
    await page.getByLabel('Date of birth').fill('2014-02-03')
    await page.getByLabel('Why do you need emergency access?').fill('Police asked for urgent checks on a child found wandering')
    await page.getByLabel('Code from your authenticator app').fill(await server.nextTotp(server.practitioner('sw.south').totpSecret))
    await page.getByRole('button', { name: 'Open the record in an emergency' }).click()
    await Page.verifyOnPage(AnyPage, page, 'No record matches exactly')

    await page.goto('/access/claim')
    await Page.verifyOnPage(AnyPage, page, 'Claim a relationship with a child')
    await page.getByLabel('NHS number', { exact: true }).fill(second!.nhs)
    await page.getByLabel('How do you work with this child?').fill('New allocation from the south team duty rota today')
    await page.getByLabel('Code from your authenticator app').fill(await server.nextTotp(server.practitioner('sw.south').totpSecret))
    await page.getByRole('button', { name: 'Claim the relationship' }).click()
    await Page.verifyOnPage(AnyPage, page, second!.name)
    assertEveryPageChecked()
  })

  it('the manager sees the alert; information governance reviews from the queue', async () => {
    const manager = await browser()
    await signInAs(manager.page, server, 'manager.south')
    await manager.page.goto('/notifications')
    await Page.verifyOnPage(AnyPage, manager.page, 'Notifications')
    await manager.page.getByRole('button', { name: 'Open' }).first().click()
    await Page.verifyOnPage(AnyPage, manager.page, 'A relationship claimed by a practitioner you manage')
    manager.assertEveryPageChecked()

    const ig = await browser()
    await signInAs(ig.page, server, 'ig')
    await ig.page.getByRole('link', { name: 'Access reviews', exact: true }).click()
    await Page.verifyOnPage(AnyPage, ig.page, 'Emergency and claimed access to review')
    await ig.page.getByRole('link', { name: /^Review the request by Ryan Hughes/ }).first().click()
    const review = await Page.verifyOnPage(AnyPage, ig.page, 'Review emergency access')
    await ig.page.getByRole('button', { name: 'Record the review' }).click()
    const errors = await Page.verifyOnPage(AnyPage, ig.page, 'Review emergency access')
    assert.deepEqual(await errors.errorMessages(), ['Choose the outcome of your review'])
    void review
    await ig.page.getByLabel('Appropriate', { exact: true }).check()
    await ig.page.getByRole('button', { name: 'Record the review' }).click()
    await Page.verifyOnPage(AnyPage, ig.page, 'Emergency and claimed access to review')
    await ig.page.getByRole('link', { name: 'Reviewed requests' }).click()
    await Page.verifyOnPage(AnyPage, ig.page, 'Reviewed emergency and claimed access')
    ig.assertEveryPageChecked()
  })
})
