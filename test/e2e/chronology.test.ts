// The merged chronology in Chromium, axe on every page: the timeline picture (one lane per agency) loads as an
// image of the entries the table beside it lists (page by page), the filter works without JavaScript, and a screenshot.
import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { after, before, describe, it } from 'node:test'
import { startE2eServer, type E2eServer } from './support/server.ts'
import { openBrowser, type BrowserSession } from './support/browser.ts'
import { signInAs } from './support/flows.ts'
import { Page, ChildSummaryPage } from './support/pages/index.ts'
import { ChronologyPage } from './support/pages/chronology.ts'
import { richestChronology } from './support/demo-children.ts'

const unescapeXml = (s: string) => s.replace(/&#39;/g, "'").replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&')

describe('the merged chronology in a browser (Chromium, axe on every page)', () => {
  let server: E2eServer
  const browsers: BrowserSession[] = []

  before(async () => {
    server = await startE2eServer()
  })
  after(async () => {
    for (const b of browsers) await b.close().catch(() => undefined)
    await server?.close()
  })

  for (const javaScriptEnabled of [true, false]) {
    it(`a DSL reads a child's chronology: the picture and its table agree, and the filter works${javaScriptEnabled ? '' : ' (without JavaScript)'}`, async () => {
      const child = await richestChronology(server)
      const b = await openBrowser(server.baseUrl, { javaScriptEnabled })
      browsers.push(b)
      await signInAs(b.page, server, 'dsl.brookside')
      await ChildSummaryPage.visit(b.page, child.id, child.name)
      await b.page.getByRole('link', { name: 'See the whole chronology' }).click()
      const chronology = await Page.verifyOnPage(ChronologyPage, b.page, child.name)
      const size = await chronology.timelineSize()
      assert.ok(size.width >= 600 && size.height >= 100, `the timeline picture loaded (${size.width} × ${size.height})`)
      assert.match((await chronology.timeline.getAttribute('alt')) ?? '', /^Timeline picture, one row per agency, of .*\. The table below lists (it|them all) as text, 50 to a page/)
      const rows = await chronology.rows()
      assert.ok(rows.length > 0)
      // the picture is the same entries: one lane per agency, and every agency in the table has its lane
      const svg = await b.page.request.get(new URL((await chronology.timeline.getAttribute('src'))!, server.baseUrl).href)
      assert.equal(svg.status(), 200)
      assert.match(svg.headers()['content-type'] ?? '', /image\/svg\+xml/)
      const lanes = [...(await svg.text()).matchAll(/<rect class="tl-lane" data-agency="([^"]+)"/g)].map((m) => unescapeXml(m[1]!))
      const agencies = [...new Set(rows.map((r) => r.agency))]
      assert.ok(lanes.length > 0)
      for (const a of agencies) assert.ok(lanes.includes(a), `${a} has a lane (${lanes.join(', ')})`)
      // filter to one agency
      const first = rows[0]!.agency
      const agencyName = (await b.page.getByLabel('Agency').locator('option').allInnerTexts()).find((o) => o.trim() === first)
      assert.ok(agencyName, `the filter offers ${first}`)
      await chronology.filterByAgency(agencyName)
      const filtered = await Page.verifyOnPage(ChronologyPage, b.page, child.name)
      const after = await filtered.rows()
      assert.ok(after.length > 0 && after.every((r) => r.agency === agencyName), 'only that agency’s entries')
      if (javaScriptEnabled) {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ta-shot-'))
        await chronology.timeline.screenshot({ path: path.join(dir, 'timeline.png') })
        assert.ok(fs.statSync(path.join(dir, 'timeline.png')).size > 5_000)
        fs.rmSync(dir, { recursive: true, force: true })
      }
      b.assertEveryPageChecked()
    })
  }
})
