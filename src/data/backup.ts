// Backup and restore, the same on both engines: a logical copy of every table (rows as PostgreSQL's own JSON of the
// row, so every type round-trips through json_populate_recordset), taken in one repeatable-read snapshot, gzip
// compressed, with a row count and a SHA-256 digest per table. Restore goes only into an empty database: it
// migrates to the backup's migration, loads the rows with triggers held off (the append-only guards would refuse
// nothing, but the approval guards check transitions, not history), sets the identity sequences, migrates to the
// latest version and compares every table's digest with the backup's — "no differences" or the tables that differ.
// The audit chain's checkpoint file lives outside the database by design and is not in the backup: keep it with it.
import fs from 'node:fs'
import readline from 'node:readline'
import { createGzip, createGunzip } from 'node:zlib'
import { createHash } from 'node:crypto'
import { pipeline } from 'node:stream/promises'
import { Readable } from 'node:stream'
import { sql, type Kysely, type Transaction } from 'kysely'
import { Migrator } from 'kysely/migration'
import { migrations } from '../../migrations/index.ts'
import type { DB } from './schema.ts'

export const BACKUP_FORMAT = 'teamaround-backup'
export const BACKUP_VERSION = 1
const BATCH = 1000 // rows per fetch (the cursor's FETCH says the same number) and per insert
const SKIP = new Set(['kysely_migration', 'kysely_migration_lock'])

export interface TableSummary {
  rows: number
  sha256: string
}
export interface BackupSummary {
  migrations: string[]
  tables: Record<string, TableSummary>
}

type Q = Kysely<DB> | Transaction<DB>

/** The application's tables, parents before children (foreign keys), then by name. */
export async function tablesInOrder(db: Q): Promise<string[]> {
  const tables = (
    await sql<{ name: string }>`select c.relname as name from pg_class c join pg_namespace n on n.oid = c.relnamespace where n.nspname = 'public' and c.relkind in ('r', 'p') order by c.relname`.execute(db)
  ).rows
    .map((r) => r.name)
    .filter((t) => !SKIP.has(t))
  const deps = (
    await sql<{ child: string; parent: string }>`select cc.relname as child, pc.relname as parent from pg_constraint k join pg_class cc on cc.oid = k.conrelid join pg_class pc on pc.oid = k.confrelid join pg_namespace n on n.oid = cc.relnamespace where k.contype = 'f' and n.nspname = 'public'`.execute(db)
  ).rows
  const parents = new Map<string, Set<string>>(tables.map((t) => [t, new Set()]))
  for (const d of deps) if (d.child !== d.parent && parents.has(d.child) && parents.has(d.parent)) parents.get(d.child)!.add(d.parent)
  const out: string[] = []
  const done = new Set<string>()
  const visit = (t: string, path: Set<string>) => {
    if (done.has(t) || path.has(t)) return
    path.add(t)
    for (const p of [...parents.get(t)!].sort()) visit(p, path)
    path.delete(t)
    done.add(t)
    out.push(t)
  }
  for (const t of tables) visit(t, new Set())
  return out
}

/** Columns a restore writes: not generated ones. `identity` marks GENERATED ALWAYS identity columns. */
async function columnsOf(db: Q, table: string): Promise<{ name: string; identity: boolean }[]> {
  const rows = (
    await sql<{ name: string; identity: string; generated: string }>`select a.attname as name, a.attidentity as identity, a.attgenerated as generated from pg_attribute a join pg_class c on c.oid = a.attrelid join pg_namespace n on n.oid = c.relnamespace where n.nspname = 'public' and c.relname = ${table} and a.attnum > 0 and not a.attisdropped order by a.attnum`.execute(db)
  ).rows
  return rows.filter((r) => !r.generated).map((r) => ({ name: r.name, identity: r.identity === 'a' || r.identity === 'd' }))
}

/** A stable order for a table's rows: its primary key, else the whole row's text. */
async function orderOf(db: Q, table: string) {
  const pk = (
    await sql<{ name: string }>`select a.attname as name from pg_index i join pg_class c on c.oid = i.indrelid join pg_namespace n on n.oid = c.relnamespace join lateral unnest(i.indkey) with ordinality k(attnum, ord) on true join pg_attribute a on a.attrelid = c.oid and a.attnum = k.attnum where n.nspname = 'public' and c.relname = ${table} and i.indisprimary order by k.ord`.execute(db)
  ).rows.map((r) => r.name)
  return pk.length ? sql.join(pk.map((c) => sql.ref(`t.${c}`))) : sql`t::text`
}

/** Reads a table in its stable order as the JSON text of each row, a batch at a time, inside the caller's snapshot. */
async function* rowsOf(trx: Transaction<DB>, table: string): AsyncGenerator<string[]> {
  const order = await orderOf(trx, table)
  const cursor = `backup_${table}`
  await sql`declare ${sql.id(cursor)} no scroll cursor for select row_to_json(t)::text as j from ${sql.id(table)} t order by ${order}`.execute(trx)
  try {
    for (;;) {
      const batch = (await sql<{ j: string }>`fetch forward 1000 from ${sql.id(cursor)}`.execute(trx)).rows
      if (!batch.length) break
      yield batch.map((r) => r.j)
      if (batch.length < BATCH) break
    }
  } finally {
    await sql`close ${sql.id(cursor)}`.execute(trx)
  }
}

async function snapshot<T>(db: Kysely<DB>, run: (trx: Transaction<DB>) => Promise<T>): Promise<T> {
  return db
    .transaction()
    .setIsolationLevel('repeatable read')
    .execute(async (trx) => {
      await sql`set transaction read only`.execute(trx)
      await sql`set local timezone = 'UTC'`.execute(trx)
      await sql`set local extra_float_digits = 3`.execute(trx)
      return run(trx)
    })
}

async function appliedMigrations(db: Q): Promise<string[]> {
  return (await sql<{ name: string }>`select name from kysely_migration order by name`.execute(db)).rows.map((r) => r.name)
}

/** Every table's row count and digest, read in one snapshot: what a restore must reproduce. */
export async function summarise(db: Kysely<DB>): Promise<BackupSummary> {
  return snapshot(db, async (trx) => {
    const tables: Record<string, TableSummary> = {}
    for (const t of await tablesInOrder(trx)) {
      const h = createHash('sha256')
      let rows = 0
      for await (const batch of rowsOf(trx, t)) {
        for (const j of batch) h.update(j).update('\n')
        rows += batch.length
      }
      tables[t] = { rows, sha256: h.digest('hex') }
    }
    return { migrations: await appliedMigrations(trx), tables }
  })
}

/** Writes a backup of the whole database to `file` (gzip'd JSON lines). Returns what it wrote. */
export async function backup(db: Kysely<DB>, file: string, now: Date): Promise<BackupSummary> {
  const tmp = `${file}.partial`
  const summary = await snapshot(db, async (trx) => {
    const names = await tablesInOrder(trx)
    const applied = await appliedMigrations(trx)
    const tables: Record<string, TableSummary> = {}
    async function* lines(): AsyncGenerator<string> {
      yield JSON.stringify({ format: BACKUP_FORMAT, version: BACKUP_VERSION, createdAt: now.toISOString(), migrations: applied, tables: names }) + '\n'
      for (const t of names) {
        const h = createHash('sha256')
        let rows = 0
        yield JSON.stringify({ table: t }) + '\n'
        for await (const batch of rowsOf(trx, t)) {
          for (const j of batch) h.update(j).update('\n')
          rows += batch.length
          yield batch.map((j) => `{"r":${j}}\n`).join('')
        }
        tables[t] = { rows, sha256: h.digest('hex') }
      }
      yield JSON.stringify({ end: true, tables }) + '\n'
    }
    await pipeline(Readable.from(lines()), createGzip(), fs.createWriteStream(tmp, { mode: 0o600 }))
    return { migrations: applied, tables }
  })
  fs.renameSync(tmp, file)
  return summary
}

export class RestoreError extends Error {}

export interface RestoreReport {
  summary: BackupSummary
  differences: { table: string; expected: TableSummary; found: TableSummary | undefined }[]
}

/**
 * Restores `file` into `db`, which must hold no rows in any application table. Migrates to the backup's level,
 * loads everything in one transaction (all or nothing), migrates to the latest, then compares digests.
 */
export async function restore(db: Kysely<DB>, file: string): Promise<RestoreReport> {
  const input = readline.createInterface({ input: fs.createReadStream(file).pipe(createGunzip()), crlfDelay: Infinity })
  const it = input[Symbol.asyncIterator]()
  const first = await it.next()
  const header = first.done ? null : (JSON.parse(first.value) as { format?: string; version?: number; migrations?: string[] })
  if (!header || header.format !== BACKUP_FORMAT || header.version !== BACKUP_VERSION || !Array.isArray(header.migrations)) throw new RestoreError(`${file} is not a TeamAround backup (version ${BACKUP_VERSION})`)
  const unknown = header.migrations.filter((m) => !(m in migrations))
  if (unknown.length) throw new RestoreError(`The backup was taken by a newer version of TeamAround (migrations ${unknown.join(', ')} are unknown here)`)
  const last = header.migrations.at(-1)
  const migrator = new Migrator({ db: db as unknown as Kysely<unknown>, provider: { getMigrations: async () => migrations } })
  if (last) {
    const applied = await sql<{ name: string }>`select name from kysely_migration order by name`.execute(db).then((r) => r.rows.map((x) => x.name), () => [] as string[])
    if (applied.some((a) => !header.migrations!.includes(a))) throw new RestoreError('The target database is at a later migration than the backup: restore into a new, empty database')
    const { error } = await migrator.migrateTo(last)
    if (error) throw new RestoreError(`Migrating the target to ${last} failed: ${String((error as Error).message ?? error)}`)
  }
  let expected: Record<string, TableSummary> | undefined
  await db.transaction().execute(async (trx) => {
    await sql`set local timezone = 'UTC'`.execute(trx)
    await sql`set local session_replication_role = replica`.execute(trx)
    for (const t of await tablesInOrder(trx)) {
      const any = await sql<{ one: number }>`select 1 as one from ${sql.id(t)} limit 1`.execute(trx)
      if (any.rows.length) throw new RestoreError(`The target database is not empty (table ${t} has rows): restore only into an empty database`)
    }
    let table: string | null = null
    let cols: { name: string; identity: boolean }[] = []
    let pending: string[] = []
    const flush = async () => {
      if (!table || !pending.length) return
      const list = sql.join(cols.map((c) => sql.id(c.name)))
      const overriding = cols.some((c) => c.identity) ? sql`overriding system value` : sql``
      await sql`insert into ${sql.id(table)} (${list}) ${overriding} select ${list} from json_populate_recordset(null::${sql.id(table)}, ${'[' + pending.join(',') + ']'}::json)`.execute(trx)
      pending = []
    }
    for (;;) {
      const next = await it.next()
      if (next.done) break
      const line = next.value
      if (line.startsWith('{"r":')) {
        if (!table) throw new RestoreError('The backup is damaged: a row before its table')
        pending.push(line.slice(5, -1))
        if (pending.length >= BATCH) await flush()
        continue
      }
      await flush()
      const marker = JSON.parse(line) as { table?: string; end?: boolean; tables?: Record<string, TableSummary> }
      if (marker.end) {
        expected = marker.tables
        break
      }
      if (!marker.table || !/^[a-z_][a-z0-9_]*$/.test(marker.table)) throw new RestoreError('The backup is damaged: an unreadable table marker')
      table = marker.table
      cols = await columnsOf(trx, table)
      if (!cols.length) throw new RestoreError(`The backup has a table this database does not: ${table}`)
    }
    if (!expected) throw new RestoreError('The backup is incomplete (no end marker): nothing was restored')
    // identity sequences continue after the restored rows
    const identities = (
      await sql<{ table: string; column: string }>`select c.relname as "table", a.attname as "column" from pg_attribute a join pg_class c on c.oid = a.attrelid join pg_namespace n on n.oid = c.relnamespace where n.nspname = 'public' and a.attidentity in ('a', 'd') and not a.attisdropped`.execute(trx)
    ).rows
    for (const { table: t, column: c } of identities) {
      await sql`select setval(pg_get_serial_sequence(${t}, ${c}), coalesce((select max(${sql.id(c)}) from ${sql.id(t)}), 1), (select max(${sql.id(c)}) from ${sql.id(t)}) is not null)`.execute(trx)
    }
  })
  input.close()
  const after = await summarise(db)
  const differences = Object.entries(expected!)
    .filter(([t, e]) => after.tables[t]?.rows !== e.rows || after.tables[t]?.sha256 !== e.sha256)
    .map(([t, e]) => ({ table: t, expected: e, found: after.tables[t] }))
  const { error } = await migrator.migrateToLatest()
  if (error) throw new RestoreError(`Restored, but migrating to the latest version failed: ${String((error as Error).message ?? error)}`)
  return { summary: { migrations: header.migrations, tables: expected! }, differences }
}
