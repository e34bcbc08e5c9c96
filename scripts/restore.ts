// `npm run restore -- FILE`: restores a backup into the configured database, which must be empty (a new PGlite
// directory, or a new PostgreSQL database in DATABASE_URL). Migrates to the backup's level, loads every row in one
// transaction, continues the identity sequences, compares every table with the backup's digests, then migrates to
// the latest version. Exit 0 only when there are no differences.
import path from 'node:path'
import { loadConfig } from '../src/platform/config.ts'
import { openForCommand } from './open-database.ts'
import { restore, RestoreError } from '../src/data/backup.ts'

const file = process.argv.slice(2).find((a) => !a.startsWith('-'))
if (!file) {
  console.error('Usage: PGLITE_DIR=data/restored npm run restore -- FILE   (or DATABASE_URL=postgres://…/empty_db npm run restore -- FILE)')
  process.exit(2)
}
const config = loadConfig()
const database = await openForCommand(config.database, { restrictedRole: false, migrate: false })
try {
  const report = await restore(database.db, path.resolve(file))
  const rows = Object.values(report.summary.tables).reduce((n, t) => n + t.rows, 0)
  if (report.differences.length) {
    for (const d of report.differences) console.error(`DIFFERENT: ${d.table}: backup ${d.expected.rows} rows (${d.expected.sha256.slice(0, 12)}), restored ${d.found?.rows ?? 'missing'} (${d.found?.sha256.slice(0, 12) ?? '-'})`)
    process.exitCode = 1
  } else {
    console.log(`Restored ${Object.keys(report.summary.tables).length} tables, ${rows.toLocaleString('en-GB')} rows: no differences from the backup.`)
  }
} catch (err) {
  if (err instanceof RestoreError) {
    console.error(`Not restored: ${err.message}`)
    process.exitCode = 1
  } else throw err
} finally {
  await database.close()
}
