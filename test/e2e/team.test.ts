// The team around the child in Chromium, axe on every page: a DSL starts a team for a pupil, invites the school
// nurse (who joins), records the family, builds the joint plan (an outcome, an action with its cost), and reviews it
// twice weeks apart; the progress chart and its table agree. Then every other page of the team is swept: the
// assessments, meetings, child protection route, the child's visits and exploitation screening, the manager's clocks
// and the exploitation panel. Screenshots of the plan page and the progress chart (README: `npm run screenshots`).
import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { after, before, describe, it } from 'node:test'
import { startE2eServer, type E2eServer } from './support/server.ts'
import { openBrowser, type BrowserSession } from './support/browser.ts'
import { signInAs } from './support/flows.ts'
import { teamJourney } from './support/team-flow.ts'
import { AnyPage, Page } from './support/pages/index.ts'

describe('the team around the child in a browser (Chromium, axe on every page)', () => {
  let server: E2eServer
  const browsers: BrowserSession[] = []
  before(async () => {
    server = await startE2eServer()
  })
  after(async () => {
    for (const b of browsers) await b.close().catch(() => undefined)
    await server?.close()
  })

  it('start a team, a nurse joins, the plan is built and reviewed twice; the progress chart and its table agree', async () => {
    const b = await openBrowser(server.baseUrl)
    browsers.push(b)
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ta-team-'))
    try {
      const done = await teamJourney(server, b, dir)
      // the chart's table has both reviews' scores for the outcome
      assert.deepEqual(done.scores, ['3', '7'])
      assert.ok(fs.statSync(done.planShot).size > 10_000, 'the plan page screenshot')
      assert.ok(fs.statSync(done.progressShot).size > 5_000, 'the progress chart screenshot')
      // the rest of the team's pages, as its lead sees them
      for (const [url, heading] of [
        [`/teams/${done.tacId}/assessments`, 'Assessments'],
        [`/teams/${done.tacId}/assessments/new`, 'Start an assessment'],
        [`/teams/${done.tacId}/meetings`, 'Meetings'],
        [`/teams/${done.tacId}/meetings/new`, 'Arrange a meeting'],
        [`/teams/${done.tacId}/cp`, 'Child protection'],
        [`/teams/${done.tacId}/plan/versions`, 'Versions of the joint plan'],
        [`/teams/${done.tacId}/plan/since-review`, 'What changed since the last review'],
        [`/teams/${done.tacId}/plan/family`, /^Our plan for /],
        [`/children/${done.childId}/teams`, 'Team around the child'],
        [`/children/${done.childId}/visits`, 'Visits'],
        [`/children/${done.childId}/oversight`, 'Management oversight and supervision'],
        [`/children/${done.childId}/exploitation`, 'Risk of exploitation'],
        ['/teams', 'Teams around the child'],
      ] as const) {
        await b.page.goto(url)
        await Page.verifyOnPage(AnyPage, b.page, heading)
      }
      b.assertEveryPageChecked()
    } finally {
      fs.rmSync(dir, { recursive: true, force: true })
    }
  })

  it('the manager’s clocks and the exploitation panel', async () => {
    const b = await openBrowser(server.baseUrl)
    browsers.push(b)
    await signInAs(b.page, server, 'manager.north')
    await b.page.getByRole('link', { name: 'Clocks', exact: true }).click()
    await Page.verifyOnPage(AnyPage, b.page, 'Statutory clocks')
    await b.page.getByRole('link', { name: 'Exploitation panel', exact: true }).click()
    await Page.verifyOnPage(AnyPage, b.page, 'Exploitation (MACE) panel')
    b.assertEveryPageChecked()
  })
})
