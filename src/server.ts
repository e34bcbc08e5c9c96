// `npm start`: TeamAround on embedded PGlite (locked directory, demo data) or PostgreSQL (DATABASE_URL).
import { loadConfig } from './platform/config.ts'
import { systemClock } from './platform/clock.ts'
import { openDatabase, DatabaseLockedError } from './data/db.ts'
import { dataAccess } from './data/index.ts'
import { seedDemo } from './data/seed.ts'
import { buildApp } from './platform/http/app.ts'
import { startJobs } from './platform/jobs.ts'
import { startSealer } from './data/audit-seal.ts'
import path from 'node:path'

const started = performance.now()
let config
try {
  config = loadConfig()
} catch (err) {
  console.error((err as Error).message)
  process.exit(1)
}

let database
try {
  database = await openDatabase(config.database, { poolSize: config.databasePoolSize })
} catch (err) {
  if (err instanceof DatabaseLockedError) {
    console.error(err.message)
    process.exit(1)
  }
  throw err
}
if (config.database.kind === 'pglite') {
  console.log(`Embedded PGlite at ${config.database.dir} — for evaluation and single-site pilots; use PostgreSQL (DATABASE_URL) in production.`)
}
if (config.seedDemo) {
  const seeded = await seedDemo(database.db)
  if (seeded.created) console.log(`Demo partnership "Northshire" seeded: ${seeded.children} children, ${seeded.practitioners} practitioners (see README for sign-in details).`)
}
if (config.audit.hmacKeyIsDevDefault) console.warn('AUDIT_HMAC_KEY is not set: using a development key. Production refuses to start without one.')

const data = dataAccess(database, systemClock)
const app = await buildApp({ config, data, clock: systemClock })

const jobs = startJobs({ database, clock: systemClock, outboxFile: path.join(path.dirname(config.audit.checkpointPath), 'outbox.jsonl'), log: (msg, err) => app.log.error({ err }, msg) })
const sealer = startSealer({ db: database.db, clock: systemClock, hmacKey: config.audit.hmacKey, checkpointPath: config.audit.checkpointPath, intervalMs: config.audit.sealIntervalMs, log: (msg, err) => app.log.error({ err }, msg) })
const stops: (() => Promise<void>)[] = [() => jobs.stop(), () => sealer.stop()]
const shutdown = async (signal: string) => {
  app.log.info({ signal }, 'shutting down')
  for (const stop of stops) await stop().catch(() => undefined)
  await app.close().catch(() => undefined)
  await database.close().catch(() => undefined)
  process.exit(0)
}
process.once('SIGINT', () => void shutdown('SIGINT'))
process.once('SIGTERM', () => void shutdown('SIGTERM'))

await app.listen({ port: config.port, host: config.host })
console.log(`TeamAround is serving on http://localhost:${config.port} (${database.engine}), ready in ${Math.round(performance.now() - started)} ms`)
