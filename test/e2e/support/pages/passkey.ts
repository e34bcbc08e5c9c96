import type { Page as PwPage } from 'playwright-core'
import { Page } from './page.ts'

/** After the code, for a role that requires a passkey and has none: name it and add it (needs JavaScript). */
export class PasskeyEnrolPage extends Page {
  constructor(page: PwPage) {
    super(page, 'Add a passkey')
  }

  async add(name: string): Promise<void> {
    await this.page.getByLabel('Name this passkey').fill(name)
    await this.page.getByRole('button', { name: 'Add a passkey' }).click()
  }
}

/** The second step for a role that requires a passkey, once it has one: the code is not offered. */
export class PasskeySignInPage extends Page {
  constructor(page: PwPage) {
    super(page, 'Sign in with your passkey')
  }

  async usePasskey(): Promise<void> {
    await this.page.getByRole('button', { name: 'Use your passkey' }).click()
  }
}

/** The account page: the practitioner's passkeys, add one (after the code), remove one. */
export class PasskeysPage extends Page {
  constructor(page: PwPage) {
    super(page, 'Your passkeys')
  }

  async names(): Promise<string[]> {
    return (await this.page.locator('#passkeys tbody tr td:first-child').allInnerTexts()).map((t) => t.trim())
  }

  async add(name: string, code: string): Promise<void> {
    await this.page.getByLabel('Name this passkey').fill(name)
    await this.page.getByLabel('Code from your authenticator app').fill(code)
    await this.page.getByRole('button', { name: 'Add a passkey' }).click()
  }

  async remove(name: string): Promise<void> {
    await this.page.getByRole('button', { name: `Remove passkey ${name}` }).click()
  }
}
