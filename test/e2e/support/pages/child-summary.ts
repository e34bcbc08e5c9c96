import type { Page as PwPage } from 'playwright-core'
import { Page } from './page.ts'

export interface InvolvedAgency {
  agency: string
  lines: string[]
}

/** A child's summary: identity, addresses, family, recent entries, and who is involved. */
export class ChildSummaryPage extends Page {
  constructor(page: PwPage, childName: string | RegExp = /\S/) {
    super(page, childName)
  }

  static async visit(page: PwPage, childId: string, childName?: string): Promise<ChildSummaryPage> {
    await page.goto(`/children/${childId}`)
    return Page.verifyOnPage(ChildSummaryPage, page, childName)
  }

  /** "You can see this record because: …" */
  async whyYouCanSee(): Promise<string> {
    return (await this.page.locator('.govuk-inset-text').innerText()).replace(/\s+/g, ' ').trim()
  }

  /** The Identity summary list, key → value. */
  async identity(): Promise<Record<string, string>> {
    const out: Record<string, string> = {}
    for (const row of await this.page.locator('.govuk-summary-list .govuk-summary-list__row').all()) {
      const key = (await row.locator('.govuk-summary-list__key').innerText()).trim()
      out[key] = (await row.locator('.govuk-summary-list__value').innerText()).replace(/\s+/g, ' ').trim()
    }
    return out
  }

  async sectionHeadings(): Promise<string[]> {
    return (await this.page.locator('main h2').allInnerTexts()).map((t) => t.trim())
  }

  /** "Who is involved": one card per agency. */
  async whoIsInvolved(): Promise<InvolvedAgency[]> {
    const out: InvolvedAgency[] = []
    for (const card of await this.page.locator('.ta-card').all()) {
      out.push({
        agency: (await card.locator('h3').innerText()).trim(),
        lines: (await card.locator('li').allInnerTexts()).map((t) => t.replace(/\s+/g, ' ').trim()),
      })
    }
    return out
  }

  async openAccessLog(): Promise<void> {
    await this.page.getByRole('link', { name: 'Who has looked at this record' }).click()
  }
}
