// The import command line and the file's encoding: a UTF-16 file (with its byte-order mark) imports with its names
// intact; a Latin-1 file is refused as not UTF-8 rather than imported with "Zoë" spoiled; a control character (a NUL,
// which PostgreSQL cannot store) is refused naming its line — each with exit 2 and nothing imported.
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { after, before, describe, it } from 'node:test'
import { openDatabase } from '../../src/data/db.ts'

const root = path.resolve(import.meta.dirname, '../..')
const HEADER = 'source_ref,given_name,family_name,date_of_birth,sex,nhs_number,upn,postcode,address'

describe('npm run import: the file must be UTF-8 (or UTF-16 with a byte-order mark) text', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ta-import-enc-'))
  const pglite = path.join(dir, 'pglite')
  const env: NodeJS.ProcessEnv = { ...process.env, PGLITE_DIR: pglite, LOG_LEVEL: 'silent' }
  delete env.DATABASE_URL
  const run = (script: string, ...args: string[]) => spawnSync(process.execPath, [path.join(root, script), ...args], { cwd: dir, env, encoding: 'utf8', timeout: 120_000 })
  const write = (name: string, bytes: Uint8Array) => {
    const f = path.join(dir, name)
    fs.writeFileSync(f, bytes)
    return f
  }
  const lines = (...rows: string[]) => `${[HEADER, ...rows].join('\r\n')}\r\n`
  const utf16be = (text: string) => {
    const le = Buffer.from(text, 'utf16le')
    for (let i = 0; i + 1 < le.length; i += 2) [le[i], le[i + 1]] = [le[i + 1]!, le[i]!]
    return le
  }
  /** The names imported for these source references (the CLI has exited: the embedded database is free). */
  const imported = async (...refs: string[]) => {
    const database = await openDatabase({ kind: 'pglite', dir: pglite }, { restrictedRole: false, migrate: false })
    try {
      const rows = await database.db.selectFrom('agency_record').select(['source_ref', 'given_name']).where('source_ref', 'in', refs).orderBy('source_ref').execute()
      return rows.map((r) => `${r.source_ref}:${r.given_name}`)
    } finally {
      await database.close()
    }
  }
  const importFile = (f: string) => run('scripts/import.ts', 'records', f, '--agency', 'Northshire Police')

  before(() => {
    const seeded = run('scripts/seed.ts', '--children', '20')
    assert.equal(seeded.status, 0, seeded.stderr)
  })
  after(() => fs.rmSync(dir, { recursive: true, force: true }))

  it('a Latin-1 file is refused as not UTF-8, naming the line, with exit 2 and nothing imported', async () => {
    const f = write('latin1.csv', Buffer.from(lines('L-1,Amelia,Rowe,2015-04-02,female,,,,', 'L-2,Zoë,Brontë,2014-09-09,female,,,,'), 'latin1'))
    const r = importFile(f)
    assert.equal(r.status, 2, r.stderr)
    assert.match(r.stderr, /latin1\.csv is not UTF-8 text \(line 3 is not\)/)
    assert.match(r.stderr, /save it as CSV UTF-8 and try again/)
    assert.match(r.stderr, /Nothing was imported/)
    assert.doesNotMatch(r.stderr, /Usage:|at .*\.ts:\d+/)
    assert.deepEqual(await imported('L-1', 'L-2'), [])
  })

  it('UTF-16 files with a byte-order mark (little- and big-endian) import with their names intact; UTF-8 with a BOM too', async () => {
    const le = importFile(write('utf16le.csv', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(lines('U-1,Zoë,Brontë,2014-09-09,female,,,,'), 'utf16le')])))
    assert.equal(le.status, 0, le.stderr)
    assert.match(le.stdout, /Imported 1 rows/)
    const be = importFile(write('utf16be.csv', Buffer.concat([Buffer.from([0xfe, 0xff]), utf16be(lines('U-2,Siân,Ó Ceallaigh,2013-03-03,female,,,,'))])))
    assert.equal(be.status, 0, be.stderr)
    const bom = importFile(write('utf8bom.csv', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(lines('U-3,Chloé,Ñúñez,2012-02-02,female,,,,'), 'utf8')])))
    assert.equal(bom.status, 0, bom.stderr)
    assert.deepEqual(await imported('U-1', 'U-2', 'U-3'), ['U-1:Zoë', 'U-2:Siân', 'U-3:Chloé'])
  })

  it('a NUL or another control character is refused naming its line, with exit 2 and nothing imported; a UTF-16 file without a BOM too', async () => {
    const nul = importFile(write('nul.csv', Buffer.from(lines('N-1,Amelia,Rowe,2015-04-02,female,,,,', 'N-2,Ja\u0000ck,Reed,2014-09-09,male,,,,', 'N-3,Isla,Re\u001bed,2014-09-09,female,,,,'), 'utf8')))
    assert.equal(nul.status, 2, nul.stderr)
    assert.match(nul.stderr, /nul\.csv contains control characters that cannot be imported, on line 3 \(U\+0000\), line 4 \(U\+001B\)/)
    assert.match(nul.stderr, /Nothing was imported/)
    assert.doesNotMatch(nul.stderr, /0x00|at .*\.ts:\d+/)
    for (const row of ['N-4,Zoë,Brontë,2014-09-09,female,,,,', 'N-4,Zoe,Bronte,2014-09-09,female,,,,']) {
      const bare16 = importFile(write('utf16-nobom.csv', Buffer.from(lines(row), 'utf16le')))
      assert.equal(bare16.status, 2, bare16.stderr)
      assert.match(bare16.stderr, /UTF-16 without a byte-order mark/)
      assert.match(bare16.stderr, /Nothing was imported/)
    }
    assert.deepEqual(await imported('N-1', 'N-2', 'N-3', 'N-4'), [])
    // tabs and CR LF line ends are ordinary text
    const tab = importFile(write('tab.csv', Buffer.from(lines('N-5,"Ava\tMae",Stone,2016-01-01,female,,,,'), 'utf8')))
    assert.equal(tab.status, 0, tab.stderr)
  })
})
