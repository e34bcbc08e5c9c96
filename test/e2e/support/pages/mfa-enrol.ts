import type { Locator, Page as PwPage } from 'playwright-core'
import { Page } from './page.ts'

/** First sign-in without an authenticator app: scan the QR code or type the key, then enter a code. */
export class MfaEnrolPage extends Page {
  constructor(page: PwPage) {
    super(page, 'Set up your authenticator app')
  }

  get qrCode(): Locator {
    return this.page.locator('figure svg')
  }

  /** The key as shown (groups of four), and as an app would take it (no spaces). */
  async key(): Promise<{ shown: string; secret: string }> {
    const shown = (await this.page.locator('#secret').innerText()).trim()
    return { shown, secret: shown.replace(/\s+/g, '') }
  }

  async enterCode(code: string): Promise<void> {
    await this.page.getByLabel('Code from your authenticator app').fill(code)
    await this.page.getByRole('button', { name: 'Finish setting up' }).click()
  }
}
