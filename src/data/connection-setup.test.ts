// Every PostgreSQL connection is set up before it is used: the restricted application role and the search
// threshold, one statement at a time (no query runs beside the setup on the same connection), and a connection
// whose setup fails is closed and its waiting query fails — it never runs as the login user.
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { after, before, describe, it } from 'node:test'
import { sql } from 'kysely'
import { openDatabase } from './db.ts'
import { loadConfig } from '../platform/config.ts'
import { withAdmin } from '../../test/support/templates.ts'
import { openTestDatabase, type TestDb } from '../../test/support/db.ts'

const base = loadConfig().test.databaseUrl

describe('PostgreSQL connection setup', { skip: base ? false : 'PostgreSQL only (DATABASE_URL_TEST is not set)' }, () => {
  let t: TestDb
  const warnings: string[] = []
  const onWarning = (w: Error) => warnings.push(`${w.name}: ${w.message}`)
  const outsider = `ta_outsider_${randomBytes(4).toString('hex')}`
  before(async () => {
    process.on('warning', onWarning)
    t = await openTestDatabase('postgres')
    // a login that is not a member of the application role: `set role teamaround_app` fails for it
    await withAdmin(base!, async (db) => {
      await sql`create role ${sql.id(outsider)} login`.execute(db)
    })
  })
  after(async () => {
    process.off('warning', onWarning)
    await t?.close()
    await withAdmin(base!, async (db) => {
      await sql`drop role if exists ${sql.id(outsider)}`.execute(db)
    })
  })

  it('the first statements on fresh connections run as the application role with the search threshold, and no query runs beside the setup', async () => {
    const rows = await Promise.all(
      Array.from({ length: 8 }, () => sql<{ who: string; threshold: string }>`select current_user as who, current_setting('pg_trgm.similarity_threshold') as threshold from pg_sleep(0.01)`.execute(t.db)),
    )
    for (const r of rows) assert.deepEqual(r.rows[0], { who: 'teamaround_app', threshold: '0.45' })
    // node-postgres warns when a query is sent while another runs on the same client (an error in pg 9)
    await new Promise((resolve) => setImmediate(resolve))
    assert.deepEqual(warnings.filter((w) => w.includes('already executing')), [])
  })

  it('a connection whose `set role` fails is closed: the waiting query fails, and nothing runs as the login user', async () => {
    const u = new URL(base!)
    u.username = outsider
    const database = await openDatabase({ kind: 'postgres', url: u.toString() }, { migrate: false, poolSize: 2 })
    try {
      for (let i = 0; i < 3; i++) {
        await assert.rejects(sql`select current_user as who`.execute(database.db), /permission denied to set role|must be member of role/)
      }
    } finally {
      await database.close()
    }
  })
})
