// The partnership administrator's team-around-the-child settings in Chromium: every screen, its error summary and
// its "someone else changed this" state, axe on each (WCAG 2.2 AA); the forms work without JavaScript.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { E2eServer } from './support/server.ts'
import { withE2eServer } from './support/suite.ts'
import { signInAs } from './support/flows.ts'
import { Page, AnyPage } from './support/pages/index.ts'

describe('team-around-the-child settings in the browser (Chromium, axe on every page)', () => {
  let server: E2eServer
  const { browser } = withE2eServer((s) => (server = s), { children: 40, browser: { javaScriptEnabled: false } })

  it('the partnership administrator reaches each screen from Settings, sees errors in the summary, and a stale save is shown, not lost', async () => {
    const { page } = await browser()
    const home = await signInAs(page, server, 'partnership.admin')
    assert.ok((await home.navigationItems()).includes('Settings'))
    await page.getByRole('link', { name: 'Settings', exact: true }).click()
    await Page.verifyOnPage(AnyPage, page, 'Settings')

    // visit frequency: bad input, then saved
    await page.getByRole('link', { name: 'Change the statutory visit frequency' }).click()
    const visits = await Page.verifyOnPage(AnyPage, page, 'Statutory visits to children on child protection plans')
    await page.getByLabel('Visit at least every').fill('45')
    await page.getByRole('button', { name: 'Save the visit frequency' }).click()
    const invalid = await Page.verifyOnPage(AnyPage, page, 'Statutory visits to children on child protection plans')
    assert.deepEqual(await invalid.errorMessages(), ['Enter a whole number of working days from 1 to 30'])
    await page.getByLabel('Visit at least every').fill('8')
    await page.getByRole('button', { name: 'Save the visit frequency' }).click()
    await Page.verifyOnPage(AnyPage, page, 'Statutory visits to children on child protection plans')
    assert.match(await visits.mainContent.innerText(), /Saved\. The next statutory visit clock/)

    // assessment domains: a name cleared → the summary links to it; then a domain added
    await page.goto('/settings')
    await page.getByRole('link', { name: 'Change the assessment domains' }).click()
    await Page.verifyOnPage(AnyPage, page, 'Early help assessment domains')
    await page.getByLabel('Name of domain 2', { exact: true }).fill('')
    await page.getByRole('button', { name: 'Save the domains' }).click()
    const domainError = await Page.verifyOnPage(AnyPage, page, 'Early help assessment domains')
    assert.deepEqual(await domainError.errorMessages(), ['Enter a name for domain 2'])
    await page.getByLabel('Name of domain 2', { exact: true }).fill('Education, learning and attendance')
    await page.getByLabel('Retired: Social integration and community resources').check()
    await page.getByLabel('Name', { exact: true }).fill('Young carers')
    await page.getByRole('button', { name: 'Save the domains' }).click()
    const domains = await Page.verifyOnPage(AnyPage, page, 'Early help assessment domains')
    assert.match(await domains.mainContent.innerText(), /Saved\. Assessments started from now on use these domains/)

    // exploitation rules: thresholds the wrong way round, then a new version; its history and an old version's page
    await page.goto('/settings')
    await page.getByRole('link', { name: 'Change the exploitation screening rules' }).click()
    await Page.verifyOnPage(AnyPage, page, 'Exploitation screening rules')
    await page.getByLabel('Medium risk from a total of').fill('20')
    await page.getByRole('button', { name: 'Save as a new version' }).click()
    const rulesError = await Page.verifyOnPage(AnyPage, page, 'Exploitation screening rules')
    assert.deepEqual(await rulesError.errorMessages(), ['The medium threshold cannot be above the high threshold'])
    await page.getByLabel('Medium risk from a total of').fill('6')
    await page.getByLabel('New question 1', { exact: true }).fill('County lines activity')
    await page.getByRole('button', { name: 'Save as a new version' }).click()
    await Page.verifyOnPage(AnyPage, page, 'Exploitation screening rules')
    await page.getByRole('link', { name: 'Version 1', exact: true }).click()
    await Page.verifyOnPage(AnyPage, page, 'Exploitation screening rules, version 1')

    // the MACE panel: a stale form (another administrator saved meanwhile) → both versions, nothing lost
    await page.goto('/settings')
    await page.getByRole('link', { name: 'Change the MACE panel’s teams' }).click()
    await Page.verifyOnPage(AnyPage, page, 'The multi-agency child exploitation (MACE) panel')
    const other = await browser()
    await signInAs(other.page, server, 'partnership.admin')
    await other.page.goto('/settings/team-around-the-child/mace-panel')
    await other.page.getByLabel('MASH Police Desk (Northshire Police)').check()
    await other.page.getByRole('button', { name: 'Save the panel’s teams' }).click()
    await Page.verifyOnPage(AnyPage, other.page, 'The multi-agency child exploitation (MACE) panel')
    await page.getByRole('checkbox', { name: /Missing and Exploited Children Team/ }).check()
    await page.getByRole('button', { name: 'Save the panel’s teams' }).click()
    const conflict = await Page.verifyOnPage(AnyPage, page, 'The multi-agency child exploitation (MACE) panel')
    const text = await conflict.mainContent.innerText()
    assert.match(text, /Someone else changed the panel’s teams while you were editing/)
    assert.ok(await page.getByRole('checkbox', { name: /Missing and Exploited Children Team/ }).isChecked(), 'your choice is still in the form')
  })
  it('the partnership administrator renames a concern category: the error in the summary, then saved, every page naming it anew', async () => {
    const { page } = await browser()
    await signInAs(page, server, 'partnership.admin')
    await page.goto('/settings')
    await Page.verifyOnPage(AnyPage, page, /Settings|Calendars and lists/)
    await page.getByRole('link', { name: 'Change the name of Neglect', exact: true }).click()
    await Page.verifyOnPage(AnyPage, page, 'Change the name of “Neglect”')
    await page.getByLabel('Name', { exact: true }).fill('Domestic abuse')
    await page.getByRole('button', { name: 'Save the name' }).click()
    const taken = await Page.verifyOnPage(AnyPage, page, 'Change the name of “Neglect”')
    assert.equal((await taken.errorMessages()).length, 1)
    assert.match((await taken.errorMessages())[0]!, /already a category called “Domestic abuse”/)
    assert.equal(await page.getByLabel('Name', { exact: true }).inputValue(), 'Domestic abuse', 'what was typed is kept')
    await page.getByLabel('Name', { exact: true }).fill('Neglect and basic care')
    await page.getByRole('button', { name: 'Save the name' }).click()
    const saved = await Page.verifyOnPage(AnyPage, page, /Settings|Calendars and lists/)
    assert.match(await saved.mainContent.innerText(), /Saved\. Every page, filter and export names the category by its new name/)
    assert.match(await saved.mainContent.innerText(), /Neglect and basic care/)
  })

  it('the partnership administrator changes a risk signal rule: errors in the summary, then a new version, its history kept', async () => {
    const { page } = await browser()
    const home = await signInAs(page, server, 'partnership.admin')
    assert.ok((await home.navigationItems()).includes('Risk signal rules'))
    await page.getByRole('link', { name: 'Risk signal rules', exact: true }).click()
    await Page.verifyOnPage(AnyPage, page, 'Risk signal rules')
    const rule = page.locator('section[aria-labelledby="multi_agency_concerns-heading"]')
    await rule.locator('#multi_agency_concerns-minCount').fill('0')
    await rule.locator('#multi_agency_concerns-windowDays').fill('a month')
    await rule.getByRole('button').click()
    const invalid = await Page.verifyOnPage(AnyPage, page, 'Risk signal rules')
    const errors = await invalid.errorMessages()
    assert.equal(errors.length, 2)
    assert.match(errors[0]!, /^Enter how many entries as a whole number from 1 to \d+$/)
    assert.match(errors[1]!, /^Enter the window in days as a whole number from 1 to \d+$/)
    assert.equal(await page.locator('#multi_agency_concerns-windowDays').inputValue(), 'a month', 'what was typed is kept')
    await page.locator('#multi_agency_concerns-minCount').fill('4')
    await page.locator('#multi_agency_concerns-windowDays').fill('45')
    await page.locator('section[aria-labelledby="multi_agency_concerns-heading"]').getByRole('button').click()
    const saved = await Page.verifyOnPage(AnyPage, page, 'Risk signal rules')
    assert.match(await saved.mainContent.innerText(), /Saved as version 2 of/)
    assert.match(await page.locator('section[aria-labelledby="multi_agency_concerns-heading"]').innerText(), /4 or more entries from 2 or more agencies, within 45 days/)
  })
})
