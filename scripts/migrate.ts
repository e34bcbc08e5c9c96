// `npm run migrate`: applies the migrations to the configured database (PostgreSQL with DATABASE_URL, or the
// embedded directory) and exits. `npm start` also migrates at start.
import { loadConfig } from '../src/platform/config.ts'
import { openDatabase, DatabaseLockedError } from '../src/data/db.ts'

try {
  const database = await openDatabase(loadConfig().database, { restrictedRole: false })
  await database.close()
  console.log('Migrations applied.')
} catch (err) {
  console.error(err instanceof DatabaseLockedError ? `${err.message}\nStop the server first.` : err)
  process.exit(1)
}
