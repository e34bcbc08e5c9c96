// Children of the demo data that a browser test or a screenshot wants: found by what they hold, not by name.
import { sql } from 'kysely'
import type { E2eServer } from './server.ts'

/** The Brookside pupil whose chronology the school's DSL sees from the most agencies. */
export async function richestChronology(server: E2eServer): Promise<{ id: string; name: string }> {
  const row = await server.s.t.privileged(async (db) => {
    const r = await sql<{ id: string; given_name: string; family_name: string }>`
      select c.id, c.given_name, c.family_name
      from child c
      join relationship p on p.child_id = c.id and p.type = 'pupil_at' and p.ends_at is null
      join agency a on a.id = p.holder_agency_id and a.name = 'Brookside Primary School'
      join entry e on e.child_id = c.id and e.visibility = 'team'
      group by c.id
      order by count(distinct e.source_agency_id) desc, count(*) desc, c.id
      limit 1`.execute(db)
    return r.rows[0]
  })
  if (!row) throw new Error('no Brookside pupil with entries in the demo data')
  return { id: row.id, name: `${row.given_name} ${row.family_name}` }
}

