// The GOV.UK error summary in a browser: it takes focus when the page loads (GOV.UK Frontend's script), and every
// message links to a field on the page; following a link moves focus to that field.
import assert from 'node:assert/strict'
import type { Page as PwPage } from 'playwright-core'

/** Asserts the summary has focus and each link's target exists; follows the first link and checks focus moved there. */
export async function checkErrorSummary(page: PwPage): Promise<void> {
  await page.waitForFunction('document.activeElement && document.activeElement.classList.contains("govuk-error-summary")')
  const links = page.locator('.govuk-error-summary__list a')
  const hrefs = await links.evaluateAll((as) => as.map((a) => a.getAttribute('href') ?? ''))
  assert.ok(hrefs.length > 0, 'the summary lists its errors as links')
  for (const href of hrefs) {
    assert.match(href, /^#./, `an error links to a field on the page: ${href}`)
    assert.equal(await page.locator(`[id="${href.slice(1)}"]`).count(), 1, `the error link ${href} has its field on the page`)
  }
  const first = hrefs[0]!.slice(1)
  await links.first().click()
  await page.waitForFunction(`document.activeElement && document.activeElement.id === ${JSON.stringify(first)}`)
}
