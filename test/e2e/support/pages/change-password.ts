import type { Page as PwPage } from 'playwright-core'
import { Page } from './page.ts'

/** A practitioner's own password: required first after an administrator's temporary one, or changed at any time. */
export class ChangePasswordPage extends Page {
  constructor(page: PwPage, heading: string | RegExp = /^(Choose your own password|Change your password)$/) {
    super(page, heading)
  }

  async change(current: string, next: string, again = next): Promise<void> {
    await this.page.getByLabel('Your current password').fill(current)
    await this.page.getByLabel('New password', { exact: true }).fill(next)
    await this.page.getByLabel('New password again').fill(again)
    await this.page.getByRole('button', { name: 'Change password' }).click()
  }
}
