import type { Locator, Page as PwPage } from 'playwright-core'
import { Page } from './page.ts'

/** The merged chronology: the timeline picture, its table alternative, filters, and the downloads. */
export class ChronologyPage extends Page {
  constructor(page: PwPage, childName: string) {
    super(page, childName)
  }

  static async visit(page: PwPage, childId: string, childName: string): Promise<ChronologyPage> {
    await page.goto(`/children/${childId}/chronology`)
    return Page.verifyOnPage(ChronologyPage, page, childName)
  }

  get timeline(): Locator {
    return this.page.locator('figure.ta-timeline img')
  }

  /** Waits for the picture and returns its natural size (0 × 0 if it failed to load). */
  async timelineSize(): Promise<{ width: number; height: number }> {
    await this.timeline.waitFor()
    return this.timeline.evaluate(async (el) => {
      const img = el as unknown as { complete: boolean; naturalWidth: number; naturalHeight: number; addEventListener(type: string, fn: () => void, opts: object): void }
      if (!img.complete) await new Promise<void>((r) => img.addEventListener('load', () => r(), { once: true }))
      return { width: img.naturalWidth, height: img.naturalHeight }
    })
  }

  /** The table alternative: one row per entry (When, Agency, What, Significance). */
  async rows(): Promise<{ when: string; agency: string; what: string; significance: string }[]> {
    const out = []
    for (const row of await this.page.locator('table.ta-chronology tbody tr').all()) {
      const cells = row.locator('td')
      const text = async (i: number) => (await cells.nth(i).innerText()).replace(/\s+/g, ' ').trim()
      // the agency cell is the agency's name, then the author on a line of their own
      const agency = ((await cells.nth(1).innerText()).split('\n')[0] ?? '').trim()
      out.push({ when: await text(0), agency, what: await text(2), significance: await text(3) })
    }
    return out
  }

  async filterByAgency(name: string): Promise<void> {
    await this.page.getByLabel('Agency').selectOption({ label: name })
    await this.page.getByRole('button', { name: 'Apply' }).click()
  }
}
