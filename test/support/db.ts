// A fresh database per test file, on each engine: PGlite always; PostgreSQL when DATABASE_URL_TEST is set.
import fs from 'node:fs'
import { randomBytes } from 'node:crypto'
import { describe, before, after } from 'node:test'
import { Kysely, PostgresDialect, sql } from 'kysely'
import { openDatabase, postgresPool, type Database, type Engine } from '../../src/data/db.ts'
import type { DB } from '../../src/data/schema.ts'
import { loadConfig } from '../../src/platform/config.ts'
import { withAdmin, withDatabase } from './templates.ts'

export interface TestDb {
  database: Database
  db: Kysely<DB>
  engine: Engine
  /** Runs as the database owner, outside the restricted application role: for tests that play an attacker. */
  privileged<T>(fn: (db: Kysely<DB>) => Promise<T>): Promise<T>
  close(): Promise<void>
}

const config = loadConfig()

export function testEngines(): Engine[] {
  return config.test.databaseUrl ? ['pglite', 'postgres'] : ['pglite']
}

export async function openTestDatabase(engine: Engine): Promise<TestDb> {
  if (engine === 'pglite') {
    const dump = config.test.templateDir
    const database = await openDatabase(
      dump && fs.existsSync(dump) ? { kind: 'pglite-memory', loadDataDir: new Blob([fs.readFileSync(dump)]) } : { kind: 'pglite-memory' },
      { migrate: true },
    )
    return {
      database,
      db: database.db,
      engine,
      async privileged(fn) {
        await sql`reset role`.execute(database.db)
        try {
          return await fn(database.db)
        } finally {
          await sql`set role teamaround_app`.execute(database.db)
        }
      },
      close: () => database.close(),
    }
  }
  const base = config.test.databaseUrl
  if (!base) throw new Error('DATABASE_URL_TEST is not set')
  const name = `ta_test_${process.pid}_${randomBytes(4).toString('hex')}`
  const template = config.test.pgTemplateDb
  await withAdmin(base, async (db) => {
    if (template) await sql`create database ${sql.id(name)} template ${sql.id(template)}`.execute(db)
    else await sql`create database ${sql.id(name)}`.execute(db)
  })
  const url = withDatabase(base, name)
  const database = await openDatabase({ kind: 'postgres', url }, { migrate: true, poolSize: 10 })
  const admin = new Kysely<DB>({ dialect: new PostgresDialect({ pool: postgresPool({ connectionString: url, max: 2 }) }) })
  return {
    database,
    db: database.db,
    engine,
    privileged: (fn) => fn(admin),
    async close() {
      await database.close()
      await admin.destroy()
      await withAdmin(base, async (db) => {
        // a pool's end resolves as soon as it has asked its clients to end, not once the server has closed them:
        // wait (briefly) for those backends to go, so that the forced drop does not kill one whose client is open
        for (let i = 0; i < 40; i++) {
          const left = await sql<{ n: number }>`select count(*)::int as n from pg_stat_activity where datname = ${name}`.execute(db)
          if (!left.rows[0]!.n) break
          await new Promise((r) => setTimeout(r, 25))
        }
        await sql`drop database if exists ${sql.id(name)} with (force)`.execute(db)
      })
    },
  }
}

/** Runs the suite once per engine with a fresh database; `ctx.t` is set before the first test. */
export function describeEachEngine(name: string, body: (ctx: { t: TestDb }) => void): void {
  for (const engine of testEngines()) {
    describe(`${name} [${engine}]`, () => {
      const ctx = {} as { t: TestDb }
      before(async () => {
        ctx.t = await openTestDatabase(engine)
      })
      after(async () => {
        await ctx.t?.close()
      })
      body(ctx)
    })
  }
}
