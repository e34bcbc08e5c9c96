// The merged chronology page of a child with 500 entries from four agencies (the first page of 50 and the
// summary: counts, filter choices, the picture's link) against the framework ceiling in the same run. PostgreSQL,
// on the "county" dataset; the 500 entries are added once to one Brookside pupil, seen by the school's DSL.
import { randomUUID } from 'node:crypto'
import { stableUuid } from '../src/data/ids.ts'
import { benchDatabase, COUNTY, load, now, signIn, startServer } from './support.ts'
import type { BenchResult } from './types.ts'

export const name = 'chronology_page'

const P = stableUuid('partnership:northshire')
const ENTRIES = 500

export async function run(): Promise<BenchResult[]> {
  const { database, dataset, cleanup } = await benchDatabase('postgres', COUNTY)
  const server = await startServer(database)
  try {
    const db = database.db
    const agencies = ['brookside', 'csc', 'police', 'health'].map((k) => stableUuid(`northshire:agency:${k}`))
    // the pupil with the fewest entries, so the 500 are (nearly) all there is; marked so a rerun reuses it
    const marked = await db.selectFrom('entry').select('child_id').where('partnership_id', '=', P).where('summary', 'like', 'Bench chronology entry %').limit(1).executeTakeFirst()
    let childId = marked?.child_id
    if (!childId) {
      const pupil = await db
        .selectFrom('relationship as r')
        .select('r.child_id')
        .where('r.partnership_id', '=', P)
        .where('r.type', '=', 'pupil_at')
        .where('r.holder_agency_id', '=', agencies[0]!)
        .where('r.ends_at', 'is', null)
        .orderBy('r.child_id')
        .limit(1)
        .executeTakeFirstOrThrow()
      childId = pupil.child_id
      const start = Date.parse('2024-01-01T09:00:00Z')
      const rows = Array.from({ length: ENTRIES }, (_, i) => ({
        id: randomUUID(),
        partnership_id: P,
        child_id: childId!,
        type: ['concern', 'police_incident', 'health_attendance', 'attendance_drop', 'dsl_action'][i % 5]!,
        category: ['neglect', 'domestic_abuse', 'missing', 'attendance', 'emotional_abuse'][i % 5]!,
        occurred_at: new Date(start + i * 36 * 3_600_000),
        recorded_at: new Date(start + i * 36 * 3_600_000 + 3_600_000),
        author_membership_id: null,
        author_team_id: null,
        source_agency_id: agencies[i % agencies.length]!,
        significance: (['low', 'medium', 'high', 'critical'] as const)[i % 4]!,
        summary: `Bench chronology entry ${i + 1}: a strand of the child's story from one agency.`,
        detail_type: null,
        detail_id: null,
        visibility: 'team' as const,
        addressed_to_membership_id: null,
        agency_record_id: null,
        supersedes_entry_id: null,
      }))
      await db.insertInto('entry').values(rows).execute()
    }
    const { cookie } = await signIn(server.base, 'dsl.brookside')
    const headers = { cookie }
    const ceiling = await load({ url: `${server.base}/bench/ceiling/${childId}`, headers })
    const page = await load({ url: `${server.base}/children/${childId}/chronology`, headers })
    if (page.statuses['200'] !== page.requests) throw new Error(`chronology page answered ${JSON.stringify(page.statuses)}`)
    const at = now()
    return [
      { id: 'chronology_page.pg.rps', value: Math.round(page.rps), unit: 'req/s', engine: 'postgres', dataset, baseline: Math.round(ceiling.rps), at },
      { id: 'chronology_page.pg.ratio_to_ceiling', value: Math.round((page.rps / ceiling.rps) * 1000) / 1000, unit: 'ratio', engine: 'postgres', dataset, baseline: 1, at },
      { id: 'chronology_page.pg.p95_ms', value: Math.round(page.p95 * 10) / 10, unit: 'ms', engine: 'postgres', dataset, baseline: Math.round(ceiling.p95 * 10) / 10, at },
    ]
  } finally {
    await server.close()
    await cleanup()
  }
}
