// Information requests between agencies in Chromium, axe on every page: a front-door social worker asks agencies
// what they know from a child's page (an empty form first: the GOV.UK error summary takes focus and links to each
// field), the police and health; the police officer answers from "Requests for information" with two entries, the
// second added by "Add another entry" in a browser without JavaScript; the requester sees the answer from "My
// requests"; the school nurse declines (without reasons first), and the requester reads why.
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { describe, it } from 'node:test'
import type { Page as PwPage } from 'playwright-core'
import type { E2eServer } from './support/server.ts'
import { withE2eServer } from './support/suite.ts'
import { signInAs } from './support/flows.ts'
import { checkErrorSummary } from './support/error-summary.ts'
import { AnyPage, Page } from './support/pages/index.ts'
import { PARTNERSHIP as P } from '../support/tac.ts'
import { stableUuid } from '../../src/data/ids.ts'

const POLICE = stableUuid('northshire:agency:police')
const HEALTH = stableUuid('northshire:agency:health')

/** The answer form's sharing decision: public task, consent not sought (and why), every golden rule, the reasons. */
async function fillSharingDecision(page: PwPage, reasons: string, opts: { health?: boolean } = {}): Promise<void> {
  await page.getByLabel('Public task — Article 6(1)(e)').check()
  await page.getByRole('group', { name: 'Does it include special-category data?' }).getByLabel(opts.health ? 'Yes' : 'No', { exact: true }).check()
  if (opts.health) {
    // health information is special-category data: Article 9(2)(g) with Schedule 1 paragraph 18, and why without consent
    await page.getByLabel('If yes: the Article 9 condition').selectOption('9.2.g')
    await page.getByLabel('With Article 9(2)(g): the DPA 2018 Schedule 1 condition').selectOption('sch1.18')
    await page.getByLabel('Sharing without consent under Schedule 1 paragraph 18: which reason applies').selectOption('would_prejudice')
  }
  await page.getByLabel('Consent not sought').check()
  await page.getByLabel('If consent was refused or not sought: why').fill('Asking the parents first could put the child at risk while the front door decides')
  const rules = page.getByRole('group', { name: /The seven golden rules of information sharing/ }).getByRole('checkbox')
  assert.equal(await rules.count(), 7)
  for (const box of await rules.all()) await box.check()
  await page.getByLabel('Your reasons').fill(reasons)
  await page.getByLabel('If the information-sharing agreement does not cover this: why sharing is justified').fill('The front door needs this today to decide its response')
}

describe('information requests in a browser (Chromium, axe on every page)', () => {
  let server: E2eServer
  const { browser } = withE2eServer((s) => (server = s))

  it('the front door asks (errors first); the police answer with two entries; the requester reads it; health declines with reasons', async () => {
    const db = server.s.t.db
    const now = server.s.clock.now()
    const childId = randomUUID()
    await db.insertInto('child').values({ id: childId, partnership_id: P, given_name: 'Ivy', family_name: 'Requestson', date_of_birth: '2017-04-03', expected_date_of_birth: null, sex: 'female', nhs_number: '9990001234', upn: null, ethnicity: null, first_language: null, disability: null, created_at: now }).execute()
    await db.insertInto('child_address').values({ id: randomUUID(), partnership_id: P, child_id: childId, line1: '14 Orchard Close', line2: null, town: 'Northford', postcode: 'NS3 4QZ', from_date: '2024-01-01', to_date: null, confidential_reason: null, visible_to_roles: null }).execute()
    await db.insertInto('relationship').values({ id: randomUUID(), partnership_id: P, child_id: childId, type: 'front_door_contact', holder_agency_id: null, holder_team_id: stableUuid('northshire:team:csc:front-door'), holder_membership_id: null, starts_at: now, ends_at: null, source: 'test', reason: 'A contact about Ivy', created_by_membership_id: null, created_at: now }).execute()
    const requestTo = (agencyId: string) => db.selectFrom('information_request').selectAll().where('child_id', '=', childId).where('to_agency_id', '=', agencyId).executeTakeFirstOrThrow()

    // the front door asks the police and health, from the child's page
    const fd = await browser()
    await signInAs(fd.page, server, 'frontdoor')
    await fd.page.goto(`/children/${childId}`)
    await Page.verifyOnPage(AnyPage, fd.page, 'Ivy Requestson')
    await fd.page.getByRole('link', { name: 'Ask agencies what they know' }).click()
    await Page.verifyOnPage(AnyPage, fd.page, 'Ask agencies what they know')
    await fd.page.getByRole('button', { name: 'Send the requests' }).click()
    const empty = await Page.verifyOnPage(AnyPage, fd.page, 'Ask agencies what they know')
    assert.deepEqual(await empty.errorMessages(), ['Choose at least one agency to ask', 'Write your question: what do you need to know, and why', 'Say whether the request is urgent'])
    await checkErrorSummary(fd.page)
    await fd.page.getByLabel('Northshire Police').check()
    await fd.page.getByLabel('Northshire Community Health NHS Trust').check()
    await fd.page.getByLabel('Your question').fill('We have a contact about Ivy. What do you know about the household in the last 12 months?')
    await fd.page.getByRole('radio', { name: /Standard: within \d+ working days/ }).check()
    await fd.page.getByRole('button', { name: 'Send the requests' }).click()
    await Page.verifyOnPage(AnyPage, fd.page, 'Ask agencies what they know')
    assert.match(await fd.page.locator('.govuk-notification-banner').innerText(), /Request sent to 2 agencies/)
    // the agencies already asked are listed with their open request, not offered again
    assert.equal(await fd.page.getByRole('checkbox', { name: 'Northshire Police' }).count(), 0)
    assert.equal(await fd.page.locator('main ul').getByRole('link', { name: 'Northshire Police', exact: true }).count(), 1)
    assert.equal(await fd.page.locator('main ul').getByRole('link', { name: 'Northshire Community Health NHS Trust', exact: true }).count(), 1)
    assert.deepEqual((await db.selectFrom('information_request').select('to_agency_id').where('child_id', '=', childId).execute()).map((q) => q.to_agency_id).sort(), [POLICE, HEALTH].sort())
    fd.assertEveryPageChecked()

    // the police officer answers from the inbox, in a browser without JavaScript: "Add another entry" is a plain submit
    const police = await browser({ javaScriptEnabled: false })
    await signInAs(police.page, server, 'police.mash')
    await police.page.getByRole('link', { name: 'Requests for information', exact: true }).click()
    await Page.verifyOnPage(AnyPage, police.page, 'Requests for information')
    await police.page.getByRole('link', { name: 'Ivy Requestson' }).click()
    await Page.verifyOnPage(AnyPage, police.page, 'Ivy Requestson')
    await police.page.getByLabel('We hold information: record it').check()
    await police.page.getByLabel('What happened, or what your records say').fill('Domestic incident at the address: police attended, no arrests; children present.')
    await police.page.getByLabel('Date it happened').fill('2026-08-14')
    await police.page.getByLabel('Significance').selectOption('high')
    await police.page.getByRole('button', { name: 'Add another entry' }).click()
    await Page.verifyOnPage(AnyPage, police.page, 'Ivy Requestson')
    assert.equal(await police.page.getByRole('heading', { name: 'Entry 2' }).count(), 1)
    assert.equal(await police.page.locator('#e1Summary').inputValue(), 'Domestic incident at the address: police attended, no arrests; children present.', 'what was typed is kept')
    assert.equal(await police.page.locator('#e1OccurredOn').inputValue(), '2026-08-14')
    assert.equal((await requestTo(POLICE)).status, 'open', 'adding an entry saves nothing')
    await police.page.locator('#e2Summary').fill('Intelligence about an adult visiting the address.')
    await police.page.locator('#e2OccurredOn').fill('2026-10-02')
    await police.page.locator('#e2Significance').selectOption('medium')
    await police.page.locator('#e2Visibility').selectOption('restricted')
    await fillSharingDecision(police.page, 'The front door needs what we hold to decide its response to a contact')
    await police.page.getByRole('button', { name: 'Send the answer' }).click()
    const answeredPage = await Page.verifyOnPage(AnyPage, police.page, 'Ivy Requestson')
    assert.deepEqual(await answeredPage.errorMessages(), [])
    assert.match(await police.page.locator('.govuk-notification-banner').innerText(), /Answer recorded/)
    police.assertEveryPageChecked()
    const answered = await requestTo(POLICE)
    assert.equal(answered.status, 'answered')
    assert.equal((await db.selectFrom('entry').select('id').where('detail_type', '=', 'information_request').where('detail_id', '=', answered.id).where('type', '=', 'information_shared').execute()).length, 2)

    // the requester finds the answer from "My requests"
    await fd.page.getByRole('link', { name: 'My requests', exact: true }).click()
    await Page.verifyOnPage(AnyPage, fd.page, 'My requests for information')
    await fd.page.getByRole('link', { name: /^Ivy Requestson\s*: request to Northshire Police$/ }).click()
    await Page.verifyOnPage(AnyPage, fd.page, 'Ivy Requestson')
    assert.match(await fd.page.getByRole('heading', { level: 2, name: 'The answer' }).innerText(), /The answer/)
    const shared = await fd.page.getByRole('table', { name: /What Northshire Police shared/ }).innerText()
    assert.match(shared, /Domestic incident at the address/)
    assert.match(shared, /Intelligence about an adult visiting the address/)
    fd.assertEveryPageChecked()

    // the school nurse declines: without reasons first
    const nurse = await browser()
    await signInAs(nurse.page, server, 'nurse')
    await nurse.page.getByRole('link', { name: 'Requests for information', exact: true }).click()
    await Page.verifyOnPage(AnyPage, nurse.page, 'Requests for information')
    await nurse.page.getByRole('link', { name: 'Ivy Requestson' }).click()
    await Page.verifyOnPage(AnyPage, nurse.page, 'Ivy Requestson')
    await nurse.page.getByLabel('Decline to share, with the reasons').check()
    await fillSharingDecision(nurse.page, '', { health: true })
    await nurse.page.getByRole('button', { name: 'Send the answer' }).click()
    const noReasons = await Page.verifyOnPage(AnyPage, nurse.page, 'Ivy Requestson')
    assert.deepEqual(await noReasons.errorMessages(), ['Give the reasons your agency declines to share'])
    await checkErrorSummary(nurse.page)
    assert.equal((await requestTo(HEALTH)).status, 'open', 'nothing saved')
    await nurse.page.getByLabel('Your reasons').fill('We hold nothing about the household that is ours to share without the parents’ consent.')
    await nurse.page.getByRole('button', { name: 'Send the answer' }).click()
    const sent = await Page.verifyOnPage(AnyPage, nurse.page, 'Ivy Requestson')
    assert.deepEqual(await sent.errorMessages(), [])
    assert.match(await nurse.page.locator('.govuk-notification-banner').innerText(), /Answer recorded/)
    nurse.assertEveryPageChecked()
    const declined = await requestTo(HEALTH)
    assert.equal(declined.status, 'declined')

    await fd.page.goto(`/information-requests/${declined.id}`)
    await Page.verifyOnPage(AnyPage, fd.page, 'Ivy Requestson')
    const main = await fd.page.locator('main').innerText()
    assert.match(main, /Declined/)
    assert.match(main, /We hold nothing about the household that is ours to share without the parents’ consent\./)
    fd.assertEveryPageChecked()
  })
})
