// `npm run screenshots`: starts TeamAround in-process on a free port (embedded PGlite, the demo partnership, a
// fixed clock), signs in as Brookside's DSL in Debian's Chromium and saves, 1280 px wide and full page,
// docs/screenshots/home.png and docs/screenshots/child-page.png (the README shows the child page). Every page on
// the way is checked with axe, as in the browser tests.
import path from 'node:path'
import { startE2eServer } from '../test/e2e/support/server.ts'
import { takeScreenshots } from '../test/e2e/support/screenshots.ts'

const root = path.resolve(import.meta.dirname, '..')
const server = await startE2eServer({ logLevel: 'warn' })
try {
  const shots = await takeScreenshots(server, path.join(root, 'docs/screenshots'))
  console.log(`${path.relative(root, shots.home)}\n${path.relative(root, shots.child)} (${shots.childName})`)
} finally {
  await server.close()
}
