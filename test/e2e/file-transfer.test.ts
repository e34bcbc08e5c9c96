// Child-protection file transfer (R9) in Chromium with axe on every page: the old school's DSL starts a transfer from
// the child's page (errors first), the new school's DSL finds it in the inbox and confirms receipt; a transfer to a
// school outside the partnership shows its passphrase once; a transfer not yet received is withdrawn with its reason.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { E2eServer } from './support/server.ts'
import { withE2eServer } from './support/suite.ts'
import { signInAs } from './support/flows.ts'
import { AnyPage, Page } from './support/pages/index.ts'
import { pupilOf } from '../support/tac.ts'
import { stableUuid } from '../../src/data/ids.ts'

describe('child protection file transfer in a browser (Chromium, axe on every page)', () => {
  let server: E2eServer
  const { browser } = withE2eServer((s) => (server = s), { children: 30 })

  it('Brookside’s DSL sends a pupil’s file to the academy, whose DSL confirms receipt', async () => {
    const childId = await pupilOf(server.s.t.db, 'brookside', 0)
    const child = await server.s.t.db.selectFrom('child').select(['given_name', 'family_name']).where('id', '=', childId).executeTakeFirstOrThrow()
    const name = `${child.given_name} ${child.family_name}`
    const sender = await browser()
    await signInAs(sender.page, server, 'dsl.brookside')
    await sender.page.goto(`/children/${childId}`)
    await Page.verifyOnPage(AnyPage, sender.page, name)
    await sender.page.getByRole('link', { name: 'Send the child protection file to a new school' }).click()
    await Page.verifyOnPage(AnyPage, sender.page, 'Send the child protection file')
    await sender.page.getByRole('button', { name: 'Send the file' }).click()
    const errors = await Page.verifyOnPage(AnyPage, sender.page, 'Send the child protection file')
    assert.deepEqual(await errors.errorMessages(), ['Say whether the new school is in the partnership', 'Enter the date the child left', 'Confirm you have checked the file before it is sent'])
    await sender.page.getByLabel('A school in the partnership').check()
    await sender.page.getByLabel('The new school, if it is in the partnership').selectOption({ label: 'Northshire Academy' })
    await sender.page.getByLabel('The date the child left your school').fill('2026-11-23')
    await sender.page.getByLabel(/I have checked the file/).check()
    await sender.page.getByRole('button', { name: 'Send the file' }).click()
    await Page.verifyOnPage(AnyPage, sender.page, name)
    assert.match(await sender.page.locator('.govuk-summary-list').innerText(), /1 December 2026/)
    sender.assertEveryPageChecked()

    const receiver = await browser()
    await signInAs(receiver.page, server, 'dsl.academy')
    await receiver.page.goto('/file-transfers')
    await Page.verifyOnPage(AnyPage, receiver.page, 'Child protection files')
    await receiver.page.getByRole('link', { name }).click()
    await Page.verifyOnPage(AnyPage, receiver.page, name)
    await receiver.page.getByRole('button', { name: 'Confirm receipt' }).click()
    await Page.verifyOnPage(AnyPage, receiver.page, name)
    assert.match(await receiver.page.locator('.govuk-notification-banner').innerText(), /Receipt confirmed/)
    receiver.assertEveryPageChecked()
  })

  it('Brookside’s DSL withdraws a transfer not yet received: the withdrawal page, its error, the withdrawn transfer', async () => {
    const ids = await server.s.t.db.selectFrom('relationship').select('child_id').where('type', '=', 'pupil_at').where('holder_agency_id', '=', stableUuid('northshire:agency:brookside')).orderBy('child_id', 'desc').limit(1).execute()
    const childId = ids[0]!.child_id
    const sender = await browser()
    await signInAs(sender.page, server, 'dsl.brookside')
    await sender.page.goto(`/children/${childId}/file-transfer`)
    await Page.verifyOnPage(AnyPage, sender.page, 'Send the child protection file')
    await sender.page.getByLabel('A school in the partnership').check()
    await sender.page.getByLabel('The new school, if it is in the partnership').selectOption({ label: 'Northshire Academy' })
    await sender.page.getByLabel('The date the child left your school').fill('2026-11-23')
    await sender.page.getByLabel(/I have checked the file/).check()
    await sender.page.getByRole('button', { name: 'Send the file' }).click()
    await Page.verifyOnPage(AnyPage, sender.page)
    await sender.page.getByRole('link', { name: /Withdraw the transfer/ }).click()
    await Page.verifyOnPage(AnyPage, sender.page, 'Withdraw the child protection file transfer')
    await sender.page.getByRole('button', { name: 'Withdraw the transfer' }).click()
    const errors = await Page.verifyOnPage(AnyPage, sender.page, 'Withdraw the child protection file transfer')
    assert.deepEqual(await errors.errorMessages(), ['Say why you are withdrawing the transfer'])
    await sender.page.getByLabel('Why are you withdrawing the transfer?').fill('Sent to the wrong school')
    await sender.page.getByRole('button', { name: 'Withdraw the transfer' }).click()
    await Page.verifyOnPage(AnyPage, sender.page)
    assert.match(await sender.page.locator('.govuk-notification-banner').innerText(), /The transfer is withdrawn/)
    assert.match(await sender.page.locator('.govuk-summary-list').innerText(), /Sent to the wrong school/)
    sender.assertEveryPageChecked()
  })

  it('a transfer outside the partnership shows the passphrase once, with the encrypted file to download', async () => {
    const first = await pupilOf(server.s.t.db, 'brookside', 0)
    const other = await server.s.t.db.selectFrom('relationship').select('child_id').where('type', '=', 'pupil_at').where('holder_agency_id', '=', stableUuid('northshire:agency:brookside')).where('child_id', '!=', first).orderBy('child_id').executeTakeFirstOrThrow()
    const childId = other.child_id
    const sender = await browser()
    await signInAs(sender.page, server, 'dsl.brookside')
    await sender.page.goto(`/children/${childId}/file-transfer`)
    await Page.verifyOnPage(AnyPage, sender.page, 'Send the child protection file')
    await sender.page.getByLabel('A school outside the partnership').check()
    await sender.page.getByLabel('The new school’s name, if it is outside the partnership').fill('Hillside Academy, Westshire')
    await sender.page.getByLabel('The date the child left your school').fill('2026-11-23')
    await sender.page.getByLabel(/I have checked the file/).check()
    await sender.page.getByRole('button', { name: 'Send the file' }).click()
    await Page.verifyOnPage(AnyPage, sender.page)
    await sender.page.getByRole('button', { name: 'Make the encrypted file and passphrase' }).click()
    await Page.verifyOnPage(AnyPage, sender.page)
    assert.match(await sender.page.locator('#passphrase').innerText(), /^[A-Z0-9]{4}(-[A-Z0-9]{4}){5}$/)
    sender.assertEveryPageChecked()
  })
})
