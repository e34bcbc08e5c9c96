// Person search over 1M children on PostgreSQL: the front door's search of the partnership's identity index
// (the repository call a page makes: trigram name similarity plus date of birth, with its audit row), for typo'd
// queries built by a seeded generator from FEBRL2's people. Reports p95 latency and top-5 recall.
//
// The 1M: FEBRL2's 5,000 records (the people the queries look for, with FEBRL's own duplicates among them) and
// 995,000 generated children whose names come from the FEBRL vocabularies, so the targets hide among look-alikes.
// Built once in the database ta_bench_search_1m and reused.
import path from 'node:path'
import { sql } from 'kysely'
import { openDatabase } from '../src/data/db.ts'
import { dataAccess } from '../src/data/index.ts'
import { seedDemo } from '../src/data/seed.ts'
import { prng, stableUuid } from '../src/data/ids.ts'
import { systemClock } from '../src/platform/clock.ts'
import type { Actor } from '../src/data/actor.ts'
import { readCsv } from '../src/modules/linkage/csv.ts'
import { linkageDataDir } from '../src/modules/linkage/datasets.ts'
import { ensureBenchDatabase, now, root } from './support.ts'
import type { BenchResult } from './types.ts'

export const name = 'search'

const TOTAL = Number(process.env.BENCH_SEARCH_PEOPLE ?? 1_000_000)
const QUERIES = 1000
const P = stableUuid('partnership:northshire')

const isoDob = (d: string) => (/^\d{8}$/.test(d) ? `${d.slice(0, 4)}-${d.slice(4, 6)}-${d.slice(6, 8)}` : null)
const validDate = (d: string | null) => d !== null && !Number.isNaN(Date.parse(d)) && new Date(d).toISOString().slice(0, 10) === d

/** One typing error in a name: a letter dropped, doubled, swapped with the next, or replaced. */
function typo(s: string, rand: () => number): string {
  if (s.length < 3) return s
  const i = 1 + Math.floor(rand() * (s.length - 2))
  switch (Math.floor(rand() * 4)) {
    case 0:
      return s.slice(0, i) + s.slice(i + 1)
    case 1:
      return s.slice(0, i) + s[i] + s.slice(i)
    case 2:
      return s.slice(0, i) + s[i + 1] + s[i] + s.slice(i + 2)
    default:
      return s.slice(0, i) + 'aeioustnrl'[Math.floor(rand() * 10)] + s.slice(i + 1)
  }
}

export async function run(): Promise<BenchResult[]> {
  const dir = linkageDataDir(root)
  if (!dir) {
    console.error('  ../shared/datasets/linkage is absent: the search benchmark needs FEBRL2')
    return []
  }
  const febrl2 = readCsv(path.join(dir, 'febrl2.csv')).rows
  const vocabulary = ['febrl1.csv', 'febrl4a.csv', 'febrl4b.csv'].flatMap((f) => readCsv(path.join(dir, f)).rows)
  const givens = [...new Set(vocabulary.map((r) => r.given_name ?? '').filter((s) => s.length > 1))]
  const families = [...new Set(vocabulary.map((r) => r.surname ?? '').filter((s) => s.length > 1))]

  const u = await ensureBenchDatabase(`ta_bench_search_${TOTAL}`)

  // the FEBRL2 people become children with ids derived from their rec_id; the person is the number in rec-N-…
  const targets = febrl2
    .map((r) => ({ recId: r.rec_id!, person: r.rec_id!.split('-')[1]!, given: r.given_name ?? '', family: r.surname ?? '', dob: isoDob(r.date_of_birth ?? '') }))
    .filter((t) => t.given && t.family)
    .filter((t) => validDate(t.dob)) // a child has a date of birth (or an expected one)
    .map((t) => ({ ...t, id: stableUuid(`bench:febrl2:${t.recId}`) }))

  const owner = await openDatabase({ kind: 'postgres', url: u.toString() }, { restrictedRole: false, poolSize: 2 })
  try {
    await seedDemo(owner.db, { children: 200 })
    const have = Number((await sql<{ n: string }>`select count(*) as n from child`.execute(owner.db)).rows[0]!.n)
    if (have < TOTAL) {
      const t0 = Date.now()
      await sql`drop index if exists child_name_trgm`.execute(owner.db)
      await sql`
        insert into child (id, partnership_id, given_name, family_name, date_of_birth, sex, created_at)
        select t.id, ${P}::uuid, t.given, t.family, t.dob::date, 'unknown', now()
        from unnest(${targets.map((t) => t.id)}::uuid[], ${targets.map((t) => t.given)}::text[], ${targets.map((t) => t.family)}::text[], ${targets.map((t) => t.dob)}::text[]) as t(id, given, family, dob)
        on conflict (id) do nothing`.execute(owner.db)
      const generated = TOTAL - have - targets.length
      await sql`
        insert into child (id, partnership_id, given_name, family_name, date_of_birth, sex, created_at)
        select gen_random_uuid(), ${P}::uuid,
               (${givens}::text[])[(1 + (g * 7919) % ${givens.length})::int],
               (${families}::text[])[(1 + (g * 104729) % ${families.length})::int],
               date '1995-01-01' + ((g * 2654435761::bigint) % 9000)::int,
               case when g % 2 = 0 then 'female' else 'male' end,
               now()
        from generate_series(1::bigint, ${generated}::bigint) as g`.execute(owner.db)
      await sql`create index child_name_trgm on child using gin (ta_search_name(given_name, family_name) gin_trgm_ops)`.execute(owner.db)
      await sql`vacuum analyze child`.execute(owner.db)
      console.error(`  built ${TOTAL} people on PostgreSQL in ${((Date.now() - t0) / 1000).toFixed(0)} s`)
    }
  } finally {
    await owner.close()
  }

  const database = await openDatabase({ kind: 'postgres', url: u.toString() }, { poolSize: 2 })
  try {
    const actor: Actor = {
      kind: 'practitioner',
      partnershipId: P,
      practitionerId: stableUuid('northshire:practitioner:frontdoor'),
      membershipId: stableUuid('northshire:membership:frontdoor:0'),
      agencyId: stableUuid('northshire:agency:csc'),
      teamId: stableUuid('northshire:team:csc:front-door'),
      role: 'front_door_social_worker',
      requestId: 'bench',
    }
    const search = dataAccess(database, systemClock).forActor(actor).search
    const rand = prng(20261128)
    const byPerson = new Map<string, Set<string>>()
    for (const t of targets) byPerson.set(t.person, (byPerson.get(t.person) ?? new Set()).add(t.id))
    const originals = targets.filter((t) => t.recId.endsWith('-org'))
    const queries = Array.from({ length: QUERIES }, () => {
      const t = originals[Math.floor(rand() * originals.length)]!
      // a typo in one name or both; the date of birth exact, or with day and month transposed when that is a date
      const which = Math.floor(rand() * 3)
      const given = which !== 1 ? typo(t.given, rand) : t.given
      const family = which !== 0 ? typo(t.family, rand) : t.family
      const swapped = `${t.dob!.slice(0, 4)}-${t.dob!.slice(8, 10)}-${t.dob!.slice(5, 7)}`
      const dob = rand() < 0.2 && validDate(swapped) ? swapped : t.dob!
      return { name: `${given} ${family}`, dob, person: t.person }
    })
    for (const q of queries.slice(0, 50)) await search.people({ name: q.name, dateOfBirth: q.dob, limit: 5 }) // warm-up
    const times: number[] = []
    let hits = 0
    for (const q of queries) {
      const t0 = performance.now()
      const found = await search.people({ name: q.name, dateOfBirth: q.dob, limit: 5 })
      times.push(performance.now() - t0)
      const same = byPerson.get(q.person)!
      if (found.some((f) => same.has(f.id))) hits++
    }
    times.sort((a, b) => a - b)
    const p = (x: number) => times[Math.min(times.length - 1, Math.floor(x * times.length))]!
    const at = now()
    const dataset = `febrl2-in-${TOTAL}`
    return [
      { id: 'search.1m.p95_ms', value: Math.round(p(0.95) * 10) / 10, unit: 'ms', engine: 'postgres', dataset, baseline: 25, at },
      { id: 'search.1m.p50_ms', value: Math.round(p(0.5) * 10) / 10, unit: 'ms', engine: 'postgres', dataset, baseline: null, at },
      { id: 'search.1m.recall_at_5', value: Math.round((hits / queries.length) * 1000) / 1000, unit: 'ratio', engine: 'postgres', dataset, baseline: 0.99, at },
    ]
  } finally {
    await database.close()
  }
}
