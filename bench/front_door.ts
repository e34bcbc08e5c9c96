// Concerns submitted per minute through the real form post (validation, entries, notifications, outbox, audit),
// against the framework ceiling in the same run, with the server's peak memory.
import { benchDatabase, COUNTY, frontDoorPupils, loadInTurns, now, signIn, startServerProcess } from './support.ts'
import type { Database } from '../src/data/db.ts'
import type { BenchResult } from './types.ts'

export const name = 'front_door'

export async function run(): Promise<BenchResult[]> {
  const out: BenchResult[] = []
  for (const engine of ['postgres', 'pglite'] as const) {
    const { database, dataset, target, cleanup } = await benchDatabase(engine, engine === 'postgres' ? COUNTY : 2000)
    // concerns about many pupils, as in a school (not thousands about one child)
    const pupils = await frontDoorPupils(database.db)
    const before = await countConcerns(database)
    // the server runs in a process of its own, so its peak memory is its own (PGlite: one process at a time)
    if (engine === 'pglite') await database.close()
    const server = await startServerProcess(target)
    try {
      const { cookie, csrf } = await signIn(server.base, 'teacher.brookside')
      const form = new URLSearchParams({ _csrf: csrf, idempotencyKey: '{{uuid}}', children: '{{child}}', category: 'neglect', seenOrHeard: 'Came in hungry again and without a coat; said there was no breakfast.', occurredDate: '2026-11-20', occurredTime: '08:50', immediateDanger: 'no' })
        .toString()
        .replace(encodeURIComponent('{{uuid}}'), '{{uuid}}')
        .replace(encodeURIComponent('{{child}}'), '{{child}}')
      // in turns (support.ts): the ceiling and the posts each measured for 15 s in all
      const [ceiling, posts] = await loadInTurns(
        { url: `${server.base}/bench/ceiling/${pupils[0]!}`, headers: { cookie } },
        { url: `${server.base}/concerns`, method: 'POST', headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' }, body: form, pick: { child: pupils } },
        { durationMs: 15_000 },
      )
      if (posts.statuses['303'] !== posts.requests) throw new Error(`concern posts answered ${JSON.stringify(posts.statuses)}`)
      const e = engine === 'postgres' ? 'pg' : 'pglite'
      const at = now()
      out.push({ id: `front_door.${e}.concerns_per_min`, value: Math.round(posts.rps * 60), unit: 'concerns/min', engine, dataset, baseline: Math.round(ceiling.rps * 60), at })
      out.push({ id: `front_door.${e}.ratio_to_ceiling`, value: Math.round((posts.rps / ceiling.rps) * 1000) / 1000, unit: 'ratio', engine, dataset, baseline: 1, at })
      out.push({ id: `front_door.${e}.p95_ms`, value: Math.round(posts.p95 * 10) / 10, unit: 'ms', engine, dataset, baseline: Math.round(ceiling.p95 * 10) / 10, at })
      out.push({ id: `front_door.${e}.rss_mb`, value: server.peakRssMb(), unit: 'MB', engine, dataset, baseline: 400, at })
      await server.close()
      if (engine === 'postgres') {
        // every 303 (warm-up included) made exactly one concern
        const made = (await countConcerns(database)) - before
        const answered = posts.requests + (posts.warmupStatuses['303'] ?? 0)
        if (made !== answered) throw new Error(`${answered} posts answered 303 but ${made} concerns were saved`)
      }
    } finally {
      await server.close().catch(() => undefined)
      await cleanup()
    }
  }
  return out
}

async function countConcerns(database: Database): Promise<number> {
  const r = await database.db.selectFrom('concern').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow()
  return Number(r.n)
}
