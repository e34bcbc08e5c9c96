// Screenshots for the README: a DSL's "My children" and a child's summary, 1280 px wide, full page. Used by
// `npm run screenshots` (into docs/screenshots) and by the browser tests (into a temporary directory).
import fs from 'node:fs'
import path from 'node:path'
import { openBrowser } from './browser.ts'
import { signInAs } from './flows.ts'
import { Page, ChildSummaryPage } from './pages/index.ts'
import type { E2eServer } from './server.ts'
import { frontDoorJourney } from './front-door-flow.ts'
import { ChronologyPage } from './pages/chronology.ts'
import { richestChronology } from './demo-children.ts'

export const SCREENSHOT_WIDTH = 1280

export async function takeScreenshots(server: E2eServer, outDir: string): Promise<{ home: string; child: string; childName: string }> {
  fs.mkdirSync(outDir, { recursive: true })
  const b = await openBrowser(server.baseUrl, { width: SCREENSHOT_WIDTH })
  try {
    const { page } = b
    const home = await signInAs(page, server, 'dsl.brookside')
    const homeFile = path.join(outDir, 'home.png')
    await page.screenshot({ path: homeFile, fullPage: true })

    // the child with the most to show: a plan, and a team around them, if there is one
    const children = await home.children()
    const score = (c: (typeof children)[number]) => c.status.length * 2 + (c.why.includes('Member of the team around the child') ? 3 : 0)
    const child = [...children].sort((a, b) => score(b) - score(a) || a.name.localeCompare(b.name))[0]
    if (!child) throw new Error('the DSL has no children to show')
    await home.openChild(child.name)
    await Page.verifyOnPage(ChildSummaryPage, page, child.name)
    const childFile = path.join(outDir, 'child-page.png')
    await page.screenshot({ path: childFile, fullPage: true })
    b.assertEveryPageChecked()
    return { home: homeFile, child: childFile, childName: child.name }
  } finally {
    await b.close()
  }
}

/** The referrer's status page after the front door's decision (the whole journey runs first, axe on every page). */
export async function takeReferralStatusScreenshot(server: E2eServer, outDir: string): Promise<string> {
  fs.mkdirSync(outDir, { recursive: true })
  const journey = await frontDoorJourney(server, { width: SCREENSHOT_WIDTH })
  try {
    const file = path.join(outDir, 'referral-status.png')
    await journey.status.page.screenshot({ path: file, fullPage: true })
    for (const b of [journey.teacher, journey.dsl, journey.frontDoor]) b.assertEveryPageChecked()
    return file
  } finally {
    for (const b of [journey.teacher, journey.dsl, journey.frontDoor]) await b.close()
  }
}

/** The timeline picture of the demo child whose chronology the DSL sees from the most agencies. */
export async function takeTimelineScreenshot(server: E2eServer, outDir: string): Promise<string> {
  fs.mkdirSync(outDir, { recursive: true })
  const child = await richestChronology(server)
  const b = await openBrowser(server.baseUrl, { width: SCREENSHOT_WIDTH })
  try {
    await signInAs(b.page, server, 'dsl.brookside')
    const chronology = await ChronologyPage.visit(b.page, child.id, child.name)
    await chronology.timelineSize()
    const file = path.join(outDir, 'timeline.png')
    await chronology.timeline.screenshot({ path: file })
    b.assertEveryPageChecked()
    return file
  } finally {
    await b.close()
  }
}
