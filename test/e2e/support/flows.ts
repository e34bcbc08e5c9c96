// Journeys several tests share, each step through a page object (so each page is verified and axe-checked).
import type { Page as PwPage } from 'playwright-core'
import { Page, SignInPage, MfaChallengePage, HomePage } from './pages/index.ts'
import { DEMO_PASSWORD, type E2eServer } from './server.ts'

/** Signs a demo practitioner in with password and authenticator code, and lands on "My children". */
export async function signInAs(page: PwPage, server: E2eServer, key: string): Promise<HomePage> {
  const who = server.practitioner(key)
  const signIn = await SignInPage.visit(page)
  await signIn.signIn(who.email, DEMO_PASSWORD)
  const mfa = await Page.verifyOnPage(MfaChallengePage, page)
  await mfa.enterCode(await server.nextTotp(who.totpSecret))
  return Page.verifyOnPage(HomePage, page)
}
