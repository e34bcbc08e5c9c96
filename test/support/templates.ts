// Migrate once per test run: a PGlite data-directory dump, and a PostgreSQL template database.
import fs from 'node:fs'
import path from 'node:path'
import { Kysely, PostgresDialect, sql } from 'kysely'
import { openDatabase, pgliteOf, postgresPool } from '../../src/data/db.ts'

export interface Templates {
  pgliteDump: string
  pgTemplateDb?: string
  pgUrl?: string
}

export async function prepareTemplates(work: string, pgUrl: string | undefined): Promise<Templates> {
  const database = await openDatabase({ kind: 'pglite-memory' }, { migrate: true, restrictedRole: false })
  const pglite = pgliteOf(database)!
  const blob = await pglite.dumpDataDir('gzip')
  const pgliteDump = path.join(work, 'pglite-template.tar.gz')
  fs.writeFileSync(pgliteDump, Buffer.from(await blob.arrayBuffer()))
  await database.close()
  if (!pgUrl) return { pgliteDump }
  const name = `ta_template_${process.pid}_${Date.now()}`
  await withAdmin(pgUrl, async (db) => {
    await sql`create database ${sql.id(name)}`.execute(db)
  })
  const url = withDatabase(pgUrl, name)
  const migrated = await openDatabase({ kind: 'postgres', url }, { migrate: true, restrictedRole: false })
  await migrated.close()
  return { pgliteDump, pgTemplateDb: name, pgUrl }
}

export async function dropTemplates(t: Templates): Promise<void> {
  if (!t.pgUrl || !t.pgTemplateDb) return
  await withAdmin(t.pgUrl, async (db) => {
    await sql`drop database if exists ${sql.id(t.pgTemplateDb!)} with (force)`.execute(db)
  })
}

export function withDatabase(url: string, name: string): string {
  const u = new URL(url)
  u.pathname = `/${name}`
  return u.toString()
}

export async function withAdmin<T>(url: string, fn: (db: Kysely<unknown>) => Promise<T>): Promise<T> {
  const db = new Kysely<unknown>({ dialect: new PostgresDialect({ pool: postgresPool({ connectionString: url, max: 1 }) }) })
  try {
    return await fn(db)
  } finally {
    await db.destroy()
  }
}
