// Practitioner administration in Chromium: an agency administrator adds a practitioner, who signs in with the
// temporary password and sets up an authenticator; resetting and disabling need a reason. axe on every page.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { startE2eServer, type E2eServer } from './support/server.ts'
import { openBrowser, type BrowserSession } from './support/browser.ts'
import { signInAs } from './support/flows.ts'
import { totpAt } from '../../src/platform/auth/totp.ts'
import { Page, SignInPage, MfaEnrolPage, ChangePasswordPage, HomePage, PractitionersPage, AddPractitionerPage, PractitionerAddedPage, PractitionerPage, TemporaryPasswordPage, MfaChallengePage } from './support/pages/index.ts'

describe('practitioner administration in the browser (Chromium, axe on every page)', () => {
  let server: E2eServer
  const browsers: BrowserSession[] = []
  const browser = async () => {
    const b = await openBrowser(server.baseUrl)
    browsers.push(b)
    return b
  }

  before(async () => {
    server = await startE2eServer({ children: 60 })
  })
  after(async () => {
    for (const b of browsers) await b.close().catch(() => undefined)
    await server?.close()
  })

  it('an agency administrator adds a practitioner, who signs in with the temporary password and enrols an authenticator', async () => {
    const b = await browser()
    const { page } = b
    const home = await signInAs(page, server, 'admin.brookside')
    assert.ok((await home.navigationItems()).includes('Practitioners'))
    await page.getByRole('link', { name: 'Practitioners', exact: true }).click()
    const list = await Page.verifyOnPage(PractitionersPage, page)
    const people = await list.practitioners()
    assert.ok(people.some((p) => p.name === 'Priya Shah'), 'Brookside’s own people are listed')
    assert.ok(!people.some((p) => p.name === 'Joanne Clarke'), 'another agency’s people are not')

    await list.addAPractitioner()
    const add = await Page.verifyOnPage(AddPractitionerPage, page)
    await add.add({ givenName: '', familyName: '', email: 'not an address' })
    const invalid = await Page.verifyOnPage(AddPractitionerPage, page)
    const errors = await invalid.errorMessages()
    assert.ok(errors.includes('Enter their first name') && errors.includes('Choose a role'), errors.join('; '))
    await invalid.add({ givenName: 'Sam', familyName: 'Newman', email: 'sam.newman@brookside.example', role: 'Teacher' })

    const added = await Page.verifyOnPage(PractitionerAddedPage, page)
    const password = await added.temporaryPassword()
    assert.ok(password.length >= 12)
    await added.goToTheirPage()
    const sam = await Page.verifyOnPage(PractitionerPage, page, 'Sam Newman')
    assert.match((await sam.details())['Authenticator'] ?? '', /^Not set up/)

    // Sam, in their own browser
    const samBrowser = await browser()
    const signIn = await SignInPage.visit(samBrowser.page)
    await signIn.signIn('sam.newman@brookside.example', password)
    const enrol = await Page.verifyOnPage(MfaEnrolPage, samBrowser.page)
    const { secret } = await enrol.key()
    server.s.clock.advance(31_000)
    await enrol.enterCode(await totpAt(secret, server.s.clock.now()))
    // the temporary password the administrator saw is replaced before anything else
    const choose = await Page.verifyOnPage(ChangePasswordPage, samBrowser.page, 'Choose your own password')
    await choose.change(password, 'short')
    const tooShort = await Page.verifyOnPage(ChangePasswordPage, samBrowser.page, 'Choose your own password')
    assert.ok((await tooShort.errorMessages()).some((e) => /12 characters or more/.test(e)))
    await tooShort.change(password, 'marmalade-otter-lantern')
    const samHome = await Page.verifyOnPage(HomePage, samBrowser.page)
    assert.match((await samHome.signedInAs()) ?? '', /^Signed in as Sam Newman, acting as Teacher, Brookside Primary School/)
    samBrowser.assertEveryPageChecked()

    // back in the administrator's browser, the list shows the authenticator set up
    await page.goto('/admin/practitioners')
    const after = await Page.verifyOnPage(PractitionersPage, page)
    assert.equal((await after.practitioners()).find((p) => p.name === 'Sam Newman')?.authenticator, 'Set up')
    b.assertEveryPageChecked()
  })

  it('resetting an authenticator and disabling an account need a reason, and say what happened', async () => {
    const b = await browser()
    const { page } = b
    await signInAs(page, server, 'admin.brookside')
    await page.goto('/admin/practitioners')
    const list = await Page.verifyOnPage(PractitionersPage, page)
    await list.openPractitioner('Grace Mensah')
    const grace = await Page.verifyOnPage(PractitionerPage, page, 'Grace Mensah')

    await grace.disable('')
    const noReason = await Page.verifyOnPage(PractitionerPage, page, 'Grace Mensah')
    assert.deepEqual(await noReason.errorMessages(), ['Give the reason: it is recorded'])

    await noReason.resetAuthenticator('Phone lost; identity checked in person')
    const reset = await Page.verifyOnPage(PractitionerPage, page, 'Grace Mensah')
    assert.match((await reset.banner()) ?? '', /Authenticator reset/)
    assert.match((await reset.details())['Authenticator'] ?? '', /^Not set up/)
    b.assertEveryPageChecked()
  })

  it('a forgotten password: the administrator sets a temporary one, which signs in once and is replaced at once', async () => {
    const b = await browser()
    const { page } = b
    await signInAs(page, server, 'admin.brookside')
    await page.goto('/admin/practitioners')
    await (await Page.verifyOnPage(PractitionersPage, page)).openPractitioner('Margaret Ellis')
    const margaret = await Page.verifyOnPage(PractitionerPage, page, 'Margaret Ellis')
    await margaret.setTemporaryPassword('')
    const noReason = await Page.verifyOnPage(PractitionerPage, page, 'Margaret Ellis')
    assert.deepEqual(await noReason.errorMessages(), ['Give the reason: it is recorded'])
    await noReason.setTemporaryPassword('Forgot it after leave; identity checked by phone call-back')
    const shown = await Page.verifyOnPage(TemporaryPasswordPage, page)
    const temporary = await shown.temporaryPassword()
    assert.ok(temporary.length >= 16)

    // Margaret, in her own browser, with her own authenticator
    const mb = await browser()
    const who = server.practitioner('head.brookside')
    await (await SignInPage.visit(mb.page)).signIn(who.email, temporary)
    await (await Page.verifyOnPage(MfaChallengePage, mb.page)).enterCode(await server.nextTotp(who.totpSecret))
    const choose = await Page.verifyOnPage(ChangePasswordPage, mb.page, 'Choose your own password')
    await choose.change(temporary, 'heron-quilt-pebble-9')
    const home = await Page.verifyOnPage(HomePage, mb.page)
    assert.match((await home.signedInAs()) ?? '', /^Signed in as Margaret Ellis/)
    mb.assertEveryPageChecked()
    b.assertEveryPageChecked()
  })
})
