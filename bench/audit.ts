// Audited against unaudited read path: the same repository read (a child's summary) with its audit row, and with
// the audit INSERT answered by a bench-only wrapper around the same dialect and pool, never sent (nothing in src/
// has an unaudited path).
import { Kysely, type CompiledQuery, type DatabaseConnection, type Dialect, type Driver, type QueryResult, type TransactionSettings } from 'kysely'
import { dataAccess } from '../src/data/index.ts'
import { systemClock } from '../src/platform/clock.ts'
import { stableUuid } from '../src/data/ids.ts'
import type { Actor } from '../src/data/actor.ts'
import type { DB } from '../src/data/schema.ts'
import { benchDatabase, COUNTY, now } from './support.ts'
import type { BenchResult } from './types.ts'

export const name = 'audit'

/** A connection that answers the audit INSERT itself, without sending it: the unaudited read path. */
class SkipAuditConnection implements DatabaseConnection {
  readonly inner: DatabaseConnection
  constructor(inner: DatabaseConnection) {
    this.inner = inner
  }
  executeQuery<R>(q: CompiledQuery): Promise<QueryResult<R>> {
    if (/^insert into "audit_event"/.test(q.sql)) return Promise.resolve({ rows: [] })
    return this.inner.executeQuery<R>(q)
  }
  streamQuery<R>(q: CompiledQuery, chunkSize?: number): AsyncIterableIterator<QueryResult<R>> {
    return this.inner.streamQuery<R>(q, chunkSize ?? 100)
  }
}

/** The application's own dialect (the same pool), with every connection wrapped. */
function skipAuditDialect(inner: Dialect): Dialect {
  return {
    createAdapter: () => inner.createAdapter(),
    createQueryCompiler: () => inner.createQueryCompiler(),
    createIntrospector: (db) => inner.createIntrospector(db),
    createDriver(): Driver {
      const d = inner.createDriver()
      const unwrap = (c: DatabaseConnection) => (c as SkipAuditConnection).inner
      return {
        init: () => d.init(),
        acquireConnection: async () => new SkipAuditConnection(await d.acquireConnection()),
        beginTransaction: (c: DatabaseConnection, s: TransactionSettings) => d.beginTransaction(unwrap(c), s),
        commitTransaction: (c: DatabaseConnection) => d.commitTransaction(unwrap(c)),
        rollbackTransaction: (c: DatabaseConnection) => d.rollbackTransaction(unwrap(c)),
        releaseConnection: (c: DatabaseConnection) => d.releaseConnection(unwrap(c)),
        // the pool belongs to the application's Kysely: this one never ends it
        destroy: () => Promise.resolve(),
      }
    },
  }
}

export async function run(): Promise<BenchResult[]> {
  const out: BenchResult[] = []
  for (const engine of ['postgres', 'pglite'] as const) {
    const { database, dataset, cleanup } = await benchDatabase(engine, engine === 'postgres' ? COUNTY : 2000)
    try {
      const actor: Actor = {
        kind: 'practitioner',
        partnershipId: stableUuid('partnership:northshire'),
        practitionerId: stableUuid('northshire:practitioner:dsl.brookside'),
        membershipId: stableUuid('northshire:membership:dsl.brookside:0'),
        agencyId: stableUuid('northshire:agency:brookside'),
        teamId: stableUuid('northshire:team:brookside:safeguarding'),
        role: 'dsl',
        requestId: 'bench',
      }
      const child = await database.db.selectFrom('relationship').select('child_id').where('type', '=', 'pupil_at').where('holder_agency_id', '=', actor.agencyId).limit(1).executeTakeFirstOrThrow()
      const audited = dataAccess(database, systemClock).forActor(actor).children
      const plain = dataAccess({ ...database, db: new Kysely<DB>({ dialect: skipAuditDialect(database.dialect) }) }, systemClock).forActor(actor).children
      const N = engine === 'postgres' ? 2000 : 1000
      const time = async (repo: typeof audited) => {
        for (let i = 0; i < 100; i++) await repo.summary(child.child_id)
        const t0 = performance.now()
        for (let i = 0; i < N; i++) await repo.summary(child.child_id)
        return (performance.now() - t0) / N
      }
      // interleave to share the machine's noise fairly
      const a1 = await time(audited)
      const u1 = await time(plain)
      const a2 = await time(audited)
      const u2 = await time(plain)
      const a = (a1 + a2) / 2
      const u = (u1 + u2) / 2
      const at = now()
      const e = engine === 'postgres' ? 'pg' : 'pglite'
      out.push(
        { id: engine === 'postgres' ? 'audit.overhead_ratio' : 'audit.pglite.overhead_ratio', value: Math.round((a / u) * 1000) / 1000, unit: 'ratio', engine, dataset, baseline: 1, at },
        { id: `audit.${e}.audited_ms`, value: Math.round(a * 1000) / 1000, unit: 'ms/read', engine, dataset, baseline: Math.round(u * 1000) / 1000, at },
      )
    } finally {
      await cleanup()
    }
  }
  return out
}
