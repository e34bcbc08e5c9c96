// `npm run screenshots`: starts TeamAround in-process on a free port (embedded PGlite, the demo partnership, a
// fixed clock), signs in as Brookside's DSL in Debian's Chromium and saves, 1280 px wide and full page,
// docs/screenshots/home.png, docs/screenshots/child-page.png and, after the whole front-door journey,
// docs/screenshots/referral-status.png, docs/screenshots/timeline.png (a chronology's picture), and after a team
// around the child's journey docs/screenshots/plan.png and docs/screenshots/progress.png — the README shows the
// child page, the referrer's status page, the timeline, the joint plan and the progress chart. Every page on
// the way is checked with axe, as in the browser tests.
import path from 'node:path'
import { startE2eServer } from '../test/e2e/support/server.ts'
import { takeScreenshots, takeReferralStatusScreenshot, takeTimelineScreenshot } from '../test/e2e/support/screenshots.ts'
import { teamJourney } from '../test/e2e/support/team-flow.ts'
import { openBrowser } from '../test/e2e/support/browser.ts'

const root = path.resolve(import.meta.dirname, '..')
const server = await startE2eServer({ logLevel: 'warn' })
try {
  const shots = await takeScreenshots(server, path.join(root, 'docs/screenshots'))
  console.log(`${path.relative(root, shots.home)}\n${path.relative(root, shots.child)} (${shots.childName})`)
  console.log(path.relative(root, await takeTimelineScreenshot(server, path.join(root, 'docs/screenshots'))))
  console.log(path.relative(root, await takeReferralStatusScreenshot(server, path.join(root, 'docs/screenshots'))))
  // last: the team journey moves the fake clock on by months
  const b = await openBrowser(server.baseUrl)
  try {
    const team = await teamJourney(server, b, path.join(root, 'docs/screenshots'))
    b.assertEveryPageChecked()
    console.log(`${path.relative(root, team.planShot)}\n${path.relative(root, team.progressShot)}`)
  } finally {
    await b.close()
  }
} finally {
  await server.close()
}
