// Security requirement 23 — acknowledged writes survive a crash: a writer process raising concerns with eight
// concurrent writers is killed with SIGKILL mid-flight; every write it acknowledged (printed only after the commit
// returned) is in the database when it is opened again, on each engine. On PGlite the restart also exercises the
// embedded database's crash recovery and its directory lock (a dead holder's lock goes stale and is taken over).
import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { it } from 'node:test'
import { sql } from 'kysely'
import { openDatabase, DatabaseLockedError, type Database } from '../../src/data/db.ts'
import { seedDemo } from '../../src/data/seed.ts'
import { stableUuid } from '../../src/data/ids.ts'
import { loadConfig } from '../../src/platform/config.ts'
import { testEngines } from '../support/db.ts'
import { withAdmin, withDatabase } from '../support/templates.ts'

const config = loadConfig()
const TEACHER = stableUuid('northshire:membership:teacher.brookside:0')
const ACKS_BEFORE_KILL = 120

async function openWhenFree(target: Parameters<typeof openDatabase>[0]): Promise<Database> {
  const until = Date.now() + 60_000
  for (;;) {
    try {
      return await openDatabase(target, { migrate: false, restrictedRole: false })
    } catch (err) {
      if (!(err instanceof DatabaseLockedError) || Date.now() > until) throw err
      await new Promise((r) => setTimeout(r, 1000))
    }
  }
}

for (const engine of testEngines()) {
  it(`kill -9 under eight concurrent writers loses no acknowledged write [${engine}]`, { timeout: 240_000 }, async () => {
    let target: string
    let cleanup: () => Promise<void>
    if (engine === 'pglite') {
      target = fs.mkdtempSync(path.join(os.tmpdir(), 'ta-crash-'))
      cleanup = async () => fs.rmSync(target, { recursive: true, force: true })
    } else {
      const name = `ta_crash_${process.pid}_${randomBytes(4).toString('hex')}`
      await withAdmin(config.test.databaseUrl!, (db) => sql`create database ${sql.id(name)}`.execute(db))
      target = withDatabase(config.test.databaseUrl!, name)
      cleanup = () => withAdmin(config.test.databaseUrl!, (db) => sql`drop database if exists ${sql.id(name)} with (force)`.execute(db)).then(() => undefined)
    }
    const dbTarget = engine === 'pglite' ? ({ kind: 'pglite', dir: target } as const) : ({ kind: 'postgres', url: target } as const)
    try {
      const setup = await openDatabase(dbTarget, { restrictedRole: false })
      await seedDemo(setup.db, { children: 40 })
      const pupil = await setup.db.selectFrom('relationship').select('child_id').where('type', '=', 'pupil_at').where('holder_agency_id', '=', stableUuid('northshire:agency:brookside')).orderBy('child_id').executeTakeFirstOrThrow()
      await setup.close()

      const child = spawn(process.execPath, [path.join(import.meta.dirname, 'crash-writer.ts'), target, TEACHER, pupil.child_id], { stdio: ['ignore', 'pipe', 'pipe'] })
      const acked: { submission: string; key: string }[] = []
      let stderr = ''
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
      const exited = new Promise<NodeJS.Signals | number | null>((resolve) => child.on('exit', (code, signal) => resolve(signal ?? code)))
      let buffered = ''
      await new Promise<void>((resolve, reject) => {
        child.stdout.on('data', (d: Buffer) => {
          buffered += d.toString()
          const lines = buffered.split('\n')
          buffered = lines.pop()!
          for (const line of lines) {
            const [tag, submission, key] = line.split(' ')
            if (tag === 'ACK') acked.push({ submission: submission!, key: key! })
          }
          if (acked.length >= ACKS_BEFORE_KILL) resolve()
        })
        void exited.then((how) => reject(new Error(`the writer stopped by itself (${String(how)}): ${stderr.slice(0, 2000)}`)))
      })
      child.kill('SIGKILL')
      assert.equal(await exited, 'SIGKILL')
      // a line may have been cut by the kill: only whole lines are acknowledgements
      const after = await openWhenFree(dbTarget)
      try {
        const found = await after.db.selectFrom('concern').select(['submission_id', 'idempotency_key']).where('submission_id', 'in', acked.map((a) => a.submission)).execute()
        const missing = acked.filter((a) => !found.some((f) => f.submission_id === a.submission))
        assert.deepEqual(missing, [], `${missing.length} of ${acked.length} acknowledged writes lost`)
        for (const a of acked) assert.equal(found.find((f) => f.submission_id === a.submission)!.idempotency_key, a.key)
        // each acknowledged write is there once, with its audit row (same transaction)
        assert.equal(found.length, acked.length)
        const audited = await after.db.selectFrom('audit_event').select('entity_id').where('action', '=', 'concern.create').where('entity_id', 'in', acked.map((a) => a.submission)).execute()
        assert.equal(new Set(audited.map((a) => a.entity_id)).size, acked.length)
        // the database is usable after the crash: a write and a read succeed
        const count = await after.db.selectFrom('concern').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()
        assert.ok(Number(count.n) >= acked.length)
      } finally {
        await after.close()
      }
    } finally {
      await cleanup()
    }
  })
}
