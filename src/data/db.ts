// Opening the database: embedded PGlite (a locked directory) or PostgreSQL, both through Kysely's
// PostgresDialect over node-postgres, so the SQL, the result parsing and the migrations are the same.
import { createHash } from 'node:crypto'
import fs from 'node:fs'
import { CompiledQuery, Kysely, PostgresDialect } from 'kysely'
import { Migrator } from 'kysely/migration'
import pg from 'pg'
import { PGlite } from '@electric-sql/pglite'
import { createPgConfig } from '@electric-sql/pglite/node-postgres'
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm'
import { fuzzystrmatch } from '@electric-sql/pglite/contrib/fuzzystrmatch'
import lockfile from 'proper-lockfile'
import { migrations } from '../../migrations/index.ts'
import type { DB } from './schema.ts'
import { DEFAULT_POOL_SIZE } from '../platform/config.ts'

// A date of birth stays a 'YYYY-MM-DD' string, not a UTC-midnight Date; bigint ids as numbers.
pg.types.setTypeParser(1082, (v) => v)
pg.types.setTypeParser(20, (v) => Number(v))

export type Engine = 'pglite' | 'postgres'

/**
 * A statement that starts with this comment (or has it after its first keyword) runs as a named prepared statement on PostgreSQL: parsed and planned once
 * per connection, then (PostgreSQL choosing a generic plan after five runs when it costs no more) only executed.
 * For the hot, complex, fixed-shape statements whose planning costs more than their execution (the chronology read,
 * logging a concern); measured in bench/README.md. The name is a hash of the text, so a different text is a
 * different statement.
 */
export const PREPARED = '/* prepared */'

/** The marker opens the statement, or follows its first keyword (Kysely's `modifyFront` puts it after `select`). */
const isPrepared = (text: string): boolean => text.startsWith(PREPARED) || text.slice(0, 32).includes(` ${PREPARED}`)

function preparing(client: pg.ClientBase): void {
  const query = client.query.bind(client) as (...args: unknown[]) => unknown
  const names = new Map<string, string>()
  ;(client as unknown as { query: (...args: unknown[]) => unknown }).query = (config: unknown, values?: unknown, callback?: unknown) => {
    if (typeof config === 'string' && callback === undefined && isPrepared(config)) {
      let name = names.get(config)
      if (!name) {
        name = `ta_${createHash('sha1').update(config).digest('hex')}`
        names.set(config, name)
      }
      return query({ name, text: config, values })
    }
    return callback === undefined ? query(config, values) : query(config, values, callback)
  }
}

export interface Database {
  db: Kysely<DB>
  engine: Engine
  /** The dialect (over the one pool): for the benchmarks' instrumented second Kysely, never for application code. */
  dialect: PostgresDialect
  close(): Promise<void>
}

export class DatabaseLockedError extends Error {}

export type DatabaseTarget =
  | { kind: 'postgres'; url: string }
  | { kind: 'pglite'; dir: string }
  | { kind: 'pglite-memory'; loadDataDir?: Blob }

export interface OpenOptions {
  migrate?: boolean
  /** Run as the restricted application role (cannot UPDATE or DELETE audit rows). Default true. */
  restrictedRole?: boolean
  poolSize?: number
}

const extensions = { pg_trgm, fuzzystrmatch }

/**
 * Settings every connection starts with, once (not per query): person search's trigram similarity threshold —
 * how alike a name must be to be a candidate at all (pg_trgm's default is 0.3); 0.45 keeps a county-scale search
 * fast, with recall checked by bench/search.ts — and, for the application, its restricted role.
 */
export const SEARCH_SIMILARITY_THRESHOLD = 0.45
function sessionSetup(restricted: boolean): { text: string; values: string[] }[] {
  return [
    { text: "select set_config('pg_trgm.similarity_threshold', $1, false)", values: [String(SEARCH_SIMILARITY_THRESHOLD)] },
    ...(restricted ? [{ text: 'set role teamaround_app', values: [] }] : []),
  ]
}

/**
 * A pool of connections to a PostgreSQL server. An idle connection the server drops (a restart, a failover, its
 * database dropped) is reported by pg-pool as an 'error', which would end the process unheard: it is ignored here,
 * and the pool opens a new connection when one is next needed.
 */
export function postgresPool(config: pg.PoolConfig): pg.Pool {
  const pool = new pg.Pool(config)
  pool.on('error', () => undefined)
  return pool
}

export async function openDatabase(target: DatabaseTarget, opts: OpenOptions = {}): Promise<Database> {
  const migrate = opts.migrate ?? true
  const restricted = opts.restrictedRole ?? true
  if (target.kind === 'postgres') {
    if (migrate) await migrateUrl(target.url)
    // pg-pool awaits onConnect before it hands a new connection out: the setup runs first, one statement at a time,
    // and a connection whose setup fails (above all `set role`) is closed, never used — it would otherwise run as the
    // owner, outside the restricted role's append-only grants; the query waiting for it fails with the setup's error
    const onConnect = async (client: pg.ClientBase): Promise<void> => {
      preparing(client)
      for (const q of sessionSetup(restricted)) await client.query(q.text, q.values)
    }
    const pool = postgresPool({ connectionString: target.url, max: opts.poolSize ?? DEFAULT_POOL_SIZE, onConnect })
    const dialect = new PostgresDialect({ pool })
    const db = new Kysely<DB>({ dialect })
    return { db, engine: 'postgres', dialect, close: () => db.destroy() }
  }

  let release: (() => Promise<void>) | undefined
  let pglite: PGlite
  if (target.kind === 'pglite') {
    fs.mkdirSync(target.dir, { recursive: true })
    try {
      release = await lockfile.lock(target.dir, { stale: 15_000, update: 5_000, realpath: false })
    } catch (err) {
      if ((err as { code?: string }).code === 'ELOCKED') {
        throw new DatabaseLockedError(
          `The embedded database directory ${target.dir} is already in use by another TeamAround process (it is locked). ` +
            'Stop that process first, or set PGLITE_DIR to another directory.',
        )
      }
      throw err
    }
    pglite = await PGlite.create({ dataDir: target.dir, extensions })
  } else {
    pglite = await PGlite.create(target.loadDataDir ? { loadDataDir: target.loadDataDir, extensions } : { extensions })
  }
  const pool = new pg.Pool({ ...createPgConfig(pglite), max: 1 })
  const dialect = new PostgresDialect({ pool })
  const db = new Kysely<DB>({ dialect })
  try {
    if (migrate) await runMigrations(db as unknown as Kysely<unknown>)
    for (const q of sessionSetup(restricted)) await db.executeQuery(CompiledQuery.raw(q.text, q.values))
  } catch (err) {
    await db.destroy().catch(() => undefined)
    await pglite.close().catch(() => undefined)
    if (release) await release().catch(() => undefined)
    throw err
  }
  return {
    db,
    engine: 'pglite',
    dialect,
    async close() {
      await db.destroy()
      await pglite.close()
      if (release) await release().catch(() => undefined)
    },
    // exposed for the test template dump
    ...({ pglite } as object),
  }
}

/** The PGlite instance behind a Database, for dumping a test template. */
export function pgliteOf(database: Database): PGlite | undefined {
  return (database as unknown as { pglite?: PGlite }).pglite
}

export async function runMigrations(db: Kysely<unknown>): Promise<void> {
  const migrator = new Migrator({ db, provider: { getMigrations: async () => migrations } })
  const { error, results } = await migrator.migrateToLatest()
  const failed = results?.find((r) => r.status === 'Error')
  if (error || failed) {
    throw new Error(`Migration ${failed?.migrationName ?? ''} failed: ${String((error as Error)?.message ?? error)}`)
  }
}

async function migrateUrl(url: string): Promise<void> {
  const db = new Kysely<unknown>({ dialect: new PostgresDialect({ pool: postgresPool({ connectionString: url, max: 1 }) }) })
  try {
    await runMigrations(db)
  } finally {
    await db.destroy()
  }
}
