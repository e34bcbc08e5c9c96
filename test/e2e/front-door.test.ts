// The front-door flow in Chromium, axe on every page: teacher → DSL → front door → decision → the referrer (and
// the teacher whose concern it was) see the rationale; the referrer challenges.
import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { after, before, describe, it } from 'node:test'
import { startE2eServer, type E2eServer } from './support/server.ts'
import type { BrowserSession } from './support/browser.ts'
import { frontDoorJourney, CHECK, DSL_REASONS, RATIONALE, type FrontDoorJourney } from './support/front-door-flow.ts'
import { Page } from './support/pages/index.ts'
import { ConcernPage, ReferralStatusPage } from './support/pages/front-door.ts'

describe('the front-door flow in a browser (Chromium, axe on every page)', () => {
  let server: E2eServer
  let journey: FrontDoorJourney | undefined
  const browsers = (): BrowserSession[] => (journey ? [journey.teacher, journey.dsl, journey.frontDoor] : [])

  before(async () => {
    server = await startE2eServer()
  })
  after(async () => {
    for (const b of browsers()) await b.close().catch(() => undefined)
    await server?.close()
  })

  it('teacher → DSL → front door → decision: the referrer follows the status page to the decision and its rationale, never the checks', async () => {
    journey = await frontDoorJourney(server)
    const { status } = journey
    const steps = await status.steps()
    assert.match(steps[0]!, /^Received/)
    assert.match(steps[1]!, /^Acknowledged \d/)
    assert.match(steps[2]!, /^Decided \d/)
    const decision = await status.decision()
    assert.ok(decision, 'the decision is shown')
    assert.equal(decision.heading, 'The decision: Child and family assessment (section 17, child in need)')
    assert.ok(decision.text.includes(RATIONALE), 'with its rationale')
    assert.match(decision.text, /Level of need found: level 3 \(you believed level 3\)/)
    assert.doesNotMatch(await status.mainContent.innerText(), new RegExp(CHECK.slice(0, 20)), 'the front door’s checks are not shown to the referrer')

    // a screenshot of the referrer's status page (the README's comes from `npm run screenshots`)
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ta-shot-'))
    await status.page.screenshot({ path: path.join(dir, 'referral-status.png'), fullPage: true })
    assert.ok(fs.statSync(path.join(dir, 'referral-status.png')).size > 10_000)
    fs.rmSync(dir, { recursive: true, force: true })
  })

  it('the teacher whose concern it was sees the DSL’s reasons and the front door’s decision and rationale', async () => {
    assert.ok(journey)
    const { teacher, childName, concernId } = journey
    await teacher.page.goto(`/concerns/${concernId}`)
    const concern = await Page.verifyOnPage(ConcernPage, teacher.page, childName)
    const text = await concern.decisionsAndReasons()
    assert.ok(text.includes(DSL_REASONS), 'the DSL’s reasons')
    assert.ok(text.includes(RATIONALE), 'the front door’s rationale')
    assert.ok(!text.includes(CHECK), 'not the front door’s checks')
  })

  it('the referrer challenges the decision; the challenge goes to the team manager', async () => {
    assert.ok(journey)
    const { dsl, childName, referralId } = journey
    const status = await Page.verifyOnPage(ReferralStatusPage, dsl.page, childName)
    await status.challenge('')
    const empty = await Page.verifyOnPage(ReferralStatusPage, dsl.page, childName)
    assert.deepEqual(await empty.errorMessages(), ['Say why you disagree with the decision'])
    await empty.challenge('We think this needs a strategy discussion: the bruising pattern suggests a grip.')
    const challenged = await Page.verifyOnPage(ReferralStatusPage, dsl.page, childName)
    assert.match(await challenged.mainContent.innerText(), /Waiting for the team manager/)
    const open = await server.s.t.db.selectFrom('challenge').select('status').where('referral_id', '=', referralId).execute()
    assert.deepEqual(open.map((c) => c.status), ['open'])
    for (const b of browsers()) b.assertEveryPageChecked()
  })
})
