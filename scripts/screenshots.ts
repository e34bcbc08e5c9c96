// `npm run screenshots`: starts TeamAround in-process on a free port (embedded PGlite, the demo partnership, a
// fixed clock), signs in as Brookside's DSL in Debian's Chromium and saves, 1280 px wide and full page,
// docs/screenshots/home.png, docs/screenshots/child-page.png and, after the whole front-door journey,
// docs/screenshots/referral-status.png, and docs/screenshots/timeline.png (a chronology's picture) — the README
// shows the child page, the referrer's status page and the timeline. Every page on
// the way is checked with axe, as in the browser tests.
import path from 'node:path'
import { startE2eServer } from '../test/e2e/support/server.ts'
import { takeScreenshots, takeReferralStatusScreenshot, takeTimelineScreenshot } from '../test/e2e/support/screenshots.ts'

const root = path.resolve(import.meta.dirname, '..')
const server = await startE2eServer({ logLevel: 'warn' })
try {
  const shots = await takeScreenshots(server, path.join(root, 'docs/screenshots'))
  console.log(`${path.relative(root, shots.home)}\n${path.relative(root, shots.child)} (${shots.childName})`)
  console.log(path.relative(root, await takeTimelineScreenshot(server, path.join(root, 'docs/screenshots'))))
  console.log(path.relative(root, await takeReferralStatusScreenshot(server, path.join(root, 'docs/screenshots'))))
} finally {
  await server.close()
}
