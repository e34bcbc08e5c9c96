import type { Page as PwPage } from 'playwright-core'
import { Page } from './page.ts'

/** The error page (404, 403, 500…): a heading and what to do next. */
export class ErrorPage extends Page {
  constructor(page: PwPage, heading: string | RegExp = 'Page not found') {
    super(page, heading)
  }

  async detail(): Promise<string> {
    return (await this.mainContent.locator('p.govuk-body').first().innerText()).trim()
  }
}
