// Concerns submitted per minute through the real form post (validation, entries, notifications, outbox, audit),
// against the framework ceiling in the same run, with the server's peak memory.
import { stableUuid } from '../src/data/ids.ts'
import { benchDatabase, COUNTY, load, now, signIn, startServer } from './support.ts'
import type { BenchResult } from './types.ts'

export const name = 'front_door'

export async function run(): Promise<BenchResult[]> {
  const out: BenchResult[] = []
  for (const engine of ['postgres', 'pglite'] as const) {
    const { database, dataset, cleanup } = await benchDatabase(engine, engine === 'postgres' ? COUNTY : 2000)
    const server = await startServer(database)
    let peak = process.memoryUsage().rss
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 100)
    try {
      const child = await database.db.selectFrom('relationship').select('child_id').where('type', '=', 'pupil_at').where('holder_agency_id', '=', stableUuid('northshire:agency:brookside')).limit(1).executeTakeFirstOrThrow()
      const { cookie, csrf } = await signIn(server.base, 'teacher.brookside')
      const form = new URLSearchParams({ _csrf: csrf, idempotencyKey: '{{uuid}}', children: child.child_id, category: 'neglect', seenOrHeard: 'Came in hungry again and without a coat; said there was no breakfast.', occurredDate: '2026-11-20', occurredTime: '08:50', immediateDanger: 'no' })
        .toString()
        .replace(encodeURIComponent('{{uuid}}'), '{{uuid}}')
      const ceiling = await load({ url: `${server.base}/bench/ceiling/${child.child_id}`, headers: { cookie } })
      const posts = await load({ url: `${server.base}/concerns`, method: 'POST', headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' }, body: form, durationMs: 15_000 })
      if (posts.statuses['303'] !== posts.requests) throw new Error(`concern posts answered ${JSON.stringify(posts.statuses)}`)
      const e = engine === 'postgres' ? 'pg' : 'pglite'
      const at = now()
      out.push({ id: `front_door.${e}.concerns_per_min`, value: Math.round(posts.rps * 60), unit: 'concerns/min', engine, dataset, baseline: Math.round(ceiling.rps * 60), at })
      out.push({ id: `front_door.${e}.ratio_to_ceiling`, value: Math.round((posts.rps / ceiling.rps) * 1000) / 1000, unit: 'ratio', engine, dataset, baseline: 1, at })
      out.push({ id: `front_door.${e}.p95_ms`, value: Math.round(posts.p95 * 10) / 10, unit: 'ms', engine, dataset, baseline: Math.round(ceiling.p95 * 10) / 10, at })
      if (engine === 'postgres') out.push({ id: 'front_door.pg.rss_mb', value: Math.round(peak / 1_048_576), unit: 'MB', engine, dataset, baseline: 400, at })
    } finally {
      clearInterval(sampler)
      await server.close()
      await cleanup()
    }
  }
  return out
}
