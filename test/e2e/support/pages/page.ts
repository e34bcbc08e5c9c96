// The base page object (after approved-premises-ui's integration_tests/pages/page.ts): verifying a page checks
// its one h1 and runs axe, so every page a test reaches through a page object is checked for accessibility.
import assert from 'node:assert/strict'
import type { Locator, Page as PwPage } from 'playwright-core'
import { checkAccessibility } from '../axe.ts'

export type PageClass<T extends Page, A extends unknown[]> = new (page: PwPage, ...args: A) => T

export abstract class Page {
  readonly page: PwPage
  /** The page's h1: exact text, or a pattern. */
  readonly heading: string | RegExp

  constructor(page: PwPage, heading: string | RegExp) {
    this.page = page
    this.heading = heading
  }

  /** Builds the page object for the page the browser is on, and verifies it (h1 and axe). */
  static async verifyOnPage<T extends Page, A extends unknown[]>(Class: PageClass<T, A>, page: PwPage, ...args: A): Promise<T> {
    const p = new Class(page, ...args)
    await p.verify()
    return p
  }

  async verify(): Promise<void> {
    await this.checkOnPage()
    await checkAccessibility(this.page)
  }

  async checkOnPage(): Promise<void> {
    const h1 = this.page.locator('h1')
    await h1.first().waitFor()
    assert.equal(await h1.count(), 1, `${this.page.url()} has more than one h1`)
    const text = (await h1.innerText()).replace(/\s+/g, ' ').trim()
    if (typeof this.heading === 'string') assert.equal(text, this.heading, `h1 on ${this.page.url()}`)
    else assert.match(text, this.heading, `h1 on ${this.page.url()}`)
    // the title names the page, and says when the page shows errors
    const title = await this.page.title()
    assert.match(title, / – TeamAround$/, `title of ${this.page.url()}`)
    const hasErrors = (await this.page.locator('.govuk-error-summary').count()) > 0
    assert.equal(title.startsWith('Error: '), hasErrors, `the title of ${this.page.url()} starts with "Error: " exactly when the page shows errors`)
  }

  get mainContent(): Locator {
    return this.page.locator('main#main-content')
  }

  /** The error summary's messages (empty when there is none). */
  async errorMessages(): Promise<string[]> {
    const summary = this.page.locator('.govuk-error-summary')
    if (!(await summary.count())) return []
    return (await summary.locator('.govuk-error-summary__list li').allInnerTexts()).map((t) => t.trim())
  }

  /** "Signed in as …, acting as …" in the header, or null when nobody is signed in. */
  async signedInAs(): Promise<string | null> {
    const who = this.page.locator('.ta-acting__who')
    if (!(await who.count())) return null
    return (await who.innerText()).replace(/\s+/g, ' ').trim()
  }

  async navigationItems(): Promise<string[]> {
    return (await this.page.locator('.govuk-service-navigation__item').allInnerTexts()).map((t) => t.trim())
  }

  async clickBack(): Promise<void> {
    await this.page.getByRole('link', { name: 'Back', exact: true }).click()
  }

  async signOut(): Promise<void> {
    await this.page.getByRole('button', { name: 'Sign out' }).click()
  }
}

/** Any page with one h1: for sweeping the pages a journey links to. */
export class AnyPage extends Page {
  constructor(page: PwPage, heading: string | RegExp = /\S/) {
    super(page, heading)
  }
}
