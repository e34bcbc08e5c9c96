// Journeys several tests share, each step through a page object (so each page is verified and axe-checked).
import type { Page as PwPage } from 'playwright-core'
import { Page, SignInPage, MfaChallengePage, HomePage, PasskeyEnrolPage, PasskeySignInPage } from './pages/index.ts'
import { DEMO_PASSWORD, type E2eServer } from './server.ts'
import { SoftPasskey } from '../../support/webauthn.ts'
import { addVirtualAuthenticator, exportPasskey, hasScript, importPasskey, passkeyOverHttp } from './passkeys.ts'

/**
 * Signs a demo practitioner in with password and authenticator code, and lands on "My children". Roles that
 * require a passkey (information governance, administrators) add one at their first sign-in and use it after
 * (Chromium's virtual authenticator; over HTTP with the browser's cookies when the browser runs no JavaScript).
 */
export async function signInAs(page: PwPage, server: E2eServer, key: string): Promise<HomePage> {
  const who = server.practitioner(key)
  const signIn = await SignInPage.visit(page)
  await signIn.signIn(who.email, DEMO_PASSWORD)
  const home = (p: PwPage) => p.waitForURL((u) => u.pathname === '/')
  const rpId = new URL(server.baseUrl).hostname
  const known = server.s.passkeys.get(key)
  if (known) {
    const step = await Page.verifyOnPage(PasskeySignInPage, page)
    if (await hasScript(page)) {
      const va = await addVirtualAuthenticator(page)
      await importPasskey(va, known, rpId)
      await step.usePasskey()
      await home(page)
      known.counter = (await exportPasskey(va))?.counter ?? known.counter
    } else {
      await passkeyOverHttp(page, server, 'authenticate', known)
      await page.goto('/')
    }
    return Page.verifyOnPage(HomePage, page)
  }
  const mfa = await Page.verifyOnPage(MfaChallengePage, page)
  await mfa.enterCode(await server.nextTotp(who.totpSecret))
  await page.waitForURL((u) => u.pathname !== '/sign-in/mfa')
  if (new URL(page.url()).pathname === '/sign-in/passkey/enrol') {
    const enrol = await Page.verifyOnPage(PasskeyEnrolPage, page)
    if (await hasScript(page)) {
      const va = await addVirtualAuthenticator(page)
      await enrol.add('Test passkey')
      await home(page)
      const made = await exportPasskey(va)
      if (!made) throw new Error(`the virtual authenticator holds no passkey for ${key}`)
      server.s.passkeys.set(key, made)
    } else {
      const made = new SoftPasskey()
      await passkeyOverHttp(page, server, 'register', made)
      server.s.passkeys.set(key, made)
      await page.goto('/')
    }
  }
  return Page.verifyOnPage(HomePage, page)
}
