import type { Page as PwPage } from 'playwright-core'
import { Page } from './page.ts'

/** The second step of sign-in for a practitioner with an authenticator app set up. */
export class MfaChallengePage extends Page {
  constructor(page: PwPage) {
    super(page, 'Enter the code from your authenticator app')
  }

  async enterCode(code: string): Promise<void> {
    await this.page.getByLabel('Enter the code from your authenticator app').fill(code)
    await this.page.getByRole('button', { name: 'Sign in' }).click()
  }
}
