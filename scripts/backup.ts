// `npm run backup -- FILE`: a consistent logical backup of the configured database (PGlite directory or
// DATABASE_URL) to FILE (gzip'd JSON lines, readable only by its owner), with each table's row count and digest.
// On the embedded database, stop the server first (the directory takes one process at a time). Keep the audit
// checkpoint file (AUDIT_CHECKPOINT_PATH) with the backup: it lives outside the database by design.
import path from 'node:path'
import { loadConfig } from '../src/platform/config.ts'
import { openForCommand } from './open-database.ts'
import { backup } from '../src/data/backup.ts'

const file = process.argv.slice(2).find((a) => !a.startsWith('-'))
if (!file) {
  console.error('Usage: npm run backup -- FILE   (for example: npm run backup -- backups/teamaround-2026-11-29.backup.gz)')
  process.exit(2)
}
const config = loadConfig()
const database = await openForCommand(config.database, { restrictedRole: false, migrate: false })
try {
  const summary = await backup(database.db, path.resolve(file), new Date())
  const rows = Object.values(summary.tables).reduce((n, t) => n + t.rows, 0)
  console.log(`Backed up ${Object.keys(summary.tables).length} tables, ${rows.toLocaleString('en-GB')} rows, at migration ${summary.migrations.at(-1)} to ${path.resolve(file)}`)
} finally {
  await database.close()
}
