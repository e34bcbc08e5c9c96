// The merged chronology page of a child with 500 entries from four agencies (the first page of 50 and the
// summary: counts, filter choices, the picture's link) against the framework ceiling in the same run. PostgreSQL,
// on the "county" dataset; the 500 entries are added once to one Brookside pupil (benchChild: never one the front
// door posts about, so the count stays 500 however often the benchmarks run), seen by the school's DSL.
import { benchChild, benchDatabase, COUNTY, cpuResults, loadInTurns, now, signIn, startServer } from './support.ts'
import type { BenchResult } from './types.ts'

export const name = 'chronology_page'

const ENTRIES = 500

export async function run(): Promise<BenchResult[]> {
  const { database, dataset, cleanup } = await benchDatabase('postgres', COUNTY)
  const server = await startServer(database)
  try {
    const childId = await benchChild(database.db, ENTRIES)
    const { cookie } = await signIn(server.base, 'dsl.brookside')
    const headers = { cookie }
    // in turns (support.ts): each measured for 12 s in all
    // (the server runs in this process: its CPU, and PostgreSQL's, are read over each measured window)
    const [ceiling, page] = await loadInTurns({ url: `${server.base}/bench/ceiling/${childId}`, headers }, { url: `${server.base}/children/${childId}/chronology`, headers }, { cpuOf: { serverPid: process.pid } })
    if (page.statuses['200'] !== page.requests) throw new Error(`chronology page answered ${JSON.stringify(page.statuses)}`)
    const at = now()
    return [
      { id: 'chronology_page.pg.rps', value: Math.round(page.rps), unit: 'req/s', engine: 'postgres', dataset, baseline: Math.round(ceiling.rps), at },
      { id: 'chronology_page.pg.ratio_to_ceiling', value: Math.round((page.rps / ceiling.rps) * 1000) / 1000, unit: 'ratio', engine: 'postgres', dataset, baseline: 1, at },
      { id: 'chronology_page.pg.p95_ms', value: Math.round(page.p95 * 10) / 10, unit: 'ms', engine: 'postgres', dataset, baseline: Math.round(ceiling.p95 * 10) / 10, at },
      // where a request's time goes: CPU milliseconds a request in the server and in PostgreSQL, the ceiling's as baseline
      ...cpuResults('chronology_page.pg', page, ceiling, dataset, at),
    ]
  } finally {
    await server.close()
    await cleanup()
  }
}
