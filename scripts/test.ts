// `npm test`: prepares the migrated database templates once (PGlite dump; a PostgreSQL template database when
// DATABASE_URL_TEST is set), makes sure Chromium is there for the browser tests, then runs every *.test.ts
// with node's test runner. The last line is "N passed, N failed".
import { spawnSync, spawn } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { globSync } from 'node:fs'
import { prepareTemplates, dropTemplates } from '../test/support/templates.ts'

const root = path.resolve(import.meta.dirname, '..')
const args = process.argv.slice(2)
const files = args.filter((a) => !a.startsWith('-'))
const passthrough = args.filter((a) => a.startsWith('-'))

ensureChromium()

const testFiles = files.length
  ? files
  : [...globSync('src/**/*.test.ts', { cwd: root }), ...globSync('test/**/*.test.ts', { cwd: root }), ...globSync('bench/**/*.test.ts', { cwd: root })].sort()

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'teamaround-test-'))
const templates = await prepareTemplates(work, process.env.DATABASE_URL_TEST)
console.log(
  `Templates ready: PGlite${templates.pgTemplateDb ? ' and PostgreSQL (' + templates.pgTemplateDb + ')' : ' only (DATABASE_URL_TEST unset: PostgreSQL not exercised)'}`,
)

const child = spawn(
  process.execPath,
  [
    '--test',
    '--test-reporter=./test/support/reporter.ts',
    `--test-concurrency=${process.env.TEST_CONCURRENCY ?? 2}`,
    // a test's own budget: the browser journeys took 181–252 s on a 2-core machine with nothing else running, and
    // twice that beside another run; a test that hangs is still stopped
    '--test-timeout=600000',
    ...passthrough,
    ...testFiles,
  ],
  {
    cwd: root,
    stdio: 'inherit',
    env: {
      ...process.env,
      NODE_ENV: 'test',
      TEST_TEMPLATE_DIR: templates.pgliteDump,
      ...(templates.pgTemplateDb ? { TEST_PG_TEMPLATE_DB: templates.pgTemplateDb } : {}),
      LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent',
    },
  },
)
const code: number = await new Promise((resolve) => child.on('exit', (c) => resolve(c ?? 1)))
await dropTemplates(templates).catch(() => undefined)
fs.rmSync(work, { recursive: true, force: true })
process.exit(code)

function ensureChromium(): void {
  if (fs.existsSync('/usr/bin/chromium')) return
  if (process.getuid?.() === 0) {
    console.log('Chromium is missing: installing Debian chromium with apt-get (browser tests need it)…')
    spawnSync('apt-get', ['update', '-q'], { stdio: 'inherit' })
    const r = spawnSync('apt-get', ['install', '-y', '-q', 'chromium'], { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } })
    if (r.status !== 0) console.error('Could not install chromium: the browser tests will fail.')
  } else {
    console.error('Chromium (/usr/bin/chromium) is missing and this is not root: install it with `apt-get install chromium`.')
  }
}
