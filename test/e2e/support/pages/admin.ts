// Practitioner administration (agency and partnership administrators).
import type { Page as PwPage } from 'playwright-core'
import { Page } from './page.ts'

export interface PractitionerRow {
  name: string
  email: string
  href: string
  roles: string
  authenticator: string
  status: string
}

export class PractitionersPage extends Page {
  constructor(page: PwPage) {
    super(page, 'Practitioners')
  }

  async practitioners(): Promise<PractitionerRow[]> {
    const out: PractitionerRow[] = []
    for (const row of await this.page.locator('table.govuk-table tbody tr').all()) {
      const cells = row.locator('td')
      const link = cells.nth(0).locator('a')
      out.push({
        name: (await link.innerText()).trim(),
        email: (await cells.nth(0).locator('.govuk-hint').innerText()).trim(),
        href: (await link.getAttribute('href')) ?? '',
        roles: (await cells.nth(1).innerText()).replace(/\s+/g, ' ').trim(),
        authenticator: (await cells.nth(2).innerText()).trim(),
        status: (await cells.nth(3).innerText()).trim(),
      })
    }
    return out
  }

  async addAPractitioner(): Promise<void> {
    await this.page.getByRole('button', { name: 'Add a practitioner' }).or(this.page.getByRole('link', { name: 'Add a practitioner' })).click()
  }

  async openPractitioner(name: string): Promise<void> {
    await this.page.locator('table.govuk-table tbody').getByRole('link', { name, exact: true }).click()
  }
}

export class AddPractitionerPage extends Page {
  constructor(page: PwPage) {
    super(page, 'Add a practitioner')
  }

  async add(p: { givenName: string; familyName: string; email: string; role?: string; team?: string }): Promise<void> {
    await this.page.getByLabel('First name').fill(p.givenName)
    await this.page.getByLabel('Last name').fill(p.familyName)
    await this.page.getByLabel('Work email address').fill(p.email)
    if (p.role) await this.page.getByLabel('Role', { exact: true }).selectOption({ label: p.role })
    if (p.team) await this.page.getByLabel('Team (optional)').selectOption({ label: p.team })
    await this.page.getByRole('button', { name: 'Add the practitioner' }).click()
  }
}

/** Shown once, after adding a practitioner: their temporary password. */
export class PractitionerAddedPage extends Page {
  constructor(page: PwPage) {
    super(page, 'Give them their temporary password')
  }

  async temporaryPassword(): Promise<string> {
    return (await this.page.locator('#temporary-password').innerText()).trim()
  }

  async goToTheirPage(): Promise<void> {
    await this.page.getByRole('link', { name: 'Go to their page' }).click()
  }
}

/** Shown once, after an administrator sets a temporary password for someone who forgot theirs. */
export class TemporaryPasswordPage extends PractitionerAddedPage {}

export class PractitionerPage extends Page {
  constructor(page: PwPage, name: string | RegExp = /\S/) {
    super(page, name)
  }

  async details(): Promise<Record<string, string>> {
    const out: Record<string, string> = {}
    for (const row of await this.page.locator('.govuk-summary-list .govuk-summary-list__row').all()) {
      out[(await row.locator('.govuk-summary-list__key').innerText()).trim()] = (await row.locator('.govuk-summary-list__value').innerText()).replace(/\s+/g, ' ').trim()
    }
    return out
  }

  async banner(): Promise<string | null> {
    const b = this.page.locator('.govuk-notification-banner')
    return (await b.count()) ? (await b.locator('.govuk-notification-banner__content').innerText()).replace(/\s+/g, ' ').trim() : null
  }

  async resetAuthenticator(reason: string): Promise<void> {
    const form = this.page.locator('form[action$="/reset-mfa"]')
    await form.getByLabel('Reason').fill(reason)
    await form.getByRole('button', { name: 'Reset their authenticator' }).click()
  }

  async setTemporaryPassword(reason: string): Promise<void> {
    const form = this.page.locator('form[action$="/reset-password"]')
    await form.getByLabel('Reason').fill(reason)
    await form.getByRole('button', { name: 'Set a temporary password' }).click()
  }

  async disable(reason: string): Promise<void> {
    const form = this.page.locator('form[action$="/disable"]')
    await form.getByLabel('Reason').fill(reason)
    await form.getByRole('button', { name: 'Disable' }).click()
  }
}
