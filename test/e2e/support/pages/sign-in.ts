import type { Page as PwPage } from 'playwright-core'
import { Page } from './page.ts'

export class SignInPage extends Page {
  constructor(page: PwPage) {
    super(page, 'Sign in to TeamAround')
  }

  static async visit(page: PwPage): Promise<SignInPage> {
    await page.goto('/sign-in')
    return Page.verifyOnPage(SignInPage, page)
  }

  async signIn(email: string, password: string): Promise<void> {
    await this.page.getByLabel('Email address').fill(email)
    await this.page.getByLabel('Password').fill(password)
    await this.page.getByRole('button', { name: 'Continue' }).click()
  }

  async fieldError(id: 'email' | 'password'): Promise<string | null> {
    const e = this.page.locator(`#${id}-error`)
    return (await e.count()) ? (await e.innerText()).replace(/\s+/g, ' ').trim() : null
  }
}
