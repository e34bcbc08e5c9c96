// `npm run seed [-- --children N]`: the deterministic demo partnership. Refuses a running embedded database
// (the directory lock) and a real PostgreSQL unless --yes-on-real-database is given.
import { loadConfig } from '../src/platform/config.ts'
import { openDatabase, DatabaseLockedError } from '../src/data/db.ts'
import { seedDemo } from '../src/data/seed.ts'

const args = process.argv.slice(2)
const opt = (name: string) => {
  const i = args.indexOf(`--${name}`)
  return i >= 0 ? args[i + 1] : undefined
}
const children = Number(opt('children') ?? 200)
if (!Number.isInteger(children) || children < 1) {
  console.error('--children must be a whole number of at least 1')
  process.exit(2)
}
const config = loadConfig()
if (config.database.kind === 'postgres' && !args.includes('--yes-on-real-database') && !config.seedDemo) {
  console.error('DATABASE_URL is set: demo data (known passwords and TOTP secrets) is never seeded on a real database unless asked for.\nRun again with -- --yes-on-real-database (or SEED_DEMO=true) if this is a throwaway database.')
  process.exit(2)
}
try {
  const database = await openDatabase(config.database, { restrictedRole: false })
  const t0 = Date.now()
  let last = 0
  const result = await seedDemo(database.db, {
    children,
    onProgress: (done, total) => {
      if (process.stdout.isTTY && Date.now() - last > 500) {
        last = Date.now()
        process.stdout.write(`\r  ${done.toLocaleString()} / ${total.toLocaleString()} children`)
      }
    },
  })
  if (process.stdout.isTTY) process.stdout.write('\n')
  console.log(
    result.created
      ? `Seeded ${result.children} children, ${result.entries} entries and ${result.practitioners} practitioners in ${((Date.now() - t0) / 1000).toFixed(1)} s.`
      : 'The demo partnership is already there: nothing to do.',
  )
  await database.close()
} catch (err) {
  if (err instanceof DatabaseLockedError) {
    console.error(`${err.message}\n(Stop the server first: the embedded database takes one process at a time.)`)
    process.exit(1)
  }
  throw err
}
