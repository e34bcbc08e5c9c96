// axe-core in the page: WCAG 2.2 AA rules, a readable failure listing every violation, and a record of which
// documents were checked (so a test can prove it checked every page it visited).
import { AxeBuilder } from '@axe-core/playwright'
import type { Result } from 'axe-core'
import type { BrowserContext, Page as PwPage } from 'playwright-core'

export const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa']

interface Documents {
  loaded: string[]
  checked: Set<number>
}
const documents = new WeakMap<PwPage, Documents>()

/** Counts the documents a page loads (a same-document #fragment navigation is not a new document). */
export function trackDocuments(page: PwPage): void {
  if (documents.has(page)) return
  const d: Documents = { loaded: [], checked: new Set() }
  documents.set(page, d)
  page.on('domcontentloaded', () => {
    const url = page.url()
    if (url.startsWith('http')) d.loaded.push(url)
  })
}

/** The URLs of the documents a page loaded that axe has not checked. */
export function uncheckedDocuments(page: PwPage): string[] {
  const d = documents.get(page)
  return d ? d.loaded.filter((_, i) => !d.checked.has(i)) : []
}

export function loadedDocuments(page: PwPage): string[] {
  return documents.get(page)?.loaded ?? []
}

export function formatViolations(url: string, violations: Result[]): string {
  const lines = [`axe found ${violations.length} accessibility violation${violations.length === 1 ? '' : 's'} on ${url}:`]
  for (const v of violations) {
    lines.push(`- ${v.id} (${v.impact ?? 'unknown impact'}): ${v.help} [${v.helpUrl}]`)
    for (const n of v.nodes) lines.push(`    ${n.target.map(String).join(' ')}${n.failureSummary ? ` — ${n.failureSummary.replace(/\s+/g, ' ')}` : ''}`)
  }
  return lines.join('\n')
}

/**
 * axe needs script (its own timers) to run, so in a context with JavaScript turned off it cannot run in the page
 * itself. For such a context the browser registers a helper page with JavaScript on; axe then checks a copy of
 * the page's DOM there, with the page's scripts removed (as they never ran), served at the page's origin so that its
 * stylesheets load from the server (colour contrast and target sizes are measured on the real styles).
 */
const scriptlessHelpers = new WeakMap<BrowserContext, () => Promise<PwPage>>()

export function registerScriptlessHelper(context: BrowserContext, helper: () => Promise<PwPage>): void {
  scriptlessHelpers.set(context, helper)
}

/** Runs axe on the page as it is now; throws with the violations listed if there are any. */
export async function checkAccessibility(page: PwPage): Promise<void> {
  await page.waitForLoadState('load')
  const helper = scriptlessHelpers.get(page.context())
  let target = page
  if (helper) {
    target = await helper()
    // serve the copy at the page's own origin, so its stylesheets load as they did for the page
    const copyUrl = new URL('/__axe-copy-of-a-page-without-javascript', page.url()).href
    const html = (await page.content()).replace(/<script\b[^>]*>[\s\S]*?<\/script>/gi, '')
    await target.route(copyUrl, (route) => route.fulfill({ status: 200, contentType: 'text/html; charset=utf-8', body: html }))
    await target.setViewportSize(page.viewportSize() ?? { width: 1280, height: 900 })
    await target.goto(copyUrl, { waitUntil: 'load' })
    await target.unroute(copyUrl)
  }
  const results = await new AxeBuilder({ page: target }).withTags(AXE_TAGS).analyze()
  if (results.violations.length) throw new Error(formatViolations(page.url(), results.violations))
  const d = documents.get(page)
  if (d && d.loaded.length) d.checked.add(d.loaded.length - 1)
}
