// Security requirement 25 — backups restore: backup → restore → compare gives no differences, on each engine and
// across them (a PGlite backup restored into PostgreSQL), and a restore never overwrites or half-loads data.
import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { randomBytes } from 'node:crypto'
import { it } from 'node:test'
import { sql } from 'kysely'
import { gunzipSync, gzipSync } from 'node:zlib'
import { openDatabase, type Database } from '../../src/data/db.ts'
import { backup, restore, summarise, RestoreError } from '../../src/data/backup.ts'
import { seedDemo } from '../../src/data/seed.ts'
import { loadConfig } from '../../src/platform/config.ts'
import { describeEachEngine } from '../support/db.ts'
import { withAdmin, withDatabase } from '../support/templates.ts'

const config = loadConfig()

/** A new, empty database of the given engine (not migrated): the only kind a restore goes into. */
async function emptyDatabase(engine: 'pglite' | 'postgres'): Promise<{ database: Database; drop: () => Promise<void> }> {
  if (engine === 'pglite') {
    const database = await openDatabase({ kind: 'pglite-memory' }, { migrate: false, restrictedRole: false })
    return { database, drop: () => database.close() }
  }
  const base = config.test.databaseUrl!
  const name = `ta_restore_${process.pid}_${randomBytes(4).toString('hex')}`
  await withAdmin(base, (db) => sql`create database ${sql.id(name)}`.execute(db))
  const database = await openDatabase({ kind: 'postgres', url: withDatabase(base, name) }, { migrate: false, restrictedRole: false, poolSize: 2 })
  return {
    database,
    drop: async () => {
      await database.close()
      await withAdmin(base, (db) => sql`drop database if exists ${sql.id(name)} with (force)`.execute(db))
    },
  }
}

describeEachEngine('backup and restore', (ctx) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ta-backup-'))
  const file = path.join(dir, 'teamaround.backup.gz')

  it('a backup of a seeded database restores with no differences (rows, types, audit chain ids, sequences)', async () => {
    await ctx.t.privileged((db) => seedDemo(db, { children: 60 }))
    const source = await ctx.t.privileged((db) => summarise(db))
    assert.ok(source.tables.child!.rows >= 60)
    assert.ok(source.tables.audit_event!.rows > 0, 'the audit trail is in the backup too')
    const written = await backup(ctx.t.db, file, new Date('2026-11-29T12:00:00Z'))
    assert.deepEqual(written.tables, source.tables, 'the backup holds exactly what the database held')
    assert.equal((fs.statSync(file).mode & 0o777).toString(8), '600', 'readable by its owner only')

    const target = await emptyDatabase(ctx.t.engine)
    try {
      const report = await restore(target.database.db, file)
      assert.deepEqual(report.differences, [], 'no differences')
      const restored = await summarise(target.database.db)
      assert.deepEqual(restored.tables, source.tables)
      assert.deepEqual(restored.migrations, source.migrations)
      // the identity sequence continues after the restored rows: a new audit row gets the next id
      const max = await sql<{ m: number }>`select max(id)::int as m from audit_event`.execute(target.database.db)
      const next = await sql<{ id: number }>`insert into audit_event (partnership_id, at, actor_kind, action, outcome) values ((select id from partnership limit 1), now(), 'system', 'restore.check', 'success') returning id`.execute(target.database.db)
      assert.equal(Number(next.rows[0]!.id), max.rows[0]!.m + 1)
    } finally {
      await target.drop()
    }
  })

  it('restore refuses a database that already holds data, and changes nothing in it', async () => {
    const before = await ctx.t.privileged((db) => summarise(db))
    await assert.rejects(() => ctx.t.privileged((db) => restore(db, file)), (err: Error) => err instanceof RestoreError && /not empty/.test(err.message))
    assert.deepEqual((await ctx.t.privileged((db) => summarise(db))).tables, before.tables)
  })

  it('a truncated or foreign file restores nothing (all or nothing)', async () => {
    const lines = gunzipSync(fs.readFileSync(file)).toString('utf8').split('\n')
    const cut = path.join(dir, 'cut.backup.gz')
    fs.writeFileSync(cut, gzipSync(lines.slice(0, Math.floor(lines.length * 0.7)).join('\n') + '\n'))
    const foreign = path.join(dir, 'foreign.gz')
    fs.writeFileSync(foreign, gzipSync('{"hello":"world"}\n'))
    const target = await emptyDatabase(ctx.t.engine)
    try {
      await assert.rejects(() => restore(target.database.db, foreign), /not a TeamAround backup/)
      await assert.rejects(() => restore(target.database.db, cut), /incomplete/)
      const after = await summarise(target.database.db)
      assert.equal(Object.values(after.tables).reduce((n, t) => n + t.rows, 0), 0, 'nothing half-loaded')
      // and the same empty database then takes the whole backup
      assert.deepEqual((await restore(target.database.db, file)).differences, [])
    } finally {
      await target.drop()
    }
  })

  it('a backup restores into the other engine with no differences (same SQL, same migrations)', { skip: config.test.databaseUrl ? false : 'needs DATABASE_URL_TEST' }, async () => {
    const target = await emptyDatabase(ctx.t.engine === 'pglite' ? 'postgres' : 'pglite')
    try {
      const report = await restore(target.database.db, file)
      assert.deepEqual(report.differences, [])
      assert.ok(Object.keys(report.summary.tables).length > 20)
    } finally {
      await target.drop()
    }
  })
})
