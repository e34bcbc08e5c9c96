// Sharing decisions in Chromium, axe on every page: a school's DSL records a decision to share from a child's page
// (an empty form first: the GOV.UK error summary takes focus and links to each field), the decision's page and the
// list, then a decision NOT to share; the partnership administrator adds a rule to the information-sharing
// agreement (errors first) and sees its version go up.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { Page as PwPage } from 'playwright-core'
import type { E2eServer } from './support/server.ts'
import { withE2eServer } from './support/suite.ts'
import { signInAs } from './support/flows.ts'
import { checkErrorSummary } from './support/error-summary.ts'
import { AnyPage, Page } from './support/pages/index.ts'
import { makeTac, pupilOf } from '../support/tac.ts'
import { stableUuid } from '../../src/data/ids.ts'

/** Ticks every golden rule in the form's checklist. */
async function tickGoldenRules(page: PwPage): Promise<void> {
  const rules = page.getByRole('group', { name: /The seven golden rules of information sharing/ }).getByRole('checkbox')
  assert.equal(await rules.count(), 7)
  for (const box of await rules.all()) await box.check()
}

describe('sharing decisions in a browser (Chromium, axe on every page)', () => {
  let server: E2eServer
  const { browser } = withE2eServer((s) => (server = s))

  it('a DSL records a decision to share (errors first), sees it and the list, then records a decision not to share', async () => {
    const db = server.s.t.db
    const childId = await pupilOf(db, 'brookside')
    await makeTac(db, { childIds: [childId], lead: 'dsl.brookside', members: ['sw.north', 'police.mash'] })
    const child = await db.selectFrom('child').select(['given_name', 'family_name']).where('id', '=', childId).executeTakeFirstOrThrow()
    const name = `${child.given_name} ${child.family_name}`

    const { page, assertEveryPageChecked } = await browser()
    await signInAs(page, server, 'dsl.brookside')
    await page.goto(`/children/${childId}`)
    await Page.verifyOnPage(AnyPage, page, name)
    await page.getByRole('link', { name: 'Record a sharing decision' }).click()
    await Page.verifyOnPage(AnyPage, page, 'Record a sharing decision')
    await page.getByRole('button', { name: 'Record the decision' }).click()
    const empty = await Page.verifyOnPage(AnyPage, page, 'Record a sharing decision')
    const messages = await empty.errorMessages()
    assert.ok(messages.includes('Say whether you shared the information or decided not to'), messages.join(' | '))
    assert.ok(messages.includes('Say whether the information includes special-category data'), messages.join(' | '))
    assert.ok(messages.length >= 4, messages.join(' | '))
    await checkErrorSummary(page)
    assert.equal(await db.selectFrom('sharing_decision').select('id').where('child_id', '=', childId).execute().then((r) => r.length), 0, 'nothing saved')

    await page.getByLabel('To share the information').check()
    await page.getByLabel('What information?').fill('The concern of 3 November and this term’s attendance')
    await page.getByLabel('Safeguarding concerns and decisions').check()
    await page.getByLabel('Education', { exact: true }).check()
    await page.getByLabel('Northshire Children\'s Social Care').check()
    await page.getByLabel('Safeguarding a child from harm').check()
    await page.getByLabel('Public task — Article 6(1)(e)').check()
    await page.getByRole('group', { name: 'Does it include special-category data?' }).getByLabel('No', { exact: true }).check()
    await page.getByLabel('Consent not sought').check()
    await page.getByLabel('If consent was refused or not sought: why').fill('Telling the family could put the child at risk')
    await tickGoldenRules(page)
    await page.getByLabel('Your reasons').fill('Neglect concerns over several weeks; the allocated social worker needs the school’s picture')
    await page.getByRole('button', { name: 'Record the decision' }).click()
    await Page.verifyOnPage(AnyPage, page, 'Decision to share')
    assert.match(await page.locator('.govuk-notification-banner').innerText(), /Sharing decision recorded/)
    assert.match(await page.locator('main').innerText(), /Within the agreement \(version 1\)/)
    const shared = await db.selectFrom('sharing_decision').selectAll().where('child_id', '=', childId).executeTakeFirstOrThrow()
    assert.equal(shared.shared, true)
    assert.equal(shared.within_agreement, true)

    await page.getByRole('link', { name: 'Back', exact: true }).click()
    await Page.verifyOnPage(AnyPage, page, 'Sharing decisions')
    assert.match(await page.locator('table').innerText(), /The concern of 3 November/)
    await page.getByRole('link', { name: 'The concern of 3 November and this term’s attendance' }).click()
    await Page.verifyOnPage(AnyPage, page, 'Decision to share')
    await page.goto(`/children/${childId}/sharing-decisions`)
    await Page.verifyOnPage(AnyPage, page, 'Sharing decisions')

    // a decision not to share, with its reasons
    await page.getByRole('button', { name: 'Record a sharing decision' }).click()
    await Page.verifyOnPage(AnyPage, page, 'Record a sharing decision')
    await page.getByLabel('Not to share it').check()
    await page.getByLabel('What information?').fill('The mother’s disclosure about her new partner')
    await page.getByLabel('Family and household').check()
    await page.getByLabel('Northshire Police').check()
    await page.getByLabel('Safeguarding a child from harm').check()
    await page.getByLabel('Public task — Article 6(1)(e)').check()
    await page.getByRole('group', { name: 'Does it include special-category data?' }).getByLabel('No', { exact: true }).check()
    await page.getByLabel('Consent refused').check()
    await page.getByLabel('If consent was refused or not sought: why').fill('The mother asked us not to tell the police')
    await tickGoldenRules(page)
    await page.getByLabel('Your reasons').fill('No risk to the child from sharing it now; we will review if anything changes')
    await page.getByRole('button', { name: 'Record the decision' }).click()
    await Page.verifyOnPage(AnyPage, page, 'Decision not to share')
    assert.match(await page.locator('main').innerText(), /The mother asked us not to tell the police/)
    await page.getByRole('link', { name: 'Back', exact: true }).click()
    await Page.verifyOnPage(AnyPage, page, 'Sharing decisions')
    const table = await page.locator('table').innerText()
    assert.match(table, /Not shared/)
    assert.match(table, /Shared/)
    const rows = await db.selectFrom('sharing_decision').select(['shared', 'within_agreement']).where('child_id', '=', childId).orderBy('created_at').execute()
    assert.deepEqual(rows, [{ shared: true, within_agreement: true }, { shared: false, within_agreement: null }])
    assertEveryPageChecked()
  })

  it('the partnership administrator adds a rule to the information-sharing agreement (errors first); its version goes up', async () => {
    const db = server.s.t.db
    const versionOf = async () => (await db.selectFrom('sharing_agreement').select('version').executeTakeFirstOrThrow()).version
    const before = await versionOf()
    const { page, assertEveryPageChecked } = await browser()
    await signInAs(page, server, 'partnership.admin')
    await page.goto('/settings/sharing-agreement')
    await Page.verifyOnPage(AnyPage, page, 'Information-sharing agreement')
    assert.match(await page.locator('main').innerText(), new RegExp(`Version ${before}\\b`))
    await page.getByRole('button', { name: 'Add the rule' }).click()
    const bad = await Page.verifyOnPage(AnyPage, page, 'Information-sharing agreement')
    const messages = await bad.errorMessages()
    assert.ok(messages.includes('Choose who shares'), messages.join(' | '))
    assert.ok(messages.includes('Choose at least one purpose'), messages.join(' | '))
    await checkErrorSummary(page)
    assert.equal(await versionOf(), before, 'nothing saved')

    await page.getByLabel('Who shares').selectOption('kind:school')
    await page.getByLabel('With whom').selectOption(`agency:${stableUuid('northshire:agency:gp')}`)
    await page.getByLabel('Identity and contact details').check()
    await page.getByLabel('Safeguarding concerns and decisions').check()
    await page.getByLabel('Preventing or detecting crime').check()
    await page.getByLabel('Note (optional)').fill('Schools tell the practice about exploitation risks')
    await page.getByRole('button', { name: 'Add the rule' }).click()
    await Page.verifyOnPage(AnyPage, page, 'Information-sharing agreement')
    assert.match(await page.locator('.govuk-notification-banner').innerText(), /The agreement is changed/)
    assert.match(await page.locator('main').innerText(), new RegExp(`Version ${before + 1}\\b`))
    assert.match(await page.getByRole('table', { name: /Rules in force/ }).innerText(), /Schools tell the practice about exploitation risks/)
    assert.equal(await versionOf(), before + 1)
    assertEveryPageChecked()
  })
})
