// Passkeys in Chromium with a virtual authenticator (CDP WebAuthn), axe on every page: an information-governance
// officer's first sign-in asks for a passkey after the code; the next sign-in takes the passkey and offers no code;
// the account page lists it and refuses to remove the only one. Without JavaScript, the page says what is needed.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { E2eServer } from './support/server.ts'
import { withE2eServer } from './support/suite.ts'
import { openBrowser } from './support/browser.ts'
import { signInAs } from './support/flows.ts'
import { addVirtualAuthenticator, exportPasskey } from './support/passkeys.ts'
import { HomePage, MfaChallengePage, Page, PasskeyEnrolPage, PasskeySignInPage, PasskeysPage, SignInPage } from './support/pages/index.ts'
import { DEMO_PASSWORD } from './support/server.ts'

describe('passkeys in a browser (Chromium virtual authenticator, axe on every page)', () => {
  let server: E2eServer
  const { browsers } = withE2eServer((s) => (server = s))

  it('IG: code, then add a passkey; next time the passkey alone; the only passkey cannot be removed', async () => {
    const b = await openBrowser(server.baseUrl)
    browsers.push(b)
    const { page } = b
    const va = await addVirtualAuthenticator(page)
    const who = server.practitioner('ig2')
    await (await SignInPage.visit(page)).signIn(who.email, DEMO_PASSWORD)
    const mfa = await Page.verifyOnPage(MfaChallengePage, page)
    assert.match(await mfa.mainContent.innerText(), /after this code you will be asked to add one/)
    await mfa.enterCode(await server.nextTotp(who.totpSecret))
    const enrol = await Page.verifyOnPage(PasskeyEnrolPage, page)
    // no name: the error summary, and nothing asked of the authenticator
    await page.getByRole('button', { name: 'Add a passkey' }).click()
    const noName = await Page.verifyOnPage(PasskeyEnrolPage, page)
    assert.deepEqual(await noName.errorMessages(), ['Enter a name for the passkey, like "Work laptop"'])
    assert.equal(await exportPasskey(va), null)
    await enrol.add('Work laptop')
    await page.waitForURL((u) => u.pathname === '/')
    await Page.verifyOnPage(HomePage, page)
    const made = await exportPasskey(va)
    assert.ok(made)
    // the account page lists it
    await page.goto('/account/passkeys')
    const list = await Page.verifyOnPage(PasskeysPage, page)
    assert.deepEqual(await list.names(), ['Work laptop'])
    await list.remove('Work laptop')
    const refused = await Page.verifyOnPage(PasskeysPage, page)
    assert.deepEqual(await refused.errorMessages(), ['You cannot remove your only passkey: your role needs one. Add another passkey first'])
    await refused.signOut()
    await Page.verifyOnPage(SignInPage, page)
    // the next sign-in: the passkey, and no code is offered
    await (await SignInPage.visit(page)).signIn(who.email, DEMO_PASSWORD)
    const step = await Page.verifyOnPage(PasskeySignInPage, page)
    assert.equal(await page.getByLabel('Enter the code from your authenticator app').count(), 0)
    await step.usePasskey()
    await page.waitForURL((u) => u.pathname === '/')
    await Page.verifyOnPage(HomePage, page)
    const signIns = await server.s.t.db.selectFrom('audit_event').select('details').where('action', '=', 'auth.sign-in').where('outcome', '=', 'success').orderBy('id', 'desc').limit(1).execute()
    assert.match(JSON.stringify(signIns[0]!.details), /"factor":"passkey"/)
    b.assertEveryPageChecked()
  })

  it('without JavaScript the passkey page says a browser with JavaScript and a passkey is needed; signInAs still works for admins', async () => {
    const b = await openBrowser(server.baseUrl, { javaScriptEnabled: false })
    browsers.push(b)
    const { page } = b
    const who = server.practitioner('admin.brookside')
    await (await SignInPage.visit(page)).signIn(who.email, DEMO_PASSWORD)
    await (await Page.verifyOnPage(MfaChallengePage, page)).enterCode(await server.nextTotp(who.totpSecret))
    const enrol = await Page.verifyOnPage(PasskeyEnrolPage, page)
    assert.match(await enrol.mainContent.innerText(), /Passkeys need JavaScript: use a browser with JavaScript turned on/)
    assert.equal(await page.getByRole('button', { name: 'Add a passkey' }).isVisible(), false)
    // the shared sign-in flow answers the ceremony over HTTP for a scriptless browser, then uses the passkey
    const other = await openBrowser(server.baseUrl, { javaScriptEnabled: false })
    browsers.push(other)
    await signInAs(other.page, server, 'admin.brookside')
    const third = await openBrowser(server.baseUrl)
    browsers.push(third)
    await signInAs(third.page, server, 'admin.brookside')
    b.assertEveryPageChecked()
    other.assertEveryPageChecked()
    third.assertEveryPageChecked()
  })
})
