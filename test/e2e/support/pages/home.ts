import type { Page as PwPage } from 'playwright-core'
import { Page } from './page.ts'

export interface ChildRow {
  name: string
  href: string
  dateOfBirth: string
  status: string[]
  why: string[]
}

/** Home: "My children" — every child the practitioner has a current reason to see, and why. */
export class HomePage extends Page {
  constructor(page: PwPage) {
    super(page, 'My children')
  }

  static async visit(page: PwPage): Promise<HomePage> {
    await page.goto('/')
    return Page.verifyOnPage(HomePage, page)
  }

  async children(): Promise<ChildRow[]> {
    const rows = this.page.locator('table.govuk-table tbody tr')
    const out: ChildRow[] = []
    for (const row of await rows.all()) {
      const cells = row.locator('td')
      const link = cells.nth(0).locator('a')
      out.push({
        name: (await link.innerText()).trim(),
        href: (await link.getAttribute('href')) ?? '',
        dateOfBirth: (await cells.nth(1).innerText()).trim(),
        status: (await cells.nth(2).locator('.govuk-tag').allInnerTexts()).map((t) => t.trim()),
        why: (await cells.nth(3).locator('li').allInnerTexts()).map((t) => t.trim()),
      })
    }
    return out
  }

  async openChild(name: string): Promise<void> {
    await this.page.locator('table.govuk-table tbody').getByRole('link', { name, exact: true }).first().click()
  }

  async findWhoHasLookedAtARecord(): Promise<void> {
    await this.page.getByRole('link', { name: 'Find who has looked at a record' }).click()
  }
}
