// Background jobs, one instance at a time across processes (a database lease): escalating overdue statutory
// clocks, and delivering the email outbox (to a local file here: the machine sends no mail; production would
// hand the same messages to GOV.UK Notify or SMTP).
import fs from 'node:fs'
import path from 'node:path'
import type { Database } from '../data/db.ts'
import { systemRepository } from '../data/system.ts'
import type { Clock } from './clock.ts'

export interface Jobs {
  runOnce(): Promise<void>
  stop(): Promise<void>
}

export function startJobs(opts: { database: Database; clock: Clock; outboxFile: string; intervalMs?: number; log?: (msg: string, err?: unknown) => void }): Jobs {
  const system = systemRepository({ db: opts.database.db, clock: opts.clock }, 'scheduler')
  const interval = opts.intervalMs ?? 30_000
  let running: Promise<void> | null = null
  const runOnce = async () => {
    if (!(await system.takeLease('scheduler', interval * 3))) return
    await system.escalateOverdueClocks()
    await system.evaluateSignals()
    await system.runRetention()
    await system.purgeExpiredIdempotencyKeys()
    fs.mkdirSync(path.dirname(opts.outboxFile), { recursive: true })
    await system.takeOutbox(100, async (m) => {
      fs.appendFileSync(opts.outboxFile, `${JSON.stringify({ at: opts.clock.now().toISOString(), ...m })}\n`)
    })
  }
  const tick = () => {
    if (running) return
    running = runOnce()
      .catch((err) => opts.log?.('scheduled jobs failed', err))
      .finally(() => {
        running = null
      })
  }
  const timer = setInterval(tick, interval)
  timer.unref()
  setTimeout(tick, 1000).unref()
  return {
    runOnce,
    async stop() {
      clearInterval(timer)
      await running
    },
  }
}
