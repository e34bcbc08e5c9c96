import type { Page as PwPage } from 'playwright-core'
import { Page } from './page.ts'

export interface AccessLogRow {
  when: string
  who: string
  what: string
  why: string
  outcome: string
}

/** "Who has looked at this record": every read and change of one child's record. */
export class AccessLogPage extends Page {
  constructor(page: PwPage) {
    super(page, 'Who has looked at this record')
  }

  async childName(): Promise<string> {
    return (await this.page.locator('.govuk-caption-l').innerText()).trim()
  }

  async rows(): Promise<AccessLogRow[]> {
    const out: AccessLogRow[] = []
    for (const row of await this.page.locator('table.govuk-table tbody tr').all()) {
      const cell = async (i: number) => (await row.locator('td').nth(i).innerText()).replace(/\s+/g, ' ').trim()
      out.push({ when: await cell(0), who: await cell(1), what: await cell(2), why: await cell(3), outcome: await cell(4) })
    }
    return out
  }
}

/** Finding a record by NHS number to see who has looked at it. */
export class AccessLogFindPage extends Page {
  constructor(page: PwPage) {
    super(page, 'Who has looked at a record')
  }

  async find(nhsNumber: string): Promise<void> {
    await this.page.getByLabel('NHS number').fill(nhsNumber)
    await this.page.getByRole('button', { name: 'Find the record' }).click()
  }
}
