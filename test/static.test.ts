// Types and lint are part of the test run: strict TypeScript with no errors, ESLint with no warnings (which
// includes the rule that only src/data imports the database driver, and that only config reads the environment).
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import path from 'node:path'
import { it } from 'node:test'

const root = path.resolve(import.meta.dirname, '..')
const bin = (name: string) => path.join(root, 'node_modules/.bin', name)

it('typechecks (tsc --noEmit, strict)', () => {
  const r = spawnSync(bin('tsc'), ['--noEmit', '-p', root], { cwd: root, encoding: 'utf8' })
  assert.equal(r.status, 0, `${r.stdout}${r.stderr}`)
})

it('lints with zero warnings', () => {
  const r = spawnSync(bin('eslint'), ['--max-warnings', '0', '.'], { cwd: root, encoding: 'utf8' })
  assert.equal(r.status, 0, `${r.stdout}${r.stderr}`)
})

it('the lint rule keeps the database driver inside the data layer', () => {
  const r = spawnSync(bin('eslint'), ['--stdin', '--stdin-filename', 'src/modules/x/bad.ts'], { cwd: root, encoding: 'utf8', input: "import pg from 'pg'\nexport const x = pg\n" })
  assert.notEqual(r.status, 0)
  assert.match(r.stdout, /Only src\/data may talk to the database driver/)
})
