// The team around the child in Chromium, axe on every page: a DSL starts a team for a pupil, invites the school
// nurse (who joins), records the family, builds the joint plan (an outcome, an action with its cost), and reviews it
// twice weeks apart; the progress chart and its table agree. Then every other page of the team is swept: the
// assessments, meetings, child protection route, the child's visits and exploitation screening, the manager's clocks
// and the exploitation panel. Screenshots of the plan page and the progress chart (README: `npm run screenshots`).
import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { randomUUID } from 'node:crypto'
import { after, before, describe, it } from 'node:test'
import { startE2eServer, type E2eServer } from './support/server.ts'
import { openBrowser, type BrowserSession } from './support/browser.ts'
import { signInAs } from './support/flows.ts'
import { teamJourney } from './support/team-flow.ts'
import { AnyPage, Page } from './support/pages/index.ts'
import { stableUuid } from '../../src/data/ids.ts'

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
    // two schools' practitioners have referred the same pupil: the queue tags the child, each referral links the other
    const id = (k: string) => stableUuid(`northshire:${k}`)
    const partnership = stableUuid('partnership:northshire')
    const referrals = [randomUUID(), randomUUID()]
    await server.s.t.privileged(async (db) => {
      const pupil = await db.selectFrom('relationship').select('child_id').where('type', '=', 'pupil_at').where('holder_agency_id', '=', id('agency:brookside')).orderBy('child_id').executeTakeFirstOrThrow()
      const at = server.s.clock.now()
      await db
        .insertInto('mace_referral')
        .values(
          (['dsl.brookside', 'pastoral.brookside'] as const).map((who, i) => ({ id: referrals[i]!, partnership_id: partnership, child_id: pupil.child_id, screening_id: null, tac_id: null, referred_by: id(`membership:${who}:0`), referred_at: new Date(at.getTime() - (2 - i) * 3_600_000), reason: 'Seen with older males at the station', panel_meeting_id: null, created_at: at, heard_at: null, decision: null, decision_reason: null, heard_by: null, closed_at: null, closed_reason: null })),
        )
        .execute()
    })
    await b.page.getByRole('link', { name: 'Exploitation panel', exact: true }).click()
    const queue = await Page.verifyOnPage(AnyPage, b.page, 'Exploitation (MACE) panel')
    assert.match(await queue.mainContent.innerText(), /2 open referrals for this child/i)
    await b.page.goto(`/mace/${referrals[0]}`)
    const first = await Page.verifyOnPage(AnyPage, b.page, /.+/)
    assert.match(await first.mainContent.innerText(), /This child has another open referral to the panel/)
    await b.page.locator(`a[href="/mace/${referrals[1]}"]`).click()
    await Page.verifyOnPage(AnyPage, b.page, /.+/)
    b.assertEveryPageChecked()
  })
})
