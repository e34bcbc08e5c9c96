// The child page against the framework ceiling: the same server (helmet, session, CSRF, the gate) answering one
// indexed SELECT with a trivial template. PostgreSQL on the county dataset; PGlite on the demo dataset.
import { benchChild, benchDatabase, COUNTY, cpuResults, loadInTurns, now, signIn, startServer } from './support.ts'
import type { BenchResult } from './types.ts'

export const name = 'child_page'

export async function run(): Promise<BenchResult[]> {
  const out: BenchResult[] = []
  for (const engine of ['postgres', 'pglite'] as const) {
    const { database, dataset, cleanup } = await benchDatabase(engine, engine === 'postgres' ? COUNTY : 2000)
    const server = await startServer(database)
    try {
      // the chronology benchmark's child (500 entries from four agencies), seen by the school's DSL
      const childId = await benchChild(database.db)
      const { cookie } = await signIn(server.base, 'dsl.brookside')
      const headers = { cookie }
      // in turns (support.ts): each measured for 12 s in all
      // on PostgreSQL, the server's CPU and the database's are read over each measured window (PGlite runs inside the server)
      const [ceiling, page] = await loadInTurns({ url: `${server.base}/bench/ceiling/${childId}`, headers }, { url: `${server.base}/children/${childId}`, headers }, engine === 'postgres' ? { cpuOf: { serverPid: process.pid } } : {})
      if (page.statuses['200'] !== page.requests) throw new Error(`child page answered ${JSON.stringify(page.statuses)}`)
      const e = engine === 'postgres' ? 'pg' : 'pglite'
      const at = now()
      out.push(
        { id: `ceiling.${e}.rps`, value: round(ceiling.rps), unit: 'req/s', engine, dataset, baseline: null, at },
        { id: `child_page.${e}.rps`, value: round(page.rps), unit: 'req/s', engine, dataset, baseline: round(ceiling.rps), at },
        { id: `child_page.${e}.ratio_to_ceiling`, value: round(page.rps / ceiling.rps, 3), unit: 'ratio', engine, dataset, baseline: 1, at },
        { id: `child_page.${e}.p95_ms`, value: round(page.p95, 1), unit: 'ms', engine, dataset, baseline: round(ceiling.p95, 1), at },
        ...(engine === 'postgres' ? cpuResults('child_page.pg', page, ceiling, dataset, at) : []),
      )
    } finally {
      await server.close()
      await cleanup()
    }
  }
  return out
}

const round = (v: number, d = 0) => Math.round(v * 10 ** d) / 10 ** d
