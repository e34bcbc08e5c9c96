// The import command line, as an agency's data team would run it: on an embedded database seeded with the demo
// partnership, a bad file is refused whole with a report of every bad row, a good file imports with progress on
// stderr, the same file is refused the second time, and bad arguments explain themselves. Exit codes as documented.
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { after, before, describe, it } from 'node:test'

const root = path.resolve(import.meta.dirname, '../..')
const HEADER = 'source_ref,given_name,family_name,date_of_birth,sex,nhs_number,upn,postcode,address'

describe('npm run import (the command line)', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ta-import-cli-'))
  const env: NodeJS.ProcessEnv = { ...process.env, PGLITE_DIR: path.join(dir, 'pglite'), LOG_LEVEL: 'silent' }
  delete env.DATABASE_URL
  const run = (script: string, ...args: string[]) => spawnSync(process.execPath, [path.join(root, script), ...args], { cwd: dir, env, encoding: 'utf8', timeout: 120_000 })
  const file = (name: string, lines: string[]) => {
    const f = path.join(dir, name)
    fs.writeFileSync(f, `${lines.join('\n')}\n`)
    return f
  }

  before(() => {
    const seeded = run('scripts/seed.ts', '--children', '20')
    assert.equal(seeded.status, 0, seeded.stderr)
  })
  after(() => fs.rmSync(dir, { recursive: true, force: true }))

  it('a file with bad rows imports nothing, lists every bad row and why, and exits 2', () => {
    const bad = file('bad.csv', [HEADER, 'P-1,Amelia,Rowe,2015-04-02,female,,,,', 'P-2,Jack,,2015-13-40,male,,,,', 'P-3,Isla,Reed,2014-09-09,female,1234567890,,,'])
    const report = path.join(dir, 'report.csv')
    const r = run('scripts/import.ts', 'records', bad, '--agency', 'Northshire Police', '--report', report)
    assert.equal(r.status, 2, r.stderr)
    assert.match(r.stderr, /Nothing was imported: 2 of 3 rows have a problem/)
    const lines = fs.readFileSync(report, 'utf8').trim().split('\n')
    assert.equal(lines[0], 'line,reason')
    assert.ok(lines.some((l) => l.startsWith('3,')), `line 3 (P-2) is reported: ${lines.join(' | ')}`)
    assert.ok(lines.some((l) => l.startsWith('4,') && /NHS/i.test(l)), `line 4 (P-3, a bad check digit) is reported: ${lines.join(' | ')}`)
  })

  it('a good file imports, with progress on stderr; the same file again is refused', () => {
    const good = file('good.csv', [HEADER, 'P-10,Amelia,Rowe,2015-04-02,female,,,,', 'P-11,Isla,Reed,2014-09-09,female,,,,'])
    const r = run('scripts/import.ts', 'records', good, '--agency', 'Northshire Police')
    assert.equal(r.status, 0, r.stderr)
    assert.match(r.stdout, /Imported 2 rows for Northshire Police/)
    assert.match(r.stderr, /2 \/ 2 rows/)
    const again = run('scripts/import.ts', 'records', good, '--agency', 'Northshire Police')
    assert.equal(again.status, 2)
    assert.match(again.stderr, /already imported/i)
    const entries = file('entries.csv', ['source_ref,occurred_at,type,category,significance,summary,visibility', 'P-10,2026-11-20T21:30:00Z,police_incident,domestic_abuse,high,Attended a domestic incident at home,team'])
    const e = run('scripts/import.ts', 'entries', entries, '--agency', 'Northshire Police')
    assert.equal(e.status, 0, e.stderr)
    assert.match(e.stdout, /Imported 1 rows/)
  })

  it('a file whose name is over 200 characters is refused, naming the limit and suggesting a rename, nothing imported; renamed, it imports', () => {
    const lines = [HEADER, 'LN-1,Perpetua,Inkwright,2012-05-06,female,,,,']
    const long = file(`${'n'.repeat(197)}.csv`, lines) // 201 characters: Linux allows 255 bytes
    const r = run('scripts/import.ts', 'records', long, '--agency', 'Northshire Police')
    assert.equal(r.status, 2, r.stderr)
    assert.match(r.stderr, /The file name must be 200 characters or fewer \(it has 201\): rename the file to a shorter name and import it again\. Nothing was imported\./)
    assert.doesNotMatch(r.stdout, /Imported/)
    // nothing was kept, not even a run: the same bytes under a name of 200 characters import in full, from the start
    const renamed = path.join(dir, `${'n'.repeat(196)}.csv`)
    fs.renameSync(long, renamed)
    const again = run('scripts/import.ts', 'records', renamed, '--agency', 'Northshire Police')
    assert.equal(again.status, 0, again.stderr)
    assert.match(again.stdout, /^Imported 1 rows for Northshire Police: /)
    assert.doesNotMatch(again.stdout, /resumed/)
  })

  it('bad arguments say what is wrong and exit 2', () => {
    const none = run('scripts/import.ts')
    assert.equal(none.status, 2)
    assert.match(none.stderr, /records or entries/)
    const missing = run('scripts/import.ts', 'records', path.join(dir, 'nope.csv'), '--agency', 'x')
    assert.equal(missing.status, 2)
    assert.match(missing.stderr, /no such file/)
    const agency = run('scripts/import.ts', 'records', file('one.csv', [HEADER, 'Q-1,Ava,Stone,2016-01-01,female,,,,']), '--agency', 'Nowhere Agency')
    assert.equal(agency.status, 2)
    assert.match(agency.stderr, /no agency "Nowhere Agency"/)
    assert.equal(run('scripts/import.ts', '--help').status, 0)
  })

  it('a --report that could not be written is refused before anything is read or imported: no folder, a folder, or the file being imported', () => {
    const input = file('report-target.csv', [HEADER, 'R-1,Ava,Stone,2016-01-01,female,,,,'])
    const cases: [string, RegExp][] = [
      [path.join(dir, 'no-such-folder', 'report.csv'), /--report: no folder/],
      [dir, /--report: .* is a folder/],
      [input, /--report: .* is the file being imported/],
    ]
    for (const [report, message] of cases) {
      const r = run('scripts/import.ts', 'records', input, '--agency', 'Northshire Police', '--report', report)
      assert.equal(r.status, 2, r.stderr)
      assert.match(r.stderr, message)
    }
    assert.match(fs.readFileSync(input, 'utf8'), /^source_ref,/, 'the input is untouched')
    // and nothing was imported: the same file with a good report path imports in full
    const ok = run('scripts/import.ts', 'records', input, '--agency', 'Northshire Police', '--report', path.join(dir, 'report-ok.csv'))
    assert.equal(ok.status, 0, ok.stderr)
    assert.match(ok.stdout, /Imported 1 rows/)
  })
})
